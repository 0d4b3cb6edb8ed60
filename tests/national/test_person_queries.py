"""5201 就诊信息查询, 5202 诊断信息查询 and 5206 人员累计信息查询, on both databases (NI-3, NI-4).

5201 lists the person's visits at the asking institution only, in the period and of the medical type asked; 5202
the diagnoses the visit's last 2203 sent; 5206
gives the year's deductible met (Q0000) and what the pooled fund paid (D310101), as the pooled-fund rule counts them.
"""

from __future__ import annotations

from decimal import Decimal

from tests.national.conftest import (
    cancel_input,
    fen,
    institution,
    open_visit,
    pooled_fund,
    settle_input,
    unchanged,
    yuan,
)

HARBIN = "230100"


def visits(his, p, **data) -> list[dict]:
    return his.ok("5201", {"data": {"psn_no": str(p.id), "begntime": "2025-06-01 00:00:00", **data}},
                  psn=p)["mdtrtinfo"]


def accumulated(his, p, cum_ym: str | None = None) -> dict[str, Decimal]:
    data = {"psn_no": str(p.id)} if cum_ym is None else {"psn_no": str(p.id), "cum_ym": cum_ym}
    rows = his.ok("5206", {"data": data}, psn=p)["cuminfo"]
    assert {(r["insutype"], r["year"]) for r in rows} == {("310", (cum_ym or "202506")[:4])}
    assert {r["cum_ym"] for r in rows} == {cum_ym or "202506"}
    return {r["cum_type_code"]: r["cum"] for r in rows}


def test_ni_3_5201_lists_the_persons_visits_here_in_the_period(api, hospital, family):
    """The open and the settled visit, with what 2201/2203 recorded; the settled one ends at its settlement."""
    patient, _ = family
    first = open_visit(hospital, patient, ["300.00"])
    setl = hospital.ok("2207", settle_input(patient, first, "300.00"), psn=patient)["setlinfo"]
    second = open_visit(hospital, patient, ["20.00"], ipt_otp_no="MZ0002")
    found = visits(hospital, patient)
    assert [v["mdtrt_id"] for v in found] == [first, second]
    assert found[0]["endtime"] == setl["setl_time"] and "endtime" not in found[1]
    assert found[0]["psn_no"] == str(patient.id) and found[0]["psn_name"] == patient.name
    assert found[0]["ipt_otp_no"] and found[1]["ipt_otp_no"] == "MZ0002"
    assert found[0]["insutype"] == "310" and found[0]["insu_optins"] == HARBIN
    # one visit, by mdtrt_id; a medical type; a period that ends before the visits
    assert [v["mdtrt_id"] for v in visits(hospital, patient, mdtrt_id=second)] == [second]
    assert visits(hospital, patient, med_type="14") == []
    assert visits(hospital, patient, endtime="2025-06-01 23:59:59") == []
    assert visits(hospital, patient, begntime="2025-06-03 00:00:00") == []


def test_ni_3_5201_shows_no_other_institutions_visits_nor_cancelled_ones(api, hospital, family):
    patient, _ = family
    other = institution(api, "H23010100009", "哈尔滨市第二医院")
    theirs = open_visit(other, patient, ["10.00"])
    ours = open_visit(hospital, patient, ["10.00"], ipt_otp_no="MZX")
    hospital.ok("2202", {"data": {"psn_no": str(patient.id), "mdtrt_id": ours, "ipt_otp_no": "MZX"}}, psn=patient)
    assert visits(hospital, patient) == []
    assert [v["mdtrt_id"] for v in visits(other, patient)] == [theirs]


def test_ni_3_5201_refuses_a_period_that_ends_before_it_begins(api, hospital, family):
    patient, _ = family
    err = hospital.refused("5201", {"data": {"psn_no": str(patient.id), "begntime": "2025-06-02 10:00:00",
                                             "endtime": "2025-06-01 10:00:00"}}, "NI_FIELD_INVALID", psn=patient)
    assert "endtime" in err
    hospital.refused("5201", {"data": {"psn_no": str(patient.id)}}, "NI_FIELD_REQUIRED", psn=patient)


def test_ni_4_5206_is_the_years_deductible_and_fund_use(api, hospital, family):
    """Q0000 and D310101 are what the settlements took; a cancellation gives them back; another year is empty."""
    patient, _ = family
    assert accumulated(hospital, patient) == {"Q0000": yuan(0), "D310101": yuan(0)}
    mdtrt_id = open_visit(hospital, patient, ["2000.00"])
    info = hospital.ok("2207", settle_input(patient, mdtrt_id, "2000.00"), psn=patient)["setlinfo"]
    rule = api.world.env.policy(HARBIN).outpatient_pooling("employee")
    deductible, fund = pooled_fund(rule, fen("2000.00"))
    assert fund > 0 and (info["act_pay_dedc"], info["hifp_pay"]) == (yuan(deductible), yuan(fund))
    with unchanged(api.world):
        assert accumulated(hospital, patient) == {"Q0000": yuan(deductible), "D310101": yuan(fund)}
    assert accumulated(hospital, patient, "202501") == {"Q0000": yuan(deductible), "D310101": yuan(fund)}
    assert accumulated(hospital, patient, "202412") == {"Q0000": yuan(0), "D310101": yuan(0)}
    hospital.ok("2208", cancel_input(patient, info["setl_id"], mdtrt_id), psn=patient)
    assert accumulated(hospital, patient) == {"Q0000": yuan(0), "D310101": yuan(0)}


def test_ni_4_5206_refuses_a_month_that_is_not_one(api, hospital, family):
    patient, _ = family
    for bad in ("2025-6", "202513", "20250"):
        err = hospital.refused("5206", {"data": {"psn_no": str(patient.id), "cum_ym": bad}}, "NI_FIELD_INVALID",
                               psn=patient)
        assert "cum_ym" in err


def diagnosis(n: int, code: str, name: str, diag_type: str = "1") -> dict:
    return {"diag_type": diag_type, "diag_srt_no": n, "diag_code": code, "diag_name": name, "diag_dept": "内科",
            "dise_dor_no": "D001", "dise_dor_name": "李医生", "diag_time": "2025-06-02T09:35:00", "vali_flag": "1"}


def test_ni_3_5202_answers_the_diagnoses_of_the_last_2203(api, hospital, family):
    """In their order; a later 2203 replaces them; another person's or institution's visit is not found."""
    patient, father = family
    mdtrt_id = open_visit(hospital, patient, ["10.00"])
    info = {"mdtrt_id": mdtrt_id, "psn_no": str(patient.id), "med_type": "11", "begntime": "2025-06-02 09:30:00"}
    hospital.ok("2203", {"mdtrtinfo": info, "diseinfo": [diagnosis(2, "R05.x00", "咳嗽"),
                                                         diagnosis(1, "J06.900", "急性上呼吸道感染")]}, psn=patient)
    query = {"data": {"mdtrt_id": mdtrt_id, "psn_no": str(patient.id)}}
    rows = hospital.ok("5202", query, psn=patient)["diseinfo"]
    assert [(r["diag_srt_no"], r["diag_code"], r["diag_name"]) for r in rows] == [
        (1, "J06.900", "急性上呼吸道感染"), (2, "R05.x00", "咳嗽")]
    assert rows[0]["diag_time"] == "2025-06-02 09:35:00" and rows[0]["mdtrt_id"] == mdtrt_id
    assert {k for k in rows[0]} >= {"diag_type", "diag_dept", "dise_dor_no", "dise_dor_name", "vali_flag", "psn_no"}
    hospital.ok("2203A", {"mdtrtinfo": info, "diseinfo": [diagnosis(1, "J20.900", "急性支气管炎")]}, psn=patient)
    assert [r["diag_code"] for r in hospital.ok("5202", query, psn=patient)["diseinfo"]] == ["J20.900"]
    hospital.refused("5202", {"data": {"mdtrt_id": mdtrt_id, "psn_no": str(father.id)}}, "NI_VISIT_NOT_FOUND",
                     psn=father)
    other = institution(api, "H23010100009", "哈尔滨市第二医院")
    other.refused("5202", query, "NI_VISIT_NOT_FOUND", psn=patient)
