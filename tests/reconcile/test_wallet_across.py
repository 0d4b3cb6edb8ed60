"""Reconciliation of wallet transfers between provinces (HN-9, WAL-1, WAL-4) in one province's instance.

The instance is province 23's. Its payer sends to relatives insured in province 41 (rows ``out``: the money waits on
``wallet_transit_out:41``, and comes back from it when 41 returns or refuses); transfers from payers of province 41
arrive for its people (rows ``in``: from ``wallet_transit_in:41`` into the pending account, then accepted or
returned). Clean when every entry moves what its row says; a state, an amount or a transit balance out of step is
reported with its rows.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from gongji.federation.config import parse
from gongji.reconcile import reconcile
from gongji.wallet import across
from gongji.wallet import service as wallet
from gongji.wallet.models import WalletTransfer
from tests.reconcile.conftest import tamper
from tests.wallet.conftest import accept, at, open_wallet

#: A payer of Zhengzhou (province 41), as the messages from there name him.
ZHENGZHOU_PAYER = "410100198001010031"


def failing(report) -> dict[str, list[dict]]:
    return {c.key: [d.rows for d in c.differences] for c in report.checks if not c.ok}


def arrival(transfer_no: str, beneficiary_id_number: str, amount_fen: int) -> dict:
    """The body of a ``wallet.transfer`` message from province 41, sent today at 09:00."""
    return {"transfer_no": transfer_no, "payer_id_number": ZHENGZHOU_PAYER, "payer_name": "赵强",
            "region_code": "410100", "beneficiary_id_number": beneficiary_id_number, "relationship": "parent",
            "amount_fen": amount_fen, "sent_at": at(2, 9).isoformat(), "sent_on": "2025-06-02",
            "return_due_at": at(3, 6).isoformat()}


@pytest.fixture
def province_day(world):
    """Province 23 with three transfers sent to province 41 (one accepted there, one refused, one on its way) and
    three arrived from 41 (one accepted, one returned the next morning, one refused: no wallet)."""
    world.env.federation = parse({"role": "province", "province": "23", "hub_url": "http://127.0.0.1:9",
                                  "secret": "a secret of the link 23-hub"})
    payer = world.person("王建国", current_fen=20_000, prior_fen=30_000)
    mother = world.person("王桂兰", born=date(1950, 5, 5), sex="F")  # her son works in Zhengzhou
    father = world.person("王德福", born=date(1948, 1, 9))
    no_wallet = world.person("王秀英", born=date(1952, 2, 2), sex="F")
    open_wallet(world, mother)
    open_wallet(world, father)

    def send_out(amount: int, key: str) -> int:
        return world.run(lambda s, env: wallet.send(
            s, env, payer_id_number=payer.id_number, beneficiary_id_number="41010019500101002X",
            beneficiary_province="41", relationship="parent", amount_fen=amount, idempotency_key=key,
            actor=payer.actor)).id

    ids = {"out_accepted": send_out(10_000, "o1"), "out_refused": send_out(2_000, "o2"),
           "out_waiting": send_out(25_000, "o3")}

    def no(transfer_id: int) -> str:
        return world.db.read(lambda s: wallet.get_transfer(s, transfer_id).transfer_no)

    world.run(lambda s, env: across.settle(s, env, "wallet.accepted", {"transfer_no": no(ids["out_accepted"]),
                                                                         "accepted_at": at(2, 11).isoformat()}))
    world.run(lambda s, env: across.settle(s, env, "wallet.refused", {
        "transfer_no": no(ids["out_refused"]), "refused_at": at(2, 11).isoformat(), "code": "WALLET_NOT_OPEN",
        "message_zh": "未开通", "message_en": "not open"}))
    for name, person, amount in (("in_accepted", mother, 5_000), ("in_returned", father, 7_000),
                                 ("in_refused", no_wallet, 1_000)):
        world.run(lambda s, env, name=name, person=person, amount=amount: across.arrive(
            s, env, arrival(f"410100-{name}", person.id_number, amount), source="41"))
        ids[name] = world.db.read(lambda s, name=name: s.execute(
            select(WalletTransfer.id).where(WalletTransfer.transfer_no == f"410100-{name}")
        ).scalar_one())
    accept(world, mother, ids["in_accepted"])()
    world.env.clock.set(at(3, 6))
    assert wallet.return_unaccepted(world.db, world.env) == 1  # the father's; never an ``out`` one
    return world, ids


def test_hn_9_transfers_between_provinces_reconcile_clean(province_day):
    world, ids = province_day
    states = world.db.read(lambda s: {name: (wallet.get_transfer(s, i).direction, wallet.get_transfer(s, i).state)
                                      for name, i in ids.items()})
    assert states == {"out_accepted": ("out", "accepted"), "out_refused": ("out", "refused"),
                      "out_waiting": ("out", "sent"), "in_accepted": ("in", "accepted"),
                      "in_returned": ("in", "returned"), "in_refused": ("in", "refused")}
    report = reconcile(world.db)
    assert report.ok, report.as_dict()


def test_an_out_transfer_marked_returned_without_its_money_is_reported(province_day):
    """The row says the money came back from province 41; no entry brought it: states and the transit account tell."""
    world, ids = province_day
    tamper(world.db, "UPDATE wallet_transfers SET state = 'returned', accepted_at = NULL, returned_at = sent_at "
                     "WHERE id = :t", unchecked=("wallet_transfers",), t=ids["out_accepted"])
    found = failing(reconcile(world.db))
    assert set(found) == {"wallet.entries"}
    assert {"wallet_transfer_id": ids["out_accepted"]} in found["wallet.entries"]
    assert {"account": "wallet_transit_out:41"} in found["wallet.entries"]


def test_a_changed_amount_of_an_arrived_transfer_is_reported(province_day):
    world, ids = province_day
    tamper(world.db, "UPDATE wallet_transfers SET amount_fen = amount_fen + 100 WHERE id = :t", t=ids["in_accepted"])
    found = failing(reconcile(world.db))
    assert set(found) == {"wallet.entries"}
    rows = found["wallet.entries"]
    assert {"wallet_transfer_id": ids["in_accepted"]} in [{"wallet_transfer_id": r.get("wallet_transfer_id")}
                                                           for r in rows]
    assert {"account": "wallet_transit_in:41"} in rows


def test_a_refused_arrival_that_moved_money_is_reported(province_day):
    """Refused on arrival means no money moved here: an arrival entry on such a row is out of place."""
    world, ids = province_day
    arrived = world.db.read(lambda s: wallet.get_transfer(s, ids["in_returned"]).arrive_entry_id)
    tamper(world.db, "UPDATE wallet_transfers SET arrive_entry_id = :e WHERE id = :t",
           unchecked=("wallet_transfers",), e=arrived, t=ids["in_refused"])
    found = failing(reconcile(world.db))
    assert "wallet.entries" in found
    assert {"wallet_transfer_id": ids["in_refused"]} in found["wallet.entries"]
