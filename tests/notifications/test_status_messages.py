"""Status changes and moves are told to the person (LC-1, LC-2, LC-4, LC-7): suspended, restored with the end of
a waiting period or a reduced share, ended; the balance carried to another province, arrived or refused."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from gongji.actors import Actor
from gongji.contributions import service as contributions
from gongji.notifications.messages import Facts, compose, render_all
from gongji.notifications.models import Notification

CST = ZoneInfo("Asia/Shanghai")
ME = 1


def said(data: dict, kind: str = "enrollment.status_changed") -> tuple[str, str]:
    facts = Facts(kind=kind, reader_id=ME, data=data, names={ME: "张三"})
    zh, en = compose(facts, "zh"), compose(facts, "en")
    return f"{zh.title}|{zh.body}", f"{en.title}|{en.body}"


def test_lc_2_suspended_says_the_pooled_fund_stops_and_the_account_still_pays():
    zh, en = said({"from": "normal", "to": "suspended", "on": "2026-10-01", "cause": "contributions"})
    assert zh.startswith("医保待遇暂停|自 2026年10月1日 起") and "个人账户余额仍可使用" in zh
    assert en.startswith("Insurance benefits suspended|From 1 October 2026") and "can still be used" in en


def test_lc_4_restored_into_a_waiting_period_says_its_last_day():
    zh, en = said({"from": "suspended", "to": "normal", "on": "2026-09-01", "pooled_share": "waiting",
                   "pooled_share_permille": 0, "pooled_share_last_day": "2027-02-28"})
    assert zh == ("医保待遇恢复|自 2026年9月1日 起您的医保参保状态恢复正常。待遇等待期至 2027年2月28日，其间统筹基金不支付，"
                  "个人账户照常可用。")
    assert "A waiting period runs until 28 February 2027" in en


def test_lc_4_restored_into_a_reduced_share_says_the_share_and_its_last_day():
    zh, en = said({"from": "suspended", "to": "normal", "on": "2026-09-01", "pooled_share": "reduced",
                   "pooled_share_permille": 500, "pooled_share_last_day": "2029-02-28"})
    assert zh.endswith("至 2029年2月28日，统筹基金按正常的 50% 支付。")
    assert en.endswith("Until 28 February 2029 the pooled fund pays 50% of its usual share.")


def test_lc_4_restored_without_a_wait_says_nothing_of_one():
    zh, en = said({"from": "suspended", "to": "normal", "on": "2026-09-01"})
    assert "等待期" not in zh and "waiting" not in en


def test_lc_1_lc_7_ended_says_the_balance_is_not_lost():
    zh, en = said({"from": "normal", "to": "terminated", "on": "2026-09-01", "cause": "staff"})
    assert zh.startswith("参保关系终止|") and "不会丢失" in zh
    assert en.startswith("Enrollment ended|") and "not lost" in en


def test_lc_7_the_carried_balance_is_told_on_its_way_on_arrival_and_when_refused():
    out = said({"amount_fen": 40_001, "province": "41"}, "account.carried_out")
    assert "400.01 元" in out[0] and "400.01 yuan" in out[1] and "41" in out[0]
    arrived = said({"amount_fen": 40_001, "province": "23"}, "account.carried_in")
    assert arrived[0].startswith("个人账户转入到账|") and "is now in your personal account here" in arrived[1]
    refused = said({"amount_fen": 40_001, "province": "41", "code": "X", "message_zh": "查无此人。",
                    "message_en": "Not known."}, "account.carry_refused")
    assert refused[0].endswith("已退回原账户。原因：查无此人。") and refused[1].endswith("Reason: Not known.")


def test_lc_1_lc_4_contributions_that_stop_then_resume_notify_suspended_then_restored_with_the_wait(world, clock):
    """LC-1, LC-4 on both databases (Ulanqab: a break of more than 3 months opens a 6-month wait): paid January to
    March, suspended from April; paying again from September after five months' break restores him with a waiting
    period until 28 February 2027, and each change is a notification that says so."""
    person = world.person("赵强", city="ulanqab")
    system = Actor.system("contributions")

    def load(day: date, months: list[str]) -> None:
        clock.set(datetime(day.year, day.month, day.day, 10, tzinfo=CST))

        def work(s, env):
            rows = [contributions.check_row({
                "id_number": person.id_number, "month": m, "payer_kind": "employer", "employer_fen": 64_000,
                "individual_fen": 16_000, "base_fen": 800_000, "paid_on": f"{m}-05"}, today=env.today())
                for m in months]
            known = contributions.people_by_id_number(s, [r.id_number for r in rows])
            done = contributions.record(s, env, rows=rows, people=known, source="test")
            contributions.refresh(s, env, person_ids=done.person_ids, actor=system)
        world.run(work)

    load(date(2026, 5, 10), ["2026-01", "2026-02", "2026-03"])
    load(date(2026, 10, 8), ["2026-09", "2026-10"])

    def texts(s):
        rows = list(s.execute(select(Notification).where(
            Notification.person_id == person.id, Notification.kind == "enrollment.status_changed")
            .order_by(Notification.id)).scalars())
        return [t.title + "|" + t.body for t in render_all(s, rows, language="zh")]

    suspended, restored = world.db.read(texts)
    assert suspended.startswith("医保待遇暂停|自 2026年4月1日 起")
    assert restored.startswith("医保待遇恢复|") and "待遇等待期至 2027年2月28日" in restored
