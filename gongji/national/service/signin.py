"""9001 / 9002: sign-in and sign-out."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import select

from gongji.errors import GongjiError
from gongji.national import tables, wire
from gongji.national.models import NiSignIn
from gongji.national.service.message import Message


def sign_in(msg: Message, data: dict[str, Any]) -> dict[str, Any]:
    # Zebone's client turns every key to snake_case, the node's name too: signIn arrives as sign_in.
    node = wire.read(data.get("signIn", data.get("sign_in")), tables.SIGN_IN, node_name="signIn", node_zh="签到信息")
    sign_no = msg.now.astimezone(wire.CST).strftime("%Y%m%d%H%M%S") + f"{secrets.randbelow(10**16):016d}"
    msg.session.add(NiSignIn(sign_no=sign_no, institution_code=msg.institution.code, opter_no=node["opter_no"],
                             ip=node["ip"], mac=node["mac"], signed_in_at=msg.now))
    msg.session.flush()
    return {"signinoutb": {"sign_time": wire.time_text(msg.now), "sign_no": sign_no}}


def sign_out(msg: Message, data: dict[str, Any]) -> dict[str, Any]:
    node = wire.read(data.get("signOut", data.get("sign_out", data)), tables.SIGN_OUT, node_name="signOut", node_zh="签退信息")
    sign_no = node["sign_no"] or msg.header.get("sign_no")
    if sign_no is None:
        raise GongjiError("NI_FIELD_REQUIRED", field="sign_no", name_zh="签到编号")
    row = signed_in(msg, sign_no)
    row.signed_out_at = msg.now
    return {"signoutoutb": {"sign_time": wire.time_text(msg.now)}}


def signed_in(msg: Message, sign_no: str) -> NiSignIn:
    row = msg.session.execute(select(NiSignIn).where(NiSignIn.sign_no == sign_no)).scalar_one_or_none()
    if row is None or row.institution_code != msg.institution.code or row.signed_out_at is not None:
        raise GongjiError("NI_SIGN_IN_INVALID", sign_no=sign_no)
    return row
