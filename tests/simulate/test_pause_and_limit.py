"""The replay feeds settlement's rules the same binding facts settlement had, on SQLite and PostgreSQL: a binding
paused at a settlement's instant pays nothing (D-3), and a payer's monthly limit for the relative, as it stood then,
caps the month (PP-1: what he paid that calendar month counts, a refund gives the room back). With the settings
unchanged the current side reproduces every recorded payment; replayed without those facts it would not.

Rules: PP-1, D-3, HN-5, N-10.
"""

from __future__ import annotations

from datetime import date, datetime

from gongji.authorizations import changes
from gongji.clock import CST
from gongji.settlement import service as settlement
from gongji.simulate import facts
from gongji.simulate import service as simulator

ADULT, CHILD = date(1975, 5, 1), date(2000, 5, 1)
NOVEMBER = dict(start=date(2026, 11, 1), end=date(2026, 11, 30))


def _limit(world, binding_id, fen, actor):
    world.run(lambda s, env: changes.set_monthly_limit(s, env, binding_id=binding_id, monthly_limit_fen=fen,
                                                       actor=actor))


def _history(world, clock):
    """Bills of a child whose parent limits the month to 100 yuan, pauses, resumes and raises the limit."""
    clock.set(datetime(2026, 11, 3, 9, tzinfo=CST))
    code = world.institution()
    payer = world.person("周建华", born=ADULT, current_fen=200_000)
    patient = world.person("周小雨", born=CHILD, sex="F")
    binding = world.bind(payer, patient, "child")
    clock.advance(hours=1)
    _limit(world, binding, 10_000, payer.actor)
    clock.advance(hours=1)
    paid = world.settle(patient, 8_000)
    assert paid.mutual_aid_fen == 8_000
    clock.advance(hours=1)
    assert (world.settle(patient, 5_000).mutual_aid_fen, ) == (2_000, )  # PP-1: 20 yuan of room left
    clock.advance(hours=1)
    world.run(lambda s, env: settlement.refund(s, env, institution_code=code, settlement_id=paid.settlement_id,
                                               idempotency_key="r1", amount_fen=3_000))
    clock.advance(days=1)
    world.run(lambda s, env: changes.pause(s, env, binding_id=binding, actor=payer.actor))
    clock.advance(hours=1)
    assert world.settle(patient, 2_000).cash_fen == 2_000  # D-3: paused, the payer pays nothing
    clock.advance(hours=1)
    world.run(lambda s, env: changes.resume(s, env, binding_id=binding, actor=payer.actor))
    clock.advance(hours=1)
    assert world.settle(patient, 4_000).mutual_aid_fen == 3_000  # the refund's room back (HN-5, PP-1)
    clock.advance(days=1)
    _limit(world, binding, 15_000, payer.actor)
    clock.advance(hours=1)
    assert world.settle(patient, 9_000).mutual_aid_fen == 5_000  # the raised limit, from its instant
    clock.advance(days=1)
    _limit(world, binding, None, payer.actor)
    clock.set(datetime(2026, 11, 29, 9, tzinfo=CST))


def test_pp_1_d_3_unchanged_settings_reproduce_what_was_paid_with_a_pause_and_a_limit(world, clock):
    """PP-1, D-3: the limit of each bill's instant and the pause in between are replayed as settlement paid them."""
    _history(world, clock)
    result = simulator.simulate(world.db, world.env, region="2301", **NOVEMBER)
    checks = result["checks"]
    assert checks["baseline_settlements"] == 5
    assert checks["baseline_reproduced"], checks
    assert result["sides"]["current"]["mutual_aid_fen"] == 8_000 + 2_000 + 3_000 + 5_000

    # the same world without the pause, or with today's limit (none) for every bill: not paid as it was
    for name, value in (("paused_at", lambda self, at: False), ("limit_at", lambda self, at: None)):
        real = getattr(facts.BindingFacts, name)
        try:
            setattr(facts.BindingFacts, name, value)
            again = simulator.simulate(world.db, world.env, region="2301", **NOVEMBER)
            assert not again["checks"]["baseline_reproduced"], name
        finally:
            setattr(facts.BindingFacts, name, real)


def test_pp_1_a_period_starting_mid_month_counts_what_was_paid_before_it(world, clock):
    """PP-1: a replay from the 4th knows what the payer paid for the relative from the 1st."""
    _history(world, clock)
    result = simulator.simulate(world.db, world.env, region="2301", start=date(2026, 11, 4),
                                end=date(2026, 11, 30))
    checks = result["checks"]
    assert checks["baseline_settlements"] == 3
    assert checks["baseline_reproduced"], checks


def test_d_3_pp_1_the_settings_as_they_stood_at_an_instant():
    """D-3, PP-1 (pure): the value of the last change at or before the instant, else the one before all."""
    t = [datetime(2026, 11, d, tzinfo=CST) for d in (1, 2, 3, 4)]
    b = facts.BindingFacts(id=1, payer_id=1, beneficiary_id=2, relationship="child", start_on=date(2026, 1, 1),
                           end_on=None, ended_on=None, priority=None, created_on=date(2026, 1, 1),
                           pauses=((t[1], True), (t[2], False)), limit_before=500, limits=((t[2], None),))
    assert [b.paused_at(x) for x in t] == [False, True, False, False]
    assert [b.limit_at(x) for x in t] == [500, 500, None, None]
