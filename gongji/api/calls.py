"""One API call: who is calling, in which language, and the one transaction that does the work.

Endpoints declare who may call them with ``Depends(allow(Role.PERSON, Role.STAFF))`` and get a
:class:`Call`. Authentication is either a bearer token (people and staff, from a login) or a signed
request (institutions, :mod:`gongji.auth.signing`). What a caller may see or change beyond its role
(its own data, its region) is checked by the endpoint with :meth:`Call.may_see_person` and friends,
inside the transaction, against the facts of that moment.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from gongji.api.models import StoredResponse
from gongji.api.problems import language_of
from gongji.api.settings import ApiSettings
from gongji.auth import service as auth
from gongji.auth import signing
from gongji.auth.service import Principal, Role
from gongji.db import Database
from gongji.env import Env
from gongji.errors import GongjiError
from gongji.idempotency import check_key
from gongji.people import service as people
from gongji.people.ids import parse_id_number
from gongji.people.models import Person
from gongji.people.service import enrollment_of
from gongji.terms import Channel

PERSON_CHANNELS = (Channel.PORTAL, Channel.WECHAT, Channel.ALIPAY, Channel.NATIONAL_APP)
STAFF_CHANNELS = (Channel.COUNTER, Channel.HOSPITAL_OFFICE)

_bearer = HTTPBearer(auto_error=False, description="登录令牌 · the token from POST /v1/auth/person or /v1/auth/staff")
_signature = APIKeyHeader(name=signing.SIGNATURE, auto_error=False, scheme_name="InstitutionSignature",
                          description="定点机构请求签名 · an institution's request signature (see the API guide)")


@dataclass
class Call:
    request: Request
    db: Database
    env: Env
    settings: ApiSettings
    principal: Principal | None
    language: str
    idempotency_key: str | None = None

    # -- who -------------------------------------------------------------------------------------

    @property
    def who(self) -> Principal:
        if self.principal is None:
            raise GongjiError("AUTH_REQUIRED")
        return self.principal

    def forbid(self, action_zh: str, action_en: str) -> GongjiError:
        return GongjiError("FORBIDDEN", action_zh=action_zh, action_en=action_en)

    def is_self(self, person_id: int) -> bool:
        return self.principal is not None and self.principal.person_id == person_id

    def covers_person(self, person: Person) -> bool:
        """Staff and institutions act for people of their region (by the person's insured region)."""
        who = self.who
        return who.role is not Role.PERSON and who.covers(enrollment_of(person).region_code)

    def require_region(self, person: Person) -> None:
        if not self.covers_person(person):
            raise GongjiError("OUTSIDE_YOUR_REGION", name=person.name, region=self.who.region_prefix or "-")

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
        return self.db.read(fn)

    def write(self, fn: Callable[[Session], Any]) -> Any:
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
                return JSONResponse(jsonable_encoder(self.db.run(work)), status_code=status_code)
            raise GongjiError("IDEMPOTENCY_KEY_REQUIRED")
        key = check_key(self.idempotency_key)
        who = self.who
        scope = f"{who.role.value}:{who.id}"[:80]
        route = self.request.scope.get("route")
        content = {
            "method": self.request.method,
            "route": getattr(route, "path", self.request.url.path),
            "path": self.request.path_params,
            "body": body.model_dump(mode="json") if body is not None else None,
        }
        fingerprint = hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()

        def transaction(session: Session) -> tuple[int, Any, bool]:
            if session.get_bind().dialect.name == "postgresql":
                session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"),
                                {"k": f"api\x1f{scope}\x1f{key}"})
            stored = session.get(StoredResponse, (scope, key))
            if stored is not None:
                if stored.fingerprint != fingerprint:
                    raise GongjiError("IDEMPOTENCY_KEY_REUSED", key=key)
                return stored.status_code, stored.body, True
            answer = jsonable_encoder(work(session))
            session.add(StoredResponse(scope=scope, key=key, fingerprint=fingerprint, status_code=status_code,
                                       body=answer, created_at=self.env.now()))
            session.flush()
            return status_code, answer, False

        status, answer, replayed = self.db.run(transaction)
        headers = {"Idempotent-Replayed": "true"} if replayed else {}
        return JSONResponse(answer, status_code=status, headers=headers)


# -- authentication ------------------------------------------------------------------------------

def _state(request: Request) -> tuple[Database, Env, ApiSettings]:
    state = request.app.state
    return state.db, state.env, state.settings


async def _principal(request: Request, bearer: HTTPAuthorizationCredentials | None,
                     signature: str | None) -> Principal | None:
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

        def verify(session: Session) -> Principal:
            principal = auth.verify_signature(
                session, env, server_key=settings.server_key, headers=headers, method=request.method,
                path_and_query=path_and_query, body=body, window_s=settings.signature_window_s)
            if session.get_bind().dialect.name == "postgresql":
                # A nonce lost in a crash could at worst be replayed within the time window.
                session.execute(text("SET LOCAL synchronous_commit TO OFF"))
            auth.record_nonce(session, env, code=principal.id, nonce=headers[signing.NONCE.lower()])
            return principal

        try:
            return await run_in_threadpool(db.run, verify, attempts=1)
        except IntegrityError:
            raise GongjiError("SIGNATURE_REPLAYED") from None
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
        accept_language: Annotated[str | None, Header(include_in_schema=False)] = None,
    ) -> Call:
        db, env, settings = _state(request)
        principal = await _principal(request, bearer, signature)
        request.state.principal = principal
        if roles:
            if principal is None:
                raise GongjiError("AUTH_REQUIRED")
            if principal.role not in roles:
                raise GongjiError("FORBIDDEN", action_zh="使用此接口", action_en="use this endpoint")
        key = request.headers.get("idempotency-key")
        return Call(request=request, db=db, env=env, settings=settings, principal=principal,
                    language=language_of(accept_language), idempotency_key=key)

    return dependency


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
