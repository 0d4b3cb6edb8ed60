"""The whole outpatient visit over the national interface, Henan style, on both databases.

1101 → 2201 → 2204 → 2206 → 2207 → 5203 → 2208 at a Zhengzhou hospital, for an employee whose own account
holds some money and to whom two relatives are bound (NI-2, NI-3, NI-4, NI-5, N-10, HN-4, HN-5).

Every expected figure is computed here from the bill, the balances and Henan's pooled-fund settings, as the
field reference and the rules state them:

* the pooled fund pays the part of the bill above the unmet yearly deductible at the region's ratio,
  floored to the fen and within the annual cap (``hifp_pay`` = ``fund_pay_sumamt``);
* the rest is the person's part (``psn_part_amt``): her own account pays first (N-10), then the payers by
  larger balance (HN-4), then cash; ``acct_pay`` includes the payers' part ``acct_mulaid_pay`` (NI-4);
* ``balc`` is her own balance after; a cancellation gives every account its money back (HN-5).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from gongji.authorizations import service as authorizations
from tests.factories import Person
from tests.national.conftest import (
    ZHENGZHOU_HOSPITAL,
    answer,
    bind_in_family,
    cancel_input,
    fee_line,
    fen,
    henan_family,
    person_query,
    pooled_fund,
    query_input,
    register_input,
    settle_input,
    unchanged,
    yuan,
)

ZHENGZHOU = "410100"

#: The bill: (feedetl_sn, cnt, pric, det_item_fee_sumamt): 2 × 300.25 + 1 × 434.01 + 4 × 50.00 = 1234.51 yuan.
BILL = [("F1", "2", "300.25", "600.50"), ("F2", "1", "434.01", "434.01"), ("F3", "4", "50.00", "200.00")]

#: setlinfo's amount fields (数值型 16,2); pool_prop_selfpay is a ratio (5,4).
AMOUNTS = ("medfee_sumamt", "fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt",
           "act_pay_dedc", "hifp_pay", "cvlserv_pay", "hifes_pay", "hifmi_pay", "hifob_pay", "maf_pay", "oth_pay",
           "fund_pay_sumamt", "psn_part_amt", "acct_pay", "psn_cash_pay", "hosp_part_amt", "balc",
           "acct_mulaid_pay")


@dataclass
class Household:
    """刘红 (the patient), her husband 王建军 (bound first, the smaller balance) and their son 王小明."""

    patient: Person
    husband: Person
    son: Person
    husband_binding: int
    own_fen: int
    husband_fen: int
    son_fen: int


@pytest.fixture
def household(api) -> Household:
    world = api.world
    husband = world.person("王建军", city="zhengzhou", born=date(1972, 3, 3), current_fen=20_000)
    patient = world.person("刘红", city="zhengzhou", sex="F", born=date(1975, 5, 1), current_fen=3_000,
                           prior_fen=2_000)
    son = world.person("王小明", city="zhengzhou", born=date(1998, 8, 8), current_fen=30_000)
    henan_family(world, husband, (patient, "spouse"), (son, "child"))
    husband_binding = bind_in_family(world, husband, patient, "spouse")
    bind_in_family(world, son, patient, "parent")
    return Household(patient, husband, son, husband_binding, own_fen=5_000, husband_fen=20_000, son_fen=30_000)


def henan_rule(api):
    """Henan's outpatient pooling for employees (deductible, ratio ‰, annual cap), from the region's settings."""
    return api.world.env.policy(ZHENGZHOU).outpatient_pooling("employee")


@dataclass
class Expected:
    medfee: int
    deductible: int
    fund: int
    person: int
    own: int
    by_payer: dict[int, int]
    cash: int

    @property
    def mutual(self) -> int:
        return sum(self.by_payer.values())

    @property
    def account(self) -> int:
        return self.own + self.mutual


def expected_split(rule, medfee: int, own_balance: int, payers: list[tuple[Person, int]], *,
                   deductible_met: int = 0, fund_paid: int = 0, use_accounts: bool = True) -> Expected:
    """NI-4, N-10, HN-4: fund, then own account, then payers by larger balance, then cash."""
    deductible, fund = pooled_fund(rule, medfee, deductible_met_fen=deductible_met, fund_paid_fen=fund_paid)
    person = medfee - fund
    own = min(own_balance, person) if use_accounts else 0
    left = person - own
    by_payer = {}
    for payer, balance in sorted(payers, key=lambda pb: -pb[1]) if use_accounts else []:
        by_payer[payer.id] = min(balance, left)
        left -= by_payer[payer.id]
    return Expected(medfee, deductible, fund, person, own, by_payer, left)


def bill_lines(p: Person, mdtrt_id: str, bill=BILL, batch: str = "B001") -> list[dict[str, Any]]:
    return [fee_line(p, mdtrt_id, sn, amount, cnt=cnt, pric=pric, batch=batch) for sn, cnt, pric, amount in bill]


def bill_total(bill=BILL) -> int:
    total = sum(fen(amount) for _, _, _, amount in bill)
    assert all(Decimal(cnt) * Decimal(pric) == Decimal(amount) for _, cnt, pric, amount in bill)
    return total


def two_decimals_on_the_wire(text: str, keys=AMOUNTS) -> None:
    """NI-5: every amount is a JSON number written with exactly two decimals."""
    for key in keys:
        written = re.findall(rf'"{key}":([^,}}\]]*)', text)
        assert written, key
        for value in written:
            assert re.fullmatch(r"-?\d+\.\d{2}", value), (key, value)


def check_settlement(info: dict[str, Any], exp: Expected, rule, p: Person, mdtrt_id: str, *, own_before: int,
                     msgid: str, born: date, gend: str) -> None:
    """2207 setlinfo, field by field (NI-4)."""
    assert info["mdtrt_id"] == mdtrt_id
    assert info["medfee_sumamt"] == yuan(exp.medfee)
    assert info["fulamt_ownpay_amt"] == 0 and info["overlmt_selfpay"] == 0 and info["preselfpay_amt"] == 0
    assert info["inscp_scp_amt"] == yuan(exp.medfee)  # no catalogue: every line in scope
    assert info["act_pay_dedc"] == yuan(exp.deductible)
    assert info["hifp_pay"] == yuan(exp.fund)
    assert info["pool_prop_selfpay"] == Decimal(rule.ratio_permille) / 1000
    for other_fund in ("cvlserv_pay", "hifes_pay", "hifmi_pay", "hifob_pay", "maf_pay", "oth_pay"):
        assert info[other_fund] == 0, other_fund
    assert info["fund_pay_sumamt"] == yuan(exp.fund)
    assert info["psn_part_amt"] == yuan(exp.person)
    assert info["acct_pay"] == yuan(exp.account)  # own + mutual aid (NI-4)
    assert info["acct_mulaid_pay"] == yuan(exp.mutual)
    assert info["psn_cash_pay"] == yuan(exp.cash)
    assert info["hosp_part_amt"] == 0
    assert info["balc"] == yuan(own_before - exp.own)
    assert info["setl_time"] == "2025-06-02 10:00:00"
    assert info["medins_setl_id"] == msgid  # 存放发送方报文ID
    assert (info["psn_no"], info["psn_name"], info["certno"], info["psn_cert_type"]) == (
        str(p.id), p.name, p.id_number, "01")
    assert (info["gend"], info["brdy"]) == (gend, born.isoformat())
    assert (info["insutype"], info["med_type"], info["mdtrt_cert_type"]) == ("310", "11", "02")
    assert (info["clr_type"], info["clr_optins"]) == ("11", ZHENGZHOU)
    # the standard's identities (NI-4)
    assert info["medfee_sumamt"] == info["fund_pay_sumamt"] + info["psn_part_amt"] + info["hosp_part_amt"]
    assert info["psn_part_amt"] == info["acct_pay"] + info["psn_cash_pay"]
    assert info["acct_mulaid_pay"] <= info["acct_pay"]


def test_ni_4_whole_visit_in_zhengzhou(api, zz_hospital, household):
    """NI-2..NI-4, N-10, HN-4: 1101 → 2201 → 2204 → 2206 → 2207 → 5203, every field computed here."""
    his, h, rule = zz_hospital, household, henan_rule(api)
    p = h.patient
    medfee = bill_total()
    exp = expected_split(rule, medfee, h.own_fen, [(h.husband, h.husband_fen), (h.son, h.son_fen)])
    assert exp.cash > 0 and exp.mutual == h.husband_fen + h.son_fen  # large enough: cash pays the rest

    # 1101: who she is, her own balance and her insured region
    person = his.ok("1101", person_query(p))
    psn_no, insured = person["baseinfo"]["psn_no"], person["insuinfo"][0]
    assert psn_no == str(p.id)
    assert (insured["balc"], insured["insutype"], insured["insuplc_admdvs"]) == (
        yuan(h.own_fen), "310", ZHENGZHOU)

    # 2201, 2204
    mdtrt_id = his.ok("2201", register_input(p, ipt_otp_no="MZ20250602001"), psn=p)["data"]["mdtrt_id"]
    result = his.ok("2204", {"feedetail": bill_lines(p, mdtrt_id)}, psn=p)["result"]
    assert [(r["feedetl_sn"], r["det_item_fee_sumamt"]) for r in result] == [
        (sn, Decimal(amount)) for sn, _, _, amount in BILL]

    # 2206: what 2207 will do, changing nothing
    with unchanged(api.world):
        pre = his.ok("2206", settle_input(p, mdtrt_id, "1234.51", final=False), psn=p)
    assert "setl_id" not in pre["setlinfo"]
    check_settlement(pre["setlinfo"], exp, rule, p, mdtrt_id, own_before=h.own_fen, msgid=his.last_msgid,
                     born=date(1975, 5, 1), gend="2")

    # 2207 with the self-paid parts copied from 2206, as HIS clients do
    scope = {k: pre["setlinfo"][k] for k in ("fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt",
                                              "inscp_scp_amt")}
    message, response = his.exchange("2207", settle_input(p, mdtrt_id, "1234.51", scope=scope), psn=p)
    got = answer(response)
    assert got["infcode"] == 0, got["err_msg"]
    info = got["output"]["setlinfo"]
    check_settlement(info, exp, rule, p, mdtrt_id, own_before=h.own_fen, msgid=message["msgid"],
                     born=date(1975, 5, 1), gend="2")
    assert info["setl_id"].isdigit()
    assert {k: v for k, v in pre["setlinfo"].items() if k != "medins_setl_id"} == {
        k: v for k, v in info.items() if k not in ("setl_id", "medins_setl_id")}
    [fund_line] = got["output"]["setldetail"]
    assert fund_line["inscp_scp_amt"] == yuan(medfee) and fund_line["fund_payamt"] == yuan(exp.fund)
    assert fund_line["crt_payb_lmt_amt"] == yuan(rule.annual_cap_fen)  # nothing paid by the fund this year yet

    # money: her own account first (current-year, then prior-years), then the son (larger), then the husband
    assert api.world.total(p) == h.own_fen - exp.own == 0
    assert api.world.total(h.son) == h.son_fen - exp.by_payer[h.son.id] == 0
    assert api.world.total(h.husband) == h.husband_fen - exp.by_payer[h.husband.id] == 0

    # the wire: amounts with exactly two decimals, the ratio with four
    text = response.text
    two_decimals_on_the_wire(text)
    for key, value in (("medfee_sumamt", exp.medfee), ("hifp_pay", exp.fund), ("act_pay_dedc", exp.deductible),
                       ("psn_part_amt", exp.person), ("acct_pay", exp.account), ("acct_mulaid_pay", exp.mutual),
                       ("psn_cash_pay", exp.cash), ("balc", 0), ("hosp_part_amt", 0)):
        assert f'"{key}":{yuan(value):.2f}' in text, key
    assert f'"pool_prop_selfpay":{Decimal(rule.ratio_permille) / 1000:.4f}' in text

    # 5203: the same settlement, in that transaction's names (psn_pay, cash_payamt)
    query = his.ok("5203", query_input(p, info["setl_id"], mdtrt_id), psn=p)["setlinfo"]
    assert (query["setl_id"], query["mdtrt_id"], query["psn_no"], query["certno"]) == (
        info["setl_id"], mdtrt_id, psn_no, p.id_number)
    assert (query["fixmedins_code"], query["fixmedins_name"]) == (ZHENGZHOU_HOSPITAL, his.name)
    assert query["psn_pay"] == yuan(exp.person) and query["cash_payamt"] == yuan(exp.cash)
    assert query["acct_pay"] == yuan(exp.account) and query["acct_mulaid_pay"] == yuan(exp.mutual)
    assert query["fund_pay_sumamt"] == yuan(exp.fund) and query["medfee_sumamt"] == yuan(medfee)
    assert (query["refd_setl_flag"], query["year"], query["setl_time"]) == ("0", "2025", "2025-06-02 10:00:00")
    assert query["medins_setl_id"] == message["msgid"]
    assert not {"psn_part_amt", "psn_cash_pay", "hosp_part_amt"} & set(query)


def settle_bill(his, p: Person, bill=BILL, *, acct_used_flag: str = "1") -> tuple[str, dict[str, Any], str]:
    """2201, 2204, 2207 of ``bill``: (mdtrt_id, setlinfo, the 2207 msgid)."""
    mdtrt_id = his.ok("2201", register_input(p, ipt_otp_no=his.otp_no()), psn=p)["data"]["mdtrt_id"]
    his.ok("2204", {"feedetail": bill_lines(p, mdtrt_id, bill)}, psn=p)
    medfee = format(yuan(bill_total(bill)), "f")
    info = his.ok("2207", settle_input(p, mdtrt_id, medfee, acct_used_flag=acct_used_flag), psn=p)["setlinfo"]
    return mdtrt_id, info, his.last_msgid


def test_hn_5_cancellation_gives_every_account_its_money_back(api, zz_hospital, household):
    """NI-5, HN-5: 2208 returns the money to her own account and to both payers, and the fund's year is undone."""
    his, h, rule = zz_hospital, household, henan_rule(api)
    p = h.patient
    exp = expected_split(rule, bill_total(), h.own_fen, [(h.husband, h.husband_fen), (h.son, h.son_fen)])
    mdtrt_id, info, _ = settle_bill(his, p)
    before = {who.id: api.world.balances(who) for who in (p, h.husband, h.son)}

    message, response = his.exchange("2208", cancel_input(p, info["setl_id"], mdtrt_id), psn=p)
    got = answer(response)
    assert got["infcode"] == 0, got["err_msg"]
    back = got["output"]["setlinfo"]
    # every account has its money again, fund by fund
    assert api.world.balances(p).current_year_fen == 3_000 and api.world.balances(p).prior_years_fen == 2_000
    assert api.world.total(h.husband) == h.husband_fen and api.world.total(h.son) == h.son_fen
    assert all(before[who.id].total_fen == 0 for who in (p, h.husband, h.son))
    # the cancellation is a settlement of its own with the amounts negated
    assert back["setl_id"] != info["setl_id"] and back["mdtrt_id"] == mdtrt_id
    for key, value in (("medfee_sumamt", exp.medfee), ("inscp_scp_amt", exp.medfee),
                       ("act_pay_dedc", exp.deductible),
                       ("hifp_pay", exp.fund), ("fund_pay_sumamt", exp.fund), ("psn_part_amt", exp.person),
                       ("acct_pay", exp.account), ("acct_mulaid_pay", exp.mutual), ("psn_cash_pay", exp.cash),
                       ("pdn_cash_pay", exp.cash)):
        assert back[key] == -yuan(value), key
    assert back["hosp_part_amt"] == 0
    assert back["balc"] == yuan(h.own_fen)  # her own balance after the cancellation
    assert back["medins_setl_id"] == message["msgid"] and back["setl_time"] == "2025-06-02 10:00:00"
    assert back["medfee_sumamt"] == back["fund_pay_sumamt"] + back["psn_part_amt"] + back["hosp_part_amt"]
    two_decimals_on_the_wire(response.text, ("medfee_sumamt", "hifp_pay", "acct_pay", "psn_cash_pay", "balc"))

    # once only
    err = his.refused("2208", cancel_input(p, info["setl_id"], mdtrt_id), "NI_SETTLEMENT_CANCELLED", psn=p)
    assert info["setl_id"] in err
    # 5203 knows both: the settlement (refd_setl_flag 0) and its cancellation (1)
    assert his.ok("5203", query_input(p, info["setl_id"]), psn=p)["setlinfo"]["refd_setl_flag"] == "0"
    refund = his.ok("5203", query_input(p, back["setl_id"], mdtrt_id), psn=p)["setlinfo"]
    assert refund["refd_setl_flag"] == "1" and refund["psn_pay"] == -yuan(exp.person)

    # the year's pooled-fund use is given back: settling the same lines again meets the deductible again
    again = his.ok("2207", settle_input(p, mdtrt_id, "1234.51"), psn=p)["setlinfo"]
    assert again["setl_id"] not in (info["setl_id"], back["setl_id"])
    assert again["act_pay_dedc"] == yuan(exp.deductible) and again["hifp_pay"] == yuan(exp.fund)
    assert again["acct_pay"] == yuan(exp.account) and again["psn_cash_pay"] == yuan(exp.cash)


def test_hn_5_money_goes_back_to_a_payer_whose_binding_has_ended(api, zz_hospital, household):
    """HN-5: the refund goes back to the account that paid, also when the binding has since ended."""
    h = household
    mdtrt_id, info, _ = settle_bill(zz_hospital, h.patient)
    assert api.world.total(h.husband) == 0
    api.world.run(lambda s, env: authorizations.unbind(s, env, binding_id=h.husband_binding,
                                                       actor=h.husband.actor))
    zz_hospital.ok("2208", cancel_input(h.patient, info["setl_id"], mdtrt_id), psn=h.patient)
    assert api.world.total(h.husband) == h.husband_fen
    assert api.world.total(h.son) == h.son_fen and api.world.total(h.patient) == h.own_fen


def test_hn_4_larger_balance_pays_first(api, zz_hospital, household):
    """HN-4: after her own account, the son (larger balance, bound second, name sorting later) pays first;
    the husband pays only what remains."""
    h, rule = household, henan_rule(api)
    bill = [("F1", "1", "775.00", "775.00")]
    exp = expected_split(rule, bill_total(bill), h.own_fen, [(h.husband, h.husband_fen), (h.son, h.son_fen)])
    assert 0 < exp.by_payer[h.husband.id] < h.husband_fen and exp.cash == 0  # the order shows
    _, info, _ = settle_bill(zz_hospital, h.patient, bill)
    assert info["acct_mulaid_pay"] == yuan(exp.mutual) and info["psn_cash_pay"] == 0
    assert api.world.total(h.son) == 0
    assert api.world.total(h.husband) == h.husband_fen - exp.by_payer[h.husband.id]
    assert api.world.total(h.patient) == 0


def test_ni_3_without_the_accounts_everything_personal_is_cash(api, zz_hospital, household):
    """NI-3: acct_used_flag 0: the fund pays its share, the person's part is all cash, no account is touched."""
    h, rule = household, henan_rule(api)
    exp = expected_split(rule, bill_total(), h.own_fen, [], use_accounts=False)
    _, info, _ = settle_bill(zz_hospital, h.patient, acct_used_flag="0")
    assert info["hifp_pay"] == yuan(exp.fund) and info["act_pay_dedc"] == yuan(exp.deductible)
    assert info["acct_pay"] == 0 and info["acct_mulaid_pay"] == 0
    assert info["psn_cash_pay"] == info["psn_part_amt"] == yuan(exp.person)
    assert info["balc"] == yuan(h.own_fen)
    assert [api.world.total(who) for who in (h.patient, h.husband, h.son)] == [
        h.own_fen, h.husband_fen, h.son_fen]


def test_ni_4_second_visit_meets_no_deductible_and_the_cap_limits_the_fund(api, zz_hospital):
    """NI-4: the deductible is met once a year; the fund pays at most the annual cap over the year."""
    rule = henan_rule(api)
    p = api.world.person("李娜", city="zhengzhou", sex="F", current_fen=5_000_000)
    own = 5_000_000
    first = bill_total()
    exp1 = expected_split(rule, first, own, [])
    _, info1, _ = settle_bill(zz_hospital, p)
    assert info1["act_pay_dedc"] == yuan(exp1.deductible) == yuan(rule.deductible_fen)
    assert info1["hifp_pay"] == yuan(exp1.fund)

    # a bill whose share would pass the cap
    big = [("G1", "10", "500.00", "5000.00")]
    exp2 = expected_split(rule, bill_total(big), own - exp1.own, [], deductible_met=exp1.deductible,
                          fund_paid=exp1.fund)
    assert exp2.deductible == 0 and exp2.fund == rule.annual_cap_fen - exp1.fund  # capped
    assert bill_total(big) * rule.ratio_permille // 1000 > exp2.fund
    mdtrt_id = zz_hospital.ok("2201", register_input(p, ipt_otp_no="MZ2"), psn=p)["data"]["mdtrt_id"]
    zz_hospital.ok("2204", {"feedetail": bill_lines(p, mdtrt_id, big)}, psn=p)
    out = zz_hospital.ok("2207", settle_input(p, mdtrt_id, "5000.00"), psn=p)
    info2 = out["setlinfo"]
    assert info2["act_pay_dedc"] == 0 and info2["hifp_pay"] == yuan(exp2.fund)
    assert info2["psn_part_amt"] == yuan(exp2.person) == info2["acct_pay"]
    assert out["setldetail"][0]["crt_payb_lmt_amt"] == yuan(rule.annual_cap_fen - exp1.fund)

    # the cap is used up: the fund pays nothing more this year
    small = [("H1", "1", "100.00", "100.00")]
    _, info3, _ = settle_bill(zz_hospital, p, small)
    assert info3["hifp_pay"] == 0 and info3["act_pay_dedc"] == 0
    assert info3["psn_part_amt"] == yuan(bill_total(small))
    assert api.world.total(p) == own - exp1.person - exp2.person - bill_total(small)


def test_ni_4_a_resident_is_pooled_by_the_resident_rule(api, zz_hospital):
    """NI-4: a resident (390) gets the region's resident pooling, not the employee one."""
    rule = api.world.env.policy(ZHENGZHOU).outpatient_pooling("resident")
    p = api.world.person("王秀英", city="zhengzhou", scheme="resident", sex="F", current_fen=0)
    exp = expected_split(rule, bill_total(), 0, [])
    mdtrt_id = zz_hospital.ok("2201", register_input(p, insutype="390"), psn=p)["data"]["mdtrt_id"]
    zz_hospital.ok("2204", {"feedetail": bill_lines(p, mdtrt_id)}, psn=p)
    info = zz_hospital.ok("2207", settle_input(p, mdtrt_id, "1234.51", insutype="390"), psn=p)["setlinfo"]
    assert info["insutype"] == "390"
    assert info["act_pay_dedc"] == yuan(exp.deductible) and info["hifp_pay"] == yuan(exp.fund)
    assert info["pool_prop_selfpay"] == Decimal(rule.ratio_permille) / 1000
    assert info["psn_cash_pay"] == yuan(exp.person)


def test_ni_4_a_bill_below_the_deductible_gets_no_fund(api, zz_hospital):
    rule = henan_rule(api)
    p = api.world.person("李娜", city="zhengzhou", sex="F", current_fen=50_000)
    amount = rule.deductible_fen // 2
    bill = [("S1", "1", format(yuan(amount), "f"), format(yuan(amount), "f"))]
    _, info, _ = settle_bill(zz_hospital, p, bill)
    assert info["act_pay_dedc"] == yuan(amount) and info["hifp_pay"] == 0
    assert info["acct_pay"] == yuan(amount) and info["balc"] == yuan(50_000 - amount)
