"""Staff log in and out of the counter."""

from __future__ import annotations

from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse

from gongji.auth import service as auth
from gongji.auth import throttle
from gongji.web import forms
from gongji.web.counter.common import P, router, safe_next_


@router.get("/login", response_class=HTMLResponse)
async def login_form(p: P, next: str | None = None) -> HTMLResponse:
    return p.render("counter/login.html", next=safe_next_(next))


@router.post("/login", response_class=HTMLResponse)
async def login(p: P) -> HTMLResponse:
    form = await p.form()
    minutes = p.settings.staff_session_minutes
    done = await forms.attempt(p, run_in_threadpool(
        throttle.guarded_login, p.db, p.env, throttle.Limits.of(p.settings), kind=throttle.STAFF,
        identifier=form.get("staff_id", ""), client=throttle.client_of(p.request),
        login=lambda s: auth.login_staff(s, p.env, staff_id=form.get("staff_id", ""),
                                         password=form.get("password", ""), minutes=minutes)),
        fields=("staff_id", "password"))
    if done.failed:
        return p.render("counter/login.html", status_code=429 if done.failed.status == 429 else 400,
                        errors=done.failed.errors,
                        values={"staff_id": form.get("staff_id", "")}, next=safe_next_(form.get("next")))
    response = p.redirect(safe_next_(form.get("next")))
    p.start_session(response, done.value)
    return response


@router.post("/logout")
async def logout(p: P) -> RedirectResponse:
    return await p.log_out("/counter/login")


@router.get("/logout")
async def logout_page(p: P) -> RedirectResponse:
    """Where a stale logout form lands (CSRF refused): back to the start."""
    return p.redirect("/counter")
