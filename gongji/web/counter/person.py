"""What the clerk reads to a person about himself: his insurance status and the contribution months on record with
the waiting period's end (LC-1, LC-4); and the proof documents kept with a binding (HN-3, N-8)."""

from __future__ import annotations

import mimetypes
from typing import Any

from fastapi.responses import FileResponse, HTMLResponse, Response
from sqlalchemy.orm import Session

from gongji.authorizations import service as authorizations
from gongji.contributions import service as contributions
from gongji.people import service as people
from gongji.web import forms
from gongji.web.counter.common import P, not_shown, outside, person_row, render, require_person, router
from gongji.web.pages import Page
from gongji.web.portal.bindings import upload_dir


def _history(p: Page, person_id: int):
    staff = p.staff()

    def work(s: Session) -> dict[str, Any]:
        person = people.get(s, person_id)
        require_person(staff, person)
        enrollment = people.enrollment_of(person)
        months = contributions.months_of(s, person.id)
        return {"person": person_row(person), "pooled": contributions.pooled_share(s, p.env, enrollment),
                "months": list(reversed(months))}

    return work


@router.get("/people/{person_id}/history", response_class=HTMLResponse)
async def history_page(p: P, person_id: int) -> HTMLResponse:
    """参保与缴费记录 (LC-1, LC-4): the status, the pooled fund's share today with the waiting period's last day,
    and each month's contribution (who paid, when; a back-payment shown as such, LC-3)."""
    done = await forms.attempt(p, p.read(_history(p, person_id)))
    if done.failed:
        return await not_shown(p, done.failed)
    return render(p, "counter/history.html", nav="find", **done.value)


def _binding(s: Session, p: Page, binding_id: int):
    staff = p.staff()
    binding = authorizations.get(s, binding_id)
    if not staff.covers(binding.region_code):
        raise outside(staff, "该共济绑定", "This binding")
    return binding


def _documents(p: Page, binding_id: int):
    def work(s: Session) -> dict[str, Any]:
        binding = _binding(s, p, binding_id)
        docs = [{"id": d.id, "kind": d.kind, "has_file": bool(d.file_ref), "checked_by": d.checked_by,
                 "added_at": d.added_at} for d in binding.documents]
        return {"binding": binding, "payer": person_row(people.get(s, binding.payer_id)),
                "beneficiary": person_row(people.get(s, binding.beneficiary_id)), "docs": docs}

    return work


@router.get("/bindings/{binding_id}/documents", response_class=HTMLResponse)
async def documents_page(p: P, binding_id: int) -> HTMLResponse:
    """证明材料: the documents of a binding, those checked at a counter (by whom) and the files uploaded with it
    online (HN-3), each file opened from here."""
    done = await forms.attempt(p, p.read(_documents(p, binding_id)))
    if done.failed:
        return await not_shown(p, done.failed)
    return render(p, "counter/documents.html", nav="find", **done.value)


@router.get("/bindings/{binding_id}/documents/{document_id}")
async def document_file(p: P, binding_id: int, document_id: int) -> Response:
    """An uploaded proof file, for staff of the binding's region only; never cached by the browser."""
    def work(s: Session) -> str | None:
        binding = _binding(s, p, binding_id)
        found = next((d for d in binding.documents if d.id == document_id), None)
        return found.file_ref if found is not None else None

    done = await forms.attempt(p, p.read(work))
    if done.failed:
        return await not_shown(p, done.failed)
    root = upload_dir().resolve()
    path = (root / done.value).resolve() if done.value else None
    if path is None or root not in path.parents or not path.is_file():
        return render(p, "counter/find.html", status_code=404, nav="find", results=None, errors={"": p.t(
            "该证明材料的文件不存在。", "There is no file for this document.")})
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return FileResponse(path, media_type=kind, headers={"Cache-Control": "no-store",
                                                         "Content-Disposition": "inline"})

