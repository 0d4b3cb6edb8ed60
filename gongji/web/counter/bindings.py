"""Assisted binding at the counter (N-8, HLJ-9, SZ-4) and unbinding for either side (HLJ-8)."""

from __future__ import annotations

from typing import Any

from fastapi.responses import HTMLResponse, RedirectResponse

from gongji.auth.service import Principal
from gongji.authorizations import service as authorizations
from gongji.errors import GongjiError
from gongji.inputs import check_text
from gongji.people import service as people
from gongji.policy.settings import AidModel, PayerOrder, ProofPolicy
from gongji.terms import Channel
from gongji.web import forms
from gongji.web.counter import desk
from gongji.web.counter.common import P, not_shown, outside, person_row, render, require_person, router
from gongji.web.counter.find import show_person
from gongji.web.pages import Page

BIND_FIELDS = {"id_number", "card_no", "name", "phone", "relationship", "start_on", "end_on", "priority", "agreement",
               "documents"}


def _bind_context(p: Page, staff: Principal, person_id: int):
    def work(s) -> dict[str, Any]:
        payer = people.get(s, person_id)
        require_person(staff, payer)
        policy = p.env.policy(people.enrollment_of(payer).region_code)
        return {
            "person": person_row(payer), "policy": policy,
            "binding_offered": policy.aid_model is AidModel.BINDING,
            "asks_priority": policy.payer_order is PayerOrder.PRIORITY,
            "proof_asked": policy.proof_documents is not ProofPolicy.NONE,
            "relationships": [(r.value, p.t(r.zh, r.en)) for r in policy.allowed_relationships],
            "documents": [(d.value, p.t(d.zh, d.en)) for d in policy.counter_documents],
        }

    return work


async def _bind_page(p: P, person_id: int, *, values: dict[str, str], errors: dict[str, str] | None = None,
                     status_code: int = 200) -> HTMLResponse:
    staff = p.staff()
    done = await forms.attempt(p, p.read(_bind_context(p, staff, person_id)))
    if done.failed:
        return await not_shown(p, done.failed)
    return render(p, "counter/bind.html", status_code=status_code, nav="find", values=values,
                  errors=errors or {}, **done.value)


@router.get("/people/{person_id}/bind", response_class=HTMLResponse)
async def bind_form(p: P, person_id: int) -> HTMLResponse:
    return await _bind_page(p, person_id, values={"start_on": p.env.today().isoformat()})


def _priority(value: str | None) -> int | None:
    if not value or not value.strip():
        return None
    text = value.strip()
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= 99:
        raise GongjiError("INVALID_FIELD", field="priority", reason_zh="支付顺序为1至99的整数，1最先支付",
                          reason_en="the payer order is a whole number from 1 to 99; 1 pays first")
    return int(text)


@router.post("/people/{person_id}/bind", response_class=HTMLResponse)
async def bind(p: P, person_id: int) -> HTMLResponse:
    """The payer at the counter binds a relative; staff tick every document of the region's checklist (N-8,
    HLJ-9, SZ-4). The binding records the staff member as actor, the channel ``counter``, the payer's acceptance
    of the agreement (N-7) and the documents checked, each with the staff member who checked it."""
    form = await p.form()
    staff = p.staff()
    values = {k: v for k, v in form.items() if k not in ("csrf",)}

    def work(s) -> int:
        payer = people.get(s, person_id)
        require_person(staff, payer)
        policy = p.env.policy(people.enrollment_of(payer).region_code)
        # SZ-4: the relative named by ID number or by card number; HLJ-7: with the name registered for it.
        beneficiary = desk.relative(s, p, form)
        desk.check_relative_name(p, form.get("name"), beneficiary)
        checked = [{"kind": kind.value} for kind in policy.counter_documents if form.get(f"doc_{kind.value}")]
        binding = authorizations.bind(
            s, p.env, payer_id_number=payer.id_number, beneficiary_id_number=beneficiary.id_number,
            relationship=form.get("relationship", ""), actor=staff.actor(Channel.COUNTER),
            agreement_version=policy.agreement_version if form.get("agreement") == "yes" else None,
            start_on=form.get("start_on", "").strip() or None, end_on=form.get("end_on", "").strip() or None,
            priority=_priority(form.get("priority")), documents=checked,
            beneficiary_phone=form.get("phone", "").strip() or None)
        return binding.id

    done = await forms.attempt(p, p.write(work), fields=BIND_FIELDS)
    if done.failed:
        return await _bind_page(p, person_id, values=values, errors=done.failed.errors,
                                status_code=done.failed.status)
    return p.redirect(f"/counter/people/{person_id}", flash="bound")


@router.post("/bindings/{binding_id}/unbind", response_class=HTMLResponse)
async def unbind(p: P, binding_id: int) -> HTMLResponse:
    """End a binding for the payer or the beneficiary at the counter (HLJ-8, SZ-4): reason ``by_staff``."""
    form = await p.form()
    staff = p.staff()
    back = form.get("person_id", "")

    def work(s) -> int:
        binding = authorizations.get(s, binding_id)
        if not staff.covers(binding.region_code):
            raise outside(staff, "该共济绑定", "This binding")
        authorizations.unbind(s, p.env, binding_id=binding.id, actor=staff.actor(Channel.COUNTER),
                              note=check_text(form.get("note") or None, field="note", max_length=200))
        parties = (binding.payer_id, binding.beneficiary_id)
        return int(back) if back.isdigit() and int(back) in parties else binding.payer_id

    done = await forms.attempt(p, p.write(work))
    if done.failed:
        if back.isdigit():
            return await show_person(p, int(back), errors=done.failed.errors, status_code=done.failed.status)
        return render(p, "counter/find.html", status_code=400, nav="find", results=None, errors=done.failed.errors)
    return p.redirect(f"/counter/people/{done.value}", flash="unbound")


@router.get("/bindings/{binding_id}/unbind")
async def unbind_page(p: P, binding_id: int) -> RedirectResponse:
    """Where a stale unbind form lands (CSRF refused): the payer's page, the notice kept for it."""
    p.staff()
    done = await forms.attempt(p, p.read(lambda s: authorizations.get(s, binding_id).payer_id))
    if done.failed:
        return RedirectResponse("/counter", status_code=303)
    return RedirectResponse(f"/counter/people/{done.value}", status_code=303)
