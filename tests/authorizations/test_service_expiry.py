"""Bindings on both databases: expiry by China Standard Time days, and the authorization records of both sides.

Rules: D-3, HLJ-8, HLJ-9, N-9.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from gongji.actors import Actor
from gongji.authorizations import service as authorizations
from gongji.authorizations.models import Binding, BindingDocument
from gongji.clock import CST
from gongji.people.ids import mask
from gongji.terms import Channel
from tests.authorizations.binding_world import (
    binding,
    records_of,
    unbind,
)
from tests.factories import STAFF, refused

# -- expiry (D-3) -----------------------------------------------------------------------------------


def test_d_3_close_expired_ends_bindings_the_day_after_end_on(world, clock):
    """D-3: active through the end date inclusive; on the day after, ended with reason ``expired``."""
    payer = world.person("张建国", current_fen=10_000)
    wife, brother, sister = world.person("王秀英", sex="F"), world.person("张建民"), world.person("张建华", sex="F")
    expiring = world.bind(payer, wife, end_on="2025-06-12")
    open_ended = world.bind(payer, brother, "sibling")
    later = world.bind(payer, sister, "sibling", end_on="2025-08-01")
    close = lambda: world.run(lambda s, env: authorizations.close_expired(s, env))  # noqa: E731

    clock.advance(days=10)  # 2025-06-12: the last day
    assert close() == 0
    assert [b.id for b in world.db.read(lambda s: authorizations.active_payer_bindings(
        s, beneficiary_id=wife.id, on=date(2025, 6, 12)))] == [expiring]

    clock.advance(days=1)  # 2025-06-13
    assert close() == 1
    row = binding(world, expiring)
    assert (row.ended_on, row.end_reason, row.ended_by_kind, row.ended_by_id) == (
        date(2025, 6, 13), "expired", "system", "expiry")
    assert binding(world, open_ended).ended_on is None and binding(world, later).ended_on is None
    assert close() == 0
    assert binding(world, expiring).ended_on == date(2025, 6, 13)
    states = {r.binding_id: r.state for r in records_of(world, payer).items}
    assert states == {expiring: "expired", open_ended: "active", later: "active"}


def test_d_3_days_are_china_standard_time_days(world, clock, pair):
    """D-3: dates are CST dates: at 00:30 CST it is already the next day (16:30 UTC the day before)."""
    payer, wife = pair
    binding_id = world.bind(payer, wife, end_on="2025-06-05")
    close = lambda: world.run(lambda s, env: authorizations.close_expired(s, env))  # noqa: E731
    clock.set(datetime(2025, 6, 5, 23, 59, tzinfo=CST))
    assert close() == 0
    assert [r.state for r in records_of(world, payer).items] == ["active"]
    clock.set(datetime(2025, 6, 6, 0, 30, tzinfo=CST))
    assert close() == 1
    assert binding(world, binding_id).ended_on == date(2025, 6, 6)
    son = world.person("张伟", born=date(1995, 5, 5))
    refused(world, lambda: world.bind(payer, son, "child", start_on="2025-06-05"), "DATE_IN_PAST")
    assert binding(world, world.bind(payer, son, "child", start_on="2025-06-06")).start_on == date(2025, 6, 6)


def test_d_3_closing_late_still_ends_on_the_day_after_end_on(world, clock, pair):
    payer, wife = pair
    binding_id = world.bind(payer, wife, end_on="2025-06-03")
    clock.advance(days=40)
    assert world.run(lambda s, env: authorizations.close_expired(s, env)) == 1
    assert binding(world, binding_id).ended_on == date(2025, 6, 4)
    error = refused(world, lambda: unbind(world, binding_id, payer.actor), "BINDING_ENDED")
    assert error.params["ended_on"] == "2025-06-04"


def test_d_3_expired_but_not_yet_closed_binding_is_no_longer_open(world, clock, pair):
    """D-3: expiry is by date; until the job runs, the binding neither pays nor blocks a new one."""
    payer, wife = pair
    world.bind(payer, wife, end_on="2025-06-03")
    clock.advance(days=2)
    assert [r.state for r in records_of(world, payer).items] == ["expired"]
    assert records_of(world, payer, include_ended=False).items == []
    world.bind(payer, wife)


# -- authorization records (HLJ-8, N-9) ------------------------------------------------------------


def test_hlj_8_authorization_records_from_both_sides(world, clock):
    """HLJ-8, N-9: both sides see the binding, its state and the other side's masked ID number."""
    payer = world.person("张建国", current_fen=10_000)
    wife = world.person("王秀英", sex="F")
    son = world.person("张伟", born=date(1995, 5, 5))
    first = world.bind(payer, wife, end_on="2026-06-01", actor=Actor.person(payer.id, Channel.ALIPAY))
    second = world.bind(payer, son, "child", start_on="2025-06-20", priority=2)

    seen_by_payer = records_of(world, payer)
    assert seen_by_payer.total == 2
    assert [(r.binding_id, r.role, r.other_name, r.other_id_number, r.relationship, r.state, r.channel)
            for r in seen_by_payer.items] == [
        (second, "payer", "张伟", mask(son.id_number), "child", "pending", "portal"),
        (first, "payer", "王秀英", mask(wife.id_number), "spouse", "active", "alipay")]
    assert seen_by_payer.items[0].priority == 2 and seen_by_payer.items[1].end_on == date(2026, 6, 1)
    assert all("*" * 10 in r.other_id_number and r.other_id_number[-4:] == o.id_number[-4:]
               for r, o in zip(seen_by_payer.items, (son, wife), strict=True))

    [seen_by_wife] = records_of(world, wife).items
    assert (seen_by_wife.binding_id, seen_by_wife.role, seen_by_wife.other_name, seen_by_wife.other_id_number) == (
        first, "beneficiary", "张建国", mask(payer.id_number))
    assert payer.id_number not in repr(seen_by_wife)

    unbind(world, first, wife.actor)
    assert [(r.binding_id, r.state, r.end_reason) for r in records_of(world, payer).items] == [
        (second, "pending", None), (first, "ended", "by_beneficiary")]
    assert [r.binding_id for r in records_of(world, payer, include_ended=False).items] == [second]
    assert records_of(world, payer, role="beneficiary").total == 0
    assert records_of(world, wife, role="payer").total == 0
    page = records_of(world, payer, limit=1, offset=1)
    assert (page.total, [r.binding_id for r in page.items]) == (2, [first])


def test_hlj_8_unknown_role_is_refused(world, pair):
    payer, _ = pair
    error = refused(world, lambda: records_of(world, payer, role="owner"), "INVALID_FIELD")
    assert error.params["field"] == "role"


def test_a_refused_binding_does_not_write_its_documents(world, pair):
    """A refused request changes nothing: neither binding nor documents nor event."""
    payer, wife = pair
    world.bind(payer, wife)
    checked = [{"kind": k} for k in ("e_voucher", "id_card", "commitment_letter")]  # HLJ-9's counter list
    refused(world, lambda: world.bind(payer, wife, actor=STAFF, documents=checked), "ALREADY_BOUND")
    assert world.db.read(lambda s: s.execute(select(BindingDocument)).all()) == []


def test_d_3_binding_ended_gives_the_same_day_before_and_after_the_expiry_job(world, clock, pair):
    """D-3: a binding is active through its end date and has ended on the day after; the refusal says so."""
    payer, wife = pair
    binding_id = world.bind(payer, wife, end_on="2025-06-03")
    clock.advance(days=2)
    error = refused(world, lambda: unbind(world, binding_id, payer.actor), "BINDING_ENDED")
    assert error.params["ended_on"] == "2025-06-04"


def test_d_3_the_one_sql_expression_agrees_with_the_rule(world):
    """D-3: ``active_on`` and ``open_on`` (the SQL the settlement, the payer bindings and the records use) say what
    rules.is_active and rules.is_open say, day by day, for a binding not yet ended, one with an end date, and one
    ended by an unbinding."""
    from gongji.authorizations import rules

    payer = world.person("张建国", current_fen=10_000)
    wife, brother, sister = world.person("王秀英", sex="F"), world.person("张建民"), world.person("张建华", sex="F")
    ids = [world.bind(payer, wife, end_on="2025-06-12"), world.bind(payer, brother, "sibling"),
           world.bind(payer, sister, "sibling", end_on="2025-08-01")]
    world.run(lambda s, env: s.get(Binding, ids[1]).__setattr__("ended_on", date(2025, 6, 5)))
    days = [date(2025, 6, 1) + timedelta(days=n) for n in range(0, 70, 3)]

    def read(s):
        rows = {b.id: b for b in s.execute(select(Binding).where(Binding.id.in_(ids))).scalars()}
        found = []
        for on in days:
            active = set(s.execute(select(Binding.id).where(Binding.id.in_(ids), authorizations.active_on(on)))
                         .scalars())
            open_ = set(s.execute(select(Binding.id).where(Binding.id.in_(ids), authorizations.open_on(on)))
                        .scalars())
            for binding_id, b in rows.items():
                if b.ended_on is not None and b.ended_on <= on:  # the SQL reads days not before an unbinding
                    expected_active = expected_open = False
                elif b.ended_on is not None:
                    continue  # a day before the unbinding is in the past: the SQL is not asked about it
                else:
                    expected_active = rules.is_active(start_on=b.start_on, end_on=b.end_on, ended_on=None, on=on)
                    expected_open = rules.is_open(end_on=b.end_on, ended_on=None, today=on)
                found.append((on, binding_id, binding_id in active, expected_active,
                              binding_id in open_, expected_open))
        return found

    found = world.db.read(read)
    assert found and all(got == expected and got_open == expected_open
                         for _, _, got, expected, got_open, expected_open in found), found
    assert any(got for _, _, got, *_ in found) and any(not got for _, _, got, *_ in found)
