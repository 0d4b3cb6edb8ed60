"""AG-1 at the counter (N-8): staff record an agency for the person who came in, after checking both ID cards and
the signed letter; a missing document changes nothing; either side's agency is ended there."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from gongji.agents.models import Agency
from tests.factories import snapshot
from tests.web.helpers import by_testid, desk_fixture, field_error, notice  # noqa: F401

ALL_DOCS = {"doc_principal_id_card": "yes", "doc_agent_id_card": "yes", "doc_agency_letter": "yes"}


def test_ag1_counter_records_an_agency_with_the_documents_checked_and_ends_it(desk):
    world = desk.world
    mother = world.person("王秀英", sex="F", born=date(1948, 3, 1))
    son = world.person("李强", born=date(1975, 5, 5))
    desk.log_in()
    page = f"/counter/people/{mother.id}/agencies"
    assert desk.get(page).status_code == 200
    form = {"name": son.name, "id_number": son.id_number, "relationship": "child", "end_on": "2026-06-01",
            "actions": ["records", "wallet"], "doc_principal_id_card": "yes"}
    before = snapshot(world)
    r = desk.post(page, form, token_from=page)
    assert r.status_code == 400 and "代办人居民身份证" in field_error(r.text, "documents")
    assert snapshot(world) == before
    r = desk.post(page, {**form, **ALL_DOCS}, token_from=page)
    shown = desk.follow(r)
    assert "代办委托已登记" in notice(shown.text)
    assert [row for row in by_testid(shown.text)["granted-row"] if son.name in row]
    agency = world.db.read(lambda s: s.execute(select(Agency)).scalar_one())
    assert (agency.channel, agency.operator_id, agency.actions) == ("counter", "S2301", "records,wallet")
    assert sorted(agency.documents) == ["agency_letter", "agent_id_card", "principal_id_card"]
    # the son's page shows it too, and ends it for him
    son_page = f"/counter/people/{son.id}/agencies"
    assert [row for row in by_testid(desk.get(son_page).text)["held-row"] if mother.name in row]
    r = desk.post(f"{son_page}/{agency.id}/end", token_from=son_page)
    assert "代办委托已终止" in notice(desk.follow(r).text)
    assert world.db.read(lambda s: s.get(Agency, agency.id).ended_by_id) == "S2301"


def test_ag1_staff_of_another_region_see_nothing(desk):
    world = desk.world
    mother = world.person("王秀英", sex="F", born=date(1948, 3, 1), city="zhengzhou")
    desk.log_in()
    r = desk.get(f"/counter/people/{mother.id}/agencies")
    assert r.status_code == 403 and mother.name not in r.text
