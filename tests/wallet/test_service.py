"""The medical insurance wallet (WAL-1..WAL-4, HN-9) on both databases.

Every refusal is checked for its stable code and for having changed nothing in any table (``refused``).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from gongji.actors import Actor
from gongji.events.models import Event
from gongji.ledger import service as ledger
from gongji.ledger.models import LedgerEntry
from gongji.people.ids import compose_id_number
from gongji.reconcile import reconcile
from gongji.settlement import service as settlement
from gongji.wallet import service as wallet
from gongji.wallet.models import Wallet, WalletTransfer
from tests.factories import STAFF, Person, refused
from tests.wallet.conftest import (
    accept,
    at,
    funds,
    money_of_people,
    open_wallet,
    pending,
    send,
    wallet_balance,
)


def events(world, kind: str) -> list[Event]:
    return world.db.read(lambda s: list(s.execute(select(Event).where(Event.kind == kind)).scalars()))


def transfer(world, transfer_id: int) -> WalletTransfer:
    return world.db.read(lambda s: s.get(WalletTransfer, transfer_id))


def clean(world) -> None:
    assert world.db.read(ledger.check).ok
    report = reconcile(world.db)
    assert report.ok, report.as_dict()


# -- open (WAL-1) ----------------------------------------------------------------------------------


def test_wal_1_a_resident_relative_opens_her_wallet_once(world, family):
    """WAL-1: the wallet is opened by the relative, any insured person (here a resident with no personal account);
    opening again gives the same wallet back and records nothing more."""
    _, _, mother = family
    opened, new = open_wallet(world, mother)
    assert new and (opened.person_id, opened.status, opened.region_code) == (mother.id, "open", "440100")
    assert wallet_balance(world, mother) == 0
    assert world.balances(mother) is None  # a wallet is not a personal account
    again, new_again = open_wallet(world, mother)
    assert (again.id, new_again) == (opened.id, False)
    [event] = events(world, "wallet.opened")
    assert event.subject_id == opened.id and event.concerns == [mother.id]
    by_staff, _ = open_wallet(world, mother, actor=STAFF)
    assert by_staff.id == opened.id


def test_wal_1_only_the_holder_or_staff_opens_a_wallet(world, family):
    payer, wife, _ = family
    refused(world, lambda: open_wallet(world, wife, actor=payer.actor), "ACTOR_NOT_ALLOWED")


# -- send and accept (WAL-1, HN-9) -----------------------------------------------------------------


def test_wal_1_hn_9_send_to_another_province_and_accept(world, family):
    """WAL-1, HN-9: an employee sends personal-account money to his mother's wallet in another province; it leaves
    his current-year funds first, then prior-years (D-1), waits on the pending account, and is hers once she
    accepts. Both sides are told (N-9); the sum of all accounts never changes."""
    payer, _, mother = family
    open_wallet(world, mother)
    total = money_of_people(world)
    row = send(world, payer, mother, 150_000, relationship="parent")()
    assert (row.state, row.amount_fen, row.current_year_fen, row.prior_years_fen) == ("sent", 150_000, 100_000,
                                                                                      50_000)
    assert row.transfer_no.startswith("230100-") and len(row.transfer_no) == 7 + 32
    assert (row.sent_at, row.sent_on, row.return_due_at) == (at(2, 10), date(2025, 6, 2), at(3, 6))
    assert (row.payer_id, row.beneficiary_id, row.relationship, row.region_code) == (payer.id, mother.id, "parent",
                                                                                     "230100")
    assert funds(world, payer) == (0, 250_000)
    assert pending(world) == 150_000 and wallet_balance(world, mother) == 0
    assert money_of_people(world) == total
    [sent] = events(world, "wallet.transfer_sent")
    assert sent.concerns == sorted([payer.id, mother.id]) and sent.data["transfer_no"] == row.transfer_no
    clean(world)

    done = accept(world, mother, row.id)()
    assert (done.state, done.accepted_at) == ("accepted", at(2, 10))
    assert wallet_balance(world, mother) == 150_000 and pending(world) == 0
    assert money_of_people(world) == total
    kinds = world.db.read(lambda s: [s.get(LedgerEntry, e).kind for e in (done.send_entry_id, done.accept_entry_id)])
    assert kinds == ["wallet_send", "wallet_accept"]
    [accepted] = events(world, "wallet.transfer_accepted")
    assert accepted.concerns == sorted([payer.id, mother.id])
    clean(world)

    assert accept(world, mother, row.id)().id == row.id  # the same key: the same answer, no more money
    assert wallet_balance(world, mother) == 150_000
    refused(world, accept(world, mother, row.id, key="another"), "WALLET_TRANSFER_NOT_PENDING")


def test_wal_1_a_retried_send_moves_the_money_once(world, family):
    payer, wife, _ = family
    open_wallet(world, wife)
    first = send(world, payer, wife, 10_000, key="once")()
    again = send(world, payer, wife, 10_000, key="once")()
    assert again.id == first.id
    assert funds(world, payer) == (90_000, 300_000) and pending(world) == 10_000


def test_wal_1_only_the_relative_or_staff_accepts(world, family):
    payer, wife, mother = family
    open_wallet(world, wife)
    row = send(world, payer, wife, 10_000)()
    refused(world, accept(world, wife, row.id, actor=payer.actor), "ACTOR_NOT_ALLOWED")
    refused(world, accept(world, wife, row.id, actor=mother.actor), "ACTOR_NOT_ALLOWED")
    assert accept(world, wife, row.id, actor=STAFF)().state == "accepted"


def test_wal_1_refusals_change_nothing(world, family):
    """WAL-1, N-1: bad input and broken rules are refused with their own codes and change nothing."""
    payer, wife, mother = family
    refused(world, send(world, payer, wife, 10_000), "WALLET_NOT_OPEN")
    open_wallet(world, wife)
    open_wallet(world, mother)
    for amount in (100.0, -1, 0, True, "100", 10.5):
        refused(world, send(world, payer, wife, amount), "INVALID_AMOUNT")
    unknown = compose_id_number("110101", date(1990, 3, 7), 777, "F")
    refused(world, send(world, payer, Person(0, unknown, "x", "110100"), 10_000), "PERSON_NOT_FOUND")
    bad_check_digit = wife.id_number[:-1] + ("0" if wife.id_number[-1] != "0" else "1")
    refused(world, send(world, payer, Person(0, bad_check_digit, "x", "230100"), 10_000), "INVALID_ID_NUMBER")
    refused(world, send(world, payer, wife, 10_000, relationship="friend"), "UNKNOWN_RELATIONSHIP")
    refused(world, send(world, payer, mother, 10_000, relationship="child"), "RELATIONSHIP_IMPLAUSIBLE")
    refused(world, send(world, payer, payer, 10_000), "SELF_BINDING")
    refused(world, send(world, mother, wife, 100, relationship="child"), "PAYER_NOT_EMPLOYEE")  # N-1
    refused(world, send(world, payer, wife, 10_000, actor=wife.actor), "ACTOR_NOT_ALLOWED")
    refused(world, send(world, payer, wife, 400_001), "WALLET_AMOUNT_LIMIT")
    refused(world, accept(world, wife, 999_999), "WALLET_TRANSFER_NOT_FOUND")


def test_wal_1_not_more_than_the_payer_has(world, family):
    payer, wife, _ = family
    open_wallet(world, wife)
    for n in range(2):
        send(world, payer, wife, 200_000, key=f"k{n}")()
    world.env.clock.advance(days=1)
    assert funds(world, payer) == (0, 0)
    error = refused(world, send(world, payer, wife, 1), "INSUFFICIENT_BALANCE")
    assert error.params["available"] == 0


# -- limits (WAL-2, WAL-3) -------------------------------------------------------------------------


def test_wal_2_three_transfers_a_day_the_fourth_refused(world, family):
    """WAL-2: at most 3 transfers a payer sends a day, whatever became of them; the next day he may send again."""
    payer, wife, mother = family
    open_wallet(world, wife)
    open_wallet(world, mother)
    first = send(world, payer, wife, 100, key="1")()
    accept(world, wife, first.id)()
    send(world, payer, mother, 100, relationship="parent", key="2")()
    send(world, payer, wife, 100, key="3")()
    error = refused(world, send(world, payer, mother, 100, relationship="parent", key="4"), "WALLET_DAILY_LIMIT")
    assert error.params["next_from"] == "2025-06-03 06:00"
    assert "2025-06-03 06:00" in error.message_zh and "2025-06-03 06:00" in error.message_en
    world.env.clock.set(at(3, 6))
    assert send(world, payer, wife, 100, key="5")().sent_on == date(2025, 6, 3)


def test_wal_2_at_most_2000_yuan_a_transfer(world, family):
    """WAL-2: 2,000.00 yuan is sent; 2,000.01 yuan is refused."""
    payer, wife, _ = family
    open_wallet(world, wife)
    error = refused(world, send(world, payer, wife, 200_001), "WALLET_AMOUNT_LIMIT")
    assert "2000.00" in error.message_zh or "2,000.00" in error.message_zh
    assert send(world, payer, wife, 200_000)().amount_fen == 200_000


@pytest.mark.parametrize(("hour", "minute", "allowed"), [(22, 0, False), (5, 59, False), (23, 30, False),
                                                         (0, 0, False), (6, 0, True), (21, 59, True)])
def test_wal_3_no_transfers_between_22_and_6(world, family, hour, minute, allowed):
    """WAL-3: no transfer from 22:00 to 06:00 China Standard Time; the refusal says when sending opens again."""
    payer, wife, _ = family
    open_wallet(world, wife)
    world.env.clock.set(at(2, hour, minute))
    if allowed:
        assert send(world, payer, wife, 100)().state == "sent"
        return
    error = refused(world, send(world, payer, wife, 100), "WALLET_QUIET_HOURS")
    opens = "2025-06-03 06:00" if hour >= 22 else "2025-06-02 06:00"
    assert error.params["next_from"] == opens and opens in error.message_en


# -- the return (WAL-4) ----------------------------------------------------------------------------


def run_return(world) -> int:
    return wallet.return_unaccepted(world.db, world.env)


def test_wal_4_not_accepted_goes_back_at_6_the_next_day_once(world, family):
    """WAL-4: money not accepted goes back to the funds it came from at 06:00 the next day; a second run returns
    nothing more, and the relative can no longer accept it."""
    payer, wife, _ = family
    open_wallet(world, wife)
    total = money_of_people(world)
    row = send(world, payer, wife, 150_000)()
    kept = send(world, payer, wife, 1_000, key="accepted")()
    accept(world, wife, kept.id)()
    assert funds(world, payer) == (0, 249_000)
    world.env.clock.set(at(3, 5, 59))
    assert run_return(world) == 0
    world.env.clock.set(at(3, 6))
    refused(world, accept(world, wife, row.id), "WALLET_TRANSFER_EXPIRED")
    assert run_return(world) == 1
    assert funds(world, payer) == (100_000, 299_000)  # back into current-year and prior-years funds as they left
    back = transfer(world, row.id)
    assert (back.state, back.returned_at) == ("returned", at(3, 6))
    assert transfer(world, kept.id).state == "accepted"
    assert pending(world) == 0 and wallet_balance(world, wife) == 1_000
    assert money_of_people(world) == total
    [event] = events(world, "wallet.transfer_returned")
    assert event.concerns == sorted([payer.id, wife.id]) and event.actor_kind == "system"
    assert run_return(world) == 0
    assert funds(world, payer) == (100_000, 299_000)
    refused(world, accept(world, wife, row.id), "WALLET_TRANSFER_NOT_PENDING")
    clean(world)


def test_wal_4_a_late_run_returns_what_is_due(world, family):
    """WAL-4: the job that runs at 09:00 (or days later) returns every transfer due by then, and only those."""
    payer, wife, _ = family
    open_wallet(world, wife)
    send(world, payer, wife, 100, key="d1")()
    world.env.clock.set(at(3, 8))
    send(world, payer, wife, 200, key="d2")()  # due on the 4th
    world.env.clock.set(at(3, 9))
    assert run_return(world) == 1
    world.env.clock.set(at(6, 9))
    assert run_return(world) == 1
    assert funds(world, payer) == (100_000, 300_000)
    clean(world)


def test_wal_4_the_return_works_in_chunks(world, family):
    payer, wife, mother = family
    open_wallet(world, wife)
    open_wallet(world, mother)
    for day in range(2, 5):
        world.env.clock.set(at(day, 7))
        send(world, payer, wife, 100, key=f"w{day}")()
        send(world, payer, mother, 100, relationship="parent", key=f"m{day}")()
    world.env.clock.set(at(5, 6))
    seen: list[int] = []
    assert wallet.return_unaccepted(world.db, world.env, chunk_size=4, progress=seen.append) == 6
    assert sum(seen) == 6 and len(seen) == 2
    assert funds(world, payer) == (100_000, 300_000)


# -- settlement (WAL-1, N-10, HN-5) ----------------------------------------------------------------


def test_wal_1_the_wallet_pays_after_own_account_before_bound_payers(world, family):
    """WAL-1, N-10: the wallet's money is the patient's own: it pays after her personal account and before the
    payers bound to her; a refund gives the wallet back what it paid (HN-5)."""
    payer, wife, _ = family
    open_wallet(world, wife)
    accept(world, wife, send(world, payer, wife, 5_000)().id)()
    world.bind(payer, wife, "spouse")
    result = world.settle(wife, 10_000)
    assert [(line.payer_id, line.is_own, line.fund.value, line.amount_fen) for line in result.lines] == [
        (wife.id, True, "current_year", 1_000), (wife.id, True, "wallet", 5_000),
        (payer.id, False, "current_year", 4_000)]
    assert (result.own_fen, result.mutual_aid_fen, result.cash_fen) == (6_000, 4_000, 0)
    assert wallet_balance(world, wife) == 0
    clean(world)
    back = world.run(lambda s, env: settlement.refund(
        s, env, institution_code="H23010100001", settlement_id=result.settlement_id, amount_fen=6_000,
        idempotency_key="r1"))
    assert [(line.payer_id, line.fund.value, line.amount_fen) for line in back.lines] == [
        (payer.id, "current_year", 4_000), (wife.id, "wallet", 2_000)]
    assert wallet_balance(world, wife) == 2_000
    clean(world)


def test_wal_1_a_payers_own_wallet_never_pays_for_relatives(world, family):
    """WAL-1: a wallet is its holder's own money; when he pays for a relative only his personal account counts."""
    payer, wife, _ = family
    sister = world.person("王建英", born=date(1968, 1, 1), sex="F", current_fen=50_000)
    open_wallet(world, payer)
    accept(world, payer, send(world, sister, payer, 50_000, relationship="sibling")().id)()
    world.bind(payer, wife, "spouse")
    result = world.settle(wife, 500_000)
    assert {line.fund.value for line in result.lines if line.payer_id == payer.id} <= {"current_year", "prior_years"}
    assert wallet_balance(world, payer) == 50_000
    assert result.cash_fen == 500_000 - 1_000 - 400_000


def test_wal_1_quote_shows_the_wallet(world, family):
    payer, wife, _ = family
    open_wallet(world, wife)
    accept(world, wife, send(world, payer, wife, 5_000)().id)()
    quote = world.db.read(lambda s: settlement.quote(s, world.env, institution_code="H23010100001",
                                                     patient_id_number=wife.id_number, amount_fen=3_000,
                                                     use="outpatient"))
    assert [(line.fund.value, line.amount_fen) for line in quote.lines] == [("current_year", 1_000), ("wallet", 2_000)]
    assert wallet_balance(world, wife) == 5_000


def test_models_are_what_the_service_writes(world, family):
    payer, wife, _ = family
    opened, _ = open_wallet(world, wife)
    row = send(world, payer, wife, 100, actor=Actor.staff("T0002"))()
    assert (row.operator_kind, row.operator_id, row.channel, row.wallet_id) == ("staff", "T0002", "counter",
                                                                                opened.id)
    assert world.db.read(lambda s: s.get(Wallet, opened.id).channel) == "portal"
    assert row.return_due_at - row.sent_at == timedelta(hours=20)


def test_n_9_both_sides_are_told_of_each_step(world, family):
    """N-9, WAL-4: the payer and the relative each get a notification of the send, and of the return, in their
    words; no ID number in them."""
    from gongji.notifications.messages import render
    from gongji.notifications.models import Notification

    payer, wife, _ = family
    open_wallet(world, wife)
    send(world, payer, wife, 12_300)()
    world.env.clock.set(at(3, 6))
    wallet.return_unaccepted(world.db, world.env)

    def texts(s):
        rows = s.execute(select(Notification).order_by(Notification.id)).scalars().all()
        return [(n.kind, n.person_id, render(s, n, language="zh").body, render(s, n, language="en").body)
                for n in rows]

    found = world.db.read(texts)
    assert [(kind, person) for kind, person, *_ in found] == [
        ("wallet.transfer_sent", payer.id), ("wallet.transfer_sent", wife.id),
        ("wallet.transfer_returned", payer.id), ("wallet.transfer_returned", wife.id)]
    assert "123.00" in found[0][2] and "您的配偶 李秀兰" in found[0][2]
    assert found[1][3].startswith("王建国 sent 123.00 yuan")
    assert all(payer.id_number not in t and wife.id_number not in t for row in found for t in row[2:])


def test_wal_1_nothing_is_credited_into_a_wallet(world, family):
    """WAL-1: a wallet receives only what relatives send; a credit naming it is refused and changes nothing."""
    from gongji.people import service as people

    _, wife, _ = family
    open_wallet(world, wife)
    error = refused(world, lambda: world.run(lambda s, env: people.credit(
        s, env, id_number=wife.id_number, amount_fen=100, fund="wallet", actor=STAFF, idempotency_key="c")),
        "INVALID_FIELD")
    assert error.params["field"] == "fund"


def test_wal_4_two_return_jobs_at_once_return_each_transfer_once(world, family):
    """WAL-4: two runs of the job side by side (a cron overlap) return each transfer once between them."""
    from concurrent.futures import ThreadPoolExecutor

    payer, wife, mother = family
    open_wallet(world, wife)
    open_wallet(world, mother)
    for n in range(3):
        send(world, payer, wife if n % 2 else mother, 1_000, relationship="spouse" if n % 2 else "parent",
             key=f"c{n}")()
    world.env.clock.set(at(3, 6))
    total = money_of_people(world)
    with ThreadPoolExecutor(2) as pool:
        counts = list(pool.map(lambda _: wallet.return_unaccepted(world.db, world.env, chunk_size=1), range(2)))
    assert sum(counts) == 3
    assert funds(world, payer) == (100_000, 300_000) and pending(world) == 0
    assert money_of_people(world) == total
    assert len(events(world, "wallet.transfer_returned")) == 3
    clean(world)
