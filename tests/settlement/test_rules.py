"""Who pays what: the pure rules of gongji/settlement/rules.py (no database, no clock).

Examples pin the exact amounts each rule demands; hypothesis properties check that for any balances,
amounts and payers the plan adds up, never overdraws, and follows N-10's order.

Rules: N-3, N-5, N-10, D-1, D-2, D-5, HN-2, HN-4, HN-5, SZ-1, HZ-1, WL-1, WL-5.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gongji.authorizations.rules import Party
from gongji.people.service import name_sort_key
from gongji.policy import PayerOrder
from gongji.settlement import rules
from gongji.settlement.rules import FundBalance, PaidPart, PayerCandidate
from gongji.terms import Fund, Scheme, Status, Use
from tests.regions import HENAN, SHENZHEN, ULANQAB

CY, PY = Fund.CURRENT_YEAR, Fund.PRIOR_YEARS
PATIENT_ID = 100


def own(current: int = 0, prior: int = 0) -> tuple[FundBalance, ...]:
    return (FundBalance(1, CY, current), FundBalance(2, PY, prior))


def payer(
    payer_id: int,
    *,
    current: int = 0,
    prior: int = 0,
    name: str = "张伟",
    id_number: str | None = None,
    priority: int | None = None,
    reserve: int = 0,
    funds_for_relatives: frozenset[Fund] = frozenset({CY, PY}),
) -> PayerCandidate:
    return PayerCandidate(
        payer_id=payer_id,
        binding_id=payer_id * 10,
        name=name,
        name_sort_key=name_sort_key(name),
        id_number=id_number or f"{payer_id:018d}",
        priority=priority,
        funds=(FundBalance(payer_id * 100 + 1, CY, current), FundBalance(payer_id * 100 + 2, PY, prior)),
        reserve_line_fen=reserve,
        funds_for_relatives=funds_for_relatives,
    )


def paid(plan: rules.Plan) -> list[tuple[int, Fund, int | None, int]]:
    return [(p.payer_id, p.fund, p.binding_id, p.amount_fen) for p in plan.parts]


def by_payer(plan: rules.Plan) -> dict[int, int]:
    totals: dict[int, int] = {}
    for part in plan.parts:
        totals[part.payer_id] = totals.get(part.payer_id, 0) + part.amount_fen
    return totals


# -- N-10: own account first, then payers, then cash ---------------------------------------------------


def test_n_10_own_account_pays_everything_it_can_and_payers_nothing():
    """N-10: when the own account covers the bill, no payer is touched."""
    plan = rules.allocate(
        amount_fen=500, patient_id=PATIENT_ID, own_funds=own(current=800), payers=[payer(1, current=10_000)]
    )
    assert paid(plan) == [(PATIENT_ID, CY, None, 500)]
    assert (plan.own_fen, plan.mutual_aid_fen, plan.cash_fen) == (500, 0, 0)


def test_n_10_own_first_then_payer_then_cash():
    """N-10: own account first, authorized accounts only what remains, the rest in cash."""
    plan = rules.allocate(
        amount_fen=50_000,
        patient_id=PATIENT_ID,
        own_funds=own(current=1_000),
        payers=[payer(1, current=30_000)],
    )
    assert paid(plan) == [(PATIENT_ID, CY, None, 1_000), (1, CY, 10, 30_000)]
    assert (plan.own_fen, plan.mutual_aid_fen, plan.cash_fen) == (1_000, 30_000, 19_000)
    assert plan.amount_fen == 50_000


def test_n_10_second_payer_pays_only_after_the_first_is_spent():
    """N-10, WL-1: when one is spent, the next pays."""
    plan = rules.allocate(
        amount_fen=1_000,
        patient_id=PATIENT_ID,
        own_funds=own(),
        payers=[payer(1, current=300), payer(2, current=5_000), payer(3, current=5_000)],
    )
    assert by_payer(plan) == {1: 300, 2: 700}
    assert plan.cash_fen == 0


def test_n_10_no_money_anywhere_is_all_cash():
    plan = rules.allocate(amount_fen=1_234, patient_id=PATIENT_ID, own_funds=own(), payers=[payer(1)])
    assert plan.parts == ()
    assert (plan.own_fen, plan.mutual_aid_fen, plan.cash_fen) == (0, 0, 1_234)


@pytest.mark.parametrize("amount", [0, -1])
def test_allocate_refuses_a_non_positive_amount(amount):
    with pytest.raises(ValueError):
        rules.allocate(amount_fen=amount, patient_id=PATIENT_ID, own_funds=own(current=10), payers=[])


# -- D-1: current-year before prior-years ---------------------------------------------------------------


def test_d_1_own_current_year_before_prior_years():
    """D-1: within one account, current-year funds are spent before prior-years funds."""
    plan = rules.allocate(
        amount_fen=1_200, patient_id=PATIENT_ID, own_funds=own(current=500, prior=2_000), payers=[]
    )
    assert paid(plan) == [(PATIENT_ID, CY, None, 500), (PATIENT_ID, PY, None, 700)]


def test_d_1_order_does_not_depend_on_the_order_funds_are_listed():
    funds = (FundBalance(2, PY, 2_000), FundBalance(1, CY, 500))
    plan = rules.allocate(amount_fen=600, patient_id=PATIENT_ID, own_funds=funds, payers=[])
    assert paid(plan) == [(PATIENT_ID, CY, None, 500), (PATIENT_ID, PY, None, 100)]


def test_d_1_payer_current_year_before_prior_years():
    plan = rules.allocate(
        amount_fen=900, patient_id=PATIENT_ID, own_funds=own(), payers=[payer(1, current=400, prior=1_000)]
    )
    assert paid(plan) == [(1, CY, 10, 400), (1, PY, 10, 500)]


def test_hz_1_d_1_prior_years_only_leaves_current_year_untouched():
    """HZ-1, D-1: where only prior-years funds pay for relatives, the payer's current-year funds do not."""
    prior_only = payer(1, current=50_000, prior=3_000, funds_for_relatives=frozenset({PY}))
    assert prior_only.available_fen == 3_000
    plan = rules.allocate(amount_fen=10_000, patient_id=PATIENT_ID, own_funds=own(), payers=[prior_only])
    assert paid(plan) == [(1, PY, 10, 3_000)]
    assert plan.cash_fen == 7_000


def test_hz_1_funds_for_relatives_do_not_limit_the_patients_own_account():
    """HZ-1 limits what pays for relatives; the patient's own current-year funds still pay for himself."""
    prior_only = payer(1, prior=3_000, funds_for_relatives=frozenset({PY}))
    plan = rules.allocate(
        amount_fen=500, patient_id=PATIENT_ID, own_funds=own(current=500), payers=[prior_only]
    )
    assert paid(plan) == [(PATIENT_ID, CY, None, 500)]


# -- SZ-1: the reserve line ---------------------------------------------------------------------------


def test_sz_1_only_the_balance_above_the_reserve_line_pays():
    """SZ-1: with 4,200 yuan reserved, a 5,000-yuan balance has 800 yuan for relatives."""
    candidate = payer(1, current=500_000, reserve=SHENZHEN.reserve_line_fen)
    assert candidate.available_fen == 80_000
    plan = rules.allocate(amount_fen=100_000, patient_id=PATIENT_ID, own_funds=own(), payers=[candidate])
    assert paid(plan) == [(1, CY, 10, 80_000)]
    assert plan.cash_fen == 20_000


def test_sz_1_reserve_is_computed_on_the_whole_account():
    """SZ-1: the line is on the account total (current 3,000 + prior 2,000 yuan): 800 yuan above it."""
    candidate = payer(1, current=300_000, prior=200_000, reserve=420_000)
    assert candidate.total_fen == 500_000
    assert candidate.available_fen == 80_000
    plan = rules.allocate(amount_fen=90_000, patient_id=PATIENT_ID, own_funds=own(), payers=[candidate])
    assert paid(plan) == [(1, CY, 10, 80_000)]  # D-1: the current-year funds pay the part above the line
    assert plan.cash_fen == 10_000


def test_sz_1_balance_at_or_below_the_line_pays_nothing():
    at_line = payer(1, current=420_000, reserve=420_000)
    below = payer(2, current=100_000, reserve=420_000)
    assert at_line.available_fen == 0 and below.available_fen == 0
    plan = rules.allocate(amount_fen=1_000, patient_id=PATIENT_ID, own_funds=own(), payers=[at_line, below])
    assert plan.parts == ()
    assert plan.cash_fen == 1_000


def test_sz_1_reserve_line_does_not_apply_to_the_patients_own_account():
    plan = rules.allocate(amount_fen=1_000, patient_id=PATIENT_ID, own_funds=own(current=1_000), payers=[])
    assert plan.own_fen == 1_000


def test_sz_1_hz_1_reserve_and_prior_years_only_together():
    """SZ-1 with prior-years only: the smaller of the allowed funds and the part above the line pays."""
    candidate = payer(1, current=100_000, prior=50_000, reserve=120_000, funds_for_relatives=frozenset({PY}))
    assert candidate.available_fen == 30_000
    plan = rules.allocate(amount_fen=40_000, patient_id=PATIENT_ID, own_funds=own(), payers=[candidate])
    assert paid(plan) == [(1, PY, 10, 30_000)]


def test_n_3_plan_has_no_pooled_fund_part():
    """N-3: mutual aid spends personal accounts only; every part is a personal-account fund."""
    plan = rules.allocate(
        amount_fen=10_000, patient_id=PATIENT_ID, own_funds=own(current=10), payers=[payer(1, prior=20)]
    )
    assert {p.fund for p in plan.parts} <= {CY, PY}
    assert plan.cash_fen == 10_000 - 30


# -- HN-4, WL-1, D-2: the order of payers ----------------------------------------------------------------


def ids(candidates) -> list[int]:
    return [c.payer_id for c in candidates]


def test_hn_4_larger_balance_first():
    """HN-4: among several payers, the one with the larger balance pays first."""
    small, large = payer(1, current=1_000), payer(2, current=2_000)
    assert ids(rules.order_payers([small, large], PayerOrder.BALANCE)) == [2, 1]


def test_hn_4_larger_available_balance_counts_not_the_total():
    """HN-4 with SZ-1: the balance that can pay (above the reserve) decides, not the total."""
    big_but_reserved = payer(1, current=500_000, reserve=420_000)  # 80,000 available
    smaller_free = payer(2, current=100_000)  # 100,000 available
    assert ids(rules.order_payers([big_but_reserved, smaller_free], PayerOrder.BALANCE)) == [2, 1]


def test_hn_4_equal_balances_sort_by_pinyin_name_so_li_before_zhang():
    """HN-4: 李 (Li) before 张 (Zhang) by pinyin, though by code point 张 U+5F20 precedes 李 U+674E."""
    zhang = payer(1, current=1_000, name="张伟")
    li = payer(2, current=1_000, name="李娜")
    assert "张" < "李"  # code point order would put Zhang first
    assert ids(rules.order_payers([zhang, li], PayerOrder.BALANCE)) == [2, 1]
    assert ids(rules.order_payers([li, zhang], PayerOrder.BALANCE)) == [2, 1]


def test_hn_4_equal_balance_and_name_sort_by_id_number():
    """HN-4: still equal: by ID number."""
    later = payer(1, current=1_000, name="王芳", id_number="410105199001010029")
    earlier = payer(2, current=1_000, name="王芳", id_number="410105198001010025")
    assert ids(rules.order_payers([later, earlier], PayerOrder.BALANCE)) == [2, 1]


def test_hn_4_balance_order_ignores_priorities():
    first_by_priority = payer(1, current=100, priority=1)
    richer = payer(2, current=200, priority=2)
    assert ids(rules.order_payers([first_by_priority, richer], PayerOrder.BALANCE)) == [2, 1]


def test_wl_1_d_2_priority_one_pays_first_whatever_the_balance():
    """WL-1, D-2: the order set when binding: 1 first, then 2, then 3."""
    third = payer(1, current=9_000, priority=3)
    first = payer(2, current=100, priority=1)
    second = payer(3, current=5_000, priority=2)
    assert ids(rules.order_payers([third, first, second], PayerOrder.PRIORITY)) == [2, 3, 1]


def test_d_2_payers_without_priority_come_after_in_hn_4_order():
    """D-2: payers without a priority come after those with one, then by HN-4's order."""
    none_zhang = payer(1, current=5_000, name="张伟")
    none_li = payer(2, current=5_000, name="李娜")
    none_rich = payer(3, current=9_000, name="赵强")
    second = payer(4, current=10, priority=2)
    first = payer(5, current=10, priority=1)
    ordered = rules.order_payers([none_zhang, none_li, none_rich, second, first], PayerOrder.PRIORITY)
    assert ids(ordered) == [5, 4, 3, 2, 1]


def test_wl_1_d_2_equal_priorities_fall_back_to_hn_4():
    poorer = payer(1, current=100, priority=1)
    richer = payer(2, current=200, priority=1)
    assert ids(rules.order_payers([poorer, richer], PayerOrder.PRIORITY)) == [2, 1]


def test_wl_1_allocate_follows_the_priority_order():
    """WL-1: the first account pays until spent, then the second."""
    ordered = rules.order_payers(
        [payer(1, current=9_000, priority=2), payer(2, current=300, priority=1)], PayerOrder.PRIORITY
    )
    plan = rules.allocate(amount_fen=1_000, patient_id=PATIENT_ID, own_funds=own(), payers=ordered)
    assert [(p.payer_id, p.amount_fen) for p in plan.parts] == [(2, 300), (1, 700)]


# -- why a bound payer does not pay (HN-2, WL-5, D-5, N-5) ------------------------------------------------


def party(
    region_code: str = "410100",
    *,
    scheme: Scheme = Scheme.EMPLOYEE,
    status: Status = Status.NORMAL,
    person_id: int = 1,
) -> Party:
    return Party(
        person_id=person_id,
        name="某人",
        birth_date=date(1975, 5, 1),
        scheme=scheme,
        region_code=region_code,
        status=status,
    )


def skip(payer_party: Party, patient: Party, payer_policy, patient_policy=None, use: Use = Use.OUTPATIENT):
    return rules.skip_reason(
        payer=payer_party,
        patient=patient,
        payer_policy=payer_policy,
        patient_policy=patient_policy or payer_policy,
        use=use,
    )


def test_a_normal_payer_in_scope_for_an_allowed_use_may_pay():
    assert skip(party(), party(person_id=2), HENAN) is None


def test_hn_2_suspended_payer_does_not_pay_in_henan():
    """HN-2: while the payer is suspended, mutual aid does not pay."""
    assert skip(party(status=Status.SUSPENDED), party(person_id=2), HENAN) == "payer_suspended"


def test_hn_2_suspended_patient_is_not_paid_for_in_henan():
    """HN-2: while the patient (beneficiary) is suspended, mutual aid does not pay."""
    assert skip(party(), party(person_id=2, status=Status.SUSPENDED), HENAN) == "patient_suspended"


def test_wl_5_suspended_payer_and_patient_still_pay_in_ulanqab():
    """WL-5: the personal account balance can still be spent after contributions stop."""
    payer_ = party("150900", status=Status.SUSPENDED)
    patient = party("150900", person_id=2, status=Status.SUSPENDED)
    assert skip(payer_, patient, ULANQAB) is None


def test_hn_2_the_patients_region_decides_about_a_suspended_patient():
    """The patient's policy decides for the patient, the payer's for the payer."""
    patient = party("150900", person_id=2, status=Status.SUSPENDED)
    assert skip(party("150900"), patient, ULANQAB, patient_policy=HENAN) == "patient_suspended"
    assert (
        skip(party("410100", status=Status.SUSPENDED), party(person_id=2), HENAN, ULANQAB)
        == "payer_suspended"
    )


def test_n_1_terminated_or_resident_payer_does_not_pay():
    """N-1, N-2: a terminated enrollment or a resident enrollee (no personal account) never pays."""
    assert skip(party(status=Status.TERMINATED), party(person_id=2), ULANQAB) == "payer_not_enrolled"
    assert skip(party(scheme=Scheme.RESIDENT), party(person_id=2), ULANQAB) == "payer_not_employee"


def test_d_5_scope_is_checked_on_the_settlement_date():
    """D-5: a patient who has since moved to another province is no longer paid for (N-6)."""
    assert skip(party("410100"), party("410300", person_id=2), HENAN) is None
    assert skip(party("410100"), party("230100", person_id=2), HENAN) == "out_of_scope"


def test_d_5_sz_2_shenzhen_city_scope_at_settlement():
    assert skip(party("440305"), party("440303", person_id=2), SHENZHEN) is None
    assert skip(party("440300"), party("440100", person_id=2), SHENZHEN) == "out_of_scope"


def test_n_5_uses_not_enabled_by_the_region_are_not_paid():
    """N-5: a region enables a subset of uses: Henan (HN-8) has no vaccination or resident contribution."""
    assert skip(party(), party(person_id=2), HENAN, use=Use.VACCINATION) == "use_not_allowed"
    assert skip(party(), party(person_id=2), HENAN, use=Use.RESIDENT_CONTRIBUTION) == "use_not_allowed"
    assert skip(party(), party(person_id=2), HENAN, use=Use.PHARMACY) is None


def test_n_5_sz_3_shenzhen_pays_vaccination():
    assert skip(party("440300"), party("440300", person_id=2), SHENZHEN, use=Use.VACCINATION) is None
    assert (
        skip(party("440300"), party("440300", person_id=2), SHENZHEN, use=Use.PHARMACY) == "use_not_allowed"
    )


def test_every_skip_reason_has_both_labels():
    for reason, (zh, en) in rules.SKIP_REASONS.items():
        assert zh and en, reason


# -- HN-5: refunds in reverse order -------------------------------------------------------------------------

OWN_PART = PaidPart(part_id=11, seq=1, amount_fen=500, refunded_fen=0)
PAYER_A = PaidPart(part_id=12, seq=2, amount_fen=300, refunded_fen=0)
PAYER_B = PaidPart(part_id=13, seq=3, amount_fen=200, refunded_fen=0)


def test_hn_5_refund_takes_cash_first():
    """HN-5: the reverse order of payment: cash first."""
    assert rules.split_refund(amount_fen=80, cash_refundable_fen=100, parts=[OWN_PART, PAYER_A, PAYER_B]) == (
        80,
        [],
    )


def test_hn_5_refund_then_payers_in_reverse_then_own_account_last():
    """HN-5: money goes back to the accounts that paid: last payer first, own account last."""
    cash, back = rules.split_refund(
        amount_fen=700, cash_refundable_fen=100, parts=[OWN_PART, PAYER_A, PAYER_B]
    )
    assert cash == 100
    assert back == [(13, 200), (12, 300), (11, 100)]


def test_hn_5_full_refund_returns_every_part():
    cash, back = rules.split_refund(
        amount_fen=1_100, cash_refundable_fen=100, parts=[PAYER_B, OWN_PART, PAYER_A]
    )
    assert cash == 100
    assert back == [(13, 200), (12, 300), (11, 500)]


def test_hn_5_already_refunded_money_is_not_refunded_twice():
    parts = [OWN_PART, replace(PAYER_A, refunded_fen=250), replace(PAYER_B, refunded_fen=200)]
    cash, back = rules.split_refund(amount_fen=100, cash_refundable_fen=0, parts=parts)
    assert cash == 0
    assert back == [(12, 50), (11, 50)]


def test_hn_5_never_more_than_was_paid():
    with pytest.raises(ValueError):
        rules.split_refund(amount_fen=1_101, cash_refundable_fen=100, parts=[OWN_PART, PAYER_A, PAYER_B])
    with pytest.raises(ValueError):
        rules.split_refund(amount_fen=1, cash_refundable_fen=0, parts=[replace(OWN_PART, refunded_fen=500)])


# -- properties ----------------------------------------------------------------------------------------------

balances = st.integers(min_value=0, max_value=200_000)
fund_sets = st.sampled_from([frozenset({CY, PY}), frozenset({PY}), frozenset({CY})])
names = st.sampled_from(["张伟", "李娜", "王芳", "吕方", "卢强", "赵强"])


@st.composite
def candidates(draw) -> list[PayerCandidate]:
    count = draw(st.integers(min_value=0, max_value=5))
    return [
        payer(
            i + 1,
            current=draw(balances),
            prior=draw(balances),
            name=draw(names),
            id_number=f"{draw(st.integers(min_value=0, max_value=20)):018d}",
            priority=draw(st.none() | st.integers(min_value=1, max_value=4)),
            reserve=draw(st.sampled_from([0, 0, 50_000, 420_000])),
            funds_for_relatives=draw(fund_sets),
        )
        for i in range(count)
    ]


@given(
    amount=st.integers(min_value=1, max_value=1_500_000),
    own_current=balances,
    own_prior=balances,
    payers_=candidates(),
    order=st.sampled_from(list(PayerOrder)),
)
def test_property_allocate_n_10_d_1_sz_1(amount, own_current, own_prior, payers_, order):
    """N-10, D-1, SZ-1, HZ-1: the plan adds up, never overdraws, and follows the order."""
    own_funds = own(own_current, own_prior)
    ordered = rules.order_payers(payers_, order)
    plan = rules.allocate(amount_fen=amount, patient_id=PATIENT_ID, own_funds=own_funds, payers=ordered)

    # parts plus cash make the amount
    assert sum(p.amount_fen for p in plan.parts) + plan.cash_fen == amount
    assert plan.own_fen + plan.mutual_aid_fen + plan.cash_fen == amount
    assert plan.cash_fen >= 0
    assert all(p.amount_fen > 0 for p in plan.parts)

    # no part exceeds its fund's balance, and each fund is used at most once
    balance_of = {f.account_id: f.balance_fen for f in own_funds}
    for c in payers_:
        balance_of.update({f.account_id: f.balance_fen for f in c.funds})
    accounts_used = [p.account_id for p in plan.parts]
    assert len(accounts_used) == len(set(accounts_used))
    for part in plan.parts:
        assert part.amount_fen <= balance_of[part.account_id]

    totals = by_payer(plan)
    own_total = own_current + own_prior
    assert plan.own_fen == totals.get(PATIENT_ID, 0) == min(amount, own_total)

    # each payer pays at most what is available to relatives (SZ-1), from allowed funds only (HZ-1)
    for c in ordered:
        assert totals.get(c.payer_id, 0) <= c.available_fen
        for part in plan.parts:
            if part.payer_id == c.payer_id:
                assert part.fund in c.funds_for_relatives
                assert part.binding_id == c.binding_id

    # N-10: own account exhausted before any payer pays
    if plan.mutual_aid_fen > 0:
        assert plan.own_fen == own_total

    # N-10, WL-1: a payer pays only if every earlier payer is exhausted (or at his reserve line)
    for i, c in enumerate(ordered):
        if totals.get(c.payer_id, 0) > 0:
            for earlier in ordered[:i]:
                assert totals.get(earlier.payer_id, 0) == earlier.available_fen

    # cash only when nothing else could pay
    if plan.cash_fen > 0:
        assert plan.own_fen == own_total
        assert all(totals.get(c.payer_id, 0) == c.available_fen for c in ordered)

    # D-1: prior-years funds pay only once the current-year funds (if they may pay) are spent
    for who, funds, allowed in [(PATIENT_ID, own_funds, {CY, PY})] + [
        (c.payer_id, c.funds, c.funds_for_relatives) for c in ordered
    ]:
        spent = {p.fund: p.amount_fen for p in plan.parts if p.payer_id == who}
        if spent.get(PY, 0) > 0 and CY in allowed:
            current = next(f.balance_fen for f in funds if f.fund is CY)
            assert spent.get(CY, 0) == current


@given(payers_=candidates(), order=st.sampled_from(list(PayerOrder)))
def test_property_order_payers_hn_4_d_2(payers_, order):
    """HN-4, D-2: the order is a permutation; by balance it never rises; by priority, None comes last."""
    ordered = rules.order_payers(payers_, order)
    assert sorted(ids(ordered)) == sorted(ids(payers_))
    for a, b in zip(ordered, ordered[1:], strict=False):
        if order is PayerOrder.BALANCE:
            key_a = (-a.available_fen, a.name_sort_key, a.id_number)
            key_b = (-b.available_fen, b.name_sort_key, b.id_number)
            assert key_a <= key_b
        else:
            assert (a.priority is None, a.priority or 0) <= (b.priority is None, b.priority or 0)
            if a.priority == b.priority:
                assert (-a.available_fen, a.name_sort_key) <= (-b.available_fen, b.name_sort_key)


@st.composite
def paid_parts(draw) -> list[PaidPart]:
    count = draw(st.integers(min_value=0, max_value=6))
    seqs = draw(
        st.lists(st.integers(min_value=1, max_value=100), min_size=count, max_size=count, unique=True)
    )
    parts = []
    for i, seq in enumerate(seqs):
        amount = draw(st.integers(min_value=1, max_value=100_000))
        refunded = draw(st.integers(min_value=0, max_value=amount))
        parts.append(PaidPart(part_id=i + 1, seq=seq, amount_fen=amount, refunded_fen=refunded))
    return parts


@given(parts=paid_parts(), cash=st.integers(min_value=0, max_value=100_000), data=st.data())
def test_property_split_refund_hn_5(parts, cash, data):
    """HN-5: exactly the amount, never more than a part's refundable amount, cash first, own account last."""
    refundable = cash + sum(p.refundable_fen for p in parts)
    if refundable == 0:
        with pytest.raises(ValueError):
            rules.split_refund(amount_fen=1, cash_refundable_fen=cash, parts=parts)
        return
    amount = data.draw(st.integers(min_value=1, max_value=refundable))
    cash_back, back = rules.split_refund(amount_fen=amount, cash_refundable_fen=cash, parts=parts)

    assert cash_back + sum(a for _, a in back) == amount
    assert 0 <= cash_back <= cash
    by_id = {p.part_id: p for p in parts}
    assert len({pid for pid, _ in back}) == len(back)
    for part_id, taken in back:
        assert 0 < taken <= by_id[part_id].refundable_fen

    # reverse order: a part gets money only once cash and every later part are fully refunded
    given_back = dict(back)
    for part in parts:
        if given_back.get(part.part_id, 0) > 0:
            assert cash_back == cash
            for later in parts:
                if later.seq > part.seq:
                    assert given_back.get(later.part_id, 0) == later.refundable_fen

    with pytest.raises(ValueError):
        rules.split_refund(amount_fen=refundable + 1, cash_refundable_fen=cash, parts=parts)
