"""Settlement on both databases: who pays, in which order, idempotency, refunds.

Rules: N-3, N-4, N-5, N-10, D-1, D-3, D-5, HN-2, HN-4, HN-5, WL-1, WL-3, WL-5, SZ-1, SZ-3.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from gongji.actors import Actor
from gongji.authorizations import service as authorizations
from gongji.errors import GongjiError
from gongji.ledger import service as ledger
from gongji.ledger.models import Account, Posting
from gongji.people import service as people
from gongji.people.ids import compose_id_number
from gongji.settlement import service as settlement
from gongji.settlement.models import Settlement

ELDER = date(1950, 5, 1)
ADULT = date(1975, 5, 1)
CHILD = date(2000, 5, 1)


def count_settlements(world) -> int:
    return world.db.read(lambda s: s.execute(select(func.count()).select_from(Settlement)).scalar_one())


def refused(fn, code: str) -> GongjiError:
    with pytest.raises(GongjiError) as info:
        fn()
    assert info.value.code == code, info.value
    return info.value


# -- who pays -----------------------------------------------------------------------------------


def test_n_10_own_account_first_then_payer_then_cash(world):
    """N-10: own account pays first, the payer what remains, cash the rest."""
    world.institution()
    payer = world.person("张建国", born=ADULT, current_fen=30_000)
    patient = world.person("张丽", born=CHILD, sex="F", current_fen=1_000)
    world.bind(payer, patient, "child")
    result = world.settle(patient, 50_000)
    assert (result.own_fen, result.mutual_aid_fen, result.cash_fen) == (1_000, 30_000, 19_000)
    assert result.account_fen == 31_000  # NI-4: acct_pay includes the mutual-aid part
    assert [(line.payer_id, line.amount_fen, line.is_own) for line in result.lines] == [
        (patient.id, 1_000, True), (payer.id, 30_000, False)]
    assert world.total(patient) == 0 and world.total(payer) == 0
    assert world.db.read(ledger.check).ok


def test_d_1_current_year_funds_before_prior_years(world):
    """D-1: within one account, current-year funds are spent before prior-years funds."""
    world.institution()
    patient = world.person(current_fen=500, prior_fen=2_000)
    result = world.settle(patient, 1_200)
    assert [(line.fund.value, line.amount_fen) for line in result.lines] == [("current_year", 500),
                                                                               ("prior_years", 700)]
    assert world.balances(patient).prior_years_fen == 1_300


def test_own_account_covers_everything_and_payers_are_not_touched(world):
    world.institution()
    payer = world.person("王强", born=ADULT, current_fen=10_000)
    patient = world.person("王芳", born=CHILD, sex="F", current_fen=9_000)
    world.bind(payer, patient, "child")
    result = world.settle(patient, 8_000)
    assert (result.own_fen, result.mutual_aid_fen, result.cash_fen) == (8_000, 0, 0)
    assert world.total(payer) == 10_000
    assert [s.reason for s in result.skipped] == ["not_needed"]


def test_hn_4_larger_balance_pays_first(world):
    """HN-4: among several payers, the one with the larger balance pays first."""
    world.institution("H41010100001", city="zhengzhou")
    patient = world.person("赵小红", city="zhengzhou", born=CHILD, sex="F", scheme="resident")
    small = world.person("赵大山", city="zhengzhou", born=ADULT, current_fen=3_000)
    large = world.person("钱秀兰", city="zhengzhou", born=ADULT, sex="F", current_fen=8_000)
    henan_family(world, small, (patient, "child"), (large, "spouse"))
    for payer in (small, large):
        bind_in_family(world, payer, patient)
    result = world.settle(patient, 9_000, institution="H41010100001")
    assert [(line.payer_id, line.amount_fen) for line in result.lines] == [(large.id, 8_000), (small.id, 1_000)]


def test_hn_4_equal_balances_go_by_pinyin_name_then_id_number(world):
    """HN-4: equal balances: the payer whose name sorts first by pinyin (李 before 张), not by code point."""
    world.institution("H41010100001", city="zhengzhou")
    patient = world.person("周明", city="zhengzhou", born=CHILD, scheme="resident")
    zhang = world.person("张伟", city="zhengzhou", born=ADULT, current_fen=5_000)
    li = world.person("李娜", city="zhengzhou", born=ADULT, sex="F", current_fen=5_000)
    assert "张" < "李"  # by code point 张 would come first; people expect 李 (li) before 张 (zhang)
    henan_family(world, zhang, (patient, "child"), (li, "spouse"))
    for payer in (zhang, li):
        bind_in_family(world, payer, patient)
    result = world.settle(patient, 6_000, institution="H41010100001")
    assert [(line.payer_id, line.amount_fen) for line in result.lines] == [(li.id, 5_000), (zhang.id, 1_000)]


def henan_family(world, householder, *members: tuple) -> int:
    """HN-1: a family led by the householder, with members (HN-1 binds only inside one family)."""

    def make(s, env):
        family = authorizations.create_family(s, env, householder_id_number=householder.id_number,
                                              name=f"{householder.name}家", actor=householder.actor)
        for member, relationship in members:
            authorizations.add_member(s, env, family_id=family.id, member_id_number=member.id_number,
                                      relationship=relationship, actor=householder.actor)
        return family.id

    return world.run(make)


def bind_in_family(world, payer, beneficiary, relationship: str = "child"):
    """Henan: bind inside a family, with the proof the region asks for (HN-3)."""
    return world.bind(payer, beneficiary, relationship,
                      documents=[{"kind": "household_register", "file_ref": "upload/hukou.pdf"}])


def test_wl_1_fixed_priority_beats_balance(world):
    """WL-1, D-2: in Ulanqab the order set at binding decides; without a priority a payer comes last."""
    world.institution("H15090100001", city="ulanqab")
    patient = world.person("刘奶奶", city="ulanqab", born=ELDER, sex="F", scheme="resident")
    rich = world.person("刘大", city="ulanqab", born=ADULT, current_fen=90_000)
    first = world.person("刘二", city="ulanqab", born=ADULT, current_fen=2_000)
    unranked = world.person("刘三", city="ulanqab", born=ADULT, current_fen=50_000)
    world.bind(rich, patient, "parent", priority=2)
    world.bind(first, patient, "parent", priority=1)
    world.bind(unranked, patient, "parent")
    result = world.settle(patient, 95_000, institution="H15090100001")
    assert [(line.payer_id, line.amount_fen) for line in result.lines] == [
        (first.id, 2_000), (rich.id, 90_000), (unranked.id, 3_000)]


def test_sz_1_only_the_balance_above_the_reserve_line_pays_for_relatives(world):
    """SZ-1: in Shenzhen only what exceeds 4,200 yuan pays for relatives; the payer's own bills are not limited."""
    world.institution("H44030100001", city="shenzhen")
    payer = world.person("陈志强", city="shenzhen", born=ADULT, current_fen=300_000, prior_fen=200_000)
    spouse = world.person("林美玲", city="shenzhen", born=ADULT, sex="F", scheme="resident")
    world.bind(payer, spouse, "spouse")
    result = world.settle(spouse, 100_000, institution="H44030100001")
    assert result.mutual_aid_fen == 500_000 - 420_000
    assert result.cash_fen == 20_000
    assert world.total(payer) == 420_000
    second = world.settle(spouse, 1_000, institution="H44030100001")
    assert second.mutual_aid_fen == 0 and [s.reason for s in second.skipped] == ["no_balance"]
    own = world.settle(payer, 400_000, institution="H44030100001")
    assert own.own_fen == 400_000  # below the line for himself: SZ-1 limits only what relatives get


def test_sz_3_use_outside_the_region_list_is_not_paid_by_relatives(world):
    """SZ-3, N-5: Shenzhen's mutual aid pays clinics, supplementary costs and vaccination, not pharmacies."""
    world.institution("P44030100001", kind="pharmacy", city="shenzhen")
    world.institution("H44030100001", city="shenzhen")
    payer = world.person("陈志强", city="shenzhen", born=ADULT, current_fen=900_000)
    child = world.person("陈小宝", city="shenzhen", born=CHILD, scheme="resident")
    world.bind(payer, child, "child")
    pharmacy = world.settle(child, 5_000, institution="P44030100001", use="pharmacy")
    assert pharmacy.mutual_aid_fen == 0 and pharmacy.cash_fen == 5_000
    assert [s.reason for s in pharmacy.skipped] == ["use_not_allowed"]
    vaccine = world.settle(child, 5_000, institution="H44030100001", use="vaccination")
    assert vaccine.mutual_aid_fen == 5_000


def test_hn_2_suspended_payer_does_not_pay_in_henan(world, env):
    """HN-2: while the payer is suspended, mutual aid does not pay; when normal again, it does."""
    world.institution("H41010100001", city="zhengzhou")
    payer = world.person("孙建华", city="zhengzhou", born=ADULT, current_fen=10_000)
    child = world.person("孙悦", city="zhengzhou", born=CHILD, sex="F", scheme="resident")
    henan_family(world, payer, (child, "child"))
    bind_in_family(world, payer, child)
    world.run(lambda s, env: people.change_status(s, env, id_number=payer.id_number, status="suspended",
                                                  actor=Actor.staff("T1")))
    result = world.settle(child, 3_000, institution="H41010100001")
    assert result.mutual_aid_fen == 0 and [s.reason for s in result.skipped] == ["payer_suspended"]
    world.run(lambda s, env: people.change_status(s, env, id_number=payer.id_number, status="normal",
                                                  actor=Actor.staff("T1")))
    assert world.settle(child, 3_000, institution="H41010100001").mutual_aid_fen == 3_000


def test_hn_2_suspended_beneficiary_gets_no_aid_but_wl_5_own_account_still_pays(world):
    """HN-2: a suspended patient gets no mutual aid in Henan; WL-5: his own balance can still be spent."""
    world.institution("H41010100001", city="zhengzhou")
    payer = world.person("孙建华", city="zhengzhou", born=ELDER, current_fen=10_000)
    son = world.person("孙立", city="zhengzhou", born=ADULT, current_fen=1_000)
    henan_family(world, payer, (son, "child"))
    bind_in_family(world, payer, son)
    world.run(lambda s, env: people.change_status(s, env, id_number=son.id_number, status="suspended",
                                                  actor=Actor.staff("T1")))
    result = world.settle(son, 3_000, institution="H41010100001")
    assert (result.own_fen, result.mutual_aid_fen, result.cash_fen) == (1_000, 0, 2_000)
    assert [s.reason for s in result.skipped] == ["patient_suspended"]


def test_wl_5_suspended_payer_still_pays_in_ulanqab(world):
    """WL-5: Ulanqab lets a lapsed payer's balance still pay for relatives (a region setting)."""
    world.institution("H15090100001", city="ulanqab")
    payer = world.person("马强", city="ulanqab", born=ADULT, current_fen=10_000)
    mother = world.person("马母", city="ulanqab", born=ELDER, sex="F", scheme="resident")
    world.bind(payer, mother, "parent")
    world.run(lambda s, env: people.change_status(s, env, id_number=payer.id_number, status="suspended",
                                                  actor=Actor.staff("T1")))
    assert world.settle(mother, 4_000, institution="H15090100001").mutual_aid_fen == 4_000


def test_d_5_scope_is_checked_on_the_settlement_date(world):
    """D-5: a payer who has since enrolled in another province no longer pays (N-6 scope, at settlement)."""
    world.institution()
    payer = world.person("高峰", born=ADULT, current_fen=10_000)
    wife = world.person("高妻", born=ADULT, sex="F", scheme="resident")
    world.bind(payer, wife, "spouse")

    def move(s, env):
        people.find(s, payer.id_number).enrollment.region_code = "410100"

    world.run(move)
    result = world.settle(wife, 1_000)
    assert result.mutual_aid_fen == 0 and [s.reason for s in result.skipped] == ["out_of_scope"]


def test_d_3_binding_pays_from_start_through_end_date_inclusive(world, clock):
    """D-3: active from the start date through the end date; not before, not after."""
    world.institution()
    payer = world.person("吴刚", born=ADULT, current_fen=100_000)
    son = world.person("吴小", born=CHILD, scheme="resident")
    world.bind(payer, son, "child", start_on=date(2025, 6, 3), end_on=date(2025, 6, 10))
    assert world.settle(son, 100).mutual_aid_fen == 0  # 6-02: not started
    clock.advance(days=1)
    assert world.settle(son, 100).mutual_aid_fen == 100  # 6-03: first day
    clock.advance(days=7)
    assert world.settle(son, 100).mutual_aid_fen == 100  # 6-10: last day
    clock.advance(days=1)
    assert world.settle(son, 100).mutual_aid_fen == 0  # 6-11: expired


def test_unbound_payer_pays_no_more(world):
    world.institution()
    payer = world.person("吴刚", born=ADULT, current_fen=100_000)
    son = world.person("吴小", born=CHILD, scheme="resident")
    binding_id = world.bind(payer, son, "child")
    world.run(lambda s, env: authorizations.unbind(s, env, binding_id=binding_id, actor=payer.actor))
    assert world.settle(son, 100).mutual_aid_fen == 0


def test_n_3_mutual_aid_posts_only_between_personal_accounts_and_the_institution(world):
    """N-3: mutual aid spends personal accounts only; the only other leg is what the institution is owed."""
    world.institution()
    payer = world.person("郑和", born=ADULT, current_fen=10_000)
    wife = world.person("郑妻", born=ADULT, sex="F", scheme="resident")
    world.bind(payer, wife, "spouse")
    result = world.settle(wife, 6_000)

    def legs(s):
        entry = s.get(Settlement, result.settlement_id).entry_id
        return s.execute(select(Account.person_id, Account.system_key, Posting.amount_fen)
                         .join(Account, Account.id == Posting.account_id).where(Posting.entry_id == entry)).all()

    rows = world.db.read(legs)
    assert sorted((r.amount_fen, r.person_id, r.system_key) for r in rows) == [
        (-6_000, payer.id, None), (6_000, None, "institution:H23010100001")]


# -- quote ----------------------------------------------------------------------------------------


def test_quote_writes_nothing_and_matches_the_settlement(world):
    world.institution()
    payer = world.person("冯军", born=ADULT, current_fen=7_000)
    patient = world.person("冯女", born=CHILD, sex="F", current_fen=500)
    world.bind(payer, patient, "child")
    quote = world.run(lambda s, env: settlement.quote(s, env, institution_code="H23010100001",
                                                      patient_id_number=patient.id_number, amount_fen=9_000,
                                                      use="outpatient"))
    assert quote.settlement_id is None
    assert count_settlements(world) == 0 and world.total(payer) == 7_000
    settled = world.settle(patient, 9_000)
    assert (quote.own_fen, quote.mutual_aid_fen, quote.cash_fen) == (settled.own_fen, settled.mutual_aid_fen,
                                                                      settled.cash_fen)
    assert quote.lines == settled.lines


# -- N-4: own card, proxy purchase -------------------------------------------------------------------


def test_n_4_a_card_of_someone_else_is_refused(world):
    """N-4: a patient always uses his own card; a relative's card is never used for him."""
    world.institution()
    payer = world.person("何父", born=ADULT, current_fen=10_000, card_no="HLJ100001")
    child = world.person("何子", born=CHILD, scheme="resident", card_no="HLJ100002")
    world.bind(payer, child, "child")
    refused(lambda: world.settle(child, 1_000, cert=settlement.Certificate("insurance_card", "HLJ100001")),
            "CARD_NOT_PATIENTS")
    assert count_settlements(world) == 0 and world.total(payer) == 10_000
    ok = world.settle(child, 1_000, cert=settlement.Certificate("insurance_card", "HLJ100002"))
    assert ok.mutual_aid_fen == 1_000


def test_wl_3_proxy_purchase_records_patient_and_agent(world):
    """WL-3, N-4: a relative may buy for the patient with the patient's card; both identities are kept."""
    world.institution("P23010100001", kind="pharmacy")
    patient = world.person("黄奶奶", born=ELDER, sex="F", current_fen=5_000, card_no="HLJ200001")
    agent = world.person("黄孙", born=CHILD)
    result = world.settle(patient, 2_000, institution="P23010100001", use="pharmacy",
                          cert=settlement.Certificate("insurance_card", "HLJ200001"),
                          agent=settlement.Agent(name="黄孙", id_number=agent.id_number))
    row = world.db.read(lambda s: s.get(Settlement, result.settlement_id))
    assert (row.cert_no, row.agent_name, row.agent_id_number) == ("HLJ200001", "黄孙", agent.id_number)
    refused(lambda: world.settle(patient, 2_000, institution="P23010100001", use="pharmacy",
                                 agent=settlement.Agent(name="黄孙", id_number="")), "AGENT_INCOMPLETE")


# -- refunds (HN-5) ---------------------------------------------------------------------------------


def three_way_bill(world):
    """A bill paid by own account (1,000), a payer (3,000) and cash (2,000)."""
    world.institution()
    world.institution("H23010100002")
    payer = world.person("罗父", born=ADULT, current_fen=3_000)
    patient = world.person("罗女", born=CHILD, sex="F", current_fen=1_000)
    binding = world.bind(payer, patient, "child")
    result = world.settle(patient, 6_000)
    assert (result.own_fen, result.mutual_aid_fen, result.cash_fen) == (1_000, 3_000, 2_000)
    return payer, patient, binding, result


def refund(world, result, amount=None, key="r-1", institution="H23010100001"):
    return world.run(lambda s, env: settlement.refund(s, env, institution_code=institution,
                                                      settlement_id=result.settlement_id, amount_fen=amount,
                                                      idempotency_key=key))


def test_hn_5_refund_goes_back_to_the_payer_even_after_unbinding(world):
    """HN-5: after the binding has ended, a refund still goes back to the payer's account."""
    payer, patient, binding, result = three_way_bill(world)
    world.run(lambda s, env: authorizations.unbind(s, env, binding_id=binding, actor=payer.actor))
    back = refund(world, result)
    assert (back.amount_fen, back.cash_fen) == (6_000, 2_000)
    assert world.total(payer) == 3_000 and world.total(patient) == 1_000
    assert back.settlement_status == "refunded"
    assert world.db.read(ledger.check).ok


def test_partial_refunds_go_in_reverse_order_cash_first_own_account_last(world):
    """HN-5: partial refunds return cash first, then the payer, the patient's own account last."""
    payer, patient, _binding, result = three_way_bill(world)
    first = refund(world, result, 2_500, key="r-1")
    assert first.cash_fen == 2_000 and [(x.payer_id, x.amount_fen) for x in first.lines] == [(payer.id, 500)]
    second = refund(world, result, 3_000, key="r-2")
    assert second.cash_fen == 0
    assert [(x.payer_id, x.amount_fen) for x in second.lines] == [(payer.id, 2_500), (patient.id, 500)]
    assert world.total(payer) == 3_000 and world.total(patient) == 500
    assert second.settlement_status == "partially_refunded"
    refused(lambda: refund(world, result, 501, key="r-3"), "REFUND_EXCEEDS_PAID")
    last = refund(world, result, 500, key="r-4")
    assert last.settlement_status == "refunded" and world.total(patient) == 1_000
    refused(lambda: refund(world, result, key="r-5"), "SETTLEMENT_FULLY_REFUNDED")


def test_refund_is_idempotent_and_only_for_the_settling_institution(world):
    payer, _patient, _binding, result = three_way_bill(world)
    refused(lambda: refund(world, result, 100, institution="H23010100002"), "SETTLEMENT_OF_OTHER_INSTITUTION")
    first = refund(world, result, 2_100, key="same")
    again = refund(world, result, 2_100, key="same")
    assert again.replayed and again.refund_id == first.refund_id
    assert world.total(payer) == 100
    refused(lambda: refund(world, result, 2_200, key="same"), "IDEMPOTENCY_KEY_REUSED")


def test_same_key_returns_first_result_and_moves_no_more_money(world):
    world.institution()
    patient = world.person(current_fen=10_000)
    first = world.settle(patient, 4_000, key="visit-1")
    again = world.settle(patient, 4_000, key="visit-1")
    assert again.replayed and again.settlement_id == first.settlement_id
    assert again.lines == first.lines
    assert world.total(patient) == 6_000
    refused(lambda: world.settle(patient, 4_001, key="visit-1"), "IDEMPOTENCY_KEY_REUSED")
    assert world.total(patient) == 6_000 and count_settlements(world) == 1


# -- bad input changes nothing ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"amount_fen": 12.5}, "INVALID_AMOUNT"),
        ({"amount_fen": 100.0}, "INVALID_AMOUNT"),
        ({"amount_fen": -100}, "INVALID_AMOUNT"),
        ({"amount_fen": 0}, "INVALID_AMOUNT"),
        ({"amount_fen": "100"}, "INVALID_AMOUNT"),
        ({"use": "massage"}, "UNKNOWN_USE"),
        ({"institution_code": "H99999999999"}, "INSTITUTION_NOT_FOUND"),
        ({"institution_code": "P23010100001"}, "INSTITUTION_CANNOT_SETTLE_USE"),
        ({"institution_code": "H41010100001"}, "INSTITUTION_OUT_OF_REGION"),
        ({"patient_id_number": "230100197001010011"}, "INVALID_ID_NUMBER"),
        ({"patient_id_number": compose_id_number("110100", date(1990, 3, 7), 1, "M")}, "PERSON_NOT_FOUND"),
        ({"idempotency_key": ""}, "INVALID_IDEMPOTENCY_KEY"),
        ({"idempotency_key": "x" * 101}, "INVALID_IDEMPOTENCY_KEY"),
    ],
)
def test_bad_settlement_input_is_refused_and_changes_nothing(world, change, code):
    world.institution()
    world.institution("P23010100001", kind="pharmacy")
    world.institution("H41010100001", city="zhengzhou")
    patient = world.person(current_fen=10_000)
    request = {"institution_code": "H23010100001", "patient_id_number": patient.id_number, "amount_fen": 1_000,
               "use": "outpatient", "idempotency_key": "k"} | change
    error = refused(lambda: world.run(lambda s, env: settlement.settle(s, env, **request)), code)
    assert error.message_zh and error.message_en and 400 <= error.status < 500
    assert world.total(patient) == 10_000 and count_settlements(world) == 0


def test_terminated_patient_cannot_settle(world):
    world.institution()
    patient = world.person(current_fen=10_000)
    world.run(lambda s, env: people.change_status(s, env, id_number=patient.id_number, status="terminated",
                                                  actor=Actor.staff("T1")))
    refused(lambda: world.settle(patient, 100), "NOT_ENROLLED")
    assert world.total(patient) == 10_000


# -- SZ-5: paper attestation, N-11: 亲情账户 is not mutual aid, HN-9: no cross-province bindings -------------


def attest(payer, relationship="parent", signed=True, phone="13800138000"):
    return settlement.Attestation(payer_id_number=payer.id_number, relationship=relationship, phone=phone,
                                  signed=signed)


def test_sz_5_paper_attestation_pays_once_without_a_binding(world):
    """SZ-5: before a link exists, a signed attestation on the prescription lets the relative's account pay once."""
    world.institution("H44030100001", city="shenzhen")
    son = world.person("陈志强", city="shenzhen", born=ADULT, current_fen=500_000)
    mother = world.person("陈母", city="shenzhen", born=ELDER, sex="F", scheme="resident")
    result = world.settle(mother, 50_000, institution="H44030100001", attestation=attest(son))
    assert result.mutual_aid_fen == 50_000 and result.lines[0].binding_id is None
    assert not result.lines[0].is_own
    row = world.db.read(lambda s: s.get(Settlement, result.settlement_id))
    assert (row.attested_payer_id, row.attestation_relationship, row.attestation_phone) == (
        son.id, "parent", "13800138000")
    # One-off: the next bill without an attestation is not paid by him.
    assert world.settle(mother, 1_000, institution="H44030100001").mutual_aid_fen == 0
    # SZ-1 still holds for an attested payment: only the balance above 4,200 yuan.
    big = world.settle(mother, 900_000, institution="H44030100001", attestation=attest(son))
    assert big.mutual_aid_fen == 450_000 - 420_000


def test_sz_5_attestation_is_refused_unsigned_or_where_the_region_takes_none(world):
    """SZ-5: an attestation must be signed; regions without the setting refuse it (binding first)."""
    world.institution("H44030100001", city="shenzhen")
    world.institution()
    son = world.person("陈志强", city="shenzhen", born=ADULT, current_fen=500_000)
    mother = world.person("陈母", city="shenzhen", born=ELDER, sex="F", scheme="resident")
    refused(lambda: world.settle(mother, 100, institution="H44030100001", attestation=attest(son, signed=False)),
            "ATTESTATION_UNSIGNED")
    refused(lambda: world.settle(mother, 100, institution="H44030100001",
                                 attestation=attest(son, "sibling")), "RELATIONSHIP_NOT_ALLOWED")
    harbin_son = world.person("李强", born=ADULT, current_fen=500_000)
    harbin_mother = world.person("李母", born=ELDER, sex="F", scheme="resident")
    refused(lambda: world.settle(harbin_mother, 100, attestation=attest(harbin_son)),
            "ATTESTATION_NOT_OFFERED")
    assert world.total(son) == 500_000 and world.total(harbin_son) == 500_000
    assert count_settlements(world) == 0


def test_n_11_a_relatives_voucher_on_ones_phone_spends_only_the_patients_own_money(world):
    """N-11: 亲情账户 shows the relative's own voucher; it spends the patient's entitlements, not the phone owner's."""
    world.institution()
    daughter = world.person("王女", born=ADULT, sex="F", current_fen=80_000)  # holds her father's voucher
    father = world.person("王父", born=ELDER, current_fen=3_000, card_no="HLJ300001")
    result = world.settle(father, 5_000, cert=settlement.Certificate("e_voucher", "EV-FATHER-0001"))
    assert (result.own_fen, result.mutual_aid_fen, result.cash_fen) == (3_000, 0, 2_000)
    assert world.total(daughter) == 80_000
    # Only a binding (mutual aid) makes her account pay.
    world.bind(daughter, father, "parent")
    assert world.settle(father, 1_000).mutual_aid_fen == 1_000


def test_hn_9_cross_province_aid_is_not_a_binding(world):
    """HN-9, N-6: relatives in another province are reached by the wallet's transfers, never by a binding."""
    henan_payer = world.person("河南父", city="zhengzhou", born=ADULT, current_fen=10_000)
    harbin_child = world.person("哈尔滨子", born=CHILD, scheme="resident")
    refused(lambda: world.bind(henan_payer, harbin_child, "child",
                               documents=[{"kind": "household_register", "file_ref": "f.pdf"}]), "OUT_OF_SCOPE")


# -- a retry gets the first answer, whatever has changed since --------------------------------------------------


def test_a_retry_after_the_patient_was_terminated_gets_the_first_answer(world):
    """N-10 paid once: the retried request is answered from its key before any check of today's state."""
    world.institution()
    patient = world.person(current_fen=10_000)
    first = world.settle(patient, 3_000, key="his-0001")
    world.run(lambda s, env: people.change_status(s, env, id_number=patient.id_number, status="terminated",
                                                  actor=Actor.staff("T1")))
    again = world.settle(patient, 3_000, key="his-0001")
    assert again.replayed and again.settlement_id == first.settlement_id and again.own_fen == 3_000
    refused(lambda: world.settle(patient, 3_000, key="his-0002"), "NOT_ENROLLED")
    assert world.total(patient) == 7_000


def test_n_4_a_proxy_purchase_needs_the_patients_card_and_another_person(world):
    """N-4, WL-3: the agent brings the patient's own card, and the agent is not the patient."""
    world.institution("P23010100001", kind="pharmacy")
    patient = world.person("黄奶奶", born=ELDER, sex="F", current_fen=5_000, card_no="HLJ200001")
    agent = world.person("黄孙", born=CHILD)
    refused(lambda: world.settle(patient, 1_000, institution="P23010100001", use="pharmacy",
                                 agent=settlement.Agent(name="黄孙", id_number=agent.id_number)),
            "AGENT_NEEDS_PATIENT_CARD")
    refused(lambda: world.settle(patient, 1_000, institution="P23010100001", use="pharmacy",
                                 cert=settlement.Certificate("insurance_card", "HLJ200001"),
                                 agent=settlement.Agent(name="黄奶奶", id_number=patient.id_number)),
            "AGENT_IS_PATIENT")
    assert world.total(patient) == 5_000 and count_settlements(world) == 0
