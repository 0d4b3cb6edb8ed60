"""Payments (N-9, HN-6): one month of my bills, my account's changes, what I paid for relatives and they for me,
and a chart of the last twelve months paid for relatives."""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from gongji.env import Env
from gongji.records import service as records
from gongji.web.portal.common import ROWS, P, load_me, router, show

MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def _month_start(value: str | None, today: date) -> date | None:
    """The first day of ``YYYY-MM`` (None if malformed); the current month if not given."""
    if not value:
        return today.replace(day=1)
    found = MONTH.match(value)
    if not found or not 2000 <= int(found.group(1)) <= 2100 or not 1 <= int(found.group(2)) <= 12:
        return None
    return date(int(found.group(1)), int(found.group(2)), 1)


def _month_end(start: date) -> date:
    return start.replace(day=calendar.monthrange(start.year, start.month)[1])


def _add_months(start: date, months: int) -> date:
    index = start.year * 12 + start.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _all(fetch: Callable[..., records.Page], **kwargs: Any) -> list[Any]:
    """Every row of a paged record query (a year of payments for the chart)."""
    items: list[Any] = []
    while True:
        page_ = fetch(limit=ROWS, offset=len(items), **kwargs)
        items.extend(page_.items)
        if not page_.items or len(items) >= page_.total:
            return items


def _payments(s: Session, env: Env, person_id: int, start: date) -> dict[str, Any]:
    me = load_me(s, env, person_id)
    end = _month_end(start)
    window = {"person_id": person_id, "from_on": start, "to_on": end, "limit": ROWS}
    consumption = records.consumption_as_patient(s, **window)
    changes = records.account_changes(s, **window) if me.balances is not None else None
    by_me = records.payments_as_payer(s, **window)
    for_me = records.paid_for_me(s, **window)
    first = _add_months(start, -11)
    year = _all(records.payments_as_payer, session=s, person_id=person_id, from_on=first, to_on=end)
    per_month: dict[tuple[int, int], int] = {}
    for item in year:
        key = (item.on.year, item.on.month)
        per_month[key] = per_month.get(key, 0) + item.amount_fen - item.refunded_fen
    chart = []
    for i in range(12):
        month = _add_months(first, i)
        chart.append({"month": month, "fen": per_month.get((month.year, month.month), 0)})
    latest = None
    if not (consumption.items or (changes and changes.items) or by_me.items or for_me.items):
        # Nothing this month: point to the newest month that has something, so an empty page does not look
        # like lost records (seen on the demo, whose story lies months back).
        newest = [page.items[0].on for page in (
            records.consumption_as_patient(s, person_id=person_id, to_on=end, limit=1),
            records.payments_as_payer(s, person_id=person_id, to_on=end, limit=1),
            records.paid_for_me(s, person_id=person_id, to_on=end, limit=1),
            *([records.account_changes(s, person_id=person_id, to_on=end, limit=1)] if me.balances else []),
        ) if page.items]
        latest = max(newest).replace(day=1) if newest else None
    return {"me": me, "consumption": consumption, "changes": changes, "by_me": by_me, "for_me": for_me,
            "chart": chart, "latest": latest}


@router.get("/payments", response_class=HTMLResponse)
async def payments_page(p: P, month: str | None = None) -> HTMLResponse:
    """消费记录与账户变动 (N-9, HN-6): my bills, my account's changes, what I paid for relatives and they for me,
    for one month; and a chart of the last twelve months paid for relatives."""
    who = p.person()
    today = p.env.today()
    start = _month_start(month, today)
    errors = {}
    if start is None:
        errors["month"] = p.t("月份格式应为“年-月”，例如 2025-06。", "Write the month as year-month, e.g. 2025-06.")
        start = today.replace(day=1)
    data = await p.read_stale(lambda s: _payments(s, p.env, who.person_id, start))
    top = max([c["fen"] for c in data["chart"]] + [1])
    for bar in data["chart"]:
        bar["percent"] = round(100 * max(bar["fen"], 0) / top)
    this_month = today.replace(day=1)
    return show(p, data.pop("me"), "portal/payments.html", nav="payments", status_code=400 if errors else 200,
                errors=errors, values={"month": f"{start:%Y-%m}"}, start=start,
                previous=f"{_add_months(start, -1):%Y-%m}",
                following=f"{_add_months(start, 1):%Y-%m}" if start < this_month else None, **data)
