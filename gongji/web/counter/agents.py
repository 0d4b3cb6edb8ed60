"""Agencies at the counter (AG-1, N-8): staff record that the person who came in authorizes a relative as his
agent, after checking both ID cards and the signed letter of authorization, and end an agency for either side."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from gongji.agents import rules
from gongji.agents import service as agencies
from gongji.people import service as people
from gongji.people.ids import mask
from gongji.terms import Channel, Relationship
from gongji.web import forms
from gongji.web.counter.common import P, not_shown, person_row, render, require_person, router
from gongji.web.pages import FLASHES, Page

FLASHES.setdefault("counter_agency_granted", ("代办委托已登记，双方会收到通知。",
                                              "The agency is recorded; both are told."))
FLASHES.setdefault("counter_agency_ended", ("代办委托已终止。", "The agency has ended."))
FIELDS = ("name", "id_number", "relationship", "end_on")
STATES = {"pending": ("待生效", "not yet in effect"), "active": ("生效中", "in effect"), "ended": ("已终止", "ended"),
          "expired": ("已到期", "expired")}


def _rows(s: Session, p: Page, person_id: int) -> dict[str, list[dict[str, Any]]]:
    today = p.env.today()
    granted, held = agencies.of_person(s, person_id)

    def row(agency, other_id: int) -> dict[str, Any]:
        other = people.get(s, other_id)
        terms = agencies.terms(agency)
        return {"id": agency.id, "name": other.name, "id_number": mask(other.id_number),
                "relationship": agency.relationship, "state": rules.state(terms, today),
                "state_text": p.t(*STATES[rules.state(terms, today)]),
                "start_on": agency.start_on, "end_on": agency.end_on, "channel": agency.channel,
                "actions": [p.t(a.zh, a.en) for a in rules.Action if a in terms.actions]}

    return {"granted": [row(a, a.agent_id) for a in granted], "held": [row(a, a.principal_id) for a in held]}


async def _page(p: Page, person_id: int, *, values: dict[str, Any] | None = None,
                errors: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    staff = p.staff()

    def work(s: Session) -> dict[str, Any]:
        person = people.get(s, person_id)
        require_person(staff, person)
        return {"person": person_row(person), **_rows(s, p, person_id)}

    done = await forms.attempt(p, p.read(work))
    if done.failed:
        return await not_shown(p, done.failed)
    return render(p, "counter/agents.html", status_code=status_code, nav="find", values=values or {
        "end_on": (p.env.today() + timedelta(days=365)).isoformat(), "actions": ["records"]},
        errors=errors or {}, documents=[(k, p.t(*v)) for k, v in agencies.COUNTER_DOCUMENTS.items()],
        relationships=[("", p.t("请选择", "Choose"))] + [(r.value, p.t(r.zh, r.en)) for r in Relationship],
        actions=[(a.value, p.t(a.zh, a.en)) for a in rules.Action], **done.value)


@router.get("/people/{person_id}/agencies", response_class=HTMLResponse)
async def agencies_page(p: P, person_id: int) -> HTMLResponse:
    return await _page(p, person_id)


@router.post("/people/{person_id}/agencies", response_class=HTMLResponse)
async def grant(p: P, person_id: int, request: Request) -> HTMLResponse:
    """AG-1, N-8: the person here (the principal) authorizes the agent; staff ticked every document first."""
    form = await p.form()
    staff = p.staff()
    raw = await request.form()
    chosen = [v for v in raw.getlist("actions") if isinstance(v, str)]
    values: dict[str, Any] = {k: form.get(k, "").strip() for k in FIELDS}
    values["actions"] = chosen
    values.update({f"doc_{k}": form.get(f"doc_{k}", "") for k in agencies.COUNTER_DOCUMENTS})
    c = forms.Checks(p, values)
    c.required("name", "请填写代办人的姓名。", "Enter the agent's name.")
    c.id_number(who_zh="代办人", who_en="the agent")
    c.required("relationship", "请选择代办人是委托人的什么人。", "Choose what the agent is to the person.")
    c.required("end_on", "请选择委托的结束日期。", "Choose the last day of the agency.")
    if not chosen:
        c.refuse("actions", "请至少选择一项委托代办的事项。", "Choose at least one thing the agent may do.")
    if c.errors:
        return await _page(p, person_id, values=values, errors=c.errors, status_code=400)
    documents = [k for k in agencies.COUNTER_DOCUMENTS if form.get(f"doc_{k}") == "yes"]

    def work(s: Session) -> None:
        person = people.get(s, person_id)
        require_person(staff, person)
        agencies.grant(s, p.env, principal_id_number=person.id_number, agent_id_number=values["id_number"],
                       agent_name=values["name"], relationship=values["relationship"], actions=chosen,
                       end_on=values["end_on"], actor=staff.actor(Channel.COUNTER),
                       agreement_version=rules.AGREEMENT_VERSION, documents=documents)

    done = await forms.attempt(p, p.write(work), fields=(*FIELDS, "actions", "documents"))
    if done.failed:
        errors = done.failed.errors
        code = done.failed.error.code if done.failed.error is not None else ""
        if code == "AGENCY_DOCUMENTS_MISSING":
            errors = {"documents": p.message(done.failed.error)}
        elif code == "AGENCY_AGENT_NOT_MATCHED":
            errors = {"id_number": p.message(done.failed.error)}
        elif code == "AGENCY_PERIOD_INVALID":
            errors = {"end_on": p.message(done.failed.error)}
        return await _page(p, person_id, values=values, errors=errors, status_code=done.failed.status)
    return p.redirect(f"/counter/people/{person_id}/agencies", flash="counter_agency_granted")


@router.post("/people/{person_id}/agencies/{agency_id}/end", response_class=HTMLResponse)
async def end(p: P, person_id: int, agency_id: int) -> HTMLResponse:
    """Either side may end an agency at the counter (AG-1)."""
    await p.form()
    staff = p.staff()

    def work(s: Session) -> None:
        person = people.get(s, person_id)
        require_person(staff, person)
        agency = agencies.get(s, agency_id)
        if agency is None or person_id not in (agency.principal_id, agency.agent_id):
            from gongji.errors import GongjiError

            raise GongjiError("AGENCY_NOT_IN_FORCE")
        agencies.end(s, p.env, agency_id=agency_id, actor=staff.actor(Channel.COUNTER))

    done = await forms.attempt(p, p.write(work))
    if done.failed:
        return await _page(p, person_id, errors={"": next(iter(done.failed.errors.values()))},
                           status_code=done.failed.status)
    return p.redirect(f"/counter/people/{person_id}/agencies", flash="counter_agency_ended")
