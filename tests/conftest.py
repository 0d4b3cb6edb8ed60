"""Test fixtures: every storage test runs against SQLite and against a real PostgreSQL.

PostgreSQL comes from ``GONGJI_TEST_POSTGRES_URL`` (default: the local server's ``test``
database). Each test worker gets its own database, created on first use and migrated once; each
test starts from empty tables. Without a reachable server the PostgreSQL half is skipped, unless
``GONGJI_REQUIRE_POSTGRES=1`` (as in CI), when it fails.
"""

from __future__ import annotations

import collections
import json
import logging
import os
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from gongji.clock import FixedClock
from gongji.db import Database, normalize_url
from gongji.db.models import Base
from gongji.env import Env
from gongji.policy import load_policies
from tests import logscan
from tests.factories import World

POSTGRES_URL = os.environ.get("GONGJI_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REQUIRE_POSTGRES = os.environ.get("GONGJI_REQUIRE_POSTGRES") == "1"
# Password hashes at a low cost, for the suite's speed (and that of the servers it starts); production keeps
# OWASP's (gongji/auth/passwords.py, checked by tests/auth/test_passwords.py).
os.environ.setdefault("GONGJI_TEST_PASSWORD_COST", "10")
#: The day the tests live on: a Monday, China Standard Time.
TODAY = date(2025, 6, 2)

_POLICIES = load_policies()


def worker_name() -> str:
    """This test process's name, unique to the run: runs side by side never share a PostgreSQL database."""
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID") or str(os.getpid())
    return f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{run[:8]}".lower()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("sqlite") / "template.sqlite3"
    db = Database(f"sqlite:///{path}")
    db.upgrade()
    db.dispose()
    return str(path)


def fresh_postgres_database(name: str) -> str:
    """The URL of a new, migrated PostgreSQL database ``name`` (dropped first if it is left from a crash)."""
    admin_url = normalize_url(POSTGRES_URL)
    try:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            conn.execute(text(f"CREATE DATABASE {name}"))
        admin.dispose()
    except Exception as exc:  # the server is not there
        message = f"PostgreSQL at {POSTGRES_URL} is not reachable: {exc}"
        if REQUIRE_POSTGRES:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    db = Database(url)
    db.upgrade()
    db.dispose()
    return url


def drop_postgres_database(name: str) -> None:
    admin = create_engine(normalize_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A migrated PostgreSQL database of this test process's own, dropped at the end."""
    name = f"gongji_test_{worker_name()}"
    yield fresh_postgres_database(name)
    drop_postgres_database(name)


def _truncate(db: Database) -> None:
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with db.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", "postgres"])
def db(request, tmp_path) -> Iterator[Database]:
    """An empty, migrated database: SQLite (a fresh copy of the template) or PostgreSQL (tables emptied)."""
    if request.param == "sqlite":
        path = tmp_path / "gongji.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        database = Database(f"sqlite:///{path}")
        yield database
        database.dispose()
    else:
        database = Database(request.getfixturevalue("postgres_url"), pool_size=12)
        _truncate(database)
        yield database
        database.dispose()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock.on(TODAY)


@pytest.fixture
def env(clock) -> Env:
    return Env(clock=clock, policies=_POLICIES)


@pytest.fixture
def world(db, env) -> World:
    """Factories for people, institutions and bindings in the test's database."""
    return World(db=db, env=env)


# -- how many requests the fuzzing tests sent ----------------------------------------------------------

_FUZZ_TOTALS: collections.Counter[str] = collections.Counter()


@pytest.fixture
def fuzz_tally(request) -> Iterator[collections.Counter[str]]:
    """A counter of the requests a fuzzing test sends, by fuzzer; summed over the session and printed at its end
    (``fuzzing: N generated requests``), from every xdist worker."""
    tally: collections.Counter[str] = collections.Counter()
    yield tally
    if tally:
        request.node.user_properties.append(("fuzz_requests", dict(tally)))


def pytest_runtest_logreport(report) -> None:
    if report.when == "teardown":
        for name, value in report.user_properties:
            if name == "fuzz_requests":
                _FUZZ_TOTALS.update(value)


def pytest_terminal_summary(terminalreporter, config) -> None:
    if hasattr(config, "workerinput"):
        return
    scanned = config.stash.get(_LEAKS, None)
    if scanned is not None:
        count, size, leaks = scanned
        for leak in leaks[:50]:
            terminalreporter.write_line(f"log scan: {leak}", red=True)
        terminalreporter.write_line(f"log scan: {count} log files, {size // 1024} kB: "
                                    + (f"{len(leaks)} full ID or mobile numbers, the run fails" if leaks
                                       else "no full ID number or mobile number"), red=bool(leaks))
    if not _FUZZ_TOTALS:
        return
    parts = ", ".join(f"{name} {count}" for name, count in sorted(_FUZZ_TOTALS.items()))
    terminalreporter.write_line(f"fuzzing: {sum(_FUZZ_TOTALS.values())} generated requests ({parts})")
    report = os.environ.get("GONGJI_FUZZ_REPORT")
    if report:
        Path(report).write_text(json.dumps({"total": sum(_FUZZ_TOTALS.values()), **_FUZZ_TOTALS}, indent=2) + "\n")


# -- the log scan of the run (tests/logscan.py) -----------------------------------------------------------

_LOG_CAPTURE = pytest.StashKey[logscan.Capture]()
_LEAKS = pytest.StashKey[list]()


@pytest.hookimpl(trylast=True)  # after the tmp_path plugin has set up the basetemp
def pytest_configure(config) -> None:
    folder = config._tmp_path_factory.getbasetemp() / logscan.FOLDER
    capture = logscan.Capture(folder)
    capture.attach()
    for noisy in ("httpx", "httpcore"):  # the test client's own request lines
        logging.getLogger(noisy).setLevel(logging.WARNING)
    config.stash[_LOG_CAPTURE] = capture
    os.environ["GONGJI_LOG_FILE"] = str(folder / "server-{pid}.jsonl")  # servers the tests start


@pytest.fixture(autouse=True)
def _logs_are_captured(request) -> None:
    """Every test logs into the run's capture, even after an earlier one took the handler away."""
    capture = request.config.stash.get(_LOG_CAPTURE, None)
    if capture is not None:
        capture.attach()


def pytest_sessionfinish(session, exitstatus) -> None:
    capture = session.config.stash.get(_LOG_CAPTURE, None)
    if capture is not None:
        capture.detach()
    if hasattr(session.config, "workerinput"):
        return  # the controller scans every worker's files once they are done
    root = session.config._tmp_path_factory.getbasetemp()
    scanned = logscan.files(root)
    leaks = logscan.scan(scanned)
    session.config.stash[_LEAKS] = [len(scanned), sum(p.stat().st_size for p in scanned if p.exists()), leaks]
    if leaks and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
