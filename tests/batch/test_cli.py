"""The batch jobs on the command line (gongji/cli/batch.py): `gongji credit-month`, `year-end`, `close-expired`.

Exit status 0 with a summary; 2 with the refusal's code and messages (and nothing changed). The commands run on
the system clock, so the periods here are long past (2025) or far ahead (2099). Rules: D-1, D-3, N-3.
"""

from __future__ import annotations

from typer.testing import CliRunner, Result

from gongji.cli.main import app
from tests.batch.conftest import current, employee, ledger_ok, prior
from tests.factories import snapshot

ENV = {"COLUMNS": "200", "GONGJI_POLICY_DIR": None, "GONGJI_DATABASE_URL": None}
runner = CliRunner()


def gongji(world, *args: str) -> Result:
    return runner.invoke(app, ["--database-url", world.db.url, *args], env=ENV, catch_exceptions=False)


def test_credit_month_prints_the_summary_by_region_and_a_rerun_credits_nothing(world):
    """D-1: the command credits the month and sums it up by region; run again, it credits nobody."""
    harbin, shenzhen = employee(world, "张建国"), employee(world, "陈志强", city="shenzhen", retired=True)
    employee(world, "周强", status="suspended")
    result = gongji(world, "credit-month", "2025-05", "--chunk-size", "2")
    assert result.exit_code == 0, result.output
    assert "230100" in result.stdout and "黑龙江省 Heilongjiang" in result.stdout
    assert "440300" in result.stdout and "280.00" in result.stdout
    assert "440.00" in result.stdout  # the total: 160.00 + 280.00
    assert "暂停参保 suspended 1" in result.stdout
    assert "本次 2 done now" in result.stdout and "全部完成 all done" in result.stdout
    assert (current(world, harbin), current(world, shenzhen)) == (16_000, 28_000)
    again = gongji(world, "credit-month", "2025-05")
    assert again.exit_code == 0, again.output
    assert "credited now: 0" in again.stdout and "此前 2 earlier" in again.stdout
    assert (current(world, harbin), current(world, shenzhen)) == (16_000, 28_000)
    ledger_ok(world)


def test_refusals_exit_2_with_the_code_in_both_languages_and_change_nothing(world):
    employee(world)
    before = snapshot(world)
    for args, code, words in ((["credit-month", "2025-5"], "BATCH_PERIOD_INVALID", "YYYY-MM"),
                              (["credit-month", "2099-01"], "MONTH_NOT_REACHED", "gongji credit-month 2099-01"),
                              (["year-end", "2099"], "YEAR_NOT_ENDED", "gongji year-end 2099"),
                              (["year-end", "99"], "BATCH_PERIOD_INVALID", "YYYY")):
        result = gongji(world, *args)
        assert result.exit_code == 2, result.output
        assert f"{code}: " in result.stderr and words in result.stderr
        assert len(result.stderr.splitlines()) == 2  # Chinese, then English
    assert snapshot(world) == before


def test_year_end_rolls_current_year_into_prior_years(world):
    """D-1: `gongji year-end 2025` (the year is over by the system clock) moves current-year funds."""
    person = employee(world, current_fen=12_300, prior_fen=100)
    result = gongji(world, "year-end", "2025")
    assert result.exit_code == 0, result.output
    assert "123.00" in result.stdout and "rolled over now: 1" in result.stdout
    assert (current(world, person), prior(world, person)) == (0, 12_400)
    ledger_ok(world)


def test_close_expired_ends_bindings_past_their_end_date(world):
    """D-3: a binding that ran through 10 June 2025 has ended by now; a second run the same day ends nothing."""
    payer = world.person("张建国", city="beijing", current_fen=100)
    world.bind(payer, world.person("张建民", city="beijing"), "sibling", end_on="2025-06-10")
    result = gongji(world, "close-expired", "--chunk-size", "10")
    assert result.exit_code == 0, result.output
    assert "1 条绑定到期结束" in result.stdout
    again = gongji(world, "close-expired")
    assert again.exit_code == 0 and "0 条绑定到期结束" in again.stdout
