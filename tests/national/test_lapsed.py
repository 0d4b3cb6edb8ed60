"""Lapsed contributions over the national interface: the pooled fund stops, the own account still pays
(LC-2, LC-4, WL-5, HN-2; issue 16's bug: suspended on 2026-09-30, still pooled in December)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from gongji.actors import Actor
from gongji.contributions import service as contributions
from gongji.people import service as people
from tests.factories import STAFF
from tests.national.conftest import fen, institution, open_visit, settle_input, yuan

CST = ZoneInfo("Asia/Shanghai")
SYSTEM = Actor.system("contributions")


def on(api, day: date) -> None:
    api.world.env.clock.set(datetime(day.year, day.month, day.day, 10, tzinfo=CST))


def paid(api, person, months: list[str]) -> None:
    def work(s, env):
        rows = [contributions.check_row({"id_number": person.id_number, "month": m, "employer_fen": 64_000,
                                         "individual_fen": 16_000, "base_fen": 800_000, "paid_on": f"{m}-01"},
                                        today=env.today()) for m in months]
        known = contributions.people_by_id_number(s, [person.id_number])
        result = contributions.record(s, env, rows=rows, people=known, source="test")
        contributions.refresh(s, env, person_ids=result.person_ids, actor=SYSTEM)

    api.world.run(work)


def settle(his, person, amount: str = "1000.00") -> dict:
    mdtrt_id = open_visit(his, person, [amount])
    return his.ok("2207", settle_input(person, mdtrt_id, amount), psn=person)["setlinfo"]


def test_lc_2_the_issue_16_bug_suspended_on_30_september_gets_nothing_pooled_in_december(api):
    """LC-2, WL-5: a person set suspended on 2026-09-30 gets 0 from the pooled fund in December; his own
    account still pays ("社保卡中的个人余额仍然可以使用")."""
    his = institution(api, "H41010000009", "郑州市第一人民医院", city="zhengzhou")
    person = api.world.person("李强", city="zhengzhou", current_fen=200_000)
    api.world.run(lambda s, env: people.change_status(s, env, id_number=person.id_number, status="suspended",
                                                      actor=STAFF, on=date(2026, 9, 30), reason="停止缴费"))
    on(api, date(2026, 12, 8))
    info = settle(his, person)
    assert info["fund_pay_sumamt"] == 0 and info["hifp_pay"] == 0 and info["act_pay_dedc"] == 0
    assert info["acct_pay"] == yuan(100_000) == info["psn_part_amt"]
    assert api.world.total(person) == 100_000


def test_lc_1_lc_2_contributions_through_september_stop_the_pooled_fund_in_december(api):
    his = institution(api, "H41010000009", "郑州市第一人民医院", city="zhengzhou")
    lapsed = api.world.person("王芳", city="zhengzhou", sex="F", current_fen=200_000)
    paid_up = api.world.person("张伟", city="zhengzhou", current_fen=200_000)
    on(api, date(2026, 12, 8))
    paid(api, lapsed, [f"2026-{m:02d}" for m in range(1, 10)])
    paid(api, paid_up, [f"2026-{m:02d}" for m in range(1, 13)])
    assert settle(his, lapsed)["fund_pay_sumamt"] == 0
    rule = api.world.env.policy("410100").outpatient_pooling("employee")
    expected = (100_000 - rule.deductible_fen) * rule.ratio_permille // 1000
    assert settle(his, paid_up)["fund_pay_sumamt"] == yuan(expected) > 0


def test_lc_4_waiting_period_then_half_in_ulanqab(api):
    """LC-4 with Ulanqab's settings (003's examples): a break of 5 months, back from September 2026: nothing from
    the pooled fund until the end of February 2027, then half of the usual share."""
    his = institution(api, "H15090000001", "乌兰察布市中心医院", city="ulanqab")
    person = api.world.person("刘军", city="ulanqab", current_fen=500_000)
    months = [f"2025-{m:02d}" for m in range(1, 13)] + ["2026-01", "2026-02", "2026-03"]
    months += [f"2026-{m:02d}" for m in range(9, 13)] + [f"2027-{m:02d}" for m in range(1, 4)]
    on(api, date(2026, 12, 8))
    paid(api, person, [m for m in months if m <= "2026-12"])
    info = settle(his, person)
    assert info["fund_pay_sumamt"] == 0 and info["acct_pay"] == yuan(100_000)
    on(api, date(2027, 3, 2))
    paid(api, person, [m for m in months if m > "2026-12"])
    rule = api.world.env.policy("150900").outpatient_pooling("employee")
    full = (100_000 - rule.deductible_fen) * rule.ratio_permille // 1000
    info = settle(his, person)
    assert fen(info["fund_pay_sumamt"]) == (100_000 - rule.deductible_fen) * (rule.ratio_permille // 2) // 1000
    assert 0 < fen(info["fund_pay_sumamt"]) < full
