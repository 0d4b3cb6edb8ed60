"""Refunds and cancellation (HN-5): money goes back to where it came from; from a closed account on to where its
region says (LC-5, :func:`gongji.life.carry.after_refund`)."""

from __future__ import annotations

from sqlalchemy import (
    select,
)
from sqlalchemy.orm import Session

from gongji import idempotency
from gongji.actors import Actor
from gongji.db.dialect import for_update
from gongji.env import Env
from gongji.errors import GongjiError
from gongji.events.service import Happening, record_many
from gongji.inputs import check_text
from gongji.institutions import service as institutions
from gongji.ledger import service as ledger
from gongji.life import carry
from gongji.money import require_fen
from gongji.settlement import rules
from gongji.settlement.models import Refund, RefundPart, Settlement
from gongji.settlement.results import RefundResult
from gongji.settlement.stored import get, refund_result_of

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
    to_payers: dict[int, int] = {}
    for part_id, part_amount in back:
        to_payers[parts[part_id].payer_id] = to_payers.get(parts[part_id].payer_id, 0) + part_amount
    for payer_id, payer_amount in sorted(to_payers.items()):  # LC-5: a closed account's refund goes where it says
        carry.after_refund(session, env, person_id=payer_id, amount_fen=payer_amount,
                           actor=actor or Actor.institution(institution.code))
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
