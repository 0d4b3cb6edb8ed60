"""NI-3: outpatient registration and fee details (2201, 2202, 2203, 2204, 2205), on both databases.

Each refusal is checked for its code and for having changed nothing (``His.refused``).
"""

from __future__ import annotations

from datetime import date

import pytest

from tests.national.conftest import (
    cancel_input,
    drug_input,
    fee_line,
    fen,
    institution,
    open_visit,
    register_input,
    settle_input,
    upload_fees,
    yuan,
)


@pytest.fixture
def patient(api):
    return api.world.person("张三", current_fen=100_000)


def cancel_registration(p, mdtrt_id: str, ipt_otp_no: str) -> dict:
    return {"data": {"psn_no": str(p.id), "mdtrt_id": mdtrt_id, "ipt_otp_no": ipt_otp_no}}


def cancel_fees(p, mdtrt_id: str, batch: str) -> dict:
    return {"data": {"mdtrt_id": mdtrt_id, "chrg_bchno": batch, "psn_no": str(p.id)}}


def visit_info(p, mdtrt_id: str, med_type: str = "11") -> dict:
    return {"mdtrtinfo": {"mdtrt_id": mdtrt_id, "psn_no": str(p.id), "med_type": med_type,
                          "begntime": "2025-06-02 09:30:00", "main_cond_dscr": "咳嗽三天", "dise_codg": "J06.900",
                          "dise_name": "急性上呼吸道感染"},
            "diseinfo": [{"diag_type": "1", "diag_srt_no": 1, "diag_code": "J06.900", "diag_name": "急性上呼吸道感染",
                          "diag_dept": "内科", "dise_dor_no": "D001", "dise_dor_name": "李医生",
                          "diag_time": "2025-06-02 09:35:00", "vali_flag": "1"}]}


# -- 2201 registration ---------------------------------------------------------------------------


def test_ni_3_registration_returns_a_visit_id(api, hospital, patient):
    """NI-3: 2201 returns mdtrt_id (the insurer's visit id) with psn_no and ipt_otp_no echoed."""
    first = hospital.ok("2201", register_input(patient, ipt_otp_no="MZ0001"), psn=patient)["data"]
    second = hospital.ok("2201", register_input(patient, ipt_otp_no="MZ0002"), psn=patient)["data"]
    assert (first["psn_no"], first["ipt_otp_no"]) == (str(patient.id), "MZ0001")
    assert second["ipt_otp_no"] == "MZ0002"
    for row in (first, second):
        assert row["mdtrt_id"].isdigit() and len(row["mdtrt_id"]) <= 30
    assert first["mdtrt_id"] != second["mdtrt_id"]


def test_ni_3_registration_by_social_security_card(api, hospital):
    """N-4: the patient's own social security card (03) registers him."""
    p = api.world.person("孙七", card_no="A12345678")
    out = hospital.ok("2201", register_input(p, cert_type="03", cert_no="A12345678"), psn=p)
    assert out["data"]["psn_no"] == str(p.id)


def test_ni_3_insutype_must_be_the_persons(api, hospital, patient):
    """NI-3: an employee (310) registered as a resident (390) is refused."""
    err = hospital.refused("2201", register_input(patient, insutype="390"), "NI_INSUTYPE_MISMATCH", psn=patient)
    assert "390" in err and "310" in err
    resident = api.world.person("王秀英", scheme="resident", sex="F")
    hospital.refused("2201", register_input(resident, insutype="310"), "NI_INSUTYPE_MISMATCH", psn=resident)
    assert hospital.ok("2201", register_input(resident, insutype="390"), psn=resident)["data"]["mdtrt_id"]


def test_n_4_another_persons_card_is_refused(api, hospital, patient):
    """N-4: a patient always uses his own card; another person's ID card or social security card is refused."""
    other = api.world.person("李四", card_no="B87654321")
    hospital.refused("2201", register_input(patient, cert_no=other.id_number), "CARD_NOT_PATIENTS", psn=patient)
    hospital.refused("2201", register_input(patient, cert_type="03", cert_no="B87654321"), "CARD_NOT_PATIENTS",
                     psn=patient)


def test_ni_3_outpatient_number_is_unique_while_open(api, hospital, patient):
    """NI-3: ipt_otp_no is the hospital's unique number: taken while its registration is open, free after 2202."""
    mdtrt_id = hospital.ok("2201", register_input(patient, ipt_otp_no="MZ0001"), psn=patient)["data"]["mdtrt_id"]
    other = api.world.person("李四")
    err = hospital.refused("2201", register_input(other, ipt_otp_no="MZ0001"), "NI_OUTPATIENT_NUMBER_TAKEN",
                           psn=other)
    assert "MZ0001" in err and mdtrt_id in err
    assert hospital.ok("2202", cancel_registration(patient, mdtrt_id, "MZ0001"), psn=patient) == {}
    again = hospital.ok("2201", register_input(other, ipt_otp_no="MZ0001"), psn=other)["data"]
    assert again["mdtrt_id"] != mdtrt_id


def test_ni_3_outpatient_number_is_free_again_once_settled(api, hospital, patient):
    """NI-3: a patient's outpatient number (ipt_otp_no) may be used by a later visit once the earlier one is
    settled; the visits stay apart by their mdtrt_id, and the earlier one can still be cancelled and settled."""
    first = open_visit(hospital, patient, ["100.00"], ipt_otp_no="MZ0009")
    hospital.refused("2201", register_input(patient, ipt_otp_no="MZ0009"), "NI_OUTPATIENT_NUMBER_TAKEN",
                     psn=patient)
    info = hospital.ok("2207", settle_input(patient, first, "100.00"), psn=patient)["setlinfo"]
    second = hospital.ok("2201", register_input(patient, ipt_otp_no="MZ0009"), psn=patient)["data"]
    assert second["mdtrt_id"] != first and second["ipt_otp_no"] == "MZ0009"
    hospital.refused("2201", register_input(patient, ipt_otp_no="MZ0009"), "NI_OUTPATIENT_NUMBER_TAKEN",
                     psn=patient)
    upload_fees(hospital, patient, second["mdtrt_id"], ["20.00"])
    hospital.ok("2208", cancel_input(patient, info["setl_id"], first), psn=patient)
    again = hospital.ok("2207", settle_input(patient, first, "100.00"), psn=patient)["setlinfo"]
    assert again["mdtrt_id"] == first and again["medfee_sumamt"] == yuan(10_000)
    later = hospital.ok("2207", settle_input(patient, second["mdtrt_id"], "20.00"), psn=patient)["setlinfo"]
    assert later["mdtrt_id"] == second["mdtrt_id"] and later["medfee_sumamt"] == yuan(2_000)


def test_ni_3_another_hospital_may_use_the_same_outpatient_number(api, hospital, patient):
    second = institution(api, "H23010100002", "哈尔滨市第二医院")
    hospital.ok("2201", register_input(patient, ipt_otp_no="MZ0001"), psn=patient)
    assert second.ok("2201", register_input(patient, ipt_otp_no="MZ0001"), psn=patient)["data"]["mdtrt_id"]


# -- 2202 cancelling a registration --------------------------------------------------------------


def test_ni_3_cancelled_visit_takes_no_more_messages(api, hospital, patient):
    """2202, then 2204, 2203, 2206 or a second 2202 on that visit: NI_VISIT_CANCELLED."""
    mdtrt_id = open_visit(hospital, patient, ["50.00"], ipt_otp_no="MZ0001")
    hospital.ok("2202", cancel_registration(patient, mdtrt_id, "MZ0001"), psn=patient)
    err = hospital.refused("2204", {"feedetail": [fee_line(patient, mdtrt_id, "B001-9", "10.00")]},
                           "NI_VISIT_CANCELLED", psn=patient)
    assert mdtrt_id in err
    hospital.refused("2203", visit_info(patient, mdtrt_id), "NI_VISIT_CANCELLED", psn=patient)
    hospital.refused("2206", settle_input(patient, mdtrt_id, "50.00", final=False), "NI_VISIT_CANCELLED",
                     psn=patient)
    hospital.refused("2202", cancel_registration(patient, mdtrt_id, "MZ0001"), "NI_VISIT_CANCELLED", psn=patient)


def test_ni_3_settled_visit_cannot_be_cancelled(api, hospital, patient):
    """2202 of a settled visit: NI_VISIT_SETTLED (cancel the settlement with 2208 first)."""
    mdtrt_id = open_visit(hospital, patient, ["50.00"], ipt_otp_no="MZ0001")
    setl_id = hospital.ok("2207", settle_input(patient, mdtrt_id, "50.00"), psn=patient)["setlinfo"]["setl_id"]
    err = hospital.refused("2202", cancel_registration(patient, mdtrt_id, "MZ0001"), "NI_VISIT_SETTLED",
                           psn=patient)
    assert setl_id in err


def test_ni_3_cancellation_names_the_visits_own_number(api, hospital, patient):
    mdtrt_id = open_visit(hospital, patient, ["50.00"], ipt_otp_no="MZ0001")
    err = hospital.refused("2202", cancel_registration(patient, mdtrt_id, "MZ0002"), "NI_FIELD_INVALID",
                           psn=patient)
    assert "ipt_otp_no" in err


# -- 2203 visit information ----------------------------------------------------------------------


def test_ni_3_visit_information_is_kept(api, hospital, patient):
    """2203 (and 2203A): the visit's medical type and disease; 5203 reports the disease afterwards."""
    mdtrt_id = open_visit(hospital, patient, ["50.00"])
    assert hospital.ok("2203", visit_info(patient, mdtrt_id), psn=patient) == {}
    assert hospital.ok("2203A", visit_info(patient, mdtrt_id), psn=patient) == {}
    setl_id = hospital.ok("2207", settle_input(patient, mdtrt_id, "50.00"), psn=patient)["setlinfo"]["setl_id"]
    query = {"data": {"psn_no": str(patient.id), "setl_id": setl_id, "mdtrt_id": mdtrt_id}}
    info = hospital.ok("5203", query, psn=patient)["setlinfo"]
    assert (info["dise_codg"], info["dise_name"]) == ("J06.900", "急性上呼吸道感染")


def test_ni_3_inpatient_medical_type_is_refused(api, hospital, patient):
    """Only outpatient business: med_type 21 (普通住院) belongs to the inpatient transactions."""
    mdtrt_id = open_visit(hospital, patient, ["50.00"])
    err = hospital.refused("2203", visit_info(patient, mdtrt_id, med_type="21"), "NI_FIELD_INVALID", psn=patient)
    assert "med_type" in err


# -- 2204 fee details ----------------------------------------------------------------------------


def test_ni_3_fee_upload_answers_each_line(api, hospital, patient):
    """2204 output result[]: per line the amount, quantity, price and the in-scope split (no catalogue)."""
    mdtrt_id = hospital.ok("2201", register_input(patient), psn=patient)["data"]["mdtrt_id"]
    lines = [fee_line(patient, mdtrt_id, "1", "25.00", cnt="2", pric="12.50"),
             fee_line(patient, mdtrt_id, "2", "100.00", cnt="3", pric="33.333333", code="F0000001")]
    result = hospital.ok("2204", {"feedetail": lines}, psn=patient)["result"]
    assert [row["feedetl_sn"] for row in result] == ["1", "2"]
    for row, line in zip(result, lines, strict=True):
        assert row["det_item_fee_sumamt"] == line["det_item_fee_sumamt"]
        assert row["cnt"] == line["cnt"] and row["pric"] == line["pric"]
        assert row["inscp_scp_amt"] == line["det_item_fee_sumamt"]
        assert row["fulamt_ownpay_amt"] == row["overlmt_amt"] == row["preselfpay_amt"] == 0
        assert row["chrgitm_lv"] and row["med_chrgitm_type"] and row["lmt_used_flag"] in ("0", "1")


def test_ni_3_fee_detail_number_is_unique_in_the_visit(api, hospital, patient):
    """feedetl_sn is unique within the visit (单次就诊内唯一): again later, or twice in one message."""
    mdtrt_id = open_visit(hospital, patient, ["10.00"])  # line B001-1
    err = hospital.refused("2204", {"feedetail": [fee_line(patient, mdtrt_id, "B001-1", "20.00")]},
                           "NI_FEE_DETAIL_DUPLICATE", psn=patient)
    assert "B001-1" in err
    twice = [fee_line(patient, mdtrt_id, "X", "1.00"), fee_line(patient, mdtrt_id, "X", "2.00")]
    hospital.refused("2204", {"feedetail": twice}, "NI_FEE_DETAIL_DUPLICATE", psn=patient)
    other_visit = open_visit(hospital, patient, ["10.00"])  # another visit may use B001-1 again
    assert other_visit != mdtrt_id


def test_ni_3_one_upload_is_one_visit(api, hospital, patient):
    first = open_visit(hospital, patient, ["10.00"])
    second = open_visit(hospital, patient, ["10.00"])
    mixed = [fee_line(patient, first, "Y1", "1.00"), fee_line(patient, second, "Y2", "1.00")]
    err = hospital.refused("2204", {"feedetail": mixed}, "NI_FIELD_INVALID", psn=patient)
    assert "mdtrt_id" in err


def test_ni_3_empty_fee_upload_is_refused(api, hospital, patient):
    hospital.ok("2201", register_input(patient), psn=patient)
    for empty in ({"feedetail": []}, {}):
        err = hospital.refused("2204", empty, "NI_FIELD_REQUIRED", psn=patient)
        assert "feedetail" in err


# -- 2205 cancelling fee details -----------------------------------------------------------------


def test_ni_3_cancel_one_batch(api, hospital, patient):
    """2205 with a chrg_bchno drops that batch only; the other batch still settles."""
    mdtrt_id = open_visit(hospital, patient, ["10.00", "20.00"], batch="B001")
    upload_fees(hospital, patient, mdtrt_id, ["40.00"], batch="B002")
    assert hospital.ok("2205", cancel_fees(patient, mdtrt_id, "B001"), psn=patient) == {}
    hospital.refused("2206", settle_input(patient, mdtrt_id, "30.00", final=False), "NI_NO_FEE_DETAILS",
                     psn=patient)
    out = hospital.ok("2206", settle_input(patient, mdtrt_id, "40.00", batch="B002", final=False), psn=patient)
    assert out["setlinfo"]["medfee_sumamt"] == yuan(fen("40.00"))
    hospital.refused("2205", cancel_fees(patient, mdtrt_id, "B001"), "NI_NO_FEE_DETAILS", psn=patient)
    # the batch's numbers are free again
    upload_fees(hospital, patient, mdtrt_id, ["15.00"], batch="B001")


def test_ni_3_cancel_everything_with_0000(api, hospital, patient):
    """2205 with chrg_bchno "0000" drops every unsettled detail of the visit."""
    mdtrt_id = open_visit(hospital, patient, ["10.00"], batch="B001")
    upload_fees(hospital, patient, mdtrt_id, ["40.00"], batch="B002")
    assert hospital.ok("2205", cancel_fees(patient, mdtrt_id, "0000"), psn=patient) == {}
    for batch, amount in (("B001", "10.00"), ("B002", "40.00")):
        hospital.refused("2206", settle_input(patient, mdtrt_id, amount, batch=batch, final=False),
                         "NI_NO_FEE_DETAILS", psn=patient)
    hospital.refused("2205", cancel_fees(patient, mdtrt_id, "0000"), "NI_NO_FEE_DETAILS", psn=patient)


def test_ni_3_settled_details_cannot_be_cancelled(api, hospital, patient):
    mdtrt_id = open_visit(hospital, patient, ["10.00"])
    hospital.ok("2207", settle_input(patient, mdtrt_id, "10.00"), psn=patient)
    hospital.refused("2205", cancel_fees(patient, mdtrt_id, "B001"), "NI_VISIT_SETTLED", psn=patient)


# -- who may send what, and whose visit ----------------------------------------------------------


def test_ni_3_pharmacies_and_hospitals_keep_to_their_transactions(api, hospital, pharmacy, patient):
    """22xx are a hospital's, 21xx a pharmacy's: NI_WRONG_INSTITUTION_KIND otherwise."""
    err = pharmacy.refused("2201", register_input(patient), "NI_WRONG_INSTITUTION_KIND", psn=patient)
    assert "2201" in err and "2101" in err
    err = hospital.refused("2102", drug_input(patient, [("1", "1", "10.00")]), "NI_WRONG_INSTITUTION_KIND",
                           psn=patient)
    assert "2102" in err
    mdtrt_id = open_visit(hospital, patient, ["10.00"])
    pharmacy.refused("2207", settle_input(patient, mdtrt_id, "10.00"), "NI_WRONG_INSTITUTION_KIND", psn=patient)


def test_ni_3_unknown_visit_is_refused(api, hospital, patient):
    open_visit(hospital, patient, ["10.00"])
    for mdtrt_id in ("999999", "abc", "1" * 30):
        hospital.refused("2204", {"feedetail": [fee_line(patient, mdtrt_id, "Z1", "1.00")]}, "NI_VISIT_NOT_FOUND",
                         psn=patient)
        hospital.refused("2206", settle_input(patient, mdtrt_id, "10.00", final=False), "NI_VISIT_NOT_FOUND",
                         psn=patient)


def test_ni_3_someone_elses_visit_is_refused(api, hospital, patient):
    """A visit is one person's at one hospital: another person's psn_no, or another hospital, does not find it."""
    mdtrt_id = open_visit(hospital, patient, ["10.00"])
    other = api.world.person("李四", born=date(1980, 1, 1))
    hospital.refused("2204", {"feedetail": [fee_line(other, mdtrt_id, "Z1", "1.00")]}, "NI_VISIT_NOT_FOUND",
                     psn=other)
    hospital.refused("2206", settle_input(other, mdtrt_id, "10.00", final=False), "NI_VISIT_NOT_FOUND", psn=other)
    second = institution(api, "H23010100002", "哈尔滨市第二医院")
    second.refused("2206", settle_input(patient, mdtrt_id, "10.00", final=False), "NI_VISIT_NOT_FOUND",
                   psn=patient)
    second.refused("2202", cancel_registration(patient, mdtrt_id, "MZ000001"), "NI_VISIT_NOT_FOUND", psn=patient)


def test_ni_3_unknown_person_number_is_refused(api, hospital, patient):
    data = register_input(patient)
    data["data"]["psn_no"] = "987654"
    hospital.refused("2201", data, "NI_PERSON_NOT_FOUND", psn=patient)


def test_ni_3_registration_checks_its_fields(api, hospital, patient):
    """2201's required fields, by the standard's table, are refused by name when missing."""
    for field in ("psn_no", "insutype", "begntime", "mdtrt_cert_type", "mdtrt_cert_no", "ipt_otp_no", "atddr_no",
                  "dr_name", "dept_code", "dept_name", "caty"):
        data = register_input(patient)
        del data["data"][field]
        err = hospital.refused("2201", data, "NI_FIELD_REQUIRED", psn=patient)
        assert f" {field}" in err, (field, err)
    data = register_input(patient)
    data["data"]["begntime"] = "2025-06-02"
    err = hospital.refused("2201", data, "NI_FIELD_INVALID", psn=patient)
    assert "begntime" in err
