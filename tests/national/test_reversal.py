"""NI-5: 2601 reversal (冲正) by ``omsgid`` / ``oinfno``, on both databases.

A reversed settlement gives every account its money back (HN-5) and the pooled fund its share; a message
reversed before it arrived is refused when it comes late; reversing again is harmless; cancellations and
other transactions are not reversible.
"""

from __future__ import annotations

from tests.national.conftest import (
    answer,
    cancel_input,
    drug_input,
    fee_line,
    fen,
    open_visit,
    pooled_fund,
    register_input,
    reversal_input,
    settle_input,
    totals,
    unchanged,
    upload_fees,
    yuan,
)

HARBIN = "230100"


def settled(hospital, p, amount: str = "500.00"):
    """A visit with one line of ``amount``, settled: (mdtrt_id, setlinfo, the 2207 message)."""
    mdtrt_id = open_visit(hospital, p, [amount])
    message, response = hospital.exchange("2207", settle_input(p, mdtrt_id, amount), psn=p)
    got = answer(response)
    assert got["infcode"] == 0, got["err_msg"]
    return mdtrt_id, got["output"]["setlinfo"], message


def test_ni_5_reversing_a_settlement_gives_the_money_back(api, hospital, family):
    """2601 of a 2207: own account, payer and fund get their money back; the settlement is cancelled."""
    patient, father = family
    before = totals(api, patient, father)
    mdtrt_id, info, message = settled(hospital, patient)
    assert info["acct_mulaid_pay"] > 0 and totals(api, patient, father) != before
    assert hospital.ok("2601", reversal_input(patient, message["msgid"], "2207"), psn=patient) == {}
    assert totals(api, patient, father) == before
    # the settlement is cancelled: 2208 has nothing more to do, and the original message is not answered again
    hospital.refused("2208", cancel_input(patient, info["setl_id"], mdtrt_id), "NI_SETTLEMENT_CANCELLED",
                     psn=patient)
    with unchanged(api.world):
        late = answer(hospital.post(message))
    assert late["infcode"] == -1 and late["err_msg"].startswith("【NI_MESSAGE_REVERSED】")
    # the year's pooled fund is given back: settling the lines again meets the deductible again
    rule = api.world.env.policy(HARBIN).outpatient_pooling("employee")
    deductible, fund = pooled_fund(rule, fen("500.00"))
    again = hospital.ok("2207", settle_input(patient, mdtrt_id, "500.00"), psn=patient)["setlinfo"]
    assert again["act_pay_dedc"] == yuan(deductible) and again["hifp_pay"] == yuan(fund)
    assert again["acct_pay"] == info["acct_pay"]


def test_ni_5_reversing_twice_is_fine(api, hospital, family):
    """A second 2601 of the same message (the HIS lost the first answer) is answered and moves nothing."""
    patient, father = family
    before = totals(api, patient, father)
    _, _, message = settled(hospital, patient)
    hospital.ok("2601", reversal_input(patient, message["msgid"], "2207"), psn=patient)
    assert totals(api, patient, father) == before
    assert hospital.ok("2601", reversal_input(patient, message["msgid"], "2207"), psn=patient) == {}
    assert totals(api, patient, father) == before


def test_ni_5_a_message_reversed_before_it_arrived_is_refused_late(api, hospital, family):
    """2601 of an unknown msgid is remembered: the message itself, arriving late, is NI_MESSAGE_REVERSED."""
    patient, father = family
    mdtrt_id = open_visit(hospital, patient, ["500.00"])
    message = hospital.envelope("2207", settle_input(patient, mdtrt_id, "500.00"), psn=patient)  # not sent yet
    before = totals(api, patient, father)
    assert hospital.ok("2601", reversal_input(patient, message["msgid"], "2207"), psn=patient) == {}
    with unchanged(api.world):
        late = answer(hospital.post(message))
    assert late["infcode"] == -1 and late["err_msg"].startswith("【NI_MESSAGE_REVERSED】")
    assert message["msgid"] in late["err_msg"]
    assert totals(api, patient, father) == before
    # the business itself is still possible under a new msgid
    assert hospital.ok("2207", settle_input(patient, mdtrt_id, "500.00"), psn=patient)["setlinfo"]["setl_id"]


def test_ni_5_other_cancellations_are_not_reversible(api, hospital, family):
    """2601 of a 2202 or 2205: NI_NOT_REVERSIBLE; the cancellation stands (2208 and 2103: see
    test_reversing_cancellations.py)."""
    patient, _ = family
    other = open_visit(hospital, patient, ["10.00"], ipt_otp_no="MZX")
    hospital.ok("2205", {"data": {"mdtrt_id": other, "chrg_bchno": "0000", "psn_no": str(patient.id)}},
                psn=patient)
    hospital.refused("2601", reversal_input(patient, hospital.last_msgid, "2205"), "NI_NOT_REVERSIBLE",
                     psn=patient)
    hospital.ok("2202", {"data": {"psn_no": str(patient.id), "mdtrt_id": other, "ipt_otp_no": "MZX"}},
                psn=patient)
    hospital.refused("2601", reversal_input(patient, hospital.last_msgid, "2202"), "NI_NOT_REVERSIBLE",
                     psn=patient)


def test_ni_5_oinfno_must_be_the_original_transaction(api, hospital, family):
    patient, _ = family
    _, _, message = settled(hospital, patient)
    err = hospital.refused("2601", reversal_input(patient, message["msgid"], "2201"), "NI_FIELD_INVALID",
                           psn=patient)
    assert "oinfno" in err and "2207" in err


def test_ni_5_only_the_persons_own_message(api, hospital, family):
    """2601 names the person of the message it reverses."""
    patient, father = family
    _, _, message = settled(hospital, patient)
    hospital.refused("2601", reversal_input(father, message["msgid"], "2207"), "NI_PERSON_MISMATCH", psn=father)


def test_ni_5_a_message_cannot_reverse_itself(api, hospital, family):
    patient, _ = family
    msgid = hospital.msgid()
    err = hospital.refused("2601", reversal_input(patient, msgid, "2601"), "NI_FIELD_INVALID", psn=patient,
                           msgid=msgid)
    assert "omsgid" in err


def test_ni_5_reversing_a_registration_cancels_the_visit(api, hospital, family):
    """2601 of a 2201: the visit is cancelled (no more fee details) and its outpatient number is free again."""
    patient, _ = family
    hospital.ok("2201", register_input(patient, ipt_otp_no="MZ0001"), psn=patient)
    msgid = hospital.last_msgid
    mdtrt_id = answer_of_registration(hospital, patient, msgid)
    assert hospital.ok("2601", reversal_input(patient, msgid, "2201"), psn=patient) == {}
    hospital.refused("2204", {"feedetail": [fee_line(patient, mdtrt_id, "1", "10.00")]}, "NI_VISIT_CANCELLED",
                     psn=patient)
    assert hospital.ok("2201", register_input(patient, ipt_otp_no="MZ0001"), psn=patient)["data"]["mdtrt_id"]


def answer_of_registration(hospital, patient, msgid: str) -> str:
    """The mdtrt_id of the registration ``msgid``, by sending it again (a repeat gets the first answer)."""
    message = hospital.envelope("2201", register_input(patient, ipt_otp_no="MZ0001"), psn=patient, msgid=msgid)
    return answer(hospital.post(message))["output"]["data"]["mdtrt_id"]


def test_ni_5_a_settled_visits_registration_is_not_reversible(api, hospital, family):
    patient, _ = family
    mdtrt_id = hospital.ok("2201", register_input(patient), psn=patient)["data"]["mdtrt_id"]
    register_msgid = hospital.last_msgid
    upload_fees(hospital, patient, mdtrt_id, ["50.00"])
    upload_msgid = hospital.last_msgid
    hospital.ok("2207", settle_input(patient, mdtrt_id, "50.00"), psn=patient)
    hospital.refused("2601", reversal_input(patient, register_msgid, "2201"), "NI_NOT_REVERSIBLE", psn=patient)
    hospital.refused("2601", reversal_input(patient, upload_msgid, "2204"), "NI_NOT_REVERSIBLE", psn=patient)


def test_ni_5_reversing_a_fee_upload_removes_its_lines(api, hospital, family):
    """2601 of a 2204: that message's lines are gone; other uploads stay; the numbers may be used again."""
    patient, _ = family
    mdtrt_id = open_visit(hospital, patient, ["10.00"], batch="B001")
    upload_fees(hospital, patient, mdtrt_id, ["20.00", "30.00"], batch="B002")
    assert hospital.ok("2601", reversal_input(patient, hospital.last_msgid, "2204"), psn=patient) == {}
    hospital.refused("2206", settle_input(patient, mdtrt_id, "50.00", batch="B002", final=False),
                     "NI_NO_FEE_DETAILS", psn=patient)
    assert hospital.ok("2206", settle_input(patient, mdtrt_id, "10.00", final=False), psn=patient)
    upload_fees(hospital, patient, mdtrt_id, ["20.00", "30.00"], batch="B002")
    out = hospital.ok("2206", settle_input(patient, mdtrt_id, "50.00", batch="B002", final=False), psn=patient)
    assert out["setlinfo"]["medfee_sumamt"] == yuan(5_000)


def test_ni_5_reversing_a_pharmacy_settlement(api, pharmacy, family):
    """2601 of a 2102: the purchase's money goes back to every account that paid."""
    patient, father = family
    before = totals(api, patient, father)
    info = pharmacy.ok("2102", drug_input(patient, [("1", "3", "100.00")]), psn=patient)["setlinfo"]
    assert info["acct_mulaid_pay"] > 0
    assert pharmacy.ok("2601", reversal_input(patient, pharmacy.last_msgid, "2102"), psn=patient) == {}
    assert totals(api, patient, father) == before
    pharmacy.refused("2103", {"data": {"setl_id": info["setl_id"], "mdtrt_id": info["mdtrt_id"],
                                       "psn_no": str(patient.id)}}, "NI_SETTLEMENT_CANCELLED", psn=patient)
