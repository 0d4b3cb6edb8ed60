"""A statement as a file for a page (the portal's own, the counter's for a person): PDF or CSV, as an attachment."""

from __future__ import annotations

from fastapi.responses import Response

from gongji.statements import render
from gongji.statements import service as statements
from gongji.web.pages import Page

MEDIA = {"csv": "text/csv; charset=utf-8", "pdf": "application/pdf"}


async def statement_file(p: Page, person_id: int, period: str | None, format: str) -> Response:
    kind = format if format in MEDIA else "pdf"
    st = await p.read_stale(lambda s: statements.statement(
        s, person_id=person_id, period=statements.parse_period(period, today=p.env.today())))
    content = render.to_csv(st, p.language) if kind == "csv" else render.to_pdf(st, p.language)
    return Response(content, media_type=MEDIA[kind],
                    headers={"Content-Disposition": f'attachment; filename="statement-{st.period.label}.{kind}"'})
