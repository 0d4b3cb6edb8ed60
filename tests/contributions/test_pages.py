"""The portal's home page shows the end of a waiting period (LC-4): the pooled fund pays nothing until then, the
personal account is used as usual."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from gongji.actors import Actor
from gongji.contributions import service as contributions
from tests.web.helpers import by_testid
from tests.web.test_portal import portal  # noqa: F401  (the fixture)

CST = ZoneInfo("Asia/Shanghai")


def test_lc_4_the_portal_shows_the_waiting_period_end(portal, world, clock):  # noqa: F811
    clock.set(datetime(2026, 12, 8, 10, tzinfo=CST))
    person = world.person("刘军", city="ulanqab", current_fen=10_000)
    months = [f"2025-{m:02d}" for m in range(1, 13)] + ["2026-01", "2026-02", "2026-03"] + \
        [f"2026-{m:02d}" for m in range(9, 13)]

    def load(s, env):
        rows = [contributions.check_row({"id_number": person.id_number, "month": m, "employer_fen": 64_000,
                                         "base_fen": 800_000, "paid_on": f"{m}-01"}, today=env.today())
                for m in months]
        result = contributions.record(s, env, rows=rows, people=contributions.people_by_id_number(
            s, [person.id_number]), source="test")
        contributions.refresh(s, env, person_ids=result.person_ids, actor=Actor.system("tests"))

    world.run(load)
    portal.log_in(person)
    page = portal.get("/portal")
    assert page.status_code == 200
    assert by_testid(page.text)["waiting"] == ["待遇等待期至 2027-02-28：其间统筹基金不支付，个人账户照常可用。"]
