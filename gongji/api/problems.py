"""Refusals as RFC 9457 problem details, in the language the client asks for.

Every error body looks like::

    HTTP/1.1 409 Conflict
    Content-Type: application/problem+json
    Content-Language: zh-CN

    {"type": "/problems/REBIND_TOO_SOON", "title": "Rebind too soon", "status": 409,
     "detail": "该亲属于 2025-06-01 解除绑定，2025-07-01 后可再次绑定。", "instance": "/v1/bindings",
     "code": "REBIND_TOO_SOON", "params": {...}, "request_id": "6c1f..."}

``type`` can be opened (``GET /problems/{code}``) for the code's meaning in both languages. A request
that does not validate gets ``INVALID_REQUEST`` with ``errors``: one entry per field, saying which and
why. An unexpected exception is logged with its traceback and answered with ``INTERNAL_ERROR`` and no
detail of the failure.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from gongji.api import refusals
from gongji.db import in_commit, is_unavailable
from gongji.errors import CATALOGUE, GongjiError

log = logging.getLogger("gongji.api")

PROBLEM_JSON = "application/problem+json"
#: Seconds a caller is asked to wait (Retry-After) when the database could not be reached.
UNAVAILABLE_RETRY_AFTER_S = 2


def language_of(accept_language: str | None) -> str:
    """'zh' or 'en' from an Accept-Language header: the preferred of the two, Chinese when neither is named."""
    best, best_q = "zh", -1.0
    for index, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip().lower()
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        primary = tag.split("-")[0]
        if primary in ("zh", "en") and q > 0 and (q > best_q):
            best, best_q = primary, q - index * 1e-6
    return best


def title_of(code: str) -> str:
    return code.replace("_", " ").capitalize()


class FieldProblem(BaseModel):
    field: str
    reason: str


class Problem(BaseModel):
    """An RFC 9457 problem detail with Gongji's stable ``code``."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    code: str
    params: dict[str, Any] = {}
    request_id: str
    errors: list[FieldProblem] | None = None


def _problem(description: str) -> dict[str, Any]:
    return {"model": Problem, "description": description,
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}}


#: A login refused for too many failures (LOGIN_THROTTLED), declared by the login endpoints.
THROTTLED_RESPONSE: dict[int | str, dict[str, Any]] = {429: {
    **_problem("登录失败次数过多，暂停登录 · too many failed logins; try again later"),
    "headers": {"Retry-After": {"description": "几秒后可再试 · seconds until a login may be tried again",
                                "schema": {"type": "integer"}}},
}}


#: The refusals any endpoint may give, declared once for the OpenAPI description.
COMMON_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _problem("正文不是有效的JSON · the body is not valid JSON"),
    401: _problem("未登录、登录过期或签名无效 · not logged in, login expired, or a bad signature"),
    403: _problem("无权办理 · not allowed for this caller"),
    404: _problem("没有这个对象或接口 · no such thing or endpoint"),
    405: _problem("不支持的方法 · method not allowed"),
    409: _problem("业务规则不允许 · refused by the rules, or an idempotency key reused"),
    413: _problem("正文过大 · the body is too large"),
    422: _problem("请求有误 · the request is not valid"),
    428: _problem("缺少 Idempotency-Key · the Idempotency-Key header is missing"),
    500: _problem("系统错误，可用相同的 Idempotency-Key 重试 · a bug; retry with the same Idempotency-Key"),
}


def _request_id(request: Request) -> str:
    return request.scope.get("state", {}).get("request_id", "") or request.headers.get("x-request-id", "")


def problem_response(request: Request, error: GongjiError, *, errors: list[dict[str, str]] | None = None
                     ) -> JSONResponse:
    language = language_of(request.headers.get("accept-language"))
    body: dict[str, Any] = {
        "type": f"/problems/{error.code}",
        "title": title_of(error.code),
        "status": error.status,
        "detail": error.message(language),
        "instance": request.url.path,
        "code": error.code,
        "params": {k: v for k, v in error.params.items() if isinstance(v, str | int | float | bool) or v is None},
        "request_id": _request_id(request),
    }
    if errors is not None:
        body["errors"] = errors
    headers = {"Content-Language": "zh-CN" if language == "zh" else "en"}
    if error.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="gongji"'
    retry_after = getattr(error, "retry_after_s", None)  # set by refusals that end by themselves (LOGIN_THROTTLED)
    if isinstance(retry_after, int):
        headers["Retry-After"] = str(retry_after)
    return JSONResponse(body, status_code=error.status, media_type=PROBLEM_JSON, headers=headers)


# -- validation errors in words -------------------------------------------------------------------

_REASONS: dict[str, tuple[str, str]] = {
    "missing": ("缺少此项", "this is required"),
    "extra_forbidden": ("不认识此项，请删除", "this field is not known; remove it"),
    "int_type": ("须为整数", "must be a whole number"),
    "int_parsing": ("须为整数", "must be a whole number"),
    "int_from_float": ("须为整数（金额以分为单位，不能有小数）", "must be a whole number (amounts are in fen, no decimals)"),
    "string_type": ("须为文字", "must be a string"),
    "bool_type": ("须为 true 或 false", "must be true or false"),
    "bool_parsing": ("须为 true 或 false", "must be true or false"),
    "date_type": ("须为日期，格式 YYYY-MM-DD", "must be a date as YYYY-MM-DD"),
    "date_parsing": ("须为日期，格式 YYYY-MM-DD", "must be a date as YYYY-MM-DD"),
    "date_from_datetime_parsing": ("须为日期，格式 YYYY-MM-DD", "must be a date as YYYY-MM-DD"),
    "date_from_datetime_inexact": ("须为日期，不含时间", "must be a date without a time"),
    "list_type": ("须为列表", "must be a list"),
    "model_type": ("须为对象", "must be an object"),
    "dict_type": ("须为对象", "must be an object"),
    "json_invalid": ("不是有效的JSON", "is not valid JSON"),
    "nul_character": ("文字中不能含有空字符（\\u0000）", "text may not contain the NUL character (\\u0000)"),
    "enum": ("取值无效", "is not one of the allowed values"),
    "literal_error": ("取值无效", "is not one of the allowed values"),
}


def _field_name(loc: tuple[Any, ...], ctx: dict[str, Any] | None = None) -> str:
    parts = [str(p) for p in loc]
    if ctx and ctx.get("where"):
        parts.append(str(ctx["where"]))
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:] if parts[0] == "body" else parts
    return ".".join(parts) or "body"


def _reason(err: dict[str, Any], language: str) -> str:
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    zh_en = _REASONS.get(kind)
    if zh_en is None:
        if kind in ("string_too_long", "too_long"):
            n = ctx.get("max_length")
            zh_en = (f"最多 {n} 个字符", f"must have at most {n} characters")
        elif kind in ("string_too_short", "too_short"):
            n = ctx.get("min_length")
            zh_en = (f"至少 {n} 个字符", f"must have at least {n} characters")
        elif kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
            bound = next(iter(ctx.values()), "")
            words = {"greater_than": ("须大于", "must be greater than"),
                     "greater_than_equal": ("须不小于", "must be at least"),
                     "less_than": ("须小于", "must be less than"),
                     "less_than_equal": ("须不大于", "must be at most")}[kind]
            zh_en = (f"{words[0]} {bound}", f"{words[1]} {bound}")
        elif kind == "string_pattern_mismatch":
            zh_en = ("格式不正确", "has the wrong format")
        elif kind in ("enum", "literal_error") or "expected" in ctx:
            expected = ctx.get("expected", "")
            zh_en = (f"取值无效，可选：{expected}", f"must be one of: {expected}")
        else:
            zh_en = ("取值无效", "is not valid")
    return zh_en[0] if language == "zh" else zh_en[1]


def validation_response(request: Request, exc: RequestValidationError) -> JSONResponse:
    language = language_of(request.headers.get("accept-language"))
    raw = exc.errors()
    if any(e.get("type") == "json_invalid" for e in raw):
        return problem_response(request, GongjiError("MALFORMED_BODY", reason=str(raw[0].get("msg", ""))[:200]))
    errors = [{"field": _field_name(tuple(e.get("loc", ())), e.get("ctx")), "reason": _reason(e, language)}
              for e in raw]
    summary_zh = "；".join(f"{e['field']}：{_reason(r, 'zh')}" for e, r in zip(errors, raw, strict=True))
    summary_en = "; ".join(f"{e['field']}: {_reason(r, 'en')}" for e, r in zip(errors, raw, strict=True))
    error = GongjiError("INVALID_REQUEST", summary_zh=summary_zh[:500], summary_en=summary_en[:500])
    return problem_response(request, error, errors=errors)


def install(app: FastAPI) -> None:
    @app.exception_handler(GongjiError)
    async def _gongji(request: Request, exc: GongjiError) -> JSONResponse:
        if refusals.recorded(exc):  # another's data, another region, a bad signature: an access.refused event
            await run_in_threadpool(refusals.record, request, exc)
        return problem_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return validation_response(request, exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        method, path = request.method, request.url.path[:200]
        if exc.status_code == 405:
            return problem_response(request, GongjiError("METHOD_NOT_ALLOWED", method=method, path=path))
        if exc.status_code == 400:  # FastAPI could not read the body at all
            return problem_response(request, GongjiError("MALFORMED_BODY", reason=str(exc.detail)[:200]))
        if exc.status_code == 413:  # a streamed body past the limit (gongji.api.middleware.BodyTooLarge)
            limit = getattr(exc, "limit", None) or request.app.state.settings.max_body_bytes
            from gongji.api.middleware import PAGE_PATHS

            if path.startswith(PAGE_PATHS):  # a person at a page gets a page, not JSON
                from gongji.web.pages import too_large_page

                return too_large_page(request, limit)
            return problem_response(request, GongjiError("BODY_TOO_LARGE", limit=limit))
        return problem_response(request, GongjiError("ROUTE_NOT_FOUND", method=method, path=path))

    @app.exception_handler(DBAPIError)
    async def _database(request: Request, exc: DBAPIError) -> JSONResponse:
        if is_unavailable(exc):  # nothing was written; Database.run waited out its failover wait first
            log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc.orig)
            error = GongjiError("DATABASE_UNAVAILABLE", retry_after=UNAVAILABLE_RETRY_AFTER_S)
            error.retry_after_s = UNAVAILABLE_RETRY_AFTER_S
            return problem_response(request, error)
        if in_commit(exc):  # committed or not: the idempotency key tells on the retry
            log.warning("connection lost during the commit of %s %s: %s", request.method, request.url.path, exc.orig)
            return problem_response(request, GongjiError("DATABASE_OUTCOME_UNKNOWN"))
        return await _bug(request, exc)

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(request, GongjiError("INTERNAL_ERROR", request_id=_request_id(request)))


def catalogue_entry(code: str) -> dict[str, Any] | None:
    spec = CATALOGUE.get(code)
    if spec is None:
        return None
    return {"type": f"/problems/{code}", "code": code, "title": title_of(code), "status": spec.status,
            "template_zh": spec.zh, "template_en": spec.en}
