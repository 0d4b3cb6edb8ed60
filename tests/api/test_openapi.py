"""The service against its own OpenAPI description, with requests generated from it (schemathesis).

For every operation, as callers who may use it (an administrator, a staff member of Harbin, an insured person,
an institution that signs): no answer is a 5xx, and every answer matches the description (status code declared,
content type, body schema, headers). Runs on SQLite and PostgreSQL.

So that generated requests reach the business code rather than stopping at "no such person", half of the time a
path's ids name things that exist (the person, the binding, the settlement, the institution of the test's small
world) and an ``*id_number`` field in a body names one of its people.

``GONGJI_FUZZ_EXAMPLES`` sets how many requests per operation and database (default 50; hypothesis sends fewer
to an operation whose inputs have fewer forms, ``GET /healthz`` one). A long run::

    GONGJI_FUZZ_EXAMPLES=2000 .venv/bin/python -m pytest tests/api/test_openapi.py -n 2

The number of requests sent is printed at the end of the session (``fuzzing: ...``).
"""

from __future__ import annotations

import functools
import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from gongji.api.app import create_app
from gongji.api.settings import ApiSettings
from gongji.authorizations import service as authorizations
from gongji.clock import FixedClock
from gongji.db import Database
from gongji.env import Env
from gongji.policy import load_policies
from gongji.settlement import service as settlements
from gongji.transfers import service as transfers
from tests.conftest import TODAY

EXAMPLES = int(os.environ.get("GONGJI_FUZZ_EXAMPLES", "50"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]
ACCESS_TABLE = Path(__file__).resolve().parents[2] / "docs" / "api.md"
#: Columns of the access table whose callers the fuzzing plays: the person himself, staff of his region, an
#: administrator, the institution (of the settlement), and nobody.
ROLES = {"self": "person", "staff": "staff", "admin": "admin", "institution": "institution", "anonymous": None}


@functools.cache
def described() -> Any:
    """The description, loaded once (it is the same for every app, whatever database is behind it)."""
    app = create_app(Database("sqlite:///:memory:"), Env(clock=FixedClock.on(TODAY), policies=load_policies()),
                     ApiSettings(server_key=b"collection", notify_sender=None))
    return schemathesis.openapi.from_dict(app.openapi())


def operations() -> list[str]:
    return [result.ok().label for result in described().get_all_operations()]


@functools.cache
def callers_of() -> dict[str, tuple[str | None, ...]]:
    """Who may call each operation, from the table of who may do what in docs/api.md (the roles of :data:`ROLES`
    with a ✓; anonymous only where nobody else may)."""
    lines = ACCESS_TABLE.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| endpoint | anonymous |"))
    head = [cell.strip() for cell in lines[start].strip("|").split("|")]
    table = {}
    for line in lines[start + 2:]:
        if not line.startswith("| "):
            break
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if len(cells) != len(head) or not cells[0].startswith("`"):
            continue
        allowed = [ROLES[column] for column, mark in zip(head, cells, strict=True)
                   if column in ROLES and mark == "✓" and column != "anonymous"]
        table[cells[0].strip("`")] = tuple(allowed) or (None,)
    return table


def small_world(api) -> dict[str, list[Any]]:
    """What path ids and ID numbers may name: in Harbin a payer with money, his wife bound to him and a settlement
    of hers; a family in Zhengzhou (HN-1); a transfer in Hangzhou (HZ-1)."""
    w = api.world
    payer = w.person("李建国", current_fen=100_000, prior_fen=50_000, born=date(1960, 3, 1))
    wife = w.person("王秀英", sex="F", born=date(1962, 5, 1))
    son = w.person("李明", born=date(1990, 7, 1), current_fen=20_000)
    binding = w.bind(payer, wife)
    w.institution("H23010100001")
    settled = w.settle(wife, 50_000)
    refund = w.run(lambda s, env: settlements.refund(s, env, institution_code="H23010100001",
                                                     settlement_id=settled.settlement_id, amount_fen=1_000,
                                                     idempotency_key="fuzz-refund"))
    householder = w.person("张建业", city="zhengzhou", current_fen=30_000, born=date(1965, 2, 1))
    daughter = w.person("张小红", city="zhengzhou", sex="F", born=date(1995, 8, 1))
    family = w.run(lambda s, env: authorizations.create_family(
        s, env, householder_id_number=householder.id_number, name="张家", actor=householder.actor)).id
    w.run(lambda s, env: authorizations.add_member(s, env, family_id=family, member_id_number=daughter.id_number,
                                                   relationship="child", actor=householder.actor))
    giver = w.person("陈国华", city="hangzhou", prior_fen=80_000, born=date(1958, 4, 1))
    taker = w.person("陈丽", city="hangzhou", sex="F", born=date(1960, 9, 1))
    transfer = w.run(lambda s, env: transfers.transfer(
        s, env, payer_id_number=giver.id_number, beneficiary_id_number=taker.id_number, relationship="spouse",
        amount_fen=10_000, agreement_version=env.policy(giver.region_code).agreement_version,
        idempotency_key="fuzz-transfer", actor=giver.actor)).id
    everyone = [payer, wife, son, householder, daughter, giver, taker]
    return {
        "person_id": [p.id for p in everyone], "binding_id": [binding], "settlement_id": [settled.settlement_id],
        "refund_id": [refund.refund_id],
        "family_id": [family], "transfer_id": [transfer], "code": ["H23010100001"], "staff_id": ["S2301", "A0001"],
        "region_code": ["230100", "410100", "330100"], "prefix": ["23", "2301", "41"],
        "id_number": [p.id_number for p in everyone], "payer": [payer],
    }


def steer(case, data, known: dict[str, list[Any]]) -> None:
    """Half of the time, a path id or an ID number in the body names something that exists."""
    for name in list(case.path_parameters or {}):
        if name in known and data.draw(st.booleans(), label=f"known {name}"):
            case.path_parameters[name] = data.draw(st.sampled_from(known[name]), label=name)
    if isinstance(case.body, dict):
        for key in list(case.body):
            if key.endswith("id_number") and data.draw(st.booleans(), label=f"known {key}"):
                case.body[key] = data.draw(st.sampled_from(known["id_number"]), label=key)


@pytest.mark.parametrize("label", operations())
def test_every_operation_keeps_to_its_description(api, label, fuzz_tally):
    known = small_world(api)
    payer = known["payer"][0]
    operation = described().find_operation_by_label(label)
    roles = callers_of()[label]
    callers = {
        "person": lambda: (api.person(payer), None),
        "staff": lambda: (api.staff(), None),
        "admin": lambda: (api.admin(), None),
        "institution": lambda: ({}, api.institution("H23010100001")),
        None: lambda: ({}, None),
    }
    # Logged in before the first request: generated logins may pause the test client's address (LOGIN_THROTTLED).
    callers = {role: callers[role]() for role in roles}

    @given(case=operation.as_strategy(), role=st.sampled_from(roles), data=st.data())
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
              database=None)
    def conforms(case, role, data) -> None:
        steer(case, data, known)
        headers, signer = callers[role]
        kwargs = case.as_transport_kwargs(headers={**headers, "Idempotency-Key": f"fuzz-{case.id}"[:100]})
        kwargs.pop("base_url", None)
        if not kwargs.get("cookies"):
            kwargs.pop("cookies", None)
        response = api.client.request(auth=signer, **kwargs)
        fuzz_tally["schemathesis"] += 1
        case.validate_response(response, checks=CHECKS)

    conforms()
