"""Idempotency keys: a retried request returns the first result and moves no more money.

A caller-given key is scoped (e.g. to the institution that sent it). The first request with the key
stores a fingerprint of its content and a reference to what it made; a repeat with the same content
gets that reference back; a repeat with other content is refused (IDEMPOTENCY_KEY_REUSED).

Services look the key up before any check that depends on changing state, so a retry gets the first
answer even if, say, the patient's status has changed since. Requests with the same key are
serialized: SQLite runs one writer at a time, and on PostgreSQL :func:`find` takes a transaction-scoped
advisory lock on the key, so a concurrent retry waits for the first request to commit and then finds
its record. (Should two first requests still race, the unique key fails one of them and
:meth:`gongji.db.Database.run` runs it again.)

A hot path on PostgreSQL may instead *claim* the key first (:func:`claim`): it inserts the record before
deciding anything, with the id of what it is going to make. The unique key then does the serializing: a
concurrent request with the same key waits on the claim until the first commits (and then finds its
record) or rolls back (and then claims the key itself). A refused request rolls its claim back.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import CTE, BigInteger, Row, String, bindparam, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from gongji.db import dialect
from gongji.db.base import Base, UTCDateTime
from gongji.errors import GongjiError


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_records"

    scope: Mapped[str] = mapped_column(String(80), primary_key=True)
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    result_type: Mapped[str] = mapped_column(String(30))
    result_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


def check_key(key: Any) -> str:
    if not isinstance(key, str) or not (1 <= len(key) <= 100) or not key.isprintable() or key.strip() != key:
        raise GongjiError("INVALID_IDEMPOTENCY_KEY")
    return key


def fingerprint(content: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()


_TABLE = IdempotencyRecord.__table__
#: The record of a key (``:scope``, ``:key``); services may also join it into a query of their own.
RECORD = _TABLE
_FIND = select(_TABLE.c.fingerprint, _TABLE.c.result_type, _TABLE.c.result_id).where(
    _TABLE.c.scope == bindparam("scope"), _TABLE.c.key == bindparam("key"))
_INSERT = insert(_TABLE)


def find(session: Session, *, scope: str, key: str, content: dict[str, Any]) -> Row | None:
    """The earlier record for this key (``fingerprint``, ``result_type``, ``result_id``), or None. Refuses the key
    if the content differs.

    Holds the key until the transaction ends (PostgreSQL advisory lock), so call it before deciding anything.
    """
    lock(session, scope=scope, key=key)
    record = session.execute(_FIND, {"scope": scope, "key": key}).one_or_none()
    if record is not None:
        check(record.fingerprint, key=key, content=content)
    return record


def lookup(session: Session, *, scope: str, key: str, content: dict[str, Any]) -> Row | None:
    """:func:`find` without the lock: for a key already claimed or held (see :func:`claim`)."""
    record = session.execute(_FIND, {"scope": scope, "key": key}).one_or_none()
    if record is not None:
        check(record.fingerprint, key=key, content=content)
    return record


def claim(*, result_type: str, result_id: Any) -> CTE:
    """PostgreSQL: a CTE (``claim``) that stores the key (``:scope``, ``:key``, ``:fingerprint``, ``:claimed_at``)
    with ``result_id`` (an expression, e.g. the next value of a sequence) unless the key is taken, and returns
    ``result_id``: one row if this request claimed the key, none if an earlier one holds it. Join it into the
    request's first query, with the key's record as the statement sees it; if neither shows, a racing request
    committed the key meanwhile: :func:`lookup` finds it."""
    return (
        pg_insert(_TABLE)
        .values(scope=bindparam("scope"), key=bindparam("key"), fingerprint=bindparam("fingerprint"),
                result_type=result_type, result_id=result_id,
                created_at=bindparam("claimed_at", type_=UTCDateTime))
        .on_conflict_do_nothing()
        .returning(_TABLE.c.result_id.label("claimed_id"))
        .cte("claim")
    )


def lock(session: Session, *, scope: str, key: str) -> None:
    """Hold the key until the transaction ends (on PostgreSQL; SQLite runs one writer at a time). Look the key up
    only after this, in a statement of its own: it then sees a record that a racing first request committed."""
    dialect.xact_lock(session, f"{scope}\x1f{key}")


def check(found_fingerprint: str, *, key: str, content: dict[str, Any]) -> None:
    """Refuse a key whose earlier request had other content (IDEMPOTENCY_KEY_REUSED)."""
    if found_fingerprint != fingerprint(content):
        raise GongjiError("IDEMPOTENCY_KEY_REUSED", key=key)


def remember(
    session: Session, *, scope: str, key: str, content: dict[str, Any], result_type: str, result_id: int, at: datetime
) -> None:
    """Store the key with what the request made (written now: a racing first request fails on the unique key)."""
    session.execute(_INSERT, {"scope": scope, "key": key, "fingerprint": fingerprint(content),
                              "result_type": result_type, "result_id": result_id, "created_at": at})
