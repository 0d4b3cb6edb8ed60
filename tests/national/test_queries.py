"""5203 settlement query and NI-6 3201 reconciliation of totals, on both databases.

The totals a hospital sends to 3201 are computed here from its bills, the patients' balances and
Heilongjiang's pooled-fund settings; ``stmt_rslt`` is 0 balanced, 1 the insurer has more, 2 the institution
has more, 3 the figures differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from tests.factories import Person
from tests.national.conftest import (
    cancel_input,
    drug_input,
    fee_line,
    fen,
    institution,
    open_visit,
    pooled_fund,
    query_input,
    register_input,
    reversal_input,
    settle_input,
    yuan,
)

HARBIN = "230100"


@dataclass
class Bill:
    """One settled bill as the hospital books it: the amounts 3201 totals, in fen."""

    medfee: int
    fund: int
    acct: int
    setl_id: str = ""
    mdtrt_id: str = ""
    person: Person | None = None


def settle_and_book(api, hospital, p, amount: str, balance: int) -> Bill:
    """Settle ``amount`` for ``p`` (own balance ``balance``, no payer) and book what the hospital expects."""
    rule = api.world.env.policy(HARBIN).outpatient_pooling("employee")
    _, fund = pooled_fund(rule, fen(amount))
    acct = min(balance, fen(amount) - fund)
    mdtrt_id = open_visit(hospital, p, [amount])
    info = hospital.ok("2207", settle_input(p, mdtrt_id, amount), psn=p)["setlinfo"]
    assert (info["fund_pay_sumamt"], info["acct_pay"]) == (yuan(fund), yuan(acct))
    return Bill(fen(amount), fund, acct, info["setl_id"], mdtrt_id, p)


def statement(bills: list[Bill], *, count: int | None = None, begin: str = "2025-06-02", end: str = "2025-06-02",
              flag: tuple[str, str] | None = None, **change: int) -> dict[str, Any]:
    """3201 ``data`` with the totals of ``bills`` (a cancellation is a bill with negative amounts)."""
    data = {"insutype": "310", "clr_type": "11", "setl_optins": HARBIN, "stmt_begndate": begin,
            "stmt_enddate": end,
            "medfee_sumamt": yuan(sum(b.medfee for b in bills) + change.get("medfee", 0)),
            "fund_pay_sumamt": yuan(sum(b.fund for b in bills) + change.get("fund", 0)),
            "acct_pay": yuan(sum(b.acct for b in bills) + change.get("acct", 0)),
            "fixmedins_setl_cnt": len(bills) if count is None else count}
    if flag is not None:
        data[flag[0]] = flag[1]
    return {"data": data}


def reconcile(hospital, data: dict[str, Any]) -> str:
    info = hospital.ok("3201", data)["stmtinfo"]
    assert info["setl_optins"] == HARBIN and info["stmt_rslt_dscr"]
    return info["stmt_rslt"]


@pytest.fixture
def day(api, hospital) -> list[Bill]:
    """Two settlements on 2025-06-02: one with a fund share, paid by the account; one below the deductible, cash."""
    rich = api.world.person("张三", current_fen=100_000)
    poor = api.world.person("李四")
    return [settle_and_book(api, hospital, rich, "300.00", 100_000),
            settle_and_book(api, hospital, poor, "150.00", 0)]


def test_ni_6_statement_results(api, hospital, day):
    """NI-6: the day's count and totals: equal "0"; institution counts more "2", fewer "1"; an amount off "3"."""
    n = len(day)
    assert reconcile(hospital, statement(day)) == "0"
    assert reconcile(hospital, statement(day, count=n + 1)) == "2"
    assert reconcile(hospital, statement(day, count=n - 1)) == "1"
    for change in ({"medfee": 1}, {"fund": -1}, {"acct": 100}):
        assert reconcile(hospital, statement(day, **change)) == "3", change
    assert reconcile(hospital, statement(day, begin="2025-06-02 00:00:00", end="2025-06-02 00:00:00")) == "0"


def test_ni_6_refund_settlements_by_flag(api, hospital, day):
    """refd_setl_flag 0: only the settlements; 1, empty or absent: with the cancellations (negative); upper case
    REFD_SETL_FLAG is read too."""
    kept, cancelled = day
    p = cancelled.person
    hospital.ok("2208", cancel_input(p, cancelled.setl_id, cancelled.mdtrt_id), psn=p)
    refund = Bill(-cancelled.medfee, -cancelled.fund, -cancelled.acct)
    with_refunds = [kept, cancelled, refund]
    for flag in (("refd_setl_flag", "0"), ("REFD_SETL_FLAG", "0")):
        assert reconcile(hospital, statement(day, flag=flag)) == "0", flag
        assert reconcile(hospital, statement(with_refunds, flag=flag)) != "0", flag
    for flag in (("refd_setl_flag", "1"), ("REFD_SETL_FLAG", "1"), ("refd_setl_flag", ""), None):
        assert reconcile(hospital, statement(with_refunds, flag=flag)) == "0", flag
        assert reconcile(hospital, statement(day, flag=flag)) != "0", flag


def test_ni_6_a_reversed_settlement_never_happened(api, hospital, day):
    """NI-5, NI-6: for a HIS that books 冲正 as void, a 2207 reversed by 2601 is neither counted nor summed,
    nor is the cancellation the reversal made, whatever refd_setl_flag says; a 2208 still counts as before."""
    p = api.world.person("王五", current_fen=5_000)
    settle_and_book(api, hospital, p, "80.00", 5_000)
    hospital.ok("2601", reversal_input(p, hospital.last_msgid, "2207"), psn=p)
    for flag in (None, ("refd_setl_flag", "1"), ("refd_setl_flag", "0")):
        assert reconcile(hospital, statement(day, flag=flag)) == "0", flag
        assert reconcile(hospital, statement(day, count=len(day) + 1, flag=flag)) == "2", flag
    cancelled = day[1]
    hospital.ok("2208", cancel_input(cancelled.person, cancelled.setl_id, cancelled.mdtrt_id), psn=cancelled.person)
    refund = Bill(-cancelled.medfee, -cancelled.fund, -cancelled.acct)
    assert reconcile(hospital, statement([*day, refund])) == "0"


def test_ni_6_only_the_days_asked_and_the_institutions_own(api, hospital, day):
    """NI-6: per institution and date range: the next day's settlement and another hospital's are not counted."""
    api.advance(days=1)
    p = api.world.person("赵六", current_fen=0)
    next_day = settle_and_book(api, hospital, p, "100.00", 0)
    other = institution(api, "H23010100002", "哈尔滨市第二医院")
    settle_and_book(api, other, api.world.person("钱七"), "120.00", 0)
    assert reconcile(hospital, statement(day)) == "0"
    assert reconcile(hospital, statement([next_day], begin="2025-06-03", end="2025-06-03")) == "0"
    assert reconcile(hospital, statement([*day, next_day], begin="2025-06-01", end="2025-06-03")) == "0"
    assert reconcile(hospital, statement([], count=0, begin="2025-06-04", end="2025-06-30")) == "0"


def test_ni_6_by_insurance_type_and_clearing_type(api, hospital, day):
    """The totals are per insutype and clr_type: residents (390) and pharmacy clearing (41) have none here."""
    data = statement([], count=0)
    data["data"]["insutype"] = "390"
    assert reconcile(hospital, data) == "0"
    data = statement([], count=0)
    data["data"]["clr_type"] = "41"
    assert reconcile(hospital, data) == "0"


def test_ni_6_end_before_begin_is_refused(api, hospital, day):
    err = hospital.refused("3201", statement(day, begin="2025-06-02", end="2025-06-01"), "NI_FIELD_INVALID")
    assert "stmt_enddate" in err and "对账结束日期" in err
    err = hospital.refused("3201", statement(day, begin="2025/06/02"), "NI_FIELD_INVALID")
    assert "stmt_begndate" in err


def test_ni_6_totals_are_checked_as_amounts(api, hospital, day):
    data = statement(day)
    data["data"]["acct_pay"] = "12.345"
    err = hospital.refused("3201", data, "NI_AMOUNT_INVALID")
    assert "acct_pay" in err and "个人账户支付金额" in err
    data = statement(day, flag=("refd_setl_flag", "2"))
    assert "refd_setl_flag" in hospital.refused("3201", data, "NI_FIELD_INVALID")


# -- 5203 ------------------------------------------------------------------------------------------


def test_5203_settlement_query(api, hospital):
    """5203: the settlement in that transaction's names: psn_pay, cash_payamt, refd_setl_flag, year."""
    rule = api.world.env.policy(HARBIN).outpatient_pooling("employee")
    p = api.world.person("张三", current_fen=10_000, born=date(1970, 1, 1))
    deductible, fund = pooled_fund(rule, fen("500.00"))
    person = fen("500.00") - fund
    mdtrt_id = open_visit(hospital, p, ["500.00"])
    setl_id = hospital.ok("2207", settle_input(p, mdtrt_id, "500.00"), psn=p)["setlinfo"]["setl_id"]
    msgid = hospital.last_msgid
    for asked in (mdtrt_id, None):  # mdtrt_id is optional in the query
        info = hospital.ok("5203", query_input(p, setl_id, asked), psn=p)["setlinfo"]
        assert (info["setl_id"], info["mdtrt_id"], info["psn_no"], info["psn_name"]) == (
            setl_id, mdtrt_id, str(p.id), "张三")
        assert (info["certno"], info["gend"], info["brdy"], info["insutype"]) == (p.id_number, "1", "1970-01-01",
                                                                                  "310")
        assert (info["fixmedins_code"], info["med_type"], info["clr_type"]) == (hospital.code, "11", "11")
        assert (info["begndate"], info["enddate"], info["setl_time"]) == ("2025-06-02", "2025-06-02",
                                                                          "2025-06-02 10:00:00")
        assert info["medfee_sumamt"] == yuan(50_000) and info["act_pay_dedc"] == yuan(deductible)
        assert info["hifp_pay"] == info["fund_pay_sumamt"] == yuan(fund)
        assert info["psn_pay"] == yuan(person)
        assert info["acct_pay"] == yuan(min(10_000, person)) and info["acct_mulaid_pay"] == 0
        assert info["cash_payamt"] == yuan(person - min(10_000, person))
        assert info["balc"] == yuan(10_000 - min(10_000, person))
        assert (info["refd_setl_flag"], info["year"], info["medins_setl_id"]) == ("0", "2025", msgid)


def test_5203_only_this_institutions_settlements(api, hospital, pharmacy):
    p = api.world.person("张三", current_fen=10_000)
    mdtrt_id = open_visit(hospital, p, ["50.00"])
    setl_id = hospital.ok("2207", settle_input(p, mdtrt_id, "50.00"), psn=p)["setlinfo"]["setl_id"]
    hospital.refused("5203", query_input(p, "999999"), "NI_SETTLEMENT_NOT_FOUND", psn=p)
    hospital.refused("5203", query_input(p, setl_id, "999999"), "NI_SETTLEMENT_NOT_FOUND", psn=p)
    other = api.world.person("李四")
    hospital.refused("5203", query_input(other, setl_id), "NI_SETTLEMENT_NOT_FOUND", psn=other)
    pharmacy.refused("5203", query_input(p, setl_id), "NI_SETTLEMENT_NOT_FOUND", psn=p)
    purchase = pharmacy.ok("2102", drug_input(p, [("1", "1", "10.00")]), psn=p)["setlinfo"]
    info = pharmacy.ok("5203", query_input(p, purchase["setl_id"]), psn=p)["setlinfo"]
    assert (info["med_type"], info["clr_type"], info["mdtrt_id"]) == ("41", "41", purchase["mdtrt_id"])
    assert info["fund_pay_sumamt"] == 0 and info["psn_pay"] == yuan(1_000)


# -- 5204 ------------------------------------------------------------------------------------------


def test_5204_fee_details_of_a_settlement(api, hospital, pharmacy):
    """NI-3, NI-4 5204: the lines a settlement settled, in upload order, as 2204 split them; ``output`` is the
    array of lines. Only this institution's and this person's settlements; after 2208 the lines wait for the
    visit's next settlement and are no longer the cancelled one's."""
    p = api.world.person("张三", current_fen=10_000)
    mdtrt_id = hospital.ok("2201", register_input(p, ipt_otp_no="MZ5204"), psn=p)["data"]["mdtrt_id"]
    lines = [fee_line(p, mdtrt_id, "L1", "7.50", cnt="3", pric="2.50", code="XA01"),
             fee_line(p, mdtrt_id, "L2", "30.00", code="F0001")]
    split = hospital.ok("2204", {"feedetail": lines}, psn=p)["result"]
    setl_id = hospital.ok("2207", settle_input(p, mdtrt_id, "37.50"), psn=p)["setlinfo"]["setl_id"]
    got = hospital.ok("5204", {"data": {"psn_no": str(p.id), "setl_id": setl_id, "mdtrt_id": mdtrt_id}}, psn=p)
    assert isinstance(got, list) and [line["feedetl_sn"] for line in got] == ["L1", "L2"]
    for line, uploaded in zip(got, split, strict=True):
        assert (line["setl_id"], line["mdtrt_id"], line["psn_no"], line["med_type"]) == (setl_id, mdtrt_id,
                                                                                         str(p.id), "11")
        assert line["fee_ocur_time"] == "2025-06-02 09:40:00" and line["rx_drord_no"] == "RX001"
        for key in ("det_item_fee_sumamt", "inscp_scp_amt", "fulamt_ownpay_amt", "med_chrgitm_type", "chrgitm_lv"):
            assert line[key] == uploaded[key], key
    assert (got[0]["cnt"], got[0]["pric"], got[0]["det_item_fee_sumamt"]) == (3, Decimal("2.5"), yuan(750))
    assert (got[0]["med_chrgitm_type"], got[1]["med_chrgitm_type"]) == ("09", "14")
    query = {"data": {"psn_no": str(p.id), "setl_id": setl_id, "mdtrt_id": mdtrt_id}}
    other = api.world.person("李四")
    hospital.refused("5204", {"data": {**query["data"], "psn_no": str(other.id)}}, "NI_SETTLEMENT_NOT_FOUND",
                     psn=other)
    hospital.refused("5204", {"data": {**query["data"], "mdtrt_id": "999999"}}, "NI_SETTLEMENT_NOT_FOUND", psn=p)
    hospital.refused("5204", {"data": {**query["data"], "mdtrt_id": ""}}, "NI_FIELD_REQUIRED", psn=p)
    pharmacy.refused("5204", query, "NI_SETTLEMENT_NOT_FOUND", psn=p)
    hospital.ok("2208", cancel_input(p, setl_id, mdtrt_id), psn=p)
    assert hospital.ok("5204", query, psn=p) == []
