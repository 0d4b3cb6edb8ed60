"""`gongji wallet-return` (WAL-4): the scheduled job on the command line, safe to run twice."""

from __future__ import annotations

from typer.testing import CliRunner

from gongji.cli.main import app
from tests.wallet.conftest import funds, open_wallet, send

runner = CliRunner()


def test_wal_4_wallet_return_gives_back_what_was_not_accepted_once(world, family):
    """WAL-4: the command (on the system clock, long after the test's day) returns the transfer once."""
    payer, wife, _ = family
    open_wallet(world, wife)
    send(world, payer, wife, 12_345)()
    env = {"GONGJI_DATABASE_URL": world.db.url, "GONGJI_POLICY_DIR": None, "COLUMNS": "250"}
    first = runner.invoke(app, ["wallet-return"], env=env, catch_exceptions=False)
    assert first.exit_code == 0, first.output
    assert "1 wallet transfer(s)" in first.output and "1 笔" in first.output
    assert funds(world, payer) == (100_000, 300_000)
    again = runner.invoke(app, ["wallet-return"], env=env, catch_exceptions=False)
    assert again.exit_code == 0 and "0 wallet transfer(s)" in again.output
