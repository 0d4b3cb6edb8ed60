"""The web pages: the portal for insured people (/portal), the counter console for staff (/counter) and the
administrators' policy simulator (/admin/simulate)."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.routing import Match

from gongji.web.pages import (
    FRESH_COOKIE,
    FRESH_FOR_S,
    HERE,
    ActingRefused,
    CsrfRefused,
    LoginRequired,
    login_redirect,
)


def _has_page(app: FastAPI, path: str) -> bool:
    scope = {"type": "http", "path": path, "method": "GET"}
    return any(route.matches(scope)[0] is Match.FULL for route in app.routes)


class FreshAfterChange:
    """A page that changed something (``Page.write``) marks the browser for FRESH_FOR_S seconds with FRESH_COOKIE:
    its next pages read from the primary. Plain ASGI: every other request passes through untouched."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def sending(message) -> None:
            if message["type"] == "http.response.start" and scope.get("state", {}).get("gongji_wrote"):
                cookie = f"{FRESH_COOKIE}=1; Max-Age={FRESH_FOR_S}; HttpOnly; Path=/; SameSite=lax"
                message = {**message, "headers": [*message.get("headers", []), (b"set-cookie", cookie.encode())]}
            await send(message)

        await self.app(scope, receive, sending)


def install(app: FastAPI) -> None:
    """Serve the pages, their static files, and answer a missing login or a stale form as a page would."""
    from gongji.web import counter, portal, simulate, start

    app.include_router(start.router)
    app.include_router(portal.router)
    app.include_router(counter.router)
    app.include_router(simulate.router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    app.add_middleware(FreshAfterChange)

    def form_page(request: Request, home: str) -> str:
        """The page a form was sent from (this site's only), or the form's own page when it has one."""
        referer = urlsplit(request.headers.get("referer", ""))
        if referer.netloc == request.url.netloc and referer.path.startswith(("/portal", "/counter", "/admin")):
            return referer.path + (f"?{referer.query}" if referer.query else "")
        return request.url.path if _has_page(app, request.url.path) else home

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> RedirectResponse:
        # A form sent after the login ended comes back to the page it was on, after logging in again.
        home = exc.login_path.rsplit("/login", 1)[0]
        back = form_page(request, home) if request.method == "POST" else exc.next_path
        return login_redirect(request, exc, back)

    @app.exception_handler(ActingRefused)
    async def _acting(request: Request, exc: ActingRefused):
        # AG-1: a page the agent's agency does not allow, or an agency no longer in force
        return portal.agents.refused_page(request, exc)

    @app.exception_handler(CsrfRefused)
    async def _csrf(request: Request, exc: CsrfRefused) -> RedirectResponse:
        # Back to the page the form was on (this site's only), where a fresh form waits; nothing was done.
        target = form_page(request, "/counter" if request.url.path.startswith("/counter") else "/portal")
        response = RedirectResponse(target, status_code=303)
        response.set_cookie("gongji_flash", "csrf", httponly=True, samesite="lax", path="/", max_age=60)
        return response
