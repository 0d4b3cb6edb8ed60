"""NI-2: 1101 person information, on both databases.

The person is found by the card or voucher presented (``mdtrt_cert_type`` 01 e-voucher, 02 ID card, 03 social
security card); the answer's fields are checked against what the test registered: ``baseinfo`` (psn_no,
certno, psn_name, gend, brdy, age) and ``insuinfo[0]`` (balc, insutype, psn_insu_stas, insuplc_admdvs).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from gongji.people.ids import compose_id_number
from tests.conftest import TODAY
from tests.national.conftest import institution, person_query, yuan


def age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


@pytest.mark.parametrize("who", [
    # name, city, scheme, sex, born, current, prior, gend, insutype, region
    ("张三", "harbin", "employee", "M", date(1970, 7, 1), 12_345, 1_000, "1", "310", "230100"),
    ("王秀英", "zhengzhou", "resident", "F", date(1985, 6, 2), 0, 0, "2", "390", "410100"),
])
def test_ni_2_by_id_card(api, hospital, who):
    """NI-2: 1101 by ID card (02): baseinfo and insuinfo from the person's registration and balance."""
    name, city, scheme, sex, born, current, prior, gend, insutype, region = who
    p = api.world.person(name, city=city, scheme=scheme, sex=sex, born=born, current_fen=current, prior_fen=prior)
    got = hospital.send("1101", person_query(p))
    assert got["infcode"] == 0, got["err_msg"]
    base, insured = got["output"]["baseinfo"], got["output"]["insuinfo"]
    assert base["psn_no"] == str(p.id)
    assert base["certno"] == p.id_number and base["psn_cert_type"] == "01"
    assert base["psn_name"] == name
    assert base["gend"] == gend
    assert base["brdy"] == born.isoformat()
    assert base["age"] == Decimal(age_on(born, TODAY))
    assert len(insured) == 1
    assert insured[0]["balc"] == yuan(current + prior)  # the own account, both funds (D-1)
    assert insured[0]["insutype"] == insutype
    assert insured[0]["psn_insu_stas"] == "1"
    assert insured[0]["insuplc_admdvs"] == region
    assert got["output"]["idetinfo"] == []


def test_ni_2_balance_is_written_with_two_decimals(api, hospital):
    """NI-5: balc is 数值型 16,2 on the wire: 100 yuan is written 100.00, 123.40 keeps its zero."""
    for current, written in ((10_000, "100.00"), (12_340, "123.40"), (0, "0.00")):
        p = api.world.person("李四", current_fen=current)
        _, response = hospital.exchange("1101", person_query(p))
        assert f'"balc":{written},' in response.text, response.text


def test_ni_2_suspended_person_is_status_2(api, hospital):
    """NI-2: psn_insu_stas 1 normal, 2 suspended (暂停参保)."""
    p = api.world.person("赵六", status="suspended", current_fen=500)
    insured = hospital.ok("1101", person_query(p))["insuinfo"][0]
    assert insured["psn_insu_stas"] == "2"
    assert insured["balc"] == yuan(500)


def test_ni_2_balance_is_the_persons_own_not_the_payers(api, hospital):
    """NI-2, NI-4: balc is the person's own account; a payer bound to him does not show in it."""
    payer = api.world.person("张建国", current_fen=30_000)
    p = api.world.person("张丽", sex="F", born=date(2000, 1, 1), current_fen=700)
    api.world.bind(payer, p, "child")
    assert hospital.ok("1101", person_query(p))["insuinfo"][0]["balc"] == yuan(700)


def test_ni_2_by_social_security_card_needs_card_sn(api, hospital):
    """NI-2: 03 social security card: mdtrt_cert_no is the card number and card_sn, required, the card's
    identification code on record (the factory's: SN and the card number)."""
    p = api.world.person("孙七", card_no="A12345678", current_fen=2_000)
    api.world.person("周八", card_no="B87654321")
    got = hospital.ok("1101", person_query(cert_type="03", cert_no="A12345678", card_sn="SNA12345678"))
    assert got["baseinfo"]["psn_no"] == str(p.id) and got["baseinfo"]["certno"] == p.id_number
    assert got["insuinfo"][0]["balc"] == yuan(2_000)
    err = hospital.refused("1101", person_query(cert_type="03", cert_no="A12345678"), "NI_FIELD_REQUIRED")
    assert "card_sn" in err and "卡识别码" in err
    hospital.refused("1101", person_query(cert_type="03", cert_no="C00000000", card_sn="SNC00000000"),
                     "NI_PERSON_NOT_MATCHED")


def show_voucher(api, p) -> str:
    """What the person's phone shows: the token from POST /v1/people/{id}/e-voucher, logged in as himself."""
    r = api.client.post(f"/v1/people/{p.id}/e-voucher", headers=api.person(p))
    assert r.status_code == 201, r.text
    return r.json()["mdtrt_cert_no"]


def test_ni_2_by_e_voucher_token(api, hospital):
    """NI-2: 01 e-voucher: the token the person's own phone showed names him; certno is not needed."""
    p = api.world.person("吴九", current_fen=100)
    token = show_voucher(api, p)
    assert len(token) <= 50  # 1101's mdtrt_cert_no
    got = hospital.ok("1101", person_query(cert_type="01", cert_no=token, psn_cert_type="01"))
    assert got["baseinfo"]["psn_no"] == str(p.id) and got["insuinfo"][0]["balc"] == yuan(100)
    assert hospital.ok("1101", person_query(cert_type="01", cert_no=token, certno=p.id_number))


def test_ni_2_an_e_voucher_cannot_be_made_up_altered_or_reused_late(api, hospital):
    """NI-2: an ID number alone, a made-up token, another person's number in a genuine token, an expired token:
    all get the one NI_PERSON_NOT_MATCHED, so vouchers cannot be used to list the population."""
    p = api.world.person("吴九")
    other = api.world.person("周十")
    token = show_voucher(api, p)
    forged = token.replace(f"EV{p.id}-", f"EV{other.id}-")
    for cert_no in (p.id_number, "EV0123456789ABCDEF", forged, token[:-1] + ("0" if token[-1] != "0" else "1")):
        hospital.refused("1101", person_query(cert_type="01", cert_no=cert_no, certno=p.id_number),
                         "NI_PERSON_NOT_MATCHED")
    hospital.refused("1101", person_query(cert_type="01", cert_no=token, certno=other.id_number),
                     "NI_PERSON_NOT_MATCHED")
    api.advance(minutes=11)
    hospital.refused("1101", person_query(cert_type="01", cert_no=token), "NI_PERSON_NOT_MATCHED")


def test_only_the_person_shows_his_e_voucher(api):
    """NI-2: nobody else gets a token that names him (the access table in docs/api.md checks every caller)."""
    p = api.world.person("吴九")
    other = api.world.person("周十")
    r = api.client.post(f"/v1/people/{p.id}/e-voucher", headers=api.person(other))
    assert r.status_code == 403 and p.name not in r.text and p.id_number not in r.text


def test_ni_2_unknown_certificate_type_is_refused(api, hospital):
    p = api.world.person("郑十")
    err = hospital.refused("1101", person_query(p, cert_type="04"), "NI_FIELD_INVALID")
    assert "mdtrt_cert_type" in err and "就诊凭证类型" in err


def test_ni_2_invalid_id_number_is_refused(api, hospital):
    """N-4: an ID number with a wrong check digit is not anyone's."""
    p = api.world.person("钱一")
    last = p.id_number[-1]
    wrong = p.id_number[:-1] + ("1" if last != "1" else "2")
    hospital.refused("1101", person_query(cert_no=wrong), "INVALID_ID_NUMBER")


def test_ni_2_unknown_person_is_refused(api, hospital):
    api.world.person("钱一")
    nobody = compose_id_number("230100", date(1981, 3, 4), 777, "M")
    hospital.refused("1101", person_query(cert_no=nobody), "NI_PERSON_NOT_MATCHED")


def test_ni_2_certno_and_name_must_be_the_card_holders(api, hospital):
    """NI-2, N-4: certno and psn_name, when sent, belong to the person whose card was presented."""
    p = api.world.person("张三")
    other = api.world.person("李四")
    same = hospital.ok("1101", person_query(p, certno=p.id_number, psn_name="张三"))
    assert same["baseinfo"]["psn_no"] == str(p.id)
    hospital.refused("1101", person_query(p, certno=other.id_number), "NI_PERSON_NOT_MATCHED")
    hospital.refused("1101", person_query(p, psn_name="李四"), "NI_PERSON_NOT_MATCHED")


def test_ni_2_a_pharmacy_may_ask_too(api, pharmacy):
    """1101 serves every designated institution, pharmacies included."""
    p = api.world.person("张三", current_fen=900)
    assert pharmacy.ok("1101", person_query(p))["insuinfo"][0]["balc"] == yuan(900)


def test_ni_2_a_person_insured_elsewhere_is_answered_with_his_region(api):
    """NI-2: a Zhengzhou hospital asking about a Harbin enrollee learns insuplc_admdvs 230100."""
    his = institution(api, "H41010100001", "郑州市第一人民医院", city="zhengzhou")
    p = api.world.person("张三", city="harbin")
    assert his.ok("1101", person_query(p))["insuinfo"][0]["insuplc_admdvs"] == "230100"
