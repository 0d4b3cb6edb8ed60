"""A settlement's facts: the one query that reads the institution, the patient and his payers, the checks of
admission (N-4, scope, status, SZ-5), the accounts that may pay, and the plan the pure rules make of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import (
    BigInteger,
    and_,
    any_,
    bindparam,
    func,
    literal_column,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from gongji import idempotency
from gongji.authorizations import rules as binding_rules
from gongji.authorizations.models import Binding
from gongji.authorizations.service import active_on, party
from gongji.db import pipeline
from gongji.db.dialect import is_postgresql
from gongji.env import Env
from gongji.errors import GongjiError
from gongji.institutions.models import Institution
from gongji.ledger import service as ledger
from gongji.ledger.models import Account
from gongji.money import require_fen
from gongji.people import service as people
from gongji.people.ids import mask, parse_id_number
from gongji.people.models import Enrollment, Person
from gongji.settlement import rules
from gongji.settlement.models import Settlement, SettlementPart
from gongji.settlement.results import (
    CERT_TYPES,
    Agent,
    Attestation,
    Certificate,
    InstitutionFacts,
    PatientFacts,
    SkippedPayer,
    _Binding,
    _Facts,
)
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
        _B.c.id.label("binding_id"), _B.c.priority, _B.c.payer_id, _B.c.monthly_limit_fen, _B.c.paused_at,
        _PAYER.c.name.label("payer_name"),
        _PAYER.c.name_sort_key.label("payer_sort_key"), _PAYER.c.id_number.label("payer_id_number"),
        _PAYER.c.birth_date.label("payer_birth_date"), _PAYER_E.c.person_id.label("payer_enrolled"),
        _PAYER_E.c.scheme.label("payer_scheme"), _PAYER_E.c.region_code.label("payer_region"),
        _PAYER_E.c.status.label("payer_status"),
    ).select_from(joined).order_by(_B.c.id)


def _with_accounts_locked(facts_query):
    """``facts_query`` and, in the same statement, the accounts of the patient and of every payer bound to him today,
    locked in ascending id (PostgreSQL), as a JSON column ``accounts`` (``[id, person_id, fund, balance_fen]`` each,
    the same in every row). The rules then skip some payers (:func:`_gather`); their accounts stay locked until the
    commit, which costs a wait only where a skipped payer is settling at the same moment."""
    facts = facts_query.cte("facts")
    people = select(facts.c.patient_id).union(select(facts.c.payer_id))
    locked = (select(_A.c.id, _A.c.person_id, _A.c.fund, _A.c.balance_fen)
              .where(_A.c.person_id.in_(people)).order_by(_A.c.id).with_for_update().cte("locked"))
    accounts = select(func.json_agg(func.json_build_array(locked.c.id, locked.c.person_id, locked.c.fund,
                                                          locked.c.balance_fen))).scalar_subquery()
    return select(facts, accounts.label("accounts")).order_by(facts.c.binding_id)


_FACTS = _facts_query()
_FACTS_AND_KEY = _facts_query(key="find")
_FACTS_AND_CLAIM = _facts_query(key="claim")
#: PostgreSQL, a settlement without a paper attestation: claim the key, read the facts and lock the accounts, in one
#: statement, sent with the transaction's BEGIN (:func:`gongji.db.pipeline.read`): the settlement's first round trip.
_FACTS_CLAIM_AND_LOCK = _with_accounts_locked(_facts_query(key="claim"))


class _Account(NamedTuple):
    id: int
    person_id: int
    fund: str
    balance_fen: int
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
    accounts: list[_Account] | None = None  # locked with the facts (PostgreSQL), ascending id


def _read(session: Session, env: Env, *, institution_code: str, patient_id_number: str,
          key: dict[str, Any] | None = None, lock: bool = False) -> _Read:
    """The facts query; with ``key`` (``scope``, ``key``, and to claim it ``fingerprint`` and ``claimed_at``) also
    the key's earlier record, or its claim; with ``lock`` (PostgreSQL, claiming) also the accounts, locked."""
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
    if lock:
        assert key is not None and "fingerprint" in key
        rows = pipeline.read(session, _FACTS_CLAIM_AND_LOCK, params)
        return _Read(code=code, number=number, bad_number=bad_number, rows=rows,
                     accounts=sorted(_Account(*a) for a in rows[0].accounts or ()))
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
            lock: bool, locked: list[_Account] | None = None) -> dict[int, int]:
    """Decide which bound payers may pay today (and why not the others), then read the accounts of the patient and
    of those payers, locked when ``lock`` (ascending id), or take them from ``locked`` (read and locked with the
    facts); return the balances read."""
    patient = facts.patient
    facts.names[patient.id] = patient.name
    facts.id_numbers[patient.id] = patient.id_number
    patient_policy = env.policy(patient.party.region_code)
    payers: list[tuple[_Binding, binding_rules.Party, str, str]] = []  # (binding, payer, name key, ID number)
    for row in facts.bindings:
        payer = _party(row.payer_id, row.payer_name, row.payer_birth_date, row.payer_enrolled, row.payer_scheme,
                       row.payer_region, row.payer_status)
        payers.append((_Binding(row.binding_id, row.priority, row.payer_id, row.monthly_limit_fen,
                                row.paused_at is not None), payer, row.payer_sort_key, row.payer_id_number))
    if attested_payer is not None and attested_payer.id not in {b.payer_id for b, *_ in payers}:
        payers.append((_Binding(None, None, attested_payer.id), party(attested_payer), attested_payer.name_sort_key,
                       attested_payer.id_number))
    reasons: list[str | None] = []
    for binding, payer, _, id_number in payers:
        facts.names[payer.person_id] = payer.name
        facts.id_numbers[payer.person_id] = id_number
        reasons.append("paused" if binding.paused else rules.skip_reason(
            payer=payer, patient=patient.party, payer_policy=env.policy(payer.region_code),
            patient_policy=patient_policy, use=facts.use))
    may_pay = [payer.person_id for (_, payer, _, _), reason in zip(payers, reasons, strict=True) if reason is None]
    accounts: dict[int, list[Any]] = {}
    if locked is not None:
        wanted = {patient.id, *may_pay}
        rows: Any = [account for account in locked if account.person_id in wanted]
    else:
        rows = session.execute(_ACCOUNTS_LOCKED if lock and is_postgresql(session) else _ACCOUNTS,
                               {"people": [patient.id, *may_pay]})
    for account in rows:
        accounts.setdefault(account.person_id, []).append(account)
    facts.own_funds = list(_funds(accounts.get(patient.id, ())))
    # PP-1: read after the payers' accounts are locked, so that two bills of the month queue on the same room
    limited = [b.payer_id for (b, *_), reason in zip(payers, reasons, strict=True)
               if reason is None and b.monthly_limit_fen is not None]
    paid = paid_this_month(session, patient_id=patient.id, payer_ids=limited, today=env.today()) if limited else {}
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
                month_room_fen=rules.month_room(monthly_limit_fen=binding.monthly_limit_fen,
                                                paid_this_month_fen=paid.get(payer.person_id, 0)),
            )
        )
    return {a.id: a.balance_fen for rows in accounts.values() for a in rows}


_PAID_THIS_MONTH = (
    select(SettlementPart.payer_id, func.sum(SettlementPart.amount_fen - SettlementPart.refunded_fen).label("fen"))
    .join(Settlement, Settlement.id == SettlementPart.settlement_id)
    .where(Settlement.patient_id == bindparam("patient_id"),
           SettlementPart.payer_id.in_(bindparam("payer_ids", expanding=True)),
           Settlement.settled_on >= bindparam("first_day"), Settlement.settled_on <= bindparam("today"))
    .group_by(SettlementPart.payer_id)
)


def paid_this_month(session: Session, *, patient_id: int, payer_ids: list[int], today: date) -> dict[int, int]:
    """PP-1: what each payer's account paid for the patient in the calendar month of ``today`` (China time), less
    what was refunded of it: a refund gives the room back."""
    rows = session.execute(_PAID_THIS_MONTH, {"patient_id": patient_id, "payer_ids": list(payer_ids),
                                              "first_day": today.replace(day=1), "today": today})
    return {row.payer_id: int(row.fen) for row in rows}


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
        if candidate.available_fen == 0:
            reason = "no_balance"
        elif candidate.payable_fen == 0:
            reason = "monthly_limit_reached"  # PP-1
        else:
            reason = "not_needed"
        skipped.append(SkippedPayer(candidate.payer_id, candidate.name, candidate.binding_id, reason))
    return plan, skipped
