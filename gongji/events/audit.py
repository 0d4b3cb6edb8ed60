"""The audit trail: every event sealed into a hash chain, and the check that finds what was changed since.

The hot paths write their events exactly as before (:mod:`gongji.events.service`), in their own transactions and
without any lock of the trail's: a settlement never waits for the audit. Sealing comes after, in the background:

* :func:`seal` takes the events not yet in ``audit_chain`` in the order of their ids and appends a link for each:
  ``seq`` (1, 2, 3, … without gaps), the event's id, and ``hash = sha256(previous hash ‖ canonical JSON of the
  event's every column)`` (:func:`link_hash`; the first link's previous hash is :data:`GENESIS`). An event that
  commits late with a lower id than some already sealed (PostgreSQL draws ids before commit) simply gets a later
  ``seq``. One sealer at a time: on PostgreSQL a transaction-scoped advisory lock, on SQLite the one writer; the
  primary key on ``seq`` would refuse a second sealer's link anyway. It works in batches, one transaction each.
* :func:`verify` walks the chain and recomputes every hash. It reports links whose event was altered (the hash
  no longer matches), removed (a gap in ``seq``, or the linked event gone), events older than a grace period still
  not sealed, and the head (the last ``seq`` and its hash). Given the head an operator kept outside the database
  (``gongji audit head``), it also finds a chain cut short or rewritten from some point on.
* The database refuses UPDATE and DELETE on ``events`` and ``audit_chain`` (triggers, migration 0006).

What this does not do: someone with full rights on the database can drop the triggers, change events and compute
the whole chain anew. Only a head kept elsewhere (printed daily, sent to another system) shows that. docs/audit.md
says how to keep it.

:func:`run_sealer` seals every few seconds until stopped; ``gongji serve`` and ``gongji notify`` run it in a
thread beside the notification worker (:func:`start_sealer`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import exists, func, insert, select
from sqlalchemy.orm import Session

from gongji.db import Database
from gongji.db.dialect import is_postgresql
from gongji.env import Env
from gongji.events.models import ChainLink, Event

log = logging.getLogger(__name__)

#: The "previous hash" of the first link.
GENESIS = "0" * 64
#: The advisory lock sealers take on PostgreSQL (any constant that no other part of Gongji uses).
SEAL_LOCK = 0x676F6E676A6961  # "gongjia"
#: Events sealed per transaction unless told otherwise.
SEAL_BATCH = 1000
#: How far below the highest sealed event id an ordinary pass looks for events that committed late: an event
#: overtaken by more events than this while its transaction was open waits for the next full pass.
LOOKBACK_IDS = 10_000
#: An event older than this and not sealed is reported by :func:`verify`.
GRACE = timedelta(minutes=10)
#: Seconds between the background sealer's passes, and between its full passes (which look at every event).
SEAL_EVERY_S = 5.0
FULL_PASS_EVERY_S = 600.0

_E = Event.__table__
_C = ChainLink.__table__
#: The columns of an event, in the order they are hashed (every column of ``events``).
EVENT_COLUMNS = (_E.c.id, _E.c.at, _E.c.kind, _E.c.actor_kind, _E.c.actor_id, _E.c.channel, _E.c.subject_type,
                 _E.c.subject_id, _E.c.concerns, _E.c.data)


# -- the hash ---------------------------------------------------------------------------------------


def canonical(event: Any) -> bytes:
    """An event's every column as canonical JSON: sorted keys, no spaces, UTF-8, the instant in ISO 8601 (UTC).

    ``event`` is anything with the columns as attributes (a row of :data:`EVENT_COLUMNS`, an :class:`Event`).
    """
    record = {"id": event.id, "at": event.at.isoformat(), "kind": event.kind, "actor_kind": event.actor_kind,
              "actor_id": event.actor_id, "channel": event.channel, "subject_type": event.subject_type,
              "subject_id": event.subject_id, "concerns": event.concerns, "data": event.data}
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def link_hash(previous: str, event: Any) -> str:
    """``sha256(previous ‖ canonical(event))`` in hex: the hash of the link that seals ``event`` after ``previous``."""
    return hashlib.sha256(previous.encode("ascii") + canonical(event)).hexdigest()


@dataclass(frozen=True)
class Head:
    """The last link of the chain: its ``seq`` and hash (``0:000…`` for an empty chain)."""

    seq: int
    hash: str

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"

    @classmethod
    def parse(cls, value: str) -> Head:
        """``SEQ:HASH`` as :func:`str` writes it; ValueError otherwise."""
        seq, _, digest = value.strip().partition(":")
        digest = digest.lower()
        if not seq.isdigit() or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise ValueError(f"{value!r} is not SEQ:HASH (a number, a colon and 64 hexadecimal digits)")
        return cls(int(seq), digest)


EMPTY = Head(0, GENESIS)


def head(session: Session) -> Head:
    """The chain's last link, or :data:`EMPTY`."""
    row = session.execute(select(_C.c.seq, _C.c.hash).order_by(_C.c.seq.desc()).limit(1)).first()
    return Head(row.seq, row.hash) if row else EMPTY


# -- sealing ----------------------------------------------------------------------------------------


@dataclass
class SealResult:
    sealed: int = 0
    head: Head = EMPTY
    #: Another sealer held the lock (only when not waiting for it): nothing was done this time.
    busy: bool = False


def _lock(session: Session, *, wait: bool) -> bool:
    if not is_postgresql(session):
        return True  # SQLite: the writing transaction already holds the database (BEGIN IMMEDIATE)
    if wait:
        session.execute(select(func.pg_advisory_xact_lock(SEAL_LOCK)))
        return True
    return bool(session.execute(select(func.pg_try_advisory_xact_lock(SEAL_LOCK))).scalar_one())


def _seal_batch(session: Session, env: Env, *, batch: int, after: int | None, wait: bool
                ) -> tuple[int, Head, int | None] | None:
    """Seal up to ``batch`` unsealed events with ids above ``after`` (None: an ordinary pass, which looks
    :data:`LOOKBACK_IDS` below the highest sealed id). Returns (how many, the head, the last id sealed), or None if
    another sealer holds the lock and ``wait`` is false."""
    if not _lock(session, wait=wait):
        return None
    last = head(session)
    if after is None:
        highest = session.execute(select(func.max(_C.c.event_id))).scalar_one()
        after = highest - LOOKBACK_IDS if highest is not None else None
    query = select(*EVENT_COLUMNS).where(~exists().where(_C.c.event_id == _E.c.id))
    if after is not None:
        query = query.where(_E.c.id > after)
    rows = session.execute(query.order_by(_E.c.id).limit(batch)).all()
    if not rows:
        return 0, last, None
    now, seq, previous, links = env.now(), last.seq, last.hash, []
    for row in rows:
        seq += 1
        previous = link_hash(previous, row)
        links.append({"seq": seq, "event_id": row.id, "hash": previous, "sealed_at": now})
    session.execute(insert(_C), links)
    return len(rows), Head(seq, previous), rows[-1].id


def seal(db: Database, env: Env, *, batch: int = SEAL_BATCH, limit: int | None = None, full: bool = False,
         wait: bool = True) -> SealResult:
    """Seal the events not yet in the chain, ``batch`` per transaction, at most ``limit`` (None: all there are).

    An ordinary pass looks at the events with ids above the highest sealed one, less :data:`LOOKBACK_IDS`; a
    ``full`` pass at every event (slower on a large table; the background sealer does one every
    :data:`FULL_PASS_EVERY_S`). With ``wait`` false a pass that finds another sealer at work on PostgreSQL leaves
    it to that one (``busy``) instead of waiting.
    """
    if batch < 1 or (limit is not None and limit < 0):
        raise ValueError("batch must be positive and limit not negative")
    result = SealResult()
    cursor: int | None = 0 if full else None  # a full pass walks every id once, from the lowest
    while limit is None or result.sealed < limit:
        size = batch if limit is None else min(batch, limit - result.sealed)
        done = db.run(lambda s, size=size, after=cursor: _seal_batch(s, env, batch=size, after=after, wait=wait))
        if done is None:
            result.busy = True
            break
        count, result.head, last_id = done
        result.sealed += count
        if count < size:
            break
        if full:
            cursor = last_id
    if result.sealed == 0 and not result.busy:
        result.head = db.read(head)
    return result


def run_sealer(db: Database, env: Env, *, stop: threading.Event, every_s: float = SEAL_EVERY_S,
               full_every_s: float = FULL_PASS_EVERY_S) -> None:
    """Seal every ``every_s`` seconds until ``stop`` is set; a full pass first and every ``full_every_s``.

    A failed pass (the database away, say) is logged and tried again at the next turn.
    """
    if every_s <= 0 or full_every_s <= 0:
        raise ValueError("every_s and full_every_s must be positive")
    last_full: float | None = None
    while not stop.is_set():
        full = last_full is None or time.monotonic() - last_full >= full_every_s
        try:
            result = seal(db, env, full=full, wait=False)
            if full and not result.busy:
                last_full = time.monotonic()
            if result.sealed:
                log.debug("sealed %d events into the audit chain; head %s", result.sealed, result.head)
        except Exception:
            log.exception("sealing the audit chain failed; trying again in %.1f s", every_s)
        stop.wait(every_s)


def start_sealer(db: Database, env: Env, *, every_s: float = SEAL_EVERY_S) -> tuple[threading.Thread, threading.Event]:
    """Run :func:`run_sealer` in a background thread. Set the event and join the thread to stop it."""
    stop = threading.Event()
    thread = threading.Thread(target=run_sealer, name="gongji-audit-sealer", daemon=True,
                              kwargs={"db": db, "env": env, "stop": stop, "every_s": every_s})
    thread.start()
    return thread, stop


# -- verifying --------------------------------------------------------------------------------------

ALTERED = "altered"  # the link's hash no longer matches its event (or the links were reordered)
REMOVED = "removed"  # links missing from the chain (a gap in seq)
EVENT_MISSING = "event_missing"  # a link whose event is gone
HEAD_MISMATCH = "head_mismatch"  # the link at the kept head's seq has another hash: rewritten from there on
TRUNCATED = "truncated"  # the chain ends before the kept head


@dataclass(frozen=True)
class Finding:
    problem: str
    seq: int | None
    event_id: int | None
    detail: str


@dataclass
class AuditReport:
    head: Head = EMPTY
    links: int = 0
    findings: list[Finding] = field(default_factory=list)
    #: Events older than the grace period and not sealed: how many, the first few ids, the oldest instant.
    unsealed: int = 0
    unsealed_ids: list[int] = field(default_factory=list)
    oldest_unsealed_at: datetime | None = None
    grace: timedelta = GRACE

    @property
    def ok(self) -> bool:
        return not self.findings and self.unsealed == 0

    def of(self, problem: str) -> list[Finding]:
        return [f for f in self.findings if f.problem == problem]


def verify(db: Database, env: Env, *, grace: timedelta = GRACE, expect: Head | None = None,
           page: int = 5000) -> AuditReport:
    """Walk the chain from its first link and recompute every hash; see the module's doc for what it reports.

    A link right after a gap cannot be checked (its previous hash is gone): the gap is reported instead. Runs in
    one read transaction.
    """
    return db.read(lambda s: _verify(s, env, grace=grace, expect=expect, page=page))


def _verify(session: Session, env: Env, *, grace: timedelta, expect: Head | None, page: int) -> AuditReport:
    report = AuditReport(grace=grace)
    walk = (select(_C.c.seq, _C.c.event_id, _C.c.hash.label("link_hash"), *EVENT_COLUMNS)
            .select_from(_C.outerjoin(_E, _E.c.id == _C.c.event_id)).order_by(_C.c.seq))
    expected, previous, known = 1, GENESIS, True
    kept_hash: str | None = None
    while True:
        rows = session.execute(walk.where(_C.c.seq >= expected).limit(page)).all()
        for row in rows:
            if row.seq != expected:
                report.findings.append(Finding(REMOVED, expected, None,
                                               f"links {expected}..{row.seq - 1} are missing"))
                known = False
            if row.id is None:
                report.findings.append(Finding(EVENT_MISSING, row.seq, row.event_id,
                                               f"event {row.event_id} of link {row.seq} is gone"))
            elif known and link_hash(previous, row) != row.link_hash:
                report.findings.append(Finding(ALTERED, row.seq, row.event_id,
                                               f"event {row.event_id} does not match link {row.seq}"))
            if expect is not None and row.seq == expect.seq:
                kept_hash = row.link_hash
            previous, known, expected = row.link_hash, True, row.seq + 1
            report.links += 1
            report.head = Head(row.seq, row.link_hash)
        if len(rows) < page:
            break
    if expect is not None and expect.seq > 0:
        if report.head.seq < expect.seq:
            report.findings.append(Finding(TRUNCATED, expect.seq, None,
                                           f"the chain ends at {report.head.seq}, the kept head is {expect}"))
        elif kept_hash is not None and kept_hash != expect.hash:
            report.findings.append(Finding(HEAD_MISMATCH, expect.seq, None,
                                           f"link {expect.seq} is {kept_hash}, the kept head says {expect.hash}"))
    old = [~exists().where(_C.c.event_id == _E.c.id), _E.c.at < env.now() - grace]
    report.unsealed, report.oldest_unsealed_at = session.execute(
        select(func.count(), func.min(_E.c.at)).where(*old)).one()
    if report.unsealed:
        report.unsealed_ids = list(session.execute(select(_E.c.id).where(*old).order_by(_E.c.id).limit(20)).scalars())
    return report


# -- reading the trail ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrailEntry:
    event: Any  # a row of EVENT_COLUMNS
    seq: int | None  # its link, None while not sealed


def trail(session: Session, *, subject: tuple[str, int] | None = None, actor: tuple[str, str] | None = None,
          kinds: Iterable[str] = (), limit: int = 200) -> list[TrailEntry]:
    """The events of one subject (``("person", 12)``) or one actor (``("staff", "T0001")``), oldest first, each
    with its link's ``seq``: the newest ``limit`` of them."""
    query = (select(*EVENT_COLUMNS, _C.c.seq).select_from(_E.outerjoin(_C, _C.c.event_id == _E.c.id))
             .order_by(_E.c.id.desc()).limit(limit))
    if subject is not None:
        query = query.where(_E.c.subject_type == subject[0], _E.c.subject_id == subject[1])
    if actor is not None:
        query = query.where(_E.c.actor_kind == actor[0], _E.c.actor_id == actor[1])
    kinds = list(kinds)
    if kinds:
        query = query.where(_E.c.kind.in_(kinds))
    rows = session.execute(query).all()
    return [TrailEntry(event=row, seq=row.seq) for row in reversed(rows)]

