from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from gongji.db.base import Base, BigId, UTCDateTime


class OutboxMessage(Base):
    """A message to another instance, written in the transaction that made it (the outbox).

    It is sent after that transaction commits, and again until the receiver acknowledges it (``acked_at``); the
    receiver keeps every message id it has stored, so a message sent twice is applied once.
    """

    __tablename__ = "federation_outbox"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    message_id: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(8))  # the province that wrote it first ("hub" for the hub's own)
    destination: Mapped[str] = mapped_column(String(8))  # the province it is for
    body: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    acked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        Index("ix_federation_outbox_waiting", "acked_at", "next_attempt_at"),
    )


class InboxMessage(Base):
    """A message received from another instance (the inbox), stored in the transaction that applies it.

    The primary key is the message id: a message delivered again finds its row and is acknowledged with the
    answer stored the first time, without being applied twice.
    """

    __tablename__ = "federation_inbox"

    message_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(8))
    destination: Mapped[str] = mapped_column(String(8))
    sender: Mapped[str] = mapped_column(String(8))  # who delivered it: the hub, or for the hub a province
    body: Mapped[dict] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(String(200))  # what applying it did, in a few words
