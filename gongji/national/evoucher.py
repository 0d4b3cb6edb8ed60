"""The e-voucher (医保电子凭证, certificate type 01) as 1101 reads it (NI-2).

A real e-voucher is a QR code on the insured person's phone, refreshed every minute; the HIS scans it and sends
its token as ``mdtrt_cert_no``, and the platform that issued it resolves the token to the person. Gongji issues
such tokens itself (``POST /v1/people/{person_id}/e-voucher``, the person only) so that 1101 with an e-voucher
says who is standing at the window only when that person showed his code: a token is the person's number, the
moment it expires and a MAC under the server key, so nothing needs storing and a token of someone else cannot
be made up.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime, timedelta

#: How long a shown code may be used: a QR code is scanned within seconds; the margin is for a slow HIS.
LIFETIME = timedelta(minutes=10)
PREFIX = "EV"
_TOKEN = re.compile(r"^EV(\d{1,15})-(\d{1,11})-([0-9A-F]{20})$")


def _mac(server_key: bytes, person_id: int, expires: int) -> str:
    message = f"e-voucher\x1f{person_id}\x1f{expires}".encode()
    return hmac.new(server_key, message, hashlib.sha256).hexdigest()[:20].upper()


def issue(server_key: bytes, person_id: int, now: datetime) -> tuple[str, datetime]:
    """A token for ``person_id`` valid until the returned moment (at most 50 characters, 1101's field length)."""
    expires_at = (now + LIFETIME).replace(microsecond=0)
    expires = int(expires_at.timestamp())
    return f"{PREFIX}{person_id}-{expires}-{_mac(server_key, person_id, expires)}", expires_at


def holder(server_key: bytes, token: str, now: datetime) -> int | None:
    """The person a well-formed, genuine and unexpired token was issued to; None for anything else."""
    match = _TOKEN.match(token.strip().upper())
    if match is None or not server_key:
        return None
    person_id, expires = int(match[1]), int(match[2])
    if not hmac.compare_digest(match[3], _mac(server_key, person_id, expires)):
        return None
    if now.timestamp() >= expires:
        return None
    return person_id
