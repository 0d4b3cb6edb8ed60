"""AG-1: granting and ending agencies; records show both principal and agent; the principal is told."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from gongji.actors import Actor
from gongji.agents import rules
from gongji.agents import service as agencies
from gongji.authorizations import service as authorizations
from gongji.authorizations.models import Binding
from gongji.events.models import Event
from gongji.notifications.messages import render
from gongji.notifications.models import Notification
from gongji.terms import Channel
from tests.factories import STAFF, refused


def grant(world, principal, agent, *, actor=None, actions=("bindings", "records"), days=30, **kw):
    def work(s, env):
        return agencies.grant(
            s, env, principal_id_number=principal.id_number, agent_id_number=agent.id_number,
            agent_name=kw.pop("agent_name", agent.name), relationship=kw.pop("relationship", "child"),
            actions=list(actions), end_on=env.today() + timedelta(days=days), actor=actor or principal.actor,
            agreement_version=kw.pop("agreement_version", rules.AGREEMENT_VERSION), **kw).id
    return world.run(work)


@pytest.fixture
def family(world):
    mother = world.person("王秀英", city="harbin", sex="F", born=date(1948, 3, 1), current_fen=50_000,
                          card_no="HLJ300001")
    son = world.person("李强", city="harbin", born=date(1975, 5, 5), current_fen=10_000)
    return mother, son


def test_ag1_online_grant_keeps_the_consent_and_tells_both(world, family):
    mother, son = family
    agency_id = grant(world, mother, son)
    row = world.db.read(lambda s: agencies.get(s, agency_id))
    assert (row.principal_id, row.agent_id, row.actions) == (mother.id, son.id, "records,bindings")
    assert row.agreement_version == rules.AGREEMENT_VERSION and row.channel == "portal"
    assert row.agreement_accepted_at is not None and row.operator_id == str(mother.id)
    told = world.db.read(lambda s: sorted(s.execute(select(Notification.person_id).where(
        Notification.kind == "agency.granted")).scalars()))
    assert told == sorted([mother.id, son.id])


def test_ag1_grant_refusals_name_nobody(world, family):
    mother, son = family
    stranger = world.person("赵六", city="harbin")
    for kw, code in [({"agent_name": "张冒名"}, "AGENCY_AGENT_NOT_MATCHED"),
                     ({"agreement_version": None}, "AGENCY_CONSENT_REQUIRED"),
                     ({"actions": ()}, "AGENCY_NO_ACTIONS")]:
        error = refused(world, lambda kw=kw: grant(world, mother, son, **kw), code)
        assert son.name not in error.message("zh") + error.message("en")
    refused(world, lambda: grant(world, mother, son, actor=stranger.actor), "AGENCY_NOT_ALLOWED")
    grant(world, mother, son)
    refused(world, lambda: grant(world, mother, son), "AGENCY_EXISTS")


def test_ag1_counter_grant_needs_the_documents_checked(world, family):
    mother, son = family
    refused(world, lambda: grant(world, mother, son, actor=STAFF, documents=["principal_id_card"]),
            "AGENCY_DOCUMENTS_MISSING")
    agency_id = grant(world, mother, son, actor=STAFF, documents=list(agencies.COUNTER_DOCUMENTS))
    row = world.db.read(lambda s: agencies.get(s, agency_id))
    assert row.channel == "counter" and row.operator_id == STAFF.id
    assert sorted(row.documents) == sorted(agencies.COUNTER_DOCUMENTS)


def test_ag1_an_agent_binds_for_his_mother_and_the_records_show_both(world, family):
    mother, son = family
    daughter = world.person("李娟", city="harbin", sex="F", born=date(1978, 1, 1))
    agency_id = grant(world, mother, son)
    acting = Actor.agent(son.id, principal_id=mother.id, agency_id=agency_id)
    assert acting.is_person(mother.id) and not acting.is_person(son.id)
    binding_id = world.bind(mother, daughter, "child", actor=acting)
    binding = world.db.read(lambda s: s.get(Binding, binding_id))
    assert binding.payer_id == mother.id and binding.operator_id == str(son.id)  # both
    event = world.db.read(lambda s: s.execute(select(Event).where(Event.kind == "binding.created")).scalar_one())
    assert event.actor_id == str(son.id)
    assert event.data["on_behalf_of"] == mother.id and event.data["agency_id"] == agency_id
    notice = world.db.read(lambda s: s.execute(select(Notification).where(
        Notification.kind == "binding.created", Notification.person_id == mother.id)).scalar_one())
    text = world.db.read(lambda s: render(s, notice, language="zh"))
    assert "代办人 李强" in text.body
    assert "agent 李强" in world.db.read(lambda s: render(s, notice, language="en")).body
    world.run(lambda s, env: authorizations.unbind(s, env, binding_id=binding_id, actor=acting))
    ended = world.db.read(lambda s: s.get(Binding, binding_id))
    assert ended.ended_by_id == str(son.id)
    # an action whose own notice does not reach the principal gets a notice of its own
    world.run(lambda s, env: authorizations.create_family(s, env, householder_id_number=mother.id_number,
                                                          name="王家", actor=acting))
    notice = world.db.read(lambda s: s.execute(select(Notification).where(
        Notification.kind == "agency.acted")).scalar_one())
    assert notice.person_id == mother.id
    text = world.db.read(lambda s: render(s, notice, language="zh"))
    assert "李强" in text.body and "建立了家庭共济网" in text.body


def test_ag1_either_side_ends_it_and_then_it_authorizes_nothing(world, family):
    mother, son = family
    first = grant(world, mother, son)
    world.run(lambda s, env: agencies.end(s, env, agency_id=first, actor=son.actor))  # the agent ends it
    refused(world, lambda: world.run(lambda s, env: agencies.require(
        s, env, agency_id=first, agent_id=son.id, action=rules.Action.RECORDS)), "AGENCY_NOT_IN_FORCE")
    refused(world, lambda: world.run(lambda s, env: agencies.end(s, env, agency_id=first, actor=mother.actor)),
            "AGENCY_ALREADY_ENDED")
    second = grant(world, mother, son)
    world.run(lambda s, env: agencies.end(s, env, agency_id=second, actor=mother.actor))  # the principal ends it
    refused(world, lambda: world.run(lambda s, env: agencies.start_acting(
        s, env, agency_id=second, agent=son.actor)), "AGENCY_NOT_IN_FORCE")
    by = world.db.read(lambda s: [e.data["by"] for e in s.execute(
        select(Event).where(Event.kind == "agency.ended").order_by(Event.id)).scalars()])
    assert by == ["agent", "principal"]


def test_ag1_an_expired_agency_authorizes_nothing(world, family):
    mother, son = family
    agency_id = grant(world, mother, son, days=10)
    world.run(lambda s, env: agencies.require(s, env, agency_id=agency_id, agent_id=son.id,
                                              action=rules.Action.BINDINGS))
    refused(world, lambda: world.run(lambda s, env: agencies.require(
        s, env, agency_id=agency_id, agent_id=son.id, action=rules.Action.WALLET)), "AGENCY_ACTION_NOT_GRANTED")
    world.env.clock.advance(days=11)
    refused(world, lambda: world.run(lambda s, env: agencies.require(
        s, env, agency_id=agency_id, agent_id=son.id, action=rules.Action.BINDINGS)), "AGENCY_NOT_IN_FORCE")


def test_ag1_an_outsider_cannot_use_or_end_someone_elses_agency(world, family):
    mother, son = family
    stranger = world.person("赵六", city="harbin")
    agency_id = grant(world, mother, son)
    for thunk in (lambda s, env: agencies.require(s, env, agency_id=agency_id, agent_id=stranger.id,
                                                  action=rules.Action.RECORDS),
                  lambda s, env: agencies.end(s, env, agency_id=agency_id, actor=stranger.actor),
                  lambda s, env: agencies.require(s, env, agency_id=agency_id + 999, agent_id=son.id,
                                                  action=rules.Action.RECORDS)):
        error = refused(world, lambda t=thunk: world.run(t), "AGENCY_NOT_IN_FORCE")
        assert mother.name not in error.message("zh") and mother.name not in error.message("en")


def test_ag1_an_agent_acting_grants_no_agency(world, family):
    mother, son = family
    other = world.person("李娟", city="harbin", sex="F", born=date(1978, 1, 1))
    agency_id = grant(world, mother, son)
    acting = Actor.agent(son.id, principal_id=mother.id, agency_id=agency_id, channel=Channel.PORTAL)
    refused(world, lambda: grant(world, mother, other, actor=acting), "AGENCY_NOT_FOR_AGENTS")


def test_ag1_n4_a_proxy_purchase_names_the_registered_agent(world, family):
    mother, son = family
    world.institution("P23010100001", kind="pharmacy", city="harbin")
    agency_id = grant(world, mother, son)
    from gongji.settlement.service import Agent, Certificate
    world.settle(mother, 1000, institution="P23010100001", use="pharmacy", key="proxy-1",
                 agent=Agent(name=son.name, id_number=son.id_number),
                 cert=Certificate(type="insurance_card", number="HLJ300001"))
    data = world.db.read(lambda s: s.execute(select(Event.data).where(Event.kind == "settlement.settled"))
                         .scalar_one())
    assert data["agent"] is True and data["agent_agency_id"] == agency_id
