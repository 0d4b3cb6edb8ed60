"""Statements over HTTP: a person's month or year as CSV or PDF, for himself or for staff of his region."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from sqlalchemy.orm import Session

from gongji.api.calls import Call, allow
from gongji.api.schemas import Id
from gongji.auth.service import Role
from gongji.people.endpoints import load_person
from gongji.statements import render
from gongji.statements import service as statements

router = APIRouter(prefix="/v1")

PersonOrStaff = Annotated[Call, Depends(allow(Role.PERSON, Role.STAFF, Role.ADMIN))]

MEDIA = {"csv": "text/csv; charset=utf-8", "pdf": "application/pdf"}


@router.get("/people/{person_id}/statement", tags=["people"], response_class=Response,
            responses={200: {"content": {"text/csv": {"schema": {"type": "string"}},
                                         "application/pdf": {"schema": {"type": "string", "format": "binary"}}},
                             "description": "对账单 · the statement"}},
            summary="对账单 · a month or a year of account changes, bills and mutual aid, as CSV or PDF")
def statement(person_id: Id, call: PersonOrStaff,
              period: Annotated[str | None, Query(max_length=7, description="2026 或 2026-11；默认本月 · a year or a "
                                                                             "month; this month if left out")] = None,
              format: Annotated[Literal["csv", "pdf"], Query()] = "pdf",
              language: Annotated[Literal["zh", "en"], Query()] = "zh") -> Response:
    """A relative's statement names his payers and what they paid for him, never their balances (PP-2)."""
    def work(s: Session) -> statements.Statement:
        load_person(call, s, person_id)
        return statements.statement(s, person_id=person_id,
                                    period=statements.parse_period(period, today=call.env.today()))

    st = call.read(work)
    content = render.to_csv(st, language) if format == "csv" else render.to_pdf(st, language)
    name = f"statement-{st.period.label}.{format}"
    return Response(content, media_type=MEDIA[format], headers={"Content-Disposition": f'attachment; filename="{name}"'})
