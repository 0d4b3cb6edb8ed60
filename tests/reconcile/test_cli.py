"""``gongji reconcile`` on both databases: a readable bilingual table, exit 0 when clean and 1 on any difference with
the rows named (NI-6, N-10, HN-5); ``--json``; refusals exit 2."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from gongji.cli.main import app
from tests.reconcile.conftest import FIRST_DAY, HOSPITAL, OTHER_HOSPITAL
from tests.reconcile.test_service import delete_posting, refund_beyond_paid


def gongji(db, *args: str):
    return CliRunner().invoke(app, ["--database-url", db.url, "reconcile", *args], env={"COLUMNS": "200"},
                              catch_exceptions=False)


def test_clean_ledger_exits_0_with_every_check_listed(varied):
    result = gongji(varied.db)
    assert result.exit_code == 0, result.output
    for words in ("个人账户余额等于分录之和 · every personal balance equals its postings", "机构日对账", "NI-6",
                  "HN-5", "对账无差异 · reconciliation clean: 19 checks"):
        assert words in result.stdout, result.stdout
    assert gongji(varied.db, "--on", FIRST_DAY.isoformat(), "--institution", HOSPITAL).exit_code == 0


def test_differences_exit_1_and_name_the_rows(varied):
    """NI-6: the day of the hospital that lost a posting, with both figures and the settlement that differs."""
    delete_posting(varied)
    result = gongji(varied.db)
    assert result.exit_code == 1, result.output
    own = varied.settlements["own"]
    out = result.stdout
    assert "✗ 机构日对账 · per institution and day" in out
    assert f"institution {HOSPITAL}" in out and f"day {FIRST_DAY.isoformat()}" in out
    assert f"settlement_ids {own}" in out
    assert "acct_pay" in out and "20.00" in out  # the deleted posting, in yuan
    assert "reconciliation found" in result.stderr
    narrowed = gongji(varied.db, "--institution", OTHER_HOSPITAL)  # its days are clean, the ledger is not
    assert narrowed.exit_code == 1 and "✗ 机构日对账" not in narrowed.stdout and "✗ 每笔分录借贷平衡" in narrowed.stdout


def test_json_report(varied):
    refund_beyond_paid(varied)
    result = gongji(varied.db, "--json", "--limit", "1")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False and report["differences"] >= 4
    within = next(check for check in report["checks"] if check["key"] == "refund.within_paid")
    assert within["rules"] == ["HN-5"] and within["count"] == 2 and len(within["differences"]) == 1
    assert within["differences"][0]["rows"]["settlement_id"] == varied.settlements["aid"]


def test_refusals_exit_2(varied):
    result = gongji(varied.db, "--institution", "H00000000000")
    assert result.exit_code == 2 and "INSTITUTION_NOT_FOUND" in result.stderr
    result = gongji(varied.db, "--on", "2025-13-01")
    assert result.exit_code == 2 and "YYYY-MM-DD" in result.stderr
