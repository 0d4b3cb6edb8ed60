"""5203 settlement query, 3201 reconciliation (NI-6)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select

from gongji.errors import GongjiError
from gongji.national import tables, wire
from gongji.national.models import NiMessage, NiSettlement
from gongji.national.service.answers import query_setlinfo, setldetail
from gongji.national.service.cancelling import settlement_of
from gongji.national.service.message import Message


def query_settlement(msg: Message, data: dict[str, Any]) -> dict[str, Any]:
    node = wire.read(data.get("data"), tables.SETTLEMENT_QUERY, node_name="data", node_zh="结算查询信息")
    person = msg.person(node["psn_no"])
    row = settlement_of(msg, node["setl_id"], person, node["mdtrt_id"])
    return {"setlinfo": query_setlinfo(msg, row, person), "setldetail": setldetail(row)}


STATEMENT_RESULTS = {"0": ("对平", "balanced"), "1": ("中心多", "the insurer has more"),
                     "2": ("医药机构多", "the institution has more"), "3": ("数据不一致", "the figures differ")}


def reconcile(msg: Message, data: dict[str, Any]) -> dict[str, Any]:
    """NI-6 3201: the institution's totals for a period against the insurer's."""
    node_in = data.get("data")
    if isinstance(node_in, dict) and "refd_setl_flag" not in node_in and "REFD_SETL_FLAG" in node_in:
        node_in = {**node_in, "refd_setl_flag": node_in["REFD_SETL_FLAG"]}
    node = wire.read(node_in, tables.RECONCILIATION, node_name="data", node_zh="对账信息")
    if node["stmt_enddate"] < node["stmt_begndate"]:
        raise GongjiError("NI_FIELD_INVALID", field="stmt_enddate", name_zh="对账结束日期",
                          value=wire.date_text(node["stmt_enddate"]), reason_zh="不能早于对账开始日期",
                          reason_en="it may not be before the start date")
    with_refunds = node["refd_setl_flag"] != "0"
    query = select(func.count(NiSettlement.id), func.coalesce(func.sum(NiSettlement.medfee_fen), 0),
                   func.coalesce(func.sum(NiSettlement.fund_pay_fen), 0),
                   func.coalesce(func.sum(NiSettlement.acct_pay_fen), 0)).where(
        NiSettlement.institution_id == msg.institution.id, NiSettlement.setl_on >= node["stmt_begndate"],
        NiSettlement.setl_on <= node["stmt_enddate"], NiSettlement.insutype == node["insutype"],
        NiSettlement.clr_type == node["clr_type"], NiSettlement.clr_optins == node["setl_optins"])
    if not with_refunds:
        query = query.where(NiSettlement.kind == "settlement")
    # NI-5, NI-6: a message reversed by 2601 never happened for the HIS's books (冲正 voids it), so neither its
    # settlement nor the cancellation the reversal made is counted or summed.
    voided = select(NiMessage.msgid).where(NiMessage.institution_code == msg.institution.code,
                                           or_(NiMessage.status == "reversed", NiMessage.infno == "2601"))
    query = query.where(NiSettlement.msgid.not_in(voided))
    count, medfee, fund, acct = (int(v) for v in msg.session.execute(query).one())
    theirs = (int(node["fixmedins_setl_cnt"]), node["medfee_sumamt"], node["fund_pay_sumamt"], node["acct_pay"])
    ours = (count, medfee, fund, acct)
    if theirs == ours:
        result = "0"
    elif count > theirs[0]:
        result = "1"
    elif count < theirs[0]:
        result = "2"
    else:
        result = "3"
    zh, en = STATEMENT_RESULTS[result]
    detail = (f"{zh}：中心 {count} 笔，医疗费 {wire.yuan(medfee)}，基金 {wire.yuan(fund)}，个人账户 {wire.yuan(acct)}；"
              f"机构 {theirs[0]} 笔，医疗费 {wire.yuan(theirs[1])}，基金 {wire.yuan(theirs[2])}，个人账户 {wire.yuan(theirs[3])}")
    return {"stmtinfo": {"setl_optins": node["setl_optins"], "stmt_rslt": result, "stmt_rslt_dscr": detail[:200]}}
