"""The simulator's shortcuts give the full replay's answer: planning once where the sides agree, shards of whole
households replayed in processes of their own, and the settings the planning reads.

Each test compares the shortcut with the replay that plans every settlement in every side in one process, on a
synthetic Shenzhen year with refunds (HN-5) and suspensions (HN-2), under changes that touch the plan (SZ-1 reserve
line, HN-4/D-2 payer order, D-1 funds for relatives), the bindings (HLJ-1 caps, N-2 relationships) or neither.

Rules: N-3, N-10, SZ-1, HN-2, HN-4, HN-5, D-1, D-2, D-3, HLJ-1, N-2.
"""

from __future__ import annotations

import pytest

from gongji.policy import load_policies
from gongji.simulate import bindings as scenario_bindings
from gongji.simulate import changes as policy_changes
from gongji.simulate import groups, parallel, replay
from gongji.simulate import service as simulator
from gongji_tools.bench.simulate import REGION, synthetic_world
from tests.simulate.test_service import harbin_families, run


@pytest.fixture(scope="module")
def world():
    return synthetic_world(1_200, seed=7, refunds=0.05, suspended=0.05)


def sides_for(world, changes):
    book = load_policies()
    current = book.for_region(REGION)
    proposed = replay.Policies(book, current, policy_changes.proposed(current, changes))
    kept = scenario_bindings.check_all(world, proposed, world.bindings, []).kept
    return [replay.Side("current", world, replay.Policies(book), world.bindings),
            replay.Side("proposed", world, proposed, kept)]


def answer(world, changes, **kwargs):
    return parallel.run(world, sides_for(world, changes), **kwargs).result()


CHANGES = [
    {"reserve_line_fen": 300_000},  # SZ-1
    {"reserve_line_fen": 0},
    {"payer_order": "priority"},  # D-2 (no priorities: HN-4 decides among them)
    {"funds_for_relatives": ["prior_years"]},  # D-1
    {"max_beneficiaries_per_payer": 1},  # HLJ-1: bindings dropped, the settings the plan reads unchanged
    {"allowed_relationships": ["spouse", "parent"]},  # N-2
    {},  # no change at all
]


@pytest.mark.parametrize("changes", CHANGES, ids=lambda c: ",".join(c) or "unchanged")
def test_planning_once_gives_the_full_replay(world, changes):
    """A settlement planned once for both sides (its household's balances agree and its plan cannot depend on
    the side) is paid as the full replay pays it in each side: every figure and table is the same."""
    full = answer(world, changes, share=False)
    assert full["checks"]["baseline_reproduced"] and full["checks"]["pooled_fund_untouched"]
    assert answer(world, changes, share=True) == full


def test_some_settlements_are_planned_once_and_some_apart(world):
    """The shortcut is taken (or the test above proves nothing), and not for a settlement a change touches."""
    sides = sides_for(world, {"reserve_line_fen": 0})
    agreement = groups.Agreement(world, sides)
    for step in world.timeline:
        if step.kind == "settlement":
            agreement.settle(world.settlements[step.ref])
        elif step.kind == "refund":
            for side in sides:
                side.refund(step.settlement_id, step.amount_fen)
        elif step.kind == "postings":
            for side in sides:
                side.postings(step.legs)
    assert agreement.planned_once > 100 and agreement.planned_apart > 100
    assert agreement.diverged
    unchanged = groups.Agreement(world, sides_for(world, {"max_beneficiaries_per_payer": 10}))
    assert all(unchanged.same_inputs(p) for p in list(world.people)[:200])


@pytest.mark.parametrize("changes", [{"reserve_line_fen": 300_000}, {"max_beneficiaries_per_payer": 1}],
                         ids=["reserve-line", "cap"])
def test_shards_in_processes_of_their_own_add_up_to_one_replay(world, changes):
    """Households are independent: two and three processes over shards of them give one process's answer."""
    one = answer(world, changes, workers=1, share=False)
    assert answer(world, changes, workers=2) == one
    assert answer(world, changes, workers=3) == one


def test_shards_are_whole_households(world):
    group_of = groups.households(world, [world.bindings])
    shards = groups.shards(world, group_of, 2)
    assert all(people for people, _ in shards)
    shard_of = {p: k for k, (people, _) in enumerate(shards) for p in people}
    for b in world.bindings:  # a payer and his beneficiary are always replayed together
        assert shard_of[b.payer_id] == shard_of[b.beneficiary_id]
    assert sum(len(people) for people, _ in shards) == len(world.people)


class Recording:
    """A policy that notes which of its settings are read."""

    def __init__(self, policy, read: set[str]) -> None:
        self._policy, self._read = policy, read

    def __getattr__(self, name):
        self._read.add(name)
        return getattr(self._policy, name)


def test_the_plan_reads_only_the_settings_compared(world):
    """Two policies plan alike when they agree in PLAN_TERMS: the planning (Side.plan and the settlement rules it
    calls) reads no other setting. A rule that starts reading one fails here, not silently in the shortcut."""
    book = load_policies()
    read: set[str] = set()
    policies = replay.Policies(book)
    recording = lambda code: Recording(policies(code), read)  # noqa: E731
    side = replay.Side("current", world, recording, world.bindings)
    for step in world.timeline:
        if step.kind == "settlement":
            side.settle(world.settlements[step.ref])
    assert read and read <= set(replay.PLAN_TERMS)


def test_parallel_replay_of_a_database_world(world_db):
    """On SQLite and PostgreSQL: the facts read from the database, replayed in two processes, give one process's
    answer (the baseline reproduced, N-3), with and without a change (HLJ-1)."""
    harbin_families(world_db)
    for changes in ({}, {"max_beneficiaries_per_payer": 1}, {"reserve_line_fen": 5_000}):
        one = run(world_db, "23", changes=changes, workers=1)
        assert one["checks"]["baseline_reproduced"] and one["checks"]["pooled_fund_untouched"]
        assert run(world_db, "23", changes=changes, workers=2) == one


@pytest.fixture
def world_db(db, env):
    from tests.factories import World

    return World(db=db, env=env)


def test_workers_default_to_one_for_a_small_world(world):
    assert parallel.default_workers(world) == 1
    assert simulator.simulate.__kwdefaults__["workers"] == 1
