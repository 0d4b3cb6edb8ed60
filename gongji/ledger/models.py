from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gongji.db.base import Base, BigId, UTCDateTime


class Account(Base):
    """A ledger account.

    A person's personal account (个人账户) is one row per fund (current-year, prior-years): its
    ``balance_fen`` is kept with every posting and can never go below zero (the database refuses it).

    System accounts (``system_key``) stand for the world outside the personal accounts: where
    monthly credits come from, what each institution is owed, the resident fund that receives
    contributions. They are unbounded and their balance is not kept on the row (``balance_fen`` is
    NULL): it is the sum of their postings. So no settlement waits for another to release the row
    of the hospital both are paying.
    """

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    fund: Mapped[str] = mapped_column(String(20))
    system_key: Mapped[str | None] = mapped_column(String(80), unique=True)
    region_code: Mapped[str] = mapped_column(String(6))
    balance_fen: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("person_id", "fund"),
        CheckConstraint("balance_fen IS NULL OR balance_fen >= 0", name="not_negative"),
        CheckConstraint("(person_id IS NULL) <> (system_key IS NULL)", name="owner_xor_system"),
        CheckConstraint("(system_key IS NULL) = (balance_fen IS NOT NULL)", name="kept_balance_iff_personal"),
    )


class LedgerEntry(Base):
    """One balanced movement of money: its postings sum to zero."""

    __tablename__ = "ledger_entries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    on: Mapped[date] = mapped_column(Date)
    ref_type: Mapped[str | None] = mapped_column(String(30))
    ref_id: Mapped[int | None] = mapped_column(BigInteger)
    memo: Mapped[str | None] = mapped_column(String(200))


class Posting(Base):
    """One leg of an entry, append-only. ``balance_after_fen``: a personal account's balance right after it."""

    __tablename__ = "postings"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("ledger_entries.id"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    balance_after_fen: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (
        CheckConstraint("amount_fen <> 0", name="not_zero"),
        Index("ix_postings_account_entry", "account_id", "entry_id"),
        Index("ix_postings_entry", "entry_id"),
    )
