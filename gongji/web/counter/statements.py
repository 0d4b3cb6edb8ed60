"""A person's statement at the counter (N-8): shown, printed from the browser, or as PDF or CSV to hand over."""

from __future__ import annotations

from fastapi.responses import HTMLResponse, Response

from gongji.people import service as people
from gongji.statements import render
from gongji.statements import service as statements
from gongji.web import forms
from gongji.web.counter.common import P, not_shown, person_row, require_person, router
from gongji.web.counter.common import render as render_page
from gongji.web.statement_files import statement_file


@router.get("/people/{person_id}/statement", response_class=HTMLResponse)
async def statement_page(p: P, person_id: int, period: str | None = None) -> HTMLResponse:
    staff = p.staff()

    def person(s):
        found = people.get(s, person_id)
        require_person(staff, found)
        return person_row(found)

    found = await forms.attempt(p, p.read(person))
    if found.failed:
        return await not_shown(p, found.failed)
    done = await forms.attempt(p, p.read_stale(lambda s: statements.statement(
        s, person_id=person_id, period=statements.parse_period(period, today=p.env.today()))), fields=("period",))
    if done.failed:
        return render_page(p, "counter/statement.html", status_code=400, nav="find", person=found.value, st=None,
                           errors={"period": next(iter(done.failed.errors.values()))}, values={"period": period or ""})
    st = done.value
    return render_page(p, "counter/statement.html", nav="find", person=found.value, st=st, errors={},
                       values={"period": st.period.label}, sections=render.sections(st, p.language),
                       statement_title=render.title(st, p.language))


@router.get("/people/{person_id}/statement/file")
async def statement_download(p: P, person_id: int, period: str | None = None, format: str = "pdf") -> Response:
    staff = p.staff()
    done = await forms.attempt(p, p.read(lambda s: require_person(staff, people.get(s, person_id))))
    if done.failed:
        return await not_shown(p, done.failed)
    return await statement_file(p, person_id, period, format)
