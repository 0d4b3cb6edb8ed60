from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from gongji.db.base import Base, BigId, UTCDateTime


class Wallet(Base):
    """医保钱包 (WAL-1): opened by its holder, any insured person; its money is his and pays his bills.

    The money is the ledger account ``account_id`` (fund ``wallet``), a kept balance that never goes below zero.
    """

    __tablename__ = "wallets"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), unique=True)
    region_code: Mapped[str] = mapped_column(String(6))
    status: Mapped[str] = mapped_column(String(10))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    channel: Mapped[str] = mapped_column(String(20))

    __table_args__ = (
        CheckConstraint("status IN ('open', 'closed')", name="status_known"),
        CheckConstraint("(status = 'closed') = (closed_at IS NOT NULL)", name="closed_iff_closed_at"),
    )


class WalletTransfer(Base):
    """One transfer into a relative's wallet (WAL-1..WAL-4), in two steps joined by the pending account.

    ``direction`` ``local`` (payer and relative both here): ``sent``: the amount left the payer's personal account
    (``send_entry_id``) for the pending account (``wallet_pending:<payer's region>``); then either ``accepted``
    (``accept_entry_id``: pending into the wallet) or ``returned`` at ``return_due_at`` (``return_entry_id``: pending
    back to the funds it came from, WAL-4).

    Across provinces (HN-9) each instance holds one row of the transfer, under the same ``transfer_no``
    (``<region>-<uuid>``, unique everywhere):

    * ``out``, in the payer's instance: the send moves the money to ``wallet_transit_out:<province>``; it stays
      ``sent`` until the relative's instance says what became of it: ``accepted`` (no entry: the money is there),
      ``returned`` or ``refused`` (``return_entry_id``: back from the transit account to the funds it came from).
    * ``in``, in the relative's instance: the arrival (``arrive_entry_id``) moves it from
      ``wallet_transit_in:<province>`` to the pending account; then ``accepted`` or ``returned`` (pending back to the
      transit account) as a local one; or ``refused`` on arrival, with no entry at all.
    """

    __tablename__ = "wallet_transfers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    transfer_no: Mapped[str] = mapped_column(String(60), unique=True)
    direction: Mapped[str] = mapped_column(String(5), default="local", server_default="local")
    counterpart_province: Mapped[str | None] = mapped_column(String(2))  # the other instance's, across provinces
    payer_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))  # None: the payer is in another instance
    payer_id_number: Mapped[str] = mapped_column(String(18))
    payer_name: Mapped[str] = mapped_column(String(50))
    beneficiary_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)  # None: elsewhere
    beneficiary_id_number: Mapped[str] = mapped_column(String(18))
    wallet_id: Mapped[int | None] = mapped_column(ForeignKey("wallets.id"))
    relationship: Mapped[str] = mapped_column(String(30))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    current_year_fen: Mapped[int] = mapped_column(BigInteger)  # of the amount, from current-year funds (D-1)
    prior_years_fen: Mapped[int] = mapped_column(BigInteger)  # and from prior-years funds; a return restores both
    region_code: Mapped[str] = mapped_column(String(6))  # the payer's: its pending account and its rules
    beneficiary_region_code: Mapped[str | None] = mapped_column(String(6))  # the relative's, when known here
    state: Mapped[str] = mapped_column(String(10))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_on: Mapped[date] = mapped_column(Date)
    return_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    send_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))
    arrive_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))
    accept_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))
    return_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))
    channel: Mapped[str] = mapped_column(String(20))
    operator_kind: Mapped[str] = mapped_column(String(12))
    operator_id: Mapped[str] = mapped_column(String(40))
    #: Why the relative's instance refused it (a stable error code and its words), for ``refused``.
    refusal_code: Mapped[str | None] = mapped_column(String(40))
    refusal_zh: Mapped[str | None] = mapped_column(String(400))
    refusal_en: Mapped[str | None] = mapped_column(String(400))

    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="amount_positive"),
        CheckConstraint("current_year_fen >= 0 AND prior_years_fen >= 0 "
                        "AND (direction = 'in' OR current_year_fen + prior_years_fen = amount_fen)",
                        name="funds_add_up"),
        CheckConstraint("direction IN ('local', 'out', 'in')", name="direction_known"),
        CheckConstraint("(direction = 'local') = (counterpart_province IS NULL)", name="counterpart_iff_across"),
        CheckConstraint("direction = 'in' OR payer_id IS NOT NULL", name="payer_here_unless_in"),
        CheckConstraint("direction <> 'in' OR payer_id IS NULL", name="payer_elsewhere_if_in"),
        CheckConstraint("direction = 'out' OR state = 'refused' OR (beneficiary_id IS NOT NULL AND wallet_id IS NOT NULL)",
                        name="beneficiary_here_unless_out"),
        CheckConstraint("direction <> 'out' OR (beneficiary_id IS NULL AND wallet_id IS NULL)",
                        name="beneficiary_elsewhere_if_out"),
        CheckConstraint("(state = 'refused') = (refusal_code IS NOT NULL)", name="refused_iff_refusal_code"),
        CheckConstraint("direction <> 'local' OR state <> 'refused'", name="local_never_refused"),
        CheckConstraint("state IN ('sent', 'accepted', 'returned', 'refused')", name="state_known"),
        CheckConstraint("(state = 'accepted') = (accepted_at IS NOT NULL)", name="accepted_iff_accepted_at"),
        CheckConstraint("(state IN ('returned', 'refused')) = (returned_at IS NOT NULL)",
                        name="returned_iff_returned_at"),
        Index("ix_wallet_transfers_payer_id_sent_on", "payer_id", "sent_on"),
        Index("ix_wallet_transfers_state_return_due_at", "state", "return_due_at"),
    )
