"""NI-5: amounts are yuan with at most two decimals, as a JSON number or as numeric text; on both databases.

An amount that is not such a number is refused naming the field and its Chinese name; totals that do not
agree with their parts (a fee line with its quantity and price, a bill with its uploaded details, 2207's
self-paid parts with the bill and with 2206) are refused. Every refusal changes nothing (``His.refused``).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.national.conftest import fee_line, fen, open_visit, register_input, settle_input, yuan


@pytest.fixture
def patient(api):
    return api.world.person("张三", current_fen=100_000)


@pytest.fixture
def visit(hospital, patient) -> str:
    """A visit whose batch B001 holds 500.00 + 300.00."""
    return open_visit(hospital, patient, ["500.00", "300.00"])


BAD_AMOUNTS = [
    ("12.345", "three decimals, as text"),
    (Decimal("12.345"), "three decimals, as a JSON number"),
    ("-800.00", "negative, as text"),
    (Decimal("-800.00"), "negative, as a JSON number"),
    ("abc", "not a number"),
    ("1e3", "exponent notation"),
    ("800,00", "a decimal comma"),
    (" ", "blank"),
]


def test_ni_5_bad_medfee_is_refused_naming_the_field(api, hospital, patient, visit):
    """NI-5: medfee_sumamt (医疗费总额, 数值型 16,2) that is not yuan with ≤ 2 decimals is refused by name."""
    for infno, (value, what) in ((i, bad) for i in ("2206", "2207") for bad in BAD_AMOUNTS):
        data = settle_input(patient, visit, "800.00", final=infno == "2207")
        data["data"]["medfee_sumamt"] = value
        code = "NI_FIELD_REQUIRED" if what == "blank" else "NI_AMOUNT_INVALID"
        err = hospital.refused(infno, data, code, psn=patient)
        assert "medfee_sumamt" in err and "医疗费总额" in err, (what, err)


def test_ni_5_amount_as_text_or_number_is_the_same(api, hospital, patient, visit):
    """NI-5: "800.00", 800.00, 800 and "800" are the same amount; 2206 answers them alike, 2207 settles it."""
    answers = []
    for value in ("800.00", Decimal("800.00"), Decimal("800"), "800", "800.0"):
        data = settle_input(patient, visit, "800.00", final=False)
        data["data"]["medfee_sumamt"] = value
        out = hospital.ok("2206", data, psn=patient)
        assert out["setlinfo"].pop("medins_setl_id") == hospital.last_msgid  # the request's own msgid
        answers.append(out)
    assert all(a == answers[0] for a in answers)
    assert answers[0]["setlinfo"]["medfee_sumamt"] == yuan(80_000)
    data = settle_input(patient, visit, "800.00")
    data["data"].update({k: format(v, "f") for k, v in data["data"].items() if isinstance(v, Decimal)})
    assert isinstance(data["data"]["inscp_scp_amt"], str)
    info = hospital.ok("2207", data, psn=patient)["setlinfo"]
    assert info["medfee_sumamt"] == yuan(80_000)


def test_ni_5_trailing_zero_decimals_are_not_a_third_decimal(api, hospital, patient, visit):
    """12.340 is 12.34: a third decimal that is zero is not refused."""
    data = settle_input(patient, visit, "800.00", final=False)
    data["data"]["medfee_sumamt"] = Decimal("800.000")
    assert hospital.ok("2206", data, psn=patient)["setlinfo"]["medfee_sumamt"] == yuan(80_000)


def test_ni_5_fee_line_total_is_quantity_times_price(api, hospital, patient):
    """A fee line's det_item_fee_sumamt is cnt × pric to the fen (pric has 6 decimals: 3 × 33.333333 = 100.00)."""
    mdtrt_id = hospital.ok("2201", register_input(patient), psn=patient)["data"]["mdtrt_id"]
    wrong = fee_line(patient, mdtrt_id, "1", "100.00", cnt="3", pric="30.00")
    err = hospital.refused("2204", {"feedetail": [wrong]}, "NI_TOTALS_DISAGREE", psn=patient)
    assert "det_item_fee_sumamt" in err and "明细项目费用总额" in err and "90.00" in err
    rounded = fee_line(patient, mdtrt_id, "1", "100.00", cnt="3", pric="33.333333")
    assert hospital.ok("2204", {"feedetail": [rounded]}, psn=patient)["result"][0]["det_item_fee_sumamt"] == 100


def test_ni_5_fee_line_amounts_are_checked_too(api, hospital, patient):
    mdtrt_id = hospital.ok("2201", register_input(patient), psn=patient)["data"]["mdtrt_id"]
    line = fee_line(patient, mdtrt_id, "1", "10.00")
    line["det_item_fee_sumamt"] = "10.005"
    err = hospital.refused("2204", {"feedetail": [line]}, "NI_AMOUNT_INVALID", psn=patient)
    assert "det_item_fee_sumamt" in err
    line = fee_line(patient, mdtrt_id, "1", "10.00")
    line["pric"] = Decimal("10.0000001")  # 数值型 16,6
    err = hospital.refused("2204", {"feedetail": [line]}, "NI_FIELD_INVALID", psn=patient)
    assert "pric" in err and "单价" in err


def test_ni_5_bill_must_be_the_sum_of_its_details(api, hospital, patient, visit):
    """medfee_sumamt is the sum of the batch's uploaded details (800.00): 799.99 or 800.01 is refused."""
    for infno, medfee in ((i, m) for i in ("2206", "2207") for m in ("799.99", "800.01", "500.00")):
        err = hospital.refused(infno, settle_input(patient, visit, medfee, final=infno == "2207"),
                               "NI_TOTALS_DISAGREE", psn=patient)
        assert "medfee_sumamt" in err and "800.00" in err, err


def test_ni_5_self_paid_parts_must_add_up_to_the_bill(api, hospital, patient, visit):
    """2207: fulamt_ownpay_amt + overlmt_selfpay + preselfpay_amt + inscp_scp_amt = medfee_sumamt."""
    for scope in ({"fulamt_ownpay_amt": "10.00"}, {"inscp_scp_amt": "700.00"}, {"preselfpay_amt": "0.01"}):
        err = hospital.refused("2207", settle_input(patient, visit, "800.00", scope=scope), "NI_TOTALS_DISAGREE",
                               psn=patient)
        assert "inscp_scp_amt" in err, (scope, err)


def test_ni_5_self_paid_parts_must_be_the_pre_settlements(api, hospital, patient, visit):
    """2207's self-paid parts are copied from 2206 (every line in scope): other parts, adding up, are refused."""
    pre = hospital.ok("2206", settle_input(patient, visit, "800.00", final=False), psn=patient)["setlinfo"]
    assert (pre["fulamt_ownpay_amt"], pre["overlmt_selfpay"], pre["preselfpay_amt"]) == (0, 0, 0)
    assert pre["inscp_scp_amt"] == yuan(fen("800.00"))
    for key in ("fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt"):
        err = hospital.refused("2207", settle_input(patient, visit, "800.00",
                                                    scope={key: "10.00", "inscp_scp_amt": "790.00"}),
                               "NI_TOTALS_DISAGREE", psn=patient)
        assert key in err, (key, err)


def test_ni_5_self_paid_parts_are_required_in_2207(api, hospital, patient, visit):
    for key, zh in (("fulamt_ownpay_amt", "全自费金额"), ("overlmt_selfpay", "超限价金额"),
                    ("preselfpay_amt", "先行自付金额"), ("inscp_scp_amt", "符合政策范围金额")):
        data = settle_input(patient, visit, "800.00")
        del data["data"][key]
        err = hospital.refused("2207", data, "NI_FIELD_REQUIRED", psn=patient)
        assert key in err and zh in err
