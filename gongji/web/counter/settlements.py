"""Settlements at the counter: look one up, refund part of it or cancel it, the money back where it came from
(HN-5, NI-5)."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi.responses import HTMLResponse, RedirectResponse

from gongji.api.calls import staff_key
from gongji.auth.service import Principal
from gongji.errors import GongjiError
from gongji.inputs import check_text
from gongji.institutions.models import Institution
from gongji.people import service as people
from gongji.settlement import service as settlements
from gongji.terms import Channel
from gongji.web import forms, reports
from gongji.web.counter.common import (
    P,
    form_key,
    lookup_status,
    masked_phone,
    person_row,
    render,
    router,
    yuan_fen,
)
from gongji.web.pages import Page

try:
    from gongji.api import metrics
except ImportError:  # pragma: no cover - metrics are optional
    metrics = None

def _settlement_for(s, staff: Principal, settlement_id: int) -> tuple[Any, Institution]:
    """The settlement if it is of the staff member's region (its patient's or its institution's)."""
    settlement = settlements.get(s, settlement_id)
    institution = s.get(Institution, settlement.institution_id)
    if not (staff.covers(settlement.region_code) or staff.covers(institution.region_code)):
        raise GongjiError("FORBIDDEN", action_zh="查看或办理其他地区的结算",
                          action_en="see or act on settlements of another region")
    return settlement, institution


def _settlement_facts(p: Page, staff: Principal, settlement_id: int):
    def work(s) -> dict[str, Any]:
        settlement, institution = _settlement_for(s, staff, settlement_id)
        patient = people.get(s, settlement.patient_id)
        parts = []
        for part in settlement.parts:
            payer = patient if part.payer_id == patient.id else people.get(s, part.payer_id)
            parts.append({"payer": person_row(payer), "is_own": part.payer_id == patient.id, "fund": part.fund,
                          "amount_fen": part.amount_fen, "refunded_fen": part.refunded_fen,
                          "binding_id": part.binding_id})
        attested = None
        if settlement.attested_payer_id is not None:
            attested = {"payer": person_row(people.get(s, settlement.attested_payer_id)),
                        "relationship": settlement.attestation_relationship,
                        "phone": masked_phone(settlement.attestation_phone)}
        return {
            "settlement": settlement, "institution": institution, "patient": person_row(patient),
            "patient_covered": staff.covers(settlement.region_code), "parts": parts, "attested": attested,
            "refundable_fen": settlement.amount_fen - settlement.refunded_fen,
            "refunds": reports.settlement_refunds(s, settlement_id=settlement.id),
        }

    return work


async def _settlement_page(p: P, settlement_id: int, *, values: dict[str, str] | None = None,
                           errors: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    staff = p.staff()
    done = await forms.attempt(p, p.read(_settlement_facts(p, staff, settlement_id)))
    if done.failed:
        return render(p, "counter/settlements.html", status_code=lookup_status(done.failed), nav="settlements",
                      errors=done.failed.errors, values={"settlement_id": str(settlement_id)})
    return render(p, "counter/settlement.html", status_code=status_code, nav="settlements", values=values or {},
                  errors=errors or {}, key=secrets.token_urlsafe(16), **done.value)


@router.get("/settlements", response_class=HTMLResponse)
async def settlement_lookup(p: P, settlement_id: str | None = None) -> HTMLResponse:
    p.staff()
    if settlement_id is None or not settlement_id.strip():
        return render(p, "counter/settlements.html", nav="settlements")
    number = settlement_id.strip()
    if not number.isascii() or not number.isdigit() or not 1 <= int(number) < 2**63:
        error = GongjiError("INVALID_FIELD", field="settlement_id", reason_zh="结算编号为数字",
                            reason_en="a settlement number is a number")
        return render(p, "counter/settlements.html", status_code=400, nav="settlements",
                      values={"settlement_id": number}, errors=forms.field_errors(p, error, {"settlement_id"}))
    return p.redirect(f"/counter/settlements/{int(number)}")


@router.get("/settlements/{settlement_id}", response_class=HTMLResponse)
async def settlement_page(p: P, settlement_id: int) -> HTMLResponse:
    """结算: who paid what, refunds so far and where each went back (HN-5), the refund and cancel forms."""
    return await _settlement_page(p, settlement_id)


async def _give_back(p: P, settlement_id: int, *, cancel: bool) -> HTMLResponse:
    form = await p.form()
    staff = p.staff()
    values = {k: v for k, v in form.items() if k in ("amount", "reason")}

    def work(s) -> settlements.RefundResult:
        settlement, institution = _settlement_for(s, staff, settlement_id)
        common = dict(institution_code=institution.code, settlement_id=settlement.id,
                      idempotency_key=staff_key(staff.id, form_key(form)),
                      reason=check_text(form.get("reason", "").strip() or None, field="reason", max_length=200),
                      actor=staff.actor(Channel.COUNTER))
        if cancel:
            return settlements.cancel(s, p.env, **common)
        return settlements.refund(s, p.env, amount_fen=yuan_fen(form.get("amount"), field="amount"), **common)

    done = await forms.attempt(p, p.write(work), fields=() if cancel else ("amount", "reason"))
    if done.failed:
        return await _settlement_page(p, settlement_id, values=values, errors=done.failed.errors,
                                      status_code=done.failed.status)
    if metrics is not None:
        metrics.record_refund(done.value)
    return p.redirect(f"/counter/settlements/{settlement_id}", flash="cancelled" if cancel else "refunded")


@router.post("/settlements/{settlement_id}/refund", response_class=HTMLResponse)
async def refund(p: P, settlement_id: int) -> HTMLResponse:
    """退费: part of a settlement (amount in yuan) back to where it came from, cash first and the patient's own
    account last, also when the binding has ended since (HN-5)."""
    return await _give_back(p, settlement_id, cancel=False)


@router.post("/settlements/{settlement_id}/cancel", response_class=HTMLResponse)
async def cancel(p: P, settlement_id: int) -> HTMLResponse:
    """撤销结算: everything not yet refunded goes back (HN-5, NI-5)."""
    return await _give_back(p, settlement_id, cancel=True)


@router.get("/settlements/{settlement_id}/refund")
@router.get("/settlements/{settlement_id}/cancel")
async def settlement_action_page(p: P, settlement_id: int) -> RedirectResponse:
    """Where a stale refund or cancel form lands (CSRF refused): the settlement's page, the notice kept."""
    p.staff()
    return RedirectResponse(f"/counter/settlements/{settlement_id}", status_code=303)
