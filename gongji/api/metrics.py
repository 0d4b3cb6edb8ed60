"""Prometheus metrics of the service, in a registry of its own (``GET /metrics``).

Requests (counted by :class:`gongji.api.middleware.AccessMiddleware`)::

    gongji_http_requests_total{method, route, status}
    gongji_http_request_duration_seconds{method, route}          (histogram)

``route`` is the route template (``/v1/people/{person_id}``), never the path a client sent, which may
hold ids; a request no route matches is ``unmatched``. Methods other than the usual ones are ``other``.

Money (counted by the settlement endpoints through :func:`record_settlement` and :func:`record_refund`,
after the transaction committed; a retried request answered from its first result is not counted
again, and a quote moves no money)::

    gongji_settlements_total{use}
    gongji_settlement_amount_fen_total{part="own|mutual_aid|cash"}
    gongji_refunds_total
    gongji_refund_amount_fen_total

And, computed when scraped::

    gongji_notifications_pending        notifications waiting in the outbox (status 'pending')

Counters live in the process: with ``gongji serve --workers N`` each process answers for itself, so
scrape each or run one worker per container.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)

if TYPE_CHECKING:
    from gongji.settlement.service import RefundResult, SettlementResult

# No ``*_created`` series beside each counter: they say nothing an operator needs here.
disable_created_metrics()

REGISTRY = CollectorRegistry(auto_describe=True)

HTTP_REQUESTS = Counter(
    "gongji_http_requests_total", "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"], registry=REGISTRY)
HTTP_DURATION = Histogram(
    "gongji_http_request_duration_seconds", "Time to answer an HTTP request, by method and route template.",
    ["method", "route"], registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))
SETTLEMENTS = Counter(
    "gongji_settlements_total", "Settlements made, by use (outpatient, inpatient, pharmacy, ...).", ["use"],
    registry=REGISTRY)
SETTLEMENT_FEN = Counter(
    "gongji_settlement_amount_fen_total", "Money of settlements in fen, by who paid: the patient's own account, "
    "family mutual aid, or cash.", ["part"], registry=REGISTRY)
REFUNDS = Counter("gongji_refunds_total", "Refunds made (cancellations included).", registry=REGISTRY)
REFUND_FEN = Counter("gongji_refund_amount_fen_total", "Money refunded in fen.", registry=REGISTRY)
NOTIFICATIONS_PENDING = Gauge(
    "gongji_notifications_pending", "Notifications waiting in the outbox to be sent (status 'pending').",
    registry=REGISTRY)

NATIONAL_MESSAGES = Counter(
    "gongji_national_messages_total", "National-interface messages answered, by transaction and infcode "
    "(replayed: a repeated msgid given its first answer).", ["infno", "infcode", "replayed"], registry=REGISTRY,
)
PARTS = ("own", "mutual_aid", "cash")
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"
#: At most this many (method, route, status) series are kept at hand (an odd method is "other" in the metrics, but its
#: own key here): past it, the series are looked up each time.
MAX_REQUEST_SERIES = 2_000

for _part in PARTS:  # every part shows from the start, at zero
    SETTLEMENT_FEN.labels(part=_part)


#: The labelled series of each (method, route, status) met so far: ``labels()`` takes a lock and builds a key on every
#: call, a dictionary look-up does not. Routes are templates and methods few, so this stays small.
_REQUEST_SERIES: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def record_request(*, method: str, route: str, status: int, duration_s: float) -> None:
    series = _REQUEST_SERIES.get((method, route, status))
    if series is None:
        shown = method if method in METHODS else "other"
        series = (HTTP_REQUESTS.labels(method=shown, route=route, status=str(status)),
                  HTTP_DURATION.labels(method=shown, route=route))
        if len(_REQUEST_SERIES) < MAX_REQUEST_SERIES:
            _REQUEST_SERIES[(method, route, status)] = series
    series[0].inc()
    series[1].observe(duration_s)


def record_settlement(result: SettlementResult) -> None:
    """Count a settlement that was made (a quote or a replayed answer counts nothing)."""
    if result.settlement_id is None or result.replayed:
        return
    SETTLEMENTS.labels(use=str(result.use)).inc()
    for part, fen in zip(PARTS, (result.own_fen, result.mutual_aid_fen, result.cash_fen), strict=True):
        if fen:
            SETTLEMENT_FEN.labels(part=part).inc(fen)


def record_national_message(*, infno: str, infcode: int, replayed: bool) -> None:
    from gongji.national.service import TRANSACTIONS

    NATIONAL_MESSAGES.labels(infno=infno if infno in TRANSACTIONS else "other", infcode=str(infcode),
                             replayed="true" if replayed else "false").inc()


def record_refund(result: RefundResult) -> None:
    """Count a refund that was made (a replayed answer counts nothing)."""
    if result.replayed:
        return
    REFUNDS.inc()
    if result.amount_fen:
        REFUND_FEN.inc(result.amount_fen)


def exposition() -> tuple[bytes, str]:
    """The metrics in Prometheus' text format, and its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
