"""Failover: a multi-host URL finds the node that accepts writes, a transaction that failed before its COMMIT because
the database was not there is run again (for a bounded wait), a write that reached a standby is run again on the
primary, and the API says plainly whether a request was not done (DATABASE_UNAVAILABLE) or may have been
(DATABASE_OUTCOME_UNKNOWN). The kill-the-primary run is tests/reliability (gongji verify --cluster).

Rules: N-10 (a settlement is paid once: run again only when nothing of it was committed).
"""

from __future__ import annotations

import socket

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError

from gongji.api import problems
from gongji.db import Database, in_commit, is_unavailable
from gongji.db.connect import driver_options, hosts_of, normalize_url


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens on it once the socket is closed


def test_a_libpq_multi_host_url_becomes_sqlalchemy_hosts():
    url = normalize_url("postgres://gongji@10.0.0.1:5432,10.0.0.2:6432/gongji?target_session_attrs=read-write")
    assert url == ("postgresql+psycopg://gongji@/gongji?host=10.0.0.1:5432&host=10.0.0.2:6432"
                   "&target_session_attrs=read-write")
    assert hosts_of(url) == ["10.0.0.1:5432", "10.0.0.2:6432"]
    assert normalize_url(url) == url  # already in that form: unchanged
    single = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    assert normalize_url("postgresql://postgres@127.0.0.1:5432/test") == single and hosts_of(single) == ["127.0.0.1:5432"]


def test_prepare_threshold_is_a_driver_option_not_a_url_parameter():
    url, options = driver_options("postgresql+psycopg://u@h:1/db?prepare_threshold=none&sslmode=disable")
    assert (url, options) == ("postgresql+psycopg://u@h:1/db?sslmode=disable", {"prepare_threshold": None})
    assert driver_options("postgresql+psycopg://u@h:1/db?prepare_threshold=3")[1] == {"prepare_threshold": 3}
    assert driver_options("postgresql+psycopg://u@h:1/db") == ("postgresql+psycopg://u@h:1/db", {})
    with pytest.raises(ValueError, match="prepare_threshold"):
        driver_options("postgresql+psycopg://u@h:1/db?prepare_threshold=sometimes")


def _multi_host(url: str, *, first_port: int) -> str:
    """``url`` (a PostgreSQL URL on 127.0.0.1) with a dead node named before the live one."""
    head, _, tail = normalize_url(url).partition("@")
    live, _, database = tail.partition("/")
    return f"{head}@127.0.0.1:{first_port},{live}/{database}?target_session_attrs=read-write"


def test_a_multi_host_url_skips_a_dead_node_and_writes_on_the_live_one(db):
    """The first host named is down (a failed primary): psycopg goes on to the next, which accepts writes."""
    if db.dialect != "postgresql":
        pytest.skip("PostgreSQL's multi-host connections")
    other = Database(_multi_host(db.url, first_port=closed_port()), pool_size=1)
    try:
        assert other.run(lambda s: s.execute(text("SELECT NOT pg_is_in_recovery()")).scalar_one()) is True
    finally:
        other.dispose()


def test_an_unreachable_database_is_waited_for_then_reported_as_unavailable(db, monkeypatch):
    """Every connect fails for a while (no primary yet), then succeeds: the work runs once, on the first connection
    that opens. With no wait left the connect error is raised, marked as nothing done."""
    if db.dialect != "postgresql":
        pytest.skip("connections to a PostgreSQL server")
    monkeypatch.setattr("gongji.db.UNAVAILABLE_DELAYS_S", (0.0,))
    real_connect, refusals, calls = db.engine.connect, [3], []

    def connect():
        if refusals[0]:
            refusals[0] -= 1
            raise OperationalError("connect", {}, Exception("connection refused"))
        return real_connect()

    monkeypatch.setattr(db.engine, "connect", connect)
    assert db.run(lambda s: calls.append(1) or s.execute(text("SELECT 1")).scalar_one()) == 1
    assert calls == [1] and refusals == [0]

    refusals[0] = 10**9
    db.failover_wait = 0.0
    with pytest.raises(DBAPIError) as caught:
        db.run(lambda s: calls.append(2))
    assert is_unavailable(caught.value) and not in_commit(caught.value) and calls == [1]


def test_a_write_that_reaches_a_standby_is_run_again_on_a_new_connection(db):
    """N-10: a write refused as read-only (SQLSTATE 25006: the node is a standby now) wrote nothing; the connection is
    dropped and the whole transaction runs again, once."""
    if db.dialect != "postgresql":
        pytest.skip("PostgreSQL's read-only transactions")
    db.run(lambda s: s.execute(text("CREATE TABLE IF NOT EXISTS reached_standby (n int)")))
    pids, attempts = [], []

    def work(session):
        attempts.append(1)
        pids.append(session.execute(text("SELECT pg_backend_pid()")).scalar_one())
        if len(attempts) == 1:
            session.execute(text("SET TRANSACTION READ ONLY"))  # what a demoted primary answers to every write
        session.execute(text("INSERT INTO reached_standby VALUES (1)"))

    try:
        db.run(work)
        assert len(attempts) == 2 and pids[0] != pids[1]
        assert db.read(lambda s: s.execute(text("SELECT count(*) FROM reached_standby")).scalar_one()) == 1
    finally:
        db.run(lambda s: s.execute(text("DROP TABLE reached_standby")))


def _app_raising(exc: BaseException) -> TestClient:
    app = FastAPI()
    problems.install(app)

    @app.post("/boom")
    def boom():
        raise exc

    return TestClient(app, raise_server_exceptions=False)


def test_the_api_says_whether_a_request_was_not_done_or_may_have_been():
    unavailable = OperationalError("connect", {}, Exception("connection refused"))
    unavailable.gongji_connect_failed = True
    answer = _app_raising(unavailable).post("/boom")
    assert answer.status_code == 503 and answer.json()["code"] == "DATABASE_UNAVAILABLE"
    assert answer.headers["Retry-After"] == str(problems.UNAVAILABLE_RETRY_AFTER_S)
    assert "没有任何变动" in answer.json()["detail"]

    lost = OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"))
    lost.connection_invalidated, lost.gongji_in_commit = True, True
    answer = _app_raising(lost).post("/boom", headers={"Accept-Language": "en"})
    assert answer.status_code == 503 and answer.json()["code"] == "DATABASE_OUTCOME_UNKNOWN"
    assert "may or may not" in answer.json()["detail"]

    other = OperationalError("SELECT", {}, Exception("division by zero"))
    assert _app_raising(other).post("/boom").json()["code"] == "INTERNAL_ERROR"


def test_stale_tolerant_reads_go_to_the_standby_but_never_within_fresh_reads(db, postgres_url):
    """Reads that may be a second behind go to ``read_url`` (here: another database standing in for the standby);
    a caller's own just-made change is read from the primary (fresh_reads); a standby that does not answer is
    stepped over to the primary."""
    if db.dialect != "postgresql":
        pytest.skip("a PostgreSQL standby")
    from sqlalchemy.engine import make_url

    from gongji.db import fresh_reads

    standby = make_url(normalize_url(postgres_url)).set(database="postgres").render_as_string(hide_password=False)
    routed = Database(db.url, read_url=standby, pool_size=1)
    name = "SELECT current_database()"
    try:
        primary = routed.read(lambda s: s.execute(text(name)).scalar_one())
        assert primary != "postgres"
        assert routed.read_stale(lambda s: s.execute(text(name)).scalar_one()) == "postgres"
        with fresh_reads():
            assert routed.read_stale(lambda s: s.execute(text(name)).scalar_one()) == primary
    finally:
        routed.dispose()
    dead = Database(db.url, read_url=f"postgresql://postgres@127.0.0.1:{closed_port()}/postgres", pool_size=1)
    try:
        assert dead.read_stale(lambda s: s.execute(text(name)).scalar_one()) == primary
    finally:
        dead.dispose()
    assert Database(db.url, read_url="").replica is None
