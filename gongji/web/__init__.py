"""The web pages: the portal for insured people (/portal) and the counter console for staff (/counter)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from gongji.web.pages import HERE, CsrfRefused, LoginRequired, login_redirect


def install(app: FastAPI) -> None:
    """Serve the pages, their static files, and answer a missing login or a stale form as a page would."""
    from gongji.web import counter, portal

    app.include_router(portal.router)
    app.include_router(counter.router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> RedirectResponse:
        return login_redirect(exc)

    @app.exception_handler(CsrfRefused)
    async def _csrf(request: Request, exc: CsrfRefused) -> RedirectResponse:
        response = RedirectResponse(request.url.path, status_code=303)
        response.set_cookie("gongji_flash", "csrf", httponly=True, samesite="lax", path="/", max_age=60)
        return response
