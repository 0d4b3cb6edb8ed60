"""ASGI middleware: a request id on every request and answer, an access line and metrics per request, a
limit on the size of bodies, and no JSON object that names a key twice."""

from __future__ import annotations

import json
import logging
import re
import secrets
import time

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gongji import logs
from gongji.api import metrics
from gongji.inputs import DuplicateKey, refuse_duplicates

access_log = logging.getLogger("gongji.access")

_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


class RequestIdMiddleware:
    """Takes a sane ``X-Request-ID`` from the client or makes one; puts it in ``scope['state']``, the answer and
    the logs (:data:`gongji.logs.request_id`).

    The log context is not reset at the end: each request runs in a task of its own, whose context ends
    with it, and the error handler outside all middleware still logs with the id of its request.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _REQUEST_ID.fullmatch(given) else secrets.token_hex(8)
        scope.setdefault("state", {})["request_id"] = request_id
        logs.request_id.set(request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        await self.app(scope, receive, send_with_id)


#: Routes that machines call every few seconds: their successful answers are logged at DEBUG only.
QUIET_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})


def route_template(scope: Scope) -> str:
    """The template of the route that answered (``/v1/people/{person_id}``), or ``unmatched``."""
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    return template if isinstance(template, str) and template else metrics.UNMATCHED


class AccessMiddleware:
    """Counts and times every request by its route template, and logs one access line for it.

    The line (logger ``gongji.access``) carries method, route template, status, duration and the
    caller's role and id (a person's internal number, a staff id or an institution code), never the
    path with its ids nor anything from the body. An exception that escapes the application counts
    as status 500.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            duration = time.perf_counter() - started
            method, route = scope["method"], route_template(scope)
            metrics.record_request(method=method, route=route, status=status, duration_s=duration)
            level = logging.DEBUG if route in QUIET_ROUTES and status < 400 else logging.INFO
            if access_log.isEnabledFor(level):  # the line's fields are gathered only when it is written
                principal = scope.get("state", {}).get("principal")
                role = getattr(getattr(principal, "role", None), "value", None)
                access_log.log(level, "%s %s %d", method, route, status, extra={
                    "method": method, "route": route, "status": status, "duration_ms": round(duration * 1000, 1),
                    "role": role, "caller": getattr(principal, "id", None) if principal is not None else None,
                })


class BodyLimitMiddleware:
    """Refuses a body over ``limit`` bytes with 413 before anything reads it whole.

    A body whose length is announced is refused before it is read. One that is streamed (chunked) is counted as
    it is read: past the limit, reading raises :class:`BodyTooLarge`, an HTTP exception, so that FastAPI, which
    turns other errors while reading a body into a 400, passes it on to the application's handler
    (:func:`gongji.api.problems.install`), which answers ``BODY_TOO_LARGE``.
    """

    def __init__(self, app: ASGIApp, limit: int, upload_limit: int | None = None) -> None:
        self.app = app
        self.limit = limit
        #: The limit of the forms that upload a file (:data:`UPLOAD_PATHS`): the file and room for the fields.
        self.upload_limit = max(limit, (upload_limit or 0) + UPLOAD_ROOM)

    def limit_of(self, scope: Scope) -> int:
        return self.upload_limit if scope.get("path") in UPLOAD_PATHS else self.limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_of(scope)
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await self._refuse(scope, send, limit)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        try:
            await self.app(scope, limited, send)
        except BodyTooLarge:  # raised where no handler answers it
            await self._refuse(scope, send, limit)

    async def _refuse(self, scope: Scope, send: Send, limit: int) -> None:
        from starlette.requests import Request

        from gongji.api.problems import problem_response
        from gongji.errors import GongjiError

        request = Request(scope)
        if request.url.path.startswith(PAGE_PATHS):  # a person at a page gets a page, not JSON
            from gongji.web.pages import too_large_page

            response = too_large_page(request, limit)
        else:
            response = problem_response(request, GongjiError("BODY_TOO_LARGE", limit=limit))
        await response(scope, _no_receive, send)


#: The pages' forms that upload a proof document (HN-3); their body may be as large as the upload limit.
UPLOAD_PATHS = frozenset({"/portal/bind"})
#: Room for a form's other fields next to its file.
UPLOAD_ROOM = 64 * 1024
#: Where a refused body is answered with a page.
PAGE_PATHS = ("/portal", "/counter", "/admin")


class BodyTooLarge(HTTPException):
    """A streamed body went past the limit while it was being read."""

    def __init__(self, limit: int) -> None:
        super().__init__(413)
        self.limit = limit


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}


def duplicate_key(body: bytes) -> str | None:
    """The first key that some object of the JSON ``body`` names twice; None if there is none or it is no JSON."""
    try:
        json.loads(body, object_pairs_hook=refuse_duplicates)
    except DuplicateKey as exc:
        return exc.key
    except (ValueError, RecursionError):  # not JSON at all: the application says so in its own words
        return None
    return None


class DuplicateKeyMiddleware:
    """Refuses a JSON body of ``/v1`` that names one key twice in an object (DUPLICATE_KEY, naming the key).

    The body is read whole (the body limit runs before this) and handed on unchanged. The national interface
    answers in its own envelope and checks its messages itself (:func:`gongji.national.wire.loads`).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        content_type = dict(scope["headers"]).get(b"content-type", b"").split(b";")[0].strip().lower()
        if content_type != b"application/json" and not content_type.endswith(b"+json"):
            await self.app(scope, receive, send)
            return
        chunks, more = [], True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                await self.app(scope, _replay([message]), send)
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        key = duplicate_key(body)
        if key is not None:
            from starlette.requests import Request

            from gongji.api.problems import problem_response
            from gongji.errors import GongjiError

            response = problem_response(Request(scope), GongjiError("DUPLICATE_KEY", key=key[:80]))
            await response(scope, _no_receive, send)
            return
        await self.app(scope, _replay([{"type": "http.request", "body": body, "more_body": False}]), send)


def _replay(messages: list[Message]) -> Receive:
    pending = list(messages)

    async def receive() -> Message:
        return pending.pop(0) if pending else {"type": "http.disconnect"}

    return receive
