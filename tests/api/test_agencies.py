"""AG-1 over HTTP: an agent logs in as himself and acts for the principal with X-Gongji-Acting-For, for exactly the
chosen actions within the period; either side ends it; a refusal names nobody."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from gongji.agents import rules
from gongji.events.models import Event


def _setup(api):
    world = api.world
    mother = world.person("王秀英", sex="F", born=date(1948, 3, 1), current_fen=50_000)
    son = world.person("李强", born=date(1975, 5, 5), current_fen=10_000)
    daughter = world.person("李娟", sex="F", born=date(1978, 1, 1))
    return mother, son, daughter


def _grant(api, mother, son, actions=("bindings", "records"), days=30):
    r = api.client.post("/v1/agencies", headers=api.person(mother), json={
        "agent_id_number": son.id_number, "agent_name": son.name, "relationship": "child", "actions": list(actions),
        "end_on": (api.world.env.today() + timedelta(days=days)).isoformat(),
        "agreement_version": rules.AGREEMENT_VERSION})
    assert r.status_code == 201, r.text
    return r.json()["agency_id"]


def test_ag1_agent_binds_and_reads_for_the_principal_only_what_was_granted(api):
    mother, son, daughter = _setup(api)
    agency_id = _grant(api, mother, son)
    acting = {**api.person(son), "X-Gongji-Acting-For": str(agency_id)}
    me = api.client.get("/v1/me", headers=acting)
    assert me.status_code == 200 and me.json()["person_id"] == mother.id, me.text
    r = api.client.post("/v1/bindings", headers={**acting, "Idempotency-Key": "ag-bind-1"}, json={
        "beneficiary_id_number": daughter.id_number, "beneficiary_name": daughter.name, "relationship": "child",
        "agreement_version": api.world.env.policy(mother.region_code).agreement_version})
    assert r.status_code == 201, r.text
    assert r.json()["payer"]["person_id"] == mother.id
    event = api.world.db.read(lambda s: s.execute(select(Event).where(Event.kind == "binding.created")).scalar_one())
    assert (event.actor_id, event.data["on_behalf_of"]) == (str(son.id), mother.id)
    # not granted: the wallet; never for agents: the password, new agencies
    r = api.client.get(f"/v1/people/{mother.id}/wallet", headers=acting)
    assert r.status_code == 403 and r.json()["code"] == "AGENCY_ACTION_NOT_GRANTED"
    r = api.client.put(f"/v1/people/{mother.id}/password", headers=acting, json={"password": "Another-123x"})
    assert r.status_code == 403 and r.json()["code"] == "AGENCY_NOT_FOR_AGENTS"
    r = api.client.post("/v1/agencies", headers=acting, json={
        "agent_id_number": daughter.id_number, "agent_name": daughter.name, "relationship": "child",
        "actions": ["records"], "end_on": "2030-01-01", "agreement_version": rules.AGREEMENT_VERSION})
    assert r.status_code == 403 and r.json()["code"] == "AGENCY_NOT_FOR_AGENTS"
    # without the header he is himself: his mother's data is not his
    r = api.client.get(f"/v1/people/{mother.id}/accounts", headers=api.person(son))
    assert r.status_code == 403


def test_ag1_ended_or_expired_agency_authorizes_nothing_and_outsiders_learn_nothing(api):
    mother, son, daughter = _setup(api)
    agency_id = _grant(api, mother, son, days=5)
    listed = api.client.get(f"/v1/people/{son.id}/agencies", headers=api.person(son)).json()
    assert [a["agency_id"] for a in listed["held"]] == [agency_id] and listed["granted"] == []
    outsider = {**api.person(daughter), "X-Gongji-Acting-For": str(agency_id)}
    r = api.client.get("/v1/me", headers=outsider)
    assert r.status_code == 403 and r.json()["code"] == "AGENCY_NOT_IN_FORCE"
    assert mother.name not in r.text and son.name not in r.text
    r = api.client.post(f"/v1/agencies/{agency_id}/end", headers=api.person(daughter), json={})
    assert r.status_code == 403 and r.json()["code"] == "AGENCY_NOT_IN_FORCE" and mother.name not in r.text
    api.advance(days=6)
    r = api.client.get("/v1/me", headers={**api.person(son), "X-Gongji-Acting-For": str(agency_id)})
    assert r.status_code == 403 and r.json()["code"] == "AGENCY_NOT_IN_FORCE"
    second = _grant(api, mother, son)
    r = api.client.post(f"/v1/agencies/{second}/end", headers=api.person(mother), json={})
    assert r.status_code == 200 and r.json()["state"] == "ended" and r.json()["ended_by"] == "principal"
    r = api.client.get("/v1/me", headers={**api.person(son), "X-Gongji-Acting-For": str(second)})
    assert r.status_code == 403 and r.json()["code"] == "AGENCY_NOT_IN_FORCE"


def test_ag1_staff_record_an_agency_at_the_counter_with_documents(api):
    mother, son, _ = _setup(api)
    body = {"principal_id_number": mother.id_number, "agent_id_number": son.id_number, "agent_name": son.name,
            "relationship": "child", "actions": ["records"], "end_on": "2026-01-01",
            "agreement_version": rules.AGREEMENT_VERSION, "documents": ["principal_id_card"]}
    r = api.client.post("/v1/agencies", headers=api.staff(), json=body)
    assert r.status_code == 422 and r.json()["code"] == "AGENCY_DOCUMENTS_MISSING"
    body["documents"] = ["principal_id_card", "agent_id_card", "agency_letter"]
    r = api.client.post("/v1/agencies", headers=api.staff(), json=body)
    assert r.status_code == 201, r.text
    assert r.json()["channel"] == "counter" and len(r.json()["documents"]) == 3


def test_ag1_every_route_an_agent_may_call_is_served(api):
    """The table of routes an agent may call (rules.API_ACTIONS) names real routes only: a route renamed would
    otherwise be refused to agents without anyone noticing."""
    served = {(method.upper(), path) for path, ops in api.client.app.openapi()["paths"].items() for method in ops}
    assert set(rules.API_ACTIONS) <= served, set(rules.API_ACTIONS) - served
    assert ("GET", "/v1/people/{person_id}/notifications") in rules.API_ACTIONS
