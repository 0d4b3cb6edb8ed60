"""What payers and beneficiaries can look up at any time (N-9, HN-6, HLJ-8).

Account changes (账户变动), consumption records (消费记录) as patient and as payer, and
authorization records (授权记录) from both sides; each with a date filter and paging. The other
side's ID number is masked: a payer sees whom he paid for and how much, not more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Generic, TypeVar

from sqlalchemy import Select, func, literal, or_, select, union_all
from sqlalchemy.orm import Session, aliased

from gongji.authorizations import rules as binding_rules
from gongji.authorizations.models import Binding
from gongji.authorizations.service import open_on
from gongji.errors import GongjiError
from gongji.inputs import check_id, check_optional_date
from gongji.institutions.models import Institution
from gongji.ledger.models import Account, LedgerEntry, Posting
from gongji.people.ids import mask
from gongji.people.models import Person
from gongji.settlement.models import Settlement, SettlementPart
from gongji.transfers.models import ContributionPayment

T = TypeVar("T")
MAX_LIMIT = 200


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


def check_paging(limit: int, offset: int) -> tuple[int, int]:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise GongjiError("INVALID_FIELD", field="limit", reason_zh=f"每页条数为1至{MAX_LIMIT}",
                          reason_en=f"a page holds 1 to {MAX_LIMIT} rows")
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise GongjiError("INVALID_FIELD", field="offset", reason_zh="起始位置不能为负数",
                          reason_en="the offset may not be negative")
    return limit, offset


def _dates(query: Select, column, from_on: date | None, to_on: date | None) -> Select:
    from_on = check_optional_date(from_on, field="from_on")
    to_on = check_optional_date(to_on, field="to_on")
    if from_on is not None and to_on is not None and to_on < from_on:
        raise GongjiError("INVALID_FIELD", field="to_on", reason_zh="结束日期不能早于开始日期",
                          reason_en="the end date may not be before the start date")
    if from_on is not None:
        query = query.where(column >= from_on)
    if to_on is not None:
        query = query.where(column <= to_on)
    return query


def _page(session: Session, query: Select, limit: int, offset: int, convert) -> Page:
    limit, offset = check_paging(limit, offset)
    total = session.execute(select(func.count()).select_from(query.order_by(None).subquery())).scalar_one()
    rows = session.execute(query.limit(limit).offset(offset)).all()
    return Page(items=[convert(r) for r in rows], total=total, limit=limit, offset=offset)


# -- account changes ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountChange:
    entry_id: int
    on: date
    kind: str  # credit, settlement, refund, transfer, resident_contribution, ...
    fund: str
    amount_fen: int
    balance_after_fen: int


def account_changes(session: Session, *, person_id: int, from_on: date | None = None, to_on: date | None = None,
                    limit: int = 50, offset: int = 0) -> Page[AccountChange]:
    """账户变动: every posting on the person's own account, newest first."""
    check_id(person_id, field="person_id")
    query = (
        select(Posting.entry_id, LedgerEntry.on, LedgerEntry.kind, Account.fund, Posting.amount_fen,
               Posting.balance_after_fen)
        .join(Account, Account.id == Posting.account_id)
        .join(LedgerEntry, LedgerEntry.id == Posting.entry_id)
        .where(Account.person_id == person_id)
        .order_by(Posting.id.desc())
    )
    query = _dates(query, LedgerEntry.on, from_on, to_on)
    return _page(session, query, limit, offset, lambda r: AccountChange(*r))


# -- consumption --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Consumption:
    """A settlement as its patient sees it: the bill, who paid, what was refunded."""

    settlement_id: int
    on: date
    institution_name: str
    use: str
    amount_fen: int
    own_fen: int
    mutual_aid_fen: int
    cash_fen: int
    refunded_fen: int
    status: str


def consumption_as_patient(session: Session, *, person_id: int, from_on: date | None = None,
                           to_on: date | None = None, limit: int = 50, offset: int = 0) -> Page[Consumption]:
    """消费记录: the person's own bills and how each was paid."""
    check_id(person_id, field="person_id")
    query = (
        select(Settlement.id, Settlement.settled_on, Institution.name, Settlement.use, Settlement.amount_fen,
               Settlement.own_fen, Settlement.mutual_aid_fen, Settlement.cash_fen, Settlement.refunded_fen,
               Settlement.status)
        .join(Institution, Institution.id == Settlement.institution_id)
        .where(Settlement.patient_id == person_id)
        .order_by(Settlement.id.desc())
    )
    query = _dates(query, Settlement.settled_on, from_on, to_on)
    return _page(session, query, limit, offset, lambda r: Consumption(*r))


@dataclass(frozen=True)
class AidPayment:
    """Money one person's account paid for a relative (N-9): toward a bill, or a resident contribution (N-5).

    ``other_*`` is the other side: the relative paid for (as payer) or the payer (as beneficiary), ID masked.
    """

    kind: str  # 'settlement' or 'resident_contribution'
    settlement_id: int | None
    on: date
    other_name: str
    other_id_number: str  # masked
    institution_name: str | None  # None for a contribution
    use: str
    fund: str | None  # None for a contribution (it may draw on both funds)
    amount_fen: int
    refunded_fen: int


def _aid_payments(session: Session, *, person_id: int, as_payer: bool, from_on: date | None, to_on: date | None,
                  limit: int, offset: int) -> Page[AidPayment]:
    check_id(person_id, field="person_id")
    other = aliased(Person)
    if as_payer:
        mine, theirs = SettlementPart.payer_id == person_id, Settlement.patient_id
        c_mine, c_theirs = ContributionPayment.payer_id == person_id, ContributionPayment.beneficiary_id
        not_self = Settlement.patient_id != person_id
    else:
        mine, theirs = Settlement.patient_id == person_id, SettlementPart.payer_id
        c_mine, c_theirs = ContributionPayment.beneficiary_id == person_id, ContributionPayment.payer_id
        not_self = SettlementPart.payer_id != person_id
    bills = _dates(
        select(literal("settlement").label("kind"), Settlement.id.label("settlement_id"),
               Settlement.settled_on.label("on"), other.name.label("other_name"),
               other.id_number.label("other_id_number"), Institution.name.label("institution_name"),
               Settlement.use.label("use"), SettlementPart.fund.label("fund"),
               SettlementPart.amount_fen.label("amount_fen"), SettlementPart.refunded_fen.label("refunded_fen"),
               SettlementPart.id.label("seq"))
        .join(Settlement, Settlement.id == SettlementPart.settlement_id)
        .join(other, other.id == theirs)
        .join(Institution, Institution.id == Settlement.institution_id)
        .where(mine, not_self),
        Settlement.settled_on, from_on, to_on,
    )
    other_c = aliased(Person)
    contributions = _dates(
        select(literal("resident_contribution").label("kind"), literal(None).label("settlement_id"),
               ContributionPayment.on.label("on"), other_c.name.label("other_name"),
               other_c.id_number.label("other_id_number"), literal(None).label("institution_name"),
               literal("resident_contribution").label("use"), literal(None).label("fund"),
               ContributionPayment.amount_fen.label("amount_fen"), literal(0).label("refunded_fen"),
               ContributionPayment.id.label("seq"))
        .join(other_c, other_c.id == c_theirs)
        .where(c_mine),
        ContributionPayment.on, from_on, to_on,
    )
    both = union_all(bills, contributions).subquery()
    query = select(*[c for c in both.c if c.name != "seq"]).order_by(both.c.on.desc(), both.c.kind, both.c.seq.desc())
    return _page(session, query, limit, offset,
                 lambda r: AidPayment(r.kind, r.settlement_id, r.on, r.other_name, mask(r.other_id_number),
                                      r.institution_name, r.use, r.fund, r.amount_fen, r.refunded_fen))


def payments_as_payer(session: Session, *, person_id: int, from_on: date | None = None, to_on: date | None = None,
                      limit: int = 50, offset: int = 0) -> Page[AidPayment]:
    """What the person's account paid for relatives (N-9): bills and resident contributions, newest first."""
    return _aid_payments(session, person_id=person_id, as_payer=True, from_on=from_on, to_on=to_on, limit=limit,
                         offset=offset)


def paid_for_me(session: Session, *, person_id: int, from_on: date | None = None, to_on: date | None = None,
                limit: int = 50, offset: int = 0) -> Page[AidPayment]:
    """What relatives' accounts paid for the person (N-9): the same payments, seen from the beneficiary."""
    return _aid_payments(session, person_id=person_id, as_payer=False, from_on=from_on, to_on=to_on, limit=limit,
                         offset=offset)


# -- authorization records --------------------------------------------------------------------------


@dataclass(frozen=True)
class AuthorizationRecord:
    binding_id: int
    role: str  # 'payer': I pay for the other; 'beneficiary': the other pays for me
    other_name: str
    other_id_number: str  # masked
    relationship: str
    start_on: date
    end_on: date | None
    priority: int | None
    state: str  # pending, active, ended, expired
    ended_on: date | None
    end_reason: str | None
    channel: str
    paused: bool = False  # D-3: it pays nothing until resumed
    #: PP-1: the payer's monthly limit for the relative (None: none); whoever shows the record decides who sees it
    monthly_limit_fen: int | None = None


def authorization_records(session: Session, *, person_id: int, today: date, role: str = "both",
                          include_ended: bool = True, limit: int = 50, offset: int = 0) -> Page[AuthorizationRecord]:
    """授权记录 (HLJ-8, N-9): bindings in which the person pays or is paid for, newest first."""
    check_id(person_id, field="person_id")
    if role not in ("payer", "beneficiary", "both"):
        raise GongjiError("INVALID_FIELD", field="role", reason_zh="可选：payer、beneficiary、both",
                          reason_en="one of: payer, beneficiary, both")
    other = aliased(Person)
    condition = {
        "payer": Binding.payer_id == person_id,
        "beneficiary": Binding.beneficiary_id == person_id,
        "both": or_(Binding.payer_id == person_id, Binding.beneficiary_id == person_id),
    }[role]
    query = (
        select(Binding, other.name, other.id_number)
        .join(other, other.id == func.coalesce(
            *[func.nullif(Binding.payer_id, person_id), Binding.beneficiary_id]))
        .where(condition)
        .order_by(Binding.id.desc())
    )
    if not include_ended:
        query = query.where(open_on(today))

    def convert(row) -> AuthorizationRecord:
        binding, name, id_number = row
        return AuthorizationRecord(
            binding_id=binding.id, role="payer" if binding.payer_id == person_id else "beneficiary",
            other_name=name, other_id_number=mask(id_number), relationship=binding.relationship,
            start_on=binding.start_on, end_on=binding.end_on, priority=binding.priority,
            state=binding_rules.state(start_on=binding.start_on, end_on=binding.end_on, ended_on=binding.ended_on,
                                      end_reason=binding.end_reason, today=today),
            ended_on=binding.ended_on, end_reason=binding.end_reason, channel=binding.channel,
            paused=binding.paused_at is not None, monthly_limit_fen=binding.monthly_limit_fen,
        )

    return _page(session, query, limit, offset, convert)
