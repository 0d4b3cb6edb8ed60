"""对账单 (statements): the logged-in person's month or year on the page, and as PDF or CSV to keep or print."""

from __future__ import annotations

from fastapi.responses import HTMLResponse, Response

from gongji.statements import render
from gongji.statements import service as statements
from gongji.web.portal.common import P, attempt, load_me, router, show
from gongji.web.statement_files import statement_file


@router.get("/statements", response_class=HTMLResponse)
async def statement_page(p: P, period: str | None = None) -> HTMLResponse:
    who = p.person()
    today = p.env.today()

    def facts(s):
        return {"me": load_me(s, p.env, who.person_id),
                "st": statements.statement(s, person_id=who.person_id,
                                           period=statements.parse_period(period, today=today))}

    done = await attempt(p, p.read_stale(facts), ("period",))
    if done.failed:
        me = await p.read(lambda s: load_me(s, p.env, who.person_id))
        return show(p, me, "portal/statement.html", nav="payments", status_code=400, st=None,
                    errors={"period": next(iter(done.failed.errors.values()))}, values={"period": period or ""})
    st = done.value["st"]
    return show(p, done.value["me"], "portal/statement.html", nav="payments", st=st, values={"period": st.period.label},
                sections=render.sections(st, p.language), statement_title=render.title(st, p.language))


@router.get("/statements/file")
async def statement_download(p: P, period: str | None = None, format: str = "pdf") -> Response:
    who = p.person()
    return await statement_file(p, who.person_id, period, format)
