"""Health, readiness and metrics, for the machines that run the service.

* ``GET /healthz`` — liveness: the process answers. Touches no database (a database outage must not
  get healthy processes restarted).
* ``GET /readyz`` — readiness: the database answers ``SELECT 1`` and its schema is at the newest
  migration; otherwise 503 with a problem body (``NOT_READY``), and load balancers send no traffic.
* ``GET /metrics`` — Prometheus text format (:mod:`gongji.api.metrics`).

All three are anonymous. The metrics hold counts by route template and sums of money, no person's
data; still, ``GONGJI_METRICS=off`` turns ``/metrics`` off (it answers 404 like any unknown path), and
where the service faces the internet the proxy in front should serve ``/metrics`` to the monitoring
network only.
"""

from __future__ import annotations

import logging
import os
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from gongji import __version__
from gongji.api import metrics
from gongji.api.problems import Problem
from gongji.api.schemas import Output
from gongji.db import Database
from gongji.errors import GongjiError
from gongji.notifications.models import Notification

log = logging.getLogger(__name__)

router = APIRouter(tags=["operations"])


class Health(Output):
    status: Literal["ok"] = "ok"
    version: str


class Readiness(Output):
    status: Literal["ready"] = "ready"
    database: Literal["sqlite", "postgresql"]
    schema_current: bool = True


def metrics_enabled() -> bool:
    """``GONGJI_METRICS``: ``on`` (the default) or ``off``."""
    return os.environ.get("GONGJI_METRICS", "on").strip().lower() not in ("off", "0", "false", "no")


@router.get("/healthz", response_model=Health, summary="存活检查 · liveness")
def healthz() -> Health:
    """进程在运行即返回200，不访问数据库 · 200 while the process answers; the database is not asked."""
    return Health(version=__version__)


@router.get("/readyz", response_model=Readiness, summary="就绪检查 · readiness",
            responses={503: {"model": Problem, "description": "数据库不可用或结构不是最新 · not ready"}})
def readyz(request: Request) -> Readiness:
    """数据库可用且结构为最新版本时返回200，否则503 · 200 when the database answers and its schema is current."""
    db: Database = request.app.state.db
    try:
        db.run(lambda s: s.execute(text("SELECT 1")).scalar_one(), write=False, attempts=1,
               failover_wait=0)  # answer at once: a load balancer asks again
    except Exception as exc:
        log.warning("not ready: the database does not answer (%s)", type(exc).__name__)
        raise GongjiError("NOT_READY", reason_zh="数据库无法访问", reason_en="the database does not answer",
                          action_zh="检查数据库服务与连接设置（GONGJI_DATABASE_URL）",
                          action_en="check the database server and GONGJI_DATABASE_URL") from None
    if not db.is_current():
        log.warning("not ready: the database schema is not at the newest migration")
        raise GongjiError("NOT_READY", reason_zh="数据库结构不是最新版本", reason_en="the database schema is not current",
                          action_zh="运行 gongji db upgrade", action_en="run `gongji db upgrade`")
    return Readiness(database=db.dialect)


def _pending_notifications(session: Session) -> int:
    return session.execute(
        select(func.count()).select_from(Notification).where(Notification.status == "pending")
    ).scalar_one()


@router.get("/metrics", summary="Prometheus 指标 · Prometheus metrics", response_class=Response,
            responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format"},
                       404: {"model": Problem, "description": "指标已关闭 · metrics are off (GONGJI_METRICS=off)"}})
def prometheus_metrics(request: Request) -> Response:
    """请求、结算、退费与待发通知的计数 · counts of requests, settlements, refunds and waiting notifications."""
    if not metrics_enabled():
        raise GongjiError("ROUTE_NOT_FOUND", method=request.method, path=request.url.path)
    db: Database = request.app.state.db
    try:
        metrics.NOTIFICATIONS_PENDING.set(db.run(_pending_notifications, write=False, attempts=1))
    except Exception as exc:  # the scrape still answers; the backlog shows as unknown
        log.warning("metrics: could not count pending notifications (%s)", type(exc).__name__)
        metrics.NOTIFICATIONS_PENDING.set(float("nan"))
    body, content_type = metrics.exposition()
    return Response(body, media_type=content_type)
