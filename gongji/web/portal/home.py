"""Log in, log out, and the home page: own balance, who my account pays for, who pays for me (N-9)."""

from __future__ import annotations

from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from gongji.auth import throttle
from gongji.authorizations import service as authorizations
from gongji.env import Env
from gongji.people import service as people
from gongji.records import service as records
from gongji.settlement.rules import available_for_relatives, month_room
from gongji.settlement.service import paid_this_month
from gongji.terms import Scheme, Status
from gongji.web import forms
from gongji.web.identity import provider_from_env
from gongji.web.portal.common import P, load_me, router, safe_next_, show
from gongji.web.portal.wallet import wallet_summary


@router.get("/login", response_class=HTMLResponse)
async def login_form(p: P, next: str | None = None) -> HTMLResponse:
    if p.principal is not None and p.principal.person_id is not None:
        return p.redirect(safe_next_(next))
    return p.render("portal/login.html", next=safe_next_(next), asks_password=provider_from_env().asks_password)


@router.post("/login", response_class=HTMLResponse)
async def login(p: P) -> HTMLResponse:
    form = await p.form()
    provider = provider_from_env()
    minutes = p.settings.person_session_minutes
    if provider.asks_password:  # a password can be guessed: tries are counted (gongji/auth/throttle.py)
        run = run_in_threadpool(
            throttle.guarded_login, p.db, p.env, throttle.Limits.of(p.settings), kind=throttle.PERSON,
            identifier=form.get("id_number", ""), client=throttle.client_of(p.request),
            login=lambda s: provider.login(s, p.env, p.request, form, minutes))
    else:
        run = p.write(lambda s: provider.login(s, p.env, p.request, form, minutes))
    done = await forms.attempt(p, run, fields=("id_number", "password"))
    if done.failed:
        return p.render("portal/login.html", status_code=429 if done.failed.status == 429 else 400,
                        errors=done.failed.errors, values={"id_number": form.get("id_number", "")},
                        next=safe_next_(form.get("next")), asks_password=provider.asks_password)
    response = p.redirect(safe_next_(form.get("next")))
    p.start_session(response, done.value)
    return response


@router.post("/logout")
async def logout(p: P) -> RedirectResponse:
    return await p.log_out("/portal/login")


@router.get("", response_class=HTMLResponse)
async def home(p: P) -> HTMLResponse:
    """首页: own balance, who my account pays for, who pays for me, recent payments both ways (N-9)."""
    me_ = p.person()
    today = p.env.today()

    def facts(s):
        bindings = records.authorization_records(s, person_id=me_.person_id, today=today, include_ended=False).items
        return {
            "me": load_me(s, p.env, me_.person_id),
            "bindings": bindings,
            "can_pay": {b.binding_id: _can_pay(s, p.env, b.binding_id) for b in bindings
                        if b.role == "beneficiary" and b.state == "active"},
            "paid_by_me": records.payments_as_payer(s, person_id=me_.person_id, limit=5).items,
            "paid_for_me": records.paid_for_me(s, person_id=me_.person_id, limit=5).items,
            "wallet": wallet_summary(s, me_.person_id),
        }

    data = await p.read(facts)
    return show(p, data.pop("me"), "portal/home.html", nav="home", **data)


def _can_pay(s: Session, env: Env, binding_id: int) -> bool:
    """PP-2: whether the payer of a binding can still pay for his relative now (insured as normal, something left
    above his region's reserve line in the funds it allows), told to the relative without the balance. A paused
    binding (D-3) cannot, nor one whose monthly limit is used up this month (PP-1)."""
    binding = authorizations.get(s, binding_id)
    if binding.paused_at is not None:
        return False
    if binding.monthly_limit_fen is not None:
        paid = paid_this_month(s, patient_id=binding.beneficiary_id, payer_ids=[binding.payer_id], today=env.today())
        if month_room(monthly_limit_fen=binding.monthly_limit_fen, paid_this_month_fen=paid.get(binding.payer_id, 0)) == 0:
            return False
    payer = people.get(s, binding.payer_id)
    enrollment = people.enrollment_of(payer)
    balances = people.balances(s, payer.id)
    if balances is None or enrollment.status != Status.NORMAL.value or enrollment.scheme != Scheme.EMPLOYEE.value:
        return False
    return available_for_relatives(current_year_fen=balances.current_year_fen,
                                   prior_years_fen=balances.prior_years_fen,
                                   policy=env.policy(enrollment.region_code)) > 0
