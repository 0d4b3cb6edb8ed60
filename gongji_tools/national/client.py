"""A small client for the national platform interface, as a hospital's or pharmacy's system (HIS) uses it.

It builds the standard's envelope, signs the request, posts it and reads the answer::

    from decimal import Decimal
    from gongji_tools.national.client import NationalClient

    with NationalClient("http://127.0.0.1:8000", code="H23010100001", name="哈尔滨市第一医院",
                        secret="…", area="230100") as his:
        his.sign_in()                                              # 9001; later envelopes carry sign_no
        person = his.call("1101", {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": id_number,
                                            "psn_cert_type": "01", "certno": id_number}}, check=True)
        insured = person.output["insuinfo"][0]
        answer = his.call("2206", {...}, insuplc_admdvs=insured["insuplc_admdvs"])
        if not answer.ok:
            print(answer.code, answer.err_msg)                    # "NI_TOTALS_DISAGREE", "【NI_TOTALS_DISAGREE】…"

What it does for you:

* **The envelope.** ``msgid`` is the institution's code, the time in China Standard Time (``yyyyMMddHHmmss``)
  and a 4-digit sequence (it starts at a random number, so that two runs in one second do not collide);
  ``inf_time`` is the time as ``yyyy-MM-dd HH:mm:ss``; ``recer_sys_code`` ``YBXT``, ``infver`` ``V1.0``,
  ``opter_type`` ``1`` and the operator are the client's; ``insuplc_admdvs`` (the patient's insured area, from
  1101's ``insuinfo``) is given with each call, since it depends on the patient.
* **The signature.** Every request is signed with the institution's secret by
  :class:`gongji.auth.signing.InstitutionAuth` (headers ``X-Gongji-*``, HMAC-SHA256 over the exact body).
* **Amounts.** Give amounts as :class:`~decimal.Decimal` (see :func:`yuan`); they are written as JSON numbers
  exactly as given (``Decimal("12.30")`` → ``12.30``). A ``float`` is refused with :class:`TypeError`: binary
  floating point cannot hold most amounts in yuan. Answers are read with every fraction as a ``Decimal``, so
  ``"balc": 160.00`` reads as ``Decimal("160.00")``.
* **Answers.** :meth:`NationalClient.call` returns an :class:`Answer` whatever the outcome: ``infcode`` 0 or -1,
  ``err_msg`` (``"【CODE】message"`` on a refusal, Chinese unless the client asked for ``language="en"``),
  ``output``, the HTTP status, whether the server answered a repeated ``msgid`` from its store (``replayed``),
  and the exact request and response text. With ``check=True`` a refusal raises :class:`Refused` instead.

Exceptions::

    NationalError          anything this module raises about an answer
     ├── Refused           infcode -1 (only with check=True, or Answer.raise_for_infcode()); .code, .answer
     └── BadAnswer         the reply is not the standard's answer envelope (not JSON, no infcode …)
    httpx.HTTPError        network faults and timeouts come through from httpx unchanged

After a timeout the message may or may not have been done. Send **the same envelope** again with
:meth:`NationalClient.send`: a message that changes something is stored under its ``msgid``, and a repeat
gets the first answer back and changes nothing more (``replayed`` is then true). To undo a message whose
answer never came, send 2601 with its ``msgid`` as ``omsgid``.

The module needs only httpx and :mod:`gongji.auth.signing`; a HIS may copy both.
"""

from __future__ import annotations

import itertools
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from gongji.auth.signing import InstitutionAuth

#: The one endpoint of the interface.
PATH = "/fsi/api/rsfComIfsService/callService"

#: China Standard Time: the zone of ``msgid``, ``inf_time`` and every time in messages.
CST = timezone(timedelta(hours=8), "CST")

_CODE = re.compile(r"^【([A-Z0-9_]+)】")


# -- exceptions ----------------------------------------------------------------------------------


class NationalError(Exception):
    """Something about an answer of the national interface."""


class Refused(NationalError):
    """The server answered ``infcode`` -1: the message was refused and changed nothing.

    ``code`` is the stable error code from ``err_msg``'s 【】 prefix (see ``docs/errors.md``), ``answer``
    the whole :class:`Answer`.
    """

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.code = answer.code
        super().__init__(f"{answer.infno} {answer.msgid} refused (HTTP {answer.status_code}): {answer.err_msg}")


class BadAnswer(NationalError):
    """The reply is not the standard's answer envelope (for example a proxy's error page)."""

    def __init__(self, message: str, *, status_code: int, text: str) -> None:
        self.status_code = status_code
        self.text = text
        shown = text if len(text) <= 200 else text[:200] + "…"
        super().__init__(f"{message} (HTTP {status_code}): {shown}")


# -- JSON with exact amounts ---------------------------------------------------------------------


def yuan(value: Decimal | int | str) -> Decimal:
    """An amount in yuan with exactly two decimals: ``yuan("12.3")`` → ``Decimal("12.30")``.

    Refuses floats and values with a third decimal that is not zero (the standard's amounts are 16,2).
    """
    if isinstance(value, float | bool):
        raise TypeError(f"give amounts as Decimal, int or str, not {type(value).__name__} ({value!r})")
    try:
        exact = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{value!r} is not an amount") from None
    if not exact.is_finite():
        raise ValueError(f"{value!r} is not an amount")
    two = exact.quantize(Decimal("0.01"))
    if two != exact:
        raise ValueError(f"{value!r} has more than two decimals")
    return two


def dumps(value: Any, *, indent: int | None = None) -> str:
    """JSON text: Decimals written as they are (``12.30``), Chinese as it is, floats refused.

    With ``indent`` the text is laid out over lines, for people to read.
    """
    return _dump(value, indent, 0)


def _dump(value: Any, indent: int | None, depth: int) -> str:
    if value is None or isinstance(value, bool | str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} cannot be written as JSON")
        return format(value, "f")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        raise TypeError(f"floats are not sent ({value!r}): give amounts as Decimal, e.g. yuan('12.30')")
    if isinstance(value, dict):
        items = [(json.dumps(str(k), ensure_ascii=False), _dump(v, indent, depth + 1)) for k, v in value.items()]
        return _join("{", "}", [f"{k}:{' ' if indent is not None else ''}{v}" for k, v in items], indent, depth)
    if isinstance(value, list | tuple):
        return _join("[", "]", [_dump(v, indent, depth + 1) for v in value], indent, depth)
    raise TypeError(f"no JSON form for {type(value).__name__}")


def _join(open_: str, close: str, parts: list[str], indent: int | None, depth: int) -> str:
    if indent is None:
        return open_ + ",".join(parts) + close
    if not parts:
        return open_ + close
    inner = "\n" + " " * (indent * (depth + 1))
    return open_ + inner + ("," + inner).join(parts) + "\n" + " " * (indent * depth) + close


def loads(text: str | bytes) -> Any:
    """Parse JSON with every fraction as a Decimal (``160.00`` stays ``Decimal("160.00")``)."""
    return json.loads(text, parse_float=Decimal)


# -- answers -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """One message and its answer.

    ``infcode`` is 0 (done) or -1 (refused; ``err_msg`` says why, ``output`` is None). ``request`` is the
    envelope that was sent; ``request_text`` and ``response_text`` are the bodies exactly as they travelled.
    """

    infno: str
    msgid: str
    infcode: int
    err_msg: str
    output: dict[str, Any] | None
    inf_refmsgid: str | None
    refmsg_time: str | None
    respond_time: str | None
    status_code: int
    replayed: bool
    request: dict[str, Any]
    request_text: str
    response_text: str
    body: dict[str, Any]

    @property
    def ok(self) -> bool:
        return self.infcode == 0

    @property
    def code(self) -> str | None:
        """The error code of a refusal (``NI_VISIT_NOT_FOUND``), from ``err_msg``'s 【】 prefix."""
        found = _CODE.match(self.err_msg or "")
        return found.group(1) if found else None

    def raise_for_infcode(self) -> Answer:
        """Raise :class:`Refused` if the message was refused; return the answer otherwise."""
        if not self.ok:
            raise Refused(self)
        return self


def _answer(envelope: dict[str, Any], request_text: str, response: httpx.Response) -> Answer:
    text = response.text
    try:
        body = loads(response.content)
    except ValueError:
        raise BadAnswer("the reply is not JSON", status_code=response.status_code, text=text) from None
    if not isinstance(body, dict) or "infcode" not in body:
        raise BadAnswer("the reply has no infcode", status_code=response.status_code, text=text)
    try:
        infcode = int(body["infcode"])  # a number here; some platforms send "0"
    except (TypeError, ValueError):
        raise BadAnswer("the reply's infcode is not a number", status_code=response.status_code, text=text) from None
    output = body.get("output")
    return Answer(
        infno=envelope["infno"], msgid=envelope["msgid"], infcode=infcode, err_msg=body.get("err_msg") or "",
        output=output if isinstance(output, dict) else None, inf_refmsgid=body.get("inf_refmsgid"),
        refmsg_time=body.get("refmsg_time"), respond_time=body.get("respond_time"),
        status_code=response.status_code, replayed=response.headers.get("Idempotent-Replayed") == "true",
        request=envelope, request_text=request_text, response_text=text, body=body,
    )


# -- the client ----------------------------------------------------------------------------------


class NationalClient:
    """One institution's connection to the interface. Not for sharing between threads (the sequence).

    ``code`` and ``name`` are the institution's (``fixmedins_code``, ``fixmedins_name``), ``secret`` the one
    an administrator issued for it (``POST /v1/institutions/{code}/secret``; ``gongji demo`` prints the demo's),
    ``area`` the division code where care is given (``mdtrtarea_admvs``, e.g. ``230100``). ``opter`` and
    ``opter_name`` name the operator; ``language`` ``"en"`` asks for ``err_msg`` in English. ``transport`` and
    ``clock`` (a function returning an aware datetime) are for tests.
    """

    def __init__(self, base_url: str, code: str, name: str, secret: str, area: str, *, opter: str = "0001",
                 opter_name: str = "收费员", opter_type: str = "1", timeout: float = 30.0, language: str = "zh",
                 infver: str = "V1.0", recer_sys_code: str = "YBXT", sequence_start: int | None = None,
                 transport: httpx.BaseTransport | None = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.code, self.name, self.area = code, name, area
        self.opter, self.opter_name, self.opter_type = opter, opter_name, opter_type
        self.infver, self.recer_sys_code = infver, recer_sys_code
        #: The sign-in number of 9001; sent in every envelope while set.
        self.sign_no = ""
        self._clock = clock or (lambda: datetime.now(CST))
        start = secrets.randbelow(10_000) if sequence_start is None else sequence_start
        self._sequence = itertools.count(start)
        self._http = httpx.Client(base_url=base_url, auth=InstitutionAuth(code, secret), timeout=timeout,
                                  transport=transport,
                                  headers={"Content-Type": "application/json; charset=utf-8",
                                           "Accept-Language": language})

    def __enter__(self) -> NationalClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- building ------------------------------------------------------------------------------

    def now(self) -> datetime:
        """The time in China Standard Time."""
        return self._clock().astimezone(CST)

    def msgid(self) -> str:
        """发送方报文ID: the institution's code + ``yyyyMMddHHmmss`` (CST) + a 4-digit sequence."""
        return f"{self.code}{self.now():%Y%m%d%H%M%S}{next(self._sequence) % 10_000:04d}"

    def envelope(self, infno: str, input: dict[str, Any], *, insuplc_admdvs: str = "",
                 msgid: str | None = None) -> dict[str, Any]:
        """The whole message for ``infno`` with ``input`` (keyed by node name, e.g. ``{"data": {...}}``)."""
        return {
            "infno": infno, "msgid": msgid or self.msgid(), "mdtrtarea_admvs": self.area,
            "insuplc_admdvs": insuplc_admdvs, "recer_sys_code": self.recer_sys_code, "dev_no": "",
            "dev_safe_info": "", "cainfo": "", "signtype": "", "infver": self.infver, "opter_type": self.opter_type,
            "opter": self.opter, "opter_name": self.opter_name, "inf_time": f"{self.now():%Y-%m-%d %H:%M:%S}",
            "fixmedins_code": self.code, "fixmedins_name": self.name, "sign_no": self.sign_no, "input": input,
        }

    # -- sending -------------------------------------------------------------------------------

    def send(self, envelope: dict[str, Any], *, check: bool = False) -> Answer:
        """Post a prepared envelope (again, after a timeout: the same envelope, the same ``msgid``)."""
        text = dumps(envelope)
        response = self._http.post(PATH, content=text.encode("utf-8"))
        answer = _answer(envelope, text, response)
        return answer.raise_for_infcode() if check else answer

    def call(self, infno: str, input: dict[str, Any], *, insuplc_admdvs: str = "", check: bool = False) -> Answer:
        """Build the envelope for ``infno`` and send it; with ``check`` a refusal raises :class:`Refused`."""
        return self.send(self.envelope(infno, input, insuplc_admdvs=insuplc_admdvs), check=check)

    def sign_in(self, *, ip: str = "127.0.0.1", mac: str = "", check: bool = False) -> Answer:
        """9001 签到 for the operator; on success later envelopes carry the returned ``sign_no``."""
        answer = self.call("9001", {"signIn": {"opter_no": self.opter, "mac": mac, "ip": ip}}, check=check)
        if answer.ok:
            self.sign_no = answer.output["signinoutb"]["sign_no"]
        return answer

    def sign_out(self, *, check: bool = False) -> Answer:
        """9002 签退 of the current sign-in; on success envelopes no longer carry a ``sign_no``."""
        answer = self.call("9002", {"signOut": {"sign_no": self.sign_no, "opter_no": self.opter}}, check=check)
        if answer.ok:
            self.sign_no = ""
        return answer
