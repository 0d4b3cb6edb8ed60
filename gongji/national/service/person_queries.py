"""5201 就诊信息查询, 5202 诊断信息查询 and 5206 人员累计信息查询: what the institution may read again of its patient
(NI-3, NI-4).

Both real clients call 5201 and 5206 (openhis ``GetRegistration_5201`` and ``GetPeopleTotalInfo_5206``; Zebone
``medicalInformationQuery`` and ``qryPersonnelAcc``), openhis 5202 too (``GetDiagnosis_5202``). 5201 lists the
person's visits at this institution only, as everything else of the interface does; 5202 gives the diagnoses of one
of them as its last 2203 sent them. 5206 gives the year's figures the pooled-fund rule itself counts with
(NI-4: the deductible met, ``Q0000``, and what the fund paid, ``D310101`` for employees, ``D390101`` for residents),
as the settlements of every institution left them; the standard's other accumulations (counts, totals by medical
type, other funds) are not kept.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from gongji.clock import CST
from gongji.errors import GongjiError
from gongji.national import codes, tables, wire
from gongji.national.models import NiFundYear, NiVisit
from gongji.national.service.answers import people_fields
from gongji.national.service.message import Message, age
from gongji.national.service.visits import settled_on
from gongji.people import service as people


def query_visits(msg: Message, data: dict[str, Any]) -> dict[str, Any]:
    """5201: the person's visits here that began from ``begntime`` (to ``endtime``), open or settled."""
    node = wire.read(data.get("data"), tables.VISIT_QUERY, node_name="data", node_zh="就诊信息查询")
    person = msg.person(node["psn_no"])
    if node["endtime"] is not None and node["endtime"] < node["begntime"]:
        raise GongjiError("NI_FIELD_INVALID", field="endtime", name_zh="结束时间",
                          value=wire.time_text(node["endtime"]), reason_zh="不能早于开始时间",
                          reason_en="it may not be before the start time")
    query = select(NiVisit).where(NiVisit.institution_id == msg.institution.id, NiVisit.person_id == person.id,
                                  NiVisit.status != "cancelled", NiVisit.begntime >= node["begntime"])
    if node["endtime"] is not None:
        query = query.where(NiVisit.begntime <= node["endtime"])
    if node["med_type"] is not None:
        query = query.where(NiVisit.med_type == node["med_type"])
    if node["mdtrt_id"] is not None:
        if not (node["mdtrt_id"].isdigit() and len(node["mdtrt_id"]) <= 18):
            return {"mdtrtinfo": []}
        query = query.where(NiVisit.id == int(node["mdtrt_id"]))
    base = people_fields(person)
    enrollment = people.enrollment_of(person)
    out = []
    for visit in msg.session.execute(query.order_by(NiVisit.begntime, NiVisit.id)).scalars():
        settled = settled_on(msg, visit)
        row = {
            "mdtrt_id": str(visit.id), **base, "age": age(person.birth_date, visit.begntime.astimezone(CST).date()),
            "insutype": visit.insutype, "insu_optins": enrollment.region_code,
            "begntime": wire.time_text(visit.begntime),
            "endtime": wire.time_text(settled.setl_time) if settled is not None else None,
            "mdtrt_cert_type": visit.mdtrt_cert_type, "med_type": visit.med_type, "ipt_otp_no": visit.ipt_otp_no,
            "atddr_no": visit.atddr_no, "chfpdr_name": visit.dr_name, "adm_dept_codg": visit.dept_code,
            "adm_dept_name": visit.dept_name, "dise_codg": visit.dise_codg, "dise_name": visit.dise_name,
            "opt_time": wire.time_text(visit.created_at),
        }
        out.append({key: value for key, value in row.items() if value is not None})
    return {"mdtrtinfo": out}


def query_diagnoses(msg: Message, data: dict[str, Any]) -> dict[str, Any]:
    """5202: the diagnoses of one of the person's visits here, in their order (``diag_srt_no``)."""
    node = wire.read(data.get("data"), tables.DIAGNOSIS_QUERY, node_name="data", node_zh="诊断信息查询")
    person = msg.person(node["psn_no"])
    visit = msg.visit(node["mdtrt_id"], person, lock=False)
    rows = sorted(visit.diagnoses or [], key=lambda row: (row["diag_type"], row["diag_srt_no"]))
    return {"diseinfo": [{"mdtrt_id": str(visit.id), "psn_no": node["psn_no"], **row} for row in rows]}


def query_accumulation(msg: Message, data: dict[str, Any]) -> dict[str, Any]:
    """5206: the year of ``cum_ym`` (this month when it is left out), as the pooled-fund rule counts it."""
    node = wire.read(data.get("data"), tables.ACCUMULATION_QUERY, node_name="data", node_zh="人员累计信息查询")
    person = msg.person(node["psn_no"])
    cum_ym = node["cum_ym"] or msg.env.today().strftime("%Y%m")
    if not (len(cum_ym) == 6 and cum_ym.isdigit() and 1 <= int(cum_ym[4:]) <= 12):
        raise GongjiError("NI_FIELD_INVALID", field="cum_ym", name_zh="累计年月", value=cum_ym,
                          reason_zh="应为年月 yyyyMM，如 202506", reason_en="it is a year and month, yyyyMM, e.g. 202506")
    year = int(cum_ym[:4])
    insutype = codes.INSUTYPE[people.enrollment_of(person).scheme]
    kept = msg.session.execute(select(NiFundYear).where(NiFundYear.person_id == person.id,
                                                        NiFundYear.year == year)).scalar_one_or_none()
    deductible, fund = (kept.deductible_used_fen, kept.fund_paid_fen) if kept is not None else (0, 0)
    fund_code = "D310101" if insutype == "310" else "D390101"
    return {"cuminfo": [
        {"insutype": insutype, "year": str(year), "cum_ym": cum_ym, "cum_type_code": code, "cum": wire.yuan(value)}
        for code, value in (("Q0000", deductible), (fund_code, fund))]}
