"""NI-1: the envelope both ways, on both databases.

The answer carries the standard's response fields (``infcode`` a number, ``inf_refmsgid`` area + time +
serial, the two 17-digit times, ``err_msg``, ``output``). A message whose envelope is wrong, or that comes
from the wrong caller, is refused before its input is read; it is still answered in the envelope, and it
changes nothing.
"""

from __future__ import annotations

import re

import pytest

from gongji.auth.signing import InstitutionAuth
from gongji.clock import CST
from tests.national.conftest import HOSPITAL, PATH, answer, encode, person_query, register_input, unchanged

#: The request's required fields (envelope table, req = Y).
REQUIRED = ("infno", "msgid", "mdtrtarea_admvs", "recer_sys_code", "infver", "opter_type", "opter", "opter_name",
            "inf_time", "fixmedins_code", "fixmedins_name", "input")

#: The response's fields (envelope response table).
RESPONSE_FIELDS = {"infcode", "inf_refmsgid", "refmsg_time", "respond_time", "err_msg", "warn_msg", "cainfo",
                   "signtype", "output"}


@pytest.fixture
def patient(api):
    return api.world.person("张三", current_fen=10_000)


def now_digits(api) -> str:
    """yyyyMMddHHmmss of the test clock, China Standard Time."""
    return f"{api.world.env.now().astimezone(CST):%Y%m%d%H%M%S}"


def check_refusal(api, response, code: str, *, status: int = 200) -> str:
    """A refusal is still the standard's answer: infcode -1, err_msg with the code, output null."""
    assert response.status_code == status, response.text
    got = answer(response)
    assert set(got) == RESPONSE_FIELDS
    assert got["infcode"] == -1 and '"infcode":-1,' in response.text
    assert got["err_msg"].startswith(f"【{code}】"), got["err_msg"]
    assert got["output"] is None
    assert re.fullmatch(r"\d{6}" + now_digits(api) + r"\d{10}", got["inf_refmsgid"]), got["inf_refmsgid"]
    return got["err_msg"]


def refuse(api, his, message, code: str, *, status: int = 200, **post) -> str:
    """Post ``message``, expect the refusal ``code``, and check that no table changed."""
    with unchanged(api.world):
        response = his.post(message, **post)
    return check_refusal(api, response, code, status=status)


# -- the answer ----------------------------------------------------------------------------------


@pytest.mark.parametrize("infno", ["1101", "2201"])
def test_ni_1_answer_has_the_standards_fields(api, hospital, patient, infno):
    """NI-1: infcode number 0, inf_refmsgid area (6) + time (14) + serial (10), 17-digit times, err_msg, output."""
    data = person_query(patient) if infno == "1101" else register_input(patient, ipt_otp_no="MZ1")
    _, response = hospital.exchange(infno, data, psn=patient)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    got = answer(response)
    assert set(got) == RESPONSE_FIELDS
    assert got["infcode"] == 0 and type(got["infcode"]) is int and '"infcode":0,' in response.text
    stamp = now_digits(api)
    assert len(got["inf_refmsgid"]) == 30
    assert got["inf_refmsgid"][:6] == "230100"  # the hospital's area
    assert got["inf_refmsgid"][6:20] == stamp
    assert got["inf_refmsgid"][20:].isdigit()
    for key in ("refmsg_time", "respond_time"):
        assert isinstance(got[key], str) and len(got[key]) == 17 and got[key].isdigit(), got[key]
        assert got[key][:14] == stamp
    assert got["err_msg"] == ""
    assert (got["warn_msg"], got["cainfo"], got["signtype"]) == (None, None, None)
    assert isinstance(got["output"], dict)
    assert ("baseinfo" if infno == "1101" else "data") in got["output"]


def test_ni_1_every_answer_gets_its_own_reference(api, hospital, patient):
    """NI-1: inf_refmsgid is the receiver's id of each message, so two messages get two."""
    first = hospital.send("1101", person_query(patient))["inf_refmsgid"]
    second = hospital.send("1101", person_query(patient))["inf_refmsgid"]
    assert first != second


# -- required fields and formats -----------------------------------------------------------------


@pytest.mark.parametrize("how", ["absent", "empty"])
def test_ni_1_missing_required_field_is_refused(api, hospital, patient, how):
    """NI-1: each required field of the envelope, absent or empty, is refused by name; nothing is done."""
    for field in REQUIRED:
        message = hospital.envelope("2201", register_input(patient), psn=patient)
        if how == "absent":
            del message[field]
        else:
            message[field] = ""
        err = refuse(api, hospital, message, "NI_FIELD_REQUIRED")
        assert f" {field}" in err, (field, err)


def test_ni_1_the_complete_message_is_accepted(api, hospital, patient):
    """The control for the refusals above: the same message with every field is done."""
    message = hospital.envelope("2201", register_input(patient), psn=patient)
    got = answer(hospital.post(message))
    assert got["infcode"] == 0, got["err_msg"]
    assert got["output"]["data"]["psn_no"] == str(patient.id)


def test_ni_1_inf_time_must_be_a_date_time(api, hospital, patient):
    """NI-1: inf_time is 日期时间型 yyyy-MM-dd HH:mm:ss (or yyyy-MM-ddTHH:mm:ss); other forms are refused."""
    for inf_time in ("2025/06/02 10:00:00", "20250602100000", "2025-06-02T10:00", "2025-06-31 10:00:00",
                     "2025-06-02", "2025-06-02 10:00", "2025-06-02T10:00:00+0800"):
        message = hospital.envelope("2201", register_input(patient), psn=patient, inf_time=inf_time)
        err = refuse(api, hospital, message, "NI_FIELD_INVALID")
        assert "inf_time" in err and "交易时间" in err, inf_time


def test_ni_1_unknown_transaction_is_refused(api, hospital, patient):
    for infno in ("9999", "2304", "22O7"):
        err = refuse(api, hospital, hospital.envelope(infno, register_input(patient), psn=patient),
                     "NI_UNKNOWN_TRANSACTION")
        assert infno in err


def test_ni_1_institution_code_must_be_the_signers(api, hospital, patient):
    """NI-1: fixmedins_code names the institution that signed; another registered code is refused."""
    other = api.world.institution("H23010100002", name="哈尔滨市第二医院")
    message = hospital.envelope("2201", register_input(patient), psn=patient, fixmedins_code=other,
                                fixmedins_name="哈尔滨市第二医院")
    err = refuse(api, hospital, message, "NI_INSTITUTION_MISMATCH")
    assert other in err and HOSPITAL in err


def test_ni_1_msgid_begins_with_the_institutions_code(api, hospital, patient):
    """NI-1: msgid = institution code (12) + yyyyMMddHHmmss + sequence."""
    message = hospital.envelope("2201", register_input(patient), psn=patient,
                                msgid="H23010100002" + now_digits(api) + "0001")
    err = refuse(api, hospital, message, "NI_FIELD_INVALID")
    assert "msgid" in err


# -- the caller ----------------------------------------------------------------------------------


def test_ni_1_unsigned_request_is_401_in_the_envelope(api, hospital, patient):
    message = hospital.envelope("2201", register_input(patient), psn=patient)
    with unchanged(api.world):
        response = api.client.post(PATH, content=encode(message).encode(),
                                   headers={"Content-Type": "application/json"})
    check_refusal(api, response, "AUTH_REQUIRED", status=401)


def test_ni_1_wrong_signature_is_401_in_the_envelope(api, hospital, patient):
    forged = InstitutionAuth(HOSPITAL, "not-the-secret", clock=lambda: api.world.env.now().timestamp())
    message = hospital.envelope("2201", register_input(patient), psn=patient)
    with unchanged(api.world):
        response = hospital.post(message, auth=forged)
    check_refusal(api, response, "SIGNATURE_INVALID", status=401)


def test_ni_1_a_persons_login_may_not_use_the_interface(api, hospital, patient):
    """NI-1: only designated institutions talk to the national interface; a person's token is 403."""
    headers = {"Content-Type": "application/json", **api.person(patient)}
    message = hospital.envelope("2201", register_input(patient), psn=patient)
    with unchanged(api.world):
        response = api.client.post(PATH, content=encode(message).encode(), headers=headers)
    check_refusal(api, response, "FORBIDDEN", status=403)


def test_ni_1_body_that_is_not_a_json_object_is_refused(api, hospital):
    for body in (b"not json", b'{"infno": "1101",', b"[]", b'["1101"]', b'"1101"', b"\xff\xfe"):
        err = refuse(api, hospital, body, "NI_MESSAGE_UNREADABLE")
        assert "JSON" in err or "UTF-8" in err, body


def test_ni_1_input_must_be_an_object(api, hospital, patient):
    for value in ([], "text", 12):
        message = hospital.envelope("2201", value, psn=patient)
        err = refuse(api, hospital, message, "NI_FIELD_INVALID")
        assert "input" in err and "交易输入" in err, value


# -- areas -----------------------------------------------------------------------------------------


def test_ni_1_wrong_insured_region_is_refused(api, hospital, patient):
    """NI-1: insuplc_admdvs must be the person's insured region (1101 insuinfo.insuplc_admdvs)."""
    for area in ("230200", "410100"):
        message = hospital.envelope("2201", register_input(patient), psn=patient, insuplc_admdvs=area)
        err = refuse(api, hospital, message, "NI_WRONG_INSURED_REGION")
        assert area in err and patient.region_code in err


def test_ni_1_insured_region_is_required_with_a_person_number(api, hospital, patient):
    """NI-1: insuplc_admdvs is conditional: required when the input carries psn_no."""
    message = hospital.envelope("2201", register_input(patient), insuplc_admdvs="")
    err = refuse(api, hospital, message, "NI_FIELD_REQUIRED")
    assert "insuplc_admdvs" in err and "参保地医保区划" in err


def test_ni_1_insured_region_is_not_needed_without_a_person_number(api, hospital, patient):
    """1101 carries no psn_no: it is sent before the HIS knows the insured region."""
    got = hospital.send("1101", person_query(patient), insuplc_admdvs="")
    assert got["infcode"] == 0, got["err_msg"]


def test_ni_1_treatment_area_is_the_institutions_city(api, hospital, patient):
    """NI-1: mdtrtarea_admvs is the area of treatment, the institution's own city (another city is refused)."""
    for area in ("230200", "410100", "2301", "23010A"):
        message = hospital.envelope("2201", register_input(patient), psn=patient, mdtrtarea_admvs=area)
        err = refuse(api, hospital, message, "NI_FIELD_INVALID")
        assert "mdtrtarea_admvs" in err and "就医地医保区划" in err, area


# -- language ------------------------------------------------------------------------------------


def test_ni_1_english_err_msg_on_request(api, hospital, patient):
    message = hospital.envelope("2201", register_input(patient), psn=patient, infver="")
    err = refuse(api, hospital, message, "NI_FIELD_REQUIRED", headers={"Accept-Language": "en"})
    assert err.startswith("【NI_FIELD_REQUIRED】The required field infver")
    chinese = refuse(api, hospital, hospital.envelope("2201", register_input(patient), psn=patient, infver=""),
                     "NI_FIELD_REQUIRED")
    assert chinese.startswith("【NI_FIELD_REQUIRED】缺少必填字段 infver")
