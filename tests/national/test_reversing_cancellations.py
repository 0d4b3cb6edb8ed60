"""NI-5: 2601 of a cancellation (2208, 2103) puts the cancelled settlement back as it was, or is refused saying why.

On both databases. The settlement stands again only while nothing has moved since the cancellation: every account
still holds what it got back (HN-5), every relative still pays through an active binding (D-3), the person has had
no settlement since, and the visit's charge batch is as it was. Then the money is taken again once, in balanced
entries, and 3201 agrees with a HIS that books the reversed cancellation as void (NI-6).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from gongji.authorizations import changes
from gongji.authorizations import service as authorizations
from gongji.authorizations.models import Binding
from gongji.ledger import service as ledger
from gongji.ledger.models import LedgerEntry
from gongji.reconcile import reconcile
from tests.factories import STAFF
from tests.national.conftest import (
    cancel_input,
    drug_input,
    open_visit,
    query_input,
    reversal_input,
    settle_input,
    totals,
)

HARBIN = "230100"


def settle(hospital, patient, amount: str = "500.00") -> tuple[str, dict[str, Any]]:
    """A visit of ``amount``, settled (2207): (mdtrt_id, setlinfo)."""
    mdtrt_id = open_visit(hospital, patient, [amount])
    return mdtrt_id, hospital.ok("2207", settle_input(patient, mdtrt_id, amount), psn=patient)["setlinfo"]


def settle_and_cancel(hospital, patient, amount: str = "500.00") -> tuple[str, dict[str, Any], str]:
    """A visit of ``amount`` settled (2207) and cancelled (2208): (mdtrt_id, the 2207's setlinfo, the 2208's msgid)."""
    mdtrt_id, info = settle(hospital, patient, amount)
    hospital.ok("2208", cancel_input(patient, info["setl_id"], mdtrt_id), psn=patient)
    return mdtrt_id, info, hospital.last_msgid


def statement(info: dict[str, Any], *, flag: str | None) -> dict[str, Any]:
    """3201 as the HIS books one settlement ``info`` whose cancellation it voided."""
    data = {"insutype": "310", "clr_type": "11", "setl_optins": HARBIN, "stmt_begndate": "2025-06-02",
            "stmt_enddate": "2025-06-02", "medfee_sumamt": info["medfee_sumamt"],
            "fund_pay_sumamt": info["fund_pay_sumamt"], "acct_pay": info["acct_pay"], "fixmedins_setl_cnt": 1}
    if flag is not None:
        data["refd_setl_flag"] = flag
    return {"data": data}


def ledger_ok(api) -> bool:
    """The ledger balances, and gongji reconcile finds the settlements, refunds and national rows agreeing."""
    report = reconcile(api.world.db)
    assert report.ok, [(c.key, c.differences[:3]) for c in report.checks if not c.ok]
    return api.world.db.read(lambda s: ledger.check(s).ok)


def test_ni_5_reversing_a_cancellation_puts_the_settlement_back_once(api, hospital, family):
    """2601 of a 2208: the accounts pay their parts again (the relative's included), 5203 and 5204 show the
    settlement as before, 3201 balances for a HIS that voids the 2208, and a second 2601 moves nothing."""
    patient, father = family
    before = totals(api, patient, father)
    mdtrt_id, info = settle(hospital, patient)
    settled_totals = totals(api, patient, father)
    assert info["acct_mulaid_pay"] > 0 and settled_totals[1] < before[1]
    hospital.ok("2208", cancel_input(patient, info["setl_id"], mdtrt_id), psn=patient)
    cancel_msgid = hospital.last_msgid
    assert totals(api, patient, father) == before
    assert hospital.ok("2601", reversal_input(patient, cancel_msgid, "2208"), psn=patient) == {}
    assert totals(api, patient, father) == settled_totals
    assert ledger_ok(api)
    # the HIS's setl_id names the settlement standing again, with the same amounts (settled anew by the 2601)
    again = hospital.ok("5203", query_input(patient, info["setl_id"], mdtrt_id), psn=patient)["setlinfo"]
    assert (again["acct_pay"], again["acct_mulaid_pay"], again["fund_pay_sumamt"], again["medfee_sumamt"]) == (
        info["acct_pay"], info["acct_mulaid_pay"], info["fund_pay_sumamt"], info["medfee_sumamt"])
    assert again["setl_id"] != info["setl_id"] and again["refd_setl_flag"] == "0"
    assert len(hospital.ok("5204", query_input(patient, info["setl_id"], mdtrt_id), psn=patient)) == 1
    for flag in ("0", "1", None):
        assert hospital.ok("3201", statement(info, flag=flag))["stmtinfo"]["stmt_rslt"] == "0", flag
    # once: another 2601 of the 2208 (the HIS lost the first answer) is answered and moves no money
    entries = api.world.db.read(lambda s: s.execute(select(func.count()).select_from(LedgerEntry)).scalar_one())
    assert hospital.ok("2601", reversal_input(patient, cancel_msgid, "2208"), psn=patient) == {}
    assert totals(api, patient, father) == settled_totals
    assert api.world.db.read(lambda s: s.execute(select(func.count()).select_from(LedgerEntry)).scalar_one()) == entries
    # the settlement can be cancelled again, and every account gets its part back again
    hospital.ok("2208", cancel_input(patient, info["setl_id"], mdtrt_id), psn=patient)
    assert totals(api, patient, father) == before
    assert ledger_ok(api)


def test_ni_5_a_cancellation_is_not_reversed_when_the_money_is_spent(api, hospital, family):
    """The relative has spent what the 2208 gave back: NI_NOT_REVERSIBLE, nothing changes, the way to settle
    again is named, and nobody is."""
    patient, father = family
    mdtrt_id, info, cancel_msgid = settle_and_cancel(hospital, patient)
    api.world.settle(father, api.world.total(father))  # his own bill elsewhere takes all he has
    err = hospital.refused("2601", reversal_input(patient, cancel_msgid, "2208"), "NI_NOT_REVERSIBLE",
                           psn=patient)
    assert cancel_msgid in err and "已不全在原账户中" in err and "2206、2207" in err
    assert father.name not in err and patient.name not in err
    # the cancellation stands: the lines are unsettled and can be settled anew
    assert hospital.ok("2207", settle_input(patient, mdtrt_id, "500.00"), psn=patient)["setlinfo"]["setl_id"]


def test_ni_5_a_cancellation_is_not_reversed_when_the_binding_has_ended(api, hospital, family):
    """D-3: the father unbound after the cancellation: his account is not charged again."""
    patient, father = family
    _, _, cancel_msgid = settle_and_cancel(hospital, patient)
    binding_id = api.world.db.read(lambda s: s.execute(select(Binding.id).where(
        Binding.beneficiary_id == patient.id)).scalar_one())
    api.world.run(lambda s, env: authorizations.unbind(s, env, binding_id=binding_id, actor=STAFF, note="ended"))
    err = hospital.refused("2601", reversal_input(patient, cancel_msgid, "2208"), "NI_NOT_REVERSIBLE",
                           psn=patient)
    assert "绑定已结束" in err and father.name not in err


def test_ni_5_a_cancellation_is_not_reversed_while_the_binding_is_paused(api, hospital, family):
    """D-3: the father paused his binding after the cancellation: a paused binding pays nothing, so nothing is
    taken again; resumed, the 2601 goes through."""
    patient, father = family
    before = totals(api, patient, father)
    _, _, cancel_msgid = settle_and_cancel(hospital, patient)
    binding_id = api.world.db.read(lambda s: s.execute(select(Binding.id).where(
        Binding.beneficiary_id == patient.id)).scalar_one())
    api.world.run(lambda s, env: changes.pause(s, env, binding_id=binding_id, actor=STAFF))
    err = hospital.refused("2601", reversal_input(patient, cancel_msgid, "2208"), "NI_NOT_REVERSIBLE",
                           psn=patient)
    assert "绑定已结束或已暂停" in err and father.name not in err
    assert totals(api, patient, father) == before
    api.world.run(lambda s, env: changes.resume(s, env, binding_id=binding_id, actor=STAFF))
    assert hospital.ok("2601", reversal_input(patient, cancel_msgid, "2208"), psn=patient) == {}
    assert totals(api, patient, father) != before


def test_ni_5_a_cancellation_is_not_reversed_after_a_later_settlement(api, hospital, family):
    """The patient settled another visit after the cancellation: the fund's share of the first no longer holds."""
    patient, father = family
    _, _, cancel_msgid = settle_and_cancel(hospital, patient)
    other = open_visit(hospital, patient, ["20.00"], ipt_otp_no="MZ0002")
    hospital.ok("2207", settle_input(patient, other, "20.00"), psn=patient)
    err = hospital.refused("2601", reversal_input(patient, cancel_msgid, "2208"), "NI_NOT_REVERSIBLE",
                           psn=patient)
    assert "又有结算或撤销" in err


def test_ni_5_a_cancellation_is_not_reversed_when_its_lines_are_dropped(api, hospital, family):
    """2205 dropped the cancelled batch's lines: nothing to settle again."""
    patient, _ = family
    mdtrt_id, _, cancel_msgid = settle_and_cancel(hospital, patient)
    hospital.ok("2205", {"data": {"mdtrt_id": mdtrt_id, "chrg_bchno": "0000", "psn_no": str(patient.id)}},
                psn=patient)
    err = hospital.refused("2601", reversal_input(patient, cancel_msgid, "2208"), "NI_NOT_REVERSIBLE",
                           psn=patient)
    assert "收费批次已变更" in err


def test_ni_5_reversing_a_pharmacy_cancellation(api, pharmacy, family):
    """2601 of a 2103: the purchase is paid again by the same accounts, and can be cancelled again."""
    patient, father = family
    before = totals(api, patient, father)
    info = pharmacy.ok("2102", drug_input(patient, [("1", "3", "100.00")]), psn=patient)["setlinfo"]
    paid = totals(api, patient, father)
    cancel = {"data": {"setl_id": info["setl_id"], "mdtrt_id": info["mdtrt_id"], "psn_no": str(patient.id)}}
    pharmacy.ok("2103", cancel, psn=patient)
    assert totals(api, patient, father) == before
    assert pharmacy.ok("2601", reversal_input(patient, pharmacy.last_msgid, "2103"), psn=patient) == {}
    assert totals(api, patient, father) == paid and paid != before
    assert ledger_ok(api)
    pharmacy.ok("2103", cancel, psn=patient)
    assert totals(api, patient, father) == before
