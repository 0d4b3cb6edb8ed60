"""The day report (N-8): bindings made and ended, settlements and refunds of one day in the staff member's region,
by channel."""

from __future__ import annotations

from fastapi.responses import HTMLResponse

from gongji.inputs import check_date
from gongji.web import forms, reports
from gongji.web.counter.common import P, render, router


@router.get("/report", response_class=HTMLResponse)
async def report(p: P, day: str | None = None) -> HTMLResponse:
    """日报: bindings made and ended, settlements and refunds of one day in the staff member's region, by
    channel (N-8)."""
    staff = p.staff()
    c = forms.Checks(p, {"day": (day or "").strip()})
    chosen = c.parse("day", lambda value: check_date(value, field="day")) if c.values["day"] else p.env.today()
    if c.errors:
        return render(p, "counter/report.html", status_code=400, nav="report", report=None,
                      values={"day": day or ""}, errors=c.errors)
    result = await p.read_stale(lambda s: reports.day_report(s, day=chosen, region_prefix=staff.region_prefix))
    return render(p, "counter/report.html", nav="report", report=result, values={"day": chosen.isoformat()},
                  region=staff.region_prefix)
