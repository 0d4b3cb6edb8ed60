"""2201 / 2202 registration, 2203 visit information, 2204 / 2205 fee details (NI-3)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import delete, select

from gongji.errors import GongjiError
from gongji.national import codes, tables, wire
from gongji.national.models import NiFeeDetail, NiSettlement, NiVisit
from gongji.national.service.answers import line_split
from gongji.national.service.message import MAX_LINES, Message, check_insutype, psn_no_of
from gongji.settlement import service as settlement
from gongji.terms import Use


def line_amount(spec_row: dict[str, Any]) -> None:
    """A fee line's total is its quantity times its price, to the fen (either rounding is accepted)."""
    exact = spec_row["cnt"] * spec_row["pric"]
    expected = int((exact * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if abs(expected - spec_row["det_item_fee_sumamt"]) > 1:
        raise GongjiError("NI_TOTALS_DISAGREE", field="det_item_fee_sumamt", name_zh="明细项目费用总额",
                          given=wire.yuan(spec_row["det_item_fee_sumamt"]), basis_zh="数量×单价",
                          basis_en="quantity × price", expected=wire.yuan(expected))



def register(msg: Message, data: dict[str, Any]) -> dict[str, Any]:
    """NI-3: open an outpatient visit; its ``mdtrt_id`` keys every later message."""
    node = wire.read(data.get("data"), tables.REGISTRATION, node_name="data", node_zh="挂号信息")
    person = msg.person(node["psn_no"])
    check_insutype(person, node["insutype"])
    cert = msg.certificate(person, node["mdtrt_cert_type"], node["mdtrt_cert_no"])
    settlement.admit(msg.session, msg.env, institution_code=msg.institution.code, patient_id_number=person.id_number,
                     use=Use.OUTPATIENT.value, cert=cert)
    taken = msg.session.execute(select(NiVisit.id).where(
        NiVisit.institution_id == msg.institution.id, NiVisit.ipt_otp_no == node["ipt_otp_no"],
        NiVisit.status == "open")).scalar_one_or_none()
    if taken is not None:
        raise GongjiError("NI_OUTPATIENT_NUMBER_TAKEN", ipt_otp_no=node["ipt_otp_no"], mdtrt_id=str(taken))
    visit = NiVisit(institution_id=msg.institution.id, person_id=person.id, kind="outpatient",
                    ipt_otp_no=node["ipt_otp_no"], insutype=node["insutype"], med_type=None,
                    mdtrt_cert_type=node["mdtrt_cert_type"], mdtrt_cert_no=node["mdtrt_cert_no"],
                    begntime=node["begntime"], dept_code=node["dept_code"], dept_name=node["dept_name"],
                    atddr_no=node["atddr_no"], dr_name=node["dr_name"], status="open", msgid=msg.msgid,
                    created_at=msg.now)
    msg.session.add(visit)
    msg.session.flush()
    msg.visit_id = visit.id
    return {"data": {"mdtrt_id": str(visit.id), "psn_no": psn_no_of(person), "ipt_otp_no": node["ipt_otp_no"]}}


def open_visit(msg: Message, visit: NiVisit, action_zh: str, action_en: str) -> None:
    if visit.status == "cancelled":
        raise GongjiError("NI_VISIT_CANCELLED", mdtrt_id=str(visit.id), action_zh=action_zh, action_en=action_en)


def settled_on(msg: Message, visit: NiVisit) -> NiSettlement | None:
    return msg.session.execute(select(NiSettlement).where(
        NiSettlement.visit_id == visit.id, NiSettlement.kind == "settlement", NiSettlement.status == "settled")
    ).scalars().first()


def cancel_registration(msg: Message, data: dict[str, Any]) -> dict[str, Any]:
    node = wire.read(data.get("data"), tables.REGISTRATION_CANCEL, node_name="data", node_zh="撤销挂号信息")
    person = msg.person(node["psn_no"])
    visit = msg.visit(node["mdtrt_id"], person)
    if visit.ipt_otp_no != node["ipt_otp_no"]:
        raise GongjiError("NI_FIELD_INVALID", field="ipt_otp_no", name_zh="住院/门诊号", value=node["ipt_otp_no"],
                          reason_zh=f"就诊 {visit.id} 的门诊号是 {visit.ipt_otp_no}",
                          reason_en=f"visit {visit.id} has the outpatient number {visit.ipt_otp_no}")
    close_visit(msg, visit)
    return {}


def close_visit(msg: Message, visit: NiVisit) -> None:
    open_visit(msg, visit, "撤销挂号", "cancel the registration")
    settled = settled_on(msg, visit)
    if settled is not None:
        raise GongjiError("NI_VISIT_SETTLED", mdtrt_id=str(visit.id), setl_id=str(settled.id),
                          action_zh="撤销挂号", action_en="cancel its registration")
    msg.session.execute(delete(NiFeeDetail).where(NiFeeDetail.visit_id == visit.id,
                                                  NiFeeDetail.settlement_id.is_(None)))
    visit.status = "cancelled"


def visit_info(msg: Message, data: dict[str, Any]) -> dict[str, Any]:
    """2203 / 2203A: the visit's medical type, disease and diagnoses (the diagnoses as checked, for 5202)."""
    node = wire.read(data.get("mdtrtinfo"), tables.VISIT_INFO, node_name="mdtrtinfo", node_zh="就诊信息")
    diagnoses = [wire.read(row, tables.DIAGNOSIS, node_name="diseinfo", node_zh="诊断信息")
                 for row in data.get("diseinfo") or []]
    if codes.is_inpatient(node["med_type"]):
        raise inpatient(node["med_type"])
    person = msg.person(node["psn_no"])
    visit = msg.visit(node["mdtrt_id"], person)
    open_visit(msg, visit, "上传就诊信息", "upload visit information")
    visit.med_type = node["med_type"]
    visit.dise_codg, visit.dise_name = node["dise_codg"], node["dise_name"]
    visit.diagnoses = [{**row, "diag_srt_no": int(row["diag_srt_no"]), "diag_time": wire.time_text(row["diag_time"])}
                       for row in diagnoses]
    return {}


def inpatient(med_type: str) -> GongjiError:
    return GongjiError("NI_FIELD_INVALID", field="med_type", name_zh="医疗类别", value=med_type,
                       reason_zh="住院类医疗类别须走住院交易（23xx），本服务只受理门诊与药店",
                       reason_en="inpatient kinds go through the inpatient transactions (23xx); only outpatient and "
                                 "pharmacy business is served here")


# -- 2204 / 2205 fee details -----------------------------------------------------------------------


def upload_fees(msg: Message, data: dict[str, Any]) -> dict[str, Any]:
    lines = wire.rows(data.get("feedetail"), node_name="feedetail", node_zh="费用明细", limit=MAX_LINES)
    rows = [wire.read(line, tables.FEE_DETAIL, node_name="feedetail", node_zh="费用明细") for line in lines]
    first = rows[0]
    for row in rows[1:]:
        for key, zh in (("mdtrt_id", "就诊ID"), ("psn_no", "人员编号")):
            if row[key] != first[key]:
                raise GongjiError("NI_FIELD_INVALID", field=key, name_zh=zh, value=row[key],
                                  reason_zh="一次上传的明细须属于同一就诊", reason_en="one upload belongs to one visit")
    person = msg.person(first["psn_no"])
    visit = msg.visit(first["mdtrt_id"], person)
    open_visit(msg, visit, "上传费用明细", "upload fee details")
    if visit.kind != "outpatient":
        raise GongjiError("NI_VISIT_NOT_FOUND", mdtrt_id=first["mdtrt_id"], psn_no=first["psn_no"])
    known = set(msg.session.execute(select(NiFeeDetail.feedetl_sn).where(NiFeeDetail.visit_id == visit.id)).scalars())
    for row in rows:
        line_amount(row)
        if row["feedetl_sn"] in known:
            raise GongjiError("NI_FEE_DETAIL_DUPLICATE", feedetl_sn=row["feedetl_sn"], mdtrt_id=str(visit.id))
        known.add(row["feedetl_sn"])
    msg.session.add_all(fee_details(visit, rows, msg.msgid))
    msg.session.flush()
    return {"result": [line_split(row, limited=True) for row in rows]}


def fee_details(visit: NiVisit, rows: list[dict[str, Any]], msgid: str, settlement_id: int | None = None) -> list:
    return [NiFeeDetail(visit_id=visit.id, feedetl_sn=row["feedetl_sn"], chrg_bchno=row.get("chrg_bchno"),
                        rxno=row["rxno"], fee_ocur_time=row["fee_ocur_time"], med_list_codg=row["med_list_codg"],
                        medins_list_codg=row["medins_list_codg"], amount_fen=row["det_item_fee_sumamt"],
                        cnt=row["cnt"], pric=row["pric"], settlement_id=settlement_id, msgid=msgid)
            for row in rows]


def cancel_fees(msg: Message, data: dict[str, Any]) -> dict[str, Any]:
    """2205: drop a batch's fee details (``chrg_bchno`` 0000: every unsettled one of the visit)."""
    node = wire.read(data.get("data"), tables.FEE_CANCEL, node_name="data", node_zh="撤销明细信息")
    person = msg.person(node["psn_no"])
    visit = msg.visit(node["mdtrt_id"], person)
    open_visit(msg, visit, "撤销费用明细", "cancel fee details")
    everything = node["chrg_bchno"] == "0000"
    if not everything:
        settled = msg.session.execute(select(NiFeeDetail.settlement_id).where(
            NiFeeDetail.visit_id == visit.id, NiFeeDetail.chrg_bchno == node["chrg_bchno"],
            NiFeeDetail.settlement_id.is_not(None))).scalars().first()
        if settled is not None:
            raise GongjiError("NI_VISIT_SETTLED", mdtrt_id=str(visit.id), setl_id=str(settled),
                              action_zh="撤销已结算的费用明细", action_en="cancel settled fee details")
    condition = [NiFeeDetail.visit_id == visit.id, NiFeeDetail.settlement_id.is_(None)]
    if not everything:
        condition.append(NiFeeDetail.chrg_bchno == node["chrg_bchno"])
    removed = msg.session.execute(delete(NiFeeDetail).where(*condition)).rowcount
    if not removed:
        raise GongjiError("NI_NO_FEE_DETAILS", mdtrt_id=str(visit.id), chrg_bchno=node["chrg_bchno"])
    return {}
