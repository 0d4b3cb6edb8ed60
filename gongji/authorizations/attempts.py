"""Binding attempts counted per payer (HLJ-7), the same way wherever a binding is asked for: the API
(``POST /v1/bindings``) and the portal's bind form.

Every attempt counts, granted or refused, in a transaction of its own; past ``limit`` within ``window_hours`` the
next is BINDING_ATTEMPTS_THROTTLED (429), so the name and ID number of someone's relatives cannot be found by trying
many. ``limit`` 0: no limit.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from gongji.auth import throttle
from gongji.env import Env
from gongji.errors import GongjiError


def count(session: Session, env: Env, *, payer_id: int, limit: int, window_hours: int) -> None:
    """Count one binding attempt of ``payer_id``; BINDING_ATTEMPTS_THROTTLED (with ``retry_after_s``) past the limit."""
    until = throttle.count_attempt(session, env, account=throttle.account_key("binding", str(payer_id)),
                                   limit=limit, window=timedelta(hours=window_hours))
    if until is not None:
        seconds, shown = throttle.retry_at(env.now(), until)
        error = GongjiError("BINDING_ATTEMPTS_THROTTLED", limit=limit, window=window_hours, retry_at=shown)
        error.retry_after_s = seconds
        raise error
