"""The policy simulator on both databases: the replay reproduces what was paid, a change gives its known effect,
nothing is written, bad input is refused.

Rules: N-3, N-10, HN-4, HN-5, D-1, D-3, SZ-1, HLJ-1, HLJ-3, N-2.
"""

from __future__ import annotations

from datetime import date

import pytest

from gongji.settlement import service as settlement
from gongji.simulate import service as simulator
from tests.factories import refused, snapshot

ADULT = date(1975, 5, 1)
ELDER = date(1950, 5, 1)
CHILD = date(2000, 5, 1)
JUNE = dict(start=date(2025, 6, 1), end=date(2025, 6, 30))


def run(world, region, **kwargs):
    kwargs = {**JUNE, **kwargs}
    return simulator.simulate(world.db, world.env, region=region, **kwargs)


def harbin_families(world):
    """Three families in Harbin: settlements paid by own accounts, by payers, in cash, and a refund."""
    world.institution()
    father = world.person("张建国", born=ADULT, current_fen=30_000, prior_fen=5_000)
    mother = world.person("李秀英", born=ADULT, sex="F", current_fen=8_000)
    child = world.person("张丽", born=CHILD, sex="F", current_fen=1_000)
    world.bind(father, child, "child")
    world.bind(mother, mother_s_parent := world.person("李老汉", born=ELDER, scheme="resident"), "parent")
    other = world.person("王强", born=ADULT, current_fen=50_000)
    first = world.person("王一", born=CHILD, scheme="resident")
    second = world.person("王二", born=CHILD, sex="F", scheme="resident")
    world.bind(other, first, "child")
    world.bind(other, second, "child")
    world.settle(child, 20_000)
    world.settle(mother_s_parent, 10_000, use="inpatient")
    paid = world.settle(child, 40_000)
    world.run(lambda s, env: settlement.refund(s, env, institution_code="H23010100001",
                                                settlement_id=paid.settlement_id, idempotency_key="r1",
                                                amount_fen=12_000))
    world.settle(first, 30_000)
    world.settle(second, 30_000)
    world.settle(father, 3_000)
    return other, first, second


def test_unchanged_settings_reproduce_every_settlement(world):
    """The replay under the current policy pays every settlement exactly as it was paid (N-10, HN-4, HN-5, D-1);
    with no change the two sides agree, and the pooled fund is untouched (N-3)."""
    harbin_families(world)
    result = run(world, "23")
    checks = result["checks"]
    assert checks["baseline_reproduced"] and checks["pooled_fund_untouched"]
    assert checks["baseline_settlements"] == 6
    assert result["sides"]["difference"] == dict.fromkeys(result["sides"]["difference"], 0)
    assert result["affected"] == {"settlements": 0, "patients": 0, "payers": 0, "payers_newly_emptied": 0}
    current = result["sides"]["current"]
    assert current["amount_fen"] == 20_000 + 10_000 + 40_000 + 30_000 + 30_000 + 3_000
    # the child: 1,000 own then father 19,000; then father's 16,000 left pays; 24,000 cash. First 30,000 from
    # 王强 and 20,000 for the second; mother pays 8,000 for her father, 2,000 cash; the father's own 3,000.
    assert current["mutual_aid_fen"] == 19_000 + 8_000 + 16_000 + 30_000 + 20_000
    assert current["payers_emptied"] == 3


def test_a_replay_that_differs_is_reported(world, monkeypatch):
    """The baseline check can fail: a recorded part changed behind the replay's back is found."""
    harbin_families(world)
    from gongji.simulate import replay

    real = replay.recorded_parts
    monkeypatch.setattr(replay, "recorded_parts", lambda s: [*real(s), (0, 0, "x", None, 1)])
    assert not run(world, "23")["checks"]["baseline_reproduced"]


def test_sz_1_reserve_line_to_zero(world):
    """SZ-1: at 4,200 yuan a payer of 5,000 yuan pays 800 of a 1,000-yuan bill; at zero he pays all of it."""
    world.institution("H44030100001", city="shenzhen")
    payer = world.person("陈伟", city="shenzhen", born=ADULT, current_fen=500_000)
    patient = world.person("陈小明", city="shenzhen", born=CHILD, scheme="resident")
    world.bind(payer, patient, "child")
    world.settle(patient, 100_000, institution="H44030100001")
    result = run(world, "4403", changes={"reserve_line_fen": 0})
    sides = result["sides"]
    assert (sides["current"]["mutual_aid_fen"], sides["current"]["cash_fen"]) == (80_000, 20_000)
    assert (sides["proposed"]["mutual_aid_fen"], sides["proposed"]["cash_fen"]) == (100_000, 0)
    assert sides["difference"]["mutual_aid_fen"] == 20_000 and sides["difference"]["cash_fen"] == -20_000
    assert result["affected"]["patients"] == 1 and result["affected"]["payers"] == 1
    assert result["question"]["changes"] == {"reserve_line_fen": [420_000, 0]}
    assert result["checks"]["baseline_reproduced"]


def test_hlj_1_cap_to_one_relative(world):
    """HLJ-1: with one relative per payer, 王强's second binding (made second) is dropped: 王二's 20,000 of mutual
    aid becomes cash, and 王强 is no longer emptied."""
    harbin_families(world)
    result = run(world, "23", changes={"max_beneficiaries_per_payer": 1})
    assert result["bindings"]["dropped"] == {"TOO_MANY_BENEFICIARIES": 1}
    difference = result["sides"]["difference"]
    assert difference["mutual_aid_fen"] == -20_000 and difference["cash_fen"] == 20_000
    assert result["affected"]["patients"] == 1 and result["affected"]["payers"] == 1
    by_use = {row["key"]: row for row in result["by_use"]}
    assert by_use["outpatient"]["proposed_cash_fen"] - by_use["outpatient"]["current_cash_fen"] == 20_000


def test_relationship_no_longer_allowed(world):
    """N-2: a region that allowed only spouses would have paid none of these (children and a parent)."""
    harbin_families(world)
    result = run(world, "23", changes={"allowed_relationships": ["spouse"]})
    assert result["bindings"]["dropped"] == {"RELATIONSHIP_NOT_ALLOWED": 4}
    assert result["sides"]["proposed"]["mutual_aid_fen"] == 0


def test_grandparents_scenario(world):
    """N-2, HLJ-3: binding every household's grandparents goes through the binding rules. In Heilongjiang a
    grandchild already has his one payer (TOO_MANY_PAYERS) and a grandfather paid for may not pay (ROLE_CONFLICT
    comes next); the grandchild, a resident, cannot pay at all. With both rules lifted the grandfather pays."""
    world.institution()
    grandfather = world.person("赵大山", born=ELDER, current_fen=90_000)
    father = world.person("赵刚", born=ADULT, current_fen=100)
    child = world.person("赵小", born=CHILD, scheme="resident")
    world.bind(father, grandfather, "parent")
    world.bind(father, child, "child")
    world.settle(child, 10_000)
    result = run(world, "23", scenario="grandparents")
    assert result["bindings"]["added"] == 0
    assert result["bindings"]["refused"] == {"TOO_MANY_PAYERS": 1, "PAYER_NOT_EMPLOYEE": 1}
    assert result["sides"]["difference"]["mutual_aid_fen"] == 0
    lifted = run(world, "23", scenario="grandparents",
                 changes={"max_payers_per_beneficiary": None, "payer_may_also_be_beneficiary": True})
    assert lifted["bindings"]["added"] == 1
    assert lifted["bindings"]["refused"] == {"PAYER_NOT_EMPLOYEE": 1}
    # HN-4: the grandfather has the larger balance and pays all of it; the father's 100 stays
    assert lifted["sides"]["current"]["mutual_aid_fen"] == 100
    assert lifted["sides"]["proposed"]["mutual_aid_fen"] == 10_000
    assert lifted["affected"]["payers"] == 2


def test_simulation_writes_nothing(world):
    harbin_families(world)
    before = snapshot(world)
    run(world, "23", changes={"reserve_line_fen": 1000, "payer_order": "priority"}, scenario="grandparents")
    assert snapshot(world) == before


@pytest.mark.parametrize(("kwargs", "code"), [
    ({"changes": {"no_such_key": 1}}, "SIMULATION_UNKNOWN_KEY"),
    ({"changes": {"name": "x"}}, "SIMULATION_UNKNOWN_KEY"),
    ({"changes": {"reserve_line_fen": -5}}, "SIMULATION_BAD_VALUE"),
    ({"changes": {"allowed_relationships": ["cousin"]}}, "SIMULATION_BAD_VALUE"),
    ({"start": date(2025, 7, 1), "end": date(2025, 6, 1)}, "SIMULATION_BAD_PERIOD"),
    ({"start": date(2020, 1, 1), "end": date(2025, 6, 1)}, "SIMULATION_BAD_PERIOD"),
    ({"region": "4x03"}, "SIMULATION_BAD_REGION"),
    ({"scenario": "cousins"}, "SIMULATION_UNKNOWN_SCENARIO"),
    ({"additions_csv": "a,b"}, "SIMULATION_BAD_ADDITIONS"),
])
def test_bad_inputs_are_refused(world, kwargs, code):
    harbin_families(world)
    kwargs = {"region": "23", **kwargs}
    refused(world, lambda: run(world, **kwargs), code)


def test_bindings_to_add_from_csv(world, clock):
    """A CSV of bindings to add: 王强's sister's bill, paid in cash, is paid by 王强 once bound (N-2). The bill has
    no ledger entry: it takes its place in the timeline by time, after the credit made an hour before."""
    world.institution()
    payer = world.person("王强", born=ADULT, current_fen=50_000)
    sister = world.person("王梅", born=ADULT, sex="F", scheme="resident")
    clock.advance(hours=1)
    world.settle(sister, 7_000)
    csv_text = f"payer,beneficiary,relationship\n{payer.id_number},{sister.id_number},sibling\n"
    result = run(world, "23", additions_csv=csv_text)
    assert result["bindings"]["added"] == 1
    assert result["sides"]["difference"]["mutual_aid_fen"] == 7_000
    unknown = f"{payer.id_number},110101199001011237,sibling\n"
    refused(world, lambda: run(world, "23", additions_csv=unknown), "SIMULATION_BAD_ADDITIONS")
