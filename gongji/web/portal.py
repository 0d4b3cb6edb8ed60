"""The portal for insured people (/portal): log in, see one's accounts, bind and unbind relatives, records.

Every page here acts for the logged-in person only, through the same services the API uses, with the
channel ``portal`` (N-8). What a page offers follows the person's region policy, never the region's name:
binding where the region binds (HLJ-7), families where it has them (HN-1), transfers where it moves
prior-years funds instead (HZ-1..HZ-4). The medical insurance wallet is everyone's (WAL-1..WAL-4, HN-9).

Forms are checked in two steps: first what the page itself can tell (a field left empty, a malformed ID
number, a file of the wrong kind), all at once; then the service, whose refusal is shown next to the field
it concerns. A refused form comes back with what was typed in it.
"""

from __future__ import annotations

import calendar
import os
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from gongji.auth import throttle
from gongji.authorizations import rules as binding_rules
from gongji.authorizations import service as authorizations
from gongji.authorizations.models import Binding
from gongji.env import Env
from gongji.errors import GongjiError
from gongji.ledger.models import Account, LedgerEntry, Posting
from gongji.money import fen_to_yuan, yuan_to_fen
from gongji.notifications import service as notifications
from gongji.people import service as people
from gongji.people.ids import mask, parse_id_number, region_name
from gongji.policy import AidModel, PayerOrder, ProofPolicy, RegionPolicy
from gongji.records import service as records
from gongji.terms import Channel, DocumentKind, EndReason, Fund, Relationship, Scheme, Status, Use
from gongji.transfers import service as transfers
from gongji.transfers.models import Transfer
from gongji.wallet import service as wallets
from gongji.wallet.models import WalletTransfer
from gongji.web.identity import provider_from_env
from gongji.web.pages import FLASHES, Page, page, safe_next

router = APIRouter(prefix="/portal", include_in_schema=False)

P = Annotated[Page, Depends(page)]

#: The most rows a list page shows at once (the records service's page size).
ROWS = 200


def _safe_next(value: str | None) -> str:
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


def _load_me(session: Session, env: Env, person_id: int) -> Me:
    person = people.get(session, person_id)
    enrollment = people.enrollment_of(person)
    return Me(id=person.id, name=person.name, id_number=person.id_number, scheme=enrollment.scheme,
              status=enrollment.status, region_code=enrollment.region_code,
              policy=env.policy(enrollment.region_code), balances=people.balances(session, person.id),
              family_id=authorizations.family_of(session, person.id),
              unread=notifications.unread_count(session, person_id=person.id),
              wallet_waiting=_wallet_waiting(session, env, person.id))


def _wallet_waiting(session: Session, env: Env, person_id: int) -> int:
    return session.execute(select(func.count()).select_from(WalletTransfer).where(
        WalletTransfer.beneficiary_id == person_id, WalletTransfer.state == wallets.SENT,
        WalletTransfer.return_due_at > env.now())).scalar_one()


def _labels(p: Page) -> Callable[[str, str | None], str]:
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


STATES = {"pending": ("待生效", "not yet in effect"), "active": ("生效中", "in effect"),
          "ended": ("已解除", "ended"), "expired": ("已到期", "expired")}
CHANGES = {"credit": ("账户划入", "credited"), "settlement": ("结算支付", "paid a bill"),
           "refund": ("退费退回", "refund"), "transfer": ("历年资金划转", "transfer of prior-years funds"),
           "resident_contribution": ("代缴居民医保", "resident contribution paid"),
           "year_end": ("年度结转", "year-end roll-over")}


def _show(p: Page, me: Me, template: str, *, nav: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    return p.render(template, status_code=status_code, me=me, nav=nav, label=_labels(p), today=p.env.today(),
                    **context)


# -- errors in place -------------------------------------------------------------------------------


class Refused(Exception):
    """A refusal the portal makes itself (the name does not match the ID number, a file of the wrong kind)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


#: Codes that concern one field of the portal's forms, beyond :data:`gongji.web.pages.FIELD_OF`.
PORTAL_FIELD_OF = {
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
}


def _message(p: Page, error: GongjiError) -> str:
    """The error's message; for a malformed field only its reason, worded for a form rather than a program."""
    params = error.params
    if error.code in ("INVALID_FIELD", "INVALID_AMOUNT") and isinstance(params.get("reason_zh"), str):
        reason = p.t(params["reason_zh"], params.get("reason_en", ""))
        if error.code == "INVALID_AMOUNT":
            return p.t(f"金额有误：{reason}。请以“元”填写，最多两位小数，例如 100.50。",
                       f"The amount is not right: {reason}. Write it in yuan with at most two decimals, e.g. 100.50.")
        return p.t(f"{reason}。", f"{reason[:1].upper()}{reason[1:]}.")
    if error.code == "DATE_IN_PAST":
        return p.t(f"开始日期不能早于今天（{params.get('today')}），请选择今天或以后的日期。",
                   f"The first day may not be before today ({params.get('today')}); choose today or later.")
    return p.message(error)


def _errors(p: Page, error: GongjiError, fields: tuple[str, ...]) -> dict[str, str]:
    """``{field: message}`` for a refused form; a field the form does not have gets the message on top."""
    name = PORTAL_FIELD_OF.get(error.code)
    if name is None:
        ((name, _),) = p.field_errors(error).items()
    return {name if name in fields else "": _message(p, error)}


def _required(values: dict[str, str], errors: dict[str, str], name: str, zh: str, en: str, p: Page) -> str:
    if not values.get(name):
        errors[name] = p.t(zh, en)
    return values.get(name, "")


def _check_id_number(p: Page, values: dict[str, str], errors: dict[str, str], *, who_zh: str, who_en: str) -> None:
    number = _required(values, errors, "id_number", f"请填写{who_zh}的身份证号码。", f"Enter {who_en}'s ID number.", p)
    if number:
        try:
            values["id_number"] = parse_id_number(number).number
        except GongjiError as error:
            errors["id_number"] = _message(p, error)


def _same_name(given: str, registered: str) -> bool:
    return "".join(given.split()) == "".join(registered.split())


def _check_name(p: Page, given: str, registered: str) -> None:
    """HLJ-7: the relative's name as typed must be the name registered with the ID number."""
    if not _same_name(given, registered):
        raise Refused({"name": p.t("姓名与身份证号码不一致。请核对亲属的姓名（与身份证上相同）和身份证号码。",
                                   "The name does not match the ID number. Check the relative's name (as on the "
                                   "ID card) and ID number.")})


# -- log in, log out, home -------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
async def login_form(p: P, next: str | None = None) -> HTMLResponse:
    if p.principal is not None and p.principal.person_id is not None:
        return p.redirect(_safe_next(next))
    return p.render("portal/login.html", next=_safe_next(next), asks_password=provider_from_env().asks_password)


@router.post("/login", response_class=HTMLResponse)
async def login(p: P) -> HTMLResponse:
    form = await p.form()
    provider = provider_from_env()
    minutes = p.settings.person_session_minutes
    try:
        if provider.asks_password:  # a password can be guessed: tries are counted (gongji/auth/throttle.py)
            login_ = await run_in_threadpool(
                throttle.guarded_login, p.db, p.env, throttle.Limits.of(p.settings), kind=throttle.PERSON,
                identifier=form.get("id_number", ""), client=throttle.client_of(p.request),
                login=lambda s: provider.login(s, p.env, p.request, form, minutes))
        else:
            login_ = await p.write(lambda s: provider.login(s, p.env, p.request, form, minutes))
    except GongjiError as error:
        values = {"id_number": form.get("id_number", "")}
        return p.render("portal/login.html", status_code=429 if error.status == 429 else 400,
                        errors=p.field_errors(error), values=values,
                        next=_safe_next(form.get("next")), asks_password=provider.asks_password)
    response = p.redirect(_safe_next(form.get("next")))
    p.start_session(response, login_)
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
        return {
            "me": _load_me(s, p.env, me_.person_id),
            "bindings": records.authorization_records(s, person_id=me_.person_id, today=today,
                                                      include_ended=False).items,
            "paid_by_me": records.payments_as_payer(s, person_id=me_.person_id, limit=5).items,
            "paid_for_me": records.paid_for_me(s, person_id=me_.person_id, limit=5).items,
            "wallet": _wallet_summary(s, me_.person_id),
        }

    data = await p.read(facts)
    return _show(p, data.pop("me"), "portal/home.html", nav="home", **data)


# -- binding a relative (HLJ-6, HLJ-7, N-7, HN-3, WL-1) ----------------------------------------------

BIND_FIELDS = ("name", "id_number", "phone", "relationship", "start_on", "end_on", "priority", "agreement",
               "proof", "proof_kind")
#: What a payer may upload as proof of the relationship (HN-3).
PROOF_KINDS = (DocumentKind.MARRIAGE_CERTIFICATE, DocumentKind.HOUSEHOLD_REGISTER, DocumentKind.BIRTH_CERTIFICATE,
               DocumentKind.COMMITMENT_LETTER, DocumentKind.OTHER)
#: Accepted proof files, by their first bytes: PDF, JPEG, PNG.
PROOF_TYPES = ((b"%PDF-", "pdf"), (b"\xff\xd8\xff", "jpg"), (b"\x89PNG\r\n\x1a\n", "png"))


def upload_dir() -> Path:
    """Where uploaded proof is kept: ``GONGJI_UPLOAD_DIR`` (default ``uploads``); a binding keeps the file's path."""
    return Path(os.environ.get("GONGJI_UPLOAD_DIR", "uploads"))


def _proof_limit(p: Page) -> int:
    """The largest proof file the form takes: what fits in a request, less room for the other fields."""
    return max(1024, p.settings.max_body_bytes - 16 * 1024)


def agreement_points(p: Page, policy: RegionPolicy) -> list[str]:
    """N-7: what accepting the region's authorization agreement means, in plain words, from its policy."""
    uses = p.t("、", ", ").join(p.t(u.zh, u.en) for u in policy.uses_for_relatives)
    funds = p.t("和", " and ").join(p.t(f.zh, f.en) for f in policy.funds_for_relatives)
    points = [
        p.t(f"我自愿授权用本人职工医保个人账户（{funds}）为这位亲属支付：{uses}。",
            f"I agree that my employee personal account ({funds}) pays for this relative: {uses}."),
        p.t("我的账户先支付我本人的费用；只用个人账户的钱，不动用统筹基金，不影响我本人和亲属的医保待遇。",
            "My account pays my own bills first; only personal-account money is used, never the pooled fund, "
            "and neither my nor my relative's insurance benefits change."),
        p.t("我承诺所填亲属关系真实。家庭关系实行个人承诺制，虚假承诺须承担相应法律责任。",
            "I declare that the relationship is true. It rests on my own commitment, and a false statement "
            "carries legal responsibility."),
    ]
    if policy.reserve_line_fen:
        line = f"{policy.reserve_line_fen // 100}"
        points.append(p.t(f"只有超过 {line} 元的账户余额才能用于亲属。",
                          f"Only the balance above {line} yuan can pay for relatives."))
    wait = policy.rebind_wait_days
    points.append(
        p.t("我可以随时在“授权记录”中解除绑定" + (f"；解除后 {wait} 天内不能再次绑定同一亲属。" if wait else "。"),
            "I can end the binding at any time under Authorizations"
            + (f"; after that the same relative cannot be bound again for {wait} days." if wait else "."))
    )
    return points


@dataclass
class BindContext:
    me: Me
    family_members: list[dict[str, Any]] = field(default_factory=list)


def _bind_context(s: Session, env: Env, person_id: int) -> BindContext:
    me = _load_me(s, env, person_id)
    members = []
    if me.family_id is not None:
        family = authorizations.get_family(s, me.family_id)
        if family.householder_id == me.id:
            for row in authorizations.family_members(s, family.id):
                person = people.get(s, row.person_id)
                members.append({"name": person.name, "id_number": mask(person.id_number),
                                "relationship": row.relationship})
    return BindContext(me=me, family_members=members)


def _bind_page(p: Page, ctx: BindContext, *, values: dict[str, str], errors: dict[str, str],
               status_code: int = 200, proof_lost: bool = False) -> HTMLResponse:
    me = ctx.me
    relationships = [("", p.t("请选择", "Choose"))] + [(r.value, p.t(r.zh, r.en))
                                                      for r in me.policy.allowed_relationships]
    return _show(p, me, "portal/bind.html", nav="bind", status_code=status_code, values=values, errors=errors,
                 relationships=relationships, family_members=ctx.family_members,
                 agreement_points=agreement_points(p, me.policy),
                 proof_kinds=[(k.value, p.t(k.zh, k.en)) for k in PROOF_KINDS],
                 proof_limit_kb=_proof_limit(p) // 1024, proof_lost=proof_lost)


@router.get("/bind", response_class=HTMLResponse)
async def bind_form(p: P) -> HTMLResponse:
    """绑定亲属 (HLJ-7): my data from the login; the relative's name, ID number, phone and relationship."""
    who = p.person()
    ctx = await p.read(lambda s: _bind_context(s, p.env, who.person_id))
    values = {"start_on": p.env.today().isoformat(), "proof_kind": DocumentKind.HOUSEHOLD_REGISTER.value}
    return _bind_page(p, ctx, values=values, errors={})


def _check_proof(p: Page, policy: RegionPolicy, upload: Any, values: dict[str, str],
                 errors: dict[str, str]) -> tuple[bytes, str] | None:
    """HN-3: the uploaded proof file, if any: (its content, its file extension). Its kind is checked too."""
    if policy.proof_documents is ProofPolicy.NONE:
        return None
    content = b""
    if isinstance(upload, UploadFile) and upload.filename:
        content = upload.file.read(_proof_limit(p) + 1)
    if not content:
        if policy.proof_documents is ProofPolicy.REQUIRED:
            errors["proof"] = p.message(GongjiError("PROOF_REQUIRED"))
        return None
    if len(content) > _proof_limit(p):
        errors["proof"] = p.t(f"文件太大：请上传不超过 {_proof_limit(p) // 1024} KB 的照片或PDF文件。",
                              f"The file is too large: upload a photo or PDF of at most {_proof_limit(p) // 1024} KB.")
        return None
    extension = next((ext for magic, ext in PROOF_TYPES if content.startswith(magic)), None)
    if extension is None:
        errors["proof"] = p.t("只能上传照片（JPG、PNG）或PDF文件。", "Upload a photo (JPG, PNG) or a PDF file.")
        return None
    if values.get("proof_kind") not in {k.value for k in PROOF_KINDS}:
        errors["proof_kind"] = p.t("请选择证明材料的类型。", "Choose what the document is.")
        return None
    return content, extension


@router.post("/bind", response_class=HTMLResponse)
async def bind(p: P) -> HTMLResponse:
    who = p.person()
    form = await p.form()
    upload = (await p.request.form()).get("proof")
    ctx = await p.read(lambda s: _bind_context(s, p.env, who.person_id))
    me, policy, today = ctx.me, ctx.me.policy, p.env.today()
    values = {k: form.get(k, "").strip() for k in BIND_FIELDS if k != "proof"}
    errors: dict[str, str] = {}

    name = _required(values, errors, "name", "请填写亲属的姓名。", "Enter the relative's name.", p)
    _check_id_number(p, values, errors, who_zh="亲属", who_en="the relative")
    phone = values.get("phone") or None
    try:
        people.check_phone(phone)
    except GongjiError as error:
        errors["phone"] = _message(p, error)
    relationship = _required(values, errors, "relationship", "请选择这位亲属是您的什么人。",
                             "Choose what the relative is to you.", p)
    start_on = values.get("start_on") or today.isoformat()
    end_on = values.get("end_on") or None
    priority: int | None = None
    if me.uses_priority and values.get("priority"):
        if values["priority"].isdigit() and 1 <= int(values["priority"]) <= 99:
            priority = int(values["priority"])
        else:
            errors["priority"] = p.t("支付顺序请填1至99的数字，1最先支付。",
                                     "The payment order is a number from 1 to 99; 1 pays first.")
    accepted = form.get("agreement") == "yes"
    if not accepted:
        errors["agreement"] = p.message(GongjiError("CONSENT_REQUIRED", agreement=policy.agreement_title,
                                                    version=policy.agreement_version))
    proof = _check_proof(p, policy, upload, values, errors)
    chose_file = isinstance(upload, UploadFile) and bool(upload.filename)
    if errors:
        return _bind_page(p, ctx, values=values, errors=errors, status_code=400, proof_lost=chose_file)

    file_ref = None
    documents: list[dict[str, str | None]] = []
    if proof is not None:
        file_ref = f"portal/{today:%Y-%m}/{secrets.token_hex(16)}.{proof[1]}"
        documents.append({"kind": values["proof_kind"], "file_ref": file_ref})
    agreement_version = form.get("agreement_version") or policy.agreement_version

    def work(s: Session) -> int:
        relative = people.find(s, values["id_number"])
        _check_name(p, name, relative.name)
        binding = authorizations.bind(
            s, p.env, payer_id_number=me.id_number, beneficiary_id_number=relative.id_number,
            relationship=relationship, actor=who.actor(Channel.PORTAL), agreement_version=agreement_version,
            start_on=start_on, end_on=end_on, priority=priority, documents=documents)
        # The proof is written before the commit, under a name drawn once outside the transaction: a retried
        # transaction writes the same bytes to the same file, and a committed binding always has its file. A
        # transaction that fails after this line leaves a file no binding refers to (harmless, never shown).
        if proof is not None and file_ref is not None:
            path = upload_dir() / file_ref
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(proof[0])
        return binding.id

    try:
        await p.write(work)
    except GongjiError as error:
        return _bind_page(p, ctx, values=values, errors=_errors(p, error, BIND_FIELDS), status_code=400,
                          proof_lost=chose_file)
    except Refused as refused:
        return _bind_page(p, ctx, values=values, errors=refused.errors, status_code=400, proof_lost=chose_file)
    return p.redirect("/portal/records", flash="bound")


# -- authorization records, unbinding (HLJ-8, HLJ-2, D-4) ---------------------------------------------


@dataclass(frozen=True)
class RecordRow:
    record: records.AuthorizationRecord
    is_open: bool
    rebind_from: date | None  # D-4: ended by someone in a region with a wait, the pair not bound again


def _records(s: Session, env: Env, person_id: int) -> dict[str, Any]:
    me = _load_me(s, env, person_id)
    today = env.today()
    page_ = records.authorization_records(s, person_id=person_id, today=today, include_ended=True, limit=ROWS)
    ids = [r.binding_id for r in page_.items]
    bindings = {b.id: b for b in s.execute(select(Binding).where(Binding.id.in_(ids))).scalars()} if ids else {}
    open_pairs = {(b.payer_id, b.beneficiary_id) for b in bindings.values()
                  if binding_rules.is_open(end_on=b.end_on, ended_on=b.ended_on, today=today)}
    rows = []
    for record in page_.items:
        binding = bindings[record.binding_id]
        pair = (binding.payer_id, binding.beneficiary_id)
        is_open = binding_rules.is_open(end_on=binding.end_on, ended_on=binding.ended_on, today=today)
        rebind = None
        if binding.ended_on is not None and binding.end_reason != EndReason.EXPIRED.value and pair not in open_pairs:
            rebind = binding_rules.rebind_possible_from(binding.ended_on, env.policy(binding.region_code))
        rows.append(RecordRow(record=record, is_open=is_open, rebind_from=rebind))
    return {"me": me, "rows": rows, "total": page_.total}


async def _records_page(p: Page, person_id: int, *, errors: dict[str, str] | None = None,
                        status_code: int = 200) -> HTMLResponse:
    data = await p.read(lambda s: _records(s, p.env, person_id))
    return _show(p, data.pop("me"), "portal/records.html", nav="records", status_code=status_code,
                 errors=errors or {}, **data)


@router.get("/records", response_class=HTMLResponse)
async def records_page(p: P) -> HTMLResponse:
    """授权记录 (HLJ-8, N-9): every binding where I pay or am paid for; unbinding from here."""
    return await _records_page(p, p.person().person_id)


@router.post("/bindings/{binding_id}/unbind", response_class=HTMLResponse)
async def unbind(binding_id: int, p: P) -> HTMLResponse:
    """HLJ-8: either side ends a binding; the page then shows from when binding again is possible (HLJ-2)."""
    who = p.person()
    await p.form()

    def work(s: Session) -> None:
        binding = authorizations.get(s, binding_id)
        if who.person_id not in (binding.payer_id, binding.beneficiary_id):  # someone else's: as if not there
            raise GongjiError("BINDING_NOT_FOUND", binding_id=str(binding_id)[:20])
        authorizations.unbind(s, p.env, binding_id=binding_id, actor=who.actor(Channel.PORTAL))

    try:
        await p.write(work)
    except GongjiError as error:
        return await _records_page(p, who.person_id, errors={"": _message(p, error)}, status_code=400)
    return p.redirect("/portal/records", flash="unbound")


# -- families (HN-1, HN-7) ---------------------------------------------------------------------------

FAMILY_FIELDS = ("name", "id_number", "relationship")


def _family(s: Session, env: Env, person_id: int) -> dict[str, Any]:
    me = _load_me(s, env, person_id)
    family = None
    if me.family_id is not None:
        row = authorizations.get_family(s, me.family_id)
        holder = people.get(s, row.householder_id)
        members = []
        for member in authorizations.family_members(s, row.id):
            person = people.get(s, member.person_id)
            members.append({"person_id": person.id, "name": person.name, "relationship": member.relationship,
                            "id_number": person.id_number if person.id == me.id else mask(person.id_number),
                            "joined_at": member.joined_at, "is_me": person.id == me.id})
        family = {"id": row.id, "name": row.name, "householder_name": holder.name,
                  "householder_id_number": holder.id_number if holder.id == me.id else mask(holder.id_number),
                  "i_lead": holder.id == me.id, "members": members}
    return {"me": me, "family": family}


async def _family_page(p: Page, person_id: int, *, values: dict[str, str] | None = None,
                       errors: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    data = await p.read(lambda s: _family(s, p.env, person_id))
    me = data["me"]
    relationships = [("", p.t("请选择", "Choose"))] + [(r.value, p.t(r.zh, r.en))
                                                      for r in me.policy.allowed_relationships]
    if values is None:
        values = {"name": p.t(f"{me.name}的家庭", f"{me.name}'s family")} if data["family"] is None else {}
    return _show(p, me, "portal/family.html", nav="family", status_code=status_code, family=data["family"],
                 relationships=relationships, values=values, errors=errors or {})


@router.get("/family", response_class=HTMLResponse)
async def family_page(p: P) -> HTMLResponse:
    """家庭共济网 (HN-1, HN-7): create a family, add and remove members, leave."""
    return await _family_page(p, p.person().person_id)


async def _family_action(p: Page, work: Callable[[Session], str | None], *, flash: str,
                         values: dict[str, str] | None = None) -> HTMLResponse:
    who = p.person()
    try:
        answer = await p.write(work)
    except GongjiError as error:
        return await _family_page(p, who.person_id, values=values or {}, status_code=400,
                                  errors=_errors(p, error, FAMILY_FIELDS if values else ()))
    except Refused as refused:
        return await _family_page(p, who.person_id, values=values or {}, errors=refused.errors, status_code=400)
    return p.redirect("/portal/family", flash=answer or flash)


def _my_family(s: Session, person_id: int, p: Page):
    family_id = authorizations.family_of(s, person_id)
    if family_id is None:
        raise Refused({"": p.t("您目前不在任何共济家庭中。", "You are not in a mutual-aid family.")})
    return authorizations.get_family(s, family_id)


@router.post("/family", response_class=HTMLResponse)
async def create_family(p: P) -> HTMLResponse:
    """HN-1: the payer creates a family and becomes its householder."""
    who = p.person()
    form = await p.form()
    values = {"name": form.get("name", "").strip()}
    if not values["name"]:
        return await _family_page(p, who.person_id, values=values, status_code=400,
                                  errors={"name": p.t("请填写家庭名称。", "Give the family a name.")})

    def work(s: Session) -> None:
        me = people.get(s, who.person_id)
        authorizations.create_family(s, p.env, householder_id_number=me.id_number, name=values["name"],
                                     actor=who.actor(Channel.PORTAL))

    return await _family_action(p, work, flash="family_created", values=values)


@router.post("/family/members", response_class=HTMLResponse)
async def add_member(p: P) -> HTMLResponse:
    """HN-1: the householder adds a close relative by name, ID number and relationship."""
    who = p.person()
    form = await p.form()
    values = {k: form.get(k, "").strip() for k in FAMILY_FIELDS}
    errors: dict[str, str] = {}
    name = _required(values, errors, "name", "请填写亲属的姓名。", "Enter the relative's name.", p)
    _check_id_number(p, values, errors, who_zh="亲属", who_en="the relative")
    relationship = _required(values, errors, "relationship", "请选择这位亲属是您的什么人。",
                             "Choose what the relative is to you.", p)
    if errors:
        return await _family_page(p, who.person_id, values=values, errors=errors, status_code=400)

    def work(s: Session) -> None:
        family = _my_family(s, who.person_id, p)
        relative = people.find(s, values["id_number"])
        _check_name(p, name, relative.name)
        authorizations.add_member(s, p.env, family_id=family.id, member_id_number=relative.id_number,
                                  relationship=relationship, actor=who.actor(Channel.PORTAL))

    return await _family_action(p, work, flash="member_added", values=values)


def _member_of(s: Session, family_id: int, person_id: int, p: Page):
    """A member of the family, by person number; anyone else is refused without saying who he is."""
    if not any(row.person_id == person_id for row in authorizations.family_members(s, family_id)):
        raise Refused({"": p.t("该成员不在您的家庭中，请刷新页面后再试。",
                               "That member is not in your family; reload the page and try again.")})
    return people.get(s, person_id)


@router.post("/family/members/{person_id}/relationship", response_class=HTMLResponse)
async def update_member(person_id: int, p: P) -> HTMLResponse:
    """HN-7: the householder corrects what a member is to him."""
    who = p.person()
    form = await p.form()

    def work(s: Session) -> None:
        family = _my_family(s, who.person_id, p)
        member = _member_of(s, family.id, person_id, p)
        authorizations.update_member(s, p.env, family_id=family.id, member_id_number=member.id_number,
                                     relationship=form.get("relationship", ""), actor=who.actor(Channel.PORTAL))

    return await _family_action(p, work, flash="member_updated")


@router.post("/family/members/{person_id}/remove", response_class=HTMLResponse)
async def remove_member(person_id: int, p: P) -> HTMLResponse:
    """HN-7: the householder removes a member; the member's bindings in the family end with it."""
    who = p.person()
    await p.form()

    def work(s: Session) -> None:
        family = _my_family(s, who.person_id, p)
        member = _member_of(s, family.id, person_id, p)
        authorizations.remove_member(s, p.env, family_id=family.id, member_id_number=member.id_number,
                                     actor=who.actor(Channel.PORTAL))

    return await _family_action(p, work, flash="member_removed")


@router.post("/family/leave", response_class=HTMLResponse)
async def leave_family(p: P) -> HTMLResponse:
    """HN-7: a member leaves (his bindings in the family end); a householder without members dissolves it."""
    who = p.person()
    await p.form()

    def work(s: Session) -> str:
        family = _my_family(s, who.person_id, p)
        me = people.get(s, who.person_id)
        authorizations.leave_family(s, p.env, family_id=family.id, member_id_number=me.id_number,
                                    actor=who.actor(Channel.PORTAL))
        return "family_dissolved" if family.householder_id == me.id else "left_family"

    return await _family_action(p, work, flash="left_family")


# -- payments (N-9, HN-6) --------------------------------------------------------------------------

MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def _month_start(value: str | None, today: date) -> date | None:
    """The first day of ``YYYY-MM`` (None if malformed); the current month if not given."""
    if not value:
        return today.replace(day=1)
    found = MONTH.match(value)
    if not found or not 2000 <= int(found.group(1)) <= 2100 or not 1 <= int(found.group(2)) <= 12:
        return None
    return date(int(found.group(1)), int(found.group(2)), 1)


def _month_end(start: date) -> date:
    return start.replace(day=calendar.monthrange(start.year, start.month)[1])


def _add_months(start: date, months: int) -> date:
    index = start.year * 12 + start.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _all(fetch: Callable[..., records.Page], **kwargs: Any) -> list[Any]:
    """Every row of a paged record query (a year of payments for the chart)."""
    items: list[Any] = []
    while True:
        page_ = fetch(limit=ROWS, offset=len(items), **kwargs)
        items.extend(page_.items)
        if not page_.items or len(items) >= page_.total:
            return items


def _payments(s: Session, env: Env, person_id: int, start: date) -> dict[str, Any]:
    me = _load_me(s, env, person_id)
    end = _month_end(start)
    window = {"person_id": person_id, "from_on": start, "to_on": end, "limit": ROWS}
    consumption = records.consumption_as_patient(s, **window)
    changes = records.account_changes(s, **window) if me.balances is not None else None
    by_me = records.payments_as_payer(s, **window)
    for_me = records.paid_for_me(s, **window)
    first = _add_months(start, -11)
    year = _all(records.payments_as_payer, session=s, person_id=person_id, from_on=first, to_on=end)
    per_month: dict[tuple[int, int], int] = {}
    for item in year:
        key = (item.on.year, item.on.month)
        per_month[key] = per_month.get(key, 0) + item.amount_fen - item.refunded_fen
    chart = []
    for i in range(12):
        month = _add_months(first, i)
        chart.append({"month": month, "fen": per_month.get((month.year, month.month), 0)})
    latest = None
    if not (consumption.items or (changes and changes.items) or by_me.items or for_me.items):
        # Nothing this month: point to the newest month that has something, so an empty page does not look
        # like lost records (seen on the demo, whose story lies months back).
        newest = [page.items[0].on for page in (
            records.consumption_as_patient(s, person_id=person_id, to_on=end, limit=1),
            records.payments_as_payer(s, person_id=person_id, to_on=end, limit=1),
            records.paid_for_me(s, person_id=person_id, to_on=end, limit=1),
            *([records.account_changes(s, person_id=person_id, to_on=end, limit=1)] if me.balances else []),
        ) if page.items]
        latest = max(newest).replace(day=1) if newest else None
    return {"me": me, "consumption": consumption, "changes": changes, "by_me": by_me, "for_me": for_me,
            "chart": chart, "latest": latest}


@router.get("/payments", response_class=HTMLResponse)
async def payments_page(p: P, month: str | None = None) -> HTMLResponse:
    """消费记录与账户变动 (N-9, HN-6): my bills, my account's changes, what I paid for relatives and they for me,
    for one month; and a chart of the last twelve months paid for relatives."""
    who = p.person()
    today = p.env.today()
    start = _month_start(month, today)
    errors = {}
    if start is None:
        errors["month"] = p.t("月份格式应为“年-月”，例如 2025-06。", "Write the month as year-month, e.g. 2025-06.")
        start = today.replace(day=1)
    data = await p.read(lambda s: _payments(s, p.env, who.person_id, start))
    top = max([c["fen"] for c in data["chart"]] + [1])
    for bar in data["chart"]:
        bar["percent"] = round(100 * max(bar["fen"], 0) / top)
    this_month = today.replace(day=1)
    return _show(p, data.pop("me"), "portal/payments.html", nav="payments", status_code=400 if errors else 200,
                 errors=errors, values={"month": f"{start:%Y-%m}"}, start=start,
                 previous=f"{_add_months(start, -1):%Y-%m}",
                 following=f"{_add_months(start, 1):%Y-%m}" if start < this_month else None, **data)


# -- transfers of prior-years funds (HZ-1..HZ-4) -----------------------------------------------------

TRANSFER_FIELDS = ("relationship", "name", "id_number", "amount", "agreement")


class _DryRun(Exception):
    """Ends a transaction that tried a transfer, so that nothing of it is kept."""


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
    me = _load_me(s, env, person_id)
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
    relationships = [("", p.t("请选择", "Choose"))] + [(r.value, p.t(r.zh, r.en))
                                                      for r in me.policy.allowed_relationships]
    return _show(p, me, "portal/transfers.html", nav="transfers", status_code=status_code, values=values or {},
                 errors=errors or {}, relationships=relationships, points=transfer_points(p, me.policy),
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
    errors: dict[str, str] = {}
    relationship = _required(values, errors, "relationship", "请选择这位亲属是您的什么人。",
                             "Choose what the relative is to you.", p)
    name = _required(values, errors, "name", "请填写亲属的姓名。", "Enter the relative's name.", p)
    _check_id_number(p, values, errors, who_zh="亲属", who_en="the relative")
    amount_fen = _amount_fen(p, values, errors, "划转")
    me = await p.read(lambda s: _load_me(s, p.env, who.person_id))
    policy = me.policy
    if values.get("agreement") != "yes":
        errors["agreement"] = p.message(GongjiError("CONSENT_REQUIRED", agreement=policy.agreement_title,
                                                    version=policy.agreement_version))
    if errors:
        return await _transfer_page(p, who.person_id, values=values, errors=errors, status_code=400)
    key = form.get("key", "") if step == "confirm" else f"portal-{secrets.token_urlsafe(18)}"
    agreement_version = form.get("agreement_version") or policy.agreement_version

    def work(s: Session) -> Any:
        relative = people.find(s, values["id_number"])
        _check_name(p, name, relative.name)
        row = transfers.transfer(s, p.env, payer_id_number=me.id_number, beneficiary_id_number=relative.id_number,
                                 relationship=relationship, amount_fen=amount_fen,
                                 agreement_version=agreement_version, idempotency_key=key,
                                 actor=who.actor(Channel.PORTAL))
        if step != "confirm":
            raise _DryRun({"relative_name": relative.name, "relative_id_number": mask(relative.id_number)})
        return row.id

    try:
        transfer_id = await p.write(work)
    except _DryRun as tried:
        prior = me.balances.prior_years_fen if me.balances else 0
        return _show(p, me, "portal/transfer_confirm.html", nav="transfers", values=values, key=key,
                     amount_fen=amount_fen, prior_after_fen=prior - amount_fen, **tried.args[0])
    except GongjiError as error:
        return await _transfer_page(p, who.person_id, values=values, status_code=400,
                                    errors=_errors(p, error, TRANSFER_FIELDS))
    except Refused as refused:
        return await _transfer_page(p, who.person_id, values=values, errors=refused.errors, status_code=400)
    return p.redirect(f"/portal/transfers?done={transfer_id}", flash="transferred")


# -- notifications (HZ-4, N-9) ---------------------------------------------------------------------

NOTIFICATIONS_PER_PAGE = 20


async def _notifications_page(p: Page, person_id: int, number: int, *, errors: dict[str, str] | None = None,
                              status_code: int = 200) -> HTMLResponse:
    def facts(s: Session) -> dict[str, Any]:
        listed = notifications.list_for(s, person_id=person_id, language=p.language, limit=NOTIFICATIONS_PER_PAGE,
                                        offset=(number - 1) * NOTIFICATIONS_PER_PAGE)
        return {"me": _load_me(s, p.env, person_id), "items": listed.items, "total": listed.total}

    data = await p.read(facts)
    pages = max(1, -(-data["total"] // NOTIFICATIONS_PER_PAGE))
    return _show(p, data.pop("me"), "portal/notifications.html", nav="notifications", status_code=status_code,
                 errors=errors or {}, number=number, pages=pages, **data)


@router.get("/notifications", response_class=HTMLResponse)
async def notifications_page(p: P, page: int = 1) -> HTMLResponse:
    """消息: what I was told about bindings, payments, transfers and my family, newest first."""
    return await _notifications_page(p, p.person().person_id, max(1, min(page, 10_000)))


@router.post("/notifications/read", response_class=HTMLResponse)
async def mark_read(p: P) -> HTMLResponse:
    """Mark one message read (``notification_id``), or all of them."""
    who = p.person()
    form = await p.form()
    chosen = form.get("notification_id", "")

    def work(s: Session) -> None:
        if not chosen:
            notifications.mark_all_read(s, p.env, person_id=who.person_id)
        elif not chosen.isdigit() or len(chosen) > 18:
            raise GongjiError("NOTIFICATION_NOT_FOUND", notification_id=chosen[:20])
        else:
            notifications.mark_read(s, p.env, person_id=who.person_id, notification_id=int(chosen))

    try:
        await p.write(work)
    except GongjiError as error:
        return await _notifications_page(p, who.person_id, 1, errors={"": _message(p, error)}, status_code=400)
    return p.redirect("/portal/notifications", flash="read")


# -- the medical insurance wallet (WAL-1..WAL-4, HN-9) ---------------------------------------------

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


def _yuan(fen: int) -> str:
    """Yuan as people write them: 2000, or 2000.50."""
    return str(fen // 100) if fen % 100 == 0 else fen_to_yuan(fen)


def _new_key() -> str:
    """An idempotency key drawn when a page shows a form: sending that form twice acts once."""
    return f"portal-{secrets.token_urlsafe(18)}"


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
                     refusal=refusal, can_accept=can_accept, key=_new_key() if can_accept else "")


def wallet_limits(p: Page, policy: RegionPolicy) -> list[str]:
    """WAL-2, WAL-3, WAL-4 in plain words, with the payer's region's own limits and hours."""
    count, most = policy.wallet_transfers_per_day, _yuan(policy.wallet_transfer_max_fen)
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
        line = _yuan(policy.reserve_line_fen)
        points.append(p.t(f"只有超过 {line} 元的账户余额才能转出。", f"Only the balance above {line} yuan can be sent."))
    points += [
        p.t("亲属在外省参保时，勾选“亲属在外省参保”并选择省份，钱经全国医保平台转入，到达前显示“在途”。",
            "If the relative is insured in another province, tick the box and choose the province: the money goes "
            "through the national platform and shows “on its way” until it arrives."),
        p.t("我承诺所填亲属关系真实，虚假承诺须承担相应法律责任。",
            "I declare that the relationship is true; a false statement carries legal responsibility."),
    ]
    return points


def _wallet_summary(s: Session, person_id: int) -> dict[str, Any] | None:
    """WAL-1: the person's wallet (status, balance), or None if he has not opened one."""
    row = wallets.wallet_of(s, person_id)
    if row is None:
        return None
    return {"status": row.status, "balance_fen": s.get(Account, row.account_id).balance_fen,
            "opened_at": row.opened_at, "account_id": row.account_id}


def _wallet(s: Session, p: Page, person_id: int) -> dict[str, Any]:
    me = _load_me(s, p.env, person_id)
    wallet = _wallet_summary(s, person_id)
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
    return _show(p, data.pop("me"), "portal/wallet.html", nav="wallet", tab="wallet", status_code=status_code,
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

    try:
        await p.write(work)
    except GongjiError as error:
        return await _wallet_page(p, who.person_id, errors={"": _message(p, error)}, status_code=400)
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

    try:
        await p.write(work)
    except GongjiError as error:
        return await _wallet_page(p, who.person_id, errors={"": _message(p, error)}, status_code=400)
    return p.redirect("/portal/wallet", flash="wallet_accepted")


def _send_context(p: Page, me: Me) -> dict[str, Any]:
    own = me.region_code[:2]
    return {
        "relationships": [("", p.t("请选择", "Choose"))] + [(r.value, p.t(r.zh, r.en))
                                                           for r in me.policy.allowed_relationships],
        "provinces": [("", p.t("请选择省份", "Choose the province"))]
                     + [(code, p.t(f"{zh}（{code}）", f"{en} ({code})")) for code, zh, en in PROVINCES if code != own],
        "points": wallet_points(p, me.policy),
    }


async def _wallet_send_page(p: Page, person_id: int, *, values: dict[str, str] | None = None,
                            errors: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    me = await p.read(lambda s: _load_me(s, p.env, person_id))
    return _show(p, me, "portal/wallet_send.html", nav="wallet", tab="send", status_code=status_code,
                 values=values or {}, errors=errors or {}, **_send_context(p, me))


@router.get("/wallet/send", response_class=HTMLResponse)
async def wallet_send_form(p: P) -> HTMLResponse:
    """转入亲属医保钱包 (WAL-1..WAL-3, HN-9): the notice with the region's limits, and the form."""
    return await _wallet_send_page(p, p.person().person_id)


def _amount_fen(p: Page, values: dict[str, str], errors: dict[str, str], verb_zh: str) -> int:
    """The form's ``amount`` in yuan as fen, exact; 0 with its error noted when missing, malformed or not above zero
    (``verb_zh``: 划转, 转入, as the form says it)."""
    if not _required(values, errors, "amount", f"请填写{verb_zh}金额（元）。", "Enter the amount in yuan.", p):
        return 0
    try:
        amount_fen = yuan_to_fen(values["amount"], field="amount")
    except GongjiError as error:
        errors["amount"] = _message(p, error)
        return 0
    if amount_fen <= 0:
        errors["amount"] = p.t(f"{verb_zh}金额须大于零。", "The amount must be above zero.")
    return amount_fen


def _check_wallet_send(p: Page, me: Me, values: dict[str, str]) -> tuple[dict[str, str], int, str | None]:
    """What the page itself can tell about the send form, all at once: (errors, amount in fen, province)."""
    errors: dict[str, str] = {}
    _required(values, errors, "relationship", "请选择这位亲属是您的什么人。", "Choose what the relative is to you.", p)
    _check_id_number(p, values, errors, who_zh="亲属", who_en="the relative")
    amount_fen = _amount_fen(p, values, errors, "转入")
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
    return errors, amount_fen, province


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
    me = await p.read(lambda s: _load_me(s, p.env, who.person_id))
    errors, amount_fen, province = _check_wallet_send(p, me, values)
    if errors:
        return await _wallet_send_page(p, who.person_id, values=values, errors=errors, status_code=400)
    key = form.get("key", "") if step == "confirm" else _new_key()

    def work(s: Session) -> int:
        row = wallets.send(s, p.env, payer_id_number=me.id_number, beneficiary_id_number=values["id_number"],
                           relationship=values["relationship"], amount_fen=amount_fen, idempotency_key=key,
                           actor=who.actor(Channel.PORTAL), beneficiary_province=province)
        if step != "confirm":
            relative = people.get(s, row.beneficiary_id) if row.beneficiary_id is not None else None
            raise _DryRun({"relative_name": relative.name if relative else None,
                           "relative_id_number": mask(row.beneficiary_id_number),
                           "across": row.direction == wallets.OUT,
                           "province": province_label(p, row.counterpart_province),
                           "current_year_fen": row.current_year_fen, "prior_years_fen": row.prior_years_fen,
                           "return_due_at": row.return_due_at})
        return row.id

    try:
        transfer_id = await p.write(work)
    except _DryRun as tried:
        return _show(p, me, "portal/wallet_confirm.html", nav="wallet", tab="send", values=values, key=key,
                     amount_fen=amount_fen, limits=wallet_limits(p, me.policy), **tried.args[0])
    except GongjiError as error:
        return await _wallet_send_page(p, who.person_id, values=values, status_code=400,
                                       errors=_errors(p, error, WALLET_SEND_FIELDS))
    return p.redirect(f"/portal/wallet/sent?done={transfer_id}", flash="wallet_sent")


def _wallet_sent(s: Session, p: Page, person_id: int, done: int | None) -> dict[str, Any]:
    me = _load_me(s, p.env, person_id)
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
    return _show(p, data.pop("me"), "portal/wallet_sent.html", nav="wallet", tab="sent", **data)
