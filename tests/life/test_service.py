"""Life events and the bindings they end (N-6, D-5, LC-1, LC-5, HN-5, HLJ-2), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from gongji.actors import Actor
from gongji.authorizations.models import Binding
from gongji.imports import runner
from gongji.life import service as life
from gongji.life.importing import LifeEventLoader
from gongji.notifications.models import Notification
from gongji.people.models import Enrollment
from gongji.settlement import service as settlement
from tests.factories import STAFF, refused

TODAY = date(2025, 6, 2)


def record(world, person, kind, on=TODAY, **kw):
    return world.run(lambda s, env: life.record(s, env, id_number=person.id_number, kind=kind, occurred_on=on,
                                                actor=STAFF, **kw))


def binding(world, binding_id):
    return world.db.read(lambda s: s.get(Binding, binding_id))


def enrollment(world, person):
    return world.db.read(lambda s: s.get(Enrollment, person.id))


def test_a_death_ends_the_bindings_and_both_sides_are_told(world):
    """LC-5: ended by itself with its reason; LC-1: terminated from the day of death; recorded once."""
    payer = world.person("张三", current_fen=50_000)
    wife = world.person("李四", scheme="resident", sex="F")
    child = world.person("张小", scheme="resident", born=date(2000, 1, 1))
    b1, b2 = world.bind(payer, wife), world.bind(payer, child, "child")
    done = record(world, wife, "death")
    assert done.created and done.ended_binding_ids == [b1] and done.kept_binding_ids == []
    ended = binding(world, b1)
    assert (ended.end_reason, ended.ended_on) == ("death", TODAY)
    assert binding(world, b2).ended_on is None
    assert (enrollment(world, wife).status, enrollment(world, wife).status_since) == ("terminated", TODAY)
    told = world.db.read(lambda s: sorted(n.person_id for n in s.execute(
        select(Notification).where(Notification.kind == "binding.ended")).scalars()))
    assert told == sorted([payer.id, wife.id])
    again = record(world, wife, "death")
    assert not again.created and again.event.id == done.event.id
    refused(world, lambda: record(world, wife, "move", to_region_code="230200"), "LIFE_EVENT_AFTER_END")


def test_a_move_within_scope_keeps_person_account_and_binding(world):
    """N-6: Harbin to Qiqihar stays in Heilongjiang; the account and its money stay his."""
    payer = world.person("张三", current_fen=50_000)
    wife = world.person("李四", scheme="resident", sex="F")
    b = world.bind(payer, wife)
    done = record(world, payer, "move", to_region_code="230200")
    assert done.kept_binding_ids == [b] and done.ended_binding_ids == []
    assert (enrollment(world, payer).region_code, enrollment(world, payer).status) == ("230200", "normal")
    assert world.total(payer) == 50_000


def test_a_move_out_of_the_payers_scope_ends_the_binding_and_binding_again_needs_no_wait(world):
    """D-5, then HLJ-2: an ending by itself is no unbinding, so moving back allows binding again at once."""
    payer = world.person("张三", current_fen=50_000)
    wife = world.person("李四", scheme="resident", sex="F")
    b = world.bind(payer, wife)
    done = record(world, wife, "move", to_region_code="410100")
    assert done.ended_binding_ids == [b] and binding(world, b).end_reason == "moved"
    world.env.clock.advance(days=1)
    record(world, wife, "move", TODAY + timedelta(days=1), to_region_code="230100")
    assert binding(world, world.bind(payer, wife)).ended_on is None


def test_a_payer_who_becomes_a_resident_stops_paying(world):
    """N-1 after a change of scheme; a beneficiary who becomes an employee keeps being paid for."""
    payer = world.person("张三", current_fen=50_000)
    wife = world.person("李四", scheme="resident", sex="F")
    b = world.bind(payer, wife)
    kept = record(world, wife, "scheme_change", to_scheme="employee")
    assert kept.kept_binding_ids == [b]
    ended = record(world, payer, "scheme_change", to_scheme="resident")
    assert ended.ended_binding_ids == [b] and binding(world, b).end_reason == "scheme_changed"


def test_a_refund_after_the_ending_goes_back_to_the_account_that_paid(world):
    """HN-5: the binding has ended by the beneficiary's move; the refund still reaches the payer's account."""
    world.institution()
    payer = world.person("张三", current_fen=50_000)
    wife = world.person("李四", scheme="resident", sex="F")
    world.bind(payer, wife)
    paid = world.settle(wife, 12_000)
    assert paid.mutual_aid_fen == 12_000 and world.total(payer) == 38_000
    record(world, wife, "move", to_region_code="410100")
    world.run(lambda s, env: settlement.refund(s, env, institution_code="H23010100001",
                                               settlement_id=paid.settlement_id, idempotency_key="r1"))
    assert world.total(payer) == 50_000


def test_bad_events_are_refused_and_change_nothing(world):
    person = world.person("张三")
    refused(world, lambda: record(world, person, "move", to_region_code="230100"), "INVALID_FIELD")
    refused(world, lambda: record(world, person, "move", TODAY + timedelta(days=1), to_region_code="230200"),
            "INVALID_FIELD")
    refused(world, lambda: record(world, person, "marriage"), "INVALID_FIELD")
    refused(world, lambda: record(world, person, "death", to_scheme="resident"), "INVALID_FIELD")
    assert world.db.read(lambda s: life.events_of(s, person.id)) == []


def test_life_events_from_a_file(world, tmp_path):
    """gongji import life-events: a rejected row loads nothing of itself; the same file again changes nothing."""
    payer = world.person("张三", current_fen=50_000)
    wife = world.person("李四", scheme="resident", sex="F")
    b = world.bind(payer, wife)
    path = tmp_path / "events.csv"
    path.write_text("身份证号码,事件类型,发生日期,迁入地统筹区代码\n"
                    f"{wife.id_number},迁移,2025/06/02,410100\n"
                    f"{payer.id_number},死亡,2030-01-01,\n", encoding="gbk")
    summary = runner.run_import(world.db, world.env, loader=LifeEventLoader(), path=path,
                                actor=Actor.system("import"))
    assert (summary.rows_loaded, summary.rows_rejected) == (1, 1)
    assert [(r.row, r.field) for r in world.db.read(lambda s: list(runner.rejections(s, summary.run_id)))] == [
        (3, "occurred_on")]
    assert binding(world, b).end_reason == "moved"
    assert enrollment(world, payer).status == "normal"
