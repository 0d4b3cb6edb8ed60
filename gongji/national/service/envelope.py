"""The envelope (NI-1): checked, looked up by message id, run, and its answer kept."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from gongji.env import Env
from gongji.errors import GongjiError
from gongji.institutions import service as institutions
from gongji.national import wire
from gongji.national.models import NiMessage
from gongji.national.service.message import Message, stored_message
from gongji.national.service.signin import signed_in
from gongji.national.service.transactions import TRANSACTIONS, Transaction
from gongji.terms import InstitutionKind


@dataclass(frozen=True)
class Answer:
    """What goes back: the envelope's fields besides ``infcode`` and ``err_msg``, and whether it is a repeat."""

    output: str  # JSON text of the output object
    inf_refmsgid: str
    refmsg_time: str
    respond_time: str
    replayed: bool = False



def fingerprint(infno: str, data: Any) -> str:
    return hashlib.sha256(f"{infno}\x1f{wire.canonical(data)}".encode()).hexdigest()


def reference(area: str, serial: int | None, at: datetime) -> str:
    """``inf_refmsgid``: the receiver's area (6), the time (14) and a serial (10)."""
    number = serial if serial is not None else secrets.randbelow(10**10)
    return f"{area}{at.astimezone(wire.CST):%Y%m%d%H%M%S}{number % 10**10:010d}"


def check_envelope(header: dict[str, Any], caller: str) -> Transaction:
    """NI-1: the envelope's own rules, before anything is looked up."""
    if header["fixmedins_code"] != caller:
        raise GongjiError("NI_INSTITUTION_MISMATCH", given=header["fixmedins_code"], caller=caller)
    for key, zh in (("mdtrtarea_admvs", "就医地医保区划"), ("insuplc_admdvs", "参保地医保区划")):
        value = header.get(key)
        if value is not None and not (len(value) == 6 and value.isascii() and value.isdigit()):
            raise GongjiError("NI_FIELD_INVALID", field=key, name_zh=zh, value=value, reason_zh="须为6位数字的区划代码",
                              reason_en="it is a 6-digit division code")
    if not header["msgid"].startswith(caller[:12]):
        raise GongjiError("NI_FIELD_INVALID", field="msgid", name_zh="发送方报文ID", value=header["msgid"],
                          reason_zh="须以本机构编号开头（机构编号+时间+顺序号）",
                          reason_en="it begins with the institution's code (code + time + sequence)")
    transaction = TRANSACTIONS.get(header["infno"])
    if transaction is None:
        raise GongjiError("NI_UNKNOWN_TRANSACTION", infno=header["infno"], supported="、".join(TRANSACTIONS))
    return transaction


def run(session: Session, env: Env, *, header: dict[str, Any], data: Any, received: datetime,
        server_key: bytes) -> Answer:
    """One message, in the caller's transaction: replay, or check and do it and keep the answer.

    ``server_key`` checks what the message carries that Gongji issued itself (1101's e-voucher tokens).
    """
    transaction = TRANSACTIONS[header["infno"]]
    institution = institutions.find(session, header["fixmedins_code"])
    if header["mdtrtarea_admvs"][:4] != institution.region_code[:4]:
        raise GongjiError("NI_FIELD_INVALID", field="mdtrtarea_admvs", name_zh="就医地医保区划",
                          value=header["mdtrtarea_admvs"], reason_zh=f"本机构位于 {institution.region_code}",
                          reason_en=f"the institution is in {institution.region_code}")
    if transaction.kind is not None and institution.kind != transaction.kind.value:
        own = InstitutionKind(institution.kind)
        hint = ("药店请使用 2101、2102、2103。", "Pharmacies use 2101, 2102 and 2103.") if own is InstitutionKind.PHARMACY else (
            "医疗机构请使用 2201 至 2208。", "Hospitals use 2201 to 2208.")
        raise GongjiError("NI_WRONG_INSTITUTION_KIND", infno=transaction.infno, kind_zh=transaction.kind.zh,
                          kind_en=transaction.kind.en, name=institution.name, own_zh=own.zh, own_en=own.en,
                          hint_zh=hint[0], hint_en=hint[1])
    if not isinstance(data, dict):
        raise GongjiError("NI_FIELD_REQUIRED" if wire.is_missing(data) else "NI_FIELD_INVALID", field="input",
                          name_zh="交易输入", value=type(data).__name__, reason_zh="须为 JSON 对象",
                          reason_en="it must be a JSON object")
    area = institution.region_code
    print_ = fingerprint(transaction.infno, data)
    if transaction.writes:
        earlier = stored_message(session, institution.code, header["msgid"], lock=True)
        if earlier is not None:
            if earlier.status == "reversed":
                raise GongjiError("NI_MESSAGE_REVERSED", msgid=header["msgid"])
            if earlier.fingerprint != print_:
                raise GongjiError("NI_MSGID_REUSED", msgid=header["msgid"], infno=earlier.infno)
            return Answer(output=earlier.answer, inf_refmsgid=earlier.inf_refmsgid, refmsg_time=earlier.refmsg_time,
                          respond_time=earlier.respond_time, replayed=True)
    msg = Message(session=session, env=env, institution=institution, header=header, now=env.now(),
                  server_key=server_key)
    if header.get("sign_no") and transaction.infno not in ("9001", "9002"):
        signed_in(msg, header["sign_no"])
    output = wire.dumps(transaction.handler(msg, data))
    refmsg_time = wire.stamp(received)
    if not transaction.writes:
        return Answer(output=output, inf_refmsgid=reference(area, None, received), refmsg_time=refmsg_time,
                      respond_time=wire.stamp(env.now()))
    row = NiMessage(institution_code=institution.code, msgid=header["msgid"], infno=transaction.infno,
                    fingerprint=print_, person_id=msg.person_id, answer=output, status="answered",
                    received_at=received, visit_id=msg.visit_id, settlement_id=msg.settlement_id,
                    refmsg_time=refmsg_time)
    session.add(row)
    session.flush()
    row.inf_refmsgid = reference(area, row.id, received)
    row.respond_time = wire.stamp(env.now())
    session.flush()
    return Answer(output=output, inf_refmsgid=row.inf_refmsgid, refmsg_time=refmsg_time,
                  respond_time=row.respond_time)
