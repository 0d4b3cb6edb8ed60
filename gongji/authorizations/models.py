from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.orm import relationship as link

from gongji.db.base import Base, BigId, UTCDateTime


class Binding(Base):
    """共济绑定: the payer authorizes his personal account to pay for the beneficiary.

    Active on the days ``start_on`` through ``end_on`` inclusive (D-3) unless ended earlier
    (``ended_on`` set). Ended bindings stay: settlements refer to them and the re-bind wait
    (HLJ-2) counts from them.
    """

    __tablename__ = "bindings"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    payer_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    beneficiary_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    relationship: Mapped[str] = mapped_column(String(30))
    start_on: Mapped[date] = mapped_column(Date)
    end_on: Mapped[date | None] = mapped_column(Date)
    priority: Mapped[int | None] = mapped_column(Integer)
    family_id: Mapped[int | None] = mapped_column(ForeignKey("families.id"))
    region_code: Mapped[str] = mapped_column(String(6))
    channel: Mapped[str] = mapped_column(String(20))
    # N-7: the authorization agreement the payer accepted.
    agreement_version: Mapped[str] = mapped_column(String(40))
    agreement_accepted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    operator_kind: Mapped[str] = mapped_column(String(12))
    operator_id: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Set when the binding ends before (or at) its end date.
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_on: Mapped[date | None] = mapped_column(Date)
    end_reason: Mapped[str | None] = mapped_column(String(20))
    end_note: Mapped[str | None] = mapped_column(String(200))
    ended_by_kind: Mapped[str | None] = mapped_column(String(12))
    ended_by_id: Mapped[str | None] = mapped_column(String(40))
    # PP-1: what the payer's account pays for this relative at most in a calendar month (China time); None: no limit.
    monthly_limit_fen: Mapped[int | None] = mapped_column(BigInteger)
    # Set while the binding is paused: it pays nothing (D-3) until resumed.
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    documents: Mapped[list[BindingDocument]] = link(back_populates="binding", order_by="BindingDocument.id")

    __table_args__ = (
        CheckConstraint("payer_id <> beneficiary_id", name="not_self"),
        CheckConstraint("end_on IS NULL OR end_on > start_on", name="period"),
        CheckConstraint("priority IS NULL OR priority >= 1", name="priority"),
        CheckConstraint("monthly_limit_fen IS NULL OR monthly_limit_fen >= 0", name="monthly_limit"),
        Index("ix_bindings_beneficiary_open", "beneficiary_id", "ended_on"),
        Index("ix_bindings_payer_open", "payer_id", "ended_on"),
    )


class BindingDocument(Base):
    """A proof document (HN-3) or a document checked at a counter (N-8)."""

    __tablename__ = "binding_documents"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    binding_id: Mapped[int] = mapped_column(ForeignKey("bindings.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    file_ref: Mapped[str | None] = mapped_column(String(500))
    checked_by: Mapped[str | None] = mapped_column(String(40))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)

    binding: Mapped[Binding] = link(back_populates="documents")


class Family(Base):
    """共济家庭 (HN-1): a group led by a householder, inside which bindings are made."""

    __tablename__ = "families"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    householder_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    region_code: Mapped[str] = mapped_column(String(6))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    dissolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class FamilyMember(Base):
    __tablename__ = "family_members"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    #: What the member is to the householder.
    relationship: Mapped[str] = mapped_column(String(30))
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    left_reason: Mapped[str | None] = mapped_column(String(20))
