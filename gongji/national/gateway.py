"""The national gateway's authentication (``x-tif-*`` headers), accepted beside Gongji's own signature (NI-1).

HIS clients written for the national platform authenticate to its gateway with four headers, as the Zebone client
computes them (``NationalInsuranceService.getHeaderElement``)::

    x-tif-paasid:    the institution's access id        (here: the institution's code)
    x-tif-timestamp: Unix seconds
    x-tif-nonce:     a new random string for every request
    x-tif-signature: hex(SHA-256(timestamp + token + nonce + timestamp))   (token: here, the institution's secret)

So each institution uses its own code and its own current secret (``gongji institution-secret``), as with
``X-Gongji-*``. The timestamp must be within the same window, and a nonce is accepted once per institution.
Unlike Gongji's signature, this one does not cover the request's path or body: the gateway's scheme proves who
sends and when, and TLS keeps the body as sent (see docs/national-interface.md).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

from sqlalchemy.orm import Session

from gongji.auth import service as auth
from gongji.env import Env
from gongji.errors import GongjiError

PAASID, TIMESTAMP, NONCE, SIGNATURE = "x-tif-paasid", "x-tif-timestamp", "x-tif-nonce", "x-tif-signature"
#: Zebone sends six letters and digits, the openhis client a GUID (36 with hyphens).
NONCE_PATTERN = re.compile(r"[A-Za-z0-9_-]{6,60}")
#: Where the gateway's nonces are kept beside Gongji's own (seen_nonces), so that the two never collide.
NONCE_PREFIX = "tif:"


def signature(timestamp: str, token: str, nonce: str) -> str:
    """``x-tif-signature`` as the clients compute it."""
    return hashlib.sha256(f"{timestamp}{token}{nonce}{timestamp}".encode()).hexdigest()


def _invalid(zh: str, en: str) -> GongjiError:
    return GongjiError("NI_GATEWAY_SIGNATURE_INVALID", reason_zh=zh, reason_en=en)


@dataclass(frozen=True)
class GatewayRequest:
    """The ``x-tif-*`` headers of a request (names in lower case)."""

    paasid: str
    timestamp: str
    nonce: str
    signature: str

    @classmethod
    def of(cls, headers: dict[str, str]) -> GatewayRequest | None:
        """The gateway headers if the request carries a gateway signature, else None."""
        if SIGNATURE not in headers:
            return None
        return cls(paasid=headers.get(PAASID, ""), timestamp=headers.get(TIMESTAMP, ""),
                   nonce=headers.get(NONCE, ""), signature=headers[SIGNATURE])

    def verify(self, session: Session, env: Env, *, server_key: bytes, window_s: int) -> auth.Principal:
        """The institution that signed, its nonce recorded in this transaction (refusals change nothing)."""
        ts = self.timestamp
        if not ts.isascii() or not ts.isdigit() or len(ts) > 12:
            raise _invalid("x-tif-timestamp 须为Unix秒数", "x-tif-timestamp must be Unix seconds")
        if abs(int(ts) - env.now().timestamp()) > window_s:
            raise GongjiError("SIGNATURE_STALE", timestamp=ts, window=window_s)
        if not NONCE_PATTERN.fullmatch(self.nonce):
            raise _invalid("x-tif-nonce 须为6至60位字母、数字、“-”或“_”",
                           "x-tif-nonce must have 6 to 60 letters, digits, '-' or '_'")
        found = session.execute(auth.SIGNER, {"code": self.paasid}).one_or_none() if 0 < len(self.paasid) <= 30 \
            else None
        if found is not None and (not found.active or found.version is None):
            found = None
        token = auth.institution_secret(server_key, self.paasid, found.version if found is not None else 0)
        if not hmac.compare_digest(signature(ts, token, self.nonce), self.signature.lower()) or found is None:
            raise _invalid("x-tif-paasid、密钥或签名不符", "x-tif-paasid, the secret or the signature does not match")
        if not auth.claim_nonce(session, env, code=found.code, nonce=NONCE_PREFIX + self.nonce):
            raise GongjiError("SIGNATURE_REPLAYED")
        return auth.Principal(role=auth.Role.INSTITUTION, id=found.code, name=found.name,
                              region_prefix=auth.region_prefix_of(found.region_code))
