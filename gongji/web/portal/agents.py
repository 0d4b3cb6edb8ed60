"""Acting for someone (代办, AG-1) in the portal: authorize a relative as agent, see and end agencies, act for a
principal and switch back.

The agent logs in as himself. On /portal/agents he chooses "act for" one of the agencies he holds; from then on
(:mod:`gongji.web.pages` and its acting cookie, bound to this login) every portal page is the principal's, shown
with a banner, limited to the actions chosen, and whatever he does is recorded with both and told to the
principal. On this page he is always himself: agencies are granted and ended here, never by an agent for someone.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from gongji.agents import rules
from gongji.agents import service as agencies
from gongji.agents.models import Agency
from gongji.errors import GongjiError
from gongji.people import service as people
from gongji.people.ids import mask
from gongji.terms import Channel, Relationship
from gongji.web import forms
from gongji.web.pages import (
    ACTING_COOKIE,
    FLASHES,
    SESSION_COOKIE,
    ActingRefused,
    Page,
    acting_value,
    templates,
)
from gongji.web.portal.common import P, attempt, checks, load_me, router, show

FIELDS = ("name", "id_number", "relationship", "end_on", "agreement")

FLASHES.update({
    "agency_granted": ("代办委托已生效，对方会收到通知。", "The agency is in effect; your relative is told."),
    "agency_ended": ("代办委托已终止。", "The agency has ended."),
    "acting_stopped": ("已切换回您本人。", "You are yourself again."),
})


def agreement_points(p: Page) -> list[str]:
    """N-7, AG-1: what accepting the agency agreement means, in plain words."""
    return [
        p.t("我自愿委托这位亲属，在所选期限内以其本人身份登录，代我办理所选事项。",
            "I ask this relative to log in as himself and do the chosen things for me during the period."),
        p.t("代办人不会得到我的密码；他代我办理的每一项都会记录我们两人，并通知我。",
            "The agent never gets my password; everything he does for me is recorded with both our names, "
            "and I am told."),
        p.t("我或代办人可以随时终止委托；到期后自动失效。",
            "Either of us can end it at any time; it ends by itself when the period is over."),
    ]


def _row(agency: Agency, other, today: date, p: Page) -> dict[str, Any]:
    terms = agencies.terms(agency)
    return {"id": agency.id, "name": other.name, "id_number": mask(other.id_number),
            "relationship": agency.relationship, "start_on": agency.start_on, "end_on": agency.end_on,
            "state": rules.state(terms, today), "actions": [p.t(a.zh, a.en) for a in rules.Action
                                                              if a in terms.actions],
            "channel": agency.channel, "ended_on": agency.ended_on}


async def _list_page(p: Page, *, values: dict[str, str] | None = None, errors: dict[str, str] | None = None,
                     status_code: int = 200) -> HTMLResponse:
    who = p.person()
    today = p.env.today()

    def work(s: Session) -> dict[str, Any]:
        granted, held = agencies.of_person(s, who.person_id)
        return {
            "me": load_me(s, p.env, who.person_id),
            "granted": [_row(a, people.get(s, a.agent_id), today, p) for a in granted],
            "held": [_row(a, people.get(s, a.principal_id), today, p) for a in held],
        }

    data = await p.read(work)
    return show(p, data.pop("me"), "portal/agents.html", nav="agents", status_code=status_code, **data,
                values=values or {}, errors=errors or {})


@router.get("/agents", response_class=HTMLResponse)
async def agents_page(p: P) -> HTMLResponse:
    return await _list_page(p)


def _choices(p: Page) -> dict[str, Any]:
    return {"relationships": [("", p.t("请选择", "Choose"))] + [(r.value, p.t(r.zh, r.en)) for r in Relationship],
            "actions": [(a.value, p.t(a.zh, a.en)) for a in rules.Action], "points": agreement_points(p),
            "version": rules.AGREEMENT_VERSION}


async def _grant_page(p: Page, *, values: dict[str, Any], errors: dict[str, str] | None = None,
                      status_code: int = 200) -> HTMLResponse:
    who = p.person()
    me = await p.read(lambda s: load_me(s, p.env, who.person_id))
    return show(p, me, "portal/agent_new.html", nav="agents", status_code=status_code, values=values,
                errors=errors or {}, **_choices(p))


@router.get("/agents/new", response_class=HTMLResponse)
async def grant_form(p: P) -> HTMLResponse:
    end = p.env.today() + timedelta(days=365)
    return await _grant_page(p, values={"end_on": end.isoformat(), "actions": ["records"]})


@router.post("/agents/new", response_class=HTMLResponse)
async def grant(p: P, request: Request) -> HTMLResponse:
    """AG-1: the person authorizes a relative, named by name and ID number, for the ticked actions and a period."""
    who = p.person()
    form = await p.form()
    chosen = [v for v in (await request.form()).getlist("actions") if isinstance(v, str)]
    values: dict[str, Any] = {k: form.get(k, "").strip() for k in FIELDS}
    values["actions"] = chosen
    c = checks(p, values)
    c.required("name", "请填写代办人的姓名。", "Enter the agent's name.")
    c.id_number(who_zh="代办人", who_en="the agent")
    c.required("relationship", "请选择代办人是您的什么人。", "Choose what the agent is to you.")
    c.required("end_on", "请选择委托的结束日期。", "Choose the last day of the agency.")
    if not chosen:
        c.refuse("actions", "请至少选择一项委托代办的事项。", "Choose at least one thing the agent may do.")
    if values["agreement"] != "yes":
        c.refuse("agreement", "请阅读并勾选同意《代办授权书》。", "Read and tick to accept the agency agreement.")
    if c.errors:
        return await _grant_page(p, values=values, errors=c.errors, status_code=400)

    def work(s: Session) -> None:
        me = people.get(s, who.person_id)
        agencies.grant(s, p.env, principal_id_number=me.id_number, agent_id_number=values["id_number"],
                       agent_name=values["name"], relationship=values["relationship"], actions=chosen,
                       end_on=values["end_on"], actor=who.actor(Channel.PORTAL),
                       agreement_version=rules.AGREEMENT_VERSION)

    done = await attempt(p, p.write(work), fields=(*FIELDS, "actions"))
    if done.failed:
        errors = done.failed.errors
        if done.failed.error is not None and done.failed.error.code == "AGENCY_AGENT_NOT_MATCHED":
            errors = {"id_number": p.message(done.failed.error)}
        elif done.failed.error is not None and done.failed.error.code == "AGENCY_PERIOD_INVALID":
            errors = {"end_on": p.message(done.failed.error)}
        return await _grant_page(p, values=values, errors=errors, status_code=done.failed.status)
    return p.redirect("/portal/agents", flash="agency_granted")


@router.post("/agents/{agency_id}/end", response_class=HTMLResponse)
async def end(agency_id: int, p: P) -> HTMLResponse:
    """Either side ends an agency (AG-1)."""
    who = p.person()
    await p.form()
    done = await attempt(p, p.write(lambda s: agencies.end(s, p.env, agency_id=agency_id,
                                                           actor=who.actor(Channel.PORTAL))))
    if done.failed:
        return await _list_page(p, errors={"": next(iter(done.failed.errors.values()))},
                                status_code=done.failed.status)
    response = p.redirect("/portal/agents", flash="agency_ended")
    return response


@router.post("/agents/{agency_id}/act", response_class=HTMLResponse)
async def act(agency_id: int, p: P) -> HTMLResponse:
    """The agent starts acting for the principal: recorded, the principal told; the portal is then his."""
    who = p.person()
    await p.form()
    done = await attempt(p, p.write(lambda s: agencies.start_acting(s, p.env, agency_id=agency_id,
                                                                    agent=who.actor(Channel.PORTAL))))
    if done.failed:
        return await _list_page(p, errors={"": next(iter(done.failed.errors.values()))},
                                status_code=done.failed.status)
    response = p.redirect("/portal")
    response.set_cookie(ACTING_COOKIE, acting_value(agency_id, p.token or ""), httponly=True,
                        secure=p.request.url.scheme == "https", samesite="lax", path="/")
    return response


@router.post("/agents/stop", response_class=HTMLResponse)
async def stop(p: P) -> RedirectResponse:
    """Back to himself."""
    p.person()
    await p.form()
    response = p.redirect("/portal/agents", flash="acting_stopped")
    response.delete_cookie(ACTING_COOKIE, path="/")
    return response


def refused_page(request: Request, exc: ActingRefused) -> HTMLResponse:
    """An agent asked for a page his agency does not allow, or the agency has ended or expired: a page that says so
    and leads back to himself; an agency no longer in force is forgotten."""
    from gongji.api.problems import language_of
    from gongji.web.pages import LANG_COOKIE, SIZE_COOKIE

    language = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    if language not in ("zh", "en"):
        language = language_of(request.headers.get("accept-language"))

    def t(zh: str, en: str) -> str:
        return en if language == "en" else zh

    error: GongjiError = exc.error
    response = templates.TemplateResponse(request, "portal/acting_refused.html", {
        "t": t, "lang": language, "large": (request.query_params.get("size") or request.cookies.get(SIZE_COOKIE)) == "large",
        "principal": request.cookies.get(SESSION_COOKIE) is not None, "csrf": request.cookies.get("gongji_csrf", ""),
        "flash": None, "errors": {}, "values": {}, "message": error.message(language), "code": error.code,
    }, status_code=403)
    if error.code != "AGENCY_ACTION_NOT_GRANTED":
        response.delete_cookie(ACTING_COOKIE, path="/")
    return response


__all__ = ["forms", "refused_page"]
