"""Login throttling: a password cannot be guessed by trying many.

A person's password may be six digits; without a limit a script would try them all in a day. So every
login with a password (``POST /v1/auth/person``, ``POST /v1/auth/staff``, the portal's and the counter's
login forms) goes through :func:`guarded_login`:

1. In a short transaction of its own, the attempt is counted: if the account (an ID number, a staff id)
   has ``login_failures_per_account`` failed attempts within the last ``login_window_minutes``, or the
   client address has ``login_failures_per_client``, the attempt is refused with ``LOGIN_THROTTLED``
   (HTTP 429, with ``Retry-After``) before the password is looked at, the right password included.
   Otherwise a row is written for it in ``login_attempts`` and committed.
2. The login itself runs in its own transaction. If it succeeds, the account's rows are deleted (a
   person who finally types the right password starts afresh); if it fails, its row stays and counts.

Writing the row before checking the password means that attempts sent at the same time cannot slip
through together: each one is counted before any of them is decided. The count is kept in the
database, so every worker process of ``gongji serve`` sees the same one. On PostgreSQL step 1 holds a
transaction-scoped advisory lock on the account and on the client; SQLite runs one writer at a time.

Refused attempts are not counted themselves: someone hammering an account keeps it paused, but the
owner can log in again as soon as the window has passed since the last of the failures that paused it.
The client address is what the server sees (``request.client``). ``gongji serve`` does not trust
``X-Forwarded-For``, so behind a reverse proxy every caller has the proxy's address and shares one count: there,
set ``GONGJI_LOGIN_FAILURES_PER_CLIENT=0`` (no limit by address; the limit by account still holds) or limit
addresses in the proxy.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from gongji.auth.models import LoginAttempt
from gongji.clock import CST
from gongji.db import Database, dialect
from gongji.env import Env
from gongji.errors import GongjiError
from gongji.people.ids import parse_id_number

PERSON, STAFF = "person", "staff"


@dataclass(frozen=True)
class Limits:
    per_account: int = 5
    per_client: int = 50
    window: timedelta = timedelta(minutes=15)

    @classmethod
    def of(cls, settings: Any) -> Limits:
        """The limits of :class:`gongji.api.settings.ApiSettings`."""
        return cls(per_account=settings.login_failures_per_account, per_client=settings.login_failures_per_client,
                   window=timedelta(minutes=settings.login_window_minutes))


def account_key(kind: str, identifier: Any) -> str:
    """The account an attempt counts against: a person's ID number (as the login reads it) or a staff id.

    A person's ID number that is not valid raises INVALID_ID_NUMBER here, and such an attempt is not counted:
    it could not have succeeded.
    """
    name = parse_id_number(identifier).number if kind == PERSON else str(identifier)[:40]
    return hashlib.sha256(f"{kind}:{name}".encode()).hexdigest()


def client_of(request: Any) -> str:
    """The caller's address as the server sees it (``unknown`` when the server cannot tell)."""
    client = getattr(request, "client", None)
    return (getattr(client, "host", None) or "unknown")[:64]


def guarded_login(db: Database, env: Env, limits: Limits, *, kind: str, identifier: Any, client: str,
                  login: Callable[[Session], Any]) -> Any:
    """``login(session)`` (a password login), unless the account or the client is paused (LOGIN_THROTTLED).

    See the module's description for the two transactions.
    """
    account = account_key(kind, identifier)
    db.run(lambda session: admit(session, env, limits, account=account, client=client))

    def work(session: Session) -> Any:
        result = login(session)
        session.execute(delete(LoginAttempt).where(LoginAttempt.account == account))
        return result

    return db.run(work)


def admit(session: Session, env: Env, limits: Limits, *, account: str, client: str) -> None:
    """Refuse the attempt if the account or the client is paused; otherwise write it down."""
    now = env.now()
    since = now - limits.window
    for key in (f"account:{account}", f"client:{client}"):  # always in this order: no deadlock
        dialect.xact_lock(session, _lock_id(key))
    for column, value, limit, subject in ((LoginAttempt.account, account, limits.per_account, _ACCOUNT),
                                          (LoginAttempt.client, client, limits.per_client, _CLIENT)):
        session.execute(delete(LoginAttempt).where(column == value, LoginAttempt.at <= since))
        recent = list(session.execute(select(LoginAttempt.at).where(column == value, LoginAttempt.at > since)
                                      .order_by(LoginAttempt.at.desc()).limit(limit)).scalars())
        if limit > 0 and len(recent) >= limit:
            raise throttled(now, recent[-1] + limits.window, limit=limit, window=limits.window, subject=subject)
    session.add(LoginAttempt(account=account, client=client, at=now))
    session.flush()


#: The ``client`` of an attempt counted by :func:`count_attempt`: no address, so a login's count never meets it.
NO_CLIENT = "-"


def count_attempt(session: Session, env: Env, *, account: str, limit: int, window: timedelta) -> datetime | None:
    """One attempt of something other than a login (a binding, a person look-up), counted per ``account``.

    ``account`` is a key of :func:`account_key`. If ``limit`` attempts are held within ``window``, nothing is
    written and the answer is when the oldest of them leaves it (the caller refuses with its own error);
    otherwise the attempt is written down and the answer is None. Every attempt counts, granted or refused;
    they are in ``login_attempts`` beside the logins', apart from them by their key. ``limit`` 0: no limit.
    """
    if limit <= 0:
        return None
    now = env.now()
    since = now - window
    dialect.xact_lock(session, _lock_id(f"account:{account}"))
    session.execute(delete(LoginAttempt).where(LoginAttempt.account == account, LoginAttempt.at <= since))
    recent = list(session.execute(select(LoginAttempt.at).where(LoginAttempt.account == account,
                                                                LoginAttempt.at > since)
                                  .order_by(LoginAttempt.at.desc()).limit(limit)).scalars())
    if len(recent) >= limit:
        return recent[-1] + window
    session.add(LoginAttempt(account=account, client=NO_CLIENT, at=now))
    session.flush()
    return None


def retry_at(now: datetime, until: datetime) -> tuple[int, str]:
    """Seconds until ``until`` (at least 1), and ``until`` as China Standard Time to the next whole minute."""
    seconds = max(1, math.ceil((until - now).total_seconds()))
    shown = (until.astimezone(CST) + timedelta(seconds=59)).replace(second=0, microsecond=0)
    return seconds, f"{shown:%Y-%m-%d %H:%M}"


def count(session: Session, *, kind: str, identifier: Any) -> int:
    """How many attempts of the account are held (for tests and operators)."""
    key = account_key(kind, identifier)
    return session.execute(select(func.count()).select_from(LoginAttempt).where(LoginAttempt.account == key)
                           ).scalar_one()


_ACCOUNT = ("该账号", "for this account")
_CLIENT = ("来自您网络地址的", "from your network address")


def _lock_id(key: str) -> int:
    """A signed 64-bit advisory lock id for ``key``."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)


def throttled(now: datetime, until: datetime, *, limit: int, window: timedelta, subject: tuple[str, str]
              ) -> GongjiError:
    """LOGIN_THROTTLED, telling when to try again (China Standard Time, to the next whole minute)."""
    seconds = max(1, math.ceil((until - now).total_seconds()))
    shown = (until.astimezone(CST) + timedelta(seconds=59)).replace(second=0, microsecond=0)
    error = GongjiError("LOGIN_THROTTLED", subject_zh=subject[0], subject_en=subject[1], limit=limit,
                        window=int(window.total_seconds() // 60), retry_at=f"{shown:%Y-%m-%d %H:%M}",
                        minutes=math.ceil(seconds / 60))
    error.retry_after_s = seconds  # the Retry-After header of the answer (gongji.api.problems)
    return error
