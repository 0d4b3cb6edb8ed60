"""NI-1, NI-5: a message id is a message. The same message again gets the first answer, byte for byte, with
``Idempotent-Replayed: true``, and changes nothing; the same id with other content is refused. On both
databases.
"""

from __future__ import annotations

from decimal import Decimal

from tests.national.conftest import (
    answer,
    cancel_input,
    open_visit,
    register_input,
    settle_input,
    totals,
    unchanged,
)


def test_ni_1_same_settlement_twice_is_answered_once(api, hospital, family):
    """The same 2207 (same msgid, same content) twice: identical answer, Idempotent-Replayed, money moved once."""
    patient, father = family
    mdtrt_id = open_visit(hospital, patient, ["500.00"])
    message = hospital.envelope("2207", settle_input(patient, mdtrt_id, "500.00"), psn=patient)
    first = hospital.post(message)
    assert answer(first)["infcode"] == 0
    assert "idempotent-replayed" not in first.headers
    after_first = totals(api, patient, father)
    api.advance(minutes=1)  # the repeat comes later; the answer is still the first one
    with unchanged(api.world):
        second = hospital.post(message)
    assert second.status_code == 200
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.content == first.content
    assert totals(api, patient, father) == after_first


def test_ni_1_same_amount_written_otherwise_is_the_same_message(api, hospital, family):
    """800 and 800.00 are one amount: the message is the same and is answered from the first time."""
    patient, _ = family
    mdtrt_id = open_visit(hospital, patient, ["800.00"])
    message = hospital.envelope("2207", settle_input(patient, mdtrt_id, "800.00"), psn=patient)
    first = hospital.post(message)
    message["input"]["data"]["medfee_sumamt"] = Decimal("800")
    with unchanged(api.world):
        second = hospital.post(message)
    assert second.content == first.content and second.headers["Idempotent-Replayed"] == "true"


def test_ni_1_same_msgid_with_other_content_is_refused(api, hospital, family):
    """NI_MSGID_REUSED: another invoice number, another transaction, under a msgid already answered."""
    patient, father = family
    mdtrt_id = open_visit(hospital, patient, ["500.00"])
    message = hospital.envelope("2207", settle_input(patient, mdtrt_id, "500.00"), psn=patient)
    assert answer(hospital.post(message))["infcode"] == 0
    after = totals(api, patient, father)
    changed = dict(message, input=settle_input(patient, mdtrt_id, "500.00"))
    changed["input"]["data"]["invono"] = "INV0001"
    err = hospital.refused("2207", changed["input"], "NI_MSGID_REUSED", psn=patient, msgid=message["msgid"])
    assert message["msgid"] in err
    hospital.refused("2201", register_input(patient), "NI_MSGID_REUSED", psn=patient, msgid=message["msgid"])
    assert totals(api, patient, father) == after


def test_ni_5_same_cancellation_twice_gives_the_money_back_once(api, hospital, family):
    """The same 2208 twice: identical answer, Idempotent-Replayed, the money back once; other content refused."""
    patient, father = family
    before = totals(api, patient, father)
    mdtrt_id = open_visit(hospital, patient, ["500.00"])
    info = hospital.ok("2207", settle_input(patient, mdtrt_id, "500.00"), psn=patient)["setlinfo"]
    message = hospital.envelope("2208", cancel_input(patient, info["setl_id"], mdtrt_id), psn=patient)
    first = hospital.post(message)
    assert answer(first)["infcode"] == 0
    assert totals(api, patient, father) == before
    with unchanged(api.world):
        second = hospital.post(message)
    assert second.content == first.content and second.headers["Idempotent-Replayed"] == "true"
    assert totals(api, patient, father) == before
    other = open_visit(hospital, patient, ["10.00"])
    hospital.refused("2208", cancel_input(patient, info["setl_id"], other), "NI_MSGID_REUSED", psn=patient,
                     msgid=message["msgid"])


def test_ni_1_same_registration_twice_is_one_visit(api, hospital, family):
    patient, _ = family
    message = hospital.envelope("2201", register_input(patient, ipt_otp_no="MZ0001"), psn=patient)
    first = hospital.post(message)
    with unchanged(api.world):
        second = hospital.post(message)
    assert second.content == first.content
    assert answer(second)["output"]["data"]["mdtrt_id"] == answer(first)["output"]["data"]["mdtrt_id"]


def test_ni_1_a_refused_message_may_be_sent_again_corrected(api, hospital, family):
    """A refusal is not kept: the same msgid may come again, corrected, and is done."""
    patient, _ = family
    mdtrt_id = open_visit(hospital, patient, ["500.00"])
    msgid = hospital.msgid()
    hospital.refused("2207", settle_input(patient, mdtrt_id, "499.00"), "NI_TOTALS_DISAGREE", psn=patient,
                     msgid=msgid)
    got = hospital.send("2207", settle_input(patient, mdtrt_id, "500.00"), psn=patient, msgid=msgid)
    assert got["infcode"] == 0 and got["output"]["setlinfo"]["medins_setl_id"] == msgid
