"""The counter console for staff (/counter): find a person, assisted binding with the region's checklist,
refunds, the day report. Staff act within their region, with the channel ``counter`` (N-8)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, RedirectResponse

from gongji.auth import service as auth
from gongji.errors import GongjiError
from gongji.web.pages import Page, page

router = APIRouter(prefix="/counter", include_in_schema=False)

P = Annotated[Page, Depends(page)]


def _safe_next(value: str | None) -> str:
    return value if value and value.startswith("/counter") and "//" not in value and "\\" not in value else "/counter"


@router.get("/login", response_class=HTMLResponse)
async def login_form(p: P, next: str | None = None) -> HTMLResponse:
    return p.render("counter/login.html", next=_safe_next(next))


@router.post("/login", response_class=HTMLResponse)
async def login(p: P) -> HTMLResponse:
    form = await p.form()
    minutes = p.settings.staff_session_minutes
    try:
        login_ = await p.write(lambda s: auth.login_staff(s, p.env, staff_id=form.get("staff_id", ""),
                                                          password=form.get("password", ""), minutes=minutes))
    except GongjiError as error:
        return p.render("counter/login.html", status_code=400, errors=p.field_errors(error),
                        values={"staff_id": form.get("staff_id", "")}, next=_safe_next(form.get("next")))
    response = p.redirect(_safe_next(form.get("next")))
    p.start_session(response, login_)
    return response


@router.post("/logout")
async def logout(p: P) -> RedirectResponse:
    await p.form()
    if p.token:
        await p.write(lambda s: auth.logout(s, p.env, p.token))
    response = p.redirect("/counter/login", flash="logged_out")
    p.end_session(response)
    return response


@router.get("", response_class=HTMLResponse)
async def start(p: P) -> HTMLResponse:
    p.staff()
    return p.render("counter/find.html", nav="find")
