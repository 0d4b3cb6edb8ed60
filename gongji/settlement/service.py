"""Quotes, settlements, refunds and cancellations: load the facts, let the rules decide, post the result.

A quote (pre-settlement) runs the same plan as a settlement and writes nothing. A settlement
locks every account that may pay (ascending id), plans with the locked balances, and writes the
settlement, its parts and one balanced ledger entry in the caller's transaction. A retried request
with the same idempotency key gets the first result back and moves no more money.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from gongji import idempotency
from gongji.actors import Actor
from gongji.agents import service as agencies
from gongji.db.dialect import is_postgresql
from gongji.env import Env
from gongji.ledger import service as ledger
from gongji.money import require_fen
from gongji.settlement.facts import (  # noqa: F401  (the settlement's API, as before the package was split)
    _admitted,
    _check_agent,
    _check_attestation,
    _gather,
    _plan,
    _prepare,
    _read,
    admit,
    check_certificate,
    paid_this_month,
)
from gongji.settlement.refunds import cancel, refund  # noqa: F401
from gongji.settlement.results import (  # noqa: F401
    CERT_TYPES,
    Agent,
    Attestation,
    Certificate,
    InstitutionFacts,
    PatientFacts,
    PaymentLine,
    RefundLine,
    RefundResult,
    SettlementResult,
    SkippedPayer,
    _lines,
)
from gongji.settlement.stored import get, refund_result_of, result_of  # noqa: F401
from gongji.settlement.writing import _write
from gongji.terms import (
    Use,
    parse_enum,
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



def _registered_agency(session: Session, env: Env, patient_id: int, agent) -> int | None:
    """N-4, AG-1: the agency in force through which the buyer of a proxy purchase acts for the patient, if any."""
    if agent is None:
        return None
    found = agencies.registered_agent(session, env, principal_id=patient_id, agent_id_number=agent.id_number)
    return found.id if found is not None else None


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

    On PostgreSQL two statements in two round trips: the facts query, which also claims the idempotency key with the
    settlement's id (:func:`idempotency.claim`; a concurrent request with the key waits there) and locks the accounts
    of the patient and his payers in ascending id, sent with the BEGIN; and the writes, in one statement
    (:func:`_write`) sent with the COMMIT (:mod:`gongji.db.pipeline`). With a paper attestation (SZ-5) the accounts
    are locked in a statement of their own. On SQLite, whose one writer holds the whole
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
    # On PostgreSQL the accounts are locked in the same statement too, unless a paper attestation names a payer the
    # facts query does not know of (SZ-5): then they are locked in a statement of their own, after his look-up.
    lock_with_facts = claiming and attestation is None
    read = _read(session, env, institution_code=institution_code, patient_id_number=patient_id_number,
                 key={"scope": scope, "key": key, "fingerprint": idempotency.fingerprint(content),
                      "claimed_at": env.now()} if claiming else {"scope": scope, "key": key}, lock=lock_with_facts)
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

    _gather(session, env, facts, attested_payer, lock=True, locked=read.accounts)  # the plan spends them as locked
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
         "cash_fen": plan.cash_fen, "agent": bool(agent),
         # N-4, AG-1: the agency in force through which the buyer acts for the patient, when he is a registered agent
         "agent_agency_id": _registered_agency(session, env, patient.id, agent)})]
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

