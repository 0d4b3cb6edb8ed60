"""One binding at the counter (N-8): what either side asks a clerk to change without ending it — the payer's
monthly limit (PP-1), the payer order (WL-1), a pause or its resumption (D-3), a corrected relationship with the
payer's new signature on the agreement (N-7). Staff see the limit and what it paid this month; the changes are
recorded with the staff member and the channel ``counter``."""

from __future__ import annotations

from typing import Any

from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from gongji.authorizations import changes
from gongji.authorizations import service as authorizations
from gongji.errors import GongjiError
from gongji.money import yuan_to_fen
from gongji.terms import Channel, Relationship
from gongji.web import forms
from gongji.web.counter.common import P, not_shown, outside, render, router
from gongji.web.pages import FLASHES, Page
from gongji.web.portal.binding_changes import binding_facts, relationship_options

FIELDS = ("monthly_limit", "priority", "relationship", "agreement")


def _covered(s: Session, p: Page, binding_id: int):
    staff = p.staff()
    binding = authorizations.get(s, binding_id)
    if not staff.covers(binding.region_code):
        raise outside(staff, "该共济绑定", "This binding")
    return binding


async def _page(p: Page, binding_id: int, *, errors: dict[str, str] | None = None,
                values: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    def facts(s: Session) -> dict[str, Any]:
        binding = _covered(s, p, binding_id)
        return {"b": binding_facts(s, p.env, binding, "staff"), "policy": p.env.policy(binding.region_code)}

    done = await forms.attempt(p, p.read(facts))
    if done.failed:
        return await not_shown(p, done.failed)
    b = done.value["b"]
    shown = {"monthly_limit": f"{b.limit_fen / 100:.2f}" if b.limit_fen is not None else "",
             "priority": str(b.binding.priority or ""), "relationship": b.binding.relationship, **(values or {})}
    return render(p, "counter/binding.html", status_code=status_code, nav="find", errors=errors or {}, values=shown,
                  relationships=relationship_options(p, done.value["policy"]), **done.value)


@router.get("/bindings/{binding_id}", response_class=HTMLResponse)
async def binding_page(p: P, binding_id: int) -> HTMLResponse:
    return await _page(p, binding_id)


async def _change(p: Page, binding_id: int, change, flash: str, values: dict[str, str] | None = None) -> HTMLResponse:
    staff = p.staff()

    def work(s: Session) -> None:
        _covered(s, p, binding_id)
        change(s, staff.actor(Channel.COUNTER))

    done = await forms.attempt(p, p.write(work), fields=FIELDS)
    if done.failed:
        return await _page(p, binding_id, errors=done.failed.errors, values=values, status_code=done.failed.status)
    return p.redirect(f"/counter/bindings/{binding_id}", flash=flash)


@router.post("/bindings/{binding_id}/limit", response_class=HTMLResponse)
async def set_limit(p: P, binding_id: int) -> HTMLResponse:
    """PP-1: the payer asks for a monthly limit (yuan; empty or ``clear``: none)."""
    form = await p.form()
    typed = "" if form.get("clear") == "yes" else form.get("monthly_limit", "").strip()

    def change(s: Session, actor) -> None:
        fen = yuan_to_fen(typed, field="monthly_limit") if typed else None
        changes.set_monthly_limit(s, p.env, binding_id=binding_id, monthly_limit_fen=fen, actor=actor)

    return await _change(p, binding_id, change, "limit_set", {"monthly_limit": typed})


@router.post("/bindings/{binding_id}/priority", response_class=HTMLResponse)
async def set_priority(p: P, binding_id: int) -> HTMLResponse:
    form = await p.form()
    typed = form.get("priority", "").strip()

    def change(s: Session, actor) -> None:
        if typed and not (typed.isascii() and typed.isdigit()):
            raise GongjiError("INVALID_FIELD", field="priority", reason_zh="支付顺序为1至99的整数，1最先支付",
                              reason_en="the payer order is a whole number from 1 to 99; 1 pays first")
        changes.set_priority(s, p.env, binding_id=binding_id, priority=int(typed) if typed else None, actor=actor)

    return await _change(p, binding_id, change, "priority_set", {"priority": typed})


@router.post("/bindings/{binding_id}/pause", response_class=HTMLResponse)
async def pause(p: P, binding_id: int) -> HTMLResponse:
    form = await p.form()
    resume = form.get("resume") == "yes"

    def change(s: Session, actor) -> None:
        (changes.resume if resume else changes.pause)(s, p.env, binding_id=binding_id, actor=actor)

    return await _change(p, binding_id, change, "resumed" if resume else "paused")


@router.post("/bindings/{binding_id}/relationship", response_class=HTMLResponse)
async def correct_relationship(p: P, binding_id: int) -> HTMLResponse:
    """N-7: the payer signs the agreement again at the counter; the clerk ticks that he did."""
    form = await p.form()
    chosen = form.get("relationship", "")
    signed = form.get("agreement") == "yes"

    def change(s: Session, actor) -> None:
        binding = authorizations.get(s, binding_id)
        if chosen not in {r.value for r in Relationship}:
            raise GongjiError("INVALID_FIELD", field="relationship", reason_zh="请选择正确的关系",
                              reason_en="choose the right relationship")
        version = p.env.policy(binding.region_code).agreement_version if signed else None
        changes.correct_relationship(s, p.env, binding_id=binding_id, relationship=chosen, agreement_version=version,
                                     actor=actor)

    return await _change(p, binding_id, change, "relationship_corrected",
                         {"relationship": chosen, "agreement": "yes" if signed else ""})


assert {"limit_set", "paused", "resumed", "priority_set", "relationship_corrected"} <= set(FLASHES)
