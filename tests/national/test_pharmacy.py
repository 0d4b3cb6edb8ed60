"""NI-3, NI-5: pharmacy purchases 2101 (pre-settlement), 2102 (settlement) and 2103 (cancellation), on both
databases.

The drug lines travel with the settlement (``drugdetail[]`` next to the header ``druginfo``, also accepted as
``data``); the answer splits each line (``detlcutinfo[]``) and returns the visit's ``mdtrt_id``. The pooled
fund pays nothing at a pharmacy (med_type 41): the whole bill is the person's, paid by her own account, then
her payer, then cash (N-10). 2103 answers in its own names (``psn_pay``, ``cash_payamt``) and gives the money
back (HN-5).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from tests.national.conftest import answer, cancel_input, drug_input, unchanged, yuan

#: (feedetl_sn, cnt, pric): 2 × 12.50 + 3 × 8.30 + 1 × 100.00 = 149.90 yuan.
LINES = [("1", "2", "12.50"), ("2", "3", "8.30"), ("3", "1", "100.00")]
TOTAL = 14_990
OWN, FATHER = 6_000, 5_000

#: detlcutinfo[] by the field reference: the 2204 result[] without lmt_used_flag.
CUT_FIELDS = {"feedetl_sn", "det_item_fee_sumamt", "cnt", "pric", "pric_uplmt_amt", "selfpay_prop",
              "fulamt_ownpay_amt", "overlmt_amt", "preselfpay_amt", "inscp_scp_amt", "chrgitm_lv",
              "med_chrgitm_type", "bas_medn_flag", "hi_nego_drug_flag", "chld_medc_flag", "list_sp_item_flag",
              "drt_reim_flag", "memo"}


@pytest.fixture
def family(api):
    """A Harbin patient with 60.00 of her own and her father bound to her with 50.00."""
    world = api.world
    father = world.person("张建国", born=date(1960, 1, 1), current_fen=FATHER)
    patient = world.person("张丽", sex="F", born=date(1990, 2, 2), current_fen=OWN)
    world.bind(father, patient, "child")
    return patient, father


def split(total: int) -> tuple[int, int, int]:
    """N-10: (own account, father, cash) of a purchase the fund has no share in."""
    own = min(OWN, total)
    father = min(FATHER, total - own)
    return own, father, total - own - father


def line_total(cnt: str, pric: str) -> int:
    return int(Decimal(cnt) * Decimal(pric) * 100)


def check_cut(cut: list[dict], lines=LINES) -> None:
    """detlcutinfo: one row per drug line, the line's amount all in scope."""
    assert [row["feedetl_sn"] for row in cut] == [sn for sn, _, _ in lines]
    for row, (_, cnt, pric) in zip(cut, lines, strict=True):
        assert set(row) == CUT_FIELDS  # the 2204 result[] without lmt_used_flag
        assert row["det_item_fee_sumamt"] == yuan(line_total(cnt, pric))
        assert row["cnt"] == Decimal(cnt) and row["pric"] == Decimal(pric)
        assert row["inscp_scp_amt"] == row["det_item_fee_sumamt"]
        assert row["fulamt_ownpay_amt"] == row["overlmt_amt"] == row["preselfpay_amt"] == 0


def test_ni_3_pharmacy_pre_settlement(api, pharmacy, family):
    """2101: what 2102 would do, per line; no setl_id, no hosp_part_amt, no fund; nothing changes."""
    patient, father = family
    assert sum(line_total(c, p) for _, c, p in LINES) == TOTAL
    with unchanged(api.world):
        out = pharmacy.ok("2101", drug_input(patient, LINES), psn=patient)
    info = out["setlinfo"]
    assert "setl_id" not in info and "hosp_part_amt" not in info
    assert info["medfee_sumamt"] == yuan(TOTAL) and info["inscp_scp_amt"] == yuan(TOTAL)
    assert info["hifp_pay"] == info["fund_pay_sumamt"] == info["act_pay_dedc"] == 0
    own, father_pays, cash = split(TOTAL)
    assert cash > 0  # the accounts do not cover it all
    assert info["psn_part_amt"] == yuan(TOTAL)
    assert info["acct_pay"] == yuan(own + father_pays) and info["acct_mulaid_pay"] == yuan(father_pays)
    assert info["psn_cash_pay"] == yuan(cash) and info["balc"] == yuan(OWN - own)
    assert (info["med_type"], info["clr_type"], info["psn_no"]) == ("41", "41", str(patient.id))
    assert out["setldetail"] == []
    check_cut(out["detlcutinfo"])


@pytest.mark.parametrize("node", ["druginfo", "data"])
def test_ni_3_pharmacy_settlement(api, pharmacy, family, node):
    """2102: a purchase in one message; mdtrt_id and setl_id come back; own account, then the payer (N-10)."""
    patient, father = family
    _, response = pharmacy.exchange("2102", drug_input(patient, LINES, node=node), psn=patient)
    got = json_ok(response)
    info = got["setlinfo"]
    assert info["mdtrt_id"].isdigit() and info["setl_id"].isdigit()
    assert "hosp_part_amt" not in info
    assert info["medfee_sumamt"] == yuan(TOTAL) and info["fund_pay_sumamt"] == 0 and info["hifp_pay"] == 0
    own, father_pays, cash = split(TOTAL)
    assert info["acct_pay"] == yuan(own + father_pays) and info["acct_mulaid_pay"] == yuan(father_pays)
    assert info["psn_cash_pay"] == yuan(cash) and info["balc"] == yuan(OWN - own)
    assert info["medins_setl_id"] == pharmacy.last_msgid
    assert info["medfee_sumamt"] == info["fund_pay_sumamt"] + info["psn_part_amt"]
    assert info["psn_part_amt"] == info["acct_pay"] + info["psn_cash_pay"]
    assert got["setldetail"] == []
    check_cut(got["detlcutinfo"])
    assert '"medfee_sumamt":149.90' in response.text and '"fund_pay_sumamt":0.00' in response.text
    assert api.world.total(patient) == OWN - own and api.world.total(father) == FATHER - father_pays


def json_ok(response) -> dict:
    got = answer(response)
    assert got["infcode"] == 0, got["err_msg"]
    return got["output"]


def test_ni_3_pharmacy_own_account_alone_when_it_suffices(api, pharmacy, family):
    """N-10: the payer pays only what the patient's own account cannot."""
    patient, father = family
    lines = [("1", "4", "12.50")]  # 50.00
    info = pharmacy.ok("2102", drug_input(patient, lines), psn=patient)["setlinfo"]
    assert info["acct_pay"] == yuan(5_000) and info["acct_mulaid_pay"] == 0 and info["psn_cash_pay"] == 0
    assert info["balc"] == yuan(OWN - 5_000)
    assert api.world.total(patient) == OWN - 5_000 and api.world.total(father) == FATHER


def test_ni_3_pharmacy_without_the_accounts(api, pharmacy, family):
    """acct_used_flag 0: all cash, no account touched."""
    patient, father = family
    info = pharmacy.ok("2102", drug_input(patient, LINES, acct_used_flag="0"), psn=patient)["setlinfo"]
    assert info["acct_pay"] == 0 and info["psn_cash_pay"] == yuan(TOTAL) and info["balc"] == yuan(OWN)
    assert api.world.total(patient) == OWN and api.world.total(father) == FATHER


def test_ni_3_pharmacy_purchase_is_medical_type_41(api, pharmacy, family):
    patient, _ = family
    for med_type in ("11", "14", "21"):
        data = drug_input(patient, LINES)
        data["druginfo"]["med_type"] = med_type
        err = pharmacy.refused("2102", data, "NI_FIELD_INVALID", psn=patient)
        assert "med_type" in err and "41" in err


def test_ni_5_pharmacy_bill_must_be_the_sum_of_its_lines(api, pharmacy, family):
    patient, _ = family
    for infno in ("2101", "2102"):
        err = pharmacy.refused(infno, drug_input(patient, LINES, medfee="150.00"), "NI_TOTALS_DISAGREE",
                               psn=patient)
        assert "medfee_sumamt" in err and "149.90" in err
    wrong_line = drug_input(patient, LINES)
    wrong_line["drugdetail"][0]["det_item_fee_sumamt"] = Decimal("26.00")
    wrong_line["druginfo"]["medfee_sumamt"] = Decimal("150.90")
    err = pharmacy.refused("2102", wrong_line, "NI_TOTALS_DISAGREE", psn=patient)
    assert "det_item_fee_sumamt" in err


def test_ni_3_pharmacy_purchase_needs_its_lines(api, pharmacy, family):
    patient, _ = family
    data = drug_input(patient, LINES)
    data["drugdetail"] = []
    assert "drugdetail" in pharmacy.refused("2102", data, "NI_FIELD_REQUIRED", psn=patient)
    data = drug_input(patient, [("1", "1", "1.00"), ("1", "1", "2.00")])
    pharmacy.refused("2102", data, "NI_FEE_DETAIL_DUPLICATE", psn=patient)


def test_n_4_pharmacy_takes_the_patients_own_card(api, pharmacy, family):
    patient, father = family
    data = drug_input(patient, LINES)
    data["druginfo"]["mdtrt_cert_no"] = father.id_number
    pharmacy.refused("2102", data, "CARD_NOT_PATIENTS", psn=patient)


def test_ni_5_pharmacy_cancellation_gives_the_money_back(api, pharmacy, family):
    """2103 (NI-5, HN-5): psn_pay / cash_payamt, the amounts negated, every account paid back; once only."""
    patient, father = family
    lines = [("1", "2", "100.00")]
    own, father_pays, cash = split(20_000)
    info = pharmacy.ok("2102", drug_input(patient, lines), psn=patient)["setlinfo"]
    _, response = pharmacy.exchange("2103", cancel_input(patient, info["setl_id"], info["mdtrt_id"]), psn=patient)
    back = json_ok(response)["setlinfo"]
    assert {"psn_pay", "cash_payamt"} <= set(back)
    assert not {"psn_part_amt", "psn_cash_pay", "hosp_part_amt"} & set(back)
    assert back["setl_id"] != info["setl_id"] and back["mdtrt_id"] == info["mdtrt_id"]
    assert back["medfee_sumamt"] == -yuan(20_000) and back["psn_pay"] == -yuan(20_000)
    assert back["acct_pay"] == -yuan(own + father_pays) and back["acct_mulaid_pay"] == -yuan(father_pays)
    assert back["cash_payamt"] == -yuan(cash) and back["fund_pay_sumamt"] == 0
    assert back["balc"] == yuan(OWN) and back["medins_setl_id"] == pharmacy.last_msgid
    assert f'"cash_payamt":{-yuan(cash):.2f}' in response.text
    assert api.world.total(patient) == OWN and api.world.total(father) == FATHER
    pharmacy.refused("2103", cancel_input(patient, info["setl_id"], info["mdtrt_id"]), "NI_SETTLEMENT_CANCELLED",
                     psn=patient)


def test_ni_5_pharmacy_cancellation_of_an_unknown_settlement(api, pharmacy, family):
    patient, _ = family
    info = pharmacy.ok("2102", drug_input(patient, LINES), psn=patient)["setlinfo"]
    pharmacy.refused("2103", cancel_input(patient, "999999", info["mdtrt_id"]), "NI_SETTLEMENT_NOT_FOUND",
                     psn=patient)
    pharmacy.refused("2103", cancel_input(patient, info["setl_id"], "999999"), "NI_SETTLEMENT_NOT_FOUND",
                     psn=patient)
