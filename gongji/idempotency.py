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
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, String, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

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


def find(session: Session, *, scope: str, key: str, content: dict[str, Any]) -> IdempotencyRecord | None:
    """The earlier record for this key, or None. Refuses the key if the content differs.

    Holds the key until the transaction ends (PostgreSQL advisory lock), so call it before deciding anything.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": f"{scope}\x1f{key}"})
    record = session.execute(
        select(IdempotencyRecord).where(IdempotencyRecord.scope == scope, IdempotencyRecord.key == key)
    ).scalar_one_or_none()
    if record is not None and record.fingerprint != fingerprint(content):
        raise GongjiError("IDEMPOTENCY_KEY_REUSED", key=key)
    return record


def remember(
    session: Session, *, scope: str, key: str, content: dict[str, Any], result_type: str, result_id: int, at: datetime
) -> None:
    session.add(
        IdempotencyRecord(
            scope=scope, key=key, fingerprint=fingerprint(content), result_type=result_type, result_id=result_id,
            created_at=at,
        )
    )
