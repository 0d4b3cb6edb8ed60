"""The paper attestation for a one-off payment (SZ-5), recorded by staff of a hospital's insurance office."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi.responses import HTMLResponse

from gongji.api.calls import staff_key
from gongji.auth.service import Principal
from gongji.errors import GongjiError
from gongji.events.service import record as record_event
from gongji.institutions import service as institutions
from gongji.people import service as people
from gongji.settlement import service as settlements
from gongji.terms import Channel, Relationship, Use
from gongji.web import forms, reports
from gongji.web.counter.common import P, form_key, naming, render, require_person, router, yuan_fen
from gongji.web.pages import Page

try:
    from gongji.api import metrics
except ImportError:  # pragma: no cover - metrics are optional
    metrics = None

ATTESTATION_FIELDS = {"institution_code", "patient_id_number", "payer_id_number", "relationship", "phone",
                      "amount", "use", "signed"}


def _attestation_context(p: Page, staff: Principal):
    def work(s) -> dict[str, Any]:
        rows, _ = institutions.list_institutions(s, region_prefix=staff.region_prefix, active=True, limit=200)
        prefix = staff.region_prefix
        offered = sorted({p.t(pol.name, pol.name_en) for pol in p.env.policies if pol.paper_attestation and any(
            a == "*" or a.startswith(prefix) or prefix.startswith(a) for a in pol.applies_to)})
        return {
            "institutions": [(i.code, f"{i.name}（{i.code}）") for i in rows],
            "relationships": [(r.value, p.t(r.zh, r.en)) for r in Relationship],
            "uses": [(u.value, p.t(u.zh, u.en)) for u in Use if u is not Use.RESIDENT_CONTRIBUTION],
            "offered": offered,
        }

    return work


async def _attestation_page(p: P, *, values: dict[str, str], errors: dict[str, str] | None = None,
                            status_code: int = 200) -> HTMLResponse:
    staff = p.staff()
    context = await p.read(_attestation_context(p, staff))
    return render(p, "counter/attestation.html", status_code=status_code, nav="attestation", values=values,
                  errors=errors or {}, key=secrets.token_urlsafe(16), **context)


@router.get("/attestation", response_class=HTMLResponse)
async def attestation_form(p: P) -> HTMLResponse:
    return await _attestation_page(p, values={"use": Use.OUTPATIENT.value})


@router.post("/attestation", response_class=HTMLResponse)
async def attest(p: P) -> HTMLResponse:
    """书面承诺一次性记账 (SZ-5): before a binding exists, a relative attests on the prescription (card numbers,
    relationship, phone, signature) and his account pays this one bill. Staff of the hospital's insurance
    office record it for the hospital chosen; the settlement is the hospital's, as if its system had sent it
    with the attestation (POST /v1/settlements), and an event records the staff member (channel
    ``hospital_office``)."""
    form = await p.form()
    staff = p.staff()
    values = {k: v for k, v in form.items() if k in ATTESTATION_FIELDS}
    done: list[settlements.SettlementResult] = []

    def work(s) -> int:
        code = form.get("institution_code", "")
        institution = naming("institution_code", lambda: institutions.find(s, code))
        if not staff.covers(institution.region_code):
            raise GongjiError("INVALID_FIELD", field="institution_code", reason_zh="只能选择本辖区的定点医药机构",
                              reason_en="choose a designated institution of your region")
        patient = naming("patient_id_number", lambda: people.find(s, form.get("patient_id_number", "").strip()))
        require_person(staff, patient)
        payer = naming("payer_id_number", lambda: people.find(s, form.get("payer_id_number", "").strip()))
        attestation = settlements.Attestation(
            payer_id_number=payer.id_number, relationship=form.get("relationship", ""),
            phone=form.get("phone", "").strip(), signed=form.get("signed") == "yes")
        amount = yuan_fen(form.get("amount"), field="amount")
        result = settlements.settle(
            s, p.env, institution_code=institution.code, patient_id_number=patient.id_number, amount_fen=amount,
            use=form.get("use", ""), idempotency_key=staff_key(staff.id, form_key(form)), attestation=attestation)
        if not result.replayed:
            record_event(s, p.env, kind=reports.ATTESTED, actor=staff.actor(Channel.HOSPITAL_OFFICE),
                         subject_type="settlement", subject_id=result.settlement_id, concerns=[patient.id, payer.id],
                         data={"institution_code": institution.code, "payer_id": payer.id,
                               "relationship": attestation.relationship, "amount_fen": amount})
        done.append(result)
        return result.settlement_id

    outcome = await forms.attempt(p, p.write(work), fields=ATTESTATION_FIELDS)
    if outcome.failed:
        return await _attestation_page(p, values=values, errors=outcome.failed.errors,
                                       status_code=outcome.failed.status)
    if metrics is not None and done:
        metrics.record_settlement(done[-1])
    return p.redirect(f"/counter/settlements/{outcome.value}", flash="attested")
