"""Recording contributions and the status they decide, on both databases (LC-1, LC-3, WL-5, HN-2)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from gongji.actors import Actor
from gongji.contributions import service as contributions
from gongji.contributions.models import Contribution
from gongji.errors import GongjiError
from gongji.events.models import Event
from gongji.people import service as people
from tests.factories import STAFF

SYSTEM = Actor.system("contributions")
CST = ZoneInfo("Asia/Shanghai")


def on(clock, day: date) -> None:
    clock.set(datetime(day.year, day.month, day.day, 10, tzinfo=CST))


def row(person, month: str, paid_on: str | None = None, **values):
    data = {"id_number": person.id_number, "month": month, "payer_kind": "employer", "employer_fen": 64_000,
            "individual_fen": 16_000, "base_fen": 800_000, "paid_on": paid_on or f"{month}-05", **values}
    return data


def load(world, data: list[dict]) -> contributions.Recorded:
    def work(s, env):
        rows = [contributions.check_row(d, today=env.today()) for d in data]
        known = contributions.people_by_id_number(s, [r.id_number for r in rows])
        result = contributions.record(s, env, rows=rows, people=known, source="test")
        contributions.refresh(s, env, person_ids=result.person_ids, actor=SYSTEM)
        return result

    return world.run(work)


def enrollment(world, person):
    return world.db.read(lambda s: people.get(s, person.id).enrollment)


def status_events(world, person) -> list[tuple]:
    return world.db.read(lambda s: [(e.data["from"], e.data["to"], e.data["on"], e.data.get("cause"))
                                    for e in s.execute(select(Event).where(
                                        Event.kind == "enrollment.status_changed", Event.subject_id == person.id)
                                        .order_by(Event.id)).scalars()])


def test_lc_1_status_follows_the_contributions_with_an_event_and_its_cause(world, clock):
    """LC-1, WL-5: paid through September, on 8 December the person is suspended since 1 October."""
    person = world.person("赵强", city="ulanqab")
    on(clock, date(2026, 12, 8))
    load(world, [row(person, f"2026-{m:02d}") for m in range(1, 10)])
    e = enrollment(world, person)
    assert (e.status, e.status_since, e.status_cause, e.last_paid_month) == (
        "suspended", date(2026, 10, 1), "contributions", "2026-09")
    assert status_events(world, person) == [("normal", "suspended", "2026-10-01", "contributions")]
    load(world, [row(person, "2026-12", "2026-12-08")])  # paid again this month
    e = enrollment(world, person)
    assert (e.status, e.status_since) == ("normal", date(2026, 12, 1))
    assert status_events(world, person)[-1] == ("suspended", "normal", "2026-12-01", "contributions")


def test_lc_1_loading_the_same_rows_again_changes_nothing(world, clock):
    person = world.person("钱芳", city="ulanqab", sex="F")
    on(clock, date(2026, 12, 8))
    data = [row(person, f"2026-{m:02d}") for m in range(1, 13)]
    first = load(world, data)
    assert (first.inserted, first.updated, first.unchanged) == (12, 0, 0)
    again = load(world, data)
    assert (again.inserted, again.updated, again.unchanged, again.person_ids) == (0, 0, 12, set())
    corrected = load(world, [row(person, "2026-12", base_fen=900_000)])
    assert (corrected.inserted, corrected.updated) == (0, 1)
    stored = world.db.read(lambda s: s.execute(select(Contribution.base_fen).where(
        Contribution.person_id == person.id, Contribution.month == "2026-12")).scalar_one())
    assert stored == 900_000
    assert len(status_events(world, person)) == 0  # paid up all along


def test_lc_1_staff_record_a_status_with_a_reason_but_contributions_decide(world, clock):
    """LC-1: once contributions are known, a status staff record is kept with its reason, not read by the rules;
    terminated (death, leaving the scheme) always applies."""
    person = world.person("孙丽", city="ulanqab", sex="F")
    on(clock, date(2026, 12, 8))
    load(world, [row(person, f"2026-{m:02d}") for m in range(1, 13)])
    e = world.run(lambda s, env: people.change_status(s, env, id_number=person.id_number, status="suspended",
                                                      actor=STAFF, reason="单位申报有误，待核实"))
    assert (e.status, e.recorded_status, e.status_reason) == ("normal", "suspended", "单位申报有误，待核实")
    e = world.run(lambda s, env: people.change_status(s, env, id_number=person.id_number, status="terminated",
                                                      actor=STAFF, reason="死亡"))
    assert (e.status, e.status_cause) == ("terminated", "staff")
    load(world, [row(person, "2026-12", base_fen=810_000)])
    assert enrollment(world, person).status == "terminated"


def test_without_contributions_the_recorded_status_stands(world, clock):
    person = world.person("周杰", city="zhengzhou")
    world.run(lambda s, env: people.change_status(s, env, id_number=person.id_number, status="suspended",
                                                  actor=STAFF, on=date(2025, 5, 31)))
    assert world.run(lambda s, env: contributions.refresh(s, env, person_ids=[person.id], actor=SYSTEM)) == 0
    e = enrollment(world, person)
    assert (e.status, e.status_cause) == ("suspended", "staff")


@pytest.mark.parametrize(("change", "field"), [
    ({"month": "2026-13"}, "month"), ({"month": "九月"}, "month"), ({"payer_kind": "tax"}, "payer_kind"),
    ({"employer_fen": -1}, "employer_fen"), ({"base_fen": "12.5"}, "base_fen"), ({"paid_on": "2027-01-01"}, "paid_on"),
    ({"employer_fen": 0, "individual_fen": 0}, "individual_fen"), ({"extra": 1}, "extra"),
    ({"payer_kind": "individual"}, "employer_fen"), ({"paid_on": "2026-12-31"}, "paid_on"),
])
def test_a_bad_row_is_refused_naming_its_field(world, clock, change, field):
    person = world.person()
    on(clock, date(2026, 12, 8))
    with pytest.raises(GongjiError) as info:
        contributions.check_row({**row(person, "2026-11"), **change}, today=date(2026, 12, 8))
    assert info.value.code == "INVALID_FIELD" and info.value.params["field"] == field
