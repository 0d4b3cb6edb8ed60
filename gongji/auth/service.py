"""Logins, tokens, staff, institution secrets and signature checks.

Callers are :class:`Principal` values; each turns into the :class:`~gongji.actors.Actor` that the
core services record (N-8). Tokens and secrets never reach the database in clear: a session row
holds the SHA-256 of its token, and an institution's secret is derived from the server key, the
institution code and a version number that issuing a new secret increases.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from gongji.actors import Actor
from gongji.auth import signing
from gongji.auth.models import AuthSession, InstitutionKey, PersonCredential, SeenNonce, StaffMember
from gongji.auth.passwords import check_strength, dummy_hash, hash_password, needs_rehash, verify_password
from gongji.db import dialect
from gongji.env import Env
from gongji.errors import GongjiError
from gongji.events.service import record as record_event
from gongji.institutions import service as institutions
from gongji.institutions.models import Institution
from gongji.people import service as people
from gongji.people.ids import parse_id_number
from gongji.people.models import Person
from gongji.terms import Channel


class Role(StrEnum):
    PERSON = "person"
    STAFF = "staff"
    ADMIN = "admin"
    INSTITUTION = "institution"


@dataclass(frozen=True)
class Principal:
    """Who is calling. ``region_prefix`` bounds staff and institutions ('' is the whole instance)."""

    role: Role
    id: str
    name: str
    region_prefix: str = ""
    person_id: int | None = None
    #: AG-1: set when an agent (this person id, logged in as himself) acts for the person ``id`` through the agency
    #: ``agency_id``; the principal is then that person, and what is done is recorded with both.
    agent_id: int | None = None
    agency_id: int | None = None

    def actor(self, channel: Channel | None = None) -> Actor:
        if self.role is Role.PERSON and self.agent_id is not None and self.agency_id is not None:
            return Actor.agent(self.agent_id, principal_id=int(self.id), agency_id=self.agency_id,
                               channel=channel or Channel.PORTAL)
        if self.role is Role.PERSON:
            return Actor.person(int(self.id), channel or Channel.PORTAL)
        if self.role is Role.INSTITUTION:
            return Actor.institution(self.id)
        return Actor.staff(self.id, channel or Channel.COUNTER)

    def covers(self, region_code: str) -> bool:
        """Whether a staff member's or an institution's region includes ``region_code``."""
        return region_code.startswith(self.region_prefix)

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.STAFF, Role.ADMIN)


def region_prefix_of(region_code: str) -> str:
    """'230100' → '2301', '230000' → '23', '000000' → '' (trailing pairs of zeros dropped)."""
    prefix = region_code
    while prefix.endswith("00"):
        prefix = prefix[:-2]
    return prefix


def _check_prefix(value: object) -> str:
    if not isinstance(value, str) or len(value) > 6 or len(value) % 2 or not value.isascii() or (
            value and not value.isdigit()):
        raise GongjiError("INVALID_FIELD", field="region_prefix",
                          reason_zh="区划前缀为0、2、4或6位数字（如 23 表示黑龙江省，空表示全部）",
                          reason_en="a region prefix has 0, 2, 4 or 6 digits (23 is Heilongjiang, empty is all)")
    return value


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# -- staff ---------------------------------------------------------------------------------------

def add_staff(session: Session, env: Env, *, staff_id: str, name: str, role: str, region_prefix: str,
              password: str, actor: Actor) -> StaffMember:
    if not isinstance(staff_id, str) or not 2 <= len(staff_id) <= 40 or not staff_id.isascii() or not (
            staff_id.replace("-", "").replace("_", "").isalnum()):
        raise GongjiError("INVALID_FIELD", field="staff_id", reason_zh="工号为2至40位字母、数字、“-”或“_”",
                          reason_en="a staff id has 2 to 40 letters, digits, '-' or '_'")
    name = people.check_name(name)
    if role not in ("staff", "admin"):
        raise GongjiError("INVALID_FIELD", field="role", reason_zh="角色为 staff 或 admin",
                          reason_en="the role is staff or admin")
    prefix = _check_prefix(region_prefix)
    if session.get(StaffMember, staff_id) is not None:
        raise GongjiError("STAFF_EXISTS", staff_id=staff_id)
    member = StaffMember(staff_id=staff_id, name=name, role=role, region_prefix=prefix,
                         password_hash=hash_password(check_strength(password)), active=True, created_at=env.now())
    session.add(member)
    record_event(session, env, kind="staff.added", actor=actor, subject_type="staff", subject_id=0, concerns=[],
                 data={"staff_id": staff_id, "role": role, "region_prefix": prefix})
    session.flush()
    return member


def list_staff(session: Session, *, region_prefix: str = "") -> list[StaffMember]:
    query = select(StaffMember).where(StaffMember.region_prefix.startswith(region_prefix))
    return list(session.execute(query.order_by(StaffMember.staff_id)).scalars())


def set_staff_active(session: Session, env: Env, *, staff_id: str, active: bool, actor: Actor) -> StaffMember:
    member = session.get(StaffMember, staff_id)
    if member is None:
        raise GongjiError("STAFF_NOT_FOUND", staff_id=str(staff_id)[:40])
    member.active = active
    if not active:
        session.execute(update(AuthSession).where(AuthSession.principal_kind.in_(("staff", "admin")),
                                                  AuthSession.principal_id == staff_id,
                                                  AuthSession.ended_at.is_(None)).values(ended_at=env.now()))
    record_event(session, env, kind="staff.activated" if active else "staff.deactivated", actor=actor,
                 subject_type="staff", subject_id=0, concerns=[], data={"staff_id": staff_id})
    session.flush()
    return member


# -- people's passwords --------------------------------------------------------------------------

def set_person_password(session: Session, env: Env, *, person_id: int, password: str, actor: Actor) -> None:
    """Staff set a password after checking the ID card at a counter; a person changes his own."""
    person = people.get(session, person_id)
    hashed = hash_password(check_strength(password))
    row = session.get(PersonCredential, person.id)
    by = f"{actor.kind.value}:{actor.id}"
    if row is None:
        session.add(PersonCredential(person_id=person.id, password_hash=hashed, set_at=env.now(), set_by=by))
    else:
        row.password_hash, row.set_at, row.set_by = hashed, env.now(), by
    session.execute(update(AuthSession).where(AuthSession.principal_kind == "person",
                                              AuthSession.principal_id == str(person.id),
                                              AuthSession.ended_at.is_(None)).values(ended_at=env.now()))
    record_event(session, env, kind="person.password_set", actor=actor, subject_type="person",
                 subject_id=person.id, concerns=[person.id], data={})
    session.flush()


# -- logins and tokens ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Login:
    token: str
    expires_at: datetime
    principal: Principal


def _open_session(session: Session, env: Env, principal: Principal, minutes: int) -> Login:
    token = secrets.token_urlsafe(32)
    now = env.now()
    expires = now + timedelta(minutes=minutes)
    kind = principal.role.value
    session.add(AuthSession(token_hash=_token_hash(token), principal_kind=kind, principal_id=principal.id,
                            created_at=now, expires_at=expires))
    session.flush()
    return Login(token=token, expires_at=expires, principal=principal)


def check_person_password(session: Session, *, person_id: int, password: str) -> None:
    """LOGIN_FAILED unless ``password`` is the person's current one (before he sets a new one)."""
    credential = session.get(PersonCredential, person_id)
    if not verify_password(str(password), credential.password_hash if credential else dummy_hash()) or (
            credential is None):
        raise GongjiError("LOGIN_FAILED")


def login_person(session: Session, env: Env, *, id_number: str, password: str, minutes: int) -> Login:
    """A person logs in with his ID number and password. Any mismatch is the same LOGIN_FAILED."""
    number = parse_id_number(id_number).number  # a mistyped number is told as such (INVALID_ID_NUMBER)
    try:
        person = people.find(session, number)
    except GongjiError:
        verify_password(str(password), dummy_hash())
        raise GongjiError("LOGIN_FAILED") from None
    credential = session.get(PersonCredential, person.id)
    if not verify_password(str(password), credential.password_hash if credential else dummy_hash()) or (
            credential is None):
        raise GongjiError("LOGIN_FAILED")
    if needs_rehash(credential.password_hash):  # made at an older cost: stored again at the current one
        credential.password_hash = hash_password(str(password))
    principal = person_principal(person.id, person.name)
    return _open_session(session, env, principal, minutes)


def open_person_session(session: Session, env: Env, *, person: Person, minutes: int) -> Login:
    """A session for a person whom something else has identified (the portal's identity provider)."""
    return _open_session(session, env, person_principal(person.id, person.name), minutes)


def person_principal(person_id: int, name: str) -> Principal:
    return Principal(role=Role.PERSON, id=str(person_id), name=name, person_id=person_id)


_STAFF_ID = re.compile(r"[A-Za-z0-9_-]{1,40}")


def login_staff(session: Session, env: Env, *, staff_id: str, password: str, minutes: int) -> Login:
    # A staff id that no one can have (a NUL, which PostgreSQL cannot even compare) is not looked up.
    member = session.get(StaffMember, staff_id) if isinstance(staff_id, str) and _STAFF_ID.fullmatch(staff_id) \
        else None
    if not verify_password(str(password), member.password_hash if member else dummy_hash()) or (
            member is None or not member.active):
        raise GongjiError("LOGIN_FAILED")
    if needs_rehash(member.password_hash):
        member.password_hash = hash_password(str(password))
    return _open_session(session, env, staff_principal(member), minutes)


def staff_principal(member: StaffMember) -> Principal:
    return Principal(role=Role(member.role), id=member.staff_id, name=member.name, region_prefix=member.region_prefix)


def resolve_token(session: Session, env: Env, token: str) -> Principal:
    """The principal a bearer token stands for, or SESSION_EXPIRED."""
    row = session.get(AuthSession, _token_hash(token))
    if row is None or row.ended_at is not None or row.expires_at <= env.now():
        raise GongjiError("SESSION_EXPIRED")
    if row.principal_kind == Role.PERSON.value:
        person = people.get(session, int(row.principal_id))
        return person_principal(person.id, person.name)
    member = session.get(StaffMember, row.principal_id)
    if member is None or not member.active:
        raise GongjiError("SESSION_EXPIRED")
    return staff_principal(member)


def logout(session: Session, env: Env, token: str) -> None:
    session.execute(update(AuthSession).where(AuthSession.token_hash == _token_hash(token),
                                              AuthSession.ended_at.is_(None)).values(ended_at=env.now()))


def purge(session: Session, env: Env, *, nonce_window_s: int) -> tuple[int, int]:
    """Forget expired sessions and nonces too old to be replayed (their timestamps would be stale anyway)."""
    now = env.now()
    sessions = session.execute(delete(AuthSession).where(AuthSession.expires_at < now - timedelta(days=1)))
    nonces = session.execute(delete(SeenNonce).where(SeenNonce.seen_at < now - timedelta(seconds=2 * nonce_window_s)))
    return sessions.rowcount, nonces.rowcount


# -- institutions --------------------------------------------------------------------------------

def institution_secret(server_key: bytes, code: str, version: int) -> str:
    digest = hmac.new(server_key, f"institution-secret\x1f{code}\x1f{version}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def issue_institution_secret(session: Session, env: Env, *, server_key: bytes, code: str, actor: Actor) -> str:
    """A new secret for the institution (the old one stops working). Shown once; not stored."""
    institution = institutions.find(session, code)
    row = session.get(InstitutionKey, institution.code)
    if row is None:
        row = InstitutionKey(institution_code=institution.code, version=1, issued_at=env.now(), issued_by=actor.id)
        session.add(row)
    else:
        row.version += 1
        row.issued_at, row.issued_by = env.now(), actor.id
    record_event(session, env, kind="institution.secret_issued", actor=actor, subject_type="institution",
                 subject_id=institution.id, concerns=[], data={"version": row.version})
    session.flush()
    return institution_secret(server_key, institution.code, row.version)


def verify_signature(session: Session, env: Env, *, server_key: bytes, headers: dict[str, str], method: str,
                     path_and_query: str, body: bytes, window_s: int) -> Principal:
    """Check a signed institution request (see :mod:`gongji.auth.signing`). Does not record the nonce."""
    signed = read_signed_headers(env, headers, window_s=window_s)
    found = session.execute(SIGNER, {"code": signed.code}).one_or_none() if signed.lookup else None
    return check_signature(found, signed, server_key=server_key, method=method, path_and_query=path_and_query,
                           body=body)


@dataclass(frozen=True)
class SignedHeaders:
    """The signature headers of a request, in a valid form (the signature itself not yet checked)."""

    code: str | None
    timestamp: str
    nonce: str
    signature: str
    idempotency_key: str | None = None  # covered by the signature (gongji.auth.signing)

    @property
    def lookup(self) -> bool:
        """Whether the code could name an institution (else it is not looked up)."""
        return bool(self.code) and len(self.code) <= 30


def _invalid(zh: str, en: str) -> GongjiError:
    return GongjiError("SIGNATURE_INVALID", reason_zh=zh, reason_en=en)


def read_signed_headers(env: Env, headers: dict[str, str], *, window_s: int) -> SignedHeaders:
    """The first checks of :func:`verify_signature`, which need no database: the timestamp within the window, the
    nonce well-formed."""
    signed = SignedHeaders(code=headers.get(signing.INSTITUTION.lower()),
                           timestamp=headers.get(signing.TIMESTAMP.lower(), ""),
                           nonce=headers.get(signing.NONCE.lower(), ""),
                           signature=headers.get(signing.SIGNATURE.lower(), ""),
                           idempotency_key=headers.get(signing.IDEMPOTENCY_KEY.lower()))
    timestamp = signed.timestamp
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        raise _invalid("时间戳须为Unix秒数", "the timestamp must be Unix seconds")
    if abs(int(timestamp) - env.now().timestamp()) > window_s:
        raise GongjiError("SIGNATURE_STALE", timestamp=timestamp, window=window_s)
    if not signing.NONCE_PATTERN.fullmatch(signed.nonce):
        raise _invalid("随机数须为16至64位字母、数字、“-”或“_”", "the nonce must have 16 to 64 letters, digits, '-' or '_'")
    return signed


def check_signature(found: Any, signed: SignedHeaders, *, server_key: bytes, method: str, path_and_query: str,
                    body: bytes) -> Principal:
    """The last check of :func:`verify_signature`: the signature, with the secret of ``found`` (a row of
    :data:`SIGNER`, or None); a suspended institution cannot sign."""
    if found is not None and not found.active:
        found = None
    version = found.version if found is not None else None
    secret = institution_secret(server_key, signed.code or "", version or 0)
    expected = signing.expected_signature(secret, method, path_and_query, signed.timestamp, signed.nonce, body,
                                          signed.idempotency_key)
    if not hmac.compare_digest(expected, signed.signature) or version is None:
        raise _invalid("机构编码、密钥或签名不符", "the institution code, the secret or the signature does not match")
    return Principal(role=Role.INSTITUTION, id=found.code, name=found.name,
                     region_prefix=region_prefix_of(found.region_code))


_INSTITUTIONS, _KEYS = Institution.__table__, InstitutionKey.__table__
#: The institution (``:code``) with its secret's version, for :func:`check_signature`; one query.
SIGNER = (
    select(_INSTITUTIONS.c.code, _INSTITUTIONS.c.name, _INSTITUTIONS.c.region_code, _INSTITUTIONS.c.active,
           _KEYS.c.version)
    .select_from(_INSTITUTIONS.outerjoin(_KEYS, _KEYS.c.institution_code == _INSTITUTIONS.c.code))
    .where(_INSTITUTIONS.c.code == bindparam("code"))
)
_NONCES = SeenNonce.__table__
#: Remember a nonce (``:code``, ``:nonce``, ``:at``) unless seen before; returns it if it was new.
CLAIM_NONCE = {
    dialect: insert_(_NONCES).values(institution_code=bindparam("code"), nonce=bindparam("nonce"),
                                     seen_at=bindparam("at")).on_conflict_do_nothing().returning(_NONCES.c.nonce)
    for dialect, insert_ in (("postgresql", postgresql_insert), ("sqlite", sqlite_insert))
}


def record_nonce(session: Session, env: Env, *, code: str, nonce: str) -> None:
    """Remember a nonce; a second request with it fails on the primary key (a replay)."""
    session.add(SeenNonce(institution_code=code, nonce=nonce, seen_at=env.now()))
    session.flush()


def claim_nonce(session: Session, env: Env, *, code: str, nonce: str) -> bool:
    """Remember a nonce unless it was seen before (then False: a replay). A request with the same nonce still in
    flight is waited for: its nonce counts once it has committed."""
    statement = CLAIM_NONCE[dialect.name(session)]
    return session.execute(statement, {"code": code, "nonce": nonce, "at": env.now()}).first() is not None
