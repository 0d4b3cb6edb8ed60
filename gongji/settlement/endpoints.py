"""Quotes, settlements, refunds and cancellations over HTTP (N-3, N-4, N-10, HN-4, HN-5, WL-1, SZ-1, SZ-5).

An institution settles for a patient as itself (the signed caller, never a code from the body) and
may read, refund or cancel only its own settlements. Staff refund at a counter for the settlements of
their region (HN-5). A patient reads his own settlements.

What anybody sees of the payers is how much each account paid, the payer's name and his masked ID
number: never a balance, and never why a bound payer did not pay (only how many did not).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from gongji.api.calls import Call, IdempotencyKey, allow, allow_once
from gongji.api.schemas import Id, IdNumber, Input, Output, PositiveFen, shown_id
from gongji.auth.service import Role
from gongji.clock import CST
from gongji.contributions import service as contributions
from gongji.errors import GongjiError
from gongji.institutions.models import Institution
from gongji.people.models import Person
from gongji.settlement import service as settlements
from gongji.settlement.models import Refund, Settlement
from gongji.terms import Fund, Relationship, Use

try:
    from gongji.api import metrics
except ImportError:
    metrics = None

router = APIRouter(prefix="/v1", tags=["settlements"])

Institution_ = Annotated[Call, Depends(allow(Role.INSTITUTION))]
InstitutionSettling = allow_once(Role.INSTITUTION)  # the signature is checked in the settlement's transaction
InstitutionOrStaffRefunding = allow_once(Role.INSTITUTION, Role.STAFF, Role.ADMIN)
Reader = Annotated[Call, Depends(allow(Role.INSTITUTION, Role.STAFF, Role.ADMIN, Role.PERSON))]


# -- requests -------------------------------------------------------------------------------------

class CertificateIn(Input):
    """N-4: the patient's own card or voucher (national interface mdtrt_cert_type / mdtrt_cert_no)."""

    type: Literal["e_voucher", "id_card", "insurance_card"]
    number: Annotated[str, Field(min_length=1, max_length=50)]


class AgentIn(Input):
    """N-4, WL-3: who buys for the patient in a proxy purchase (代买药)."""

    name: Annotated[str, Field(min_length=1, max_length=50)]
    id_number: IdNumber


class AttestationIn(Input):
    """SZ-5: a relative's paper attestation on the prescription, before any binding: he pays once."""

    payer_id_number: IdNumber
    relationship: Relationship
    phone: Annotated[str, Field(min_length=1, max_length=20)]
    signed: bool


class QuoteIn(Input):
    patient_id_number: IdNumber
    amount_fen: PositiveFen = Field(description="个人负担部分（分）· the personal-borne part of the bill, in fen")
    use: Use
    certificate: CertificateIn | None = None


class SettlementIn(QuoteIn):
    agent: AgentIn | None = None
    attestation: AttestationIn | None = None


class RefundIn(Input):
    amount_fen: PositiveFen | None = Field(
        None, description="退费金额，不填为全部未退金额 · leave out to refund all that is left")
    reason: Annotated[str | None, Field(max_length=200)] = None


class CancelIn(Input):
    reason: Annotated[str | None, Field(max_length=200)] = None


# -- answers --------------------------------------------------------------------------------------

class PersonShown(Output):
    name: str
    id_number: str = Field(description="本人可见完整号码，他人脱敏 · full for its owner, masked for others")


class PartView(Output):
    """What one account paid: how much, from which fund, whose (never the balance)."""

    payer: PersonShown
    is_own: bool = Field(description="就诊人本人账户 · the patient's own account")
    fund: Fund
    amount_fen: int


class _Plan(Output):
    institution_code: str
    patient: PersonShown
    use: Use
    amount_fen: int
    own_fen: int
    mutual_aid_fen: int
    account_fen: int = Field(description="个人账户支付合计（含共济）· all paid by personal accounts (acct_pay)")
    cash_fen: int
    parts: list[PartView]
    pooled_share_permille: int = Field(
        description="统筹基金今日的支付比例（千分比，1000 为全额）· the pooled fund's share for the patient today, in "
                    "permille of its usual share (LC-2, LC-4)")
    pooled_share_reason: str = Field(description="normal, suspended, terminated, waiting, reduced, unknown")
    waiting_until: date | None = Field(
        description="待遇等待期最后一天（等待期内统筹基金不支付，个人账户照常）· the last day of the patient's waiting "
                    "period: until then the pooled fund pays nothing; the personal account pays as usual (LC-4)")
    reduced_share_until: date | None = Field(
        description="统筹基金按降低比例支付的最后一天 · the last day of a reduced pooled-fund share (LC-4)")


class QuoteView(_Plan):
    skipped_payers: int = Field(description="不会支付的已绑定共济人人数（不含原因）· how many bound payers would not "
                                            "pay (never why)")


class SettlementView(_Plan):
    settlement_id: int
    status: Literal["settled", "partially_refunded", "refunded"]
    settled_at: datetime
    refunded_fen: int
    refund_ids: list[int]
    skipped_payers: int | None = Field(
        description="未支付的已绑定共济人人数（不含原因），仅在结算应答中 · how many bound payers did not pay "
                    "(never why), in the answer to the settlement only")


class RefundPartView(Output):
    """Where money went back (HN-5): the account that paid it."""

    payer: PersonShown
    is_own: bool
    fund: Fund
    amount_fen: int


class RefundView(Output):
    refund_id: int
    settlement_id: int
    amount_fen: int
    account_fen: int = Field(description="退回个人账户 · back to personal accounts")
    cash_fen: int = Field(description="退现金 · back in cash")
    parts: list[RefundPartView]
    reason: str | None
    at: datetime
    settlement_status: Literal["settled", "partially_refunded", "refunded"] = Field(
        description="结算现在的状态 · the settlement's status now")
    settlement_refunded_fen: int = Field(description="结算至今已退合计 · all refunded of the settlement so far")


# -- building the answers -------------------------------------------------------------------------

@dataclass(frozen=True)
class _Named:
    name: str
    id_number: str


def _people(session: Session, ids: set[int]) -> dict[int, _Named]:
    if not ids:
        return {}
    rows = session.execute(select(Person.id, Person.name, Person.id_number).where(Person.id.in_(ids)))
    return {row.id: _Named(row.name, row.id_number) for row in rows}


def _shown(call: Call, person_id: int, person: _Named) -> PersonShown:
    return PersonShown(name=person.name, id_number=shown_id(person.id_number, owner=call.is_self(person_id)))


def _plan_fields(call: Call, session: Session, result: settlements.SettlementResult) -> dict:
    if result.patient_id_number and all(line.payer_id_number for line in result.lines):  # the result knows them
        known = {result.patient_id: _Named(result.patient_name, result.patient_id_number)}
        known.update({line.payer_id: _Named(line.payer_name, line.payer_id_number) for line in result.lines})
    else:
        known = _people(session, {result.patient_id} | {line.payer_id for line in result.lines})
    enrollment = session.get(Person, result.patient_id).enrollment
    share = contributions.pooled_share(session, call.env, enrollment)  # LC-2, LC-4: what the patient is told too
    return dict(
        pooled_share_permille=share.permille, pooled_share_reason=share.reason, waiting_until=share.waiting_until,
        reduced_share_until=share.last_day if share.reason == "reduced" else None,
        institution_code=result.institution_code, patient=_shown(call, result.patient_id, known[result.patient_id]),
        use=result.use, amount_fen=result.amount_fen, own_fen=result.own_fen,
        mutual_aid_fen=result.mutual_aid_fen, account_fen=result.account_fen, cash_fen=result.cash_fen,
        parts=[PartView(payer=_shown(call, line.payer_id, known[line.payer_id]), is_own=line.is_own, fund=line.fund,
                        amount_fen=line.amount_fen) for line in result.lines],
    )


def _settlement_view(call: Call, session: Session, result: settlements.SettlementResult, *,
                     skipped: int | None = None) -> SettlementView:
    refund_ids = [] if result.refunded_fen == 0 else (  # every refund refunds something
        session.execute(select(Refund.id).where(Refund.settlement_id == result.settlement_id).order_by(Refund.id))
        .scalars().all())
    return SettlementView(**_plan_fields(call, session, result), skipped_payers=skipped,
                          settlement_id=result.settlement_id, status=result.status,
                          settled_at=result.settled_at.astimezone(CST), refunded_fen=result.refunded_fen,
                          refund_ids=list(refund_ids))


def _refund_view(call: Call, session: Session, result: settlements.RefundResult) -> RefundView:
    row = session.get(Refund, result.refund_id)
    known = _people(session, {line.payer_id for line in result.lines})
    return RefundView(
        refund_id=result.refund_id, settlement_id=result.settlement_id, amount_fen=result.amount_fen,
        account_fen=result.amount_fen - result.cash_fen, cash_fen=result.cash_fen,
        parts=[RefundPartView(payer=_shown(call, line.payer_id, known[line.payer_id]), is_own=line.is_own, fund=line.fund,
                              amount_fen=line.amount_fen) for line in result.lines],
        reason=row.reason, at=row.at.astimezone(CST), settlement_status=result.settlement_status,
        settlement_refunded_fen=result.settlement_refunded_fen,
    )


# -- who may see and refund what ------------------------------------------------------------------

def _settlement_for(call: Call, session: Session, settlement_id: int, *, refunding: bool = False
                    ) -> tuple[Settlement, Institution]:
    """The settlement if the caller may see (or refund) it: its institution, staff of its region, its patient."""
    settlement = settlements.get(session, settlement_id)
    institution = session.get(Institution, settlement.institution_id)
    who = call.who
    if who.role is Role.INSTITUTION:
        if institution.code != who.id:
            if refunding:
                raise GongjiError("SETTLEMENT_OF_OTHER_INSTITUTION", settlement_id=settlement.id)
            raise call.forbid("查看其他机构办理的结算", "see settlements made by another institution")
    elif who.role is Role.PERSON:
        if who.person_id != settlement.patient_id:
            raise call.forbid("查看他人的结算", "see other people's settlements")
    elif not (who.covers(settlement.region_code) or who.covers(institution.region_code)):
        raise call.forbid("查看或办理其他地区的结算", "see or act on settlements of another region")
    return settlement, institution


# -- quote and settle -----------------------------------------------------------------------------

def _certificate(body: QuoteIn) -> settlements.Certificate | None:
    cert = body.certificate
    return settlements.Certificate(type=cert.type, number=cert.number) if cert else None


@router.post("/quotes", response_model=QuoteView,
             summary="预结算（定点机构）· quote: who would pay what, now (institutions; writes nothing)")
def quote(body: QuoteIn, call: Institution_) -> QuoteView:
    def work(s: Session) -> QuoteView:
        result = settlements.quote(s, call.env, institution_code=call.who.id,
                                   patient_id_number=body.patient_id_number, amount_fen=body.amount_fen,
                                   use=body.use.value, cert=_certificate(body))
        return QuoteView(**_plan_fields(call, s, result), skipped_payers=len(result.skipped))

    return call.read(work)


@router.post("/settlements", response_model=SettlementView, status_code=201,
             summary="结算（定点机构）· settle a bill (institutions; N-3, N-4, N-10, HN-4, WL-1, SZ-5)")
def settle(body: SettlementIn, call: InstitutionSettling, idempotency_key: IdempotencyKey = None):
    done: list[settlements.SettlementResult] = []

    def work(s: Session) -> SettlementView:
        agent = settlements.Agent(name=body.agent.name, id_number=body.agent.id_number) if body.agent else None
        a = body.attestation
        attestation = settlements.Attestation(
            payer_id_number=a.payer_id_number, relationship=a.relationship.value, phone=a.phone, signed=a.signed,
        ) if a else None
        result = settlements.settle(
            s, call.env, institution_code=call.who.id, patient_id_number=body.patient_id_number,
            amount_fen=body.amount_fen, use=body.use.value, idempotency_key=call.core_key(Role.INSTITUTION),
            cert=_certificate(body), agent=agent, attestation=attestation)
        done[:] = [result]
        return _settlement_view(call, s, result, skipped=None if result.replayed else len(result.skipped))

    response = call.once(work, body=body, status_code=201)
    if metrics is not None and done and not done[0].replayed:
        metrics.record_settlement(done[0])
    return response


@router.get("/settlements/{settlement_id}", response_model=SettlementView,
            summary="结算详情 · a settlement (its institution, staff of its region, its patient)")
def get_settlement(settlement_id: Id, call: Reader) -> SettlementView:
    def work(s: Session) -> SettlementView:
        settlement, _ = _settlement_for(call, s, settlement_id)
        return _settlement_view(call, s, settlements.result_of(s, settlement.id))

    return call.read(work)


# -- refunds and cancellation (HN-5) --------------------------------------------------------------

def _refund(call: Call, settlement_id: int, body: RefundIn | CancelIn | None, *, cancel: bool):
    done: list[settlements.RefundResult] = []

    def work(s: Session) -> RefundView:
        _, institution = _settlement_for(call, s, settlement_id, refunding=True)
        reason = body.reason if body is not None else None
        common = dict(institution_code=institution.code, settlement_id=settlement_id,
                      idempotency_key=call.core_key(Role.INSTITUTION), reason=reason, actor=call.who.actor())
        if cancel:
            result = settlements.cancel(s, call.env, **common)
        else:
            result = settlements.refund(s, call.env, amount_fen=body.amount_fen, **common)
        done[:] = [result]
        return _refund_view(call, s, result)

    response = call.once(work, body=body, status_code=201)
    if metrics is not None and done and not done[0].replayed:
        metrics.record_refund(done[0])
    return response


@router.post("/settlements/{settlement_id}/refunds", response_model=RefundView, status_code=201,
             summary="退费 · refund a settlement, all or part (its institution, or staff of its region; HN-5)")
def refund(settlement_id: Id, body: RefundIn, call: InstitutionOrStaffRefunding,
           idempotency_key: IdempotencyKey = None):
    """The money goes back to the accounts that paid it, also when the binding has ended since (HN-5);
    a partial refund returns cash first and the patient's own account last."""
    return _refund(call, settlement_id, body, cancel=False)


@router.post("/settlements/{settlement_id}/cancel", response_model=RefundView, status_code=201,
             summary="撤销结算 · cancel a settlement: refund all that is left (its institution, or staff; HN-5)")
def cancel(settlement_id: Id, call: InstitutionOrStaffRefunding, body: CancelIn | None = None,
           idempotency_key: IdempotencyKey = None):
    return _refund(call, settlement_id, body, cancel=True)


@router.get("/refunds/{refund_id}", response_model=RefundView,
            summary="退费详情 · a refund (the settlement's institution, staff of its region, its patient)")
def get_refund(refund_id: Id, call: Reader) -> RefundView:
    def work(s: Session) -> RefundView:
        row = s.get(Refund, refund_id)
        if row is None:
            raise GongjiError("REFUND_NOT_FOUND", refund_id=refund_id)
        _settlement_for(call, s, row.settlement_id)
        return _refund_view(call, s, settlements.refund_result_of(s, row.id))

    return call.read(work)
