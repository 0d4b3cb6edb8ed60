"""The medical insurance wallet (WAL-1..WAL-4, HN-9): open one's own, accept what relatives send before it goes
back, send into a relative's wallet in steps, and what became of each transfer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from gongji.errors import GongjiError
from gongji.ledger.models import Account, LedgerEntry, Posting
from gongji.people import service as people
from gongji.people.ids import mask
from gongji.policy import RegionPolicy
from gongji.terms import Channel
from gongji.wallet import service as wallets
from gongji.wallet.models import WalletTransfer
from gongji.web.forms import DryRun
from gongji.web.pages import FLASHES, Page
from gongji.web.portal.common import (
    ROWS,
    Me,
    P,
    amount_fen,
    attempt,
    checks,
    load_me,
    new_key,
    relationship_choices,
    router,
    show,
    yuan_text,
)

#: The wallet pages' one-time notices, kept with them.
for _key, _words in {
    "wallet_opened": ("医保钱包已开通。亲属转入的钱会显示在这里，请及时接收。",
                      "Your wallet is open. Money relatives send shows here; accept it in time."),
    "wallet_accepted": ("已接收，钱已转入您的医保钱包。", "Accepted: the money is in your wallet."),
    "wallet_sent": ("转账已提交。", "The transfer has been sent."),
}.items():
    FLASHES.setdefault(_key, _words)

#: Where a relative may be insured (HN-9): the province's two-digit code, as the national platform routes it.
PROVINCES: tuple[tuple[str, str, str], ...] = (
    ("11", "北京市", "Beijing"), ("12", "天津市", "Tianjin"), ("13", "河北省", "Hebei"), ("14", "山西省", "Shanxi"),
    ("15", "内蒙古自治区", "Inner Mongolia"), ("21", "辽宁省", "Liaoning"), ("22", "吉林省", "Jilin"),
    ("23", "黑龙江省", "Heilongjiang"), ("31", "上海市", "Shanghai"), ("32", "江苏省", "Jiangsu"),
    ("33", "浙江省", "Zhejiang"), ("34", "安徽省", "Anhui"), ("35", "福建省", "Fujian"), ("36", "江西省", "Jiangxi"),
    ("37", "山东省", "Shandong"), ("41", "河南省", "Henan"), ("42", "湖北省", "Hubei"), ("43", "湖南省", "Hunan"),
    ("44", "广东省", "Guangdong"), ("45", "广西壮族自治区", "Guangxi"), ("46", "海南省", "Hainan"),
    ("50", "重庆市", "Chongqing"), ("51", "四川省", "Sichuan"), ("52", "贵州省", "Guizhou"), ("53", "云南省", "Yunnan"),
    ("54", "西藏自治区", "Xizang (Tibet)"), ("61", "陕西省", "Shaanxi"), ("62", "甘肃省", "Gansu"),
    ("63", "青海省", "Qinghai"), ("64", "宁夏回族自治区", "Ningxia"), ("65", "新疆维吾尔自治区", "Xinjiang"),
)
_PROVINCE_NAMES = {code: (zh, en) for code, zh, en in PROVINCES}
WALLET_SEND_FIELDS = ("relationship", "id_number", "amount", "elsewhere", "beneficiary_province")
#: What moved the wallet's money, by ledger entry kind: (中文, English).
WALLET_CHANGES = {wallets.ACCEPT_ENTRY: ("接收亲属转入", "accepted from a relative"),
                  "settlement": ("看病购药支付", "paid a bill"), "refund": ("退费退回", "refund")}


def province_label(p: Page, code: str | None) -> str:
    zh, en = _PROVINCE_NAMES.get(code or "", (code or "", code or ""))
    return p.t(zh, en)


@dataclass(frozen=True)
class WalletRow:
    """A wallet transfer as one side sees it in the portal: the other side, the state in words, what can be done."""

    id: int
    transfer_no: str
    across: bool  # the other side is insured in another province (HN-9)
    province: str  # that province's name
    other_name: str
    other_id_number: str  # masked
    relationship: str
    amount_fen: int
    state: str
    state_text: str
    sent_at: datetime
    return_due_at: datetime
    accepted_at: datetime | None
    returned_at: datetime | None
    refusal: str | None  # why the relative's side refused it, in the page's language
    can_accept: bool
    key: str = ""  # the accept form's idempotency key


def _wallet_state(p: Page, row: WalletTransfer, *, as_payer: bool) -> str:
    if row.state == wallets.SENT:
        if row.direction == wallets.OUT:
            return p.t("在途", "on its way")
        return p.t("待对方接收", "waiting for the relative") if as_payer else p.t("待接收", "waiting for you")
    if row.state == wallets.ACCEPTED:
        return p.t("已接收", "accepted")
    if row.state == wallets.RETURNED:
        return p.t("未接收，已退回您的账户", "not accepted: back in your account") if as_payer else \
            p.t("未接收，已退回转出人", "not accepted: back to the sender")
    return p.t("被拒收，已退回您的账户", "refused: back in your account") if as_payer else p.t("被拒收", "refused")


def _wallet_row(s: Session, p: Page, row: WalletTransfer, *, person_id: int, now: datetime) -> WalletRow:
    as_payer = row.payer_id == person_id
    if as_payer:
        if row.beneficiary_id is not None:
            other = people.get(s, row.beneficiary_id)
            name, number = other.name, other.id_number
        else:  # insured in another province: his name is not known here
            name, number = p.t("外省参保亲属", "relative insured elsewhere"), row.beneficiary_id_number
    else:
        name, number = row.payer_name, row.payer_id_number
    refusal = None
    if row.refusal_code is not None:
        refusal = p.t(row.refusal_zh or row.refusal_code, row.refusal_en or row.refusal_code)
    can_accept = (not as_payer and row.state == wallets.SENT and row.direction != wallets.OUT
                  and now < row.return_due_at)
    return WalletRow(id=row.id, transfer_no=row.transfer_no, across=row.direction != wallets.LOCAL,
                     province=province_label(p, row.counterpart_province), other_name=name,
                     other_id_number=mask(number), relationship=row.relationship, amount_fen=row.amount_fen,
                     state=row.state, state_text=_wallet_state(p, row, as_payer=as_payer), sent_at=row.sent_at,
                     return_due_at=row.return_due_at, accepted_at=row.accepted_at, returned_at=row.returned_at,
                     refusal=refusal, can_accept=can_accept, key=new_key() if can_accept else "")


def wallet_limits(p: Page, policy: RegionPolicy) -> list[str]:
    """WAL-2, WAL-3, WAL-4 in plain words, with the payer's region's own limits and hours."""
    count, most = policy.wallet_transfers_per_day, yuan_text(policy.wallet_transfer_max_fen)
    quiet_from, quiet_until = f"{policy.wallet_quiet_from:%H:%M}", f"{policy.wallet_quiet_until:%H:%M}"
    return [
        p.t(f"每天最多转出 {count} 笔，每笔最多 {most} 元。", f"At most {count} transfers a day, at most {most} yuan each."),
        p.t(f"每天 {quiet_from} 至次日 {quiet_until}（北京时间）不能转账。",
            f"No transfers from {quiet_from} to {quiet_until} the next morning (China time)."),
        p.t(f"亲属须在转出次日 {quiet_until} 前接收；到时未接收的钱，于次日 {quiet_until} 原路退回您的个人账户。",
            f"The relative accepts it by {quiet_until} the next day; money not accepted by then comes back to your "
            f"personal account at {quiet_until} the next day."),
    ]


def wallet_points(p: Page, policy: RegionPolicy) -> list[str]:
    """The notice read before sending (WAL-1..WAL-4, HN-9, D-1, SZ-1), in plain words."""
    points = [
        p.t("可以把您职工医保个人账户的钱转入近亲属的医保钱包，钱归亲属所有，用于亲属本人看病购药。亲属须先开通医保钱包。",
            "You can send money from your employee personal account into a close relative's medical insurance wallet. "
            "It becomes theirs and pays for their own care and drugs. The relative opens the wallet first."),
        *wallet_limits(p, policy),
        p.t("钱先从当年账户支出，不够时再从历年账户支出。", "The money comes from current-year funds first, then prior-years."),
    ]
    if policy.reserve_line_fen:
        line = yuan_text(policy.reserve_line_fen)
        points.append(p.t(f"只有超过 {line} 元的账户余额才能转出。", f"Only the balance above {line} yuan can be sent."))
    points += [
        p.t("亲属在外省参保时，勾选“亲属在外省参保”并选择省份，钱经全国医保平台转入，到达前显示“在途”。",
            "If the relative is insured in another province, tick the box and choose the province: the money goes "
            "through the national platform and shows “on its way” until it arrives."),
        p.t("我承诺所填亲属关系真实，虚假承诺须承担相应法律责任。",
            "I declare that the relationship is true; a false statement carries legal responsibility."),
    ]
    return points


def wallet_summary(s: Session, person_id: int) -> dict[str, Any] | None:
    """WAL-1: the person's wallet (status, balance), or None if he has not opened one."""
    row = wallets.wallet_of(s, person_id)
    if row is None:
        return None
    return {"status": row.status, "balance_fen": s.get(Account, row.account_id).balance_fen,
            "opened_at": row.opened_at, "account_id": row.account_id}


def _wallet(s: Session, p: Page, person_id: int) -> dict[str, Any]:
    me = load_me(s, p.env, person_id)
    wallet = wallet_summary(s, person_id)
    now = p.env.now()
    received = wallets.transfers_of(s, person_id=person_id, role=wallets.BENEFICIARY, limit=ROWS)
    rows = [_wallet_row(s, p, row, person_id=person_id, now=now) for row in received.items]
    changes = []
    if wallet is not None:
        for on, kind, amount, after in s.execute(
                select(LedgerEntry.on, LedgerEntry.kind, Posting.amount_fen, Posting.balance_after_fen)
                .join(LedgerEntry, LedgerEntry.id == Posting.entry_id)
                .where(Posting.account_id == wallet["account_id"]).order_by(Posting.id.desc()).limit(ROWS)):
            zh, en = WALLET_CHANGES.get(kind, ("钱包变动", "change"))
            changes.append({"on": on, "what": p.t(zh, en), "amount_fen": amount, "balance_after_fen": after})
    return {"me": me, "wallet": wallet, "waiting": [r for r in rows if r.state == wallets.SENT],
            "received": [r for r in rows if r.state != wallets.SENT], "received_total": received.total,
            "changes": changes}


async def _wallet_page(p: Page, person_id: int, *, errors: dict[str, str] | None = None,
                       status_code: int = 200) -> HTMLResponse:
    data = await p.read(lambda s: _wallet(s, p, person_id))
    return show(p, data.pop("me"), "portal/wallet.html", nav="wallet", tab="wallet", status_code=status_code,
                errors=errors or {}, **data)


@router.get("/wallet", response_class=HTMLResponse)
async def wallet_page(p: P) -> HTMLResponse:
    """我的医保钱包 (WAL-1, WAL-4): open it, its balance, transfers to accept before they go back, history."""
    return await _wallet_page(p, p.person().person_id)


@router.post("/wallet/open", response_class=HTMLResponse)
async def open_wallet(p: P) -> HTMLResponse:
    """WAL-1: the person opens his own wallet (opening again changes nothing)."""
    who = p.person()
    await p.form()

    def work(s: Session) -> None:
        me = people.get(s, who.person_id)
        wallets.open_wallet(s, p.env, id_number=me.id_number, actor=who.actor(Channel.PORTAL))

    done = await attempt(p, p.write(work))
    if done.failed:
        return await _wallet_page(p, who.person_id, errors=done.failed.errors, status_code=400)
    return p.redirect("/portal/wallet", flash="wallet_opened")


@router.post("/wallet/transfers/{transfer_id}/accept", response_class=HTMLResponse)
async def accept_wallet_transfer(transfer_id: int, p: P) -> HTMLResponse:
    """WAL-1, WAL-4: the relative accepts a transfer before it is due back. The form carries the key drawn when the
    page was shown: a double tap, or the form sent again on reload, accepts once."""
    who = p.person()
    form = await p.form()
    key = form.get("key") or f"portal-accept-{transfer_id}"

    def work(s: Session) -> None:
        if not 0 < transfer_id < 2**63:
            raise GongjiError("WALLET_TRANSFER_NOT_FOUND", transfer_id=str(transfer_id)[:20])
        row = wallets.get_transfer(s, transfer_id)
        if row.beneficiary_id != who.person_id:  # someone else's: as if not there
            raise GongjiError("WALLET_TRANSFER_NOT_FOUND", transfer_id=transfer_id)
        wallets.accept(s, p.env, transfer_id=transfer_id, idempotency_key=key, actor=who.actor(Channel.PORTAL))

    done = await attempt(p, p.write(work))
    if done.failed:
        return await _wallet_page(p, who.person_id, errors=done.failed.errors, status_code=400)
    return p.redirect("/portal/wallet", flash="wallet_accepted")


def _send_context(p: Page, me: Me) -> dict[str, Any]:
    own = me.region_code[:2]
    return {
        "relationships": relationship_choices(p, me),
        "provinces": [("", p.t("请选择省份", "Choose the province"))]
                     + [(code, p.t(f"{zh}（{code}）", f"{en} ({code})")) for code, zh, en in PROVINCES if code != own],
        "points": wallet_points(p, me.policy),
    }


async def _wallet_send_page(p: Page, person_id: int, *, values: dict[str, str] | None = None,
                            errors: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    me = await p.read(lambda s: load_me(s, p.env, person_id))
    return show(p, me, "portal/wallet_send.html", nav="wallet", tab="send", status_code=status_code,
                values=values or {}, errors=errors or {}, **_send_context(p, me))


@router.get("/wallet/send", response_class=HTMLResponse)
async def wallet_send_form(p: P) -> HTMLResponse:
    """转入亲属医保钱包 (WAL-1..WAL-3, HN-9): the notice with the region's limits, and the form."""
    return await _wallet_send_page(p, p.person().person_id)


def _check_wallet_send(p: Page, me: Me, values: dict[str, str]) -> tuple[dict[str, str], int, str | None]:
    """What the page itself can tell about the send form, all at once: (errors, amount in fen, province)."""
    c = checks(p, values)
    errors = c.errors
    c.required("relationship", "请选择这位亲属是您的什么人。", "Choose what the relative is to you.")
    c.id_number(who_zh="亲属", who_en="the relative")
    fen = amount_fen(c, "转入")
    province = None
    if values.get("elsewhere") == "yes":
        province = values.get("beneficiary_province") or ""
        if province not in _PROVINCE_NAMES:
            errors["beneficiary_province"] = p.t("请选择亲属参保的省份。", "Choose the province where the relative "
                                                                     "is insured.")
        elif province == me.region_code[:2]:
            errors["beneficiary_province"] = p.t(
                "亲属在本省参保时，不用勾选“亲属在外省参保”。",
                "The relative is insured in your own province: leave “insured in another province” unticked.")
    else:
        values["elsewhere"], values["beneficiary_province"] = "", ""
    return errors, fen, province


@router.post("/wallet/send", response_class=HTMLResponse)
async def wallet_send(p: P) -> HTMLResponse:
    """WAL-1..WAL-3 in steps, as transfers of prior-years funds: fill in (``step=review``), see it checked against
    every rule and confirm (``step=confirm``), or go back (``step=edit``). The confirmation page draws the key the
    send is made with, so sending it twice (a double tap, a reload) sends once."""
    who = p.person()
    form = await p.form()
    values = {k: form.get(k, "").strip() for k in WALLET_SEND_FIELDS}
    step = form.get("step", "review")
    if step == "edit":
        return await _wallet_send_page(p, who.person_id, values=values)
    me = await p.read(lambda s: load_me(s, p.env, who.person_id))
    errors, fen, province = _check_wallet_send(p, me, values)
    if errors:
        return await _wallet_send_page(p, who.person_id, values=values, errors=errors, status_code=400)
    key = form.get("key", "") if step == "confirm" else new_key()

    def work(s: Session) -> int:
        row = wallets.send(s, p.env, payer_id_number=me.id_number, beneficiary_id_number=values["id_number"],
                           relationship=values["relationship"], amount_fen=fen, idempotency_key=key,
                           actor=who.actor(Channel.PORTAL), beneficiary_province=province)
        if step != "confirm":
            relative = people.get(s, row.beneficiary_id) if row.beneficiary_id is not None else None
            raise DryRun({"relative_name": relative.name if relative else None,
                           "relative_id_number": mask(row.beneficiary_id_number),
                           "across": row.direction == wallets.OUT,
                           "province": province_label(p, row.counterpart_province),
                           "current_year_fen": row.current_year_fen, "prior_years_fen": row.prior_years_fen,
                           "return_due_at": row.return_due_at})
        return row.id

    done = await attempt(p, p.write(work), WALLET_SEND_FIELDS)
    if done.tried is not None:
        return show(p, me, "portal/wallet_confirm.html", nav="wallet", tab="send", values=values, key=key,
                    amount_fen=fen, limits=wallet_limits(p, me.policy), **done.tried)
    if done.failed:
        return await _wallet_send_page(p, who.person_id, values=values, errors=done.failed.errors, status_code=400)
    return p.redirect(f"/portal/wallet/sent?done={done.value}", flash="wallet_sent")


def _wallet_sent(s: Session, p: Page, person_id: int, done: int | None) -> dict[str, Any]:
    me = load_me(s, p.env, person_id)
    now = p.env.now()
    sent = wallets.transfers_of(s, person_id=person_id, role=wallets.PAYER, limit=ROWS)
    rows = [_wallet_row(s, p, row, person_id=person_id, now=now) for row in sent.items]
    finished = None
    if done is not None:
        row = s.get(WalletTransfer, done)
        if row is not None and row.payer_id == person_id:
            finished = _wallet_row(s, p, row, person_id=person_id, now=now)
    return {"me": me, "rows": rows, "total": sent.total, "finished": finished}


@router.get("/wallet/sent", response_class=HTMLResponse)
async def wallet_sent_page(p: P, done: int | None = None) -> HTMLResponse:
    """我转出的 (N-9, HN-9): each transfer into a relative's wallet and what became of it: waiting, on its way to
    another province, accepted, returned (WAL-4), or refused there and why."""
    who = p.person()
    data = await p.read(lambda s: _wallet_sent(s, p, who.person_id, done if done and 0 < done < 2**62 else None))
    return show(p, data.pop("me"), "portal/wallet_sent.html", nav="wallet", tab="sent", **data)
