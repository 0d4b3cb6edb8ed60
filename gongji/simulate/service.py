"""``simulate``: what a region's settlements in a period would have paid under a proposed change of its settings.

Read-only from end to end: the facts are read in one read-only transaction (:mod:`gongji.simulate.facts`), the
replay runs in memory (:mod:`gongji.simulate.replay`), nothing is written and no money moves.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import select

from gongji.db import Database
from gongji.env import Env
from gongji.errors import GongjiError
from gongji.people.models import Person
from gongji.simulate import bindings as scenario_bindings
from gongji.simulate import changes as policy_changes
from gongji.simulate import facts, parallel
from gongji.simulate.replay import Policies, Side

MAX_DAYS = 3 * 366

Progress = Callable[[str, int, int], None]


def check_region(region: Any) -> str:
    value = str(region).strip()
    if not re.fullmatch(r"\d{2}|\d{4}|\d{6}", value):
        raise GongjiError("SIMULATION_BAD_REGION", value=value[:20])
    return value


def check_period(start: date | None, end: date | None, today: date) -> tuple[date, date]:
    """Default: the last full calendar year."""
    if start is None and end is None:
        return date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
    if start is None or end is None:
        raise GongjiError("SIMULATION_BAD_PERIOD", reason_zh="开始和结束日期须同时给出",
                          reason_en="give both the start and the end")
    if start > end:
        raise GongjiError("SIMULATION_BAD_PERIOD", reason_zh=f"开始日期 {start} 晚于结束日期 {end}",
                          reason_en=f"the start {start} is after the end {end}")
    if (end - start).days > MAX_DAYS:
        raise GongjiError("SIMULATION_BAD_PERIOD", reason_zh="期间超过三年", reason_en="the period is longer than three years")
    return start, end


def parse_date(value: str | None, field: str) -> date | None:
    if value is None or value == "":
        return None
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise GongjiError("SIMULATION_BAD_PERIOD", reason_zh=f"{field}“{str(value)[:20]}”不是日期",
                          reason_en=f"{field} '{str(value)[:20]}' is not a date") from None


def simulate(db: Database, env: Env, *, region: str, start: date | None = None, end: date | None = None,
             changes: dict[str, Any] | None = None, scenario: str | None = None, additions_csv: str | None = None,
             progress: Progress | None = None, workers: int | None = 1) -> dict[str, Any]:
    """Replay ``region``'s settlements from ``start`` through ``end`` under its current policy and under the policy
    with ``changes`` (and a binding ``scenario`` / bindings to add), side by side. Returns the report
    (:meth:`gongji.simulate.report.Accumulator.result`, with the question asked). ``workers``: processes to
    replay in (:func:`gongji.simulate.parallel.run`; None: as many as pay, up to the cores)."""
    region = check_region(region)
    start, end = check_period(start, end, env.today())
    current = env.policy(region.ljust(6, "0"))
    proposal = policy_changes.proposed(current, changes or {})
    if scenario is not None and scenario not in scenario_bindings.SCENARIOS:
        raise GongjiError("SIMULATION_UNKNOWN_SCENARIO", value=str(scenario)[:40],
                          allowed=", ".join(scenario_bindings.SCENARIOS))
    rows = scenario_bindings.parse_additions(additions_csv) if additions_csv else []

    def read(session):
        facts.snapshot(session)
        seeds: set[int] = set()
        if rows:
            numbers = {n for row in rows for n in row[:2]}
            seeds = set(session.execute(select(Person.id).where(Person.id_number.in_(numbers))).scalars())
        return facts.load(session, region=region, start=start, end=end, seeds=seeds,
                          progress=progress and (lambda *a: progress("facts", *a[1:])))

    world = db.read(read)
    proposed_policies = Policies(env.policies, current, proposal)
    first_id = max((b.id for b in world.bindings), default=0) + 1
    added = []
    if scenario == "grandparents":
        added += scenario_bindings.grandparents(world, start, first_id)
    if rows:
        added += scenario_bindings.additions(world, rows, start, first_id + len(added))
    checked = scenario_bindings.check_all(world, proposed_policies, world.bindings, added)
    sides = [Side("current", world, Policies(env.policies), world.bindings),
             Side("proposed", world, proposed_policies, checked.kept)]
    accumulator = parallel.run(world, sides, workers=workers,
                               progress=progress and (lambda n, total: progress("replay", n, total)))
    result = accumulator.result()
    dropped = {k.split(":", 1)[1]: v for k, v in checked.refused.items() if k.startswith("dropped:")}
    refused = {k.split(":", 1)[1]: v for k, v in checked.refused.items() if k.startswith("added:")}
    result["question"] = {
        "region": region, "region_name": current.name, "region_name_en": current.name_en,
        "from": start.isoformat(), "to": end.isoformat(),
        "changes": policy_changes.differences(current, proposal), "scenario": scenario,
    }
    result["bindings"] = {"recorded": len(world.bindings), "dropped": dropped, "added": checked.added,
                          "refused": refused}
    result["world"] = {"people": len(world.people), "settlements": len(world.settlements),
                       "steps": len(world.timeline)}
    return result
