"""PP-1: a payer's monthly limit for one relative, enforced at settlement on both databases; a paused binding pays
nothing (D-3).

Rules: PP-1, D-3, N-10, HN-5, WL-1.
"""

from __future__ import annotations

import itertools
from datetime import date, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from gongji.authorizations import changes
from gongji.clock import CST
from gongji.settlement import rules
from gongji.settlement import service as settlement
from gongji.settlement.models import Settlement, SettlementPart
from gongji.terms import Fund
from tests.factories import refused

ADULT, CHILD = date(1975, 5, 1), date(2000, 5, 1)


def _limit(world, binding_id, fen, actor):
    return world.run(lambda s, env: changes.set_monthly_limit(s, env, binding_id=binding_id, monthly_limit_fen=fen,
                                                              actor=actor))


def test_pp_1_rules_pay_at_most_the_room_left_this_month():
    """PP-1 (pure): the rules get the month's room as a fact; the rest falls to the next payer, then cash."""
    def payer(pid, fen, room, priority):
        return rules.PayerCandidate(payer_id=pid, binding_id=pid, name=str(pid), name_sort_key=str(pid),
                                    id_number=str(pid), priority=priority,
                                    funds=(rules.FundBalance(pid * 10, Fund.CURRENT_YEAR, fen),), month_room_fen=room)
    plan = rules.allocate(amount_fen=10_000, patient_id=1, own_funds=(),
                          payers=[payer(2, 50_000, 3_000, 1), payer(3, 4_000, None, 2)])
    assert [(p.payer_id, p.amount_fen) for p in plan.parts] == [(2, 3_000), (3, 4_000)]
    assert plan.cash_fen == 3_000
    assert rules.month_room(monthly_limit_fen=5_000, paid_this_month_fen=7_000) == 0
    assert rules.month_room(monthly_limit_fen=None, paid_this_month_fen=7_000) is None


def test_pp_1_limit_caps_the_month_next_payer_and_cash_take_the_rest(world, clock):
    """PP-1: limit 100 yuan; 80 then 50: the second bill takes 20 from the payer, the next payer in the order (WL-1) pays the rest."""
    clock.set(datetime(2026, 11, 10, 10, tzinfo=CST))
    code = world.institution("H15090100001", city="ulanqab")
    first = world.person("李建国", born=ADULT, current_fen=100_000, city="ulanqab")
    second = world.person("李建军", born=ADULT, current_fen=2_000, city="ulanqab")
    patient = world.person("李丽", born=date(1950, 5, 1), sex="F", city="ulanqab")
    binding = world.bind(first, patient, "parent", priority=1)
    world.bind(second, patient, "parent", priority=2)
    _limit(world, binding, 10_000, first.actor)
    one = world.settle(patient, 8_000, institution=code)
    assert one.mutual_aid_fen == 8_000 and {line.payer_id for line in one.lines} == {first.id}
    two = world.settle(patient, 5_000, institution=code)
    assert [(line.payer_id, line.amount_fen) for line in two.lines] == [(first.id, 2_000), (second.id, 2_000)]
    assert two.cash_fen == 1_000
    three = world.settle(patient, 1_000, institution=code)
    assert three.cash_fen == 1_000
    assert [s.reason for s in three.skipped] == ["monthly_limit_reached", "no_balance"]
    # the next calendar month in China time (2026-12-01 00:30 CST is still 30 November in UTC)
    clock.set(datetime(2026, 12, 1, 0, 30, tzinfo=CST))
    four = world.settle(patient, 12_000, institution=code)
    assert [(line.payer_id, line.amount_fen) for line in four.lines] == [(first.id, 10_000)]
    assert four.cash_fen == 2_000


def test_pp_1_a_refund_in_the_month_gives_the_room_back(world, clock):
    """PP-1, HN-5: what is refunded of this month's payments is room again; clearing the limit lifts it."""
    clock.set(datetime(2026, 11, 10, 10, tzinfo=CST))
    code = world.institution()
    payer = world.person("王强", born=ADULT, current_fen=100_000)
    patient = world.person("王芳", born=CHILD, sex="F")
    binding = world.bind(payer, patient, "child")
    _limit(world, binding, 5_000, payer.actor)
    paid = world.settle(patient, 5_000)
    assert world.settle(patient, 1_000).cash_fen == 1_000
    world.run(lambda s, env: settlement.refund(s, env, institution_code=code, settlement_id=paid.settlement_id,
                                               idempotency_key="r1", amount_fen=3_000))
    assert world.settle(patient, 4_000).mutual_aid_fen == 3_000
    _limit(world, binding, None, payer.actor)
    assert world.settle(patient, 4_000).mutual_aid_fen == 4_000


def test_pp_1_quote_and_settlement_agree_and_only_the_payer_sets_it(world, clock):
    """PP-1: the quote reckons the room as the settlement does; the relative cannot set his payer's limit."""
    world.institution()
    payer = world.person("赵刚", born=ADULT, current_fen=100_000)
    patient = world.person("赵敏", born=CHILD, sex="F")
    binding = world.bind(payer, patient, "child")
    _limit(world, binding, 0, payer.actor)
    quote = world.run(lambda s, env: settlement.quote(s, env, institution_code="H23010100001",
                                                      patient_id_number=patient.id_number, amount_fen=900,
                                                      use="outpatient"))
    assert quote.cash_fen == 900 and [s.reason for s in quote.skipped] == ["monthly_limit_reached"]
    refused(world, lambda: _limit(world, binding, 100_000, patient.actor), "ONLY_PAYER_SETS_LIMIT")
    refused(world, lambda: _limit(world, binding, -1, payer.actor), "INVALID_AMOUNT")


def test_d_3_a_paused_binding_pays_nothing_until_resumed(world):
    """D-3: a paused binding pays nothing; resumed, it pays again; pausing twice is refused."""
    world.institution()
    payer = world.person("孙强", born=ADULT, current_fen=100_000)
    patient = world.person("孙丽", born=CHILD, sex="F")
    binding = world.bind(payer, patient, "child")
    world.run(lambda s, env: changes.pause(s, env, binding_id=binding, actor=patient.actor))
    result = world.settle(patient, 1_000)
    assert result.cash_fen == 1_000 and [s.reason for s in result.skipped] == ["paused"]
    refused(world, lambda: world.run(lambda s, env: changes.pause(s, env, binding_id=binding, actor=payer.actor)),
            "BINDING_ALREADY_PAUSED")
    world.run(lambda s, env: changes.resume(s, env, binding_id=binding, actor=payer.actor))
    assert world.settle(patient, 1_000).mutual_aid_fen == 1_000


_step = st.one_of(
    st.tuples(st.just("settle"), st.integers(1, 9_000)),
    st.tuples(st.just("refund"), st.integers(1, 9_000)),
    st.tuples(st.just("days"), st.integers(1, 20)),
)


_codes = itertools.count(1)


def _net_this_month(world, patient, payer, today: date) -> int:
    return world.db.read(lambda s: settlement.paid_this_month(s, patient_id=patient.id, payer_ids=[payer.id],
                                                              today=today)).get(payer.id, 0)


@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck))
@given(limit=st.integers(0, 12_000), steps=st.lists(_step, min_size=1, max_size=10))
def test_pp_1_property_no_month_sum_exceeds_the_limit(world, clock, limit, steps):
    """PP-1 (property, both databases): over bills, partial refunds and days passing, no calendar month's payments
    from the payer for the relative, less their refunds, exceed the limit, and each bill takes from the payer all
    that the room and the bill allow."""
    code = world.institution(f"H230101{next(_codes):05d}")
    payer = world.person("周强", born=ADULT, current_fen=200_000)
    patient = world.person("周丽", born=CHILD, sex="F")
    binding = world.bind(payer, patient, "child")
    _limit(world, binding, limit, payer.actor)
    settled: list[int] = []
    for n, (kind, value) in enumerate(steps):
        if kind == "days":
            clock.advance(days=value)
        elif kind == "settle":
            room = limit - _net_this_month(world, patient, payer, world.env.today())
            result = world.settle(patient, value, institution=code)
            assert result.mutual_aid_fen == min(value, room)
            settled.append(result.settlement_id)
        elif settled:
            sid = settled[-1]
            left = world.db.read(lambda s, sid=sid: (lambda r: r.amount_fen - r.refunded_fen)(s.get(Settlement, sid)))
            if left:
                world.run(lambda s, env, sid=sid, n=n, amount=min(value, left): settlement.refund(
                    s, env, institution_code=code, settlement_id=sid, idempotency_key=f"p{sid}-{n}",
                    amount_fen=amount))

    rows = world.db.read(lambda s: s.execute(
        select(Settlement.settled_on, SettlementPart.amount_fen - SettlementPart.refunded_fen)
        .join(SettlementPart, SettlementPart.settlement_id == Settlement.id)
        .where(Settlement.patient_id == patient.id, SettlementPart.payer_id == payer.id)).all())
    months: dict[tuple[int, int], int] = {}
    for on, net in rows:
        months[(on.year, on.month)] = months.get((on.year, on.month), 0) + net
    assert all(0 <= net <= limit for net in months.values()), months
