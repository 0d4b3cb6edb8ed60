"""Reconciliation of wallet transfers (WAL-1, WAL-4): clean after send, accept and return; a corrupted row, a stolen
entry or a pending account out of step are each reported with their rows."""

from __future__ import annotations

from datetime import date

import pytest

from gongji.reconcile import reconcile
from gongji.wallet import service as wallet
from tests.reconcile.conftest import tamper
from tests.wallet.conftest import accept, at, open_wallet, send


@pytest.fixture
def wallet_day(world):
    """A payer, his wife (accepted 100.00 yuan) and his mother in Guangzhou (sent 30.00 yuan, returned the next
    morning), and one transfer still waiting."""
    payer = world.person("王建国", current_fen=20_000, prior_fen=30_000)
    wife = world.person("李秀兰", born=date(1972, 3, 8), sex="F")
    mother = world.person("陈桂芳", city="guangzhou", born=date(1945, 5, 5), sex="F", scheme="resident")
    open_wallet(world, wife)
    open_wallet(world, mother)
    ids = {"accepted": send(world, payer, wife, 10_000)().id,
           "returned": send(world, payer, mother, 3_000, relationship="parent")().id}
    accept(world, wife, ids["accepted"])()
    world.env.clock.set(at(3, 6))
    assert wallet.return_unaccepted(world.db, world.env) == 1
    ids["waiting"] = send(world, payer, wife, 25_000, key="waiting")().id  # from both funds
    return world, ids


def failing(report) -> dict[str, list[dict]]:
    return {c.key: [d.rows for d in c.differences] for c in report.checks if not c.ok}


def test_wal_1_wal_4_wallet_transfers_reconcile_clean(wallet_day):
    world, _ = wallet_day
    report = reconcile(world.db)
    assert report.ok, report.as_dict()
    assert reconcile(world.db, on=date(2025, 6, 2)).ok and reconcile(world.db, on=date(2025, 6, 3)).ok


def test_a_changed_amount_is_reported(wallet_day):
    world, ids = wallet_day
    tamper(world.db, "UPDATE wallet_transfers SET amount_fen = amount_fen + 100, "
                     "current_year_fen = current_year_fen + 100 WHERE id = :t", t=ids["accepted"])
    found = failing(reconcile(world.db))
    assert set(found) == {"wallet.entries"}
    assert all(rows["wallet_transfer_id"] == ids["accepted"] for rows in found["wallet.entries"])


def test_an_accept_entry_not_recorded_on_its_row_is_reported(wallet_day):
    """The money went into the wallet but the row says it is still waiting: owned entry, state and pending all tell."""
    world, ids = wallet_day
    tamper(world.db, "UPDATE wallet_transfers SET state = 'sent', accepted_at = NULL, accept_entry_id = NULL "
                     "WHERE id = :t", unchecked=("wallet_transfers",), t=ids["accepted"])
    found = failing(reconcile(world.db))
    assert set(found) == {"ledger.owned", "wallet.entries"}
    assert {"region_code": "230100"} in found["wallet.entries"]


def test_a_returned_transfer_marked_accepted_is_reported(wallet_day):
    world, ids = wallet_day
    tamper(world.db, "UPDATE wallet_transfers SET state = 'accepted', accepted_at = returned_at, returned_at = NULL "
                     "WHERE id = :t", unchecked=("wallet_transfers",), t=ids["returned"])
    found = failing(reconcile(world.db))
    assert set(found) == {"wallet.entries"}
    assert {"wallet_transfer_id": ids["returned"]} in found["wallet.entries"]
