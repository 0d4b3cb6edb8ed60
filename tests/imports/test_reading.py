"""Reading insurer files liberally: encodings, byte-order marks, delimiters, header aliases, JSON lines."""

from __future__ import annotations

import json

import pytest

from gongji.errors import GongjiError
from gongji.imports.reading import Field, detect_encoding, open_source

FIELDS = (Field("id_number", ("身份证号码", "公民身份号码"), required=True, zh="身份证号码"),
          Field("name", ("姓名",), required=True, zh="姓名"), Field("phone", ("手机号码",)))


def read(path, **kw):
    source = open_source(path, FIELDS, **kw)
    try:
        return source, list(source.rows)
    finally:
        source.close()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16"])
def test_encodings_are_detected(tmp_path, encoding):
    path = tmp_path / "people.csv"
    path.write_text("身份证号码,姓名\n230100197503140110,张伟\n", encoding=encoding)
    source, rows = read(path)
    assert [r.values for r in rows] == [{"id_number": "230100197503140110", "name": "张伟"}]
    assert rows[0].number == 2  # the header is row 1


def test_gbk_is_told_from_utf8_by_the_sample():
    assert detect_encoding("张伟".encode("gbk")) == "gb18030"
    assert detect_encoding("张伟".encode()) == "utf-8"
    assert detect_encoding("张".encode()[:2]) == "utf-8"  # a character cut by the sample's end


@pytest.mark.parametrize("delimiter", [",", "\t", ";", "|"])
def test_delimiters_and_aliases(tmp_path, delimiter):
    path = tmp_path / "people.txt"
    path.write_text(delimiter.join(["公民身份号码", " Name ", "手机号码", "extra"]) + "\n"
                    + delimiter.join(["230100197503140110", "张伟", "", "x"]) + "\n", encoding="utf-8")
    source, rows = read(path)
    assert rows[0].values == {"id_number": "230100197503140110", "name": "张伟", "phone": None}
    assert source.unknown == ["extra"]


def test_missing_required_columns_refuse_the_file(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("姓名\n张伟\n", encoding="utf-8")
    with pytest.raises(GongjiError) as caught:
        read(path)
    assert caught.value.code == "IMPORT_MISSING_COLUMNS"
    assert "身份证号码" in caught.value.message_zh


def test_bad_rows_are_reported_with_their_number(tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes("身份证号码,姓名\n1,张伟\n\n2,a,b,c\n3,\"李\n强\"\n4,".encode() + b"\xff\xfe" + b"\n5,ok\n")
    _, rows = read(path)
    assert [(r.number, r.problem is not None) for r in rows] == [(2, False), (4, True), (5, False), (7, True),
                                                                  (8, False)]
    assert rows[2].values["name"] == "李\n强"


def test_json_lines(tmp_path):
    path = tmp_path / "people.jsonl"
    lines = [json.dumps({"身份证号码": "230100197503140110", "姓名": "张伟", "phone": 13800000001}), "",
             "not json", json.dumps([1, 2])]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    source, rows = read(path)
    assert source.format == "jsonl"
    assert rows[0].values == {"id_number": "230100197503140110", "name": "张伟", "phone": "13800000001"}
    assert [(r.number, r.problem is not None) for r in rows] == [(1, False), (3, True), (4, True)]
