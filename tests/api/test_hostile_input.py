"""Hostile text in every text field of every request, on both databases: SQL-shaped, NUL, invisible, huge.

The request schemas come from the service's own description (``app.openapi()``): for every operation, every string
field of its body (nested ones and list items included), every string path and query parameter, and the
Idempotency-Key header get each hostile value in turn, in an otherwise plausible request from a caller who may
use the operation (the table of who may do what in docs/api.md). Each answer is either a refusal (a 4xx problem
with a stable code, or the national interface's envelope with infcode -1) that changed no business table, or a
success where the text is free to be anything (a memo, a name of a new staff member) — never a 5xx. At the end of
each operation the tables are all there, with no fewer rows, and the ledger still balances.

Queries are built with bound parameters throughout (SQLAlchemy), so the SQL-shaped values are data; this test
holds that, and that what a database refuses to store (a NUL, a lone surrogate) is refused before it gets there.
A body over the size limit (1 MB by default, ``GONGJI_MAX_BODY_BYTES``) is refused with 413 ``BODY_TOO_LARGE``.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from gongji.auth.signing import signed_headers
from gongji.db.models import Base
from gongji.ledger import service as ledger
from gongji.national.endpoints import _EXAMPLE as NATIONAL_EXAMPLE
from tests.api.test_openapi import callers_of, described, operations, small_world
from tests.conftest import TODAY
from tests.factories import snapshot
from tests.web.helpers import csrf_of

#: The hostile values, by a short name for the test's messages.
HOSTILE: dict[str, str] = {
    "quote": "' OR '1'='1",
    "drop": "'; DROP TABLE people; --",
    "union": "0 UNION SELECT id_number, name FROM people --",
    "like": "%_%\\' OR ''='",
    "nul": "王\x00建国",
    "rtl": "\u202e王建国\u200b\u200d\ufeff",
    "surrogate": "\ud800",
    "100kB": "A" * 100_000,
    "1MB": "B" * 1_048_576,
}
#: Values that a header can carry (visible ASCII).
HEADER_HOSTILE = {name: value for name, value in HOSTILE.items() if value.isascii() and value.isprintable()
                  and len(value) < 200}
#: Path and query values: the short ones, and 10 kB (clients refuse URLs over 64 kB).
URL_HOSTILE = {**{name: value for name, value in HOSTILE.items() if len(value) < 1000}, "10kB": "C" * 10_000}
#: Tables a refused request may still write: a signed request's nonce, a failed login's count, the record of a
#: refused access (left out by ``snapshot`` itself) and its link in the audit chain.
NOT_BUSINESS = ("seen_nonces", "login_attempts", "audit_chain")
PREFERRED_CALLER = ("admin", "institution", "person", "staff", None)


@functools.cache
def spec() -> dict[str, Any]:
    return described().raw_schema


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec()["components"]["schemas"][schema["$ref"].split("/")[-1]]
    return schema


def options(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The non-null alternatives of a schema (itself when it has none)."""
    schema = resolve(schema)
    alternatives = schema.get("anyOf") or schema.get("oneOf")
    if not alternatives:
        return [schema]
    return [resolve(s) for s in alternatives if resolve(s).get("type") != "null"]


def string_fields(schema: dict[str, Any], path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The path of every string in a body of ``schema`` (into objects and the first item of lists)."""
    for option in options(schema):
        kind = option.get("type")
        if kind == "string":
            yield path
        elif kind == "object":
            for name, sub in option.get("properties", {}).items():
                yield from string_fields(sub, (*path, name))
        elif kind == "array":
            yield from string_fields(option.get("items", {}), (*path, 0))


def plausible(schema: dict[str, Any], name: str, known: dict[str, Any], *, full: bool = False) -> Any:
    """A value that fits ``schema`` and names what exists where it can: the request hostile values are put in.
    ``full``: objects get their optional fields too (so that each can be made hostile)."""
    schema = resolve(schema)
    if schema.get("default") is not None:
        return schema["default"]
    option = options(schema)[0]
    if "enum" in option:
        return option["enum"][0]
    if "const" in option:
        return option["const"]
    if name in known["fields"]:
        return known["fields"][name]
    if option.get("examples"):
        return option["examples"][0]
    kind = option.get("type")
    if kind == "object":
        required = set(option.get("required", []))
        return {key: plausible(sub, key, known, full=full) for key, sub in option.get("properties", {}).items()
                if full or key in required}
    if kind == "array":
        return [plausible(option.get("items", {}), name, known, full=full)]
    if kind == "string":
        return TODAY.isoformat() if option.get("format") == "date" else "x" * max(1, option.get("minLength", 1))
    if kind == "integer":
        return int(max(option.get("minimum", 1), option.get("exclusiveMinimum", 0) + 1))
    if kind == "number":
        return 1
    if kind == "boolean":
        return True
    return None


def put(body: Any, path: tuple[Any, ...], value: Any) -> Any:
    """A copy of ``body`` with ``value`` at ``path`` (made where it is missing)."""
    body = copy.deepcopy(body)
    node = body
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return body


def business(world) -> dict[str, list[str]]:
    rows = snapshot(world)
    for name in NOT_BUSINESS:
        rows.pop(name, None)
    return rows


def counts(world) -> dict[str, int]:
    return world.db.read(lambda s: {
        t.name: s.execute(select(func.count()).select_from(t)).scalar_one() for t in Base.metadata.sorted_tables})


def refusal_code(response) -> str | None:
    """The stable code of a refusal (problem details, or the national envelope's 【CODE】), None for a success."""
    kind = response.headers.get("content-type", "")
    if response.status_code >= 400:
        assert kind.startswith("application/problem+json") or "infcode" in response.json(), response.text[:300]
        body = response.json()
        return body["code"] if "code" in body else body["err_msg"][1:].split("】")[0]
    if kind.startswith("application/json") and response.content:
        body = response.json()
        if isinstance(body, dict) and body.get("infcode") == -1:
            return body["err_msg"][1:].split("】")[0]
    return None


@pytest.mark.parametrize("label", operations())
def test_hostile_text_in_every_field_is_refused_or_kept_and_never_breaks_anything(api, label, fuzz_tally):
    known = small_world(api)
    payer = known["payer"][0]
    known["fields"] = {
        "patient_id_number": known["id_number"][1], "beneficiary_id_number": known["id_number"][2],
        "payer_id_number": payer.id_number, "id_number": payer.id_number, "member_id_number": known["id_number"][4],
        "region_code": "230100", "region_prefix": "2301", "staff_id": "S9901", "code": "H23010100009",
        "password": "secret-123", "name": "王五", "relationship": "child", "use": "outpatient",
    }
    operation = described().find_operation_by_label(label)
    method, template = label.split(" ", 1)
    role = next(r for r in PREFERRED_CALLER if r in callers_of()[label])
    headers, signer = {
        "person": lambda: (api.person(payer), None), "staff": lambda: (api.staff(), None),
        "admin": lambda: (api.admin(), None), "institution": lambda: ({}, api.institution("H23010100001")),
        None: lambda: ({}, None),
    }[role]()
    raw = operation.definition.raw
    parameters = [resolve(p) for p in raw.get("parameters", [])]
    path_values = {p["name"]: known.get(p["name"], [1])[0] for p in parameters if p["in"] == "path"}
    content = raw.get("requestBody", {}).get("content", {}).get("application/json")
    if label == "POST /fsi/api/rsfComIfsService/callService":
        body = {**NATIONAL_EXAMPLE, "msgid": "H23010100001" + TODAY.strftime("%Y%m%d") + "1000000001",
                "inf_time": f"{TODAY} 10:00:00"}
        fields = [(name,) for name in body if isinstance(body[name], str)]
        fields += [("input", "data", name) for name, value in body["input"]["data"].items() if isinstance(value, str)]
    elif label == "PUT /v1/regions/{prefix}/policy":
        body = api.client.get("/v1/regions/230100/policy").json()
        fields = sorted(set(string_fields(content["schema"])) & set(_paths(body)), key=str)
    elif content:
        body = plausible(content["schema"], "", known, full=True)
        fields = sorted(set(string_fields(content["schema"])), key=str)
    else:
        body, fields = None, []
    serial = iter(range(1_000_000))

    def send(*, path: dict[str, Any] | None = None, query: dict[str, str] | None = None, payload: Any = None,
             key: str | None = None):
        url = template.format(**{k: _escaped(v) for k, v in {**path_values, **(path or {})}.items()})
        if query:
            url += "?" + "&".join(f"{k}={_escaped(v)}" for k, v in query.items())
        extra = {"Idempotency-Key": key or f"hostile-{next(serial)}", "Content-Type": "application/json"}
        content_ = json.dumps(payload).encode() if payload is not None else None  # \ud800 stays an escape
        fuzz_tally["injection"] += 1
        return api.client.request(method, url, content=content_, headers={**headers, **extra},
                                  auth=signer)

    def check(what: str, thunk) -> None:
        before = business(api.world)
        response = thunk()
        assert response.status_code < 500, (what, response.status_code, response.text[:500])
        code = refusal_code(response)
        if code is not None:
            assert code and code == code.upper(), (what, response.text[:300])
            assert business(api.world) == before, (what, code)

    tables = counts(api.world)
    for field in fields:
        for name, value in HOSTILE.items():
            check(f"{field} = {name}", lambda f=field, v=value: send(payload=put(body, f, v)))
    for parameter in parameters:
        if parameter["in"] not in ("path", "query") or not any(
                o.get("type") == "string" for o in options(parameter.get("schema", {}))):
            continue
        for name, value in URL_HOSTILE.items():
            where = {"path": {parameter["name"]: value}} if parameter["in"] == "path" else {
                "query": {parameter["name"]: value}}
            check(f"{parameter['name']} = {name}", lambda w=where: send(payload=body, **w))
    if any(p["name"] == "Idempotency-Key" for p in parameters) or label == "POST /v1/settlements":
        for name, value in HEADER_HOSTILE.items():
            check(f"Idempotency-Key = {name}", lambda v=value: send(payload=body, key=v))

    after = counts(api.world)
    assert set(after) == set(tables)
    assert all(after[name] >= tables[name] for name in tables), (tables, after)
    assert api.world.db.read(ledger.check).ok


def _escaped(value: Any) -> str:
    """``value`` percent-encoded for a URL, as UTF-8 (a lone surrogate as the bytes it would have)."""
    return quote(str(value).encode("utf-8", "surrogatepass"), safe="")


def _paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The path of every string in a parsed JSON value."""
    if isinstance(value, str):
        yield path
    elif isinstance(value, dict):
        for key, sub in value.items():
            yield from _paths(sub, (*path, key))
    elif isinstance(value, list) and value:
        yield from _paths(value[0], (*path, 0))


# -- the size of bodies -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/v1/settlements", "/fsi/api/rsfComIfsService/callService"])
@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_body_over_the_limit_is_refused_with_413_in_both_languages(api, chunked, path):
    """The limit holds whether the client says the length or streams the body, on the national interface too;
    nothing is read or written."""
    hospital = api.institution("H23010100001")
    before = business(api.world)
    body = json.dumps({"patient_id_number": "230103199001011234", "amount_fen": 100, "use": "outpatient",
                       "pad": "x" * 1_100_000}).encode()

    def send(language: str):
        signed = signed_headers(hospital.code, hospital.secret, "POST", path, body,
                                timestamp=int(api.world.env.now().timestamp()))
        content = iter([body[i:i + 65_536] for i in range(0, len(body), 65_536)]) if chunked else body
        return api.client.post(path, content=content, headers={
            **signed, "Content-Type": "application/json", "Idempotency-Key": f"big-{language}",
            "Accept-Language": language})

    zh, en = send("zh"), send("en")
    for response in (zh, en):
        assert response.status_code == 413, response.text[:300]
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == "BODY_TOO_LARGE" and response.json()["params"]["limit"] == 1_000_000
    assert "1000000 字节" in zh.json()["detail"] and "limit of 1000000 bytes" in en.json()["detail"]
    assert business(api.world) == before


def test_a_body_just_under_the_limit_is_read(api):
    """The limit is the setting, not less: 999,000 bytes get an answer about their content."""
    hospital = api.institution("H23010100001")
    body = json.dumps({"patient_id_number": "230103199001011234", "amount_fen": 100, "use": "outpatient",
                       "pad": "x" * 998_900}).encode()
    assert len(body) < 1_000_000
    response = api.client.post("/v1/settlements", content=body, auth=hospital,
                               headers={"Content-Type": "application/json", "Idempotency-Key": "almost"})
    assert response.status_code == 422 and response.json()["code"] == "INVALID_REQUEST", response.text[:300]


# -- the pages' login forms ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "fields"), [("/portal/login", ("id_number", "password")),
                                              ("/counter/login", ("staff_id", "password"))])
def test_hostile_text_in_the_login_forms_is_refused_in_the_page(api, path, fields, fuzz_tally):
    """The portal's and the counter's login forms are read outside the API's schemas: each hostile value is refused
    on the page (400), or 413 past the size limit, never a 500; nothing but the attempt's count is written."""
    api.staff("S2301")
    person = api.world.person("张丽")
    api.person(person)
    token = csrf_of(api.client.get(path).text)
    plain = {"id_number": person.id_number, "staff_id": "S2301", "password": "wrong-123"}
    for field in fields:
        for name, value in HOSTILE.items():
            if name == "surrogate":
                continue  # a form is sent as UTF-8: it cannot hold one
            before = business(api.world)
            form = {"csrf": token, **{f: plain[f] for f in fields}, field: value}
            response = api.client.post(path, data=form, follow_redirects=False)
            fuzz_tally["injection"] += 1
            assert response.status_code in (400, 413, 429), (field, name, response.status_code, response.text[:300])
            assert business(api.world) == before, (field, name)
