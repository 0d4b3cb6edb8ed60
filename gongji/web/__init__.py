"""The web pages: the portal for insured people (/portal), the counter console for staff (/counter) and the
administrators' policy simulator (/admin/simulate)."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.routing import Match

from gongji.web.pages import FRESH_COOKIE, FRESH_FOR_S, HERE, CsrfRefused, LoginRequired, login_redirect


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
    from gongji.web import counter, portal, simulate

    app.include_router(portal.router)
    app.include_router(counter.router)
    app.include_router(simulate.router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    app.add_middleware(FreshAfterChange)

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> RedirectResponse:
        return login_redirect(exc)

    @app.exception_handler(CsrfRefused)
    async def _csrf(request: Request, exc: CsrfRefused) -> RedirectResponse:
        # Back to the page the form was on (this site's only), where a fresh form waits; nothing was done.
        referer = urlsplit(request.headers.get("referer", ""))
        same_site = referer.netloc == request.url.netloc and referer.path.startswith(("/portal", "/counter"))
        home = "/counter" if request.url.path.startswith("/counter") else "/portal"
        if same_site:
            target = referer.path + (f"?{referer.query}" if referer.query else "")
        else:  # the form's own page when it has one (most forms post to the page they are on)
            target = request.url.path if _has_page(app, request.url.path) else home
        response = RedirectResponse(target, status_code=303)
        response.set_cookie("gongji_flash", "csrf", httponly=True, samesite="lax", path="/", max_age=60)
        return response
