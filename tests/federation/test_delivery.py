"""The outbox's delivery (HN-9): a message is claimed by one pass at a time, tried again after a growing pause that
is capped, kept whatever the next hop answers until it acknowledges, and counted in the status."""

from __future__ import annotations

import dataclasses
import threading
from datetime import timedelta

import pytest

from gongji.errors import GongjiError
from gongji.federation import service
from tests.federation.conftest import Federation, send


def waiting_ids(instance) -> list[int]:
    return [m.id for m in instance.outbox() if m.acked_at is None]


def test_hn_9_a_claimed_message_is_not_claimed_again(fed, family):
    """HN-9: a pass claims what waits for CLAIM_S seconds: a second pass meanwhile gets nothing (and so sends nothing
    twice); once the claim has lapsed (its pass died) the message is claimed again."""
    row = send(fed, family.payer, family.wife.id_number, 1_000)
    [(row_id, destination, envelope)] = service._claim(fed.p23.db, fed.p23.env)
    [message] = fed.p23.outbox()
    assert (row_id, destination) == (message.id, "41")
    assert (envelope["message_id"], envelope["kind"], envelope["body"]["transfer_no"]) == (
        message.message_id, "wallet.transfer", row.transfer_no)
    assert message.next_attempt_at == fed.clock.now() + timedelta(seconds=service.CLAIM_S)
    assert service._claim(fed.p23.db, fed.p23.env) == []
    assert fed.deliver(fed.p23) == (0, 0) and fed.router.calls == []  # another pass sends nothing
    fed.clock.advance(seconds=service.CLAIM_S)
    assert [c[0] for c in service._claim(fed.p23.db, fed.p23.env)] == [row_id]


def test_hn_9_two_passes_at_once_claim_each_message_once(fed, family):
    """HN-9: two passes claiming at the same moment (two server processes) share the waiting messages without
    overlap: whichever way they interleave, each message is claimed by exactly one."""
    second = fed.p23.world.person("张伟", current_fen=100_000)
    for payer in (family.payer, second):  # three a day each (WAL-2)
        send(fed, payer, family.wife.id_number, 1_000)
        send(fed, payer, family.mother.id_number, 2_000, relationship="parent")
        send(fed, payer, family.wife.id_number, 3_000)
    assert len(waiting_ids(fed.p23)) == 6
    expected = waiting_ids(fed.p23)
    start = threading.Barrier(2)
    claimed: list[list[int]] = []

    def claim() -> None:
        start.wait()
        claimed.append([c[0] for c in service._claim(fed.p23.db, fed.p23.env)])

    threads = [threading.Thread(target=claim) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(claimed[0] + claimed[1]) == expected
    assert not set(claimed[0]) & set(claimed[1])



def test_hn_9_a_pass_does_not_take_a_message_claimed_after_it_read_it(fed, family, monkeypatch):
    """HN-9: pass A reads the waiting message; before A claims it, pass B (another process) reads and claims it. A's
    claim is conditional on the message being as it read it, so A takes nothing: one pass sends it. (On SQLite one
    writer at a time: B runs after A and finds it claimed.)"""
    send(fed, family.payer, family.wife.id_number, 1_000)
    db, env = fed.p23.db, fed.p23.env
    postgres = db.engine.dialect.name == "postgresql"
    real_update = service.update
    other: list = []
    threads: list[threading.Thread] = []

    def update_after_another_pass(table):
        if not threads:  # A has read; now B runs a whole claim
            threads.append(threading.Thread(target=lambda: other.extend(service._claim(db, env))))
            threads[0].start()
            if postgres:
                threads[0].join()
        return real_update(table)

    monkeypatch.setattr(service, "update", update_after_another_pass)
    mine = service._claim(db, env)
    threads[0].join()
    assert len(mine) + len(other) == 1
    if postgres:
        assert mine == [] and len(other) == 1

def test_hn_9_the_pause_doubles_and_is_capped(monkeypatch):
    """HN-9: after n failed tries the next waits 2**(n-1) seconds up to max_backoff_s, less up to a quarter of jitter
    (so that senders do not come back all at once); it never overflows however many tries failed."""
    from gongji.federation.config import parse

    config = parse({"role": "province", "province": "23", "hub_url": "http://hub:1", "secret": "s" * 16,
                    "max_backoff_s": 60})
    monkeypatch.setattr(service.random, "uniform", lambda low, high: high)
    assert [service.backoff_s(n, config) for n in range(1, 10)] == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert service.backoff_s(10_000, config) == 60
    monkeypatch.setattr(service.random, "uniform", lambda low, high: low)
    assert [service.backoff_s(n, config) for n in (1, 3, 7, 10_000)] == [0.75, 3.0, 45.0, 45.0]
    monkeypatch.undo()
    short = dataclasses.replace(config, max_backoff_s=5.0)
    for n in range(1, 40):
        pause = service.backoff_s(n, short)
        assert 0.75 * min(5.0, 2 ** (n - 1)) <= pause <= min(5.0, 2 ** (n - 1))


def test_hn_9_a_message_failing_for_ever_is_kept_and_tried_at_most_every_max_backoff(fed: Federation, family):
    """HN-9: a message whose next hop never answers is never dropped; its attempts count up and the pause between
    tries stays within max_backoff_s (here 4 s)."""
    fed.p23.env.federation = dataclasses.replace(fed.p23.env.federation, max_backoff_s=4.0)
    send(fed, family.payer, family.wife.id_number, 1_000)
    fed.router.down.add("hub.test:8300")
    for attempt in range(1, 9):
        assert fed.deliver(fed.p23) == (0, 1)
        [message] = fed.p23.outbox()
        pause = message.next_attempt_at - fed.clock.now()
        assert message.attempts == attempt and message.acked_at is None
        assert timedelta(0) < pause <= timedelta(seconds=min(4.0, 2 ** (attempt - 1)))
        fed.clock.advance(seconds=4)
    assert len(fed.router.calls) == 8
    fed.router.down.clear()
    fed.pump()
    assert fed.p23.outbox()[0].attempts == 9


def test_hn_9_a_refusing_next_hop_keeps_the_message_with_its_answer(fed, family):
    """HN-9: a next hop that answers anything but 200 (here 41 refusing an answer about a transfer it never sent)
    has not acknowledged: the message stays, with the answer as its last error."""
    fed.hub.db.run(lambda s: service.enqueue(s, fed.hub.env, kind="wallet.accepted", destination="41", source="23",
                                             body={"transfer_no": "230100-nothing",
                                                   "accepted_at": "2025-06-02T10:00:00+08:00"}))
    assert fed.deliver(fed.hub) == (0, 1)
    [message] = fed.hub.outbox()
    assert message.acked_at is None and message.attempts == 1
    assert message.last_error.startswith("DeliveryFailed: HTTP 422") and "FEDERATION_MESSAGE_INVALID" in \
        message.last_error
    assert fed.p41.inbox() == []


def test_hn_9_a_message_refused_by_the_next_hop_does_not_hold_up_the_others(fed, family):
    """HN-9: a next hop that answered 4xx to one message is still up: the messages after it in the same pass are
    delivered (only a hop that does not answer, or answers 5xx, is left alone for the rest of the pass)."""
    fed.hub.db.run(lambda s: service.enqueue(s, fed.hub.env, kind="wallet.accepted", destination="41", source="23",
                                             body={"transfer_no": "230100-nothing",
                                                   "accepted_at": "2025-06-02T10:00:00+08:00"}))
    send(fed, family.payer, family.wife.id_number, 1_000)
    assert fed.deliver(fed.p23) == (1, 0)  # the transfer is at the hub, behind the bad message
    assert fed.deliver(fed.hub) == (1, 1)
    assert [m.kind for m in fed.p41.inbox()] == ["wallet.transfer"]


def test_hn_9_a_destination_with_no_route_is_kept(fed):
    """HN-9: a message for a province the hub no longer serves (its settings changed) is kept, "no route", not lost."""
    fed.hub.db.run(lambda s: service.enqueue(s, fed.hub.env, kind="wallet.accepted", destination="44", source="23",
                                             body={"transfer_no": "x", "accepted_at": "2025-06-02T10:00:00+08:00"}))
    assert fed.deliver(fed.hub) == (0, 1)
    [message] = fed.hub.outbox()
    assert (message.acked_at, message.attempts, message.last_error) == (None, 1, "no route to 44")
    assert fed.router.calls == []


def test_hn_9_the_status_counts_waiting_acknowledged_and_received(fed, family):
    """HN-9: the status shows how many messages wait (and since when, and the most attempts), how many were
    acknowledged, how many were received."""
    def status(instance):
        return instance.db.read(service.status)

    assert status(fed.p23) == service.Status(0, None, 0, 0, 0)
    send(fed, family.payer, family.wife.id_number, 1_000)
    assert status(fed.p23) == service.Status(1, fed.clock.now(), 0, 0, 0)
    fed.router.down.add("hub.test:8300")
    fed.deliver(fed.p23)
    assert status(fed.p23).most_attempts == 1
    fed.router.down.clear()
    fed.clock.advance(seconds=1)
    fed.pump()
    assert status(fed.p23) == service.Status(0, None, 0, 1, 0)
    assert status(fed.hub) == service.Status(0, None, 0, 1, 1)
    assert status(fed.p41) == service.Status(0, None, 0, 0, 1)
    assert status(fed.p41).to_json() == {"waiting": 0, "acknowledged": 0, "received": 1, "most_attempts": 0,
                                         "oldest_waiting_at": None}


def test_hn_9_no_federation_no_messages(fed):
    """HN-9: an instance without federation settings neither enqueues nor delivers: FEDERATION_NOT_CONFIGURED."""
    fed.p23.env.federation = None
    with pytest.raises(GongjiError) as info:
        fed.p23.db.run(lambda s: service.enqueue(s, fed.p23.env, kind="wallet.accepted", destination="41",
                                                 body={"transfer_no": "x", "accepted_at": "x"}))
    assert info.value.code == "FEDERATION_NOT_CONFIGURED"
    with pytest.raises(GongjiError) as info:
        fed.deliver(fed.p23)
    assert info.value.code == "FEDERATION_NOT_CONFIGURED"
    assert fed.p23.outbox() == []
