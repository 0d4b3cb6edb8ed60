"""How fast the policy simulator replays a year of a province: a synthetic world in memory, both sides, the report.

The world is what :func:`gongji.simulate.facts.load` would read from a year of a province: households of four in
Shenzhen (payer and spouse employees, a child and a grandparent residents or retired employees), bound as the
region allows, a personal account per employee, a year of settlements (outpatient, inpatient, pharmacy; about
three per person), twelve monthly credits. The recorded parts are what the current policy pays (one replay first),
so that the timed run also does the baseline check. Timed: two sides (current, and the reserve line at 3,000 yuan)
and the report over the whole timeline. Reading the facts from a database is timed apart (``--database-url``):
:func:`gongji.simulate.facts.load` of a region and period, then the same replay of what it read.

    .venv/bin/python -m gongji_tools.bench.simulate --people 100000
    .venv/bin/python -m gongji_tools.bench.simulate --database-url postgresql://... --region 23 --from 2024-01-01 \
        --to 2024-12-31

Both print wall-clock and CPU seconds and the load average: on a shared machine the CPU seconds are the figure.
"""

from __future__ import annotations

import os
import random
import time
from dataclasses import replace
from datetime import date, timedelta

from gongji.policy import load_policies
from gongji.simulate import changes as policy_changes
from gongji.simulate import parallel
from gongji.simulate.facts import BindingFacts, PartFacts, PersonFacts, SettlementFacts, Step, World
from gongji.simulate.replay import Policies, Side, replay
from gongji.terms import Scheme, Status, Use

REGION = "440300"
YEAR = 2025


def synthetic_world(people: int, *, seed: int = 2025, settlements_per_person: float = 3.0, refunds: float = 0.0,
                    suspended: float = 0.0) -> World:
    """``refunds``: the share of settlements refunded in part a few days later (HN-5); ``suspended``: the share of
    people suspended from a day in the year (HN-2)."""
    rng = random.Random(seed)
    start, end = date(YEAR, 1, 1), date(YEAR, 12, 31)
    world = World(region="4403", start=start, end=end)
    account_id = binding_id = 0
    employees: list[int] = []

    def person(pid: int, born: date, sex: str, employee: bool) -> None:
        nonlocal account_id
        world.people[pid] = PersonFacts(
            id=pid, name=f"人{pid}", name_sort_key=f"ren{pid:08d}", id_number=f"{pid:018d}", birth_date=born, sex=sex,
            scheme=Scheme.EMPLOYEE if employee else Scheme.RESIDENT, region_code=REGION, status=Status.NORMAL)
        if employee:
            funds = {}
            for fund in ("current_year", "prior_years"):
                account_id += 1
                funds[fund] = account_id
                world.opening[account_id] = rng.randrange(0, 800_000) if fund == "prior_years" else rng.randrange(0, 60_000)
            world.accounts[pid] = funds
            employees.append(pid)

    def bind(payer: int, beneficiary: int, relationship: str) -> None:
        nonlocal binding_id
        binding_id += 1
        world.bindings.append(BindingFacts(id=binding_id, payer_id=payer, beneficiary_id=beneficiary,
                                           relationship=relationship, start_on=date(YEAR - 1, 3, 1), end_on=None,
                                           ended_on=None, priority=None, created_on=date(YEAR - 1, 3, 1)))

    pid = 0
    while pid < people:
        payer, spouse, child, elder = pid + 1, pid + 2, pid + 3, pid + 4
        pid += 4
        person(payer, date(rng.randint(1970, 1990), rng.randint(1, 12), 1), "M", True)
        person(spouse, date(rng.randint(1970, 1990), rng.randint(1, 12), 1), "F", rng.random() < 0.7)
        person(child, date(rng.randint(2005, 2020), rng.randint(1, 12), 1), rng.choice("MF"), False)
        person(elder, date(rng.randint(1940, 1960), rng.randint(1, 12), 1), "F", rng.random() < 0.5)
        for someone in (payer, spouse, child, elder):
            if suspended and rng.random() < suspended:
                world.people[someone] = replace(world.people[someone], status=Status.SUSPENDED, changes=(
                    (start + timedelta(days=rng.randrange(365)), Status.NORMAL, Status.SUSPENDED),))
        bind(payer, child, "child")
        bind(payer, elder, "parent")
        if world.people[spouse].scheme is Scheme.EMPLOYEE:
            bind(spouse, child, "child")
        else:
            bind(payer, spouse, "spouse")
    steps: list[tuple[date, int, Step]] = []
    uses = (Use.OUTPATIENT,) * 6 + (Use.PHARMACY,) * 3 + (Use.INPATIENT,)
    sid = 0
    for person_id in world.people:
        for _ in range(int(settlements_per_person) + (rng.random() < settlements_per_person % 1)):
            sid += 1
            use = rng.choice(uses)
            amount = rng.randint(2_000, 40_000) if use is not Use.INPATIENT else rng.randint(50_000, 800_000)
            day = start + timedelta(days=rng.randrange(365))
            world.settlements[sid] = SettlementFacts(
                id=sid, patient_id=person_id, region_code=REGION, use=use, amount_fen=amount, own_fen=0,
                mutual_aid_fen=0, cash_fen=amount, settled_on=day, attested_payer_id=None, parts=())
            steps.append((day, 1, Step(kind="settlement", on=day, ref=sid)))
            if refunds and rng.random() < refunds:
                later = min(end, day + timedelta(days=rng.randrange(1, 10)))
                steps.append((later, 2, Step(kind="refund", on=later, ref=sid, settlement_id=sid,
                                             amount_fen=rng.randint(1, amount))))
    for month in range(1, 13):
        legs = tuple((world.accounts[e]["current_year"], 20_000) for e in employees)
        steps.append((date(YEAR, month, 1), 0, Step(kind="postings", on=date(YEAR, month, 1), legs=legs)))
    steps.sort(key=lambda s: (s[0], s[1], s[2].ref))
    world.timeline = [s for _, _, s in steps]
    _record(world)
    return world


def _record(world: World) -> None:
    """The recorded parts: what the current policy pays (as settlement would have)."""
    side = Side("record", world, Policies(load_policies()), world.bindings)

    def keep(planned):
        p = planned[0]
        s = p.settlement
        world.settlements[s.id] = replace(
            s, own_fen=p.plan.own_fen, mutual_aid_fen=p.plan.mutual_aid_fen, cash_fen=p.plan.cash_fen,
            parts=tuple(PartFacts(id=0, seq=n, payer_id=x.payer_id, account_id=x.account_id, fund=x.fund.value,
                                  binding_id=x.binding_id, amount_fen=x.amount_fen)
                        for n, x in enumerate(p.plan.parts, start=1)))

    replay(world, [side], keep)


def timed_replay(world: World, *, workers: int | None = 1, share: bool = True,
                 changes: dict | None = None) -> tuple[float, dict]:
    """Both sides and the report; ``cpu_s``: CPU seconds of this process and of the processes it started."""
    book = load_policies()
    current = book.for_region(REGION)
    proposal = policy_changes.proposed(current, changes or {"reserve_line_fen": 300_000})
    started, cpu = time.perf_counter(), _cpu()
    sides = [Side("current", world, Policies(book), world.bindings),
             Side("proposed", world, Policies(book, current, proposal), world.bindings)]
    result = parallel.run(world, sides, workers=workers, share=share).result()
    result["cpu_s"] = _cpu() - cpu
    return time.perf_counter() - started, result


def _cpu() -> float:
    """CPU seconds of this process and of its children that ended."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _load() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def synthetic(people: int, workers: int | None, share: bool) -> None:
    started, cpu = time.perf_counter(), _cpu()
    world = synthetic_world(people)
    built, built_cpu = time.perf_counter() - started, _cpu() - cpu
    print(f"synthetic world: people {len(world.people):,}  settlements {len(world.settlements):,}  "
          f"steps {len(world.timeline):,}  built (and recorded) in {built:.1f} s wall, {built_cpu:.1f} s CPU  "
          f"load average {_load()}", flush=True)
    workers = parallel.default_workers(world) if workers is None else workers
    seconds, result = timed_replay(world, workers=workers, share=share)
    cpu = result["cpu_s"]
    print(f"replay of both sides and the report ({workers} process{'es' if workers > 1 else ''}, "
          f"{'planned once where the sides agree' if share else 'every settlement planned in both sides'}): "
          f"{seconds:.2f} s wall, {cpu:.2f} s CPU "
          f"({len(world.settlements) / cpu:,.0f} settlements per CPU second)  load average {_load()}")
    print(f"baseline reproduced: {result['checks']['baseline_reproduced']}  "
          f"difference in mutual aid: {result['sides']['difference']['mutual_aid_fen'] / 100:,.2f} yuan")


def from_database(url: str, region: str, start: date, end: date) -> None:
    from gongji.db import Database
    from gongji.simulate import facts

    db = Database(url)

    def read(session):
        facts.snapshot(session)
        return facts.load(session, region=region, start=start, end=end)

    started, cpu = time.perf_counter(), time.process_time()
    world = db.read(read)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    db.dispose()
    legs = sum(len(step.legs) for step in world.timeline)
    print(f"facts of {region} {start} – {end}: people {len(world.people):,}  settlements {len(world.settlements):,}  "
          f"steps {len(world.timeline):,}  postings of other entries {legs:,}")
    print(f"read in {wall:.2f} s wall, {cpu:.2f} s CPU in this process  load average {_load()}")
    book = load_policies()
    current = book.for_region(region.ljust(6, "0"))
    proposal = policy_changes.proposed(current, {"reserve_line_fen": 0})
    started, cpu = time.perf_counter(), _cpu()
    sides = [Side("current", world, Policies(book), world.bindings),
             Side("proposed", world, Policies(book, current, proposal), world.bindings)]
    result = parallel.run(world, sides, workers=None).result()
    print(f"replay: {time.perf_counter() - started:.2f} s wall, {_cpu() - cpu:.2f} s CPU; "
          f"baseline reproduced: {result['checks']['baseline_reproduced']}  load average {_load()}")


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--workers", type=int, help="processes for the replay (default: as many as pay)")
    parser.add_argument("--full", action="store_true", help="plan every settlement in both sides (no sharing)")
    parser.add_argument("--database-url")
    parser.add_argument("--region", default="23")
    parser.add_argument("--from", dest="start", type=date.fromisoformat, default=date(YEAR - 1, 1, 1))
    parser.add_argument("--to", dest="end", type=date.fromisoformat, default=date(YEAR - 1, 12, 31))
    args = parser.parse_args()
    if args.database_url:
        from_database(args.database_url, args.region, args.start, args.end)
    else:
        synthetic(args.people, args.workers, not args.full)


if __name__ == "__main__":
    main()
