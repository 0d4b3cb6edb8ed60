from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gongji.db.base import Base, BigId, UTCDateTime


class Transfer(Base):
    """历年账户家庭共济 (HZ-1): prior-years funds moved to a relative, who then owns them."""

    __tablename__ = "transfers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    payer_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    beneficiary_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    relationship: Mapped[str] = mapped_column(String(30))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    region_code: Mapped[str] = mapped_column(String(6))
    channel: Mapped[str] = mapped_column(String(20))
    agreement_version: Mapped[str] = mapped_column(String(40))
    agreement_accepted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    operator_kind: Mapped[str] = mapped_column(String(12))
    operator_id: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    on: Mapped[date] = mapped_column(Date)
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))

    __table_args__ = (CheckConstraint("amount_fen > 0", name="amount_positive"),)


class ContributionPayment(Base):
    """A relative's resident-insurance personal contribution paid from the payer's account (N-5)."""

    __tablename__ = "contribution_payments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    payer_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    beneficiary_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    binding_id: Mapped[int] = mapped_column(ForeignKey("bindings.id"))
    year: Mapped[int] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    channel: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    on: Mapped[date] = mapped_column(Date)
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))

    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        UniqueConstraint("beneficiary_id", "year"),
    )
