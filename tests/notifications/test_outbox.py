"""The outbox (HZ-4, N-9): every notified event makes one notification per person concerned, in its own
transaction. A refused or rolled-back operation makes none. On both databases.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from gongji.authorizations import service as authorizations
from gongji.events.models import Event
from gongji.notifications.models import Notification
from gongji.notifications.outbox import NOTIFIED_KINDS
from gongji.settlement import service as settlement
from gongji.transfers import service as transfers
from tests.factories import STAFF, refused
from tests.notifications.conftest import outbox, told


def events(world, kind: str) -> list[Event]:
    return world.db.read(lambda s: list(s.execute(select(Event).where(Event.kind == kind).order_by(Event.id))
                                        .scalars()))


class Rollback(Exception):
    pass


def test_n_9_binding_tells_payer_and_beneficiary_in_the_same_transaction(world, couple):
    """N-9: a binding is told to both sides; the notification carries the event's data and time."""
    payer, wife = couple
    binding_id = world.bind(payer, wife)
    [event] = events(world, "binding.created")
    rows = outbox(world)
    assert sorted(n.person_id for n in rows) == sorted([payer.id, wife.id])
    for n in rows:
        assert (n.event_id, n.kind, n.data, n.created_at, n.next_attempt_at) == (
            event.id, "binding.created", event.data, event.at, event.at)
        assert (n.status, n.attempts, n.lease_until, n.delivered_at, n.read_at) == ("pending", 0, None, None, None)
    assert event.subject_id == binding_id


def test_n_9_rolled_back_operation_leaves_no_notification(world, couple):
    """N-9: the notification is written with the event; when the transaction rolls back, neither stays."""
    payer, wife = couple

    def bind_then_fail(s, env):
        authorizations.bind(s, env, payer_id_number=payer.id_number, beneficiary_id_number=wife.id_number,
                            relationship="spouse", actor=payer.actor,
                            agreement_version=env.policy(payer.region_code).agreement_version)
        s.flush()
        assert len(s.execute(select(Event).where(Event.kind == "binding.created")).all()) == 1
        raise Rollback

    with pytest.raises(Rollback):
        world.run(bind_then_fail)
    assert outbox(world) == [] and events(world, "binding.created") == []


def test_n_9_refused_operations_leave_no_notification(world, couple):
    """A refusal changes nothing, the outbox included (refused() compares every table)."""
    payer, wife = couple
    refused(world, lambda: world.bind(payer, payer), "SELF_BINDING")
    broke = world.person("李穷", born=date(1980, 1, 1))
    refused(world, lambda: world.bind(broke, wife), "PAYER_NO_BALANCE")
    assert outbox(world) == []


def test_n_9_unbinding_tells_both_sides(world, couple, clock):
    payer, wife = couple
    binding_id = world.bind(payer, wife)
    clock.advance(days=2)
    world.run(lambda s, env: authorizations.unbind(s, env, binding_id=binding_id, actor=wife.actor))
    assert told(world, "binding.ended") == sorted([payer.id, wife.id])
    assert {n.data["reason"] for n in outbox(world, "binding.ended")} == {"by_beneficiary"}


def test_n_9_expiry_tells_both_sides(world, couple, clock):
    """D-3 with N-9: the expiry job writes its events in bulk, and their notifications with them."""
    payer, wife = couple
    brother = world.person("张建民")
    world.bind(payer, wife, end_on="2025-06-05")
    world.bind(payer, brother, "sibling")
    clock.advance(days=4)
    assert world.run(lambda s, env: authorizations.close_expired(s, env)) == 1
    [event] = events(world, "binding.ended")
    rows = outbox(world, "binding.ended")
    assert sorted(n.person_id for n in rows) == sorted([payer.id, wife.id])
    assert {(n.event_id, n.data["reason"], n.status) for n in rows} == {(event.id, "expired", "pending")}
    assert world.run(lambda s, env: authorizations.close_expired(s, env)) == 0
    assert len(outbox(world, "binding.ended")) == 2


def test_n_9_mutual_aid_payment_tells_payer_and_patient(world, couple):
    """N-9: a payment from the payer's account for the patient is told to both; the patient's own bill is not."""
    payer, wife = couple
    world.settle(wife, 800)  # her own account pays it all: nothing to tell
    assert outbox(world) == []
    world.bind(payer, wife)
    world.settle(wife, 5_000)
    rows = outbox(world, "mutual_aid.paid")
    assert sorted(n.person_id for n in rows) == sorted([payer.id, wife.id])
    assert {(n.data["payer_id"], n.data["patient_id"], n.data["amount_fen"]) for n in rows} == {
        (payer.id, wife.id, 4_800)}  # 200 fen were left on her own account
    assert "settlement.settled" not in NOTIFIED_KINDS and outbox(world, "settlement.settled") == []


def test_n_9_refund_tells_the_patient_and_each_payer_refunded(world):
    """HN-5 with N-9: a refund is told to the patient and to every payer whose account gets money back."""
    world.institution("H11010000001", city="beijing")
    husband = world.person("赵大伟", city="beijing", current_fen=10_000)
    daughter = world.person("赵小雨", city="beijing", born=date(2000, 1, 1), sex="F", current_fen=5_000)
    mother = world.person("孙丽", city="beijing", born=date(1970, 2, 2), sex="F", current_fen=500)
    world.bind(husband, mother, "spouse")
    world.bind(daughter, mother, "parent")
    result = world.settle(mother, 20_000, institution="H11010000001")
    assert (result.own_fen, result.mutual_aid_fen, result.cash_fen) == (500, 15_000, 4_500)

    def refund(amount: int, key: str):
        return world.run(lambda s, env: settlement.refund(
            s, env, institution_code="H11010000001", settlement_id=result.settlement_id, amount_fen=amount,
            idempotency_key=key))

    refund(4_500, "cash")  # cash only: only the patient is concerned
    assert told(world, "settlement.refunded") == [mother.id]
    refund(15_500, "rest")  # both payers and her own account
    rows = [n for n in outbox(world, "settlement.refunded") if n.data["cash_fen"] == 0]
    assert sorted(n.person_id for n in rows) == sorted([mother.id, husband.id, daughter.id])
    assert rows[0].data["to"] == {str(husband.id): 10_000, str(daughter.id): 5_000, str(mother.id): 500}


def test_hz_4_transfer_tells_payer_and_relative(world):
    """HZ-4: a transfer of prior-years funds is told to the payer and the relative (Hangzhou)."""
    payer = world.person("周建华", city="hangzhou", current_fen=50_000, prior_fen=100_000)
    wife = world.person("吴敏", city="hangzhou", sex="F")
    world.run(lambda s, env: transfers.transfer(
        s, env, payer_id_number=payer.id_number, beneficiary_id_number=wife.id_number, relationship="spouse",
        amount_fen=30_000, agreement_version=env.policy(payer.region_code).agreement_version,
        idempotency_key="t-1", actor=payer.actor))
    rows = outbox(world, "transfer.made")
    assert sorted(n.person_id for n in rows) == sorted([payer.id, wife.id])
    assert {n.data["amount_fen"] for n in rows} == {30_000}
    # HZ-4: a refused transfer (more than the prior-years balance) tells nobody
    refused(world, lambda: world.run(lambda s, env: transfers.transfer(
        s, env, payer_id_number=payer.id_number, beneficiary_id_number=wife.id_number, relationship="spouse",
        amount_fen=70_001, agreement_version=env.policy(payer.region_code).agreement_version,
        idempotency_key="t-2", actor=payer.actor)), "INSUFFICIENT_PRIOR_YEARS")
    assert len(outbox(world, "transfer.made")) == 2


def test_n_9_contribution_tells_payer_and_relative(world):
    """N-5 with N-9: a resident contribution paid from the payer's account is told to both."""
    payer = world.person("张建国", current_fen=30_000, prior_fen=70_000)
    daughter = world.person("张小红", born=date(2003, 3, 3), sex="F", scheme="resident")
    world.bind(payer, daughter, "child")
    world.run(lambda s, env: transfers.pay_resident_contribution(
        s, env, payer_id_number=payer.id_number, beneficiary_id_number=daughter.id_number, year=2025,
        amount_fen=40_000, idempotency_key="c-1", actor=payer.actor))
    assert told(world, "contribution.paid") == sorted([payer.id, daughter.id])


def test_n_9_family_changes_tell_householder_and_member(world):
    """HN-1, HN-7 with N-9: members added, removed or leaving, and the family dissolved, are told."""
    payer = world.person("王建军", city="zhengzhou", current_fen=20_000)
    wife = world.person("刘红", city="zhengzhou", sex="F")
    son = world.person("王小明", city="zhengzhou", born=date(2000, 3, 3), scheme="resident")
    family_id = world.run(lambda s, env: authorizations.create_family(
        s, env, householder_id_number=payer.id_number, name="王家", actor=payer.actor)).id
    assert outbox(world) == []  # creating one's own family is not news to anyone
    for member, relationship in ((wife, "spouse"), (son, "child")):
        world.run(lambda s, env, m=member, r=relationship: authorizations.add_member(
            s, env, family_id=family_id, member_id_number=m.id_number, relationship=r, actor=payer.actor))
    assert told(world, "family.member_added") == sorted([payer.id, payer.id, wife.id, son.id])
    world.bind(payer, wife, "spouse", documents=[{"kind": "household_register", "file_ref": "upload/1.pdf"}])
    world.run(lambda s, env: authorizations.remove_member(s, env, family_id=family_id,
                                                          member_id_number=wife.id_number, actor=STAFF))
    assert told(world, "family.member_removed") == sorted([payer.id, wife.id])
    assert told(world, "binding.ended") == sorted([payer.id, wife.id])
    world.run(lambda s, env: authorizations.leave_family(s, env, family_id=family_id,
                                                         member_id_number=son.id_number, actor=son.actor))
    assert told(world, "family.member_left") == sorted([payer.id, son.id])
    world.run(lambda s, env: authorizations.leave_family(s, env, family_id=family_id,
                                                         member_id_number=payer.id_number, actor=payer.actor))
    assert told(world, "family.dissolved") == [payer.id]


def test_n_9_one_notification_per_event_and_person(world, couple):
    """The outbox holds each (event, person) once: the database refuses a second copy."""
    payer, wife = couple
    world.bind(payer, wife)
    [first, _] = outbox(world)

    def copy(s, env):
        s.add(Notification(event_id=first.event_id, person_id=first.person_id, kind=first.kind, data=first.data,
                           created_at=first.created_at, status="pending", attempts=0,
                           next_attempt_at=first.next_attempt_at))
        s.flush()

    with pytest.raises(IntegrityError):
        world.db.run(lambda s: copy(s, world.env), attempts=1)
    assert len(outbox(world)) == 2
