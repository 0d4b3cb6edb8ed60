"""The national platform interface's one endpoint: ``POST /fsi/api/rsfComIfsService/callService`` (NI-1).

Hospital and pharmacy systems (HIS) send the standard's envelope (``infno``, ``msgid``, …, ``input``) and
get the standard's answer (``infcode``, ``inf_refmsgid``, ``refmsg_time``, ``respond_time``, ``err_msg``,
``output``). Every answer is such an envelope, errors included: ``infcode`` -1 with ``err_msg`` in Chinese
(English with ``Accept-Language: en``), beginning with the error's stable code in 【】.

Institutions sign requests as everywhere in the API (``X-Gongji-*`` headers over the exact body), or with the
national gateway's ``x-tif-*`` headers as HIS clients compute them (:mod:`gongji.national.gateway`); a
missing or wrong signature is answered with HTTP 401, a refused message with HTTP 200 and ``infcode`` -1,
a fault of the server with HTTP 500 (nothing was done; send the message again, or reverse it with 2601).

The same endpoint answers at ``.../callService/<infno>`` (one URL per transaction, as the Zebone client
posts); the path's transaction number must then be the envelope's ``infno``.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from fastapi.security import HTTPBearer

from gongji.api import metrics, refusals
from gongji.api.calls import authenticate
from gongji.api.middleware import BodyTooLarge
from gongji.api.problems import language_of
from gongji.auth import signing
from gongji.auth.service import Role
from gongji.errors import GongjiError
from gongji.national import gateway, service, tables, wire
from gongji.national.service.person import LOOKUP_INFNO, count_lookup

log = logging.getLogger("gongji.national")

router = APIRouter(tags=["national interface"])

PATH = "/fsi/api/rsfComIfsService/callService"

_bearer = HTTPBearer(auto_error=False)  # a person's or staff member's login, refused here with 403

#: Refusals of the caller rather than of the message.
_AUTH = {"AUTH_REQUIRED": 401, "SESSION_EXPIRED": 401, "SIGNATURE_INVALID": 401, "SIGNATURE_STALE": 401,
         "SIGNATURE_REPLAYED": 401, "NI_GATEWAY_SIGNATURE_INVALID": 401, "FORBIDDEN": 403}

_ENVELOPE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": [f.name for f in tables.ENVELOPE if f.required] + ["input"],
    "properties": {
        **{f.name: {"type": "string", "maxLength": f.length, "description": f.zh} for f in tables.ENVELOPE},
        "input": {"type": "object", "description": "交易输入 · the transaction's input, keyed by node name"},
    },
}

_ANSWER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["infcode", "inf_refmsgid", "refmsg_time", "respond_time", "err_msg", "output"],
    "properties": {
        "infcode": {"type": "integer", "enum": [0, -1], "description": "交易状态码: 0 成功, -1 失败"},
        "inf_refmsgid": {"type": "string", "maxLength": 30, "description": "接收方报文ID"},
        "refmsg_time": {"type": "string", "maxLength": 17, "description": "接收报文时间 yyyyMMddHHmmssSSS"},
        "respond_time": {"type": "string", "maxLength": 17, "description": "响应报文时间 yyyyMMddHHmmssSSS"},
        "err_msg": {"type": "string", "maxLength": 200, "description": "错误信息"},
        "warn_msg": {"type": ["string", "null"]},
        "cainfo": {"type": ["string", "null"]},
        "signtype": {"type": ["string", "null"]},
        "output": {"type": ["object", "null"], "description": "交易输出"},
    },
}

_EXAMPLE = {
    "infno": "1101", "msgid": "H23010100001202506021000000001", "mdtrtarea_admvs": "230100",
    "insuplc_admdvs": "", "recer_sys_code": "YBXT", "infver": "V1.0", "opter_type": "1", "opter": "0001",
    "opter_name": "收费员", "inf_time": "2025-06-02 10:00:00", "fixmedins_code": "H23010100001",
    "fixmedins_name": "哈尔滨市第一医院", "sign_no": "",
    "input": {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": "230100197205180034", "card_sn": "",
                       "psn_cert_type": "01", "certno": "230100197205180034", "psn_name": "王建国"}},
}


def _envelope(*, infcode: int, answer: service.Answer | None, area: str, received: Any, now: Any,
              err_msg: str) -> str:
    if answer is None:
        answer = service.Answer(output="null", inf_refmsgid=service.reference(area, None, received),
                                refmsg_time=wire.stamp(received), respond_time=wire.stamp(now))
    head = wire.dumps({"infcode": infcode, "inf_refmsgid": answer.inf_refmsgid, "refmsg_time": answer.refmsg_time,
                       "respond_time": answer.respond_time, "err_msg": err_msg, "warn_msg": None, "cainfo": None,
                       "signtype": None})
    return head[:-1] + ',"output":' + answer.output + "}"


async def _caller(request: Request) -> Any:
    """Who sends: Gongji's signature (or a login, refused later) first, else the gateway's ``x-tif-*`` headers."""
    bearer = await _bearer(request)
    signed = request.headers.get(signing.SIGNATURE.lower())
    gateway_request = gateway.GatewayRequest.of({k.lower(): v for k, v in request.headers.items()})
    if bearer is not None or signed is not None or gateway_request is None:
        return await authenticate(request, bearer, signed)
    state = request.app.state
    settings = state.settings
    return await run_in_threadpool(
        state.db.run, lambda session: gateway_request.verify(session, state.env, server_key=settings.server_key,
                                                             window_s=settings.signature_window_s), attempts=1)


def _err_msg(error: GongjiError, language: str) -> str:
    text = f"【{error.code}】{error.message(language)}"
    return text if len(text) <= 200 else text[:199] + "…"


_ROUTE: dict[str, Any] = dict(
    summary="国家医保平台接口 · the national platform interface (NI-1..NI-6)",
    description=__doc__,
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/json": {"schema": _ENVELOPE_SCHEMA,
                                                                           "example": _EXAMPLE}}},
        "security": [{"InstitutionSignature": []}],
    },
    responses={
        200: {"description": "交易结果（infcode 0 成功，-1 失败）· the answer; infcode -1 when refused",
              "content": {"application/json": {"schema": _ANSWER_SCHEMA}}},
        401: {"description": "签名缺失或无效 · no valid institution signature",
              "content": {"application/json": {"schema": _ANSWER_SCHEMA}}},
        403: {"description": "非定点机构 · the caller is not an institution",
              "content": {"application/json": {"schema": _ANSWER_SCHEMA}}},
        500: {"description": "服务器故障，未办理 · a fault; nothing was done",
              "content": {"application/json": {"schema": _ANSWER_SCHEMA}}},
    },
    response_class=Response,
)


_PER_TRANSACTION: dict[str, Any] = {
    **_ROUTE, "summary": "国家医保平台接口，按交易编号的地址 · the same, one URL per transaction",
    "openapi_extra": {**_ROUTE["openapi_extra"], "parameters": [
        {"name": "infno", "in": "path", "required": True, "description": "交易编号，须与报文的 infno 相同",
         "schema": {"type": "string", "maxLength": 6}}]},
}


@router.post(PATH, **_ROUTE)
@router.post(PATH + "/{infno}", **_PER_TRANSACTION)
async def call_service(request: Request) -> Response:
    state = request.app.state
    db, env = state.db, state.env
    received = env.now()
    language = language_of(request.headers.get("accept-language"))
    area, infno, status = "000000", "", 200
    try:
        principal = await _caller(request)
        request.state.principal = principal
        if principal is None:
            raise GongjiError("AUTH_REQUIRED")
        if principal.role is not Role.INSTITUTION:
            raise GongjiError("FORBIDDEN", action_zh="使用国家医保平台接口", action_en="use the national interface")
        message = wire.loads(await request.body())
        header = wire.read(message, tables.ENVELOPE, node_name="message", node_zh="报文")
        infno = header["infno"]
        in_path = request.path_params.get("infno")
        if in_path is not None and in_path != infno:
            raise GongjiError("NI_FIELD_INVALID", field="infno", name_zh="交易编号", value=infno,
                              reason_zh=f"与请求地址中的交易编号 {in_path[:10]} 不符",
                              reason_en=f"it is not the transaction number {in_path[:10]} of the request's address")
        if header["mdtrtarea_admvs"].isdigit() and len(header["mdtrtarea_admvs"]) == 6:
            area = header["mdtrtarea_admvs"]
        service.check_envelope(header, principal.id)
        if infno == LOOKUP_INFNO:  # every 1101 counts, answered or refused (gongji/national/service/person.py)
            settings = state.settings
            await run_in_threadpool(db.run, lambda session: count_lookup(
                session, env, institution_code=principal.id, limit=settings.ni_lookups_per_institution,
                window_minutes=settings.ni_lookup_window_minutes))
        answer = await run_in_threadpool(
            db.run, lambda session: service.run(session, env, header=header, data=message.get("input"),
                                                received=received, server_key=state.settings.server_key))
    except GongjiError as error:
        status = _AUTH.get(error.code, 200)
        if refusals.recorded(error) or error.code == "NI_GATEWAY_SIGNATURE_INVALID":  # a bad signature, …
            await run_in_threadpool(refusals.record, request, error)
        metrics.record_national_message(infno=infno, infcode=-1, replayed=False)
        body = _envelope(infcode=-1, answer=None, area=area, received=received, now=env.now(),
                         err_msg=_err_msg(error, language))
        return Response(body, status_code=status, media_type="application/json; charset=utf-8")
    except BodyTooLarge:  # a streamed body past the limit: answered as every other one (413)
        raise
    except Exception:
        log.exception("national interface message %s failed", infno)
        request_id = request.scope.get("state", {}).get("request_id", "")
        error = GongjiError("NI_INTERNAL_ERROR", request_id=request_id)
        metrics.record_national_message(infno=infno, infcode=-1, replayed=False)
        body = _envelope(infcode=-1, answer=None, area=area, received=received, now=env.now(),
                         err_msg=_err_msg(error, language))
        return Response(body, status_code=500, media_type="application/json; charset=utf-8")
    metrics.record_national_message(infno=infno, infcode=0, replayed=answer.replayed)
    headers = {"Idempotent-Replayed": "true"} if answer.replayed else {}
    body = _envelope(infcode=0, answer=answer, area=area, received=received, now=env.now(), err_msg="")
    return Response(body, status_code=200, media_type="application/json; charset=utf-8", headers=headers)
