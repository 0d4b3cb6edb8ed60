"""Stored settlements and refunds read back as results (what a retry with the same key gets)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    select,
)
from sqlalchemy.orm import Session

from gongji.errors import GongjiError
from gongji.inputs import check_id
from gongji.institutions.models import Institution
from gongji.people.models import Person
from gongji.settlement.models import Refund, Settlement
from gongji.settlement.results import RefundLine, RefundResult, SettlementResult, _lines
from gongji.terms import (
    Fund,
    Use,
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
    rows = session.execute(select(Person.id, Person.name, Person.id_number).where(Person.id.in_(ids))).all()
    names, id_numbers = {r.id: r.name for r in rows}, {r.id: r.id_number for r in rows}
    return SettlementResult(
        settlement_id=settlement.id, institution_code=institution.code, patient_id=settlement.patient_id,
        patient_name=names[settlement.patient_id], use=Use(settlement.use), amount_fen=settlement.amount_fen,
        own_fen=settlement.own_fen, mutual_aid_fen=settlement.mutual_aid_fen, cash_fen=settlement.cash_fen,
        lines=_lines(settlement.parts, names, settlement.patient_id, id_numbers), settled_at=settlement.settled_at,
        status=settlement.status, refunded_fen=settlement.refunded_fen, replayed=replayed,
        patient_id_number=id_numbers[settlement.patient_id],
    )



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
