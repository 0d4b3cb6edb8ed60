"""Quotes, settlements, refunds and cancellations: load the facts, let the rules decide, post the result.

A quote (pre-settlement) runs the same plan as a settlement and writes nothing. A settlement
locks every account that may pay (ascending id), plans with the locked balances, and writes the
settlement, its parts and one balanced ledger entry in the caller's transaction. A retried request
with the same idempotency key gets the first result back and moves no more money.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    and_,
    any_,
    bindparam,
    func,
    insert,
    literal_column,
    select,
    text,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from gongji import idempotency
from gongji.actors import Actor
from gongji.authorizations import rules as binding_rules
from gongji.authorizations.models import Binding
from gongji.authorizations.service import active_on, party
from gongji.db.base import UTCDateTime
from gongji.db.dialect import for_update, is_postgresql
from gongji.env import Env
from gongji.errors import GongjiError
from gongji.events.service import Happening, record_many
from gongji.inputs import check_id, check_text
from gongji.institutions import service as institutions
from gongji.institutions.models import Institution
from gongji.ledger import service as ledger
from gongji.ledger import writes as ledger_writes
from gongji.ledger.models import Account
from gongji.money import require_fen
from gongji.notifications.outbox import NOTIFIED_KINDS
from gongji.people import service as people
from gongji.people.ids import mask, parse_id_number
from gongji.people.models import Enrollment, Person
from gongji.settlement import rules
from gongji.settlement.models import Refund, RefundPart, Settlement, SettlementPart
from gongji.terms import (
    INSTITUTION_USES,
    Fund,
    InstitutionKind,
    Relationship,
    Scheme,
    Status,
    Use,
    parse_enum,
)

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
    payer_id_number: str = ""


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
    patient_id_number: str = ""

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
class _Binding:
    """A binding through which a payer pays today; ``id`` None: a payer who pays once on a paper attestation (SZ-5),
    after the bound payers."""

    id: int | None
    priority: int | None
    payer_id: int


@dataclass(frozen=True)
class InstitutionFacts:
    """The settling institution as a settlement reads it."""

    id: int
    code: str
    name: str
    kind: str
    region_code: str


@dataclass(frozen=True)
class PatientFacts:
    """The patient as the rules see him (:class:`~gongji.authorizations.rules.Party`), with his ID and card."""

    party: binding_rules.Party
    id_number: str
    card_no: str | None

    @property
    def id(self) -> int:
        return self.party.person_id

    @property
    def name(self) -> str:
        return self.party.name


@dataclass
class _Facts:
    institution: InstitutionFacts
    patient: PatientFacts
    use: Use
    receivable_id: int | None  # the institution's system account, None until its first settlement
    bindings: list[Any] = field(default_factory=list)  # rows of the facts query, one per binding
    own_funds: list[rules.FundBalance] = field(default_factory=list)
    candidates: list[rules.PayerCandidate] = field(default_factory=list)
    skipped: list[SkippedPayer] = field(default_factory=list)
    names: dict[int, str] = field(default_factory=dict)
    id_numbers: dict[int, str] = field(default_factory=dict)


# -- input ---------------------------------------------------------------------------------------


def check_certificate(patient: Person, cert: Certificate | None) -> None:
    """N-4: a patient always uses his own card or voucher; cards are never shared."""
    if cert is not None:
        _check_certificate(patient.name, patient.id_number, people.enrollment_of(patient).card_no, cert)


def _check_certificate(name: str, id_number: str, card_no: str | None, cert: Certificate) -> None:
    if not isinstance(cert.type, str) or cert.type not in CERT_TYPES:
        raise GongjiError("INVALID_FIELD", field="cert.type", reason_zh=f"凭证类型可选：{', '.join(sorted(CERT_TYPES))}",
                          reason_en=f"the certificate type is one of: {', '.join(sorted(CERT_TYPES))}")
    if not isinstance(cert.number, str) or not cert.number or len(cert.number) > 50:
        raise GongjiError("INVALID_FIELD", field="cert.number", reason_zh="请填写凭证号码（最多50位）",
                          reason_en="give the certificate number (at most 50 characters)")
    own = {
        "id_card": id_number,
        "insurance_card": card_no,
    }.get(cert.type, cert.number)  # an e-voucher is a one-time token issued to the patient: recorded, not compared
    if cert.number.upper() != (own or "").upper():
        shown = mask(cert.number) if cert.type == "id_card" else cert.number[:4] + "****"
        raise GongjiError("CARD_NOT_PATIENTS", cert_no=shown, name=name)


def _check_agent(agent: Agent | None, patient: PatientFacts, cert: Certificate | None, today: date) -> Agent | None:
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


# The facts query: in one statement the institution with its receivable account, the patient with his enrollment, and
# every binding through which someone pays for him today with that payer and his enrollment (one row per binding);
# for a settlement also its idempotency key's earlier record (on PostgreSQL the key is claimed in it, too).
_I, _P, _E, _B, _A = (m.__table__ for m in (Institution, Person, Enrollment, Binding, Account))
_PAYER, _PAYER_E = _P.alias("payer"), _E.alias("payer_enrollment")


def _facts_query(*, key: str | None = None):
    """``key``: None (a quote), ``"find"`` (also the key's earlier record), ``"claim"`` (PostgreSQL: claim the key
    for the settlement's id, drawn here, and read the earlier record as this statement sees it)."""
    record = idempotency.RECORD
    request = select(literal_column("1").label("one")).subquery("request")  # one row, whatever else is missing
    joined: Any = request
    columns: list[Any] = []
    if key == "claim":
        claim = idempotency.claim(result_type="settlement",
                                  result_id=func.nextval(func.pg_get_serial_sequence("settlements", "id")))
        joined = joined.outerjoin(claim, true())
        columns.append(claim.c.claimed_id)
    if key is not None:
        joined = joined.outerjoin(record, and_(record.c.scope == bindparam("scope"), record.c.key == bindparam("key")))
        columns += [record.c.fingerprint.label("earlier_fingerprint"), record.c.result_id.label("earlier_id")]
    joined = (
        joined.outerjoin(_I, _I.c.code == bindparam("code"))
        .outerjoin(_P, _P.c.id_number == bindparam("id_number"))
        .outerjoin(_E, _E.c.person_id == _P.c.id)
        # D-3: the bindings active today, as authorizations.active_payer_bindings reads them
        .outerjoin(_B, and_(_B.c.beneficiary_id == _P.c.id, active_on(bindparam("today"), _B)))
        .outerjoin(_PAYER, _PAYER.c.id == _B.c.payer_id)
        .outerjoin(_PAYER_E, _PAYER_E.c.person_id == _PAYER.c.id)
    )
    return select(
        *columns,
        _I.c.id.label("institution_id"), _I.c.code.label("institution_code"), _I.c.name.label("institution_name"),
        _I.c.kind.label("institution_kind"), _I.c.region_code.label("institution_region"), _I.c.active,
        ledger.SYSTEM_ACCOUNT_ID.scalar_subquery().label("receivable_id"),
        _P.c.id.label("patient_id"), _P.c.id_number.label("patient_id_number"), _P.c.name.label("patient_name"),
        _P.c.birth_date.label("patient_birth_date"), _E.c.person_id.label("patient_enrolled"),
        _E.c.scheme.label("patient_scheme"), _E.c.region_code.label("patient_region"),
        _E.c.status.label("patient_status"), _E.c.card_no.label("patient_card_no"),
        _B.c.id.label("binding_id"), _B.c.priority, _B.c.payer_id, _PAYER.c.name.label("payer_name"),
        _PAYER.c.name_sort_key.label("payer_sort_key"), _PAYER.c.id_number.label("payer_id_number"),
        _PAYER.c.birth_date.label("payer_birth_date"), _PAYER_E.c.person_id.label("payer_enrolled"),
        _PAYER_E.c.scheme.label("payer_scheme"), _PAYER_E.c.region_code.label("payer_region"),
        _PAYER_E.c.status.label("payer_status"),
    ).select_from(joined).order_by(_B.c.id)


_FACTS = _facts_query()
_FACTS_AND_KEY = _facts_query(key="find")
_FACTS_AND_CLAIM = _facts_query(key="claim")
# The accounts of the patient and of the payers who may pay, in ascending id: locked in that order on PostgreSQL (the
# global order, so that settlements queue and never deadlock); SQLite's writer already holds the database.
_ACCOUNTS = (select(_A.c.id, _A.c.person_id, _A.c.fund, _A.c.balance_fen)
             .where(_A.c.person_id.in_(bindparam("people", expanding=True))).order_by(_A.c.id))
# On PostgreSQL the people are one array parameter: one statement text (prepared once) whatever their number.
_ACCOUNTS_LOCKED = (select(_A.c.id, _A.c.person_id, _A.c.fund, _A.c.balance_fen)
                    .where(_A.c.person_id == any_(bindparam("people", type_=ARRAY(BigInteger))))
                    .order_by(_A.c.id).with_for_update())


def _party(person_id: int, name: str, birth_date: date, enrolled: Any, scheme: str, region_code: str,
           status: str) -> binding_rules.Party:
    if enrolled is None:  # as people.enrollment_of refuses a person without an enrollment
        raise GongjiError("NOT_ENROLLED", name=name, status_zh="未参保", status_en="not enrolled")
    return binding_rules.Party(person_id=person_id, name=name, birth_date=birth_date, scheme=Scheme(scheme),
                               region_code=region_code, status=Status(status))


def _prepare(session: Session, env: Env, *, institution_code: str, patient_id_number: str, amount_fen: int,
             use: str, cert: Certificate | None) -> _Facts:
    require_fen(amount_fen, field="amount_fen")
    return _admit(session, env, institution_code=institution_code, patient_id_number=patient_id_number, use=use,
                  cert=cert)


def admit(session: Session, env: Env, *, institution_code: str, patient_id_number: str, use: str,
          cert: Certificate | None) -> tuple[InstitutionFacts, PatientFacts, Use]:
    """May this institution settle a bill of this use for this patient, with this card? (N-4, scope, status)"""
    facts = _admit(session, env, institution_code=institution_code, patient_id_number=patient_id_number, use=use,
                   cert=cert)
    return facts.institution, facts.patient, facts.use


def _admit(session: Session, env: Env, *, institution_code: str, patient_id_number: str, use: str,
           cert: Certificate | None) -> _Facts:
    """:func:`admit`, keeping the rest of what the one query read for the settlement."""
    use_ = parse_enum(Use, use, field="use", error="UNKNOWN_USE")
    read = _read(session, env, institution_code=institution_code, patient_id_number=patient_id_number)
    return _admitted(read, use_, cert)


@dataclass(frozen=True)
class _Read:
    code: str
    number: str | None
    bad_number: GongjiError | None  # a malformed ID number, told after the institution's own refusals
    rows: list[Any]


def _read(session: Session, env: Env, *, institution_code: str, patient_id_number: str,
          key: dict[str, Any] | None = None) -> _Read:
    """The facts query; with ``key`` (``scope``, ``key``, and to claim it ``fingerprint`` and ``claimed_at``) also
    the key's earlier record, or its claim."""
    try:
        number, bad_number = parse_id_number(patient_id_number).number, None
    except GongjiError as exc:
        number, bad_number = None, exc
    code = str(institution_code)
    params = {"code": code, "id_number": number, "today": env.today(),
              "system_key": ledger.system_key(ledger.INSTITUTION, code)}
    query = _FACTS
    if key is not None:
        params.update(key)
        query = _FACTS_AND_CLAIM if "fingerprint" in key else _FACTS_AND_KEY
    rows = session.execute(query, params).all()
    return _Read(code=code, number=number, bad_number=bad_number, rows=rows)


def _admitted(read: _Read, use_: Use, cert: Certificate | None) -> _Facts:
    """The checks of :func:`admit` in their order, on what the facts query read."""
    first = read.rows[0]
    if first.institution_id is None or not first.active:
        raise GongjiError("INSTITUTION_NOT_FOUND", code=read.code[:30])
    institution = InstitutionFacts(id=first.institution_id, code=first.institution_code, name=first.institution_name,
                                   kind=first.institution_kind, region_code=first.institution_region)
    kind = InstitutionKind(institution.kind)
    if use_ not in INSTITUTION_USES[kind]:
        raise GongjiError("INSTITUTION_CANNOT_SETTLE_USE", institution_name=institution.name, kind_zh=kind.zh,
                          kind_en=kind.en, use_zh=use_.zh, use_en=use_.en)
    if read.bad_number is not None:
        raise read.bad_number
    if first.patient_id is None:
        raise GongjiError("PERSON_NOT_FOUND", id_number=read.number)
    party_ = _party(first.patient_id, first.patient_name, first.patient_birth_date, first.patient_enrolled,
                    first.patient_scheme, first.patient_region, first.patient_status)
    patient = PatientFacts(party=party_, id_number=first.patient_id_number, card_no=first.patient_card_no)
    if party_.status is Status.TERMINATED:
        raise GongjiError("NOT_ENROLLED", name=patient.name, status_zh=Status.TERMINATED.zh,
                          status_en=Status.TERMINATED.en)
    if institution.region_code[:2] != party_.region_code[:2]:
        raise GongjiError("INSTITUTION_OUT_OF_REGION", institution_name=institution.name,
                          name=patient.name).about("person", patient.id)
    if cert is not None:
        _check_certificate(patient.name, patient.id_number, patient.card_no, cert)
    facts = _Facts(institution=institution, patient=patient, use=use_, receivable_id=first.receivable_id)
    facts.bindings = [row for row in read.rows if row.binding_id is not None]
    return facts


def _check_attestation(session: Session, env: Env, patient: PatientFacts, attestation: Attestation) -> Person:
    """SZ-5: only where the region takes paper attestations; signed; a close relative the region allows."""
    policy = env.policy(patient.party.region_code)
    if not policy.paper_attestation:
        raise GongjiError("ATTESTATION_NOT_OFFERED", region_name=policy.name)
    if attestation.signed is not True or not attestation.phone:
        raise GongjiError("ATTESTATION_UNSIGNED")
    people.check_phone(attestation.phone)
    relationship = parse_enum(Relationship, attestation.relationship, field="attestation.relationship",
                              error="UNKNOWN_RELATIONSHIP")
    payer = people.find(session, attestation.payer_id_number)
    payer_party, patient_party = party(payer), patient.party
    binding_rules.check_not_self(payer_party, patient_party)
    payer_policy = env.policy(payer_party.region_code)
    binding_rules.check_relationship_allowed(relationship, payer_policy)
    binding_rules.check_relationship_plausible(relationship, payer_party, patient_party)
    return payer


def _gather(session: Session, env: Env, facts: _Facts, attested_payer: Person | None = None, *,
            lock: bool) -> dict[int, int]:
    """Decide which bound payers may pay today (and why not the others), then read the accounts of the patient and
    of those payers, locked when ``lock`` (ascending id); return the balances read."""
    patient = facts.patient
    facts.names[patient.id] = patient.name
    facts.id_numbers[patient.id] = patient.id_number
    patient_policy = env.policy(patient.party.region_code)
    payers: list[tuple[_Binding, binding_rules.Party, str, str]] = []  # (binding, payer, name key, ID number)
    for row in facts.bindings:
        payer = _party(row.payer_id, row.payer_name, row.payer_birth_date, row.payer_enrolled, row.payer_scheme,
                       row.payer_region, row.payer_status)
        payers.append((_Binding(row.binding_id, row.priority, row.payer_id), payer, row.payer_sort_key,
                       row.payer_id_number))
    if attested_payer is not None and attested_payer.id not in {b.payer_id for b, *_ in payers}:
        payers.append((_Binding(None, None, attested_payer.id), party(attested_payer), attested_payer.name_sort_key,
                       attested_payer.id_number))
    reasons: list[str | None] = []
    for _, payer, _, id_number in payers:
        facts.names[payer.person_id] = payer.name
        facts.id_numbers[payer.person_id] = id_number
        reasons.append(rules.skip_reason(payer=payer, patient=patient.party, payer_policy=env.policy(payer.region_code),
                                         patient_policy=patient_policy, use=facts.use))
    may_pay = [payer.person_id for (_, payer, _, _), reason in zip(payers, reasons, strict=True) if reason is None]
    accounts: dict[int, list[Any]] = {}
    for account in session.execute(_ACCOUNTS_LOCKED if lock and is_postgresql(session)
                                   else _ACCOUNTS, {"people": [patient.id, *may_pay]}):
        accounts.setdefault(account.person_id, []).append(account)
    facts.own_funds = list(_funds(accounts.get(patient.id, ())))
    for (binding, payer, name_sort_key, id_number), reason in zip(payers, reasons, strict=True):
        if reason is None and not accounts.get(payer.person_id):
            reason = "payer_not_employee"
        if reason is not None:
            facts.skipped.append(SkippedPayer(payer.person_id, payer.name, binding.id, reason))
            continue
        payer_policy = env.policy(payer.region_code)
        facts.candidates.append(
            rules.PayerCandidate(
                payer_id=payer.person_id, binding_id=binding.id, name=payer.name, name_sort_key=name_sort_key,
                id_number=id_number, priority=binding.priority, funds=_funds(accounts[payer.person_id]),
                reserve_line_fen=payer_policy.reserve_line_fen,
                funds_for_relatives=frozenset(payer_policy.funds_for_relatives),
            )
        )
    return {a.id: a.balance_fen for rows in accounts.values() for a in rows}


def _funds(accounts) -> tuple[rules.FundBalance, ...]:
    return tuple(rules.FundBalance(account_id=a.id, fund=Fund(a.fund), balance_fen=a.balance_fen) for a in accounts)


def _plan(facts: _Facts, env: Env, amount_fen: int) -> tuple[rules.Plan, list[SkippedPayer]]:
    policy = env.policy(facts.patient.party.region_code)
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


def _lines(plan_parts, names: dict[int, str], patient_id: int,
           id_numbers: dict[int, str] | None = None) -> tuple[PaymentLine, ...]:
    return tuple(
        PaymentLine(payer_id=p.payer_id, payer_name=names.get(p.payer_id, ""), is_own=p.payer_id == patient_id,
                    fund=Fund(p.fund), amount_fen=p.amount_fen, binding_id=p.binding_id,
                    payer_id_number=(id_numbers or {}).get(p.payer_id, ""))
        for p in plan_parts
    )


# -- quote and settle ------------------------------------------------------------------------------


def quote(session: Session, env: Env, *, institution_code: str, patient_id_number: str, amount_fen: int,
          use: str, cert: Certificate | None = None) -> SettlementResult:
    """Pre-settlement: who would pay what, now. Writes nothing."""
    facts = _prepare(session, env, institution_code=institution_code, patient_id_number=patient_id_number,
                     amount_fen=amount_fen, use=use, cert=cert)
    _gather(session, env, facts, lock=False)
    plan, skipped = _plan(facts, env, amount_fen)
    patient = facts.patient
    return SettlementResult(
        settlement_id=None, institution_code=facts.institution.code, patient_id=patient.id, patient_name=patient.name,
        use=facts.use, amount_fen=amount_fen, own_fen=plan.own_fen, mutual_aid_fen=plan.mutual_aid_fen,
        cash_fen=plan.cash_fen, lines=_lines(plan.parts, facts.names, patient.id, facts.id_numbers),
        skipped=tuple(skipped), patient_id_number=patient.id_number,
    )


_INSERT_SETTLEMENT = insert(Settlement.__table__).returning(Settlement.__table__.c.id)
_INSERT_PARTS = insert(SettlementPart.__table__)
_SET_ENTRY = (update(Settlement.__table__).where(Settlement.__table__.c.id == bindparam("settlement_id"))
              .values(entry_id=bindparam("entry_id")))


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
    """Settle the personal-borne part of a bill (N-3, N-4, N-10, HN-2, HN-4, WL-1, SZ-1, SZ-5).

    In statements, on PostgreSQL three: the facts query, which also claims the idempotency key with the settlement's
    id (:func:`idempotency.claim`; a concurrent request with the key waits there); the accounts that may pay, locked
    in ascending id; and the writes, in one statement (:func:`_write`). On SQLite, whose one writer holds the whole
    database, the facts query finds the key's earlier record, and the key is stored with the writes, one statement
    per table.
    """
    key = idempotency.check_key(idempotency_key)
    # The key first: a retry gets the first answer even if something has changed since (N-10 paid once).
    scope = f"settlement:{str(institution_code)[:30]}"
    content = {"patient": str(patient_id_number).strip().upper(), "amount_fen": repr(amount_fen), "use": str(use),
               "cert": [repr(cert.type), repr(cert.number)] if cert else None,
               "agent": [repr(agent.name), repr(agent.id_number)] if agent else None,
               "attestation": [repr(attestation.payer_id_number), repr(attestation.relationship),
                               repr(attestation.phone), repr(attestation.signed)] if attestation else None}
    # On PostgreSQL the first query claims the key (idempotency.claim) with the settlement's id; elsewhere it finds
    # the key's record, and the key is stored with the settlement.
    claiming = is_postgresql(session)
    read = _read(session, env, institution_code=institution_code, patient_id_number=patient_id_number,
                 key={"scope": scope, "key": key, "fingerprint": idempotency.fingerprint(content),
                      "claimed_at": env.now()} if claiming else {"scope": scope, "key": key})
    first = read.rows[0]
    settlement_id = first.claimed_id if claiming else None
    if settlement_id is None:
        if first.earlier_id is not None:
            idempotency.check(first.earlier_fingerprint, key=key, content=content)
            return result_of(session, first.earlier_id, replayed=True)
        if claiming:  # a request with this key committed while the claim waited for it
            earlier = idempotency.lookup(session, scope=scope, key=key, content=content)
            return result_of(session, earlier.result_id, replayed=True)
    require_fen(amount_fen, field="amount_fen")
    facts = _admitted(read, parse_enum(Use, use, field="use", error="UNKNOWN_USE"), cert)
    institution, patient, use_ = facts.institution, facts.patient, facts.use
    agent = _check_agent(agent, patient, cert, env.today())
    attested_payer = _check_attestation(session, env, patient, attestation) if attestation else None

    _gather(session, env, facts, attested_payer, lock=True)  # the plan spends the balances as locked
    plan, skipped = _plan(facts, env, amount_fen)

    now, today = env.now(), env.today()
    row = dict(
        institution_id=institution.id, patient_id=patient.id, region_code=patient.party.region_code, use=use_.value,
        amount_fen=amount_fen, own_fen=plan.own_fen, mutual_aid_fen=plan.mutual_aid_fen, cash_fen=plan.cash_fen,
        refunded_fen=0, cash_refunded_fen=0, status="settled", settled_at=now, settled_on=today,
        cert_type=cert.type if cert else None, cert_no=cert.number if cert else None,
        agent_name=agent.name if agent else None, agent_id_number=agent.id_number if agent else None,
        attested_payer_id=attested_payer.id if attested_payer else None,
        attestation_relationship=attestation.relationship if attestation else None,
        attestation_phone=attestation.phone if attestation else None,
        idempotency_key=key,
    )
    parts = [dict(seq=seq, payer_id=part.payer_id, account_id=part.account_id, fund=part.fund.value,
                  binding_id=part.binding_id, amount_fen=part.amount_fen)
             for seq, part in enumerate(plan.parts, start=1)]
    legs: dict[int, int] = {}
    paid = plan.own_fen + plan.mutual_aid_fen
    if paid:
        receivable = facts.receivable_id or ledger.system_account(
            session, kind=ledger.INSTITUTION, key=institution.code, region_code=institution.region_code, at=now)
        legs = ledger.merge_legs("settlement", [ledger.Leg(p.account_id, -p.amount_fen) for p in plan.parts]
                                 + [ledger.Leg(receivable, paid)])
    actor = Actor.institution(institution.code)
    happenings = [(
        "settlement.settled", [patient.id],
        {"amount_fen": amount_fen, "own_fen": plan.own_fen, "mutual_aid_fen": plan.mutual_aid_fen,
         "cash_fen": plan.cash_fen, "agent": bool(agent)})]
    by_payer: dict[int, int] = {}
    for part in plan.parts:
        if part.payer_id != patient.id:
            by_payer[part.payer_id] = by_payer.get(part.payer_id, 0) + part.amount_fen
    held = {c.payer_id: c.total_fen for c in facts.candidates}  # as locked, before this bill
    for payer_id, amount in by_payer.items():
        happenings.append((
            "mutual_aid.paid", [payer_id, patient.id],
            {"payer_id": payer_id, "patient_id": patient.id, "amount_fen": amount,
             "attested": attested_payer is not None and payer_id == attested_payer.id,
             # PP-2: the payer is told his account's balance after the payment
             "balance_after_fen": held[payer_id] - amount if payer_id in held else None}))
    record = None if claiming else dict(scope=scope, key=key, content=content)  # the key, if not claimed
    settlement_id = _write(session, settlement_id=settlement_id, at=now, on=today, row=row, parts=parts, legs=legs,
                           record=record, actor=actor, happenings=happenings)
    return SettlementResult(
        settlement_id=settlement_id, institution_code=institution.code, patient_id=patient.id,
        patient_name=patient.name, use=use_, amount_fen=amount_fen, own_fen=plan.own_fen,
        mutual_aid_fen=plan.mutual_aid_fen, cash_fen=plan.cash_fen,
        lines=_lines(plan.parts, facts.names, patient.id, facts.id_numbers), skipped=tuple(skipped), settled_at=now,
        status="settled", patient_id_number=patient.id_number,
    )


def _write(session: Session, *, settlement_id: int | None, at: datetime, on: date, row: dict[str, Any],
           parts: list[dict[str, Any]], legs: dict[int, int], record: dict[str, Any] | None, actor: Actor,
           happenings: list[tuple[str, list[int], dict[str, Any]]]) -> int:
    """Write a settlement: its row (with ``settlement_id`` when the key's claim drew it), its parts, its ledger
    entry (``legs``, checked by :func:`ledger.merge_legs`; none for an all-cash bill) with the balances, the
    idempotency ``record`` (None: claimed already) and the events (``(kind, concerns, data)``) with their
    notifications. Returns the settlement's id.

    On PostgreSQL this is one statement (:data:`_WRITE_POSTGRESQL`); elsewhere one statement per table, through
    :func:`ledger.post` and :func:`events.record_many`. Either way the database's constraints and triggers hold it.
    """
    if is_postgresql(session) and WRITE_IN_ONE_STATEMENT and settlement_id is not None:
        assert record is None  # claimed
        session.execute(_WRITE_POSTGRESQL, {
            **row, "settlement_id": settlement_id, "at": at, "on": on, "paid": bool(legs),
            "parts": json.dumps(parts),
            "legs": json.dumps([{"account_id": a, "amount_fen": amount} for a, amount in legs.items()]),
            "actor_kind": actor.kind.value, "actor_id": actor.id, "channel": actor.channel.value,
            "events": json.dumps([{"kind": kind, "concerns": sorted(set(concerns)), "data": data}
                                  for kind, concerns, data in happenings]),
        })
        return settlement_id
    values = {**row, "entry_id": None}
    if settlement_id is not None:
        values["id"] = settlement_id
    settlement_id = session.execute(_INSERT_SETTLEMENT, values).scalar_one()
    if parts:
        session.execute(_INSERT_PARTS, [{**part, "settlement_id": settlement_id, "refunded_fen": 0} for part in parts])
    if legs:
        entry_id = ledger.post(session, kind="settlement", at=at, on=on, ref_type="settlement", ref_id=settlement_id,
                               legs=[ledger.Leg(account_id, amount) for account_id, amount in legs.items()])
        session.execute(_SET_ENTRY, {"settlement_id": settlement_id, "entry_id": entry_id})
    if record is not None:
        idempotency.remember(session, scope=record["scope"], key=record["key"], content=record["content"],
                             result_type="settlement", result_id=settlement_id, at=at)
    record_many(session, at=at, happenings=[
        Happening(kind=kind, actor=actor, subject_type="settlement", subject_id=settlement_id, concerns=concerns,
                  data=data)
        for kind, concerns, data in happenings])
    return settlement_id


#: On PostgreSQL a settlement writes in one statement (tests turn it off to compare with the statement per table).
WRITE_IN_ONE_STATEMENT = True

assert all(kind.replace(".", "").replace("_", "").isalpha() for kind in NOTIFIED_KINDS)  # safe in SQL text
#: A settlement's writes on PostgreSQL, in one statement (one round trip instead of eight). The settlement's id was
#: drawn when its key was claimed; the ledger entry's is drawn first, as each row refers to the other. The ledger
#: part is written by :mod:`gongji.ledger.writes`, as :func:`ledger.post` writes it: the entry, the kept balances
#: (personal accounts; the CHECK refuses a negative one) and a posting per account with the balance after it; the
#: deferred trigger checks at commit that the entry balances.
_WRITE_POSTGRESQL = text("""
WITH ids AS (
    SELECT CAST(:settlement_id AS bigint) AS settlement_id,
           CASE WHEN :paid THEN {next_entry_id} END AS entry_id
), settlement AS (
    INSERT INTO settlements (id, institution_id, patient_id, region_code, use, amount_fen, own_fen, mutual_aid_fen,
                             cash_fen, refunded_fen, cash_refunded_fen, status, settled_at, settled_on, cert_type,
                             cert_no, agent_name, agent_id_number, attested_payer_id, attestation_relationship,
                             attestation_phone, idempotency_key, entry_id)
    SELECT settlement_id, :institution_id, :patient_id, :region_code, :use, :amount_fen, :own_fen, :mutual_aid_fen,
           :cash_fen, :refunded_fen, :cash_refunded_fen, :status, :settled_at, :settled_on, :cert_type,
           :cert_no, :agent_name, :agent_id_number, :attested_payer_id, :attestation_relationship,
           :attestation_phone, :idempotency_key, entry_id
    FROM ids
), parts AS (
    INSERT INTO settlement_parts (settlement_id, seq, payer_id, account_id, fund, binding_id, amount_fen, refunded_fen)
    SELECT ids.settlement_id, p.seq, p.payer_id, p.account_id, p.fund, p.binding_id, p.amount_fen, 0
    FROM ids, json_to_recordset(CAST(:parts AS json))
         AS p(seq integer, payer_id bigint, account_id bigint, fund text, binding_id bigint, amount_fen bigint)
), entry AS (
    {entry}
), legs AS (
    SELECT * FROM json_to_recordset(CAST(:legs AS json)) AS l(account_id bigint, amount_fen bigint)
), balances AS (
    {balances}
), postings AS (
    {postings}
), events AS (
    INSERT INTO events (at, kind, actor_kind, actor_id, channel, subject_type, subject_id, concerns, data)
    SELECT :at, e.kind, :actor_kind, :actor_id, :channel, 'settlement', ids.settlement_id, e.concerns, e.data
    FROM ids, ROWS FROM (json_to_recordset(CAST(:events AS json)) AS (kind text, concerns json, data json))
         WITH ORDINALITY AS e(kind, concerns, data, n)
    ORDER BY e.n
    RETURNING id, kind, concerns, data
), notifications AS (
    -- the outbox (gongji.notifications.outbox): one per person concerned, for the kinds people are told about
    INSERT INTO notifications (event_id, person_id, kind, data, created_at, status, attempts, next_attempt_at)
    SELECT events.id, CAST(person.value AS bigint), events.kind, events.data, :at, 'pending', 0, :at
    FROM events, json_array_elements_text(events.concerns) AS person
    WHERE events.kind IN ({notified})
)
SELECT settlement_id FROM ids
"""
    .replace("{next_entry_id}", ledger_writes.NEXT_ENTRY_ID)
    .replace("{entry}", ledger_writes.insert_entries(
        "SELECT entry_id, 'settlement', :at, :on, 'settlement', settlement_id FROM ids WHERE entry_id IS NOT NULL",
        columns='id, kind, at, "on", ref_type, ref_id'))
    .replace("{balances}", ledger_writes.add_to_balances("legs", account="legs.account_id", amount="legs.amount_fen"))
    .replace("{postings}", ledger_writes.insert_postings(
        "SELECT ids.entry_id, legs.account_id, legs.amount_fen, balances.balance_fen "
        "FROM ids CROSS JOIN legs LEFT JOIN balances ON balances.id = legs.account_id ORDER BY legs.account_id"))
    .replace("{notified}", ", ".join(f"'{kind}'" for kind in sorted(NOTIFIED_KINDS)))
).bindparams(bindparam("at", type_=UTCDateTime), bindparam("settled_at", type_=UTCDateTime))


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
    rows = session.execute(select(_P.c.id, _P.c.name, _P.c.id_number).where(_P.c.id.in_(ids))).all()
    names, id_numbers = {r.id: r.name for r in rows}, {r.id: r.id_number for r in rows}
    return SettlementResult(
        settlement_id=settlement.id, institution_code=institution.code, patient_id=settlement.patient_id,
        patient_name=names[settlement.patient_id], use=Use(settlement.use), amount_fen=settlement.amount_fen,
        own_fen=settlement.own_fen, mutual_aid_fen=settlement.mutual_aid_fen, cash_fen=settlement.cash_fen,
        lines=_lines(settlement.parts, names, settlement.patient_id, id_numbers), settled_at=settlement.settled_at,
        status=settlement.status, refunded_fen=settlement.refunded_fen, replayed=replayed,
        patient_id_number=id_numbers[settlement.patient_id],
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
    session.flush()
    record_many(session, at=now, happenings=[Happening(
        kind="settlement.refunded", actor=actor or Actor.institution(institution.code), subject_type="settlement",
        subject_id=settlement.id, concerns=concerned,
        data={"refund_id": row.id, "amount_fen": amount, "cash_fen": cash,
              "to": {str(parts[pid].payer_id): amt for pid, amt in back}})])
    return refund_result_of(session, row.id)


def _lock_settlement(session: Session, settlement: Settlement) -> None:
    """Lock the settlement's row (PostgreSQL) and read it and its parts again, as they are now."""
    query = select(Settlement).where(Settlement.id == settlement.id).execution_options(populate_existing=True)
    query = for_update(session, query, of=Settlement)
    session.execute(query).scalar_one()  # its parts are loaded again with it (selectin)


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
