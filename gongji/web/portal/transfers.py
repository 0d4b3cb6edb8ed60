"""Transfers of prior-years funds to close relatives (HZ-1..HZ-4): the notice, the form in steps, the history."""

from __future__ import annotations

from typing import Any

from fastapi.responses import HTMLResponse
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from gongji.env import Env
from gongji.errors import GongjiError
from gongji.notifications import service as notifications
from gongji.people import service as people
from gongji.people.ids import mask
from gongji.policy import RegionPolicy
from gongji.terms import Channel
from gongji.transfers import service as transfers
from gongji.transfers.models import Transfer
from gongji.web.forms import DryRun
from gongji.web.pages import Page
from gongji.web.portal.common import (
    P,
    amount_fen,
    attempt,
    check_name,
    checks,
    load_me,
    new_key,
    relationship_choices,
    router,
    show,
)

TRANSFER_FIELDS = ("relationship", "name", "id_number", "amount", "agreement")


def transfer_points(p: Page, policy: RegionPolicy) -> list[str]:
    """HZ-4: the notice read before a transfer, in plain words."""
    relatives = p.t("、", ", ").join(p.t(r.zh, r.en) for r in policy.allowed_relationships)
    return [
        p.t(f"可以把您医保个人账户中的历年资金划转给近亲属（{relatives}），对方须在本统筹区参保。",
            f"You can move prior-years funds of your medical account to a close relative ({relatives}) insured "
            f"in this region."),
        p.t("划转后，这笔钱归亲属所有，由亲属凭本人医保卡或医保电子凭证看病购药时使用，不能退回。",
            "Once moved, the money belongs to the relative, who spends it with his own insurance card or "
            "e-voucher; it does not come back."),
        p.t("划转金额不能超过您当前的历年账户余额；当年账户的钱不能划转。",
            "You can move at most your current prior-years balance; current-year funds cannot be moved."),
        p.t("可以给多位亲属划转，一位亲属也可以接受多人划转。划转成功后，系统会发短信通知您。",
            "You may move funds to several relatives, and a relative may receive from several people. A text "
            "message confirms each transfer."),
        p.t("我承诺所填亲属关系真实，虚假承诺须承担相应法律责任。",
            "I declare that the relationship is true; a false statement carries legal responsibility."),
    ]


def _transfers(s: Session, env: Env, person_id: int, done: int | None) -> dict[str, Any]:
    me = load_me(s, env, person_id)
    rows = s.execute(select(Transfer).where(or_(Transfer.payer_id == person_id, Transfer.beneficiary_id == person_id))
                     .order_by(Transfer.id.desc()).limit(50)).scalars().all()
    history = []
    for row in rows:
        outgoing = row.payer_id == person_id
        other = people.get(s, row.beneficiary_id if outgoing else row.payer_id)
        history.append({"id": row.id, "on": row.on, "outgoing": outgoing, "other_name": other.name,
                        "other_id_number": mask(other.id_number), "relationship": row.relationship,
                        "amount_fen": row.amount_fen})
    finished = next((h for h in history if h["id"] == done and h["outgoing"]), None)
    return {"me": me, "history": history, "finished": finished}


async def _transfer_page(p: Page, person_id: int, *, values: dict[str, str] | None = None,
                         errors: dict[str, str] | None = None, status_code: int = 200,
                         done: int | None = None) -> HTMLResponse:
    data = await p.read(lambda s: _transfers(s, p.env, person_id, done))
    me = data.pop("me")
    message = None  # HZ-4: the text message that confirmed a transfer just made
    if data["finished"] is not None:
        def latest(s: Session):
            page_ = notifications.list_for(s, person_id=person_id, language=p.language, limit=5)
            return next((n for n in page_.items if n.kind == "transfer.made"), None)

        message = await p.read(latest)
    return show(p, me, "portal/transfers.html", nav="transfers", status_code=status_code, values=values or {},
                errors=errors or {}, relationships=relationship_choices(p, me), points=transfer_points(p, me.policy),
                message=message, **data)


@router.get("/transfers", response_class=HTMLResponse)
async def transfers_page(p: P, done: int | None = None) -> HTMLResponse:
    """历年账户家庭共济 (HZ-1..HZ-4): the notice, the form, and what was moved to and from me."""
    return await _transfer_page(p, p.person().person_id, done=done)


@router.post("/transfers", response_class=HTMLResponse)
async def transfer(p: P) -> HTMLResponse:
    """HZ-4 in steps: fill in (``step=review``), see it checked and confirm (``step=confirm``), or go back
    (``step=edit``). The confirmation carries the operation's key, so sending it twice moves money once."""
    who = p.person()
    form = await p.form()
    values = {k: form.get(k, "").strip() for k in TRANSFER_FIELDS}
    step = form.get("step", "review")
    if step == "edit":
        return await _transfer_page(p, who.person_id, values=values)
    c = checks(p, values)
    errors = c.errors
    relationship = c.required("relationship", "请选择这位亲属是您的什么人。", "Choose what the relative is to you.")
    name = c.required("name", "请填写亲属的姓名。", "Enter the relative's name.")
    c.id_number(who_zh="亲属", who_en="the relative")
    fen = amount_fen(c, "划转")
    me = await p.read(lambda s: load_me(s, p.env, who.person_id))
    policy = me.policy
    if values.get("agreement") != "yes":
        errors["agreement"] = p.message(GongjiError("CONSENT_REQUIRED", agreement=policy.agreement_title,
                                                    version=policy.agreement_version))
    if errors:
        return await _transfer_page(p, who.person_id, values=values, errors=errors, status_code=400)
    key = form.get("key", "") if step == "confirm" else new_key()
    agreement_version = form.get("agreement_version") or policy.agreement_version

    def work(s: Session) -> Any:
        relative = people.find(s, values["id_number"])
        check_name(p, name, relative.name)
        row = transfers.transfer(s, p.env, payer_id_number=me.id_number, beneficiary_id_number=relative.id_number,
                                 relationship=relationship, amount_fen=fen,
                                 agreement_version=agreement_version, idempotency_key=key,
                                 actor=who.actor(Channel.PORTAL))
        if step != "confirm":
            raise DryRun({"relative_name": relative.name, "relative_id_number": mask(relative.id_number)})
        return row.id

    done = await attempt(p, p.write(work), TRANSFER_FIELDS)
    if done.tried is not None:
        prior = me.balances.prior_years_fen if me.balances else 0
        return show(p, me, "portal/transfer_confirm.html", nav="transfers", values=values, key=key,
                    amount_fen=fen, prior_after_fen=prior - fen, **done.tried)
    if done.failed:
        return await _transfer_page(p, who.person_id, values=values, errors=done.failed.errors, status_code=400)
    return p.redirect(f"/portal/transfers?done={done.value}", flash="transferred")
