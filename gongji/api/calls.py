"""One API call: who is calling, in which language, and the one transaction that does the work.

Endpoints declare who may call them with ``Depends(allow(Role.PERSON, Role.STAFF))`` and get a
:class:`Call`. Authentication is either a bearer token (people and staff, from a login) or a signed
request (institutions, :mod:`gongji.auth.signing`). What a caller may see or change beyond its role
(its own data, its region) is checked by the endpoint with :meth:`Call.may_see_person` and friends,
inside the transaction, against the facts of that moment.

A signed request's signature is checked, and its nonce recorded, in the transaction of :meth:`Call.once` when the
endpoint does its work there (one commit instead of two); anything else that asks who is calling first checks it
in a short transaction of its own. Either way a nonce is recorded once the signature holds, even if the request is
then refused.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from sqlalchemy import bindparam, exists, literal_column, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from gongji.api.models import StoredResponse
from gongji.api.problems import language_of
from gongji.api.settings import ApiSettings
from gongji.auth import service as auth
from gongji.auth import signing
from gongji.auth.service import Principal, Role
from gongji.db import Database
from gongji.db.dialect import POSTGRESQL, asynchronous_commit
from gongji.db.dialect import name as dialect_name
from gongji.env import Env
from gongji.errors import GongjiError
from gongji.idempotency import check_key
from gongji.people import service as people
from gongji.people.ids import parse_id_number
from gongji.people.models import Person
from gongji.people.service import enrollment_of
from gongji.terms import Channel

log = logging.getLogger(__name__)

PERSON_CHANNELS = (Channel.PORTAL, Channel.WECHAT, Channel.ALIPAY, Channel.NATIONAL_APP)
STAFF_CHANNELS = (Channel.COUNTER, Channel.HOSPITAL_OFFICE)

_bearer = HTTPBearer(auto_error=False, description="登录令牌 · the token from POST /v1/auth/person or /v1/auth/staff")
_signature = APIKeyHeader(name=signing.SIGNATURE, auto_error=False, scheme_name="InstitutionSignature",
                          description="定点机构请求签名 · an institution's request signature (see the API guide)")


@dataclass(frozen=True)
class SignedRequest:
    """A signed institution request not yet checked: what its signature covers."""

    headers: dict[str, str]
    method: str
    path_and_query: str
    body: bytes

    def verify(self, session: Session, env: Env, settings: ApiSettings) -> Principal:
        """The institution that signed (SIGNATURE_INVALID, SIGNATURE_STALE); the nonce is not recorded here."""
        return auth.verify_signature(session, env, server_key=settings.server_key, headers=self.headers,
                                     method=self.method, path_and_query=self.path_and_query, body=self.body,
                                     window_s=settings.signature_window_s)

    def check_signature(self, found: Any, headers: auth.SignedHeaders, settings: ApiSettings) -> Principal:
        """The signature against the institution ``found`` (a row of :data:`auth.SIGNER`, or None)."""
        return auth.check_signature(found, headers, server_key=settings.server_key, method=self.method,
                                    path_and_query=self.path_and_query, body=self.body)

    def record_nonce(self, session: Session, env: Env, principal: Principal) -> None:
        """Record the nonce in this transaction; SIGNATURE_REPLAYED if it was seen before."""
        if not auth.claim_nonce(session, env, code=principal.id, nonce=self.headers[signing.NONCE.lower()]):
            raise GongjiError("SIGNATURE_REPLAYED")

    def check(self, db: Database, env: Env, settings: ApiSettings) -> Principal:
        """Verify and record the nonce in a short transaction of its own."""
        def verify(session: Session) -> Principal:
            principal = self.verify(session, env, settings)
            asynchronous_commit(session)  # a nonce lost in a crash could at worst be replayed within the window
            self.record_nonce(session, env, principal)
            return principal

        return db.run(verify, attempts=1)


# Call.once's answers: claimed (with a placeholder) before the work, filled in after it, in its transaction.
_ANSWERS = StoredResponse.__table__
_CLAIM_ANSWER = {
    dialect: insert_(_ANSWERS).values(scope=bindparam("scope"), key=bindparam("key"),
                                      fingerprint=bindparam("fingerprint"), status_code=0, body={},
                                      created_at=bindparam("created_at"))
    .on_conflict_do_nothing().returning(_ANSWERS.c.key)
    for dialect, insert_ in (("postgresql", postgresql_insert), ("sqlite", sqlite_insert))
}
# On PostgreSQL a signed request opens its transaction with one statement: the signing institution and its secret's
# version (auth.SIGNER), its nonce recorded (auth.CLAIM_NONCE) and its key claimed (_CLAIM_ANSWER), with whether each
# insert took. The signature is checked on what it read; a refusal rolls the inserts back.
_NONCE_TAKEN = auth.CLAIM_NONCE["postgresql"].cte("nonce")
_ANSWER_CLAIMED = _CLAIM_ANSWER["postgresql"].cte("answer")
_OPEN_SIGNED = auth.SIGNER.add_columns(exists(select(literal_column("1")).select_from(_NONCE_TAKEN)).label("fresh_nonce"),
                                       exists(select(literal_column("1")).select_from(_ANSWER_CLAIMED)).label("claimed"))
_STORED_ANSWER = select(_ANSWERS.c.fingerprint, _ANSWERS.c.status_code, _ANSWERS.c.body).where(
    _ANSWERS.c.scope == bindparam("scope"), _ANSWERS.c.key == bindparam("key"))
_STORE_ANSWER = (update(_ANSWERS).where(_ANSWERS.c.scope == bindparam("claimed_scope"),
                                        _ANSWERS.c.key == bindparam("claimed_key"))
                 .values(status_code=bindparam("status_code"), body=bindparam("body")))


def staff_key(staff_id: str, key: str) -> str:
    """A staff member's idempotency key as the core sees it: kept apart from the keys of the person or institution
    the staff member acts for, who may happen to choose the same key."""
    return "staff-" + hashlib.sha256(f"{staff_id}\x1f{key}".encode()).hexdigest()[:48]


@dataclass
class Call:
    request: Request
    db: Database
    env: Env
    settings: ApiSettings
    principal: Principal | None  # None: nobody, or a signed request not yet checked (``signed``)
    language: str
    idempotency_key: str | None = None
    signed: SignedRequest | None = None  # checked when first needed (see the module's doc)

    # -- who -------------------------------------------------------------------------------------

    @property
    def who(self) -> Principal:
        principal = self._checked()
        if principal is None:
            raise GongjiError("AUTH_REQUIRED")
        return principal

    def _checked(self) -> Principal | None:
        if self.signed is not None:
            self._accept(self.signed.check(self.db, self.env, self.settings))
        return self.principal

    def _accept(self, principal: Principal) -> None:
        self.principal, self.signed = principal, None
        self.request.state.principal = principal

    def core_key(self, owner: Role) -> str:
        """The idempotency key handed to the core: the caller's own when he is the ``owner`` role (the person, the
        institution), a staff member's kept apart from it (:func:`staff_key`)."""
        key = self.idempotency_key or ""
        return key if self.who.role is owner else staff_key(self.who.id, key)

    def forbid(self, action_zh: str, action_en: str) -> GongjiError:
        return GongjiError("FORBIDDEN", action_zh=action_zh, action_en=action_en)

    def is_self(self, person_id: int) -> bool:
        principal = self._checked()
        return principal is not None and principal.person_id == person_id

    def covers_person(self, person: Person) -> bool:
        """Staff and institutions act for people of their region (by the person's insured region)."""
        who = self.who
        return who.role is not Role.PERSON and who.covers(enrollment_of(person).region_code)

    def require_region(self, person: Person) -> None:
        if not self.covers_person(person):
            raise GongjiError("OUTSIDE_YOUR_REGION", what_zh="此人", what_en="This person",
                              region=self.who.region_prefix or "-").about("person", person.id)

    def acting_for(self, session: Session, id_number: str | None, *, field: str, who_zh: str, who_en: str,
                   action_zh: str, action_en: str) -> Person:
        """The person a request acts for, named by ``field``: a person only himself (left out: himself); staff
        anyone insured in their region, whom they must name."""
        who = self.who
        if who.role is Role.PERSON:
            me = people.get(session, who.person_id)
            if id_number is not None and parse_id_number(id_number).number != me.id_number:
                raise self.forbid(action_zh, action_en)
            return me
        if id_number is None:
            raise GongjiError("INVALID_FIELD", field=field, reason_zh=f"经办人员办理时须填写{who_zh}的身份证号码",
                              reason_en=f"staff give the ID number of {who_en}")
        person = people.find(session, id_number)
        self.require_region(person)
        return person

    def channel(self, chosen: Channel | None) -> Channel:
        """Where the request comes from (N-8): an app or the portal for a person, a counter for staff."""
        allowed = PERSON_CHANNELS if self.who.role is Role.PERSON else STAFF_CHANNELS
        chosen = chosen or allowed[0]
        if chosen not in allowed:
            raise GongjiError("INVALID_FIELD", field="channel", reason_zh="可选：" + "、".join(c.value for c in allowed),
                              reason_en="one of: " + ", ".join(c.value for c in allowed))
        return chosen

    # -- transactions ----------------------------------------------------------------------------

    def read(self, fn: Callable[[Session], Any]) -> Any:
        self._checked()
        return self.db.read(fn)

    def write(self, fn: Callable[[Session], Any]) -> Any:
        self._checked()
        return self.db.run(fn)

    def once(self, work: Callable[[Session], Any], *, body: BaseModel | None = None, status_code: int = 200,
             required: bool = True) -> JSONResponse:
        """Do ``work`` once per Idempotency-Key: a retry gets the stored first answer and changes nothing.

        The answer is stored in the same transaction as the change it reports, so either both are
        there or neither. Only successful answers are stored: a refused request changed nothing and
        may be sent again with the same key. With ``required=False`` a request without a key is simply
        done (for changes that move no money and end no binding).
        """
        if self.idempotency_key is None:
            if not required:
                return JSONResponse(jsonable_encoder(self.write(work)), status_code=status_code)
            self._checked()
            raise GongjiError("IDEMPOTENCY_KEY_REQUIRED")
        try:
            key = check_key(self.idempotency_key)
        except GongjiError:
            self._checked()
            raise
        route = self.request.scope.get("route")
        content = {
            "method": self.request.method,
            "route": getattr(route, "path", self.request.url.path),
            "path": self.request.path_params,
            "body": body.model_dump(mode="json") if body is not None else None,
        }
        fingerprint = hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()

        signed = self.signed
        verified: list[Principal] = []

        def transaction(session: Session) -> tuple[int, Any, bool]:
            database = dialect_name(session)
            if signed is not None:  # the signature and its nonce, in this transaction (run again on a retry)
                headers = auth.read_signed_headers(self.env, signed.headers, window_s=self.settings.signature_window_s)
                scope = f"{Role.INSTITUTION.value}:{headers.code}"[:80]  # used once the signature holds
                claim = {"scope": scope, "key": key, "fingerprint": fingerprint, "created_at": self.env.now()}
                if database == POSTGRESQL and headers.lookup:
                    # One statement: the signer, the nonce recorded and the key claimed (all undone if refused).
                    opened = session.execute(_OPEN_SIGNED, {**claim, "code": headers.code, "nonce": headers.nonce,
                                                            "at": self.env.now()}).one_or_none()
                    principal = signed.check_signature(opened, headers, self.settings)
                    verified.append(principal)
                    if not opened.fresh_nonce:
                        raise GongjiError("SIGNATURE_REPLAYED")
                    claimed = opened.claimed or None
                else:
                    principal = signed.check_signature(
                        session.execute(auth.SIGNER, {"code": headers.code}).one_or_none() if headers.lookup
                        else None, headers, self.settings)
                    verified.append(principal)
                    signed.record_nonce(session, self.env, principal)
                    claimed = session.execute(_CLAIM_ANSWER[database], claim).first()
                self.principal = principal
            else:
                who = self.who
                scope = f"{who.role.value}:{who.id}" + (f"~{who.agent_id}" if who.agent_id else "")
                scope = scope[:80]
                # Claim the key: a concurrent request with it waits here until this one commits (and then replays
                # its answer) or rolls back (and then does the work itself).
                claimed = session.execute(_CLAIM_ANSWER[database], {
                    "scope": scope, "key": key, "fingerprint": fingerprint, "created_at": self.env.now()}).first()
            if claimed is None:
                stored = session.execute(_STORED_ANSWER, {"scope": scope, "key": key}).one()
                if stored.fingerprint != fingerprint:
                    raise GongjiError("IDEMPOTENCY_KEY_REUSED", key=key)
                return stored.status_code, stored.body, True
            result = work(session)
            answer = (result.model_dump(mode="json", by_alias=True) if isinstance(result, BaseModel)
                      else jsonable_encoder(result))
            session.execute(_STORE_ANSWER, {"claimed_scope": scope, "claimed_key": key, "status_code": status_code,
                                            "body": answer})
            return status_code, answer, False

        if signed is not None:
            self.signed = None  # checked by the transaction
        try:
            status, answer, replayed = self.db.run(transaction)
        except BaseException as exc:
            if verified and not (isinstance(exc, GongjiError) and exc.code == "SIGNATURE_REPLAYED"):
                # The signature held but the work was refused or failed: its nonce is recorded all the same.
                self._record_nonce_alone(signed, verified[-1])
            raise
        finally:
            if verified:
                self.request.state.principal = verified[-1]
        headers = {"Idempotent-Replayed": "true"} if replayed else {}
        return JSONResponse(answer, status_code=status, headers=headers)


    def _record_nonce_alone(self, signed: SignedRequest, principal: Principal) -> None:
        def record(session: Session) -> None:
            asynchronous_commit(session)
            auth.claim_nonce(session, self.env, code=principal.id, nonce=signed.headers[signing.NONCE.lower()])

        try:
            self.db.run(record, attempts=1)
        except Exception:  # the request's own error is the one to tell
            log.warning("could not record the nonce of a refused request", exc_info=True)


# -- authentication ------------------------------------------------------------------------------

def _state(request: Request) -> tuple[Database, Env, ApiSettings]:
    state = request.app.state
    return state.db, state.env, state.settings


async def _principal(request: Request, bearer: HTTPAuthorizationCredentials | None,
                     signature: str | None) -> Principal | None:
    found = await _caller(request, bearer, signature)
    if isinstance(found, SignedRequest):
        db, env, settings = _state(request)
        return await run_in_threadpool(found.check, db, env, settings)
    return found


async def _caller(request: Request, bearer: HTTPAuthorizationCredentials | None,
                  signature: str | None) -> Principal | SignedRequest | None:
    """Who is calling: a bearer token's principal, or a signed request still to be checked, or nobody."""
    db, env, settings = _state(request)
    if bearer is not None:
        token = bearer.credentials
        if not token or len(token) > 200:
            raise GongjiError("SESSION_EXPIRED")
        return await run_in_threadpool(db.read, lambda s: auth.resolve_token(s, env, token))
    if signature is not None:
        body = await request.body()
        raw_path = request.scope.get("raw_path") or request.url.path.encode()
        query = request.scope.get("query_string", b"")
        path_and_query = raw_path.decode("latin-1") + ("?" + query.decode("latin-1") if query else "")
        headers = {k.lower(): v for k, v in request.headers.items()}
        return SignedRequest(headers=headers, method=request.method, path_and_query=path_and_query, body=body)
    if request.headers.get(signing.INSTITUTION.lower()):
        raise GongjiError("SIGNATURE_INVALID", reason_zh="缺少签名请求头", reason_en="the signature header is missing")
    return None


#: Who sent a request (None: nobody said), for endpoints that answer refusals in their own format.
authenticate = _principal


def allow(*roles: Role) -> Callable[..., Any]:
    """A dependency: the call, refused unless its caller has one of ``roles`` (none given: anyone)."""

    async def dependency(
        request: Request,
        bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        signature: Annotated[str | None, Depends(_signature)],
    ) -> Call:
        return await _call(request, bearer, signature, roles, defer=False)

    return dependency


def allow_once(*roles: Role) -> Any:
    """``Annotated[Call, ...]`` for an endpoint whose work is one :meth:`Call.once` (and nothing before it): a
    signed request's signature is checked, and its nonce recorded, in that transaction. Should the endpoint not
    get there (its body is refused, say), the signature is checked when it ends, before any answer goes out: a bad
    signature is told first, as with :func:`allow`, and a good one's nonce is recorded.
    """

    async def dependency(
        request: Request,
        bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        signature: Annotated[str | None, Depends(_signature)],
    ) -> AsyncIterator[Call]:
        call = await _call(request, bearer, signature, roles, defer=True)
        try:
            yield call
        finally:
            if call.signed is not None:
                await run_in_threadpool(call._checked)

    return Annotated[Call, Depends(dependency, scope="function")]


async def _call(request: Request, bearer: HTTPAuthorizationCredentials | None, signature: str | None,
                roles: tuple[Role, ...], *, defer: bool) -> Call:
    # Accept-Language is read here, not declared as a parameter: it is in no schema, and FastAPI would look at the
    # declaration's type on every request.
    db, env, settings = _state(request)
    found = await _caller(request, bearer, signature)
    signed = found if isinstance(found, SignedRequest) else None
    if signed is not None and (not defer or (roles and Role.INSTITUTION not in roles)):
        found = await run_in_threadpool(signed.check, db, env, settings)
        signed = None
    principal = None if signed is not None else found
    request.state.principal = principal
    if roles and signed is None:  # a signed request still to check is an institution's, which ``roles`` allow
        if principal is None:
            raise GongjiError("AUTH_REQUIRED")
        if principal.role not in roles:
            raise GongjiError("FORBIDDEN", action_zh="使用此接口", action_en="use this endpoint")
    acting = request.headers.get(ACTING_FOR)
    if acting is not None:
        principal = await run_in_threadpool(db.read, lambda s: _acting(s, env, request, principal, acting))
        request.state.principal = principal
    return Call(request=request, db=db, env=env, settings=settings, principal=principal,
                language=language_of(request.headers.get("accept-language")),
                idempotency_key=request.headers.get("idempotency-key"),
                signed=signed)


#: AG-1: the header with which an agent, logged in as himself, acts for someone: the agency's id.
ACTING_FOR = "X-Gongji-Acting-For"


def _acting(session: Session, env: Env, request: Request, principal: Principal | None, value: str) -> Principal:
    """The principal an agent acts for through the agency ``value``, once the agency allows this route today
    (AG-1); AGENCY_NOT_IN_FORCE, AGENCY_ACTION_NOT_GRANTED or AGENCY_NOT_FOR_AGENTS otherwise."""
    from gongji.agents import rules as agency_rules
    from gongji.agents import service as agencies

    if principal is None:
        raise GongjiError("AUTH_REQUIRED")
    route = request.scope.get("route")
    return agencies.acting_principal(session, env, agent=principal, agency_id=value,
                                     action=agency_rules.api_action(request.method, getattr(route, "path", "")))


IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", description="每笔业务唯一，重试时不变 · unique per operation, the same on retry",
           max_length=100),
]

ANYONE = ()
PEOPLE = (Role.PERSON,)
STAFF = (Role.STAFF, Role.ADMIN)
ADMIN = (Role.ADMIN,)
INSTITUTIONS = (Role.INSTITUTION,)
