"""The demo's chapter on an insured person's life (LC-1..LC-5): contributions that stop (a lapse), start again after a
break (a waiting period), and a move to another province that ends a binding.

马丽娟 of Ulanqab pays for her mother 高桂英 (chapter 5). Her employer's contributions stop after February 2025;
they start again in July after four months' break, which in Ulanqab (003's examples) opens a six-month waiting
period; in October she moves to Zhengzhou, in Henan: her binding for her mother, in Inner Mongolia, ends by itself.
Every step calls the real services, as the rest of the story does.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import select

from gongji.actors import Actor
from gongji.contributions import service as contributions
from gongji.life import service as life
from gongji.notifications.messages import render
from gongji.notifications.models import Notification
from gongji.people import service as people
from gongji.terms import Use

if TYPE_CHECKING:
    from gongji_tools.demo.story import Story

SYSTEM = Actor.system("contributions")


def _contributions(story: Story, key: str, months: list[str]) -> None:
    """A month's file from the collecting authority, as ``gongji import contributions`` loads it (LC-1)."""
    member = story.cast[key]

    def work(s, env):
        rows = [contributions.check_row({
            "id_number": member.id_number, "month": month, "payer_kind": "employer", "employer_fen": 44_000,
            "individual_fen": 11_000, "base_fen": 550_000, "paid_on": f"{month}-05"}, today=env.today())
            for month in months]
        known = contributions.people_by_id_number(s, [member.id_number])
        done = contributions.record(s, env, rows=rows, people=known, source="demo")
        contributions.refresh(s, env, person_ids=done.person_ids, actor=SYSTEM)

    story.run(work)


def _standing(story: Story, key: str) -> tuple[str, str, object]:
    """(status, since, the pooled fund's share today) of a cast member."""
    def read(s):
        enrollment = people.get(s, story.cast[key].id).enrollment
        return (enrollment.status, enrollment.status_since.isoformat(),
                contributions.pooled_share(s, story.env, enrollment))
    return story.db.read(read)


def _last_notification(story: Story, key: str, kind: str) -> tuple[str, str]:
    """The words of the newest notification of ``kind`` for a cast member, in Chinese and English."""
    def read(s):
        row = s.execute(select(Notification).where(Notification.person_id == story.cast[key].id,
                                                   Notification.kind == kind)
                        .order_by(Notification.id.desc()).limit(1)).scalar_one()
        zh, en = render(s, row, language="zh"), render(s, row, language="en")
        return f"{zh.title}：{zh.body}", f"{en.title}: {en.body}"
    return story.db.read(read)


def chapter(story: Story, number: int) -> None:
    say, daughter, mother = story.say, story.cast["ma_daughter"], story.cast["gao"]
    hospital = story.population.hospital("150900")
    story.go_to(date(2025, 6, 10))
    say.chapter(number, "参保人的一生：断缴、等待期、迁移", "A life: a lapse, a waiting period, a move")
    say.step(f"征收部门传来的缴费记录：{daughter.name}的单位只缴到 2025年2月。",
             f"The collecting authority's records: {daughter.name}'s employer paid through February 2025 only.",
             ["LC-1", "WL-5"])
    _contributions(story, "ma_daughter", ["2025-01", "2025-02"])
    status, since, share = _standing(story, "ma_daughter")
    if (status, since, share.permille) != ("suspended", "2025-03-01", 0):
        raise story.error(f"expected suspended from 2025-03-01 with no pooled share, got {status} {since} {share}")
    say.ok(f"参保状态由缴费记录得出：自 {since} 起暂停（断缴次月起），统筹基金不支付",
           f"the status follows from the records: suspended from {since} (the month after the last paid one); "
           "the pooled fund pays nothing")
    zh, en = _last_notification(story, "ma_daughter", "enrollment.status_changed")
    say.note(f"通知 {zh}", f"notification: {en}")
    say.step(f"她在{hospital.name}门诊自付 120.00 元。", "She pays 120.00 yuan for an outpatient visit.", ["LC-2"])
    result = story.settle("ma_daughter", 12_000, Use.OUTPATIENT, hospital.code)
    if result.own_fen != 12_000:
        raise story.error(f"expected her own account to pay 120.00 yuan while suspended, got {result.own_fen} fen")
    say.note("暂停期间本人个人账户余额仍可使用", "while suspended, her own personal account still pays")

    story.go_to(date(2025, 9, 8))
    say.step("新单位自 2025年7月起为她缴费（7—9月）：中断四个月，超过乌兰察布规定的三个月。",
             "A new employer pays from July 2025 (July to September): a break of four months, more than Ulanqab's "
             "three.", ["LC-1", "LC-4"])
    _contributions(story, "ma_daughter", ["2025-07", "2025-08", "2025-09"])
    status, since, share = _standing(story, "ma_daughter")
    if (status, share.reason, share.waiting_until) != ("normal", "waiting", date(2025, 12, 31)):
        raise story.error(f"expected normal with a waiting period to 2025-12-31, got {status} {share}")
    say.ok(f"自 {since} 起恢复正常参保；待遇等待期至 {share.waiting_until}，其间统筹基金不支付，个人账户照常可用",
           f"normal again from {since}; a waiting period until {share.waiting_until}: the pooled fund pays nothing "
           "until then, her personal account as usual")
    zh, en = _last_notification(story, "ma_daughter", "enrollment.status_changed")
    say.note(f"通知 {zh}", f"notification: {en}")

    story.go_to(date(2025, 10, 15))
    say.step(f"{daughter.name}迁往河南郑州工作，经办人员登记迁移。",
             f"{daughter.name} moves to Zhengzhou, Henan; a clerk records the move.", ["LC-5", "N-6", "D-5"])
    done = story.run(lambda s, env: life.record(s, env, id_number=daughter.id_number, kind="move",
                                                occurred_on=date(2025, 10, 15), to_region_code="410100",
                                                actor=Actor.staff("DEMO-COUNTER")))
    if not done.ended_binding_ids:
        raise story.error("expected the move to end her binding for her mother (another province)")
    say.ok(f"她为母亲{mother.name}的绑定 #{done.ended_binding_ids[0]} 自动解除（不在同一省份）；\n"
           "账户与余额随她迁入郑州（本实例服务两省）",
           f"her binding #{done.ended_binding_ids[0]} for her mother ends by itself (no longer the same province); "
           "her account and balance move with her (this instance serves both provinces)")
    zh, en = _last_notification(story, "gao", "binding.ended")
    say.note(f"母亲收到的通知 {zh}", f"her mother's notification: {en}")
    say.note("两省各自部署时，余额经跨省消息转移接续到新参保地，仅一次（docs/federation.md）",
             "where each province runs its own instance, the balance is carried to the new insurer through the "
             "federation outbox, exactly once (LC-7, docs/federation.md)")
