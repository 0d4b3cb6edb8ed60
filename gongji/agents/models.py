from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from gongji.db.base import Base, BigId, UTCDateTime


class Agency(Base):
    """代办委托 (AG-1): the principal authorizes the agent for ``actions`` on the days ``start_on`` through ``end_on``.

    The consent is kept as N-7's is: the agreement's version, when it was accepted and through which channel; at a
    counter also the documents staff checked. Ended agencies stay (the records name them); either side or staff
    may end one (``ended_*``).
    """

    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    principal_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    agent_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    #: What the agent is to the principal, as the principal declares it (N-7).
    relationship: Mapped[str] = mapped_column(String(30))
    #: The chosen actions, comma-separated (rules.actions_text).
    actions: Mapped[str] = mapped_column(String(200))
    start_on: Mapped[date] = mapped_column(Date)
    end_on: Mapped[date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(20))
    agreement_version: Mapped[str] = mapped_column(String(40))
    agreement_accepted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    operator_kind: Mapped[str] = mapped_column(String(12))
    operator_id: Mapped[str] = mapped_column(String(40))
    #: At a counter: the documents staff checked (their kinds).
    documents: Mapped[list[Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_on: Mapped[date | None] = mapped_column(Date)
    ended_by_kind: Mapped[str | None] = mapped_column(String(12))
    ended_by_id: Mapped[str | None] = mapped_column(String(40))

    __table_args__ = (
        CheckConstraint("principal_id <> agent_id", name="not_self"),
        CheckConstraint("end_on > start_on", name="period"),
        Index("ix_agencies_principal", "principal_id", "ended_on"),
        Index("ix_agencies_agent", "agent_id", "ended_on"),
    )
