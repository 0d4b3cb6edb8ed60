"""Messages between instances on the wire: the envelope, its signature, and one delivery over HTTP.

A message travels as JSON::

    {"message_id": "…", "kind": "wallet.transfer", "source": "23", "destination": "41",
     "created_at": "2025-06-02T02:00:00+00:00", "body": {…}}

``POST /v1/federation/messages`` on the next hop (a province's hub, or the hub's province), with headers

* ``X-Gongji-Sender``: who delivers it (a province's two digits, or ``hub``);
* ``X-Gongji-Timestamp``: Unix seconds, within :data:`WINDOW_S` of the receiver's time;
* ``X-Gongji-Signature``: hex HMAC-SHA256, with the link's secret, of ``sender \\n timestamp \\n`` and the body bytes.

The receiver answers 200 once the message is stored (and, in a province, applied): that is the acknowledgement. A
replay of a signed message within the window is harmless: the receiver applies a message id once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from gongji.errors import GongjiError
from gongji.federation.config import HUB_NAME

if TYPE_CHECKING:
    import httpx

SENDER, TIMESTAMP, SIGNATURE = "X-Gongji-Sender", "X-Gongji-Timestamp", "X-Gongji-Signature"
PATH = "/v1/federation/messages"
WINDOW_S = 300
#: The kinds of message, and the body fields each must carry.
KINDS: dict[str, tuple[str, ...]] = {
    # payer's province → relative's province: money sent, in transit
    "wallet.transfer": ("transfer_no", "payer_id_number", "payer_name", "region_code", "beneficiary_id_number",
                        "relationship", "amount_fen", "sent_at", "sent_on", "return_due_at"),
    # relative's province → payer's: what became of it
    "wallet.accepted": ("transfer_no", "accepted_at"),
    "wallet.returned": ("transfer_no", "returned_at"),
    "wallet.refused": ("transfer_no", "refused_at", "code", "message_zh", "message_en"),
    # 转移接续 (LC-7): the province a person left → the one he moved to, his personal-account balance in transit
    "account.transfer": ("transfer_no", "id_number", "name", "from_region_code", "to_region_code",
                         "current_year_fen", "prior_years_fen", "moved_on", "sent_at"),
    # and back: what became of it
    "account.arrived": ("transfer_no", "arrived_at"),
    "account.refused": ("transfer_no", "refused_at", "code", "message_zh", "message_en"),
}


@dataclass(frozen=True)
class Envelope:
    message_id: str
    kind: str
    source: str
    destination: str
    created_at: datetime
    body: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"message_id": self.message_id, "kind": self.kind, "source": self.source,
                "destination": self.destination, "created_at": self.created_at.isoformat(), "body": self.body}


def _invalid(reason: str) -> GongjiError:
    return GongjiError("FEDERATION_MESSAGE_INVALID", reason=reason)


def parse_envelope(data: Any) -> Envelope:
    """Check a received message's form; FEDERATION_MESSAGE_INVALID says what is wrong."""
    if not isinstance(data, dict):
        raise _invalid("not a JSON object")
    for name in ("message_id", "kind", "source", "destination", "created_at"):
        if not isinstance(data.get(name), str) or not data[name] or len(data[name]) > 40:
            raise _invalid(f"'{name}' must be a string of 1 to 40 characters")
    for name in ("source", "destination"):  # a province's two digits; the hub is a source only (its refusals)
        value = data[name]
        province = len(value) == 2 and value.isascii() and value.isdigit()
        if not province and not (name == "source" and value == HUB_NAME):
            raise _invalid(f"'{name}' must be a province's two digits" + (" or hub" if name == "source" else ""))
    kind = data["kind"]
    if kind not in KINDS:
        raise _invalid(f"unknown kind '{kind[:40]}'")
    body = data.get("body")
    if not isinstance(body, dict):
        raise _invalid("'body' must be an object")
    missing = [name for name in KINDS[kind] if name not in body]
    if missing:
        raise _invalid(f"the body of {kind} lacks {', '.join(missing)}")
    transfer_no = body["transfer_no"]  # every kind names its transfer; checked here so that the hub relays none bad
    if not isinstance(transfer_no, str) or not 1 <= len(transfer_no) <= 60:
        raise _invalid("'transfer_no' must be a string of 1 to 60 characters")
    try:
        created_at = datetime.fromisoformat(data["created_at"])
    except ValueError:
        raise _invalid("'created_at' is not an ISO 8601 instant") from None
    if created_at.tzinfo is None:
        raise _invalid("'created_at' has no time zone")
    return Envelope(data["message_id"], kind, data["source"], data["destination"], created_at, body)


def sign(secret: bytes, sender: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret, f"{sender}\n{timestamp}\n".encode() + body, hashlib.sha256).hexdigest()


def check_signature(secret: bytes | None, *, sender: str, timestamp: str, signature: str, body: bytes,
                    now_s: float | None = None) -> None:
    """Refuse a message whose sender is unknown, whose signature is wrong, or whose time is out of the window."""
    if secret is None:
        raise GongjiError("FEDERATION_SIGNATURE_INVALID", reason_zh=f"不认识的发送方“{sender[:20]}”",
                          reason_en=f"unknown sender '{sender[:20]}'")
    try:
        sent_s = int(timestamp)
    except ValueError:
        raise GongjiError("FEDERATION_SIGNATURE_INVALID", reason_zh="时间戳无效",
                          reason_en="the timestamp is not Unix seconds") from None
    if abs((now_s if now_s is not None else time.time()) - sent_s) > WINDOW_S:
        raise GongjiError("FEDERATION_SIGNATURE_INVALID", reason_zh="时间戳超出允许范围（两端时钟须一致）",
                          reason_en="the timestamp is outside the window (the two clocks must agree)")
    if not hmac.compare_digest(sign(secret, sender, timestamp, body), signature):
        raise GongjiError("FEDERATION_SIGNATURE_INVALID", reason_zh="签名不符", reason_en="the signature does not match")


def deliver(client: httpx.Client, url: str, secret: bytes, sender: str, envelope: dict[str, Any]) -> None:
    """POST one message to the next hop; return when it is acknowledged, raise otherwise."""
    body = json.dumps(envelope, ensure_ascii=False, sort_keys=True).encode()
    timestamp = str(int(time.time()))
    response = client.post(url + PATH, content=body, headers={
        "Content-Type": "application/json", SENDER: sender, TIMESTAMP: timestamp,
        SIGNATURE: sign(secret, sender, timestamp, body)})
    if response.status_code != 200:
        raise DeliveryFailed(f"HTTP {response.status_code}: {response.text[:300]}", response.status_code)


class DeliveryFailed(Exception):
    """The next hop answered but did not acknowledge a message; it is sent again later."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status
