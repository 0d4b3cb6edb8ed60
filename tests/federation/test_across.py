"""Wallet transfers between two provinces' instances through the hub (HN-9, WAL-1..WAL-4), on both databases.

Province 23 (the payer, Harbin) and province 41 (his relatives, Zhengzhou) each keep their own database; messages
go 23 → hub → 41 and back over the real endpoints. At every step the people's money of both instances plus their
pending and transit accounts is what it was (``fed.money()``): the money is in exactly one place.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select, update

from gongji.clock import CST
from gongji.errors import GongjiError
from gongji.events.models import Event
from gongji.federation import wire
from gongji.federation.models import OutboxMessage
from gongji.ledger import service as ledger
from gongji.people import service as people
from gongji.people.ids import compose_id_number, issuing_region, mask
from gongji.wallet import service as wallet
from gongji.wallet.models import Wallet
from tests.factories import STAFF, refused
from tests.federation.conftest import (
    HUB_URL,
    SECRET_23,
    SECRET_41,
    Federation,
    accept_in_41,
    funds,
    host_of,
    send,
    wallet_of,
)

OUT, IN = ledger.WALLET_TRANSIT_OUT, ledger.WALLET_TRANSIT_IN


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """An instant in June 2025, China Standard Time."""
    return datetime(2025, 6, day, hour, minute, second, tzinfo=CST)


def stranger(region: str = "410100", born: date = date(1975, 4, 4), seq: int = 777) -> str:
    """A valid ID number nobody is registered with."""
    return compose_id_number(issuing_region(region, born), born, seq, "M")


def kinds_of_events(instance) -> list[str]:
    return instance.db.read(lambda s: sorted(e.kind for e in s.execute(
        select(Event).where(Event.kind.like("wallet.transfer%"))).scalars()))


def in_transit(fed: Federation) -> tuple[int, int, int]:
    """(23's transit towards 41, 41's transit from 23, 41's pending account of the payer's region)."""
    return (fed.p23.system(OUT, "41"), fed.p41.system(IN, "23"),
            fed.p41.system(ledger.WALLET_PENDING, "230100"))


def clean(fed: Federation) -> None:
    for instance in fed.instances:
        instance.clean()


# -- a transfer accepted ------------------------------------------------------------------------------


def test_hn_9_wal_1_a_transfer_to_another_province_is_accepted(fed, family):
    """HN-9, WAL-1: the payer in 23 sends 1,500 yuan to his wife insured in 41. It leaves his current-year funds
    first, then prior-years (D-1), onto the transit account towards 41; it arrives in 41 from the transit account
    into the pending account; she accepts it into her wallet; 23 hears it was accepted. The money of both instances
    with their pending and transit accounts never changes."""
    payer, wife = family.payer, family.wife
    total = fed.money()

    row = send(fed, payer, wife.id_number, 150_000)
    assert (row.direction, row.counterpart_province, row.state) == ("out", "41", "sent")
    assert (row.payer_id, row.beneficiary_id, row.beneficiary_id_number, row.wallet_id) == (
        payer.id, None, wife.id_number, None)
    assert (row.current_year_fen, row.prior_years_fen, row.return_due_at) == (100_000, 50_000, at(3, 6))
    assert funds(fed, payer) == (0, 250_000)
    assert in_transit(fed) == (150_000, 0, 0)
    assert fed.money() == total
    [message] = fed.p23.outbox()
    assert (message.kind, message.source, message.destination, message.acked_at) == (
        "wallet.transfer", "23", "41", None)
    assert message.body == {
        "transfer_no": row.transfer_no, "payer_id_number": payer.id_number, "payer_name": "王建国",
        "region_code": "230100", "beneficiary_id_number": wife.id_number, "relationship": "spouse",
        "amount_fen": 150_000, "sent_at": at(2, 10).isoformat(), "sent_on": "2025-06-02",
        "return_due_at": at(3, 6).isoformat()}

    assert fed.deliver(fed.p23) == (1, 0)  # 23 → the hub: stored there, on its way to 41
    [relayed] = fed.hub.outbox()
    assert (relayed.message_id, relayed.source, relayed.destination, relayed.acked_at) == (
        message.message_id, "23", "41", None)
    assert [m.outcome for m in fed.hub.inbox()] == ["forwarded to 41"]
    assert fed.p23.outbox()[0].acked_at == at(2, 10)
    assert in_transit(fed) == (150_000, 0, 0) and fed.money() == total

    assert fed.deliver(fed.hub) == (1, 0)  # the hub → 41: it arrives
    arrived = fed.p41.transfer(row.transfer_no)
    assert (arrived.direction, arrived.counterpart_province, arrived.state) == ("in", "23", "sent")
    assert (arrived.payer_id, arrived.payer_id_number, arrived.payer_name, arrived.beneficiary_id) == (
        None, payer.id_number, "王建国", wife.id)
    assert (arrived.amount_fen, arrived.current_year_fen, arrived.prior_years_fen) == (150_000, 0, 0)
    assert (arrived.region_code, arrived.beneficiary_region_code, arrived.return_due_at) == (
        "230100", "410100", at(3, 6))
    assert [(m.source, m.sender, m.outcome) for m in fed.p41.inbox()] == [
        ("23", "hub", f"{row.transfer_no} arrived")]
    assert in_transit(fed) == (150_000, -150_000, 150_000)
    assert wallet_of(fed, wife) == 0
    assert fed.money() == total
    clean(fed)

    done = accept_in_41(fed, wife, row.transfer_no)
    assert (done.state, done.accepted_at) == ("accepted", at(2, 10))
    assert wallet_of(fed, wife) == 150_000
    assert in_transit(fed) == (150_000, -150_000, 0)  # what 41 owes 23 cancels what 23 sent: settled outside
    assert fed.money() == total
    [answer] = fed.p41.outbox()
    assert (answer.kind, answer.source, answer.destination, answer.body) == (
        "wallet.accepted", "41", "23", {"transfer_no": row.transfer_no, "accepted_at": at(2, 10).isoformat()})

    assert fed.pump() == 2  # 41 → hub → 23
    seen = fed.p23.transfer(row.transfer_no)
    assert (seen.state, seen.accepted_at, seen.returned_at) == ("accepted", at(2, 10), None)
    assert funds(fed, payer) == (0, 250_000)
    assert fed.money() == total
    assert kinds_of_events(fed.p23) == ["wallet.transfer_accepted", "wallet.transfer_sent"]
    assert kinds_of_events(fed.p41) == ["wallet.transfer_accepted", "wallet.transfer_arrived"]
    clean(fed)


# -- refused on arrival -----------------------------------------------------------------------------------


def implausible(fed: Federation, family) -> tuple[str, str]:
    """The relative's instance does not rely on the payer's checks: a message whose relationship contradicts the ID
    numbers (as a payer's instance with other rules could send) is refused there."""
    fed.p23.db.run(lambda s: s.execute(update(OutboxMessage).values(
        body={**fed.p23.outbox()[0].body, "relationship": "child"})))
    return family.mother.id_number, "parent"


@pytest.mark.parametrize("code", ["PERSON_NOT_FOUND", "WALLET_NOT_OPEN", "WALLET_CLOSED", "NOT_ENROLLED",
                                  "WALLET_AMOUNT_LIMIT", "WALLET_TRANSFER_EXPIRED", "RELATIONSHIP_IMPLAUSIBLE"])
def test_hn_9_wal_1_refused_on_arrival_goes_back_to_the_payer(fed, family, code):
    """HN-9, WAL-1, WAL-2, WAL-4: 41 refuses a transfer for a person it does not know, a relative with no wallet or
    a closed one, one no longer insured, an amount above his own region's limit (here lowered to 1,000 yuan), one
    arriving after it was due back, or a relationship the birth dates contradict. No money moves in 41; a
    wallet.refused message goes back and 23 gives the money back to the funds it came from, as split; both show the
    refusal's code and message."""
    payer = family.payer
    total = fed.money()
    beneficiary, relationship = {
        "PERSON_NOT_FOUND": (stranger(), "spouse"),
        "WALLET_NOT_OPEN": (family.son.id_number, "child"),
        "WALLET_CLOSED": (family.wife.id_number, "spouse"),
        "NOT_ENROLLED": (family.wife.id_number, "spouse"),
        "WALLET_AMOUNT_LIMIT": (family.wife.id_number, "spouse"),
        "WALLET_TRANSFER_EXPIRED": (family.wife.id_number, "spouse"),
        "RELATIONSHIP_IMPLAUSIBLE": (family.mother.id_number, "parent"),
    }[code]
    if code == "WALLET_AMOUNT_LIMIT":
        fed.set_limit("41", wallet_transfer_max_fen=100_000)
    if code == "WALLET_CLOSED":  # no service closes a wallet yet: as an operator would
        fed.p41.db.run(lambda s: s.execute(update(Wallet).values(status="closed", closed_at=at(2, 9))))
    if code == "NOT_ENROLLED":
        fed.p41.world.run(lambda s, env: people.change_status(s, env, id_number=family.wife.id_number,
                                                              status="terminated", actor=STAFF))
    row = send(fed, payer, beneficiary, 150_000, relationship=relationship)
    assert funds(fed, payer) == (0, 250_000)
    if code == "RELATIONSHIP_IMPLAUSIBLE":
        implausible(fed, family)
    if code == "WALLET_TRANSFER_EXPIRED":  # the hub was away all night: it arrives at 06:00, when it is due back
        fed.clock.set(at(3, 6))

    fed.pump()
    there = fed.p41.transfer(row.transfer_no)
    assert (there.direction, there.state, there.refusal_code) == ("in", "refused", code)
    assert there.returned_at == fed.clock.now()
    assert (there.arrive_entry_id, there.accept_entry_id, there.return_entry_id) == (None, None, None)
    assert in_transit(fed)[1:] == (0, 0)  # nothing moved in 41
    assert [m.outcome for m in fed.p41.inbox()] == [f"refused {code}"]
    [back] = fed.p41.outbox()
    assert (back.kind, back.destination, back.body["code"]) == ("wallet.refused", "23", code)

    here = fed.p23.transfer(row.transfer_no)
    assert (here.state, here.refusal_code, here.returned_at) == ("refused", code, fed.clock.now())
    assert (here.refusal_zh, here.refusal_en) == (there.refusal_zh, there.refusal_en)
    assert here.refusal_zh and here.refusal_en and here.refusal_zh != here.refusal_en
    assert funds(fed, payer) == (100_000, 300_000)  # back where it came from
    assert in_transit(fed) == (0, 0, 0)
    assert fed.money() == total
    assert kinds_of_events(fed.p23) == ["wallet.transfer_refused", "wallet.transfer_sent"]
    assert kinds_of_events(fed.p41) == ["wallet.transfer_refused"]
    clean(fed)


def test_hn_9_the_refusal_is_told_in_both_languages(fed, family):
    """HN-9: the refusal the payer sees is the relative's instance's own message, in Chinese and English."""
    row = send(fed, family.payer, family.son.id_number, 10_000, relationship="child")
    fed.pump()
    here = fed.p23.transfer(row.transfer_no)
    expected = GongjiError("WALLET_NOT_OPEN", name="王小明")
    assert (here.refusal_zh, here.refusal_en) == (expected.message_zh, expected.message_en)
    assert "王小明" in here.refusal_zh and "wallet" in here.refusal_en


# -- returned at 06:00 the next day ---------------------------------------------------------------------


def test_wal_4_hn_9_not_accepted_by_6_goes_back_through_the_relatives_instance(fed, family):
    """WAL-4, HN-9: not accepted by 06:00 the next day, the transfer is returned by 41's return job (pending back to
    the transit account), a wallet.returned message goes back, and 23 gives it back to the payer's funds as split.
    23's own return job never returns an ``out`` transfer: only 41 knows whether she accepted it."""
    payer, wife = family.payer, family.wife
    total = fed.money()
    row = send(fed, payer, wife.id_number, 150_000)
    fed.pump()
    assert in_transit(fed) == (150_000, -150_000, 150_000)

    fed.clock.set(at(3, 5, 59))
    assert wallet.return_unaccepted(fed.p41.db, fed.p41.env) == 0  # not yet due
    fed.clock.set(at(3, 6))
    assert wallet.return_unaccepted(fed.p23.db, fed.p23.env) == 0  # never the payer's instance
    assert fed.p23.transfer(row.transfer_no).state == "sent"
    refused(fed.p41.world, lambda: accept_in_41(fed, wife, row.transfer_no), "WALLET_TRANSFER_EXPIRED")
    assert wallet.return_unaccepted(fed.p41.db, fed.p41.env) == 1
    there = fed.p41.transfer(row.transfer_no)
    assert (there.state, there.returned_at) == ("returned", at(3, 6))
    assert in_transit(fed) == (150_000, 0, 0)
    assert fed.money() == total
    [back] = fed.p41.outbox()
    assert (back.kind, back.body) == ("wallet.returned", {"transfer_no": row.transfer_no,
                                                          "returned_at": at(3, 6).isoformat()})
    assert wallet.return_unaccepted(fed.p41.db, fed.p41.env) == 0  # once

    fed.pump()
    here = fed.p23.transfer(row.transfer_no)
    assert (here.state, here.returned_at, here.refusal_code) == ("returned", at(3, 6), None)
    assert funds(fed, payer) == (100_000, 300_000)
    assert in_transit(fed) == (0, 0, 0)
    assert wallet_of(fed, wife) == 0
    assert fed.money() == total
    assert wallet.return_unaccepted(fed.p23.db, fed.p23.env) == 0
    clean(fed)


def test_wal_4_hn_9_the_payers_instance_waits_for_the_relatives(fed, family):
    """WAL-4, HN-9: a transfer whose message has not left 23 is not returned there even days after it was due; when
    it arrives in 41 too late it is refused (WALLET_TRANSFER_EXPIRED) and only then does the money go back."""
    payer = family.payer
    row = send(fed, payer, family.wife.id_number, 20_000)
    fed.clock.set(at(5, 9))
    assert wallet.return_unaccepted(fed.p23.db, fed.p23.env) == 0
    assert fed.p23.transfer(row.transfer_no).state == "sent" and funds(fed, payer) == (80_000, 300_000)
    fed.pump()
    assert fed.p23.transfer(row.transfer_no).refusal_code == "WALLET_TRANSFER_EXPIRED"
    assert funds(fed, payer) == (100_000, 300_000)
    clean(fed)


# -- a province the hub does not serve ------------------------------------------------------------------


def test_hn_9_a_province_not_connected_is_refused_by_the_hub(fed, family):
    """HN-9: a transfer to province 44 (Guangdong), which the hub does not serve, is refused by the hub itself
    (PROVINCE_NOT_CONNECTED, naming 44); the payer gets it back; 41 hears nothing."""
    payer = family.payer
    total = fed.money()
    row = send(fed, payer, stranger("440100"), 150_000, province="44", relationship="sibling")
    assert fed.p23.system(OUT, "44") == 150_000
    fed.pump()
    assert [m.outcome for m in fed.hub.inbox()] == ["refused: no province 44"]
    [back] = fed.hub.outbox()
    assert (back.kind, back.source, back.destination, back.body["code"]) == ("wallet.refused", "hub", "23",
                                                                             "PROVINCE_NOT_CONNECTED")
    here = fed.p23.transfer(row.transfer_no)
    assert (here.state, here.refusal_code) == ("refused", "PROVINCE_NOT_CONNECTED")
    assert "44" in here.refusal_zh and "province 44" in here.refusal_en
    assert funds(fed, payer) == (100_000, 300_000)
    assert fed.p23.system(OUT, "44") == 0
    assert fed.p41.inbox() == [] and fed.p41.transfers() == []
    assert fed.money() == total
    clean(fed)


# -- delivered twice, applied once ------------------------------------------------------------------------


def test_hn_9_a_message_delivered_twice_is_applied_once(fed, family):
    """HN-9: a message delivered again (its acknowledgement lost) is answered "duplicate" with the first outcome and
    changes nothing, at the hub and in each province; a transfer sent again under a new message id is not taken in
    twice either."""
    payer, wife = family.payer, family.wife
    total = fed.money()
    row = send(fed, payer, wife.id_number, 30_000)
    fed.pump()
    assert in_transit(fed) == (30_000, -30_000, 30_000)

    def again(instance, message, *, sender, secret):
        envelope = wire.Envelope(message.message_id, message.kind, message.source, message.destination,
                                 message.created_at, message.body).to_json()
        return instance.post_signed(envelope, sender=sender, secret=secret)

    [first] = fed.p23.outbox()
    r = again(fed.hub, first, sender="23", secret=SECRET_23)
    assert r.status_code == 200, r.text
    assert r.json() == {"message_id": first.message_id, "status": "duplicate", "outcome": "forwarded to 41"}
    assert len(fed.hub.outbox()) == 1 and len(fed.hub.inbox()) == 1
    [relayed] = fed.hub.outbox()
    r = again(fed.p41, relayed, sender="hub", secret=SECRET_41)
    assert r.json() == {"message_id": relayed.message_id, "status": "duplicate",
                        "outcome": f"{row.transfer_no} arrived"}
    assert len(fed.p41.transfers()) == 1 and len(fed.p41.inbox()) == 1
    assert in_transit(fed) == (30_000, -30_000, 30_000)

    resent = wire.Envelope("resent-" + relayed.message_id[:20], relayed.kind, relayed.source, relayed.destination,
                           relayed.created_at, relayed.body).to_json()
    r = fed.p41.post_signed(resent, sender="hub", secret=SECRET_41)
    assert (r.json()["status"], r.json()["outcome"]) == ("stored", f"{row.transfer_no} already here (sent)")
    assert len(fed.p41.transfers()) == 1 and in_transit(fed) == (30_000, -30_000, 30_000)

    accept_in_41(fed, wife, row.transfer_no)
    fed.pump()
    answer = next(m for m in fed.hub.outbox() if m.kind == "wallet.accepted")
    r = again(fed.p23, answer, sender="hub", secret=SECRET_23)
    assert r.json()["status"] == "duplicate"
    assert fed.p23.transfer(row.transfer_no).state == "accepted"
    assert wallet_of(fed, wife) == 30_000 and fed.money() == total
    clean(fed)


def test_hn_9_only_the_province_it_was_sent_to_answers_for_a_transfer(fed, family):
    """HN-9: 23 takes an answer about a transfer from the province it was sent to only: an accepted or returned
    message about a transfer to 41 coming from another province is refused (422) and changes nothing; the hub may
    refuse it (a province it does not serve)."""
    payer = family.payer
    row = send(fed, payer, family.wife.id_number, 10_000)
    before = fed.money()
    for source, kind, extra in (("44", "wallet.accepted", {"accepted_at": at(2, 10).isoformat()}),
                                ("23", "wallet.returned", {"returned_at": at(2, 10).isoformat()}),
                                ("hub", "wallet.accepted", {"accepted_at": at(2, 10).isoformat()})):
        forged = {"message_id": f"forged-{source}-{kind}", "kind": kind, "source": source, "destination": "23",
                  "created_at": at(2, 10).isoformat(), "body": {"transfer_no": row.transfer_no, **extra}}
        r = fed.p23.post_signed(forged, sender="hub", secret=SECRET_23)
        assert (r.status_code, r.json()["code"]) == (422, "FEDERATION_MESSAGE_INVALID"), r.text
    assert fed.p23.inbox() == [] and fed.p23.transfer(row.transfer_no).state == "sent"
    assert funds(fed, payer) == (90_000, 300_000) and fed.money() == before
    fed.pump()
    assert fed.p41.transfer(row.transfer_no).state == "sent"


# -- a hop that does not answer ----------------------------------------------------------------------------


def test_hn_9_an_unreachable_hub_delays_delivery_and_loses_nothing(fed, family):
    """HN-9: while the hub does not answer, the messages stay in 23's outbox: each pass counts an attempt, notes the
    error and puts the next try off (doubling, with jitter); the pass does not knock on a door that failed once in
    it. When the hub is back they are delivered, once, and the transfers arrive. The money waits on transit."""
    payer = family.payer
    total = fed.money()
    hub = host_of(HUB_URL)
    fed.router.down.add(hub)
    first = send(fed, payer, family.wife.id_number, 10_000)
    second = send(fed, payer, family.mother.id_number, 20_000, relationship="parent")

    assert fed.deliver(fed.p23) == (0, 2)
    assert fed.router.calls == [(hub, wire.PATH)]  # the second was not tried after the first failed
    rows = fed.p23.outbox()
    assert [m.attempts for m in rows] == [1, 1] and all(m.acked_at is None for m in rows)
    assert "ConnectError" in rows[0].last_error
    assert "did not answer earlier in this pass" in rows[1].last_error
    for m in rows:
        assert timedelta(seconds=0.75) <= m.next_attempt_at - at(2, 10) <= timedelta(seconds=1)
    assert fed.deliver(fed.p23) == (0, 0)  # not due yet: nothing tried
    assert len(fed.router.calls) == 1

    fed.clock.advance(seconds=1)
    assert fed.deliver(fed.p23) == (0, 2)
    for m in fed.p23.outbox():
        assert m.attempts == 2
        assert timedelta(seconds=1.5) <= m.next_attempt_at - at(2, 10, 0, 1) <= timedelta(seconds=2)
    assert fed.p23.system(OUT, "41") == 30_000 and fed.money() == total

    fed.router.down.discard(hub)
    fed.clock.advance(seconds=2)
    fed.pump()
    assert [(m.attempts, m.acked_at, m.last_error) for m in fed.p23.outbox()] == [(3, at(2, 10, 0, 3), None)] * 2
    assert [fed.p41.transfer(t.transfer_no).state for t in (first, second)] == ["sent", "sent"]
    assert len(fed.p41.transfers()) == 2
    assert in_transit(fed) == (30_000, -30_000, 30_000) and fed.money() == total
    clean(fed)


def test_hn_9_the_hub_keeps_what_a_province_does_not_take(fed, family):
    """HN-9: when 41 does not answer, the hub keeps the relayed message and delivers it later; 23's side is done."""
    row = send(fed, family.payer, family.wife.id_number, 10_000)
    fed.router.down.add(host_of(fed.p41.url))
    assert fed.deliver(fed.p23) == (1, 0)
    assert fed.deliver(fed.hub) == (0, 1)
    assert fed.hub.waiting() == 1 and fed.p41.transfers() == []
    fed.router.down.clear()
    fed.clock.advance(seconds=1)
    fed.pump()
    assert fed.p41.transfer(row.transfer_no).state == "sent"


# -- the payer's side: the same rules as for any transfer ---------------------------------------------------


def test_wal_2_hn_9_transfers_to_another_province_count_towards_three_a_day(fed, family):
    """WAL-2, HN-9: transfers sent to another province count towards the payer's three a day, whatever became of
    them (one is refused on arrival); the fourth is refused, and nothing changes; the next day he may send again."""
    payer = family.payer
    send(fed, payer, stranger(), 1_000)  # refused on arrival
    send(fed, payer, family.wife.id_number, 1_000)
    send(fed, payer, family.mother.id_number, 1_000, relationship="parent")
    fed.pump()
    assert sorted(t.state for t in fed.p23.transfers()) == ["refused", "sent", "sent"]
    refused(fed.p23.world, lambda: send(fed, payer, family.wife.id_number, 2_000), "WALLET_DAILY_LIMIT")
    fed.clock.set(at(3, 6))
    assert send(fed, payer, family.wife.id_number, 2_000).state == "sent"


@pytest.mark.parametrize(("when", "allowed"), [((2, 22), False), ((3, 5, 59), False), ((2, 21, 59), True),
                                               ((3, 6), True)])
def test_wal_3_hn_9_no_transfer_to_another_province_at_night(fed, family, when, allowed):
    """WAL-3, HN-9: the quiet hours (22:00–06:00 CST) hold for transfers to another province too; refused at night
    with nothing written, not even a message."""
    fed.clock.set(at(*when))
    thunk = lambda: send(fed, family.payer, family.wife.id_number, 1_000)  # noqa: E731
    if allowed:
        assert thunk().state == "sent" and len(fed.p23.outbox()) == 1
    else:
        refused(fed.p23.world, thunk, "WALLET_QUIET_HOURS")


def test_wal_1_hn_9_the_payers_other_rules_hold_across_provinces(fed, family):
    """WAL-1, WAL-2, N-1, HN-9: more than the payer has, more than 2,000 yuan, himself, a relationship his and the
    relative's ID numbers' birth dates contradict, a resident payer, a bad province code: each refused in 23 with
    its code, nothing written, no message."""
    payer, wife, son = family.payer, family.wife, family.son
    world = fed.p23.world
    poor = world.person("赵穷", current_fen=5_000)
    resident = world.person("钱民", scheme="resident")
    refused(world, lambda: send(fed, poor, wife.id_number, 10_000), "INSUFFICIENT_BALANCE")
    refused(world, lambda: send(fed, payer, wife.id_number, 200_001), "WALLET_AMOUNT_LIMIT")
    refused(world, lambda: send(fed, payer, payer.id_number, 1_000), "SELF_BINDING")
    refused(world, lambda: send(fed, payer, son.id_number, 1_000, relationship="parent"), "RELATIONSHIP_IMPLAUSIBLE")
    refused(world, lambda: send(fed, payer, family.mother.id_number, 1_000, relationship="child"),
            "RELATIONSHIP_IMPLAUSIBLE")
    refused(world, lambda: send(fed, resident, wife.id_number, 1_000), "PAYER_NOT_EMPLOYEE")
    refused(world, lambda: send(fed, payer, wife.id_number[:-1] + "X", 1_000), "INVALID_ID_NUMBER")
    for bad in ("4", "99", "4a", "411", "", 41):
        error = refused(world, lambda bad=bad: send(fed, payer, wife.id_number, 1_000, province=bad), "INVALID_FIELD")
        assert "beneficiary_province" in error.message_en
    # 23 given 23 looks the relative up itself: she is not insured here
    refused(world, lambda: send(fed, payer, wife.id_number, 1_000, province="23"), "PERSON_NOT_FOUND")
    assert fed.p23.outbox() == [] and fed.p23.transfers() == []


def test_hn_9_a_transfer_sent_elsewhere_is_not_accepted_here(fed, family):
    """HN-9: an ``out`` transfer is accepted in the relative's instance only: in 23, WALLET_TRANSFER_ELSEWHERE."""
    row = send(fed, family.payer, family.wife.id_number, 10_000)
    error = refused(fed.p23.world, lambda: fed.p23.world.run(lambda s, env: wallet.accept(
        s, env, transfer_id=row.id, idempotency_key="a-1", actor=STAFF)), "WALLET_TRANSFER_ELSEWHERE")
    assert "41" in error.message_zh


def test_hn_9_a_retried_send_makes_one_transfer_and_one_message(fed, family):
    """HN-9, WAL-1: a send retried with the same idempotency key returns the same transfer; one message only."""
    first = send(fed, family.payer, family.wife.id_number, 10_000, key="once")
    again = send(fed, family.payer, family.wife.id_number, 10_000, key="once")
    assert again.id == first.id and len(fed.p23.transfers()) == 1
    assert len(fed.p23.outbox()) == 1 and funds(fed, family.payer) == (90_000, 300_000)
    with pytest.raises(GongjiError) as info:  # the same key for another request
        send(fed, family.payer, family.wife.id_number, 10_000, key="once", province="44")
    assert info.value.code == "IDEMPOTENCY_KEY_REUSED"


# -- over HTTP ----------------------------------------------------------------------------------------------


def test_hn_9_over_http_send_look_accept_and_see_it_accepted(fed, family):
    """HN-9, WAL-1: over each instance's API: the payer sends with ``beneficiary_province`` (a retry returns the same
    transfer and enqueues one message); in 23 the view is ``out``, the relative is no person of 23 (person_id null)
    and his province is shown; accepting there is WALLET_TRANSFER_ELSEWHERE; in 41 she sees it ``in`` from 23,
    accepts it, and 23 shows it accepted."""
    payer, wife = family.payer, family.wife
    p23, p41 = fed.p23, fed.p41
    body = {"beneficiary_id_number": wife.id_number, "beneficiary_province": "41", "relationship": "spouse",
            "amount_fen": 150_000}
    headers = {**p23.person(payer), "Idempotency-Key": "http-1"}
    r = p23.client.post("/v1/wallet-transfers", json=body, headers=headers)
    assert r.status_code == 201, r.text
    view = r.json()
    assert (view["direction"], view["state"], view["amount_fen"]) == ("out", "sent", 150_000)
    assert (view["current_year_fen"], view["prior_years_fen"]) == (100_000, 50_000)
    assert view["beneficiary"] == {"person_id": None, "name": None, "id_number": mask(wife.id_number),
                                   "province": "41"}
    assert view["payer"]["person_id"] == payer.id
    again = p23.client.post("/v1/wallet-transfers", json=body, headers=headers)
    assert again.json() == view and again.headers["Idempotent-Replayed"] == "true"
    assert len(p23.outbox()) == 1 and funds(fed, payer) == (0, 250_000)

    for province, status, code in (("4", 422, None), ("99", 422, "INVALID_FIELD")):
        r = p23.client.post("/v1/wallet-transfers", json={**body, "beneficiary_province": province},
                            headers={**p23.person(payer), "Idempotency-Key": f"bad-{province}"})
        assert r.status_code == status, r.text
        if code:
            assert r.json()["code"] == code

    staff = p23.staff("S2301", region_prefix="2301")
    transfer_id = view["wallet_transfer_id"]
    r = p23.client.post(f"/v1/wallet-transfers/{transfer_id}/accept", headers={**staff, "Idempotency-Key": "a-1"})
    assert (r.status_code, r.json()["code"]) == (409, "WALLET_TRANSFER_ELSEWHERE")
    r = p23.client.post(f"/v1/wallet-transfers/{transfer_id}/accept",
                        headers={**p23.person(payer), "Idempotency-Key": "a-1"})
    assert r.status_code == 403

    fed.pump()
    arrived = p41.transfer(view["transfer_no"])
    r = p41.client.get(f"/v1/wallet-transfers/{arrived.id}", headers=p41.person(wife))
    assert r.status_code == 200, r.text
    seen = r.json()
    assert (seen["direction"], seen["state"], seen["transfer_no"]) == ("in", "sent", view["transfer_no"])
    assert seen["payer"] == {"person_id": None, "name": "王建国", "id_number": mask(payer.id_number),
                             "province": "23"}
    assert seen["beneficiary"]["person_id"] == wife.id
    assert seen["current_year_fen"] is None and seen["prior_years_fen"] is None
    r = p41.client.post(f"/v1/wallet-transfers/{arrived.id}/accept",
                        headers={**p41.person(wife), "Idempotency-Key": "a-1"})
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "accepted"
    r = p41.client.get(f"/v1/people/{wife.id}/wallet", headers=p41.person(wife))
    assert r.json()["balance_fen"] == 150_000

    fed.pump()
    r = p23.client.get(f"/v1/wallet-transfers/{transfer_id}", headers=p23.person(payer))
    assert (r.json()["state"], r.json()["accepted_at"]) == ("accepted", "2025-06-02T10:00:00+08:00")
    clean(fed)


def test_hn_9_over_http_the_payer_sees_why_it_was_refused(fed, family):
    """HN-9: the payer's view of a transfer refused in 41 carries the refusal: code and both messages."""
    p23 = fed.p23
    r = p23.client.post("/v1/wallet-transfers", json={
        "beneficiary_id_number": family.son.id_number, "beneficiary_province": "41", "relationship": "child",
        "amount_fen": 5_000}, headers={**p23.person(family.payer), "Idempotency-Key": "son-1"})
    assert r.status_code == 201, r.text
    fed.pump()
    r = p23.client.get(f"/v1/wallet-transfers/{r.json()['wallet_transfer_id']}", headers=p23.person(family.payer))
    view = r.json()
    assert view["state"] == "refused"
    assert view["refusal"]["code"] == "WALLET_NOT_OPEN"
    assert "王小明" in view["refusal"]["message_zh"] and "wallet" in view["refusal"]["message_en"]
    assert funds(fed, family.payer) == (100_000, 300_000)


def test_hn_9_a_relative_of_41_is_not_a_person_of_23(fed, family):
    """HN-9: without ``beneficiary_province`` the relative is looked up in 23, where she is not insured."""
    refused(fed.p23.world, lambda: send(fed, family.payer, family.wife.id_number, 1_000, province=None),
            "PERSON_NOT_FOUND")

