from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gongji.db.base import Base, BigId, UTCDateTime
from gongji.events.models import Event


class Notification(Base):
    """One message to one person about one event, written in the event's own transaction (the outbox).

    The worker claims due rows for a while (``lease_until``), hands each to the sender with its id as
    the deduplication key, and marks it delivered; a failure sets the next attempt later. A row is
    made once per event and person (unique), so a message is never produced twice.
    """

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("events.id"))
    person_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("people.id"))
    kind: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    event: Mapped[Event] = relationship(lazy="raise")

    __table_args__ = (
        UniqueConstraint("event_id", "person_id"),
        Index("ix_notifications_due", "status", "next_attempt_at"),
        Index("ix_notifications_person", "person_id", "id"),
    )
