"""The 52xx queries the two real HIS clients call beyond 5203/5204, as they write them, on both databases (NI-3, NI-4).

openhis (``YiBaoController.cs``: ``GetRegistration_5201``, ``GetPeopleTotalInfo_5206``, ``GetDiagnosis_5202``,
``GetSpecialDisease_5205``) sends every property of its ``Input_52xx`` classes as a string, ``""`` for what the
operator left empty; Zebone (``NationalInsuranceService.java``: ``medicalInformationQuery``, ``qryPersonnelAcc``)
sends camelCase maps, ``begntime``/``endtime`` formatted ``yyyy-MM-dd HH:mm:ss``, nulls dropped. Both run after a
whole visit of their own (test_real_clients.py), so the visit is there to be found; openhis's 5202 gets the
diagnosis its 2203A sent; 5205 is not served (docs/national-interface.md, "The 52xx queries") and is refused naming
what is.
"""

from __future__ import annotations

from decimal import Decimal

from tests.national.his_clients import OpenHis, Zebone
from tests.national.test_real_clients import (
    HARBIN_HOSPITAL,
    ZHONGSHAN,
    ZHONGSHAN_HOSPITAL,
    at,
    client,
    openhis_visit,
    zebone_visit,
)


def test_openhis_5201_and_5206_as_it_sends_them(api):
    his = client(api, OpenHis, HARBIN_HOSPITAL, "哈尔滨市第一医院", "230100")
    p = api.world.person("王建国", current_fen=100_000)
    visit = openhis_visit(his, p)
    psn_no, region = visit["first"]["psn_no"], visit["region"]
    mdtrt_id = visit["first"]["mdtrt_id"]
    found = his.ok("5201", {"data": {"psn_no": psn_no, "begntime": at(his, "00:00"), "endtime": "",
                                     "med_type": "", "mdtrt_id": ""}}, insuplc=region)["mdtrtinfo"]
    assert [v["mdtrt_id"] for v in found] == [mdtrt_id]
    assert found[0]["ipt_otp_no"] == "2506020930001" and found[0]["med_type"] == "11"
    assert found[0]["chfpdr_name"] == "李医生" and found[0]["begntime"] == at(his, "09:30")
    body = his.sent[-1][2]
    assert b'"endtime": ""' in body and b"\r\n" in body  # its habits, as it sent them
    cum = his.ok("5206", {"data": {"psn_no": psn_no, "cum_ym": ""}}, insuplc=region)["cuminfo"]
    # everything the visit settled was cancelled or reversed: nothing counts toward the year
    assert {(c["cum_type_code"], c["cum"], c["cum_ym"]) for c in cum} == {
        ("Q0000", Decimal("0.00"), "202506"), ("D310101", Decimal("0.00"), "202506")}
    # GetDiagnosis_5202: the diagnosis its 2203A sent (Input_2203A's diag_srt_no is an int)
    rows = his.ok("5202", {"data": {"mdtrt_id": mdtrt_id, "psn_no": psn_no}}, insuplc=region)["diseinfo"]
    assert [(r["diag_code"], r["diag_name"], r["diag_srt_no"], r["dise_dor_name"]) for r in rows] == [
        ("J06.900", "急性上呼吸道感染", 1, "李医生")]
    # GetSpecialDisease_5205 is not served, and the refusal says what is
    _, got = his.post("5205", {"data": {"psn_no": psn_no, "begntime": at(his, "00:00"), "endtime": at(his, "23:59")}},
                      insuplc=region)
    assert got["infcode"] == -1 and got["err_msg"].startswith("【NI_UNKNOWN_TRANSACTION】"), got["err_msg"]
    assert "5201" in got["err_msg"] and "5202" in got["err_msg"] and "5206" in got["err_msg"]


def test_zebone_5201_and_5206_as_it_sends_them(api):
    his = client(api, Zebone, ZHONGSHAN_HOSPITAL, "中山市人民医院", ZHONGSHAN)
    p = api.world.person("李秀英", city=ZHONGSHAN, sex="F", current_fen=50_000)
    visit = zebone_visit(his, p)
    psn_no, mdtrt_id = visit["first"]["psn_no"], visit["first"]["mdtrt_id"]
    found = his.ok("5201", {"data": {"psnNo": psn_no, "begntime": at(his, "00:00"), "endtime": at(his, "23:59"),
                                     "medType": "11", "mdtrtId": None}})["mdtrtinfo"]
    assert [(v["mdtrt_id"], v["ipt_otp_no"], v["chfpdr_name"]) for v in found] == [(mdtrt_id, "OP0001", "陈医生")]
    assert b"null" not in his.sent[-1][2] and b'"med_type":"11"' in his.sent[-1][2]
    cum = his.ok("5206", {"data": {"psnNo": psn_no, "cumYm": "202506"}})["cuminfo"]
    assert {c["cum_type_code"] for c in cum} == {"Q0000", "D310101"}
    assert all(c["insutype"] == "310" and c["year"] == "2025" for c in cum)
