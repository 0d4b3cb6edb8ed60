"""Quotes, settlements, refunds and cancellations: load the facts, let the rules decide, post the result.

A quote (pre-settlement) runs the same plan as a settlement and writes nothing. A settlement
locks every account that may pay (ascending id), plans with the locked balances, and writes the
settlement, its parts and one balanced ledger entry in the caller's transaction. A retried request
with the same idempotency key gets the first result back and moves no more money.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gongji import idempotency
from gongji.actors import Actor
from gongji.authorizations import rules as binding_rules
from gongji.authorizations import service as authorizations
from gongji.authorizations.service import party
from gongji.env import Env
from gongji.errors import GongjiError
from gongji.events.service import record as record_event
from gongji.inputs import check_id, check_text
from gongji.institutions import service as institutions
from gongji.institutions.models import Institution
from gongji.ledger import service as ledger
from gongji.ledger.models import Account
from gongji.money import require_fen
from gongji.people import service as people
from gongji.people.ids import mask, parse_id_number
from gongji.people.models import Person
from gongji.settlement import rules
from gongji.settlement.models import Refund, RefundPart, Settlement, SettlementPart
from gongji.terms import INSTITUTION_USES, Fund, InstitutionKind, Relationship, Status, Use, parse_enum

CERT_TYPES = {"e_voucher", "id_card", "insurance_card"}


@dataclass(frozen=True)
class Certificate:
    """N-4: the card or voucher the patient presented (mdtrt_cert_type / mdtrt_cert_no)."""

    type: str
    number: str


@dataclass(frozen=True)
class Agent:
    """N-4: the person who buys for the patient in a proxy purchase (代买药)."""

    name: str
    id_number: str


@dataclass(frozen=True)
class Attestation:
    """SZ-5: before a binding exists, the payer attests on the prescription: his card, the relationship, a phone
    number and his signature. The institution records it and the payer's account pays once."""

    payer_id_number: str
    relationship: str
    phone: str
    signed: bool


@dataclass(frozen=True)
class PaymentLine:
    payer_id: int
    payer_name: str
    is_own: bool
    fund: Fund
    amount_fen: int
    binding_id: int | None


@dataclass(frozen=True)
class SkippedPayer:
    payer_id: int
    payer_name: str
    binding_id: int | None  # None: a payer attested on paper (SZ-5)
    reason: str

    @property
    def reason_zh(self) -> str:
        return rules.SKIP_REASONS[self.reason][0]

    @property
    def reason_en(self) -> str:
        return rules.SKIP_REASONS[self.reason][1]


@dataclass(frozen=True)
class SettlementResult:
    settlement_id: int | None  # None for a quote
    institution_code: str
    patient_id: int
    patient_name: str
    use: Use
    amount_fen: int
    own_fen: int
    mutual_aid_fen: int
    cash_fen: int
    lines: tuple[PaymentLine, ...]
    skipped: tuple[SkippedPayer, ...] = ()
    settled_at: datetime | None = None
    status: str = "quote"
    refunded_fen: int = 0
    replayed: bool = False  # True: the answer to an earlier request with the same idempotency key

    @property
    def account_fen(self) -> int:
        """NI-4 ``acct_pay``: everything personal accounts paid, mutual aid included."""
        return self.own_fen + self.mutual_aid_fen


@dataclass(frozen=True)
class RefundLine:
    payer_id: int
    payer_name: str
    is_own: bool
    fund: Fund
    amount_fen: int


@dataclass(frozen=True)
class RefundResult:
    refund_id: int
    settlement_id: int
    amount_fen: int
    cash_fen: int
    lines: tuple[RefundLine, ...]
    settlement_status: str
    settlement_refunded_fen: int
    replayed: bool = False


@dataclass(frozen=True)
class _OneOff:
    """Stands in for a binding when a payer pays once on a paper attestation (SZ-5); comes after bound payers."""

    payer_id: int
    id: None = None
    priority: None = None


@dataclass
class _Facts:
    institution: Institution
    patient: Person
    use: Use
    own_funds: list[rules.FundBalance] = field(default_factory=list)
    candidates: list[rules.PayerCandidate] = field(default_factory=list)
    skipped: list[SkippedPayer] = field(default_factory=list)
    names: dict[int, str] = field(default_factory=dict)


# -- input ---------------------------------------------------------------------------------------


def check_certificate(patient: Person, cert: Certificate | None) -> None:
    """N-4: a patient always uses his own card or voucher; cards are never shared."""
    if cert is None:
        return
    if not isinstance(cert.type, str) or cert.type not in CERT_TYPES:
        raise GongjiError("INVALID_FIELD", field="cert.type", reason_zh=f"凭证类型可选：{', '.join(sorted(CERT_TYPES))}",
                          reason_en=f"the certificate type is one of: {', '.join(sorted(CERT_TYPES))}")
    if not isinstance(cert.number, str) or not cert.number or len(cert.number) > 50:
        raise GongjiError("INVALID_FIELD", field="cert.number", reason_zh="请填写凭证号码（最多50位）",
                          reason_en="give the certificate number (at most 50 characters)")
    enrollment = people.enrollment_of(patient)
    own = {
        "id_card": patient.id_number,
        "insurance_card": enrollment.card_no,
    }.get(cert.type, cert.number)  # an e-voucher is a one-time token issued to the patient: recorded, not compared
    if cert.number.upper() != (own or "").upper():
        shown = mask(cert.number) if cert.type == "id_card" else cert.number[:4] + "****"
        raise GongjiError("CARD_NOT_PATIENTS", cert_no=shown, name=patient.name)


def _check_agent(agent: Agent | None, patient: Person, cert: Certificate | None, today: date) -> Agent | None:
    """N-4, WL-3: an agent buys with the patient's own card (already checked) and is someone else."""
    if agent is None:
        return None
    if not agent.name or not agent.id_number:
        raise GongjiError("AGENT_INCOMPLETE")
    people.check_name(agent.name)
    checked = Agent(name=agent.name.strip(), id_number=parse_id_number(agent.id_number, today=today).number)
    if cert is None:
        raise GongjiError("AGENT_NEEDS_PATIENT_CARD", name=patient.name)
    if checked.id_number == patient.id_number:
        raise GongjiError("AGENT_IS_PATIENT")
    return checked


def _prepare(session: Session, env: Env, *, institution_code: str, patient_id_number: str, amount_fen: int,
             use: str, cert: Certificate | None) -> tuple[Institution, Person, Use]:
    require_fen(amount_fen, field="amount_fen")
    return admit(session, env, institution_code=institution_code, patient_id_number=patient_id_number, use=use,
                 cert=cert)


def admit(session: Session, env: Env, *, institution_code: str, patient_id_number: str, use: str,
          cert: Certificate | None) -> tuple[Institution, Person, Use]:
    """May this institution settle a bill of this use for this patient, with this card? (N-4, scope, status)"""
    use_ = parse_enum(Use, use, field="use", error="UNKNOWN_USE")
    institution = institutions.find(session, institution_code)
    kind = InstitutionKind(institution.kind)
    if use_ not in INSTITUTION_USES[kind]:
        raise GongjiError("INSTITUTION_CANNOT_SETTLE_USE", institution_name=institution.name, kind_zh=kind.zh,
                          kind_en=kind.en, use_zh=use_.zh, use_en=use_.en)
    patient = people.find(session, patient_id_number)
    enrollment = people.enrollment_of(patient)
    if enrollment.status == Status.TERMINATED.value:
        raise GongjiError("NOT_ENROLLED", name=patient.name, status_zh=Status.TERMINATED.zh,
                          status_en=Status.TERMINATED.en)
    if institution.region_code[:2] != enrollment.region_code[:2]:
        raise GongjiError("INSTITUTION_OUT_OF_REGION", institution_name=institution.name, name=patient.name)
    check_certificate(patient, cert)
    return institution, patient, use_


def _funds(accounts: list[Account]) -> tuple[rules.FundBalance, ...]:
    return tuple(rules.FundBalance(account_id=a.id, fund=Fund(a.fund), balance_fen=a.balance_fen) for a in accounts)


def _check_attestation(session: Session, env: Env, patient: Person, attestation: Attestation) -> Person:
    """SZ-5: only where the region takes paper attestations; signed; a close relative the region allows."""
    policy = env.policy(people.enrollment_of(patient).region_code)
    if not policy.paper_attestation:
        raise GongjiError("ATTESTATION_NOT_OFFERED", region_name=policy.name)
    if attestation.signed is not True or not attestation.phone:
        raise GongjiError("ATTESTATION_UNSIGNED")
    people.check_phone(attestation.phone)
    relationship = parse_enum(Relationship, attestation.relationship, field="attestation.relationship",
                              error="UNKNOWN_RELATIONSHIP")
    payer = people.find(session, attestation.payer_id_number)
    payer_party, patient_party = party(payer), party(patient)
    binding_rules.check_not_self(payer_party, patient_party)
    payer_policy = env.policy(payer_party.region_code)
    binding_rules.check_relationship_allowed(relationship, payer_policy)
    binding_rules.check_relationship_plausible(relationship, payer_party, patient_party)
    return payer


def _gather(session: Session, env: Env, institution: Institution, patient: Person, use: Use,
            attested_payer: Person | None = None) -> _Facts:
    """Load the patient's own funds and every payer bound to him today, with why some may not pay."""
    today = env.today()
    facts = _Facts(institution=institution, patient=patient, use=use)
    facts.names[patient.id] = patient.name
    patient_party = party(patient)
    patient_policy = env.policy(patient_party.region_code)
    own = list(session.execute(select(Account).where(Account.person_id == patient.id).order_by(Account.id)).scalars())
    facts.own_funds = list(_funds(own))
    bindings: list[Any] = list(authorizations.active_payer_bindings(session, beneficiary_id=patient.id, on=today))
    if attested_payer is not None and attested_payer.id not in {b.payer_id for b in bindings}:
        bindings.append(_OneOff(payer_id=attested_payer.id))
    if not bindings:
        return facts
    payer_ids = [b.payer_id for b in bindings]
    payers = {p.id: p for p in session.execute(select(Person).where(Person.id.in_(payer_ids))).unique().scalars()}
    accounts: dict[int, list[Account]] = {}
    for account in session.execute(
        select(Account).where(Account.person_id.in_(payer_ids)).order_by(Account.id)
    ).scalars():
        accounts.setdefault(account.person_id, []).append(account)
    for binding in bindings:
        payer = payers[binding.payer_id]
        facts.names[payer.id] = payer.name
        payer_party = party(payer)
        payer_policy = env.policy(payer_party.region_code)
        reason = rules.skip_reason(payer=payer_party, patient=patient_party, payer_policy=payer_policy,
                                   patient_policy=patient_policy, use=use)
        if reason is None and not accounts.get(payer.id):
            reason = "payer_not_employee"
        if reason is not None:
            facts.skipped.append(SkippedPayer(payer.id, payer.name, binding.id, reason))
            continue
        facts.candidates.append(
            rules.PayerCandidate(
                payer_id=payer.id, binding_id=binding.id, name=payer.name, name_sort_key=payer.name_sort_key,
                id_number=payer.id_number, priority=binding.priority, funds=_funds(accounts[payer.id]),
                reserve_line_fen=payer_policy.reserve_line_fen,
                funds_for_relatives=frozenset(payer_policy.funds_for_relatives),
            )
        )
    return facts


def _with_balances(facts: _Facts, balances: dict[int, int]) -> None:
    """Replace the balances read before locking with the locked ones, and re-order the payers."""
    facts.own_funds = [rules.FundBalance(f.account_id, f.fund, balances[f.account_id]) for f in facts.own_funds]
    facts.candidates = [
        rules.PayerCandidate(
            payer_id=c.payer_id, binding_id=c.binding_id, name=c.name, name_sort_key=c.name_sort_key,
            id_number=c.id_number, priority=c.priority,
            funds=tuple(rules.FundBalance(f.account_id, f.fund, balances[f.account_id]) for f in c.funds),
            reserve_line_fen=c.reserve_line_fen, funds_for_relatives=c.funds_for_relatives,
        )
        for c in facts.candidates
    ]


def _plan(facts: _Facts, env: Env, amount_fen: int) -> tuple[rules.Plan, list[SkippedPayer]]:
    policy = env.policy(people.enrollment_of(facts.patient).region_code)
    ordered = rules.order_payers(facts.candidates, policy.payer_order)  # with the balances as locked
    plan = rules.allocate(amount_fen=amount_fen, patient_id=facts.patient.id, own_funds=facts.own_funds,
                          payers=ordered)
    paying = {p.payer_id for p in plan.parts}
    skipped = list(facts.skipped)
    for candidate in ordered:
        if candidate.payer_id in paying:
            continue
        reason = "no_balance" if candidate.available_fen == 0 else "not_needed"
        skipped.append(SkippedPayer(candidate.payer_id, candidate.name, candidate.binding_id, reason))
    return plan, skipped


def _lines(plan_parts, names: dict[int, str], patient_id: int) -> tuple[PaymentLine, ...]:
    return tuple(
        PaymentLine(payer_id=p.payer_id, payer_name=names.get(p.payer_id, ""), is_own=p.payer_id == patient_id,
                    fund=Fund(p.fund), amount_fen=p.amount_fen, binding_id=p.binding_id)
        for p in plan_parts
    )


# -- quote and settle ------------------------------------------------------------------------------


def quote(session: Session, env: Env, *, institution_code: str, patient_id_number: str, amount_fen: int,
          use: str, cert: Certificate | None = None) -> SettlementResult:
    """Pre-settlement: who would pay what, now. Writes nothing."""
    institution, patient, use_ = _prepare(session, env, institution_code=institution_code,
                                          patient_id_number=patient_id_number, amount_fen=amount_fen, use=use,
                                          cert=cert)
    facts = _gather(session, env, institution, patient, use_)
    plan, skipped = _plan(facts, env, amount_fen)
    return SettlementResult(
        settlement_id=None, institution_code=institution.code, patient_id=patient.id, patient_name=patient.name,
        use=use_, amount_fen=amount_fen, own_fen=plan.own_fen, mutual_aid_fen=plan.mutual_aid_fen,
        cash_fen=plan.cash_fen, lines=_lines(plan.parts, facts.names, patient.id), skipped=tuple(skipped),
    )


def settle(
    session: Session,
    env: Env,
    *,
    institution_code: str,
    patient_id_number: str,
    amount_fen: int,
    use: str,
    idempotency_key: str,
    cert: Certificate | None = None,
    agent: Agent | None = None,
    attestation: Attestation | None = None,
) -> SettlementResult:
    """Settle the personal-borne part of a bill (N-3, N-4, N-10, HN-2, HN-4, WL-1, SZ-1, SZ-5)."""
    key = idempotency.check_key(idempotency_key)
    # The key first: a retry gets the first answer even if something has changed since (N-10 paid once).
    scope = f"settlement:{str(institution_code)[:30]}"
    content = {"patient": str(patient_id_number).strip().upper(), "amount_fen": repr(amount_fen), "use": str(use),
               "cert": [repr(cert.type), repr(cert.number)] if cert else None,
               "agent": [repr(agent.name), repr(agent.id_number)] if agent else None,
               "attestation": [repr(attestation.payer_id_number), repr(attestation.relationship),
                               repr(attestation.phone), repr(attestation.signed)] if attestation else None}
    earlier = idempotency.find(session, scope=scope, key=key, content=content)
    if earlier is not None:
        return result_of(session, earlier.result_id, replayed=True)
    institution, patient, use_ = _prepare(session, env, institution_code=institution_code,
                                          patient_id_number=patient_id_number, amount_fen=amount_fen, use=use,
                                          cert=cert)
    agent = _check_agent(agent, patient, cert, env.today())
    attested_payer = _check_attestation(session, env, patient, attestation) if attestation else None

    facts = _gather(session, env, institution, patient, use_, attested_payer)
    payer_accounts = [f.account_id for c in facts.candidates for f in c.funds]
    balances = ledger.lock(session, [f.account_id for f in facts.own_funds] + payer_accounts)
    _with_balances(facts, balances)
    plan, skipped = _plan(facts, env, amount_fen)

    now, today = env.now(), env.today()
    enrollment = people.enrollment_of(patient)
    settlement = Settlement(
        institution_id=institution.id, patient_id=patient.id, region_code=enrollment.region_code, use=use_.value,
        amount_fen=amount_fen, own_fen=plan.own_fen, mutual_aid_fen=plan.mutual_aid_fen, cash_fen=plan.cash_fen,
        refunded_fen=0, cash_refunded_fen=0, status="settled", settled_at=now, settled_on=today,
        cert_type=cert.type if cert else None, cert_no=cert.number if cert else None,
        agent_name=agent.name if agent else None, agent_id_number=agent.id_number if agent else None,
        attested_payer_id=attested_payer.id if attested_payer else None,
        attestation_relationship=attestation.relationship if attestation else None,
        attestation_phone=attestation.phone if attestation else None,
        idempotency_key=key,
    )
    session.add(settlement)
    session.flush()
    for seq, part in enumerate(plan.parts, start=1):
        session.add(SettlementPart(settlement_id=settlement.id, seq=seq, payer_id=part.payer_id,
                                   account_id=part.account_id, fund=part.fund.value, binding_id=part.binding_id,
                                   amount_fen=part.amount_fen, refunded_fen=0))
    paid = plan.own_fen + plan.mutual_aid_fen
    if paid:
        receivable = ledger.system_account(session, kind=ledger.INSTITUTION, key=institution.code,
                                           region_code=institution.region_code, at=now)
        settlement.entry_id = ledger.post(
            session, kind="settlement", at=now, on=today, ref_type="settlement", ref_id=settlement.id,
            legs=[ledger.Leg(p.account_id, -p.amount_fen) for p in plan.parts] + [ledger.Leg(receivable, paid)],
        )
    idempotency.remember(session, scope=scope, key=key, content=content, result_type="settlement",
                         result_id=settlement.id, at=now)
    actor = Actor.institution(institution.code)
    record_event(session, env, kind="settlement.settled", actor=actor, subject_type="settlement",
                 subject_id=settlement.id, concerns=[patient.id],
                 data={"amount_fen": amount_fen, "own_fen": plan.own_fen, "mutual_aid_fen": plan.mutual_aid_fen,
                       "cash_fen": plan.cash_fen, "agent": bool(agent)})
    by_payer: dict[int, int] = {}
    for part in plan.parts:
        if part.payer_id != patient.id:
            by_payer[part.payer_id] = by_payer.get(part.payer_id, 0) + part.amount_fen
    for payer_id, amount in by_payer.items():
        record_event(session, env, kind="mutual_aid.paid", actor=actor, subject_type="settlement",
                     subject_id=settlement.id, concerns=[payer_id, patient.id],
                     data={"payer_id": payer_id, "patient_id": patient.id, "amount_fen": amount,
                           "attested": attested_payer is not None and payer_id == attested_payer.id})
    session.flush()
    return SettlementResult(
        settlement_id=settlement.id, institution_code=institution.code, patient_id=patient.id,
        patient_name=patient.name, use=use_, amount_fen=amount_fen, own_fen=plan.own_fen,
        mutual_aid_fen=plan.mutual_aid_fen, cash_fen=plan.cash_fen, lines=_lines(plan.parts, facts.names, patient.id),
        skipped=tuple(skipped), settled_at=now, status=settlement.status,
    )


def get(session: Session, settlement_id: Any) -> Settlement:
    settlement = session.get(Settlement, check_id(settlement_id, field="settlement_id"))
    if settlement is None:
        raise GongjiError("SETTLEMENT_NOT_FOUND", settlement_id=str(settlement_id)[:20])
    return settlement


def result_of(session: Session, settlement_id: int, *, replayed: bool = False) -> SettlementResult:
    """A stored settlement as a result (what a retry with the same key gets back)."""
    settlement = get(session, settlement_id)
    institution = session.get(Institution, settlement.institution_id)
    ids = {settlement.patient_id} | {p.payer_id for p in settlement.parts}
    names = dict(session.execute(select(Person.id, Person.name).where(Person.id.in_(ids))).all())
    return SettlementResult(
        settlement_id=settlement.id, institution_code=institution.code, patient_id=settlement.patient_id,
        patient_name=names[settlement.patient_id], use=Use(settlement.use), amount_fen=settlement.amount_fen,
        own_fen=settlement.own_fen, mutual_aid_fen=settlement.mutual_aid_fen, cash_fen=settlement.cash_fen,
        lines=_lines(settlement.parts, names, settlement.patient_id), settled_at=settlement.settled_at, status=settlement.status,
        refunded_fen=settlement.refunded_fen, replayed=replayed,
    )


# -- refunds and cancellation (HN-5) ---------------------------------------------------------------


def refund(
    session: Session,
    env: Env,
    *,
    institution_code: str,
    settlement_id: int,
    idempotency_key: str,
    amount_fen: int | None = None,
    reason: str | None = None,
    actor: Actor | None = None,
) -> RefundResult:
    """Give money of a settlement back to where it came from (HN-5), also when the binding has ended since.

    Full (``amount_fen`` None: everything not yet refunded) or partial; a partial refund returns
    money in the reverse order of payment, cash first and the patient's own account last; never
    more than was paid.
    """
    key = idempotency.check_key(idempotency_key)
    scope = f"refund:{str(institution_code)[:30]}"
    content = {"settlement_id": repr(settlement_id), "amount_fen": repr(amount_fen)}
    earlier = idempotency.find(session, scope=scope, key=key, content=content)
    if earlier is not None:
        return refund_result_of(session, earlier.result_id, replayed=True)
    if amount_fen is not None:
        require_fen(amount_fen, field="amount_fen")
    reason = check_text(reason, field="reason", max_length=200)
    institution = institutions.find(session, institution_code)
    settlement = get(session, settlement_id)
    if settlement.institution_id != institution.id:
        raise GongjiError("SETTLEMENT_OF_OTHER_INSTITUTION", settlement_id=settlement.id)

    # Refunds of one settlement queue on its row (even an all-cash one has no account to lock), then lock the
    # paying accounts in the global order; everything is re-read under the locks.
    _lock_settlement(session, settlement)
    ledger.lock(session, [p.account_id for p in settlement.parts])
    refundable = settlement.amount_fen - settlement.refunded_fen
    if refundable == 0:
        raise GongjiError("SETTLEMENT_FULLY_REFUNDED", settlement_id=settlement.id)
    amount = refundable if amount_fen is None else amount_fen
    if amount > refundable:
        raise GongjiError("REFUND_EXCEEDS_PAID", amount=amount, refundable=refundable, settlement_id=settlement.id)
    cash, back = rules.split_refund(
        amount_fen=amount, cash_refundable_fen=settlement.cash_fen - settlement.cash_refunded_fen,
        parts=[rules.PaidPart(p.id, p.seq, p.amount_fen, p.refunded_fen) for p in settlement.parts],
    )
    now, today = env.now(), env.today()
    row = Refund(settlement_id=settlement.id, amount_fen=amount, cash_fen=cash, reason=reason, at=now, on=today,
                 idempotency_key=key)
    session.add(row)
    session.flush()
    parts = {p.id: p for p in settlement.parts}
    legs = []
    for part_id, part_amount in back:
        part = parts[part_id]
        part.refunded_fen += part_amount
        session.add(RefundPart(refund_id=row.id, settlement_part_id=part_id, amount_fen=part_amount))
        legs.append(ledger.Leg(part.account_id, part_amount))
    if legs:
        receivable = ledger.system_account(session, kind=ledger.INSTITUTION, key=institution.code,
                                           region_code=institution.region_code, at=now)
        legs.append(ledger.Leg(receivable, -sum(leg.amount_fen for leg in legs)))
        row.entry_id = ledger.post(session, kind="refund", at=now, on=today, ref_type="refund", ref_id=row.id,
                                   legs=legs)
    settlement.refunded_fen += amount
    settlement.cash_refunded_fen += cash
    settlement.status = "refunded" if settlement.refunded_fen == settlement.amount_fen else "partially_refunded"
    idempotency.remember(session, scope=scope, key=key, content=content, result_type="refund", result_id=row.id,
                         at=now)
    concerned = {settlement.patient_id} | {parts[pid].payer_id for pid, _ in back}
    record_event(session, env, kind="settlement.refunded", actor=actor or Actor.institution(institution.code),
                 subject_type="settlement", subject_id=settlement.id, concerns=concerned,
                 data={"refund_id": row.id, "amount_fen": amount, "cash_fen": cash,
                       "to": {str(parts[pid].payer_id): amt for pid, amt in back}})
    session.flush()
    return refund_result_of(session, row.id)


def _lock_settlement(session: Session, settlement: Settlement) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(Settlement.id).where(Settlement.id == settlement.id).with_for_update()).all()
    session.refresh(settlement)
    for part in settlement.parts:
        session.refresh(part)


def cancel(session: Session, env: Env, *, institution_code: str, settlement_id: int, idempotency_key: str,
           reason: str | None = None, actor: Actor | None = None) -> RefundResult:
    """Cancel a settlement: refund everything not yet refunded (national interface 2208 / 2103)."""
    return refund(session, env, institution_code=institution_code, settlement_id=settlement_id,
                  idempotency_key=idempotency_key, amount_fen=None, reason=reason or "cancelled", actor=actor)


def refund_result_of(session: Session, refund_id: int, *, replayed: bool = False) -> RefundResult:
    row = session.get(Refund, refund_id)
    settlement = get(session, row.settlement_id)
    parts = {p.id: p for p in settlement.parts}
    ids = {parts[rp.settlement_part_id].payer_id for rp in row.parts}
    names = dict(session.execute(select(Person.id, Person.name).where(Person.id.in_(ids))).all()) if ids else {}
    lines = tuple(
        RefundLine(payer_id=parts[rp.settlement_part_id].payer_id, payer_name=names[parts[rp.settlement_part_id].payer_id],
                   is_own=parts[rp.settlement_part_id].payer_id == settlement.patient_id, fund=Fund(parts[rp.settlement_part_id].fund),
                   amount_fen=rp.amount_fen)
        for rp in row.parts
    )
    return RefundResult(refund_id=row.id, settlement_id=settlement.id, amount_fen=row.amount_fen,
                        cash_fen=row.cash_fen, lines=lines, settlement_status=settlement.status,
                        settlement_refunded_fen=settlement.refunded_fen, replayed=replayed)
