"""``GET /``: where a newcomer lands, a page leading to the portal, the counter and the API documentation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse

from gongji.web.pages import Page, page

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
async def start(p: Annotated[Page, Depends(page)]) -> HTMLResponse:
    return p.render("start.html")
