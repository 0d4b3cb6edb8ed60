from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gongji.db.base import Base, BigId, UTCDateTime


class Settlement(Base):
    """结算: the personal-borne part of one bill, paid by accounts and cash (N-10)."""

    __tablename__ = "settlements"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    region_code: Mapped[str] = mapped_column(String(6))
    use: Mapped[str] = mapped_column(String(30))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    own_fen: Mapped[int] = mapped_column(BigInteger)
    mutual_aid_fen: Mapped[int] = mapped_column(BigInteger)
    cash_fen: Mapped[int] = mapped_column(BigInteger)
    refunded_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    cash_refunded_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(20))
    settled_at: Mapped[datetime] = mapped_column(UTCDateTime)
    settled_on: Mapped[date] = mapped_column(Date)
    # N-4: the card or voucher presented, and the agent of a proxy purchase.
    cert_type: Mapped[str | None] = mapped_column(String(20))
    cert_no: Mapped[str | None] = mapped_column(String(50))
    agent_name: Mapped[str | None] = mapped_column(String(50))
    agent_id_number: Mapped[str | None] = mapped_column(String(18))
    # SZ-5: a one-off payment by a relative before any binding, attested on paper at the institution.
    attested_payer_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    attestation_relationship: Mapped[str | None] = mapped_column(String(30))
    attestation_phone: Mapped[str | None] = mapped_column(String(20))
    idempotency_key: Mapped[str] = mapped_column(String(100))
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))

    parts: Mapped[list[SettlementPart]] = relationship(order_by="SettlementPart.seq", lazy="selectin")

    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("own_fen >= 0 AND mutual_aid_fen >= 0 AND cash_fen >= 0", name="parts_not_negative"),
        CheckConstraint("own_fen + mutual_aid_fen + cash_fen = amount_fen", name="parts_add_up"),
        CheckConstraint("refunded_fen >= 0 AND refunded_fen <= amount_fen", name="refund_within_paid"),
        CheckConstraint("cash_refunded_fen >= 0 AND cash_refunded_fen <= cash_fen", name="cash_refund_within_cash"),
        CheckConstraint("status IN ('settled', 'partially_refunded', 'refunded')", name="status"),
        Index("ix_settlements_institution_day", "institution_id", "settled_on"),
    )


class SettlementPart(Base):
    """One account's payment toward a settlement. ``seq`` is the order of payment (own account first).

    ``binding_id`` names the binding a relative paid through; it is empty for the patient's own account
    and for a payer attested on paper (SZ-5).
    """

    __tablename__ = "settlement_parts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    settlement_id: Mapped[int] = mapped_column(ForeignKey("settlements.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    payer_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    fund: Mapped[str] = mapped_column(String(20))
    binding_id: Mapped[int | None] = mapped_column(ForeignKey("bindings.id"))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    refunded_fen: Mapped[int] = mapped_column(BigInteger, default=0)

    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("refunded_fen >= 0 AND refunded_fen <= amount_fen", name="refund_within_paid"),
    )


class Refund(Base):
    """退费: money of a settlement going back where it came from (HN-5)."""

    __tablename__ = "refunds"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    settlement_id: Mapped[int] = mapped_column(ForeignKey("settlements.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    cash_fen: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str | None] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    on: Mapped[date] = mapped_column(Date)
    idempotency_key: Mapped[str] = mapped_column(String(100))
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))

    parts: Mapped[list[RefundPart]] = relationship(order_by="RefundPart.id", lazy="selectin")

    __table_args__ = (CheckConstraint("amount_fen > 0 AND cash_fen >= 0 AND cash_fen <= amount_fen", name="amounts"),)


class RefundPart(Base):
    __tablename__ = "refund_parts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    refund_id: Mapped[int] = mapped_column(ForeignKey("refunds.id"), index=True)
    settlement_part_id: Mapped[int] = mapped_column(ForeignKey("settlement_parts.id"))
    amount_fen: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (CheckConstraint("amount_fen > 0", name="amount_positive"),)
