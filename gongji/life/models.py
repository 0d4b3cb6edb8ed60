from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, String, UniqueConstraint
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


class AccountTransfer(Base):
    """转移接续 (LC-7): a personal-account balance carried to the insurer of another province, one row per instance.

    ``direction`` ``out``, in the instance he left: the move (``life_event_id``) took the balance of both funds from
    his personal account to ``account_transit_out:<province>`` (``out_entry_id``); ``sent`` until the new
    province answers: ``arrived`` (no entry: the money is there) or ``refused`` (``return_entry_id``: back from the
    transit account to the funds it came from, his account here, which stays his).

    ``direction`` ``in``, in the new province's instance: ``arrived`` (``arrive_entry_id``: from
    ``account_transit_in:<province>`` into his personal account there) or ``refused`` with no entry at all. The same
    ``transfer_no`` names both rows; a message delivered twice finds the row and moves nothing again.
    """

    __tablename__ = "account_transfers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    transfer_no: Mapped[str] = mapped_column(String(60), unique=True)
    direction: Mapped[str] = mapped_column(String(5))
    counterpart_province: Mapped[str] = mapped_column(String(2))
    life_event_id: Mapped[int | None] = mapped_column(ForeignKey("life_events.id"), unique=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)  # None: unknown here
    id_number: Mapped[str] = mapped_column(String(18))
    name: Mapped[str] = mapped_column(String(50))
    from_region_code: Mapped[str] = mapped_column(String(6))
    to_region_code: Mapped[str] = mapped_column(String(6))
    current_year_fen: Mapped[int] = mapped_column(BigInteger)
    prior_years_fen: Mapped[int] = mapped_column(BigInteger)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(10))
    moved_on: Mapped[date] = mapped_column(Date)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    out_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))
    arrive_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))
    return_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))
    refusal_code: Mapped[str | None] = mapped_column(String(40))
    refusal_zh: Mapped[str | None] = mapped_column(String(400))
    refusal_en: Mapped[str | None] = mapped_column(String(400))

    __table_args__ = (
        CheckConstraint("direction IN ('out', 'in')", name="direction_known"),
        CheckConstraint("state IN ('sent', 'arrived', 'refused')", name="state_known"),
        CheckConstraint("amount_fen > 0 AND current_year_fen >= 0 AND prior_years_fen >= 0 "
                        "AND amount_fen = current_year_fen + prior_years_fen", name="amount_is_both_funds"),
    )
