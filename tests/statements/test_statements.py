"""Statements: a month or a year for either side, as CSV and PDF (with a CJK font); the relative's statement shows
what was paid for him, never his payer's balance (PP-2); on both databases.

Rules: PP-1, PP-2, N-9.
"""

from __future__ import annotations

import base64
import csv
import io
import re
import zlib
from datetime import date, datetime

import pytest

from gongji.clock import CST
from gongji.errors import GongjiError
from gongji.statements import render
from gongji.statements import service as statements
from tests.api.conftest import api  # noqa: F401


def test_periods_are_a_month_or_a_year_not_in_the_future():
    today = date(2026, 12, 8)
    assert statements.parse_period("2026-02", today=today).last_day == date(2026, 2, 28)
    assert statements.parse_period("2025", today=today).first_day == date(2025, 1, 1)
    assert statements.parse_period(None, today=today).label == "2026-12"
    for bad in ("2027-01", "2026-13", "26-11", "2026/11", "1999"):
        with pytest.raises(GongjiError) as info:
            statements.parse_period(bad, today=today)
        assert info.value.code == "STATEMENT_PERIOD_INVALID"


def _scene(world, clock):
    clock.set(datetime(2026, 11, 10, 10, tzinfo=CST))
    world.institution()
    payer = world.person("李建国", born=date(1960, 3, 1), current_fen=123_456)
    daughter = world.person("李小红", sex="F", born=date(1990, 5, 1))
    world.bind(payer, daughter, "child")
    world.settle(daughter, 2_550)
    clock.set(datetime(2026, 12, 2, 10, tzinfo=CST))
    world.settle(daughter, 1_000)
    return payer, daughter


def test_n_9_pp_2_each_side_sees_its_own_part_of_the_month(world, clock):
    payer, daughter = _scene(world, clock)
    nov = statements.parse_period("2026-11", today=world.env.today())
    mine = world.db.read(lambda s: statements.statement(s, person_id=payer.id, period=nov))
    assert [p.amount_fen for p in mine.paid_by_me] == [2_550] and mine.paid_by_me_fen == 2_550
    assert [c.balance_after_fen for c in mine.account_changes][-1] == 123_456 - 2_550
    hers = world.db.read(lambda s: statements.statement(s, person_id=daughter.id, period=nov))
    assert [p.other_name for p in hers.paid_for_me] == ["李建国"] and hers.account_changes == []
    text = render.to_csv(hers).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["家庭共济对账单 2026-11"] and ["亲属为我支付"] in rows
    assert "25.50" in text and "1209.06" not in text and "1234.56" not in text  # never the payer's balance
    year = world.db.read(lambda s: statements.statement(
        s, person_id=payer.id, period=statements.parse_period("2026", today=world.env.today())))
    assert [p.amount_fen for p in year.paid_by_me] == [2_550, 1_000]  # oldest first


def _pdf_text(pdf: bytes) -> bytes:
    """The page streams of a PDF, decoded (reportlab writes them ASCII85 over Flate)."""
    out = b""
    for part in re.findall(rb"(?<!end)stream\r?\n(.*?)endstream", pdf, flags=re.S):
        data = part.strip()
        try:
            if data.endswith(b"~>"):
                data = base64.a85decode(data, adobe=True) if data.startswith(b"<~") else base64.a85decode(data[:-2])
            out += zlib.decompress(data)
        except (ValueError, zlib.error):
            continue
    return out


def _shown(text: str) -> bytes:
    """How a text in the CID font stands in a page stream: UTF-16BE in a PDF string, bytes outside printable ASCII
    and ``( ) \\`` written as octal escapes."""
    return b"".join(b"\\%03o" % c if c < 32 or c > 126 or c in b"()\\" else bytes([c])
                    for c in text.encode("utf-16-be"))


def test_the_pdf_uses_the_cjk_font_and_holds_the_statement(world, clock):
    payer, daughter = _scene(world, clock)
    st = world.db.read(lambda s: statements.statement(
        s, person_id=daughter.id, period=statements.parse_period("2026-11", today=world.env.today())))
    pdf = render.to_pdf(st)
    assert pdf.startswith(b"%PDF-") and b"STSong-Light" in pdf
    assert _shown("25.50") in _pdf_text(pdf) and _shown("1209.06") not in _pdf_text(pdf)
    assert _shown("李建国") in _pdf_text(pdf)
    assert render.to_pdf(st, "en").startswith(b"%PDF-")


def test_over_http_a_person_gets_his_own_statement_only(api):  # noqa: F811
    w = api.world
    payer, daughter = _scene(w, api.world.env.clock)
    r = api.client.get(f"/v1/people/{daughter.id}/statement", params={"period": "2026-11", "format": "csv"},
                       headers=api.person(daughter))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "李建国" in r.content.decode("utf-8-sig")
    pdf = api.client.get(f"/v1/people/{daughter.id}/statement", headers=api.person(daughter))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    other = api.client.get(f"/v1/people/{payer.id}/statement", headers=api.person(daughter))
    assert other.status_code == 403
    bad = api.client.get(f"/v1/people/{daughter.id}/statement", params={"period": "2099-01"},
                         headers=api.person(daughter))
    assert bad.status_code == 422 and bad.json()["code"] == "STATEMENT_PERIOD_INVALID"
