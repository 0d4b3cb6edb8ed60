"""The portal for insured people (/portal): log in, see one's accounts, bind and unbind relatives, records.

Every page here acts for the logged-in person only, through the same services the API uses, with the
channel ``portal`` (N-8).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, RedirectResponse

from gongji.auth import service as auth
from gongji.errors import GongjiError
from gongji.people import service as people
from gongji.records import service as records
from gongji.web.identity import provider_from_env
from gongji.web.pages import Page, page

router = APIRouter(prefix="/portal", include_in_schema=False)

P = Annotated[Page, Depends(page)]


def _safe_next(value: str | None) -> str:
    """Where to go after logging in: a portal path of this site only."""
    return value if value and value.startswith("/portal") and "//" not in value and "\\" not in value else "/portal"


@router.get("/login", response_class=HTMLResponse)
async def login_form(p: P, next: str | None = None) -> HTMLResponse:
    if p.principal is not None and p.principal.person_id is not None:
        return p.redirect(_safe_next(next))
    return p.render("portal/login.html", next=_safe_next(next), asks_password=provider_from_env().asks_password)


@router.post("/login", response_class=HTMLResponse)
async def login(p: P) -> HTMLResponse:
    form = await p.form()
    provider = provider_from_env()
    minutes = p.settings.person_session_minutes
    try:
        login_ = await p.write(lambda s: provider.login(s, p.env, p.request, form, minutes))
    except GongjiError as error:
        values = {"id_number": form.get("id_number", "")}
        return p.render("portal/login.html", status_code=400, errors=p.field_errors(error), values=values,
                        next=_safe_next(form.get("next")), asks_password=provider.asks_password)
    response = p.redirect(_safe_next(form.get("next")))
    p.start_session(response, login_)
    return response


@router.post("/logout")
async def logout(p: P) -> RedirectResponse:
    await p.form()
    if p.token:
        await p.write(lambda s: auth.logout(s, p.env, p.token))
    response = p.redirect("/portal/login", flash="logged_out")
    p.end_session(response)
    return response


@router.get("", response_class=HTMLResponse)
async def home(p: P) -> HTMLResponse:
    """首页: own balance, who my account pays for, who pays for me, recent payments both ways (N-9)."""
    me = p.person()
    today = p.env.today()

    def facts(s):
        person = people.get(s, me.person_id)
        return {
            "person": person,
            "enrollment": people.enrollment_of(person),
            "balances": people.balances(s, me.person_id),
            "bindings": records.authorization_records(s, person_id=me.person_id, today=today,
                                                      include_ended=False).items,
            "paid_by_me": records.payments_as_payer(s, person_id=me.person_id, limit=5).items,
            "paid_for_me": records.paid_for_me(s, person_id=me.person_id, limit=5).items,
        }

    return p.render("portal/home.html", nav="home", **await p.read(facts))
