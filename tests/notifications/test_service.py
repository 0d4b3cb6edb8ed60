"""Reading and delivering notifications (HZ-4, N-9), on both databases.

People list their own notifications and mark them read, never someone else's. The worker delivers
each notification once to a sender that works, retries one that failed after a growing wait (never
giving up), and leaves rows another worker holds alone.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import update

from gongji.errors import GongjiError
from gongji.notifications import service as notifications
from gongji.notifications.models import Notification
from gongji.notifications.senders import OutgoingMessage
from tests.factories import snapshot
from tests.notifications.conftest import RecordingSender, outbox


@pytest.fixture
def paid(world, couple):
    """The couple bound, and three of the wife's bills paid in part from his account: 8 notifications."""
    payer, wife = couple
    world.bind(payer, wife)
    for amount in (1_500, 2_000, 2_500):  # her own 1000 fen go first, then his account
        world.settle(wife, amount)
    return payer, wife


def page(world, person, **kwargs):
    return world.db.read(lambda s: notifications.list_for(s, person_id=person.id, **kwargs))


def mark(world, person, notification_id):
    return world.run(lambda s, env: notifications.mark_read(s, env, person_id=person.id,
                                                            notification_id=notification_id))


def deliver(world, sender, **kwargs) -> notifications.DeliveryCounts:
    return notifications.deliver_due(world.db, world.env, sender, **kwargs)


# -- reading -----------------------------------------------------------------------------------


def test_n_9_people_list_their_own_notifications_newest_first(world, paid):
    payer, wife = paid
    mine = page(world, payer)
    assert (mine.total, mine.limit, mine.offset) == (4, 20, 0)
    assert [v.kind for v in mine.items] == ["mutual_aid.paid"] * 3 + ["binding.created"]
    assert [v.id for v in mine.items] == sorted((v.id for v in mine.items), reverse=True)
    assert {n.id for n in outbox(world) if n.person_id == payer.id} == {v.id for v in mine.items}
    newest = mine.items[0]
    assert (newest.language, newest.delivered, newest.read_at) == ("zh", False, None)
    # PP-2: with what his account (500 yuan) holds after the three payments (5 + 20 + 25 yuan)
    assert newest.body == "您的医保个人账户为 王秀英 支付门诊费用 25.00 元（哈尔滨市第一医院）。支付后账户余额 450.00 元。"
    english = page(world, wife, language="en", limit=2, offset=1)
    assert (english.total, len(english.items)) == (4, 2)
    assert english.items[0].body == "张建国's medical account paid 20.00 yuan for your outpatient care at 哈尔滨市第一医院."


def test_n_9_listing_refuses_bad_paging_and_languages(world, paid):
    payer, _ = paid
    for kwargs in ({"limit": 0}, {"limit": 201}, {"offset": -1}, {"limit": True}, {"language": "fr"}):
        with pytest.raises(GongjiError) as info:
            page(world, payer, **kwargs)
        assert info.value.code == "INVALID_FIELD"


def test_n_9_marking_read_is_for_ones_own_notifications_only(world, paid, clock):
    payer, wife = paid
    [first, *_] = page(world, payer).items
    clock.advance(minutes=5)
    view = mark(world, payer, first.id)
    assert view.read_at == clock.now() and view.id == first.id
    clock.advance(minutes=5)
    assert mark(world, payer, first.id).read_at == view.read_at  # the first reading stays
    unread = page(world, payer, unread_only=True)
    assert unread.total == 3 and first.id not in {v.id for v in unread.items}
    assert world.db.read(lambda s: notifications.unread_count(s, person_id=payer.id)) == 3

    before = snapshot(world)
    for person, notification_id in ((wife, first.id), (payer, 10_000)):
        with pytest.raises(GongjiError) as info:
            mark(world, person, notification_id)
        assert (info.value.code, info.value.status) == ("NOTIFICATION_NOT_FOUND", 404)
        assert str(notification_id) in info.value.message_zh
    assert snapshot(world) == before
    with pytest.raises(GongjiError) as info:
        mark(world, payer, "1")
    assert info.value.code == "INVALID_FIELD"

    assert world.run(lambda s, env: notifications.mark_all_read(s, env, person_id=wife.id)) == 4
    assert page(world, wife, unread_only=True).total == 0 and page(world, payer, unread_only=True).total == 3


# -- delivering ------------------------------------------------------------------------------------


def test_n_9_each_notification_is_delivered_once(world, paid, clock):
    payer, wife = paid
    sender = RecordingSender()
    counts = deliver(world, sender, batch=5)
    assert (counts.claimed, counts.delivered, counts.failed) == (5, 5, 0)
    counts = deliver(world, sender, batch=5)
    assert (counts.claimed, counts.delivered, counts.failed) == (3, 3, 0)
    assert deliver(world, sender).claimed == 0
    rows = outbox(world)
    assert sorted(m.notification_id for m in sender.sent) == [n.id for n in rows]
    assert {(n.status, n.attempts, n.delivered_at, n.lease_until) for n in rows} == {
        ("delivered", 1, clock.now(), None)}
    to_payer = [m for m in sender.sent if m.person_id == payer.id]
    assert {m.phone for m in to_payer} == {"13812345678"} and {m.language for m in to_payer} == {"zh"}
    assert {m.phone for m in sender.sent if m.person_id == wife.id} == {None}
    assert all(m.dedup_key == f"gongji-notification-{m.notification_id}" for m in sender.sent)
    assert page(world, payer).items[0].delivered is True


def test_n_9_failed_delivery_is_retried_later_until_it_succeeds(world, paid, clock):
    """A failing sender: each failure counts, waits longer (15 s, 30 s, 60 s), and the message goes out at last."""
    sender = RecordingSender(failures=3, error="gateway 13812345678 refused 张建国 at ops@example.org")
    world.db.run(lambda s: s.execute(update(Notification).where(Notification.id > 1).values(status="delivered")))
    start = clock.now()
    counts = deliver(world, sender)
    assert (counts.claimed, counts.delivered, counts.failed) == (1, 0, 1)
    [row] = [n for n in outbox(world) if n.status == "pending"]
    assert (row.attempts, row.next_attempt_at, row.lease_until) == (1, start + timedelta(seconds=15), None)
    assert row.last_error.startswith("ConnectionError: gateway")
    for private in ("13812345678", "张建国", "ops@example.org"):
        assert private not in row.last_error

    assert deliver(world, sender).claimed == 0  # not yet due
    clock.advance(seconds=15)
    assert deliver(world, sender).failed == 1
    assert outbox(world)[0].next_attempt_at == clock.now() + timedelta(seconds=30)
    clock.advance(seconds=30)
    assert deliver(world, sender).failed == 1
    assert outbox(world)[0].next_attempt_at == clock.now() + timedelta(seconds=60)
    clock.advance(seconds=59)
    assert deliver(world, sender).claimed == 0
    clock.advance(seconds=1)
    counts = deliver(world, sender)
    assert (counts.delivered, counts.failed) == (1, 0)
    assert [m.notification_id for m in sender.sent] == [row.id]
    [row] = [n for n in outbox(world) if n.id == row.id]
    assert (row.status, row.attempts, row.delivered_at) == ("delivered", 4, clock.now())


def test_n_9_backoff_doubles_up_to_an_hour_and_never_gives_up():
    delays = [notifications.retry_delay(n).total_seconds() for n in range(1, 12)]
    assert delays[:5] == [15, 30, 60, 120, 240]
    assert max(delays) == 3600 and delays[-1] == 3600
    assert notifications.retry_delay(10_000) == timedelta(hours=1)


def test_n_9_a_claimed_row_is_left_alone_until_its_lease_runs_out(world, paid, clock):
    """A second worker, running while the first is sending, finds nothing to take (both databases)."""
    second = RecordingSender()
    seen_by_second: list[int] = []

    class SecondWorkerMeanwhile(RecordingSender):
        def send(self, message: OutgoingMessage) -> None:
            if not seen_by_second:
                seen_by_second.append(deliver(world, second).claimed)
            super().send(message)

    first = SecondWorkerMeanwhile()
    assert deliver(world, first, batch=3, lease_s=60).delivered == 3
    assert seen_by_second == [5]  # the rows outside the first worker's batch
    assert not {m.notification_id for m in first.sent} & {m.notification_id for m in second.sent}
    assert len(first.sent) + len(second.sent) == 8


def test_n_9_a_crashed_workers_rows_are_taken_after_the_lease(world, paid, clock):
    """Rows claimed by a worker that never came back wait for the lease, then go to the next worker."""
    world.db.run(lambda s: notifications._claim(s, world.env, batch=100, lease_s=60, language="zh"))
    sender = RecordingSender()
    assert deliver(world, sender).claimed == 0
    clock.advance(seconds=59)
    assert deliver(world, sender).claimed == 0
    clock.advance(seconds=1)
    assert deliver(world, sender).delivered == 8


def test_n_9_second_worker_skips_rows_locked_by_a_claim_in_progress(world, paid, db):
    """PostgreSQL: FOR UPDATE SKIP LOCKED. While one worker's claim transaction is open, another worker
    takes the other rows at once instead of waiting for (and then repeating) the first one's."""
    if db.dialect != "postgresql":
        pytest.skip("SQLite writers queue at BEGIN IMMEDIATE; there is no row lock to skip")
    sender = RecordingSender()
    result: list[notifications.DeliveryCounts] = []
    with db.session() as session:
        claimed = notifications._claim(session, world.env, batch=3, lease_s=60, language="zh")
        other = threading.Thread(target=lambda: result.append(deliver(world, sender)))
        other.start()
        other.join(timeout=10)
        assert not other.is_alive(), "the second worker waited on the first one's rows"
    assert result[0].claimed == 5
    assert not {m.notification_id for m in claimed} & {m.notification_id for m in sender.sent}


def test_n_9_a_stopping_worker_gives_back_what_it_did_not_send(world, paid):
    stop = threading.Event()

    class StopAfterOne(RecordingSender):
        def send(self, message: OutgoingMessage) -> None:
            super().send(message)
            stop.set()

    counts = deliver(world, StopAfterOne(), stop=stop)
    assert (counts.claimed, counts.delivered) == (8, 1)
    rows = outbox(world)
    assert sum(n.status == "delivered" for n in rows) == 1
    assert {n.lease_until for n in rows} == {None}
    assert deliver(world, RecordingSender()).delivered == 7


def test_n_9_a_worker_whose_lease_ran_out_stops_sending(world, paid):
    """A batch that takes longer than its lease is cut short: another worker may hold those rows by now."""

    class Slow(RecordingSender):
        def send(self, message: OutgoingMessage) -> None:
            time.sleep(0.6)
            super().send(message)

    counts = deliver(world, Slow(), lease_s=0.5)
    assert (counts.claimed, counts.delivered) == (8, 1)


def test_n_9_worker_in_a_thread_delivers_and_stops(world, paid):
    sender = RecordingSender()
    thread, stop = notifications.start_in_thread(world.db, world.env, sender, poll_s=0.02, batch=3)
    deadline = time.monotonic() + 10
    while len(sender.sent) < 8 and time.monotonic() < deadline:
        time.sleep(0.02)
    stop.set()
    thread.join(timeout=10)
    assert not thread.is_alive() and thread.daemon
    assert len(sender.sent) == 8 == len({m.notification_id for m in sender.sent})
    assert world.db.read(notifications.pending_count) == 0


def test_n_9_worker_survives_a_failing_pass(world, paid, monkeypatch):
    """An error outside the sender (here: the database going away for a moment) is logged; the worker goes on."""
    calls = []
    original = notifications.deliver_due

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database restarting")
        if len(calls) == 3:
            kwargs["stop"].set()
        return original(*args, **kwargs)

    monkeypatch.setattr(notifications, "deliver_due", flaky)
    total = notifications.run_worker(world.db, world.env, RecordingSender(), stop=threading.Event(), poll_s=0.01)
    assert len(calls) == 3 and total.delivered == 8


def test_purge_removes_old_read_deliveries_only(world, paid, clock):
    payer, wife = paid
    deliver(world, RecordingSender())
    world.run(lambda s, env: notifications.mark_all_read(s, env, person_id=payer.id))
    clock.advance(days=366)
    assert world.run(lambda s, env: notifications.purge_delivered(s, env)) == 4
    assert {n.person_id for n in outbox(world)} == {wife.id}
