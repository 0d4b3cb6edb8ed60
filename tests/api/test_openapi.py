"""The service against its own OpenAPI description, with requests generated from it (schemathesis).

For every operation, as a caller who may use it: no answer is a 5xx, and every answer matches the
description (status code declared, content type, body schema, headers). Runs on SQLite and PostgreSQL.
``GONGJI_SCHEMATHESIS_EXAMPLES`` sets how many requests per operation (default 25).
"""

from __future__ import annotations

import functools
import os
from datetime import date
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from gongji.api.app import create_app
from gongji.api.settings import ApiSettings
from gongji.clock import FixedClock
from gongji.db import Database
from gongji.env import Env
from gongji.policy import load_policies
from tests.conftest import TODAY

EXAMPLES = int(os.environ.get("GONGJI_SCHEMATHESIS_EXAMPLES", "25"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]
#: Operations an institution calls; those only the person himself calls. Everything else: an administrator.
INSTITUTION_PATHS = {"/v1/quotes", "/v1/settlements", "/fsi/api/rsfComIfsService/callService"}
PERSON_PATHS = {"/v1/me", "/v1/people/{person_id}/notifications/{notification_id}/read",
                "/v1/people/{person_id}/notifications/read"}


@functools.cache
def described() -> Any:
    """The description, loaded once (it is the same for every app, whatever database is behind it)."""
    app = create_app(Database("sqlite:///:memory:"), Env(clock=FixedClock.on(TODAY), policies=load_policies()),
                     ApiSettings(server_key=b"collection", notify_sender=None))
    return schemathesis.openapi.from_dict(app.openapi())


def operations() -> list[str]:
    return [result.ok().label for result in described().get_all_operations()]


@pytest.mark.parametrize("label", operations())
def test_every_operation_keeps_to_its_description(api, label):
    w = api.world
    payer = w.person("李建国", current_fen=100_000, born=date(1960, 3, 1))
    wife = w.person("王秀英", sex="F", born=date(1962, 5, 1))
    w.bind(payer, wife)
    w.institution("H23010100001")
    w.settle(wife, 50_000)
    operation = described().find_operation_by_label(label)
    path = operation.path
    role = "institution" if path in INSTITUTION_PATHS else "person" if path in PERSON_PATHS else "admin"
    headers, signer = {"person": (api.person(payer), None), "admin": (api.admin(), None),
                       "institution": ({}, api.institution("H23010100001"))}[role]

    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
              database=None)
    def conforms(case) -> None:
        kwargs = case.as_transport_kwargs(headers={**headers, "Idempotency-Key": f"fuzz-{case.id}"[:100]})
        kwargs.pop("base_url", None)
        if not kwargs.get("cookies"):
            kwargs.pop("cookies", None)
        response = api.client.request(auth=signer, **kwargs)
        case.validate_response(response, checks=CHECKS)

    conforms()
