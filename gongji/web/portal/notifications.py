"""Notices (HZ-4, N-9): what I was told about bindings, payments, transfers and my family, newest first."""

from __future__ import annotations

from typing import Any

from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from gongji.errors import GongjiError
from gongji.notifications import service as notifications
from gongji.web.pages import Page
from gongji.web.portal.common import P, attempt, load_me, router, show

NOTIFICATIONS_PER_PAGE = 20


async def _notifications_page(p: Page, person_id: int, number: int, *, errors: dict[str, str] | None = None,
                              status_code: int = 200) -> HTMLResponse:
    def facts(s: Session) -> dict[str, Any]:
        listed = notifications.list_for(s, person_id=person_id, language=p.language, limit=NOTIFICATIONS_PER_PAGE,
                                        offset=(number - 1) * NOTIFICATIONS_PER_PAGE)
        return {"me": load_me(s, p.env, person_id), "items": listed.items, "total": listed.total}

    data = await p.read(facts)
    pages = max(1, -(-data["total"] // NOTIFICATIONS_PER_PAGE))
    return show(p, data.pop("me"), "portal/notifications.html", nav="notifications", status_code=status_code,
                errors=errors or {}, number=number, pages=pages, **data)


@router.get("/notifications", response_class=HTMLResponse)
async def notifications_page(p: P, page: int = 1) -> HTMLResponse:
    """消息: what I was told about bindings, payments, transfers and my family, newest first."""
    return await _notifications_page(p, p.person().person_id, max(1, min(page, 10_000)))


@router.post("/notifications/read", response_class=HTMLResponse)
async def mark_read(p: P) -> HTMLResponse:
    """Mark one message read (``notification_id``), or all of them."""
    who = p.person()
    form = await p.form()
    chosen = form.get("notification_id", "")

    def work(s: Session) -> None:
        if not chosen:
            notifications.mark_all_read(s, p.env, person_id=who.person_id)
        elif not chosen.isdigit() or len(chosen) > 18:
            raise GongjiError("NOTIFICATION_NOT_FOUND", notification_id=chosen[:20])
        else:
            notifications.mark_read(s, p.env, person_id=who.person_id, notification_id=int(chosen))

    done = await attempt(p, p.write(work))
    if done.failed:
        return await _notifications_page(p, who.person_id, 1, errors=done.failed.errors, status_code=400)
    return p.redirect("/portal/notifications", flash="read")
