"""A bound relative's resident-insurance contribution paid at the counter from the payer's account (N-5), in two
steps under the form's one-time key; and what was paid so."""

from __future__ import annotations

from typing import Any

from fastapi.responses import HTMLResponse
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from gongji.api.calls import staff_key
from gongji.authorizations import service as authorizations
from gongji.authorizations.models import Binding
from gongji.people import service as people
from gongji.people.ids import mask
from gongji.terms import Channel, Scheme
from gongji.transfers import service as transfers
from gongji.transfers.models import ContributionPayment
from gongji.web import forms
from gongji.web.counter import desk
from gongji.web.counter.common import P, not_shown, person_row, render, router, yuan_fen
from gongji.web.forms import DryRun, Refused
from gongji.web.pages import FLASHES, Page, yuan

FLASHES.setdefault("contribution_paid", ("居民医保个人缴费已代缴。", "The resident contribution is paid."))
FIELDS = ("beneficiary", "year", "amount", "documents")
#: The service's refusals that concern one field of this form.
WORDING = forms.Wording(field_of={"CONTRIBUTION_AMOUNT": "amount", "CONTRIBUTION_ALREADY_PAID": "year",
                                  "NOT_BOUND": "beneficiary", "NOT_RESIDENT_ENROLLEE": "beneficiary"})


def _relatives(s: Session, p: Page, payer_id: int) -> list[tuple[str, str]]:
    """The resident enrollees the payer pays for through an active binding today (N-5 needs one)."""
    rows = s.execute(select(Binding).where(Binding.payer_id == payer_id, authorizations.active_on(p.env.today()))
                     .order_by(Binding.id)).scalars()
    found = []
    for binding in rows:
        relative = people.get(s, binding.beneficiary_id)
        if people.enrollment_of(relative).scheme == Scheme.RESIDENT.value:
            found.append((str(relative.id), f"{relative.name}（{mask(relative.id_number)}）"))
    return found


def _context(p: Page, person_id: int):
    staff = p.staff()

    def work(s: Session) -> dict[str, Any]:
        person, policy = desk.acting_for(s, p, staff, person_id)
        paid = []
        for row in s.execute(select(ContributionPayment).where(or_(
                ContributionPayment.payer_id == person.id, ContributionPayment.beneficiary_id == person.id))
                .order_by(ContributionPayment.id.desc()).limit(50)).scalars():
            outgoing = row.payer_id == person.id
            other = people.get(s, row.beneficiary_id if outgoing else row.payer_id)
            paid.append({"on": row.on, "year": row.year, "outgoing": outgoing, "amount_fen": row.amount_fen,
                         "other_name": other.name, "other_id_number": mask(other.id_number), "channel": row.channel})
        year = p.env.today().year
        return {"person": person_row(person), "policy": policy, "relatives": _relatives(s, p, person.id),
                "years": [(str(y), str(y)) for y in (year, year + 1, year - 1)], "paid": paid,
                "documents": desk.checklist(p, policy)}

    return work


async def _page(p: Page, person_id: int, *, values: dict[str, str] | None = None,
                errors: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    done = await forms.attempt(p, p.read(_context(p, person_id)))
    if done.failed:
        return await not_shown(p, done.failed)
    return render(p, "counter/contribution.html", status_code=status_code, nav="find", values=values or {},
                  errors=errors or {}, **done.value)


@router.get("/people/{person_id}/contribution", response_class=HTMLResponse)
async def contribution_page(p: P, person_id: int) -> HTMLResponse:
    """代缴居民医保 (N-5): the payer's bound resident relatives, and what was paid for them."""
    return await _page(p, person_id)


@router.post("/people/{person_id}/contribution", response_class=HTMLResponse)
async def pay_contribution(p: P, person_id: int) -> HTMLResponse:
    """N-5 at the counter: review, confirm or go back, as a transfer; the service checks the binding, the region's
    uses and funds, the set amount and the reserve line (SZ-1)."""
    form = await p.form()
    staff = p.staff()
    values = {k: form.get(k, "").strip() for k in FIELDS if k != "documents"} | desk.kept_ticks(form)
    if form.get("step") == "edit":
        return await _page(p, person_id, values=values)
    key = desk.operation_key(form)

    def work(s: Session) -> Any:
        payer, policy = desk.acting_for(s, p, staff, person_id)
        desk.checked(s, p, staff, payer, policy, form, action="resident_contribution")
        chosen = values.get("beneficiary", "")
        if chosen not in {value for value, _ in _relatives(s, p, payer.id)}:
            raise Refused({"beneficiary": p.t("请选择本人已绑定的城乡居民医保亲属。",
                                              "Choose a relative in resident insurance the person is bound to.")})
        relative = people.get(s, int(chosen))
        year = values.get("year", "")
        fen = yuan_fen(form.get("amount"), field="amount")
        row = transfers.pay_resident_contribution(
            s, p.env, payer_id_number=payer.id_number, beneficiary_id_number=relative.id_number,
            year=int(year) if year.isascii() and year.isdigit() else 0, amount_fen=fen,
            idempotency_key=staff_key(staff.id, key), actor=staff.actor(Channel.COUNTER))
        if not desk.confirmed(form):
            raise DryRun({"person": person_row(payer), "rows": [
                (p.t("缴费人", "Paid by"), f"{payer.name}（{mask(payer.id_number)}）"),
                (p.t("参保亲属", "For"), f"{relative.name}（{mask(relative.id_number)}）"),
                (p.t("缴费年度", "Year"), year),
                (p.t("金额", "Amount"), f"{yuan(fen)} {p.t('元', 'yuan')}")]})
        return row.id

    done = await forms.attempt(p, p.write(work), fields=FIELDS, wording=WORDING)
    if done.tried is not None:
        return desk.confirm_page(p, title=("请与本人核对代缴", "Check the contribution with the person"),
                                 action=f"/counter/people/{person_id}/contribution", values=dict(form), key=key,
                                 warning=p.t("确认后从本人个人账户支付，缴入亲属的城乡居民医保。",
                                             "Once confirmed it is paid from the person's account into the "
                                             "relative's resident insurance."), **done.tried)
    if done.failed:
        return await _page(p, person_id, values=values, errors=done.failed.errors, status_code=done.failed.status)
    return p.redirect(f"/counter/people/{person_id}/contribution", flash="contribution_paid")
