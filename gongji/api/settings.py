"""The service's settings, from the environment (``GONGJI_*``), with defaults fit for a laptop."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def server_key_from_env() -> bytes:
    """``GONGJI_SECRET_KEY``; otherwise a key kept in ``GONGJI_SECRET_FILE`` (default ``gongji.secret``), made once.

    Institutions' secrets are derived from this key: keep it secret, and keep it (a new key makes
    every issued institution secret invalid).
    """
    value = os.environ.get("GONGJI_SECRET_KEY")
    if value:
        return value.encode()
    path = Path(os.environ.get("GONGJI_SECRET_FILE", "gongji.secret"))
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip().encode()


@dataclass(frozen=True)
class ApiSettings:
    server_key: bytes = field(repr=False)
    #: How far an institution's request time may be from the server's (seconds).
    signature_window_s: int = 300
    person_session_minutes: int = 30
    staff_session_minutes: int = 480
    max_body_bytes: int = 1_000_000
    #: The largest proof document a page takes (a phone photo of a household register, HN-3): the body limit of
    #: the forms that upload one (:data:`gongji.api.middleware.UPLOAD_PATHS`) is this and room for the other fields.
    max_upload_bytes: int = 10 * 1024 * 1024
    #: Failed logins of one account (an ID number, a staff id) within the window after which it is refused until
    #: the oldest of them leaves the window (LOGIN_THROTTLED); and of one client address, whatever the account.
    login_failures_per_account: int = 5
    login_failures_per_client: int = 50
    login_window_minutes: int = 15
    #: Binding requests for one payer within the window after which more are refused until the oldest leaves it
    #: (BINDING_ATTEMPTS_THROTTLED): a relative's name cannot be guessed by trying many. 0: no limit.
    binding_attempts_per_person: int = 20
    binding_window_hours: int = 24
    #: 1101 person look-ups of one institution within the window after which more are refused until the oldest
    #: leaves it (NI_LOOKUPS_THROTTLED): the population cannot be listed by trying numbers. 0: no limit.
    ni_lookups_per_institution: int = 600
    ni_lookup_window_minutes: int = 10
    #: Where the notification worker sends (``gongji.notifications.senders.sender_from_url``); None: no worker.
    notify_sender: str | None = "log"
    #: Seconds between the audit sealer's passes in the server (gongji.events.audit); 0: no sealer in the server.
    audit_seal_s: int = 5

    @classmethod
    def from_env(cls) -> ApiSettings:
        return cls(
            server_key=server_key_from_env(),
            signature_window_s=_int("GONGJI_SIGNATURE_WINDOW_S", 300),
            person_session_minutes=_int("GONGJI_PERSON_SESSION_MINUTES", 30),
            staff_session_minutes=_int("GONGJI_STAFF_SESSION_MINUTES", 480),
            max_body_bytes=_int("GONGJI_MAX_BODY_BYTES", 1_000_000),
            max_upload_bytes=_int("GONGJI_MAX_UPLOAD_BYTES", 10 * 1024 * 1024),
            login_failures_per_account=_int("GONGJI_LOGIN_FAILURES_PER_ACCOUNT", 5),
            login_failures_per_client=_int("GONGJI_LOGIN_FAILURES_PER_CLIENT", 50),
            login_window_minutes=_int("GONGJI_LOGIN_WINDOW_MINUTES", 15),
            binding_attempts_per_person=_int("GONGJI_BINDING_ATTEMPTS_PER_PERSON", 20),
            binding_window_hours=_int("GONGJI_BINDING_WINDOW_HOURS", 24),
            ni_lookups_per_institution=_int("GONGJI_NI_LOOKUPS_PER_INSTITUTION", 600),
            ni_lookup_window_minutes=_int("GONGJI_NI_LOOKUP_WINDOW_MINUTES", 10),
            notify_sender=os.environ.get("GONGJI_NOTIFY_SENDER", "log") or None,
            audit_seal_s=_int("GONGJI_AUDIT_SEAL_S", 5),
        )
