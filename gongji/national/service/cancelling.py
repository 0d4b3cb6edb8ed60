"""Cancelling (2208, 2103) and reversing (2601) (NI-5)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from gongji.db.dialect import for_update
from gongji.errors import GongjiError
from gongji.ledger import service as ledger
from gongji.ledger.models import Posting
from gongji.national import tables, wire
from gongji.national.models import NiFeeDetail, NiMessage, NiSettlement, NiVisit
from gongji.national.service.answers import pharmacy_cancel_setlinfo, setldetail, short_setlinfo
from gongji.national.service.message import Message, own_balance, psn_no_of, stored_message
from gongji.national.service.restoring import live, restore
from gongji.national.service.settling import fund_year, record_settlement
from gongji.national.service.visits import close_visit, settled_on
from gongji.people.models import Person
from gongji.settlement import service as settlement


def settlement_of(msg: Message, setl_id: str, person: Person, mdtrt_id: str | None) -> NiSettlement:
    row = None
    if setl_id.isdigit() and len(setl_id) <= 18:
        query = select(NiSettlement).where(NiSettlement.id == int(setl_id))
        query = for_update(msg.session, query)
        row = msg.session.execute(query).scalar_one_or_none()
    if (row is None or row.institution_id != msg.institution.id or row.person_id != person.id
            or (mdtrt_id is not None and str(row.visit_id) != mdtrt_id)):
        raise GongjiError("NI_SETTLEMENT_NOT_FOUND", setl_id=setl_id, mdtrt_id=mdtrt_id or "-",
                          psn_no=psn_no_of(person))
    return live(msg, row)  # a settlement whose cancellation a 2601 reversed: the one standing now


def cancel(msg: Message, original: NiSettlement, person: Person, *, how_zh: str, how_en: str) -> NiSettlement:
    """NI-5, HN-5: give every account that paid its money back, and the pooled fund its share."""
    session, env = msg.session, msg.env
    if original.kind != "settlement":
        raise GongjiError("NI_SETTLEMENT_NOT_FOUND", setl_id=str(original.id), mdtrt_id=str(original.visit_id),
                          psn_no=psn_no_of(person))
    if original.status == "cancelled":
        raise GongjiError("NI_SETTLEMENT_CANCELLED", setl_id=str(original.id), how_zh=how_zh, how_en=how_en)
    account_back = mutual_back = 0
    refund_id = None
    if original.core_settlement_id is not None:
        core = settlement.get(session, original.core_settlement_id)
        if core.refunded_fen < core.amount_fen:  # what the HTTP API refunded already is back already
            result = settlement.cancel(session, env, institution_code=msg.institution.code,
                                       settlement_id=core.id, idempotency_key=f"ni:{msg.msgid}",
                                       reason=f"national interface {msg.infno} {msg.msgid}")
            refund_id = result.refund_id
            account_back = result.amount_fen - result.cash_fen
            mutual_back = sum(line.amount_fen for line in result.lines if not line.is_own)
    now, today = msg.now, env.today()
    row = NiSettlement(
        institution_id=original.institution_id, visit_id=original.visit_id, person_id=original.person_id,
        kind="cancellation", cancels_id=original.id, status="settled", msgid=msg.msgid, insutype=original.insutype,
        med_type=original.med_type, clr_type=original.clr_type, clr_optins=original.clr_optins,
        psn_setlway=original.psn_setlway, acct_used_flag=original.acct_used_flag,
        mdtrt_cert_type=original.mdtrt_cert_type, chrg_bchno=original.chrg_bchno, invono=original.invono,
        medfee_fen=-original.medfee_fen, fulamt_ownpay_fen=-original.fulamt_ownpay_fen,
        overlmt_selfpay_fen=-original.overlmt_selfpay_fen, preselfpay_fen=-original.preselfpay_fen,
        inscp_scp_fen=-original.inscp_scp_fen, act_pay_dedc_fen=-original.act_pay_dedc_fen,
        hifp_pay_fen=-original.hifp_pay_fen, pool_ratio_permille=original.pool_ratio_permille,
        fund_cap_left_fen=original.fund_cap_left_fen, fund_pay_fen=-original.fund_pay_fen,
        psn_part_fen=-original.psn_part_fen, acct_pay_fen=-account_back, acct_mulaid_fen=-mutual_back,
        psn_cash_fen=-(original.psn_part_fen - account_back), hosp_part_fen=-original.hosp_part_fen,
        balc_fen=own_balance(session, person.id), core_refund_id=refund_id, setl_time=now, setl_on=today,
    )
    session.add(row)
    session.flush()
    if original.fund_pay_fen:
        # Back to the fund that paid (the person may be insured elsewhere by now).
        fund = msg.session.execute(select(Posting.account_id).where(
            Posting.entry_id == original.fund_entry_id, Posting.amount_fen < 0)).scalar_one()
        owed = ledger.system_account(session, kind=ledger.INSTITUTION, key=msg.institution.code,
                                     region_code=msg.institution.region_code, at=now)
        row.fund_entry_id = ledger.post(
            session, kind="pooled_fund_back", at=now, on=today, ref_type="ni_settlement", ref_id=row.id,
            legs=[ledger.Leg(owed, -original.fund_pay_fen), ledger.Leg(fund, original.fund_pay_fen)])
    year = fund_year(session, person.id, original.setl_on.year, lock=True)
    year.deductible_used_fen = max(0, year.deductible_used_fen - original.act_pay_dedc_fen)
    year.fund_paid_fen = max(0, year.fund_paid_fen - original.fund_pay_fen)
    original.status, original.cancelled_by_id = "cancelled", row.id
    visit = session.get(NiVisit, original.visit_id)
    if visit.kind == "outpatient":  # the lines wait for a new settlement (or 2205)
        for detail in session.execute(select(NiFeeDetail).where(NiFeeDetail.settlement_id == original.id)).scalars():
            detail.settlement_id = None
    else:
        visit.status = "cancelled"
    msg.settlement_id = row.id
    msg.visit_id = visit.id
    record_settlement(msg, "ni.cancelled", row)
    session.flush()
    return row


def cancel_settlement(msg: Message, data: dict[str, Any]) -> dict[str, Any]:
    """2208: undo an outpatient settlement; the output is the cancellation, with the amounts negated."""
    node = wire.read(data.get("data"), tables.CANCELLATION, node_name="data", node_zh="撤销结算信息")
    person = msg.person(node["psn_no"])
    original = settlement_of(msg, node["setl_id"], person, node["mdtrt_id"])
    row = cancel(msg, original, person, how_zh="门诊结算撤销", how_en="outpatient settlement cancelled")
    info = short_setlinfo(msg, row)
    return {"setlinfo": info, "setldetail": setldetail(row)}


def cancel_pharmacy(msg: Message, data: dict[str, Any]) -> dict[str, Any]:
    """2103: undo a pharmacy settlement."""
    node = wire.read(data.get("data"), tables.CANCELLATION, node_name="data", node_zh="撤销结算信息")
    person = msg.person(node["psn_no"])
    original = settlement_of(msg, node["setl_id"], person, node["mdtrt_id"])
    row = cancel(msg, original, person, how_zh="药店结算撤销", how_en="pharmacy settlement cancelled")
    return {"setlinfo": pharmacy_cancel_setlinfo(msg, row), "setldetail": setldetail(row)}


#: What 2601 can undo, and how (and 2208, 2103: :mod:`gongji.national.service.restoring`).
REVERSIBLE = ("2201", "2204", "2207", "2102", "2208", "2103")


def reverse(msg: Message, data: dict[str, Any]) -> dict[str, Any]:
    """2601 冲正: undo a message by its ``omsgid``, e.g. when the HIS never saw the answer (NI-5).

    A settlement's money goes back to every account that paid it. A message that never arrived is
    remembered as reversed, so that it is refused if it arrives late.
    """
    node = wire.read(data.get("data"), tables.REVERSAL, node_name="data", node_zh="冲正信息")
    person = msg.person(node["psn_no"])
    omsgid, oinfno = node["omsgid"], node["oinfno"]
    if omsgid == msg.msgid:
        raise GongjiError("NI_FIELD_INVALID", field="omsgid", name_zh="原发送方报文ID", value=omsgid,
                          reason_zh="不能冲正本报文自身", reason_en="a message cannot reverse itself")
    original = stored_message(msg.session, msg.institution.code, omsgid, lock=True)
    if original is None:
        msg.session.add(NiMessage(institution_code=msg.institution.code, msgid=omsgid, infno=oinfno,
                                  fingerprint=None, person_id=person.id, answer=None, status="reversed",
                                  received_at=msg.now, reversed_at=msg.now, reversed_by=msg.msgid))
        msg.session.flush()
        return {}
    if original.infno != oinfno:
        raise GongjiError("NI_FIELD_INVALID", field="oinfno", name_zh="原交易编号", value=oinfno,
                          reason_zh=f"报文 {omsgid} 的交易编号是 {original.infno}",
                          reason_en=f"the message {omsgid} is a {original.infno}")
    if original.person_id is not None and original.person_id != person.id:
        raise GongjiError("NI_PERSON_MISMATCH", field="psn_no", name_zh="人员编号", psn_no=node["psn_no"])
    if original.status == "reversed":
        return {}
    if oinfno in ("2208", "2103"):  # the cancellation is void: its settlement stands again, or a refusal
        restore(msg, original, person)
    elif oinfno not in REVERSIBLE:
        raise GongjiError("NI_NOT_REVERSIBLE", omsgid=omsgid, oinfno=oinfno,
                          reason_zh=f"可冲正的交易为 {'、'.join(REVERSIBLE)}",
                          reason_en=f"the reversible transactions are {', '.join(REVERSIBLE)}")
    elif oinfno in ("2207", "2102"):
        settled = msg.session.get(NiSettlement, original.settlement_id)
        if settled.status == "settled":
            cancel(msg, settlement_of(msg, str(settled.id), person, None), person, how_zh="冲正",
                    how_en="reversed")
    elif oinfno == "2201":
        visit = msg.visit(str(original.visit_id), person)
        if visit.status != "cancelled":
            _not_settled(msg, visit, omsgid, oinfno)
            close_visit(msg, visit)
    else:  # 2204: the lines that message uploaded
        visit = msg.visit(str(original.visit_id), person)
        lines = list(msg.session.execute(select(NiFeeDetail).where(
            NiFeeDetail.visit_id == visit.id, NiFeeDetail.msgid == omsgid)).scalars())
        if any(line.settlement_id is not None for line in lines):
            raise GongjiError("NI_NOT_REVERSIBLE", omsgid=omsgid, oinfno=oinfno,
                              reason_zh="这些费用明细已结算，请先撤销结算（2208）",
                              reason_en="those fee details are settled; cancel the settlement first (2208)")
        for line in lines:
            msg.session.delete(line)
    original.status, original.reversed_at, original.reversed_by = "reversed", msg.now, msg.msgid
    msg.session.flush()
    return {}


def _not_settled(msg: Message, visit: NiVisit, omsgid: str, oinfno: str) -> None:
    if settled_on(msg, visit) is not None:
        raise GongjiError("NI_NOT_REVERSIBLE", omsgid=omsgid, oinfno=oinfno,
                          reason_zh="该就诊已结算，请先撤销结算（2208）",
                          reason_en="the visit is settled; cancel the settlement first (2208)")
