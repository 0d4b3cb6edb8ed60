from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CHAR, JSON, BigInteger, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from gongji.db.base import Base, BigId, UTCDateTime


class Event(Base):
    """Something that happened, written in the same transaction as the change itself.

    Who did it (actor), through which channel, to what (subject), and who is concerned (people to
    tell). The audit trail and the notification outbox are built on these rows. The database refuses to
    change or delete one (triggers, migration 0006).
    """

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(40))
    actor_kind: Mapped[str] = mapped_column(String(12))
    actor_id: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(20))
    subject_type: Mapped[str] = mapped_column(String(30))
    subject_id: Mapped[int] = mapped_column(BigInteger)
    concerns: Mapped[list[int]] = mapped_column(JSON)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)

    __table_args__ = (Index("ix_events_subject", "subject_type", "subject_id"),)


class ChainLink(Base):
    """One event sealed into the audit chain (:mod:`gongji.events.audit`).

    ``seq`` counts from 1 without gaps; ``hash`` is the SHA-256 of the previous link's hash and the event's every
    column, so that an event changed or removed after it was sealed no longer matches. Written only by the sealer,
    never changed or deleted (triggers, migration 0006).
    """

    __tablename__ = "audit_chain"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    event_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("events.id"), unique=True)
    hash: Mapped[str] = mapped_column(CHAR(64))
    sealed_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (CheckConstraint("seq >= 1", name="seq_positive"),)
