"""The administrators' policy simulator (/admin/simulate): a question about a region's settings, answered first.

A GET form (it changes nothing): the region, the period, the settings to change (one ``key=value`` a line, as
``gongji simulate --set``), a binding scenario. The answer comes first, as figure cards (mutual aid, cash, who is
affected), then the charts (SVG of :mod:`gongji.simulate.charts`) and the tables; the form is below it in a
``<details>`` (open while there is no answer). ``/admin/simulate.csv`` gives the same answer as CSV.
Administrators only, for the regions they manage (``REGION_NOT_MANAGED`` otherwise).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from gongji.auth.service import Role
from gongji.errors import GongjiError
from gongji.money import fen_to_yuan
from gongji.policy import RegionPolicy
from gongji.simulate import changes as policy_changes
from gongji.simulate import charts, report, service
from gongji.simulate.bindings import SCENARIOS
from gongji.terms import Use
from gongji.web.pages import LoginRequired, Page, page, templates

router = APIRouter(prefix="/admin", include_in_schema=False)
P = Annotated[Page, Depends(page)]

FIELDS = ("region", "changes", "from", "to", "scenario")


def signed_yuan(fen: int) -> str:
    """A difference in yuan with its sign (+200.00, -15.50, 0.00)."""
    return ("+" if fen > 0 else "") + fen_to_yuan(fen)


templates.env.filters["signed_yuan"] = signed_yuan


def _admin(p: Page):
    if p.principal is None or p.principal.role is not Role.ADMIN:
        raise LoginRequired("/counter/login", p.request.url.path)
    return p.principal


def _question(p: Page) -> dict[str, str]:
    q = p.request.query_params
    return {name: (q.get(name) or "").strip()[:2000] for name in FIELDS}


def _run(p: Page, values: dict[str, str]) -> dict[str, Any]:
    admin = _admin(p)
    region = service.check_region(values["region"])
    if not region.startswith(admin.region_prefix):
        raise GongjiError("REGION_NOT_MANAGED", region=region, yours=admin.region_prefix or "-",
                          action_zh="模拟其政策", action_en="simulate its policy")
    lines = [line.strip() for line in values["changes"].replace("\r", "").split("\n") if line.strip()]
    return service.simulate(
        p.db, p.env, region=region, start=service.parse_date(values["from"], "from"),
        end=service.parse_date(values["to"], "to"), changes=policy_changes.parse_set(lines),
        scenario=values["scenario"] or None)


@router.get("/simulate", response_class=HTMLResponse)
async def simulate_page(p: P) -> HTMLResponse:
    """政策模拟: what the region's settlements of a period would have paid under changed settings."""
    _admin(p)
    values = _question(p)
    result, errors, status = None, {}, 200
    if values["region"]:
        try:
            result = await run_in_threadpool(_run, p, values)
        except GongjiError as error:
            key = {"SIMULATION_BAD_REGION": "region", "REGION_NOT_MANAGED": "region",
                   "SIMULATION_BAD_PERIOD": "from", "SIMULATION_UNKNOWN_SCENARIO": "scenario"}.get(error.code, "changes")
            errors, status = {key: p.message(error)}, 400
    svgs = {c[0]: Markup(charts.svg(result, c[0], p.language)) for c in charts.CHARTS} if result else {}
    def label_use(value: str) -> str:
        try:
            return p.t(Use(value).zh, Use(value).en)
        except ValueError:
            return value

    return p.render("admin/simulate.html", status_code=status, result=result, svgs=svgs, values=values,
                    label_use=label_use, nav="simulate",
                    chart_title=lambda name: charts.title(name, p.language),
                    errors=errors, scenarios=SCENARIOS, examples=EXAMPLES,
                    keys=[k for k in RegionPolicy.model_fields if k not in policy_changes.FIXED])


@router.get("/simulate.csv")
async def simulate_csv(p: P) -> Response:
    _admin(p)
    try:
        result = await run_in_threadpool(_run, p, _question(p))
    except GongjiError as error:
        return Response(p.message(error) + "\n", status_code=error.status, media_type="text/plain; charset=utf-8")
    return Response(report.to_csv(result), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="simulation.csv"'})


#: Questions to start from: (region, changes, zh, en).
EXAMPLES = (
    ("4403", "reserve_line_fen=300000", "深圳保留额度降为3000元？", "Shenzhen's reserve line at 3,000 yuan?"),
    ("23", "max_beneficiaries_per_payer=5", "黑龙江每人最多绑定5位亲属？", "Heilongjiang: at most 5 relatives?"),
    ("41", "payer_order=priority", "河南按固定顺序支付？", "Henan: payers in a fixed order?"),
)
