"""Reading and writing the standard's types exactly (NI-1, NI-5): yuan to fen, dates, JSON numbers."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from gongji.errors import GongjiError
from gongji.national import wire

MEDFEE = wire.amount("medfee_sumamt", "医疗费总额", required=True)


@pytest.mark.parametrize(("value", "fen"), [
    (Decimal("12.30"), 1230), (Decimal("12.3"), 1230), ("12.30", 1230), (Decimal("0"), 0), (12, 1200),
    (Decimal("12.300"), 1230), ("99999999.99", 9_999_999_999), (Decimal("0.01"), 1),
])
def test_yuan_become_fen_exactly(value, fen):
    """NI-5: amounts are yuan with two decimals; a number or numeric text, converted without rounding."""
    assert wire.value_of(MEDFEE, value) == fen


@pytest.mark.parametrize(("value", "reason"), [
    (Decimal("12.345"), "最多 2 位小数"), ("12.345", "最多 2 位小数"), (Decimal("-1"), "不能为负数"),
    ("abc", "不是数值"), ("1e3", "不是数值"), (True, "须为数值"), ("NaN", "不是数值"), (["1"], "不是数值"),
    (Decimal("100000000.01"), "超过单笔上限"),
])
def test_anything_else_is_refused_naming_the_field(value, reason):
    """NI-5: more decimals, negatives and non-numbers are refused with the field's code and Chinese name."""
    with pytest.raises(GongjiError) as info:
        wire.value_of(MEDFEE, value)
    assert info.value.code in ("NI_AMOUNT_INVALID", "NI_FIELD_INVALID")
    assert "medfee_sumamt（医疗费总额）" in info.value.message_zh
    assert reason in info.value.message_zh


def test_a_missing_required_field_is_named():
    with pytest.raises(GongjiError) as info:
        wire.read({"medfee_sumamt": ""}, [MEDFEE], node_name="data", node_zh="结算信息")
    assert info.value.code == "NI_FIELD_REQUIRED"
    assert "medfee_sumamt（医疗费总额）" in info.value.message_zh


def test_numbers_are_parsed_as_decimals_and_written_as_given():
    """JSON numbers never pass through a float: 0.1 + 0.2 stays exact, 12.30 keeps its two decimals."""
    parsed = wire.loads(b'{"a": 0.1, "b": 0.2, "c": 12.30, "d": 5}')
    assert parsed["a"] + parsed["b"] == Decimal("0.3")
    assert wire.dumps({"amt": wire.yuan(1230), "neg": wire.yuan(-5), "ratio": wire.ratio(500), "zh": "结算"}) == \
        '{"amt":12.30,"neg":-0.05,"ratio":0.5000,"zh":"结算"}'


@pytest.mark.parametrize("body", [b"[1, 2]", b"{", b"\xff\xfe", b'{"a": NaN}', b'"text"'])
def test_only_a_json_object_is_a_message(body):
    with pytest.raises(GongjiError) as info:
        wire.loads(body)
    assert info.value.code == "NI_MESSAGE_UNREADABLE"


def test_dates_and_times_follow_the_standard():
    """NI-1: 日期型 yyyy-MM-dd (a date-time at midnight is tolerated); 日期时间型 yyyy-MM-dd HH:mm:ss or ISO's
    yyyy-MM-ddTHH:mm:ss (what Newtonsoft.Json writes for a DateTime), with optional fractional seconds and
    offset, all recorded to the second in China time; anything else refused naming the field."""
    day = wire.day("brdy", "出生日期")
    assert wire.value_of(day, "1972-05-18") == date(1972, 5, 18)
    assert wire.value_of(day, "1972-05-18 00:00:00") == date(1972, 5, 18)
    assert wire.value_of(day, "1972-05-18T00:00:00") == date(1972, 5, 18)
    for bad in ("1972-05-18 10:00:00", "1972/05/18", "19720518", "1972-5-18"):
        with pytest.raises(GongjiError) as info:
            wire.value_of(day, bad)
        assert info.value.code == "NI_FIELD_INVALID" and info.value.params["field"] == "brdy", bad
    moment = wire.moment("inf_time", "交易时间")
    ten = datetime(2025, 6, 2, 2, tzinfo=UTC)
    for good in ("2025-06-02 10:00:00", "2025-06-02T10:00:00", "2025-06-02T10:00:00.5", "2025-06-02T10:00:00.1234567",
                 "2025-06-02T10:00:00+08:00", "2025-06-02 10:00:00.123+08:00", "2025-06-02T02:00:00Z",
                 "2025-06-01T21:00:00-05:00"):
        got = wire.value_of(moment, good)
        assert got == ten and got.microsecond == 0, good
        assert wire.time_text(got) == "2025-06-02 10:00:00", good
    for bad in ("2025-6-2 10:00:00", "2025-02-30 10:00:00", "20250602100000", "2025-06-02T10:00", "2025-06-02",
                "2025/06/02 10:00:00", "2025-06-02t10:00:00", "2025-06-02T10:00:00+0800", "2025-06-02T10:00:00 +08:00",
                "2025-06-02T10:00:00.", "2025-06-02T10:00:00+25:00", "2025-06-02  10:00:00"):
        with pytest.raises(GongjiError) as info:
            wire.value_of(moment, bad)
        assert info.value.code == "NI_FIELD_INVALID"
    at = datetime(2025, 6, 2, 2, 3, 4, 567_000, tzinfo=UTC)
    assert wire.time_text(at) == "2025-06-02 10:03:04"
    assert wire.stamp(at) == "20250602100304567"


def test_text_fields_keep_to_their_length_and_codes():
    flag = wire.text("acct_used_flag", "个人账户使用标志", 1, required=True, choices=("0", "1"))
    assert wire.value_of(flag, "1") == "1"
    assert wire.value_of(flag, Decimal("1")) == "1"  # a code sent as a number
    for bad in ("2", "11", "\x00"):
        with pytest.raises(GongjiError):
            wire.value_of(flag, bad)
