"""Refused access, recorded: who tried to reach what, through which channel, and was told no.

When the API refuses a caller another person's data, another institution's settlement, another region's people
(every 403 code of the catalogue), or a signature (wrong secret, stale time, replayed nonce), one ``access.refused``
event is written in a short transaction of its own: the refused request changed nothing else, and its own
transaction was rolled back. The event says

* who: the caller as far as known (the logged-in person or staff member, the institution whose signature held;
  for a refused signature, the institution code the request claimed, with ``verified`` false);
* the channel (N-8), the method and path, the code and status of the refusal, the request id;
* the subject asked for: what the refusal names (:meth:`GongjiError.about`), else the path's id (a person, a
  settlement, …), else ``request`` 0; the path's parameters are kept in ``asked``.

Logins that fail (LOGIN_FAILED) and requests with no or an expired login (AUTH_REQUIRED, SESSION_EXPIRED) are not
recorded here: they are counted by the login throttle and the access log. Recording is best effort: if it fails
the refusal is still answered, and the failure logged.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session

from gongji.auth import signing
from gongji.errors import CATALOGUE, GongjiError
from gongji.events.models import Event
from gongji.terms import ActorKind, Channel

log = logging.getLogger("gongji.api")

KIND = "access.refused"
SIGNATURE_CODES = frozenset({"SIGNATURE_INVALID", "SIGNATURE_STALE", "SIGNATURE_REPLAYED"})
#: The refusals recorded: every 403 of the catalogue, and the bad signatures.
RECORDED = frozenset(code for code, spec in CATALOGUE.items() if spec.status == 403) | SIGNATURE_CODES

#: Path parameters that name what a request asks for, in the order they are preferred as the subject.
SUBJECTS = (("person_id", "person"), ("settlement_id", "settlement"), ("refund_id", "refund"),
            ("binding_id", "binding"), ("family_id", "family"), ("transfer_id", "transfer"),
            ("notification_id", "notification"), ("code", "institution"), ("region_code", "region"),
            ("prefix", "region"))


def recorded(error: GongjiError) -> bool:
    return error.code in RECORDED


def _printable(value: str, limit: int = 40) -> str:
    cleaned = "".join(c for c in value if c.isprintable())[:limit]
    return cleaned or "?"


def caller(request: Request, error: GongjiError) -> tuple[str, str, str, bool]:
    """(actor kind, actor id, channel, verified) of the request's caller, as far as known.

    A refused signature proves nobody: its caller is the institution the request names, not verified (a replayed
    request was signed by that institution once, but may be sent by anyone who saw it).
    """
    principal = getattr(request.state, "principal", None)
    if principal is not None and error.code not in SIGNATURE_CODES:
        actor = principal.actor()
        return actor.kind.value, actor.id, actor.channel.value, True
    claimed = request.headers.get(signing.INSTITUTION.lower())
    if claimed is not None or request.headers.get(signing.SIGNATURE.lower()) is not None:
        return ActorKind.INSTITUTION.value, _printable(claimed or ""), Channel.INSTITUTION.value, False
    return "anonymous", "-", "unknown", False


def subject(request: Request, error: GongjiError) -> tuple[str, int, dict[str, str]]:
    """(subject type, subject id, the path's parameters) of what the refused request asked for."""
    asked = {str(k)[:40]: _printable(str(v), 60) for k, v in (request.path_params or {}).items()}
    if error.subject is not None:
        return error.subject[0], error.subject[1], asked
    for name, subject_type in SUBJECTS:
        value = asked.get(name)
        if value is None:
            continue
        if value.isdigit() and len(value) <= 18:
            return subject_type, int(value), asked
        return subject_type, 0, asked  # a code, not an id: named in ``asked``
    return "request", 0, asked


def event_row(request: Request, error: GongjiError, at: Any) -> dict[str, Any]:
    actor_kind, actor_id, channel, verified = caller(request, error)
    subject_type, subject_id, asked = subject(request, error)
    request_id = request.scope.get("state", {}).get("request_id", "") or ""
    return {"at": at, "kind": KIND, "actor_kind": actor_kind, "actor_id": actor_id, "channel": channel,
            "subject_type": subject_type, "subject_id": subject_id, "concerns": [],
            "data": {"method": request.method, "path": request.url.path[:200], "code": error.code,
                     "status": error.status, "verified": verified, "asked": asked,
                     "request_id": str(request_id)[:64]}}


def record(request: Request, error: GongjiError) -> None:
    """Write the ``access.refused`` event of this refusal in its own transaction (call from a worker thread).

    The event is written as a row rather than through :func:`gongji.events.service.record`, whose actor must be
    known: a bad signature's caller is not. No notification is made of it.
    """
    state = request.app.state
    db, env = state.db, state.env

    def write(session: Session) -> None:
        session.add(Event(**event_row(request, error, env.now())))

    try:
        db.run(write, attempts=3)
    except Exception:  # the refusal is answered all the same
        log.warning("could not record the refused access %s %s (%s)", request.method, request.url.path[:200],
                    error.code, exc_info=True)
