"""The application: ``create_app()`` wires storage, policies, settings, errors and every domain's endpoints."""

from __future__ import annotations

from contextlib import asynccontextmanager
from importlib import import_module

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from gongji import __version__
from gongji.api import problems
from gongji.api.middleware import (
    AccessMiddleware,
    BodyLimitMiddleware,
    DuplicateKeyMiddleware,
    RequestIdMiddleware,
)
from gongji.api.settings import ApiSettings
from gongji.clock import SystemClock
from gongji.db import Database
from gongji.env import Env
from gongji.policy import load_policies

#: Modules whose ``router`` is served. A request is matched against the routes in this order, one by one: the
#: settlements, which HIS systems call most by far, come first (the documentation groups by ``TAGS``, not by this).
ROUTERS = [
    "gongji.settlement.endpoints",
    "gongji.auth.endpoints",
    "gongji.people.endpoints",
    "gongji.contributions.endpoints",
    "gongji.authorizations.endpoints",
    "gongji.authorizations.change_endpoints",
    "gongji.statements.endpoints",
    "gongji.transfers.endpoints",
    "gongji.wallet.endpoints",
    "gongji.notifications.endpoints",
    "gongji.institutions.endpoints",
    "gongji.policy.endpoints",
    "gongji.national.endpoints",
    "gongji.federation.endpoints",
    "gongji.life.endpoints",
    "gongji.agents.endpoints",
    "gongji.api.operations",
]

DESCRIPTION = """\
职工医保个人账户家庭共济服务接口 · The HTTP interface of family mutual aid of employee medical-insurance
personal accounts.

* Amounts are integer **fen** (12.50 yuan is `1250`); dates are ISO 8601 (`2025-06-02`).
* Requests that move money or change a binding take an **`Idempotency-Key`** header: a retry with the same
  key gets the first answer back (`Idempotent-Replayed: true`) and changes nothing more.
* Errors are RFC 9457 problem details (`application/problem+json`) with a stable `code`, in the language of
  `Accept-Language` (Chinese by default).
* People and staff log in (`POST /v1/auth/person`, `POST /v1/auth/staff`) and send `Authorization: Bearer
  <token>`; institutions sign every request (`X-Gongji-Institution`, `-Timestamp`, `-Nonce`, `-Signature`).
"""

TAGS = [
    {"name": "auth", "description": "登录与退出 · logging in and out"},
    {"name": "people", "description": "参保人、账户与记录 · insured people, accounts and records"},
    {"name": "bindings", "description": "共济绑定 · mutual-aid bindings (N-2, N-7, HLJ-1..9, WL-1)"},
    {"name": "families", "description": "家庭共济网 · families (HN-1, HN-7)"},
    {"name": "settlements", "description": "结算与退费 · settlements and refunds (N-3, N-4, HN-4, HN-5, SZ-1)"},
    {"name": "transfers", "description": "历年账户划转与代缴 · transfers and contributions (HZ-1..4, N-5)"},
    {"name": "wallet", "description": "医保钱包 · the medical insurance wallet (WAL-1..4, HN-9)"},
    {"name": "notifications", "description": "消息通知 · notifications (HZ-4, N-9)"},
    {"name": "administration", "description": "机构、经办人员与地区政策 · institutions, staff, region settings"},
    {"name": "national interface", "description": "国家医保平台接口 · the national platform's message interface "
                                                  "for HIS (NI-1..NI-6)"},
    {"name": "federation", "description": "跨省互联 · messages between provincial instances and the hub (HN-9)"},
    {"name": "agencies", "description": "代办 · acting for someone: agents, their actions and period (AG-1)"},
    {"name": "operations", "description": "健康检查与指标 · health and metrics"},
]


def federation_apply(session, env: Env, envelope) -> str:
    """What a province does with a message for it: a balance carried on a move (``account.*``, LC-7) or a wallet
    transfer and its answers (HN-9)."""
    from gongji.life import carry
    from gongji.wallet import across

    if envelope.kind in carry.KINDS:
        return carry.apply(session, env, envelope)
    return across.apply(session, env, envelope)


def create_app(db: Database | None = None, env: Env | None = None, settings: ApiSettings | None = None, *,
               run_worker: bool = False) -> FastAPI:
    db = db or Database()
    env = env or Env(clock=SystemClock(), policies=load_policies())
    settings = settings or ApiSettings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        workers = []  # (thread, stop): the notification worker, the audit sealer, the federation deliverer
        if run_worker and settings.notify_sender:
            from gongji.notifications.senders import sender_from_url
            from gongji.notifications.service import start_in_thread

            workers.append(start_in_thread(db, env, sender_from_url(settings.notify_sender)))
        if run_worker and settings.audit_seal_s > 0:
            from gongji.events.audit import start_sealer

            workers.append(start_sealer(db, env, every_s=settings.audit_seal_s))
        if run_worker and env.federation is not None:
            from gongji.federation.service import start_deliverer

            workers.append(start_deliverer(db, env))
        try:
            yield
        finally:
            for _, stop in workers:
                stop.set()
            for thread, _ in workers:
                thread.join(timeout=10)

    app = FastAPI(
        title="Gongji 共济", version=__version__, description=DESCRIPTION, openapi_tags=TAGS, lifespan=lifespan,
        responses=problems.COMMON_RESPONSES,
        # FastAPI's own OpenTelemetry hooks, asked on every request whether a provider is set: the service counts and
        # logs its requests itself (gongji.api.metrics, the access line).
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
    )
    app.state.db, app.state.env, app.state.settings = db, env, settings
    app.state.federation_apply = federation_apply  # what a province does with a message for it (HN-9, LC-7)
    problems.install(app)
    for name in ROUTERS:
        app.include_router(import_module(name).router)
    from gongji import web

    web.install(app)

    @app.get("/problems/{code}", include_in_schema=False)
    def problem_type(code: str) -> JSONResponse:
        entry = problems.catalogue_entry(code)
        if entry is None:
            return JSONResponse({"detail": "unknown problem type"}, status_code=404)
        return JSONResponse(entry)

    # The last added runs first: the request id, then the access line and metrics, then the body limit, then the
    # refusal of duplicate keys (which reads the body whole, so after the limit).
    app.add_middleware(DuplicateKeyMiddleware)
    app.add_middleware(BodyLimitMiddleware, limit=settings.max_body_bytes, upload_limit=settings.max_upload_bytes)
    app.add_middleware(AccessMiddleware)
    app.add_middleware(RequestIdMiddleware)
    return app


def serve_app() -> FastAPI:
    """The application as ``gongji serve`` runs it: settings from the environment (the clock, the federation file),
    the background workers on."""
    return create_app(env=Env.from_environ(), run_worker=True)
