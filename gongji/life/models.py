from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gongji.db.base import Base, BigId, UTCDateTime


class LifeEvent(Base):
    """Something that happened to a person and changes his enrollment: death, a move to another pooling area
    (``to_region_code``), a change of scheme (``to_scheme``). Recorded by staff, by the system or from a file; the
    same event (person, kind, day) is recorded once."""

    __tablename__ = "life_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    occurred_on: Mapped[date] = mapped_column(Date)
    to_region_code: Mapped[str | None] = mapped_column(String(6))
    to_scheme: Mapped[str | None] = mapped_column(String(10))
    note: Mapped[str | None] = mapped_column(String(200))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_kind: Mapped[str] = mapped_column(String(12))
    actor_id: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(20))
    import_run_id: Mapped[int | None] = mapped_column(ForeignKey("import_runs.id"))

    __table_args__ = (
        UniqueConstraint("person_id", "kind", "occurred_on"),
        CheckConstraint("kind IN ('death', 'move', 'scheme_change')", name="kind"),
        CheckConstraint("(kind = 'move') = (to_region_code IS NOT NULL)", name="move_has_region"),
        CheckConstraint("(kind = 'scheme_change') = (to_scheme IS NOT NULL)", name="change_has_scheme"),
    )
