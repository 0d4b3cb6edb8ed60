"""The medical insurance wallet at the counter (WAL-1..WAL-4): opened for someone without a smartphone (代开通),
what relatives sent him accepted before it goes back, and money sent from his account into a relative's wallet in
two steps; the region's checklist ticked each time, the staff member recorded as actor (N-8)."""

from __future__ import annotations

from typing import Any

from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from gongji.api.calls import staff_key
from gongji.errors import GongjiError
from gongji.people import service as people
from gongji.people.ids import mask
from gongji.terms import Channel
from gongji.wallet import service as wallets
from gongji.wallet.models import WalletTransfer
from gongji.web import forms
from gongji.web.counter import desk
from gongji.web.counter.common import P, form_key, not_shown, person_row, render, router, yuan_fen
from gongji.web.forms import DryRun, Refused
from gongji.web.pages import FLASHES, Page, yuan
from gongji.web.portal.wallet import PROVINCES, province_label, wallet_limits, wallet_summary

FLASHES.setdefault("counter_wallet_opened", ("医保钱包已为其开通。亲属转入的钱可在窗口或其本人手机上接收。",
                                             "The wallet is open. Money relatives send can be accepted here or "
                                             "on the person's own phone."))
FLASHES.setdefault("counter_wallet_accepted", ("已为其接收，钱已转入其医保钱包。", "Accepted: the money is in the wallet."))
FLASHES.setdefault("counter_wallet_sent", ("已转入亲属的医保钱包，待亲属接收。",
                                           "Sent to the relative's wallet; it waits for the relative to accept it."))
SEND = "counter/wallet_send.html"
FIELDS = ("name", "id_number", "card_no", "relationship", "amount", "elsewhere", "beneficiary_province", "documents")
_STATES = {wallets.SENT: ("待接收", "waiting to be accepted"), wallets.ACCEPTED: ("已接收", "accepted"),
           wallets.RETURNED: ("未接收，已退回", "not accepted: returned"), wallets.REFUSED: ("被拒收", "refused")}


def _row(s: Session, p: Page, row: WalletTransfer, *, incoming: bool, now) -> dict[str, Any]:
    if incoming:
        name, number = row.payer_name, row.payer_id_number
    elif row.beneficiary_id is not None:
        other = people.get(s, row.beneficiary_id)
        name, number = other.name, other.id_number
    else:
        name, number = p.t("外省参保亲属", "relative insured elsewhere"), row.beneficiary_id_number
    zh, en = ("在途", "on its way") if row.state == wallets.SENT and row.direction == wallets.OUT else \
        _STATES.get(row.state, (row.state, row.state))
    return {"id": row.id, "transfer_no": row.transfer_no, "other_name": name, "other_id_number": mask(number),
            "amount_fen": row.amount_fen, "state": p.t(zh, en), "sent_at": row.sent_at,
            "return_due_at": row.return_due_at,
            "can_accept": incoming and row.state == wallets.SENT and row.direction != wallets.OUT
            and now < row.return_due_at}


def _context(p: Page, person_id: int):
    staff = p.staff()

    def work(s: Session) -> dict[str, Any]:
        person, policy = desk.acting_for(s, p, staff, person_id)
        now = p.env.now()
        received = wallets.transfers_of(s, person_id=person.id, role=wallets.BENEFICIARY, limit=50).items
        sent = wallets.transfers_of(s, person_id=person.id, role=wallets.PAYER, limit=50).items
        return {"person": person_row(person), "policy": policy, "wallet": wallet_summary(s, person.id),
                "received": [_row(s, p, r, incoming=True, now=now) for r in received],
                "sent": [_row(s, p, r, incoming=False, now=now) for r in sent],
                "balances": people.balances(s, person.id), "limits": wallet_limits(p, policy),
                "documents": desk.checklist(p, policy),
                "provinces": [("", p.t("请选择省份", "Choose the province"))] + [
                    (code, p.t(f"{zh}（{code}）", f"{en} ({code})")) for code, zh, en in PROVINCES
                    if code != people.enrollment_of(person).region_code[:2]],
                "relationships": [(r.value, p.t(r.zh, r.en)) for r in policy.allowed_relationships]}

    return work


async def _page(p: Page, person_id: int, *, values: dict[str, str] | None = None,
                errors: dict[str, str] | None = None, status_code: int = 200,
                template: str = "counter/wallet.html") -> HTMLResponse:
    done = await forms.attempt(p, p.read(_context(p, person_id)))
    if done.failed:
        return await not_shown(p, done.failed)
    return render(p, template, status_code=status_code, nav="find", values=values or {},
                  errors=errors or {}, key=form_key({}), **done.value)


@router.get("/people/{person_id}/wallet", response_class=HTMLResponse)
async def wallet_page(p: P, person_id: int) -> HTMLResponse:
    """医保钱包 at the counter (WAL-1..WAL-4): open it, accept, send, and what became of each transfer."""
    return await _page(p, person_id)


@router.get("/people/{person_id}/wallet/send", response_class=HTMLResponse)
async def send_form(p: P, person_id: int) -> HTMLResponse:
    """转入亲属医保钱包 at the counter: the limits read to the person, and the form."""
    return await _page(p, person_id, template=SEND)


async def _act(p: Page, person_id: int, work, *, flash: str, action: str) -> HTMLResponse:
    form = await p.form()
    staff = p.staff()

    def run(s: Session) -> None:
        person, policy = desk.acting_for(s, p, staff, person_id)
        desk.checked(s, p, staff, person, policy, form, action=action)
        work(s, person, form, staff)

    done = await forms.attempt(p, p.write(run), fields=("documents",))
    if done.failed:
        return await _page(p, person_id, values=desk.kept_ticks(form), errors=done.failed.errors,
                           status_code=done.failed.status)
    return p.redirect(f"/counter/people/{person_id}/wallet", flash=flash)


@router.post("/people/{person_id}/wallet/open", response_class=HTMLResponse)
async def open_wallet(p: P, person_id: int) -> HTMLResponse:
    """WAL-1, 代开通: staff open the wallet of a person who has no smartphone (opening again changes nothing)."""
    def work(s: Session, person, form, staff) -> None:
        wallets.open_wallet(s, p.env, id_number=person.id_number, actor=staff.actor(Channel.COUNTER))

    return await _act(p, person_id, work, flash="counter_wallet_opened", action="wallet.open")


@router.post("/people/{person_id}/wallet/transfers/{transfer_id}/accept", response_class=HTMLResponse)
async def accept(p: P, person_id: int, transfer_id: int) -> HTMLResponse:
    """WAL-1, WAL-4: accept for the person a transfer sent to him, before it is due back; the page's key makes a
    second send of the form accept once."""
    def work(s: Session, person, form, staff) -> None:
        row = wallets.get_transfer(s, transfer_id) if 0 < transfer_id < 2**63 else None
        if row is None or row.beneficiary_id != person.id:  # someone else's: as if not there
            raise GongjiError("WALLET_TRANSFER_NOT_FOUND", transfer_id=str(transfer_id)[:20])
        wallets.accept(s, p.env, transfer_id=transfer_id, idempotency_key=staff_key(staff.id, form_key(form)),
                       actor=staff.actor(Channel.COUNTER))

    return await _act(p, person_id, work, flash="counter_wallet_accepted", action="wallet.accept")


def _province(p: Page, payer, form: dict[str, str]) -> str | None:
    """HN-9: the relative's province when he is insured in another one (ticked), else None."""
    if form.get("elsewhere") != "yes":
        return None
    province = (form.get("beneficiary_province") or "").strip()
    if province not in {code for code, _, _ in PROVINCES}:
        raise Refused({"beneficiary_province": p.t("请选择亲属参保的省份。", "Choose the province where the relative is insured.")})
    if province == people.enrollment_of(payer).region_code[:2]:
        raise Refused({"beneficiary_province": p.t("亲属在本省参保时，不用勾选“亲属在外省参保”。",
                                                   "The relative is insured in this province: leave the box unticked.")})
    if not (form.get("id_number") or "").strip():
        raise Refused({"id_number": p.t("外省参保的亲属须填写身份证号码。",
                                        "For a relative insured in another province give the ID number.")})
    return province


@router.post("/people/{person_id}/wallet/send", response_class=HTMLResponse)
async def send(p: P, person_id: int) -> HTMLResponse:
    """WAL-1..WAL-3: send from the person's account into a relative's wallet, in this province or through the
    national platform to another one (HN-9); review and confirm as a transfer; the service checks the limits, the
    hours and the reserve line."""
    form = await p.form()
    staff = p.staff()
    values = {k: form.get(k, "").strip() for k in FIELDS if k != "documents"} | desk.kept_ticks(form)
    if form.get("step") == "edit":
        return await _page(p, person_id, values=values, template=SEND)
    key = desk.operation_key(form)

    def work(s: Session) -> Any:
        payer, policy = desk.acting_for(s, p, staff, person_id)
        desk.checked(s, p, staff, payer, policy, form, action="wallet.send")
        province = _province(p, payer, form)
        if province is None:
            relative = desk.relative(s, p, form)
            desk.check_relative_name(p, form.get("name"), relative)
            number, shown = relative.id_number, f"{relative.name}（{mask(relative.id_number)}）"
        else:  # HN-9: insured in another province, his ID number checked there, his name not known here
            number = (form.get("id_number") or "").strip()
            shown = f"{mask(number)} · {province_label(p, province)}"
        fen = yuan_fen(form.get("amount"), field="amount")
        row = wallets.send(s, p.env, payer_id_number=payer.id_number, beneficiary_id_number=number,
                           relationship=form.get("relationship", ""), amount_fen=fen,
                           idempotency_key=staff_key(staff.id, key), actor=staff.actor(Channel.COUNTER),
                           beneficiary_province=province)
        if not desk.confirmed(form):
            raise DryRun({"person": person_row(payer), "rows": [
                (p.t("转出人", "From"), f"{payer.name}（{mask(payer.id_number)}）"),
                (p.t("转入亲属的医保钱包", "Into the wallet of"), shown),
                (p.t("金额", "Amount"), f"{yuan(fen)} {p.t('元', 'yuan')}"),
                (p.t("其中当年账户 / 历年账户", "Current-year / prior-years"),
                 f"{yuan(row.current_year_fen)} / {yuan(row.prior_years_fen)}")]})
        return row.id

    done = await forms.attempt(p, p.write(work), fields=FIELDS)
    if done.tried is not None:
        return desk.confirm_page(p, title=("请与本人核对转入亲属医保钱包", "Check the wallet transfer with the person"),
                                 action=f"/counter/people/{person_id}/wallet/send", values=dict(form), key=key,
                                 warning=p.t("亲属须在次日规定时间前接收，未接收的钱原路退回本人个人账户。",
                                             "The relative accepts it by the next day's cut-off; money not "
                                             "accepted comes back to the person's account."), **done.tried)
    if done.failed:
        return await _page(p, person_id, values=values, errors=done.failed.errors, status_code=done.failed.status,
                           template=SEND)
    return p.redirect(f"/counter/people/{person_id}/wallet", flash="counter_wallet_sent")
