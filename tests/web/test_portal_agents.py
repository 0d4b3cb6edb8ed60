"""AG-1 in the portal: a mother authorizes her son; he logs in as himself, acts for her within what she chose, the
records show both, she is told; an ended agency authorizes nothing; an outsider learns nothing."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from gongji.agents import service as agencies
from gongji.agents.models import Agency
from gongji.authorizations.models import Binding
from gongji.notifications.models import Notification
from tests.factories import snapshot
from tests.web.helpers import by_testid, field_error, notice
from tests.web.test_portal import Visitor, bind_form


@pytest.fixture
def family(world):
    mother = world.person("王秀英", sex="F", born=date(1948, 3, 1), current_fen=300_000)
    son = world.person("李强", born=date(1975, 5, 5))
    daughter = world.person("李娟", sex="F", born=date(1978, 1, 1))
    return mother, son, daughter


def grant_form(agent, **changes):
    form = {"name": agent.name, "id_number": agent.id_number, "relationship": "child",
            "end_on": (date.today() + timedelta(days=3000)).isoformat(), "actions": ["records", "bindings"],
            "agreement": "yes"}
    form.update(changes)
    return form


def grant(portal: Visitor, mother, son) -> int:
    portal.log_in(mother)
    end_on = (portal.world.env.today() + timedelta(days=90)).isoformat()
    r = portal.post("/portal/agents/new", grant_form(son, end_on=end_on))
    page = portal.follow(r)
    assert notice(page.text) and "代办委托已生效" in notice(page.text)
    return portal.world.db.read(lambda s: s.execute(select(Agency.id)).scalar_one())


def test_ag1_the_grant_form_refuses_next_to_its_fields_and_changes_nothing(portal, family, world):
    mother, son, _ = family
    portal.log_in(mother)
    before = snapshot(world)
    r = portal.post("/portal/agents/new", grant_form(son, name="张冒名"))
    assert r.status_code == 400 and "代办人须是已参保的亲属" in field_error(r.text, "id_number")
    assert son.name not in field_error(r.text, "id_number")
    r = portal.post("/portal/agents/new", grant_form(son, agreement="", actions=[]))
    assert r.status_code == 400 and field_error(r.text, "agreement")
    assert "至少选择一项" in r.text
    assert snapshot(world) == before


def test_ag1_the_agent_acts_for_his_mother_only_as_chosen_and_records_show_both(portal, family, world):
    mother, son, daughter = family
    agency_id = grant(portal, mother, son)
    portal.log_in(son)
    page = portal.get("/portal/agents")
    assert [row for row in by_testid(page.text)["held-row"] if mother.name in row]
    home = portal.follow(portal.post(f"/portal/agents/{agency_id}/act", form_page="/portal/agents"))
    assert home.status_code == 200
    assert mother.name in by_testid(home.text)["acting"][0]
    # she chose records and bindings, not the wallet
    r = portal.get("/portal/wallet")
    assert r.status_code == 403 and 'data-code="AGENCY_ACTION_NOT_GRANTED"' in r.text
    menu = re.search(r'<nav class="main".*?</nav>', home.text, re.S).group(0)
    assert 'href="/portal/wallet"' not in menu and 'href="/portal/records"' in menu  # the menu offers what she chose
    r = portal.post("/portal/bind", bind_form(daughter, relationship="child", phone="13900139000"))
    assert r.status_code == 303, r.text[:2000]
    binding = world.db.read(lambda s: s.execute(select(Binding)).scalar_one())
    assert (binding.payer_id, binding.operator_id) == (mother.id, str(son.id))
    told = world.db.read(lambda s: s.execute(select(Notification.kind).where(
        Notification.person_id == mother.id)).scalars().all())
    assert "agency.acting" in told and "binding.created" in told
    # back to himself: his own page again
    r = portal.post("/portal/agents/stop", form_page="/portal")
    assert r.status_code == 303
    assert "acting" not in by_testid(portal.get("/portal").text)


def test_ag1_an_ended_agency_authorizes_nothing_in_the_portal(portal, family, world):
    mother, son, _ = family
    agency_id = grant(portal, mother, son)
    portal.log_in(son)
    portal.follow(portal.post(f"/portal/agents/{agency_id}/act", form_page="/portal/agents"))
    world.run(lambda s, env: agencies.end(s, env, agency_id=agency_id, actor=mother.actor))
    r = portal.get("/portal/records")
    assert r.status_code == 403 and 'data-code="AGENCY_NOT_IN_FORCE"' in r.text
    assert mother.name not in r.text
    home = portal.get("/portal")  # the ended agency is forgotten: he is himself
    assert home.status_code == 200 and "acting" not in by_testid(home.text) and son.name in home.text


def test_ag1_an_expired_agency_authorizes_nothing_in_the_portal(portal, family, world):
    mother, son, _ = family
    agency_id = grant(portal, mother, son)
    world.env.clock.advance(days=91)
    portal.log_in(son)
    r = portal.post(f"/portal/agents/{agency_id}/act", form_page="/portal/agents")
    assert r.status_code == 403 and "已到期" in r.text


def test_ag1_an_outsider_cannot_act_through_someone_elses_agency(portal, family, world):
    mother, son, daughter = family
    agency_id = grant(portal, mother, son)
    portal.log_in(daughter)
    r = portal.post(f"/portal/agents/{agency_id}/act", form_page="/portal/agents")
    assert r.status_code == 403 and mother.name not in r.text
    # nor with a cookie made up for it
    portal.client.cookies.set("gongji_acting", f"{agency_id}.0000")
    home = portal.get("/portal")
    assert home.status_code == 200 and daughter.name in home.text and mother.name not in home.text
