"""A person who moved within the period is replayed under the region of each settlement's day, on SQLite and
PostgreSQL: a Shenzhen payer (SZ-1: 4,200 yuan reserve line, SZ-2: city scope) pays for his child, then moves to
Guangzhou (the national defaults). Replayed under Guangzhou's settings the bill would be paid otherwise; under the
region of its day it is paid as it was.

Rules: SZ-1, SZ-2, LC-2, N-10.
"""

from __future__ import annotations

from datetime import date, timedelta

from gongji.life import service as life
from gongji.simulate import service as simulator
from tests.factories import STAFF

JUNE = dict(start=date(2025, 6, 1), end=date(2025, 6, 30))


def test_a_payer_who_moved_is_replayed_under_the_region_of_the_day(world, clock):
    world.institution("H44030100001", city="shenzhen")
    payer = world.person("陈伟", city="shenzhen", born=date(1975, 1, 1), current_fen=500_000)
    child = world.person("陈小明", city="shenzhen", born=date(2000, 1, 1), scheme="resident")
    world.bind(payer, child, "child")
    world.settle(child, 100_000, institution="H44030100001")  # 800 yuan above the line pays, 200 cash (SZ-1)
    clock.advance(days=1)
    moved_on = clock.now().date()
    world.run(lambda s, env: life.record(s, env, id_number=payer.id_number, kind="move", occurred_on=moved_on,
                                         actor=STAFF, to_region_code="440100"))
    result = simulator.simulate(world.db, world.env, region="4403", **JUNE)
    checks = result["checks"]
    assert checks["baseline_settlements"] == 1
    assert checks["baseline_reproduced"], checks
    assert result["sides"]["current"]["mutual_aid_fen"] == 80_000

    # the same world as if his region had always been today's: the bill is not paid as it was
    from gongji.simulate import facts

    real = facts.PersonFacts.region_on
    try:
        facts.PersonFacts.region_on = lambda self, day: self.region_code
        assert not simulator.simulate(world.db, world.env, region="4403", **JUNE)["checks"]["baseline_reproduced"]
    finally:
        facts.PersonFacts.region_on = real


def test_region_on_a_day(world):
    from gongji.simulate.facts import PersonFacts
    from gongji.terms import Scheme, Status

    person = PersonFacts(id=1, name="x", name_sort_key="x", id_number="1", birth_date=date(1980, 1, 1), sex="M",
                         scheme=Scheme.EMPLOYEE, region_code="410100", status=Status.NORMAL,
                         moves=((date(2025, 3, 1), "230100"), (date(2025, 9, 1), "410100")), first_region="440300")
    day = date(2025, 3, 1)
    assert [person.region_on(d) for d in (day - timedelta(days=1), day, date(2025, 8, 31), date(2025, 9, 1))] == [
        "440300", "230100", "230100", "410100"]
    assert person.party_on(day).region_code == "230100"
