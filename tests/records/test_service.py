"""What payers and beneficiaries can look up, on both databases (N-9, HN-5, HN-6).

Account changes (账户变动), consumption records (消费记录) as patient, payments as payer and
payments received, with date filters and paging; the other side's ID number is masked.
"""

from __future__ import annotations

from datetime import date

import pytest

from gongji.authorizations import service as authorizations
from gongji.people.ids import mask
from gongji.records import service as records
from gongji.settlement import service as settlement
from tests.factories import refused

D1, D2, D3 = date(2025, 6, 2), date(2025, 6, 12), date(2025, 6, 22)
HOSPITAL = "H23010100001"


def query(world, fn, person, **kwargs) -> records.Page:
    return world.db.read(lambda s: fn(s, person_id=person.id, **kwargs))


def refund(world, settlement_id: int, key: str, amount_fen: int | None = None, institution: str = HOSPITAL):
    return world.run(lambda s, env: settlement.refund(s, env, institution_code=institution,
                                                      settlement_id=settlement_id, idempotency_key=key,
                                                      amount_fen=amount_fen))


@pytest.fixture
def story(world, clock):
    """Harbin: a husband pays for his wife over three weeks; one bill is refunded.

    D1 2025-06-02: wife's bill 5,000 fen: her own 1,000, husband 4,000.
    D2 2025-06-12: wife's bill 3,000: husband 3,000; husband's own bill 2,000.
    D3 2025-06-22: the first bill refunded in full: 4,000 back to him, 1,000 back to her.
    """
    world.institution(HOSPITAL, name="哈尔滨医科大学附属第一医院")
    world.institution("P23010100002", kind="pharmacy", name="老百姓大药房")
    husband = world.person("张建国", current_fen=30_000)
    wife = world.person("王秀英", sex="F", current_fen=1_000)
    world.bind(husband, wife)
    first = world.settle(wife, 5_000)
    clock.advance(days=10)
    second = world.settle(wife, 3_000, institution="P23010100002", use="pharmacy")
    own = world.settle(husband, 2_000)
    clock.advance(days=10)
    refund(world, first.settlement_id, "r-1")
    return husband, wife, first.settlement_id, second.settlement_id, own.settlement_id


# -- account changes (N-9, HN-6) ------------------------------------------------------------------------


def test_n_9_account_changes_show_credit_settlement_and_refund_with_balance_after(world, story):
    husband, wife, *_ = story
    page = query(world, records.account_changes, husband)
    assert page.total == 5 and (page.limit, page.offset) == (50, 0)
    assert [(c.on, c.kind, c.fund, c.amount_fen, c.balance_after_fen) for c in page.items] == [
        (D3, "refund", "current_year", 4_000, 25_000),
        (D2, "settlement", "current_year", -2_000, 21_000),
        (D2, "settlement", "current_year", -3_000, 23_000),
        (D1, "settlement", "current_year", -4_000, 26_000),
        (D1, "credit", "current_year", 30_000, 30_000),
    ]
    assert world.total(husband) == page.items[0].balance_after_fen
    page = query(world, records.account_changes, wife)
    assert [(c.on, c.kind, c.amount_fen, c.balance_after_fen) for c in page.items] == [
        (D3, "refund", 1_000, 1_000), (D1, "settlement", -1_000, 0), (D1, "credit", 1_000, 1_000)]


def test_n_9_account_changes_by_date_and_page(world, story):
    husband, *_ = story
    page = query(world, records.account_changes, husband, from_on=D2, to_on=D2)
    assert [c.amount_fen for c in page.items] == [-2_000, -3_000] and page.total == 2
    page = query(world, records.account_changes, husband, from_on=D2)
    assert page.total == 3
    page = query(world, records.account_changes, husband, to_on=D1)
    assert [c.kind for c in page.items] == ["settlement", "credit"]
    page = query(world, records.account_changes, husband, limit=2, offset=0)
    assert (page.total, len(page.items), [c.on for c in page.items]) == (5, 2, [D3, D2])
    page = query(world, records.account_changes, husband, limit=2, offset=4)
    assert (page.total, [c.kind for c in page.items]) == (5, ["credit"])
    page = query(world, records.account_changes, husband, limit=2, offset=10)
    assert (page.total, page.items) == (5, [])
    assert query(world, records.account_changes, husband, from_on=date(2025, 7, 1)).total == 0


def test_account_changes_of_someone_without_an_account_are_empty(world):
    resident = world.person("李娟", scheme="resident")
    page = query(world, records.account_changes, resident)
    assert (page.items, page.total) == ([], 0)


# -- consumption records (N-9, HN-6) --------------------------------------------------------------------


def test_n_9_consumption_as_patient_shows_how_each_bill_was_paid(world, story):
    husband, wife, first, second, own = story
    page = query(world, records.consumption_as_patient, wife)
    assert page.total == 2
    assert [(c.settlement_id, c.on, c.institution_name, c.use, c.amount_fen, c.own_fen, c.mutual_aid_fen,
             c.cash_fen, c.refunded_fen, c.status) for c in page.items] == [
        (second, D2, "老百姓大药房", "pharmacy", 3_000, 0, 3_000, 0, 0, "settled"),
        (first, D1, "哈尔滨医科大学附属第一医院", "outpatient", 5_000, 1_000, 4_000, 0, 5_000, "refunded"),
    ]
    [mine] = query(world, records.consumption_as_patient, husband).items
    assert (mine.settlement_id, mine.own_fen, mine.mutual_aid_fen) == (own, 2_000, 0)
    assert [c.settlement_id for c in query(world, records.consumption_as_patient, wife, from_on=D2).items] == [
        second]
    assert [c.settlement_id for c in query(world, records.consumption_as_patient, wife, to_on=D1).items] == [first]
    page = query(world, records.consumption_as_patient, wife, limit=1, offset=1)
    assert (page.total, [c.settlement_id for c in page.items]) == (2, [first])


# -- paid for relatives, both sides (N-9) ---------------------------------------------------------------


def test_n_9_payments_as_payer_and_paid_for_me_are_the_same_rows_from_both_sides(world, story):
    husband, wife, first, second, own = story
    as_payer = query(world, records.payments_as_payer, husband)
    assert as_payer.total == 2  # his own bill is not mutual aid
    assert [(p.settlement_id, p.on, p.other_name, p.other_id_number, p.institution_name, p.use, p.fund,
             p.amount_fen, p.refunded_fen) for p in as_payer.items] == [
        (second, D2, "王秀英", mask(wife.id_number), "老百姓大药房", "pharmacy", "current_year", 3_000, 0),
        (first, D1, "王秀英", mask(wife.id_number), "哈尔滨医科大学附属第一医院", "outpatient", "current_year",
         4_000, 4_000),
    ]
    for_me = query(world, records.paid_for_me, wife)
    assert for_me.total == 2
    assert [(p.settlement_id, p.other_name, p.other_id_number, p.amount_fen, p.refunded_fen)
            for p in for_me.items] == [
        (second, "张建国", mask(husband.id_number), 3_000, 0),
        (first, "张建国", mask(husband.id_number), 4_000, 4_000),
    ]
    assert query(world, records.payments_as_payer, wife).total == 0
    assert query(world, records.paid_for_me, husband).total == 0


def test_n_9_the_other_sides_id_number_is_masked(world, story):
    husband, wife, *_ = story
    shown = [p.other_id_number for p in query(world, records.payments_as_payer, husband).items]
    shown += [p.other_id_number for p in query(world, records.paid_for_me, wife).items]
    for value, owner in zip(shown, [wife, wife, husband, husband], strict=True):
        assert value == owner.id_number[:4] + "*" * 10 + owner.id_number[-4:]
        assert value != owner.id_number


def test_n_9_payments_by_date_and_page(world, story):
    husband, wife, first, second, _ = story
    assert [p.settlement_id for p in query(world, records.payments_as_payer, husband, from_on=D2).items] == [second]
    assert [p.settlement_id for p in query(world, records.paid_for_me, wife, to_on=D1).items] == [first]
    assert query(world, records.paid_for_me, wife, from_on=D3).total == 0
    page = query(world, records.payments_as_payer, husband, limit=1)
    assert (page.total, page.limit, [p.settlement_id for p in page.items]) == (2, 1, [second])
    page = query(world, records.paid_for_me, wife, limit=1, offset=1)
    assert [p.settlement_id for p in page.items] == [first]


@pytest.mark.parametrize("fn", [records.account_changes, records.consumption_as_patient,
                                records.payments_as_payer, records.paid_for_me])
@pytest.mark.parametrize(("kwargs", "field"), [
    ({"limit": 0}, "limit"),
    ({"limit": 201}, "limit"),
    ({"limit": -1}, "limit"),
    ({"limit": True}, "limit"),
    ({"limit": "10"}, "limit"),
    ({"limit": 10.0}, "limit"),
    ({"offset": -1}, "offset"),
    ({"offset": "0"}, "offset"),
    ({"from_on": D2, "to_on": D1}, "to_on"),
])
def test_invalid_paging_or_dates_are_refused(world, fn, kwargs, field):
    husband = world.person("张建国", current_fen=1_000)
    error = refused(world, lambda: query(world, fn, husband, **kwargs), "INVALID_FIELD")
    assert error.params["field"] == field


def test_limit_200_is_the_largest_page(world, story):
    husband, *_ = story
    assert query(world, records.account_changes, husband, limit=200).limit == 200


# -- Henan: both sides query; refunds go back to the payer after unbinding (HN-5, HN-6) ----------------


def test_hn_6_hn_5_henan_both_sides_see_consumption_and_changes_also_after_unbinding(world, clock):
    """HN-6: consumption records and account changes for both sides; HN-5: a refund goes back to the
    account that paid, also when the binding has ended since."""
    world.institution("H41010000001", city="zhengzhou", name="郑州大学第一附属医院")
    payer = world.person("王建军", city="zhengzhou", current_fen=10_000)
    son = world.person("王小明", city="zhengzhou", born=date(2000, 3, 3), scheme="resident")
    family = world.run(lambda s, env: authorizations.create_family(
        s, env, householder_id_number=payer.id_number, name="王家", actor=payer.actor))
    world.run(lambda s, env: authorizations.add_member(
        s, env, family_id=family.id, member_id_number=son.id_number, relationship="child", actor=payer.actor))
    binding_id = world.bind(payer, son, "child", documents=[{"kind": "household_register",
                                                              "file_ref": "upload/1.pdf"}])
    bill = world.settle(son, 6_000, institution="H41010000001")
    assert (bill.own_fen, bill.mutual_aid_fen) == (0, 6_000)
    clock.advance(days=3)
    world.run(lambda s, env: authorizations.unbind(s, env, binding_id=binding_id, actor=payer.actor))
    refund(world, bill.settlement_id, "r-hn", amount_fen=2_500, institution="H41010000001")

    changes = query(world, records.account_changes, payer)
    assert [(c.on, c.kind, c.amount_fen, c.balance_after_fen) for c in changes.items] == [
        (date(2025, 6, 5), "refund", 2_500, 6_500), (D1, "settlement", -6_000, 4_000),
        (D1, "credit", 10_000, 10_000)]
    [paid] = query(world, records.payments_as_payer, payer).items
    assert (paid.other_name, paid.amount_fen, paid.refunded_fen) == ("王小明", 6_000, 2_500)
    assert paid.other_id_number == mask(son.id_number)
    [consumed] = query(world, records.consumption_as_patient, son).items
    assert (consumed.mutual_aid_fen, consumed.refunded_fen, consumed.status) == (6_000, 2_500,
                                                                                 "partially_refunded")
    [received] = query(world, records.paid_for_me, son).items
    assert (received.other_name, received.other_id_number) == ("王建军", mask(payer.id_number))
    assert query(world, records.account_changes, son).total == 0  # a resident has no account
    [record] = world.db.read(lambda s: records.authorization_records(
        s, person_id=son.id, today=world.env.today())).items
    assert (record.state, record.end_reason, record.other_id_number) == ("ended", "by_payer", mask(payer.id_number))


def test_n_9_n_5_a_contribution_paid_for_a_relative_shows_on_both_sides(world):
    """N-9: payer and beneficiary can see what was paid; N-5: a resident contribution is such a payment."""
    from gongji.transfers import service as transfers

    payer = world.person("张建国", current_fen=50_000)
    daughter = world.person("张小红", born=date(2003, 3, 3), sex="F", scheme="resident")
    world.bind(payer, daughter, "child")
    world.run(lambda s, env: transfers.pay_resident_contribution(
        s, env, payer_id_number=payer.id_number, beneficiary_id_number=daughter.id_number, year=2025,
        amount_fen=40_000, idempotency_key="rc", actor=payer.actor))
    assert [c.kind for c in query(world, records.account_changes, payer).items][0] == "resident_contribution"
    assert query(world, records.payments_as_payer, payer).total == 1
    assert query(world, records.paid_for_me, daughter).total == 1
