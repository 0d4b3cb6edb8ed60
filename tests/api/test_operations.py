"""Health, readiness, metrics and the access log, over the real application on both databases.

Rules: N-10 and HN-5 (the money the metrics add up: own account, mutual aid, cash; refunds back), N-9
and HZ-4 (the notification outbox whose backlog is measured), and the masking of ID numbers and phone
numbers in everything the service writes to its logs.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from gongji.api import metrics
from gongji.api.app import create_app
from gongji.api.settings import ApiSettings
from gongji.db import Database, alembic_config
from gongji.logs import JsonFormatter, MaskingFilter
from gongji.settlement import service as settlement
from tests.api.conftest import SERVER_KEY

ADULT = date(1975, 5, 1)
CHILD = date(2000, 5, 1)
SETTINGS = ApiSettings(server_key=SERVER_KEY, notify_sender=None)


def scrape(api) -> dict[tuple[str, frozenset], float]:
    """``GET /metrics``, anonymously, parsed: ``(sample name, labels) -> value``."""
    r = api.client.get("/metrics")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(r.text) for s in family.samples}


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


@contextmanager
def captured_logs(name: str = "gongji") -> Iterator[io.StringIO]:
    """The JSON lines logged under ``name`` while the block runs (through the service's formatter and filter)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(MaskingFilter())
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


# -- health and readiness ---------------------------------------------------------------------------


def test_healthz_answers_without_asking_the_database(api):
    r = api.client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "version": __import__("gongji").__version__}


def test_readyz_is_ready_on_a_migrated_database(api):
    r = api.client.get("/readyz")
    assert r.status_code == 200, r.text
    assert r.json() == {"status": "ready", "database": api.world.db.dialect, "schema_current": True}


def test_readyz_is_503_while_the_schema_is_behind_the_newest_migration(api):
    """A database one migration behind is not ready (503, NOT_READY); brought up to date, it is again."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    (head,) = script.get_heads()
    previous = script.get_revision(head).down_revision
    assert previous is not None
    db = api.world.db

    def stamp(revision: str) -> None:
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": revision})

    stamp(previous)
    try:
        r = api.client.get("/readyz", headers={"Accept-Language": "en"})
        assert r.status_code == 503
        assert r.headers["content-type"].startswith("application/problem+json")
        problem = r.json()
        assert problem["code"] == "NOT_READY" and "gongji db upgrade" in problem["detail"]
        assert problem["request_id"] == r.headers["x-request-id"]
        assert api.client.get("/healthz").status_code == 200  # alive all the same
    finally:
        stamp(head)
    assert api.client.get("/readyz").status_code == 200


def test_readyz_is_503_on_a_database_never_migrated(tmp_path, env):
    db = Database(f"sqlite:///{tmp_path / 'never-migrated.sqlite3'}")
    try:
        with TestClient(create_app(db, env, SETTINGS), raise_server_exceptions=False) as client:
            assert client.get("/healthz").status_code == 200
            r = client.get("/readyz", headers={"Accept-Language": "zh-CN"})
            assert r.status_code == 503
            assert r.json()["code"] == "NOT_READY" and "数据库结构不是最新版本" in r.json()["detail"]
    finally:
        db.dispose()


def test_readyz_is_503_when_the_database_does_not_answer_but_healthz_is_200(env):
    """Nothing listens on port 1: the database does not answer, the process does."""
    db = Database("postgresql://gongji@127.0.0.1:1/nothing")
    try:
        with TestClient(create_app(db, env, SETTINGS), raise_server_exceptions=False) as client:
            assert client.get("/healthz").json()["status"] == "ok"
            r = client.get("/readyz", headers={"Accept-Language": "en"})
            assert r.status_code == 503
            assert r.json()["code"] == "NOT_READY" and "does not answer" in r.json()["detail"]
            # The scrape still answers; the outbox backlog is unknown.
            scraped = client.get("/metrics")
            assert scraped.status_code == 200 and "gongji_notifications_pending NaN" in scraped.text
    finally:
        db.dispose()


# -- metrics -----------------------------------------------------------------------------------------


def test_requests_are_counted_by_route_template_never_by_path(api):
    before = scrape(api)
    assert api.client.get("/v1/people/987654").status_code == 401
    assert api.client.get("/v1/people/987654").status_code == 401
    assert api.client.get("/v1/no-such-thing/555111").status_code == 404
    assert api.client.request("BREW", "/healthz").status_code == 405
    after = scrape(api)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("gongji_http_requests_total", method="GET", route="/v1/people/{person_id}", status="401") == 2
    assert delta("gongji_http_requests_total", method="GET", route="unmatched", status="404") == 1
    assert delta("gongji_http_requests_total", method="other", route="/healthz", status="405") == 1
    assert delta("gongji_http_request_duration_seconds_count", method="GET", route="/v1/people/{person_id}") == 2
    raw = api.client.get("/metrics").text
    assert "987654" not in raw and "555111" not in raw and "BREW" not in raw


def test_settlements_and_refunds_are_counted_with_their_money(api):
    """N-10: own account 1,000, mutual aid 30,000, cash 19,000 of a 50,000 bill; HN-5: the refund gives
    it all back. A retry with the same key, answered from the first result, counts nothing."""
    world = api.world
    world.institution()
    payer = world.person("张建国", born=ADULT, current_fen=30_000)
    patient = world.person("张丽", born=CHILD, sex="F", current_fen=1_000)
    world.bind(payer, patient, "child")
    before = scrape(api)

    result = world.settle(patient, 50_000, key="bill-1")
    metrics.record_settlement(result)
    metrics.record_settlement(world.settle(patient, 50_000, key="bill-1"))  # the retry
    quote = world.run(lambda s, env: settlement.quote(
        s, env, institution_code="H23010100001", patient_id_number=patient.id_number, amount_fen=700,
        use="outpatient"))
    metrics.record_settlement(quote)
    back = world.run(lambda s, env: settlement.refund(
        s, env, institution_code="H23010100001", settlement_id=result.settlement_id, idempotency_key="refund-1"))
    metrics.record_refund(back)
    metrics.record_refund(world.run(lambda s, env: settlement.refund(
        s, env, institution_code="H23010100001", settlement_id=result.settlement_id, idempotency_key="refund-1")))
    after = scrape(api)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("gongji_settlements_total", use="outpatient") == 1
    assert delta("gongji_settlement_amount_fen_total", part="own") == 1_000
    assert delta("gongji_settlement_amount_fen_total", part="mutual_aid") == 30_000
    assert delta("gongji_settlement_amount_fen_total", part="cash") == 19_000
    assert delta("gongji_refunds_total") == 1
    assert delta("gongji_refund_amount_fen_total") == 50_000


def test_settlements_over_http_are_counted_once_and_logged_with_the_institution(api):
    """N-10 over HTTP: the settlement endpoint counts what it settled; its retry (same Idempotency-Key)
    and a refused request count nothing; HN-5: a partial refund counts its amount."""
    hospital = api.institution("H23010100001")
    payer = api.world.person("张建国", born=ADULT, current_fen=30_000)
    patient = api.world.person("张丽", born=CHILD, sex="F", current_fen=1_000)
    api.world.bind(payer, patient, "child")
    body = {"patient_id_number": patient.id_number, "amount_fen": 50_000, "use": "outpatient"}
    before = scrape(api)
    with captured_logs() as stream:
        first = api.client.post("/v1/settlements", json=body, auth=hospital, headers={"Idempotency-Key": "s-1"})
        assert first.status_code == 201, first.text
        again = api.client.post("/v1/settlements", json=body, auth=hospital, headers={"Idempotency-Key": "s-1"})
        assert again.headers.get("Idempotent-Replayed") == "true"
        refused = api.client.post("/v1/settlements", json={**body, "amount_fen": 0}, auth=hospital,
                                  headers={"Idempotency-Key": "s-2"})
        assert refused.status_code == 422
        settlement_id = first.json()["settlement_id"]
        back = api.client.post(f"/v1/settlements/{settlement_id}/refunds", json={"amount_fen": 2_500},
                               auth=hospital, headers={"Idempotency-Key": "r-1"})
        assert back.status_code == 201, back.text
    after = scrape(api)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("gongji_settlements_total", use="outpatient") == 1
    assert [delta("gongji_settlement_amount_fen_total", part=p) for p in ("own", "mutual_aid", "cash")] == [
        1_000, 30_000, 19_000]
    assert (delta("gongji_refunds_total"), delta("gongji_refund_amount_fen_total")) == (1, 2_500)
    assert delta("gongji_http_requests_total", method="POST", route="/v1/settlements", status="201") == 2
    assert delta("gongji_http_requests_total", method="POST", route="/v1/settlements", status="422") == 1
    assert delta("gongji_http_requests_total", method="POST", route="/v1/settlements/{settlement_id}/refunds",
                 status="201") == 1
    access = [line for line in lines(stream) if line["logger"] == "gongji.access"]
    assert [(a["route"], a["status"], a["role"], a["caller"]) for a in access] == [
        ("/v1/settlements", 201, "institution", "H23010100001"),
        ("/v1/settlements", 201, "institution", "H23010100001"),
        ("/v1/settlements", 422, "institution", "H23010100001"),
        ("/v1/settlements/{settlement_id}/refunds", 201, "institution", "H23010100001"),
    ]
    assert patient.id_number not in stream.getvalue()


def test_pending_notifications_are_counted_when_scraped(api):
    """N-9, HZ-4: a binding tells both sides; the gauge counts what still waits to be sent."""
    world = api.world
    payer = world.person("李建国", current_fen=5_000)
    wife = world.person("王秀英", sex="F")
    world.bind(payer, wife)
    db = world.db
    pending = db.read(lambda s: s.execute(
        text("SELECT count(*) FROM notifications WHERE status = 'pending'")).scalar_one())
    assert pending == 2
    assert value(scrape(api), "gongji_notifications_pending") == 2
    db.run(lambda s: s.execute(text(
        "UPDATE notifications SET status = 'delivered' WHERE id = (SELECT min(id) FROM notifications)")))
    assert value(scrape(api), "gongji_notifications_pending") == 1


def test_metrics_can_be_turned_off(api, monkeypatch):
    monkeypatch.setenv("GONGJI_METRICS", "off")
    r = api.client.get("/metrics")
    assert r.status_code == 404 and r.json()["code"] == "ROUTE_NOT_FOUND"
    monkeypatch.setenv("GONGJI_METRICS", "on")
    assert api.client.get("/metrics").status_code == 200


# -- the access log ------------------------------------------------------------------------------------


def test_each_request_logs_one_json_access_line_with_its_request_id_and_caller(api):
    person = api.world.person("刘芳", sex="F", current_fen=1_000)
    headers = api.person(person)
    with captured_logs() as stream:
        r = api.client.get(f"/v1/people/{person.id}", headers={**headers, "X-Request-ID": "req-own-1"})
        assert r.status_code == 200, r.text
        api.client.get("/v1/people/987654", headers={"X-Request-ID": "req-anon-2"})
    access = [line for line in lines(stream) if line["logger"] == "gongji.access"]
    assert [(a["request_id"], a["route"], a["status"]) for a in access] == [
        ("req-own-1", "/v1/people/{person_id}", 200), ("req-anon-2", "/v1/people/{person_id}", 401)]
    mine = access[0]
    assert mine["level"] == "INFO" and mine["method"] == "GET" and mine["duration_ms"] >= 0
    assert (mine["role"], mine["caller"]) == ("person", str(person.id))
    assert (access[1]["role"], access[1]["caller"]) == (None, None)
    assert person.id_number not in stream.getvalue() and "987654" not in stream.getvalue()
    assert mine["time"][:4].isdigit() and "T" in mine["time"]


def test_an_unexpected_error_is_logged_masked_with_the_request_id(api):
    """The traceback of an unhandled error carries the request id, with ID and phone numbers masked."""
    person = api.world.person("赵强")
    app = api.client.app

    def fail() -> None:
        raise RuntimeError(f"cannot settle for {person.id_number} (phone 13812345678), amount 123456 fen")

    app.add_api_route("/v1/failing/{case_id}", fail)
    with captured_logs() as stream:
        r = api.client.get("/v1/failing/42", headers={"X-Request-ID": "req-fail-1"})
    assert r.status_code == 500 and r.json()["code"] == "INTERNAL_ERROR"
    written = stream.getvalue()
    assert person.id_number not in written and "13812345678" not in written
    (error,) = [line for line in lines(stream) if line["level"] == "ERROR"]
    assert error["request_id"] == "req-fail-1"
    assert "RuntimeError" in error["exception"]
    assert f"{person.id_number[:4]}**********{person.id_number[-4:]}" in error["exception"]
    assert "138****5678" in error["exception"] and "amount 123456 fen" in error["exception"]
    (access,) = [line for line in lines(stream) if line["logger"] == "gongji.access"]
    assert (access["route"], access["status"], access["request_id"]) == ("/v1/failing/{case_id}", 500, "req-fail-1")


@pytest.mark.parametrize("route", ["/healthz", "/readyz", "/metrics"])
def test_probes_and_scrapes_are_logged_at_debug_only(api, route):
    with captured_logs() as stream:
        assert api.client.get(route).status_code == 200
    (access,) = [line for line in lines(stream) if line["logger"] == "gongji.access"]
    assert access["level"] == "DEBUG" and access["route"] == route
