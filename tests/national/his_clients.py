"""Two real HIS clients as they frame, serialize, address and authenticate a message (NI-1).

Reproduced from reading their public source (their habits, not their code):

* **openhis** (newtouch-cloud/openhis, C#; ``WinServiceAPI/YiBaoInterface/ClassHelper.cs``, ``Models/Input``):
  the envelope class ``InputPost1`` serialized by Newtonsoft.Json, parsed into a ``JObject`` and written back
  with ``ToString()``: indented by two spaces, CRLF line ends, ``"key": value``, every property kept (``null``
  too), the HIS's empty strings for what it does not know; the ``JObject`` round trip turns every ``decimal`` into a
  double (``300.0``, ``12.5``), and a ``DateTime`` property is written ``yyyy-MM-ddTHH:mm:ss``. One URL for every
  transaction. It signs in (9001) before its first message and sends the ``sign_no`` in every envelope; for 2207
  ``cainfo`` carries the card password, RSA-encrypted. Its gateway headers (``x-tif-*``, a GUID nonce) are written
  in its source beside an ``apikey`` header.
* **Zebone NHIS** (S-117-John/nhis-web, Java; ``compay/pub/service/NationalInsuranceService.java``): camelCase maps
  turned into snake_case keys (``humpToLine``), nulls dropped (``transLine``), written compactly by Jackson in the
  key order of a Java ``HashMap``; amounts are ``Double`` (``30.0``); ``recer_sys_code`` ``01``, ``signtype``
  ``SM3``, ``insuplc_admdvs`` the hospital's own division; one URL per transaction (``<base>/<infno>``); the
  ``x-tif-*`` headers with a six-character nonce.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import string
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from gongji.clock import CST
from tests.api.conftest import Api
from tests.national.conftest import PATH


def x_tif(token: str, paasid: str, timestamp: int, nonce: str) -> dict[str, str]:
    """The gateway headers both clients compute: hex SHA-256 of timestamp + token + nonce + timestamp."""
    ts = str(timestamp)
    return {"x-tif-paasid": paasid, "x-tif-timestamp": ts, "x-tif-nonce": nonce,
            "x-tif-signature": hashlib.sha256(f"{ts}{token}{nonce}{ts}".encode()).hexdigest()}


def double(value: Any) -> str:
    """A number as .NET's and Java's doubles print it (shortest round trip, ``.0`` on whole numbers)."""
    return repr(float(value))


# -- openhis: Newtonsoft.Json, JObject.ToString() -------------------------------------------------


def newtonsoft(value: Any, depth: int = 0) -> str:
    """``JObject.ToString()`` on Windows: two-space indents, CRLF, ``"key": value``, nulls kept."""
    pad, inner = "  " * depth, "  " * (depth + 1)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{inner}{json.dumps(k)}: {newtonsoft(v, depth + 1)}" for k, v in value.items()]
        return "{\r\n" + ",\r\n".join(items) + "\r\n" + pad + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        return "[\r\n" + ",\r\n".join(inner + newtonsoft(v, depth + 1) for v in value) + "\r\n" + pad + "]"
    if isinstance(value, Decimal | float):
        return double(value)
    return json.dumps(value, ensure_ascii=False)


# -- Zebone: Jackson over a HashMap ---------------------------------------------------------------


def _java_hash(key: str) -> int:
    h = 0
    for ch in key:
        h = (31 * h + ord(ch)) & 0xFFFFFFFF
    return h


def hashmap_order(keys: list[str]) -> list[str]:
    """The order a ``java.util.HashMap`` of these keys iterates in (bucket by spread hash, then insertion)."""
    capacity = 16
    while len(keys) > capacity * 3 // 4:
        capacity *= 2
    return sorted(keys, key=lambda k: ((_java_hash(k) ^ (_java_hash(k) >> 16)) & (capacity - 1), keys.index(k)))


def _hump_to_line(key: str) -> str:
    """Zebone's ``humpToLine``: ``mdtrtCertType`` → ``mdtrt_cert_type``."""
    return "".join("_" + ch.lower() if ch.isupper() and i > 0 else ch for i, ch in enumerate(key))


def jackson(value: Any) -> str:
    """``transLine`` then ``JsonUtil.writeValueAsString``: snake_case keys, nulls dropped, compact."""
    if isinstance(value, dict):
        converted = {_hump_to_line(k): v for k, v in value.items() if v is not None}
        return "{" + ",".join(f"{json.dumps(k)}:{jackson(converted[k])}"
                              for k in hashmap_order(list(converted))) + "}"
    if isinstance(value, list):
        return "[" + ",".join(jackson(v) for v in value) + "]"
    if isinstance(value, Decimal | float):
        return double(value)
    return json.dumps(value, ensure_ascii=False)


# -- the two clients ------------------------------------------------------------------------------


@dataclass
class Client:
    """One hospital's HIS talking to ``gongji serve`` as it would talk to the national platform."""

    api: Api
    code: str
    name: str
    area: str
    token: str  # the institution's secret, configured as the gateway token
    sign_no: str = ""
    sent: list[tuple[str, str, bytes]] = field(default_factory=list)  # (infno, msgid, body)

    def now(self):
        return self.api.world.env.now().astimezone(CST)

    def msgid(self) -> str:
        """Both clients: institution code + yyyyMMddHHmmss + four digits."""
        return f"{self.code}{self.now():%Y%m%d%H%M%S}{secrets.randbelow(9999) + 1:04d}"

    def envelope(self, infno: str, data: dict[str, Any], insuplc: str) -> dict[str, Any]:
        raise NotImplementedError

    def serialize(self, message: dict[str, Any]) -> bytes:
        raise NotImplementedError

    def url(self, infno: str) -> str:
        raise NotImplementedError

    def nonce(self) -> str:
        raise NotImplementedError

    def headers(self) -> dict[str, str]:
        return {"Content-Type": "application/json",
                **x_tif(self.token, self.code, int(self.api.world.env.now().timestamp()), self.nonce())}

    def post(self, infno: str, data: dict[str, Any], *, insuplc: str = "") -> tuple[str, dict[str, Any]]:
        """Send one message; its msgid and the answer (numbers as Decimals)."""
        message = self.envelope(infno, data, insuplc)
        body = self.serialize(message)
        self.sent.append((infno, message["msgid"], body))
        response = self.api.client.post(self.url(infno), content=body, headers=self.headers())
        assert response.status_code == 200, response.text
        return message["msgid"], json.loads(response.content, parse_float=Decimal)

    def ok(self, infno: str, data: dict[str, Any], *, insuplc: str = "") -> Any:
        msgid, got = self.post(infno, data, insuplc=insuplc)
        assert got["infcode"] == 0, (infno, got["err_msg"])
        self.last_msgid = msgid
        return got["output"]


class OpenHis(Client):
    """newtouch-cloud/openhis."""

    def envelope(self, infno: str, data: dict[str, Any], insuplc: str) -> dict[str, Any]:
        cainfo = ""
        if infno in ("2207", "2304", "2102"):  # the card password, RSA-encrypted with the platform's key
            cainfo = secrets.token_urlsafe(128)[:172]
        return {"infno": infno, "msgid": self.msgid(), "mdtrtarea_admvs": self.area, "insuplc_admdvs": insuplc,
                "recer_sys_code": "YBXT", "dev_no": None, "dev_safe_info": None, "cainfo": cainfo, "signtype": None,
                "infver": "V1.0", "opter_type": "1", "opter": "0001", "opter_name": "收费员",
                "inf_time": f"{self.now():%Y-%m-%d %H:%M:%S}", "fixmedins_code": self.code,
                "fixmedins_name": self.name, "sign_no": self.sign_no if infno != "9001" else None, "input": data}

    def serialize(self, message: dict[str, Any]) -> bytes:
        return newtonsoft(message).encode()

    def url(self, infno: str) -> str:
        return PATH

    def nonce(self) -> str:
        return str(uuid.uuid4())

    def headers(self) -> dict[str, str]:
        return {**super().headers(), "apikey": "123456",
                "User-Agent": "Mozilla/5.0 (Windows NT 10.0; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) "
                              "Chrome/45.0.2454.101 Safari/537.36"}


class Zebone(Client):
    """S-117-John/nhis-web (Zebone NHIS). Its inputs are built as camelCase maps, as its code builds them."""

    def envelope(self, infno: str, data: dict[str, Any], insuplc: str) -> dict[str, Any]:
        return {"infno": infno, "msgid": self.msgid(), "mdtrtareaAdmvs": self.area, "insuplcAdmdvs": self.area,
                "recerSysCode": "01", "signtype": "SM3", "infver": "V1.0", "opterType": "1", "opterName": "收费员",
                "opter": "0001", "infTime": f"{self.now():%Y-%m-%d %H:%M:%S}", "fixmedinsCode": self.code,
                "fixmedinsName": self.name, "cainfo": "", "signNo": "", "devNo": None, "input": data}

    def serialize(self, message: dict[str, Any]) -> bytes:
        return jackson(message).encode()

    def url(self, infno: str) -> str:
        return f"{PATH}/{infno}"

    def nonce(self) -> str:
        return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(6))
