"""Notifications as people read them, and the worker that delivers them (HZ-4, N-9).

Reading: :func:`list_for` (a person's own notifications, newest first, in Chinese or English),
:func:`mark_read`, :func:`mark_all_read`, :func:`unread_count`. These take a ``session`` and only
flush, like every service.

Delivering: :func:`deliver_due` is the worker's one pass. It does not run inside one transaction,
because sending is a side effect that a rolled-back transaction cannot take back:

1. a short transaction claims due rows (``pending``, ``next_attempt_at`` passed, no live lease) by
   setting ``lease_until``; on PostgreSQL with ``FOR UPDATE SKIP LOCKED``, so several workers share
   the work without waiting on each other (on SQLite the write lock taken at ``BEGIN IMMEDIATE``
   does the same);
2. for each message: send it, then mark it delivered at once in its own short transaction. A
   crash between the two repeats only that one message (at least once, with a stable
   deduplication key for the receiver);
3. a send that fails records the attempt, a short error text without personal data, and the next
   attempt after an exponential backoff capped at an hour. Nothing is ever given up.

A crashed worker's claimed rows wait until their lease runs out, then any worker takes them.
:func:`run_worker` repeats passes until told to stop; :func:`start_in_thread` runs it beside the web
server.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from gongji.db import Database
from gongji.db.dialect import for_update
from gongji.env import Env
from gongji.errors import GongjiError
from gongji.inputs import check_id
from gongji.notifications.messages import check_language, render_all
from gongji.notifications.models import Notification
from gongji.notifications.senders import OutgoingMessage, Sender
from gongji.people.models import Person
from gongji.records.service import Page, check_paging

log = logging.getLogger(__name__)

PENDING, DELIVERED = "pending", "delivered"
#: The first retry waits this long; each further failure doubles the wait, up to :data:`MAX_RETRY_DELAY`.
FIRST_RETRY_DELAY = timedelta(seconds=15)
MAX_RETRY_DELAY = timedelta(hours=1)
MAX_ERROR_LENGTH = 200


# -- what people read ---------------------------------------------------------------------------


@dataclass(frozen=True)
class NotificationView:
    """One notification as its person sees it, in the language asked for."""

    id: int
    kind: str
    created_at: datetime
    read_at: datetime | None
    delivered: bool
    language: str
    title: str
    body: str


def _views(session: Session, rows: list[Notification], language: str) -> list[NotificationView]:
    texts = render_all(session, rows, language=language)
    return [
        NotificationView(id=row.id, kind=row.kind, created_at=row.created_at, read_at=row.read_at,
                         delivered=row.status == DELIVERED, language=language, title=text.title, body=text.body)
        for row, text in zip(rows, texts, strict=True)
    ]


def list_for(session: Session, *, person_id: int, language: str = "zh", limit: int = 20, offset: int = 0,
             unread_only: bool = False) -> Page[NotificationView]:
    """The person's own notifications, newest first, worded for him in ``language`` (``zh`` or ``en``)."""
    check_id(person_id, field="person_id")
    language = check_language(language)
    check_paging(limit, offset)
    condition = [Notification.person_id == person_id]
    if unread_only:
        condition.append(Notification.read_at.is_(None))
    total = session.execute(select(func.count()).select_from(Notification).where(*condition)).scalar_one()
    rows = list(session.execute(
        select(Notification).where(*condition).order_by(Notification.id.desc()).limit(limit).offset(offset)
    ).scalars())
    return Page(items=_views(session, rows, language), total=total, limit=limit, offset=offset)


def unread_count(session: Session, *, person_id: int) -> int:
    check_id(person_id, field="person_id")
    return session.execute(
        select(func.count()).select_from(Notification)
        .where(Notification.person_id == person_id, Notification.read_at.is_(None))
    ).scalar_one()


def mark_read(session: Session, env: Env, *, person_id: int, notification_id: int,
              language: str = "zh") -> NotificationView:
    """Mark one of the person's own notifications read (again: the first time read stays).

    Someone else's notification is refused exactly like one that does not exist (NOTIFICATION_NOT_FOUND),
    so the answer does not tell whether a number is in use.
    """
    check_id(person_id, field="person_id")
    language = check_language(language)
    notification_id_ = check_id(notification_id, field="notification_id")
    row = session.get(Notification, notification_id_)
    if row is None or row.person_id != person_id:
        raise GongjiError("NOTIFICATION_NOT_FOUND", notification_id=notification_id_)
    if row.read_at is None:
        row.read_at = env.now()
        session.flush()
    return _views(session, [row], language)[0]


def mark_all_read(session: Session, env: Env, *, person_id: int) -> int:
    """Mark all the person's unread notifications read; how many were unread."""
    check_id(person_id, field="person_id")
    result = session.execute(
        update(Notification).where(Notification.person_id == person_id, Notification.read_at.is_(None))
        .values(read_at=env.now()).execution_options(synchronize_session=False)
    )
    return result.rowcount


# -- delivery -----------------------------------------------------------------------------------


@dataclass
class DeliveryCounts:
    claimed: int = 0
    delivered: int = 0
    failed: int = 0

    def add(self, other: DeliveryCounts) -> None:
        self.claimed += other.claimed
        self.delivered += other.delivered
        self.failed += other.failed


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failure: 15 s, 30 s, 1 min, ... never more than an hour."""
    if attempts < 1:
        return FIRST_RETRY_DELAY
    return min(MAX_RETRY_DELAY, FIRST_RETRY_DELAY * 2 ** min(attempts - 1, 16))


_DIGITS = re.compile(r"[0-9Xx*]{6,}")
_NOT_ASCII = re.compile(r"[^\x20-\x7e]+")
_ADDRESS = re.compile(r"[\w.+-]+@[\w.-]+")


def describe_error(error: BaseException) -> str:
    """A short, safe text of a failure for ``last_error``: no phone or ID numbers, no addresses, no names."""
    text = f"{type(error).__name__}: {error}"
    text = _ADDRESS.sub("<address>", text)
    text = _DIGITS.sub("<number>", text)
    text = _NOT_ASCII.sub("?", text)
    return text[:MAX_ERROR_LENGTH]


def _claim(session: Session, env: Env, *, batch: int, lease_s: float, language: str) -> list[OutgoingMessage]:
    now = env.now()
    query = (
        select(Notification)
        .where(Notification.status == PENDING, Notification.next_attempt_at <= now,
               or_(Notification.lease_until.is_(None), Notification.lease_until <= now))
        .order_by(Notification.next_attempt_at, Notification.id)
        .limit(batch)
    )
    query = for_update(session, query, skip_locked=True)
    rows = list(session.execute(query).scalars())
    if not rows:
        return []
    until = now + timedelta(seconds=lease_s)
    session.execute(
        update(Notification).where(Notification.id.in_([r.id for r in rows])).values(lease_until=until)
        .execution_options(synchronize_session=False)
    )
    texts = render_all(session, rows, language=language)
    phones = dict(session.execute(
        select(Person.id, Person.phone).where(Person.id.in_({r.person_id for r in rows}))
    ).all())
    return [
        OutgoingMessage(notification_id=row.id, person_id=row.person_id, phone=phones.get(row.person_id),
                        language=language, title=text.title, body=text.body, kind=row.kind,
                        created_at=row.created_at)
        for row, text in zip(rows, texts, strict=True)
    ]


def _mark_delivered(session: Session, env: Env, notification_id: int) -> None:
    session.execute(
        update(Notification).where(Notification.id == notification_id, Notification.status == PENDING)
        .values(status=DELIVERED, delivered_at=env.now(), lease_until=None, attempts=Notification.attempts + 1)
        .execution_options(synchronize_session=False)
    )


def _mark_failed(session: Session, env: Env, notification_id: int, error: str) -> None:
    row = session.get(Notification, notification_id)
    if row is None or row.status != PENDING:
        return
    row.attempts += 1
    row.last_error = error
    row.next_attempt_at = env.now() + retry_delay(row.attempts)
    row.lease_until = None
    session.flush()


def _release(session: Session, ids: list[int]) -> None:
    """Give back claimed rows not sent (the worker is stopping), for any worker to take at once."""
    session.execute(
        update(Notification).where(Notification.id.in_(ids), Notification.status == PENDING)
        .values(lease_until=None).execution_options(synchronize_session=False)
    )


def deliver_due(db: Database, env: Env, sender: Sender, *, batch: int = 100, lease_s: float = 60,
                language: str = "zh", stop: threading.Event | None = None) -> DeliveryCounts:
    """One pass: claim up to ``batch`` due notifications, then send and mark them one by one.

    Stops early, leaving the rest for later, if ``stop`` is set (the rows are given back) or if the
    lease ran out while sending (another worker may have them by now).
    """
    if batch < 1 or lease_s <= 0:
        raise ValueError("batch and lease_s must be positive")
    language = check_language(language)
    counts = DeliveryCounts()
    claimed_at = time.monotonic()
    messages = db.run(lambda s: _claim(s, env, batch=batch, lease_s=lease_s, language=language))
    counts.claimed = len(messages)
    for index, message in enumerate(messages):
        if stop is not None and stop.is_set():
            rest = [m.notification_id for m in messages[index:]]
            db.run(lambda s, rest=rest: _release(s, rest))
            break
        if time.monotonic() - claimed_at >= lease_s:
            log.warning("notification lease of %.0f s ran out after %d of %d messages", lease_s, index, len(messages))
            break
        try:
            sender.send(message)
        except Exception as exc:  # any failure of the sender: try again later
            error = describe_error(exc)
            log.warning("notification %d not delivered: %s", message.notification_id, error)
            db.run(lambda s, nid=message.notification_id, error=error: _mark_failed(s, env, nid, error))
            counts.failed += 1
            continue
        db.run(lambda s, nid=message.notification_id: _mark_delivered(s, env, nid))
        counts.delivered += 1
    return counts


def pending_count(session: Session) -> int:
    return session.execute(
        select(func.count()).select_from(Notification).where(Notification.status == PENDING)
    ).scalar_one()


def run_worker(db: Database, env: Env, sender: Sender, *, stop: threading.Event, poll_s: float = 1.0,
               batch: int = 100, lease_s: float = 60, language: str = "zh") -> DeliveryCounts:
    """Deliver until ``stop`` is set: a full batch is followed at once by the next, else wait ``poll_s``.

    A database that cannot be reached is logged and tried again after ``poll_s``; the worker keeps going.
    Settings that can never work (a language, a batch size) are refused before the first pass.
    """
    language = check_language(language)
    if batch < 1 or lease_s <= 0 or poll_s <= 0:
        raise ValueError("batch, lease_s and poll_s must be positive")
    total = DeliveryCounts()
    while not stop.is_set():
        try:
            counts = deliver_due(db, env, sender, batch=batch, lease_s=lease_s, language=language, stop=stop)
        except Exception:
            log.exception("notification worker pass failed; trying again in %.1f s", poll_s)
            stop.wait(poll_s)
            continue
        total.add(counts)
        if counts.claimed < batch or counts.failed:
            stop.wait(poll_s)
    return total


def start_in_thread(db: Database, env: Env, sender: Sender, *, poll_s: float = 1.0, batch: int = 100,
                    lease_s: float = 60, language: str = "zh") -> tuple[threading.Thread, threading.Event]:
    """Run a worker in a background thread (for the web server). Set the event and join the thread to stop it."""
    stop = threading.Event()
    thread = threading.Thread(
        target=run_worker, name="gongji-notifications", daemon=True,
        kwargs={"db": db, "env": env, "sender": sender, "stop": stop, "poll_s": poll_s, "batch": batch,
                "lease_s": lease_s, "language": language},
    )
    thread.start()
    return thread, stop


def purge_delivered(session: Session, env: Env, *, older_than: timedelta = timedelta(days=365)) -> int:
    """Delete delivered notifications that were read, delivered more than ``older_than`` ago; how many.

    The events they came from stay: the audit trail is the events table, not the outbox.
    """
    cutoff = env.now() - older_than
    result = session.execute(
        delete(Notification).where(Notification.status == DELIVERED, Notification.delivered_at < cutoff,
                                   Notification.read_at.is_not(None))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount
