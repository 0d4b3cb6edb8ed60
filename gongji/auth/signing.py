"""Signed requests of institutions (hospitals and pharmacies).

An institution holds a code and a secret. Each request carries four headers::

    X-Gongji-Institution: H23010100001
    X-Gongji-Timestamp:   1767225600            (Unix seconds)
    X-Gongji-Nonce:       6f1c0c5e9a2b4d1f8e7a  (16 to 64 letters, digits, '-' or '_'; new for every request)
    X-Gongji-Signature:   hex(HMAC-SHA256(secret, canonical))

where ``canonical`` is six lines joined by ``\\n``: the method in capitals, the path with its query
string exactly as sent, the timestamp, the nonce, the ``Idempotency-Key`` header's value (an empty
line when the request has none), and the hex SHA-256 of the body (of the empty string when there is
none). The server refuses a signature that does not match, a timestamp more than five minutes away
from its clock, and a nonce it has seen before.

The idempotency key is signed because it decides whether a request is new: someone between the
institution and the service who changed it could make one signed settlement be paid twice (the
nonce stops a plain replay, not a copy with another key). A signature over the five lines of the
former scheme, without the key, is refused.

This module is used by both sides: the server verifies with :func:`expected_signature`, clients sign
with :func:`signed_headers` or, with httpx, :class:`InstitutionAuth`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time

INSTITUTION = "X-Gongji-Institution"
TIMESTAMP = "X-Gongji-Timestamp"
NONCE = "X-Gongji-Nonce"
SIGNATURE = "X-Gongji-Signature"
IDEMPOTENCY_KEY = "Idempotency-Key"  # not a signature header, but covered by the signature

NONCE_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")


def canonical(method: str, path_and_query: str, timestamp: str, nonce: str, body: bytes,
              idempotency_key: str | None = None) -> bytes:
    return "\n".join(
        [method.upper(), path_and_query, timestamp, nonce, idempotency_key or "", hashlib.sha256(body).hexdigest()]
    ).encode()


def expected_signature(secret: str, method: str, path_and_query: str, timestamp: str, nonce: str,
                       body: bytes, idempotency_key: str | None = None) -> str:
    return hmac.new(secret.encode(), canonical(method, path_and_query, timestamp, nonce, body, idempotency_key),
                    hashlib.sha256).hexdigest()


def signed_headers(code: str, secret: str, method: str, path_and_query: str, body: bytes = b"", *,
                   timestamp: int | None = None, nonce: str | None = None,
                   idempotency_key: str | None = None) -> dict[str, str]:
    """The four headers that sign one request (with the ``Idempotency-Key`` it will carry, if any)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    nonce = nonce or secrets.token_hex(16)
    return {
        INSTITUTION: code,
        TIMESTAMP: ts,
        NONCE: nonce,
        SIGNATURE: expected_signature(secret, method, path_and_query, ts, nonce, body, idempotency_key),
    }


def __getattr__(name: str):
    """:class:`InstitutionAuth` is made on first use, from :mod:`gongji.auth.httpx_auth`: the server, which only
    verifies, then never imports httpx (which loads its own command line's libraries, some 7 MB a process)."""
    if name == "InstitutionAuth":
        from gongji.auth.httpx_auth import InstitutionAuth

        return InstitutionAuth
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
