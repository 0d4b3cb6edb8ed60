"""Monthly crediting follows the month's contribution (LC-6): its base × the region's rate, retirees a fixed sum,
nothing for an unpaid month, nothing twice."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from gongji.actors import Actor
from gongji.batch.crediting import credit_month
from gongji.contributions import service as contributions
from tests.batch.conftest import current, employee, ledger_ok

CST = ZoneInfo("Asia/Shanghai")


def paid(world, person, months: dict[str, int]) -> None:
    def work(s, env):
        rows = [contributions.check_row({"id_number": person.id_number, "month": m, "employer_fen": base // 10,
                                         "individual_fen": base // 50, "base_fen": base, "paid_on": f"{m}-01"},
                                        today=env.today()) for m, base in months.items()]
        known = contributions.people_by_id_number(s, [person.id_number])
        result = contributions.record(s, env, rows=rows, people=known, source="test")
        contributions.refresh(s, env, person_ids=result.person_ids, actor=Actor.system("contributions"))

    world.run(work)


def test_lc_6_the_month_is_credited_from_its_contribution_and_only_once(world, clock):
    clock.set(datetime(2026, 12, 8, 10, tzinfo=CST))
    on_base = employee(world, "张建国", city="ulanqab", base_fen=999_900)  # the enrollment's base is not used
    unpaid = employee(world, "李娜", city="ulanqab", base_fen=800_000, sex="F")
    lapsed_later = employee(world, "王强", city="ulanqab", base_fen=800_000)
    retiree = employee(world, "赵敏", city="ulanqab", base_fen=None, retired=True, sex="F")
    legacy = employee(world, "周杰", city="ulanqab", base_fen=500_000)  # no contribution known: the enrollment's base
    paid(world, on_base, {"2026-10": 700_000, "2026-11": 750_000, "2026-12": 750_000})
    paid(world, unpaid, {"2026-10": 800_000, "2026-12": 800_000})  # November unpaid
    paid(world, lapsed_later, {"2026-10": 600_000, "2026-11": 600_000})  # suspended since 1 December
    summary = credit_month(world.db, world.env, "2026-11")
    permille = world.env.policy("150900").monthly_credit_permille
    retiree_fen = world.env.policy("150900").retiree_monthly_credit_fen
    assert current(world, on_base) == 750_000 * permille // 1000
    assert current(world, unpaid) == 0
    assert current(world, lapsed_later) == 600_000 * permille // 1000
    assert current(world, retiree) == retiree_fen
    assert current(world, legacy) == 500_000 * permille // 1000
    assert summary.detail["skipped"] == {"unpaid": 1}
    credit_month(world.db, world.env, "2026-11")  # again: nothing more
    assert current(world, on_base) == 750_000 * permille // 1000
    ledger_ok(world)
    assert date(2026, 12, 8) == world.env.today()
