"""What every portal page shares: its router, the logged-in person (:class:`Me`), words for stored values, and how
the portal words refusals (:data:`WORDING`, used with :mod:`gongji.web.forms`)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gongji.authorizations import service as authorizations
from gongji.contributions import service as contributions
from gongji.contributions.rules import Share
from gongji.env import Env
from gongji.money import fen_to_yuan, yuan_to_fen
from gongji.notifications import service as notifications
from gongji.people import service as people
from gongji.people.ids import region_name
from gongji.policy import AidModel, PayerOrder, RegionPolicy
from gongji.settlement.rules import available_for_relatives
from gongji.terms import Channel, DocumentKind, EndReason, Fund, Relationship, Scheme, Status, Use
from gongji.wallet import service as wallets
from gongji.wallet.models import WalletTransfer
from gongji.web import forms
from gongji.web.pages import Page, page, safe_next

router = APIRouter(prefix="/portal", include_in_schema=False)

P = Annotated[Page, Depends(page)]

#: The most rows a list page shows at once (the records service's page size).
ROWS = 200


def safe_next_(value: str | None) -> str:
    return safe_next(value, "/portal")


# -- who is logged in ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Me:
    """The logged-in person, his region's policy and what the pages offer him."""

    id: int
    name: str
    id_number: str  # his own: shown in full to him
    scheme: str
    status: str
    region_code: str
    policy: RegionPolicy
    balances: people.Balances | None
    family_id: int | None
    unread: int
    #: WAL-4: transfers into his wallet he can still accept (the menu counts them).
    wallet_waiting: int = 0
    #: LC-4: the pooled fund's share today (a waiting period or a reduced share, with its last day).
    pooled: Share | None = None

    @property
    def region_name(self) -> str:
        return region_name(self.region_code) or self.policy.name

    @property
    def is_employee(self) -> bool:
        return self.scheme == Scheme.EMPLOYEE.value

    @property
    def binds(self) -> bool:
        """His region shares accounts by binding (most regions) rather than by transfers (HZ-1)."""
        return self.policy.aid_model is AidModel.BINDING

    @property
    def transfers(self) -> bool:
        return self.policy.aid_model is AidModel.TRANSFER

    @property
    def shows_family(self) -> bool:
        """HN-1: families where the region binds inside them, or where he already belongs to one."""
        return self.family_id is not None or (self.binds and self.policy.family_required)

    @property
    def uses_priority(self) -> bool:
        return self.policy.payer_order is PayerOrder.PRIORITY

    @property
    def for_relatives_fen(self) -> int | None:
        """PP-2: how much of his balance his relatives may use (SZ-1, D-1); None without an employee account."""
        if self.balances is None or not self.is_employee:
            return None
        return available_for_relatives(current_year_fen=self.balances.current_year_fen,
                                       prior_years_fen=self.balances.prior_years_fen, policy=self.policy)


def load_me(session: Session, env: Env, person_id: int) -> Me:
    person = people.get(session, person_id)
    enrollment = people.enrollment_of(person)
    return Me(id=person.id, name=person.name, id_number=person.id_number, scheme=enrollment.scheme,
              status=enrollment.status, region_code=enrollment.region_code,
              policy=env.policy(enrollment.region_code), balances=people.balances(session, person.id),
              family_id=authorizations.family_of(session, person.id),
              unread=notifications.unread_count(session, person_id=person.id),
              wallet_waiting=_wallet_waiting(session, env, person.id),
              pooled=contributions.pooled_share(session, env, enrollment))


def _wallet_waiting(session: Session, env: Env, person_id: int) -> int:
    return session.execute(select(func.count()).select_from(WalletTransfer).where(
        WalletTransfer.beneficiary_id == person_id, WalletTransfer.state == wallets.SENT,
        WalletTransfer.return_due_at > env.now())).scalar_one()


STATES = {"pending": ("待生效", "not yet in effect"), "active": ("生效中", "in effect"),
          "ended": ("已解除", "ended"), "expired": ("已到期", "expired")}
CHANGES = {"credit": ("账户划入", "credited"), "settlement": ("结算支付", "paid a bill"),
           "refund": ("退费退回", "refund"), "transfer": ("历年资金划转", "transfer of prior-years funds"),
           "resident_contribution": ("代缴居民医保", "resident contribution paid"),
           "year_end": ("年度结转", "year-end roll-over")}


def labels(p: Page) -> Callable[[str, str | None], str]:
    """``label('relationship', 'spouse')`` → 配偶 / spouse, for the templates."""
    kinds = {"relationship": Relationship, "use": Use, "fund": Fund, "channel": Channel, "end_reason": EndReason,
             "document": DocumentKind, "scheme": Scheme, "status": Status}

    def label(kind: str, value: str | None) -> str:
        if value is None:
            return ""
        if kind == "state":
            zh, en = STATES.get(value, (value, value))
            return p.t(zh, en)
        if kind == "change":
            zh, en = CHANGES.get(value, (value, value))
            return p.t(zh, en)
        try:
            member = kinds[kind](value)
        except (KeyError, ValueError):
            return value
        return p.t(member.zh, member.en)

    return label


def show(p: Page, me: Me, template: str, *, nav: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    return p.render(template, status_code=status_code, me=me, nav=nav, label=labels(p), today=p.env.today(),
                    **context)


def relationship_choices(p: Page, me: Me) -> list[tuple[str, str]]:
    return [("", p.t("请选择", "Choose"))] + [(r.value, p.t(r.zh, r.en)) for r in me.policy.allowed_relationships]


# -- refusals --------------------------------------------------------------------------------------

#: How the portal words refusals: codes that concern one field of its forms, beyond
#: :data:`gongji.web.pages.FIELD_OF`; a malformed field told by its reason only.
WORDING = forms.Wording(plain=True, field_of={
    "OUT_OF_SCOPE": "id_number",
    "TOO_MANY_PAYERS": "id_number",
    "BENEFICIARY_NOT_NORMAL": "id_number",
    "FAMILY_REQUIRED": "id_number",
    "ALREADY_IN_FAMILY": "id_number",
    "PROOF_REQUIRED": "proof",
    "INSUFFICIENT_PRIOR_YEARS": "amount",
    "INSUFFICIENT_BALANCE": "amount",
    "WALLET_AMOUNT_LIMIT": "amount",
    "WALLET_NOT_OPEN": "id_number",
    "WALLET_CLOSED": "id_number",
})


async def attempt(p: Page, run: Any, fields: Any = ()) -> forms.Outcome:
    """:func:`gongji.web.forms.attempt` with the portal's wording."""
    return await forms.attempt(p, run, fields=fields, wording=WORDING)


def checks(p: Page, values: dict[str, str]) -> forms.Checks:
    return forms.Checks(p, values, WORDING)


def message(p: Page, error: Any) -> str:
    return WORDING.message(p, error)



def _same_name(given: str, registered: str) -> bool:
    return "".join(given.split()) == "".join(registered.split())


def check_name(p: Page, given: str, registered: str) -> None:
    """HLJ-7: the relative's name as typed must be the name registered with the ID number."""
    if not _same_name(given, registered):
        raise forms.Refused({"name": p.t("姓名与身份证号码不一致。请核对亲属的姓名（与身份证上相同）和身份证号码。",
                                         "The name does not match the ID number. Check the relative's name (as on "
                                         "the ID card) and ID number.")})


def new_key() -> str:
    """An idempotency key drawn when a page shows a form: sending that form twice acts once."""
    return f"portal-{secrets.token_urlsafe(18)}"


def yuan_text(fen: int) -> str:
    """Yuan as people write them: 2000, or 2000.50."""
    return str(fen // 100) if fen % 100 == 0 else fen_to_yuan(fen)


def amount_fen(c: forms.Checks, verb_zh: str) -> int:
    """The form's ``amount`` in yuan as fen, exact; 0 with its error noted when missing, malformed or not above zero
    (``verb_zh``: 划转, 转入, as the form says it)."""
    if not c.required("amount", f"请填写{verb_zh}金额（元）。", "Enter the amount in yuan."):
        return 0
    fen = c.parse("amount", lambda value: yuan_to_fen(value, field="amount"))
    if fen is None:
        return 0
    if fen <= 0:
        c.refuse("amount", f"{verb_zh}金额须大于零。", "The amount must be above zero.")
    return fen
