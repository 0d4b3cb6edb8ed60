"""Taking again what a cancellation gave back: a cancelled settlement put back as it was (NI-5, HN-5).

The national interface's 2601 of a 2208 or 2103 (冲正 of a cancellation) voids the cancellation. The refund it made
stays in the books as it happened; what it gave back is taken again, the same amount from each account it went to,
in a new settlement of the same patient at the same institution (the settlement and refund records keep adding
up, and a later cancellation refunds the new one). Nothing is taken unless every account still holds its part
and every relative still pays through a binding active today and not paused (D-3); else :class:`NotAgain` says which, naming
nobody.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from gongji.actors import Actor
from gongji.authorizations.models import Binding
from gongji.authorizations.service import active_on
from gongji.env import Env
from gongji.events.service import Happening, record_many
from gongji.institutions.models import Institution
from gongji.ledger import service as ledger
from gongji.settlement.models import Refund, Settlement, SettlementPart


class NotAgain(Exception):
    """What was given back cannot be taken again: why, in Chinese and English (no one named)."""

    def __init__(self, reason_zh: str, reason_en: str) -> None:
        super().__init__(reason_en)
        self.reason_zh, self.reason_en = reason_zh, reason_en


def settle_again(session: Session, env: Env, *, refund_id: int, idempotency_key: str) -> int:
    """Take again, from each account, what the refund ``refund_id`` gave it; the new settlement's id.

    The caller makes sure this happens once (the national interface: the reversed message's status). The
    accounts are locked in the global order and read under the lock; the ledger entry balances.
    """
    refund = session.get(Refund, refund_id)
    old = session.get(Settlement, refund.settlement_id)
    parts = {p.id: p for p in old.parts}
    back = [(parts[rp.settlement_part_id], rp.amount_fen) for rp in refund.parts]
    relatives = [part.binding_id for part, _ in back if part.binding_id is not None]
    today, now = env.today(), env.now()
    if relatives:
        active = set(session.execute(select(Binding.id).where(Binding.id.in_(relatives), active_on(today),
                                                           Binding.paused_at.is_(None))).scalars())
        if set(relatives) - active:
            raise NotAgain("为其付费的亲属绑定已结束或已暂停，不能再从其账户扣款",
                           "a relative who paid no longer pays through an active binding (ended or paused), so his "
                           "account is not charged again")
    wanted: dict[int, int] = {}
    for part, amount in back:
        wanted[part.account_id] = wanted.get(part.account_id, 0) + amount
    balances = ledger.lock(session, list(wanted))
    if any(balances.get(account_id, 0) < amount for account_id, amount in wanted.items()):
        raise NotAgain("撤销时退回的钱已不全在原账户中（已被使用或转出）",
                       "the money the cancellation gave back is no longer all in the accounts it went to "
                       "(spent or moved since)")
    own = sum(amount for part, amount in back if part.payer_id == old.patient_id)
    mutual = sum(amount for part, amount in back if part.payer_id != old.patient_id)
    row = Settlement(
        institution_id=old.institution_id, patient_id=old.patient_id, region_code=old.region_code, use=old.use,
        amount_fen=refund.amount_fen, own_fen=own, mutual_aid_fen=mutual, cash_fen=refund.cash_fen,
        refunded_fen=0, cash_refunded_fen=0, status="settled", settled_at=now, settled_on=today,
        cert_type=old.cert_type, cert_no=old.cert_no, agent_name=old.agent_name,
        agent_id_number=old.agent_id_number, attested_payer_id=old.attested_payer_id,
        attestation_relationship=old.attestation_relationship, attestation_phone=old.attestation_phone,
        idempotency_key=idempotency_key)
    session.add(row)
    session.flush()
    session.add_all([SettlementPart(settlement_id=row.id, seq=seq, payer_id=part.payer_id, account_id=part.account_id,
                                    fund=part.fund, binding_id=part.binding_id, amount_fen=amount, refunded_fen=0)
                     for seq, (part, amount) in enumerate(back, start=1)])
    institution = session.get(Institution, old.institution_id)
    if wanted:
        receivable = ledger.system_account(session, kind=ledger.INSTITUTION, key=institution.code,
                                           region_code=institution.region_code, at=now)
        legs = [ledger.Leg(account_id, -amount) for account_id, amount in sorted(wanted.items())]
        legs.append(ledger.Leg(receivable, sum(wanted.values())))
        row.entry_id = ledger.post(session, kind="settlement", at=now, on=today, ref_type="settlement",
                                   ref_id=row.id, legs=legs)
    by_payer: dict[int, int] = {}
    for part, amount in back:
        if part.payer_id != old.patient_id:
            by_payer[part.payer_id] = by_payer.get(part.payer_id, 0) + amount
    actor = Actor.institution(institution.code)
    happenings = [Happening(
        kind="settlement.settled", actor=actor, subject_type="settlement", subject_id=row.id,
        concerns=[old.patient_id],
        data={"amount_fen": row.amount_fen, "own_fen": own, "mutual_aid_fen": mutual, "cash_fen": row.cash_fen,
              "agent": bool(old.agent_name), "again_of": old.id, "refund_id": refund.id})]
    for payer_id, amount in by_payer.items():
        held = sum(balances.get(account_id, 0)
                   for account_id in {part.account_id for part, _ in back if part.payer_id == payer_id})
        happenings.append(Happening(
            kind="mutual_aid.paid", actor=actor, subject_type="settlement", subject_id=row.id,
            concerns=[payer_id, old.patient_id],
            data={"payer_id": payer_id, "patient_id": old.patient_id, "amount_fen": amount, "attested": False,
                  "balance_after_fen": held - amount}))
    session.flush()
    record_many(session, at=now, happenings=happenings)
    return row.id
