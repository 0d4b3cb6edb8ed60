"""What the national interface keeps besides the core's settlements: messages, sign-ins, visits, fee details,
the settlements as the standard reports them, and each person's yearly use of the pooled fund."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from gongji.db.base import Base, BigId, UTCDateTime


class NiMessage(Base):
    """A message that changed something, with the answer it got (NI-1): a repeat of its ``msgid`` gets the
    same answer and changes nothing more. ``status`` ``reversed`` marks a message undone by 2601; a row
    with no answer is a message reversed before it ever arrived, which is then refused if it comes late.
    """

    __tablename__ = "ni_messages"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    institution_code: Mapped[str] = mapped_column(String(30))
    msgid: Mapped[str] = mapped_column(String(30))
    infno: Mapped[str] = mapped_column(String(6))
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    answer: Mapped[str | None] = mapped_column(Text)  # the output, exactly as sent (amounts as written)
    inf_refmsgid: Mapped[str | None] = mapped_column(String(30))
    refmsg_time: Mapped[str | None] = mapped_column(String(17))
    respond_time: Mapped[str | None] = mapped_column(String(17))
    status: Mapped[str] = mapped_column(String(10))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reversed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reversed_by: Mapped[str | None] = mapped_column(String(30))
    visit_id: Mapped[int | None] = mapped_column(BigInteger)
    settlement_id: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (
        UniqueConstraint("institution_code", "msgid"),
        CheckConstraint("status IN ('answered', 'reversed')", name="status"),
    )


class NiSignIn(Base):
    """9001 签到 / 9002 签退: an operator's working session at an institution."""

    __tablename__ = "ni_sign_ins"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sign_no: Mapped[str] = mapped_column(String(30), unique=True)
    institution_code: Mapped[str] = mapped_column(String(30))
    opter_no: Mapped[str] = mapped_column(String(20))
    ip: Mapped[str | None] = mapped_column(String(20))
    mac: Mapped[str | None] = mapped_column(String(20))
    signed_in_at: Mapped[datetime] = mapped_column(UTCDateTime)
    signed_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class NiVisit(Base):
    """就诊: an outpatient registration (2201, ``mdtrt_id``) or a pharmacy purchase (2102)."""

    __tablename__ = "ni_visits"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    ipt_otp_no: Mapped[str | None] = mapped_column(String(30))
    insutype: Mapped[str] = mapped_column(String(6))
    med_type: Mapped[str | None] = mapped_column(String(6))
    mdtrt_cert_type: Mapped[str] = mapped_column(String(3))
    mdtrt_cert_no: Mapped[str] = mapped_column(String(50))
    begntime: Mapped[datetime] = mapped_column(UTCDateTime)
    dise_codg: Mapped[str | None] = mapped_column(String(30))
    dise_name: Mapped[str | None] = mapped_column(String(500))
    dept_code: Mapped[str | None] = mapped_column(String(30))
    dept_name: Mapped[str | None] = mapped_column(String(100))
    atddr_no: Mapped[str | None] = mapped_column(String(30))
    dr_name: Mapped[str | None] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(10))
    msgid: Mapped[str] = mapped_column(String(30))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # 2203 diseinfo[]: the diagnoses as the HIS sent them, checked (5202 answers them); the last 2203 counts
    diagnoses: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)

    __table_args__ = (
        CheckConstraint("kind IN ('outpatient', 'pharmacy')", name="kind"),
        # settled: a settlement of the visit was made, so that its outpatient number is free for a later visit.
        CheckConstraint("status IN ('open', 'settled', 'cancelled')", name="status"),
        # One open registration per outpatient number at an institution.
        Index("ux_ni_visits_open_number", "institution_id", "ipt_otp_no", unique=True,
              sqlite_where=text("status = 'open' AND ipt_otp_no IS NOT NULL"),
              postgresql_where=text("status = 'open' AND ipt_otp_no IS NOT NULL")),
    )


class NiFeeDetail(Base):
    """费用明细: one line of a visit's bill (2204, or a pharmacy's ``drugdetail``); ``settlement_id`` once settled."""

    __tablename__ = "ni_fee_details"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("ni_visits.id"))
    feedetl_sn: Mapped[str] = mapped_column(String(30))
    chrg_bchno: Mapped[str | None] = mapped_column(String(30))
    rxno: Mapped[str | None] = mapped_column(String(30))
    fee_ocur_time: Mapped[datetime] = mapped_column(UTCDateTime)
    med_list_codg: Mapped[str] = mapped_column(String(50))
    medins_list_codg: Mapped[str] = mapped_column(String(150))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    cnt: Mapped[Decimal] = mapped_column(Numeric(16, 4))
    pric: Mapped[Decimal] = mapped_column(Numeric(16, 6))
    settlement_id: Mapped[int | None] = mapped_column(ForeignKey("ni_settlements.id"))
    msgid: Mapped[str] = mapped_column(String(30))

    __table_args__ = (
        UniqueConstraint("visit_id", "feedetl_sn"),
        Index("ix_ni_fee_details_batch", "visit_id", "chrg_bchno"),
        CheckConstraint("amount_fen >= 0", name="amount_not_negative"),
    )


class NiSettlement(Base):
    """A settlement (2207, 2102) or its cancellation (2208, 2103, 2601) as the standard reports it (NI-4).

    A cancellation is a row of its own with the amounts negated (退费结算, ``refd_setl_flag`` 1), pointing at
    the settlement it cancels; the settlement's status becomes ``cancelled``. The personal-account part
    is paid through the core's settlement (``core_settlement_id``), the pooled fund's part by its own
    ledger entry (``fund_entry_id``).
    """

    __tablename__ = "ni_settlements"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"))
    visit_id: Mapped[int] = mapped_column(ForeignKey("ni_visits.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    cancels_id: Mapped[int | None] = mapped_column(ForeignKey("ni_settlements.id"))
    cancelled_by_id: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(10))
    msgid: Mapped[str] = mapped_column(String(30))
    insutype: Mapped[str] = mapped_column(String(6))
    med_type: Mapped[str] = mapped_column(String(6))
    clr_type: Mapped[str] = mapped_column(String(6))
    clr_optins: Mapped[str] = mapped_column(String(6))
    psn_setlway: Mapped[str | None] = mapped_column(String(6))
    acct_used_flag: Mapped[str] = mapped_column(String(1))
    mdtrt_cert_type: Mapped[str] = mapped_column(String(3))
    chrg_bchno: Mapped[str | None] = mapped_column(String(30))
    invono: Mapped[str | None] = mapped_column(String(20))
    medfee_fen: Mapped[int] = mapped_column(BigInteger)
    fulamt_ownpay_fen: Mapped[int] = mapped_column(BigInteger)
    overlmt_selfpay_fen: Mapped[int] = mapped_column(BigInteger)
    preselfpay_fen: Mapped[int] = mapped_column(BigInteger)
    inscp_scp_fen: Mapped[int] = mapped_column(BigInteger)
    act_pay_dedc_fen: Mapped[int] = mapped_column(BigInteger)
    hifp_pay_fen: Mapped[int] = mapped_column(BigInteger)
    pool_ratio_permille: Mapped[int] = mapped_column(Integer)
    fund_cap_left_fen: Mapped[int] = mapped_column(BigInteger)  # crt_payb_lmt_amt: the fund's room before
    fund_pay_fen: Mapped[int] = mapped_column(BigInteger)
    psn_part_fen: Mapped[int] = mapped_column(BigInteger)
    acct_pay_fen: Mapped[int] = mapped_column(BigInteger)
    acct_mulaid_fen: Mapped[int] = mapped_column(BigInteger)
    psn_cash_fen: Mapped[int] = mapped_column(BigInteger)
    hosp_part_fen: Mapped[int] = mapped_column(BigInteger)
    balc_fen: Mapped[int] = mapped_column(BigInteger)
    core_settlement_id: Mapped[int | None] = mapped_column(ForeignKey("settlements.id"))
    core_refund_id: Mapped[int | None] = mapped_column(ForeignKey("refunds.id"))
    fund_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_entries.id"))
    setl_time: Mapped[datetime] = mapped_column(UTCDateTime)
    setl_on: Mapped[date] = mapped_column(Date)

    __table_args__ = (
        CheckConstraint("kind IN ('settlement', 'cancellation')", name="kind"),
        CheckConstraint("status IN ('settled', 'cancelled')", name="status"),
        # NI-4: the parts add up, and the mutual-aid part is inside the personal-account part.
        CheckConstraint("medfee_fen = fund_pay_fen + psn_part_fen + hosp_part_fen", name="medfee_adds_up"),
        CheckConstraint("psn_part_fen = acct_pay_fen + psn_cash_fen", name="person_part_adds_up"),
        CheckConstraint("medfee_fen = fulamt_ownpay_fen + overlmt_selfpay_fen + preselfpay_fen + inscp_scp_fen",
                        name="scope_adds_up"),
        CheckConstraint(
            "(kind = 'settlement' AND medfee_fen >= 0 AND fund_pay_fen >= 0 AND acct_pay_fen >= 0 "
            " AND psn_cash_fen >= 0 AND acct_mulaid_fen >= 0 AND acct_mulaid_fen <= acct_pay_fen)"
            " OR (kind = 'cancellation' AND medfee_fen <= 0 AND fund_pay_fen <= 0 AND acct_pay_fen <= 0"
            " AND psn_cash_fen <= 0 AND acct_mulaid_fen <= 0 AND acct_mulaid_fen >= acct_pay_fen)",
            name="signs"),
        Index("ix_ni_settlements_reconciliation", "institution_id", "setl_on"),
    )


class NiFundYear(Base):
    """What the pooled fund has done for a person in a calendar year: deductible met and paid (NI-4)."""

    __tablename__ = "ni_fund_years"

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    deductible_used_fen: Mapped[int] = mapped_column(BigInteger)
    fund_paid_fen: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (CheckConstraint("deductible_used_fen >= 0 AND fund_paid_fen >= 0", name="not_negative"),)
