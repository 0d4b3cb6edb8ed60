"""Transfers of prior-years funds at the counter (HZ-1..HZ-4): the notice, the form with the region's checklist,
the operation checked and confirmed in two steps under the form's one-time key, and what the person moved and
received. The relative may be named by ID number or card number (SZ-4)."""

from __future__ import annotations

from typing import Any

from fastapi.responses import HTMLResponse
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from gongji.api.calls import staff_key
from gongji.errors import GongjiError
from gongji.people import service as people
from gongji.people.ids import mask
from gongji.terms import Channel
from gongji.transfers import service as transfers
from gongji.transfers.models import Transfer
from gongji.web import forms
from gongji.web.counter import desk
from gongji.web.counter.common import P, not_shown, person_row, render, router, yuan_fen
from gongji.web.forms import DryRun
from gongji.web.pages import Page, yuan
from gongji.web.portal.transfers import transfer_points

FIELDS = ("name", "id_number", "card_no", "relationship", "amount", "agreement", "documents")


def _context(p: Page, person_id: int):
    staff = p.staff()

    def work(s: Session) -> dict[str, Any]:
        person, policy = desk.acting_for(s, p, staff, person_id)
        history = []
        for row in s.execute(select(Transfer).where(or_(Transfer.payer_id == person.id,
                                                        Transfer.beneficiary_id == person.id))
                             .order_by(Transfer.id.desc()).limit(50)).scalars():
            outgoing = row.payer_id == person.id
            other = people.get(s, row.beneficiary_id if outgoing else row.payer_id)
            history.append({"id": row.id, "on": row.on, "outgoing": outgoing, "other_name": other.name,
                            "other_id_number": mask(other.id_number), "relationship": row.relationship,
                            "amount_fen": row.amount_fen, "channel": row.channel})
        return {"person": person_row(person), "policy": policy, "balances": people.balances(s, person.id),
                "offered": policy.aid_model.value == "transfer", "points": transfer_points(p, policy),
                "documents": desk.checklist(p, policy), "history": history,
                "relationships": [(r.value, p.t(r.zh, r.en)) for r in policy.allowed_relationships]}

    return work


async def _page(p: Page, person_id: int, *, values: dict[str, str] | None = None,
                errors: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    done = await forms.attempt(p, p.read(_context(p, person_id)))
    if done.failed:
        return await not_shown(p, done.failed)
    return render(p, "counter/transfers.html", status_code=status_code, nav="find", values=values or {},
                  errors=errors or {}, **done.value)


@router.get("/people/{person_id}/transfers", response_class=HTMLResponse)
async def transfers_page(p: P, person_id: int) -> HTMLResponse:
    """历年账户家庭共济 at the counter (HZ-1..HZ-4)."""
    return await _page(p, person_id)


@router.post("/people/{person_id}/transfers", response_class=HTMLResponse)
async def transfer(p: P, person_id: int) -> HTMLResponse:
    """HZ-1..HZ-4 for the payer at the counter: review (``step=review``), confirm (``step=confirm``) or go back
    (``step=edit``). The payer signed the commitment (HZ-4); the staff member is the actor, channel ``counter``."""
    form = await p.form()
    staff = p.staff()
    values = {k: form.get(k, "").strip() for k in FIELDS if k != "documents"} | desk.kept_ticks(form)
    if form.get("step") == "edit":
        return await _page(p, person_id, values=values)
    key = desk.operation_key(form)

    def work(s: Session) -> Any:
        payer, policy = desk.acting_for(s, p, staff, person_id)
        desk.checked(s, p, staff, payer, policy, form, action="transfer")
        relative = desk.relative(s, p, form)
        desk.check_relative_name(p, form.get("name"), relative)
        if form.get("agreement") != "yes":
            raise GongjiError("CONSENT_REQUIRED", agreement=policy.agreement_title, version=policy.agreement_version)
        fen = yuan_fen(form.get("amount"), field="amount")
        row = transfers.transfer(s, p.env, payer_id_number=payer.id_number, beneficiary_id_number=relative.id_number,
                                 relationship=form.get("relationship", ""), amount_fen=fen,
                                 agreement_version=policy.agreement_version, idempotency_key=staff_key(staff.id, key),
                                 actor=staff.actor(Channel.COUNTER))
        if not desk.confirmed(form):
            after = people.balances(s, payer.id)  # read inside the tried transfer: the balance after it
            raise DryRun({"person": person_row(payer), "rows": [
                (p.t("转出人", "From"), f"{payer.name}（{mask(payer.id_number)}）"),
                (p.t("接受人", "To"), f"{relative.name}（{mask(relative.id_number)}）"),
                (p.t("划转金额", "Amount"), f"{yuan(fen)} {p.t('元', 'yuan')}"),
                (p.t("划转后历年账户余额", "Prior-years balance after"),
                 f"{yuan(after.prior_years_fen)} {p.t('元', 'yuan')}")]})
        return row.id

    done = await forms.attempt(p, p.write(work), fields=FIELDS)
    if done.tried is not None:
        return desk.confirm_page(p, title=("请与本人核对划转", "Check the transfer with the person"),
                                 action=f"/counter/people/{person_id}/transfers", values=dict(form), key=key,
                                 warning=p.t("确认后资金立即划入亲属的个人账户，归亲属所有，不能撤回。",
                                             "Once confirmed the money moves to the relative's account at once, "
                                             "becomes theirs and cannot be taken back."), **done.tried)
    if done.failed:
        return await _page(p, person_id, values=values, errors=done.failed.errors, status_code=done.failed.status)
    return p.redirect(f"/counter/people/{person_id}/transfers", flash="transferred")
