"""What every page shares: the login cookie, CSRF, the language and text size, rendering, and errors in place.

Pages are server-rendered (Jinja2) and work without JavaScript: every main action is a plain form POST
answered with a redirect (303) or the same form again with the errors next to their fields. A page is one
transaction, like an API call: ``page.read(fn)`` / ``page.write(fn)``.

* **Login.** The session token of :mod:`gongji.auth` (the same as the API's bearer token) lives in an HttpOnly,
  SameSite=Lax cookie; it expires with the session (30 minutes for people, 8 hours for staff).
* **CSRF.** Every form carries a hidden ``csrf`` field equal to a random ``gongji_csrf`` cookie (SameSite=Strict,
  HttpOnly); a POST whose field does not match is refused before anything is read.
* **Language and size.** ``?lang=en`` / ``?lang=zh`` and ``?size=large`` / ``?size=normal`` are remembered in
  cookies; without a choice the language follows ``Accept-Language`` (Chinese by default).
* **Errors.** A :class:`~gongji.errors.GongjiError` is shown in the page's language; when it names a form
  field (``params["field"]``, or :data:`FIELD_OF` for codes that concern one field) it is shown next to it.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from sqlalchemy.orm import Session

from gongji.api.problems import language_of
from gongji.auth import service as auth
from gongji.auth.service import Principal, Role
from gongji.clock import CST
from gongji.errors import GongjiError
from gongji.money import fen_to_yuan
from gongji.people.ids import mask

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=HERE / "templates")

SESSION_COOKIE = "gongji_session"
CSRF_COOKIE = "gongji_csrf"
LANG_COOKIE = "gongji_lang"
SIZE_COOKIE = "gongji_size"
FLASH_COOKIE = "gongji_flash"
#: Set for FRESH_FOR_S seconds on the answer to a page that changed something: that browser's next pages read from
#: the primary, so a person sees the change just made even when stale-tolerant pages read from a standby.
FRESH_COOKIE = "gongji_fresh"
FRESH_FOR_S = 10
#: AG-1: the agency an agent acts through in the portal, bound to his login (:func:`acting_value`).
ACTING_COOKIE = "gongji_acting"

#: Error codes that are about one field of a form, when the error itself names none.
FIELD_OF = {
    "INVALID_ID_NUMBER": "id_number",
    "PERSON_NOT_FOUND": "id_number",
    "SELF_BINDING": "id_number",
    "REBIND_TOO_SOON": "id_number",
    "ALREADY_BOUND": "id_number",
    "RELATIONSHIP_NOT_ALLOWED": "relationship",
    "RELATIONSHIP_IMPLAUSIBLE": "relationship",
    "SPOUSE_ALREADY_BOUND": "relationship",
    "FAMILY_SPOUSE_EXISTS": "relationship",
    "UNKNOWN_RELATIONSHIP": "relationship",
    "CONSENT_REQUIRED": "agreement",
    "AGREEMENT_OUTDATED": "agreement",
    "DATE_IN_PAST": "start_on",
    "INVALID_PERIOD": "end_on",
    "INVALID_AMOUNT": "amount",
    "LOGIN_FAILED": "password",
    "LOGIN_THROTTLED": "password",
    "WEAK_PASSWORD": "password",
    "COUNTER_DOCUMENTS_MISSING": "documents",
    "ATTESTATION_UNSIGNED": "signed",
    "REFUND_EXCEEDS_PAID": "amount",
    "UNKNOWN_USE": "use",
    "INSTITUTION_CANNOT_SETTLE_USE": "use",
    "SETTLEMENT_NOT_FOUND": "settlement_id",
}


class LoginRequired(Exception):
    """Raised by a page that needs a login; answered with a redirect to the login page of its area."""

    def __init__(self, login_path: str, next_path: str) -> None:
        self.login_path, self.next_path = login_path, next_path


class CsrfRefused(Exception):
    """A form POST without the page's CSRF token (another site's form, or a stale page)."""


class ActingRefused(Exception):
    """AG-1: an agent acting for someone asked for a page his agency does not allow (or it has ended)."""

    def __init__(self, error: GongjiError) -> None:
        super().__init__(error.code)
        self.error = error


def acting_value(agency_id: int, token: str) -> str:
    """The acting cookie's value: the agency, bound to this login (a new login acts for nobody until chosen)."""
    import hashlib

    return f"{agency_id}.{hashlib.sha256(token.encode()).hexdigest()[:20]}"


#: Portal pages where an agent is always himself: logging in and out, and his agencies.
_HIMSELF = ("/portal/login", "/portal/logout", "/portal/agents")


@dataclass
class Page:
    request: Request
    principal: Principal | None
    token: str | None
    language: str
    large: bool
    csrf: str
    set_cookies: dict[str, str] = field(default_factory=dict)
    #: AG-1: the agent himself while he acts for ``principal`` (then the principal is the person acted for).
    agent: Principal | None = None
    acting_refused: GongjiError | None = None

    # -- who and where ---------------------------------------------------------------------------

    @property
    def app_state(self) -> Any:
        return self.request.app.state

    @property
    def db(self):
        return self.app_state.db

    @property
    def env(self):
        return self.app_state.env

    @property
    def settings(self):
        return self.app_state.settings

    def person(self) -> Principal:
        """The logged-in insured person, or a redirect to the portal's login."""
        if self.principal is None or self.principal.role is not Role.PERSON:
            raise LoginRequired("/portal/login", self.request.url.path)
        if self.acting_refused is not None:
            raise ActingRefused(self.acting_refused)
        return self.principal

    def may(self, path: str) -> bool:
        """Whether the menu offers the portal page ``path``: always to a person himself; to an agent acting for
        someone, the pages of the actions chosen (AG-1)."""
        if self.agent is None or self.principal is None:
            return True
        from gongji.agents import rules as agency_rules
        from gongji.agents import service as agencies

        action = agency_rules.portal_action(path)
        agency = self.acting_agency
        return action is not None and agency is not None and action in agencies.terms(agency).actions

    @property
    def acting_agency(self):
        return getattr(self, "_acting_agency", None)

    def staff(self) -> Principal:
        """The logged-in staff member (or administrator), or a redirect to the counter's login."""
        if self.principal is None or self.principal.role not in (Role.STAFF, Role.ADMIN):
            raise LoginRequired("/counter/login", self.request.url.path)
        return self.principal

    # -- words -----------------------------------------------------------------------------------

    def t(self, zh: str, en: str) -> str:
        return en if self.language == "en" else zh

    def message(self, error: GongjiError) -> str:
        return error.message(self.language)

    def field_errors(self, error: GongjiError) -> dict[str, str]:
        """``{field: message}`` for a form, or ``{"": message}`` when the error concerns the whole form."""
        name = error.params.get("field") if isinstance(error.params.get("field"), str) else None
        name = (name or FIELD_OF.get(error.code) or "").split(".")[-1]
        return {name: self.message(error)}

    # -- transactions ----------------------------------------------------------------------------

    async def read(self, fn: Callable[[Session], Any]) -> Any:
        return await run_in_threadpool(self.db.read, fn)

    async def read_stale(self, fn: Callable[[Session], Any]) -> Any:
        """A read that may be a second behind (records, statements, reports): from the standby when one is set
        (GONGJI_DATABASE_READ_URL), but from the primary for a browser that has just made a change (FRESH_COOKIE)."""
        if self.request.cookies.get(FRESH_COOKIE):
            return await run_in_threadpool(self.db.read, fn)
        return await run_in_threadpool(self.db.read_stale, fn)

    async def write(self, fn: Callable[[Session], Any]) -> Any:
        result = await run_in_threadpool(self.db.run, fn)
        self.request.state.gongji_wrote = True  # the answer sets FRESH_COOKIE (gongji.web.install)
        return result

    async def form(self) -> dict[str, str]:
        """The POSTed form as text fields, after the CSRF check."""
        data = await self.request.form()
        sent = data.get("csrf")
        if not isinstance(sent, str) or not hmac.compare_digest(sent, self.csrf):
            raise CsrfRefused()
        return {k: v for k, v in data.items() if isinstance(v, str)}

    # -- answers ---------------------------------------------------------------------------------

    def render(self, template: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
        flash = self.request.cookies.get(FLASH_COOKIE)
        response = templates.TemplateResponse(self.request, template, {
            "page": self, "t": self.t, "principal": self.principal, "lang": self.language, "large": self.large,
            "csrf": self.csrf, "flash": FLASHES.get(flash or ""), "flash_key": flash or "", "errors": {}, "values": {},
            **context,
        }, status_code=status_code)
        if flash:
            response.delete_cookie(FLASH_COOKIE, path="/")
        self._cookies(response)
        return response

    def redirect(self, url: str, *, flash: str | None = None) -> RedirectResponse:
        """303 See Other to ``url``, with a one-time notice for the next page (a key of :data:`FLASHES`)."""
        response = RedirectResponse(url, status_code=303)
        if flash:
            response.set_cookie(FLASH_COOKIE, flash, httponly=True, samesite="lax", path="/", max_age=60)
        self._cookies(response)
        return response

    def _cookies(self, response) -> None:
        secure = self.request.url.scheme == "https"
        for name, value in self.set_cookies.items():
            response.set_cookie(name, value, httponly=True, secure=secure, path="/",
                                samesite="strict" if name == CSRF_COOKIE else "lax", max_age=365 * 86400)

    def start_session(self, response, login: auth.Login) -> None:
        # A browser-session cookie: the server ends the login when its session expires (auth.resolve_token).
        response.set_cookie(SESSION_COOKIE, login.token, httponly=True, secure=self.request.url.scheme == "https",
                            samesite="lax", path="/")

    def end_session(self, response) -> None:
        response.delete_cookie(SESSION_COOKIE, path="/")

    async def log_out(self, login_path: str) -> RedirectResponse:
        """End the login (server session and cookie) after a CSRF-checked POST; back to ``login_path``."""
        await self.form()
        if self.token:
            await self.write(lambda s: auth.logout(s, self.env, self.token))
        response = self.redirect(login_path, flash="logged_out")
        self.end_session(response)
        return response


def safe_next(value: str | None, area: str) -> str:
    """Where to go after logging in: a path of ``area`` (``/portal``, ``/counter``) of this site, else its home."""
    return value if value and value.startswith(area) and "//" not in value and "\\" not in value else area


#: One-time notices after an action, by key: (中文, English).
FLASHES: dict[str, tuple[str, str]] = {
    "logged_out": ("您已安全退出。", "You have logged out."),
    "bound": ("绑定成功，共济关系已生效。", "The binding is in effect."),
    "unbound": ("已解除绑定。", "The binding has ended."),
    "family_created": ("家庭共济网已建立。", "The family has been created."),
    "member_added": ("已添加家庭成员。", "The member has been added."),
    "member_removed": ("已移出家庭成员。", "The member has been removed."),
    "left_family": ("您已退出该家庭。", "You have left the family."),
    "member_updated": ("已修改成员关系。", "The member's relationship has been corrected."),
    "family_dissolved": ("家庭共济网已解散。", "The family has been dissolved."),
    "transferred": ("划转成功。", "The transfer is done."),
    "read": ("消息已标为已读。", "Marked as read."),
    "refunded": ("退费已办理，款项已退回原支付账户。", "The refund is done; the money went back where it came from."),
    "cancelled": ("结算已撤销，未退的款项已全部按原支付方式退回（个人账户或现金）。",
                  "The settlement is cancelled; all money not yet refunded went back where it came from."),
    "attested": ("书面承诺已登记，本次费用已结算。", "The attestation is recorded and the bill is settled."),
    "expired": ("登录已超时，请重新登录。您填写的内容已保存在本机，登录后回到原来的页面。",
                "Your login has ended; please log in again. What you typed is kept on this device, and you "
                "go back to the form after logging in."),
    "csrf": ("页面已过期，请重新提交。", "The page had expired; please submit it again."),
}


async def page(request: Request) -> Page:
    """The dependency of every page: who is logged in (if anyone), the language, the size, the CSRF token."""
    state = request.app.state
    cookies = request.cookies
    set_cookies: dict[str, str] = {}
    language = request.query_params.get("lang") or cookies.get(LANG_COOKIE)
    if language not in ("zh", "en"):
        language = language_of(request.headers.get("accept-language"))
    elif request.query_params.get("lang"):
        set_cookies[LANG_COOKIE] = language
    size = request.query_params.get("size") or cookies.get(SIZE_COOKIE) or "normal"
    if request.query_params.get("size") in ("large", "normal"):
        set_cookies[SIZE_COOKIE] = size
    csrf = cookies.get(CSRF_COOKIE) or ""
    if len(csrf) != 32 or not csrf.isalnum():
        csrf = secrets.token_hex(16)
        set_cookies[CSRF_COOKIE] = csrf
    token = cookies.get(SESSION_COOKIE)
    principal = None
    if token and len(token) <= 200:
        try:
            principal = await run_in_threadpool(state.db.read, lambda s: auth.resolve_token(s, state.env, token))
        except GongjiError:
            principal, token = None, None
    else:
        token = None
    agent, refused, agency = None, None, None
    acting = cookies.get(ACTING_COOKIE)
    path = request.url.path
    if (principal is not None and principal.role is Role.PERSON and acting and token and "." in acting
            and (path == "/portal" or path.startswith("/portal/")) and not path.startswith(_HIMSELF)):
        agency_id, _ = acting.split(".", 1)
        if hmac.compare_digest(acting, acting_value(int(agency_id) if agency_id.isdigit() else 0, token)):
            from gongji.agents import rules as agency_rules
            from gongji.agents import service as agencies

            def resolve(s: Session):
                found = agencies.acting_principal(s, state.env, agent=principal, agency_id=agency_id,
                                                  action=agency_rules.portal_action(path))
                return found, agencies.get(s, found.agency_id)

            try:
                (principal, agency), agent = await run_in_threadpool(state.db.read, resolve), principal
            except GongjiError as error:
                refused, agent = error, principal
    request.state.principal = principal
    page_ = Page(request=request, principal=principal, token=token, language=language, large=size == "large",
                 csrf=csrf, set_cookies=set_cookies, agent=agent, acting_refused=refused)
    page_._acting_agency = agency
    return page_


def login_redirect(request: Request, exc: LoginRequired, form_page: str) -> RedirectResponse:
    """To the login page, then back to ``form_page``. When a login has ended (its cookie is still there) the
    login page says so, and a form sent with it is kept as a draft on the device (static/draft.js)."""
    response = RedirectResponse(f"{exc.login_path}?next={quote(form_page)}", status_code=303)
    if request.cookies.get(SESSION_COOKIE) and getattr(request.state, "principal", None) is None:
        response.set_cookie(FLASH_COOKIE, "expired", httponly=True, samesite="lax", path="/", max_age=60)
        response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def too_large_page(request: Request, limit: int) -> HTMLResponse:
    """413 as a page: a form's body (a photo, as a rule) was larger than the site takes; nothing was read."""
    language = request.cookies.get(LANG_COOKIE)
    if language not in ("zh", "en"):
        language = language_of(request.headers.get("accept-language"))
    referer = urlsplit(request.headers.get("referer", ""))
    back = referer.path if referer.netloc == request.url.netloc and referer.path.startswith("/") else "/portal"

    def t(zh: str, en: str) -> str:
        return en if language == "en" else zh

    return templates.TemplateResponse(request, "too_large.html", {
        "t": t, "lang": language, "large": request.cookies.get(SIZE_COOKIE) == "large", "principal": None,
        "csrf": "", "flash": None, "errors": {}, "values": {}, "back": back,
        "limit_mb": max(1, round(limit / (1024 * 1024))),
    }, status_code=413)


# -- template helpers ------------------------------------------------------------------------------


def yuan(fen: int | None) -> str:
    return "" if fen is None else fen_to_yuan(fen)


def local_time(value: datetime | None) -> str:
    return "" if value is None else value.astimezone(CST).strftime("%Y-%m-%d %H:%M")


def day(value: date | None) -> str:
    return "" if value is None else value.isoformat()


templates.env.filters["yuan"] = yuan
templates.env.filters["masked"] = mask
templates.env.filters["local_time"] = local_time
templates.env.filters["day"] = day
