"""Test fixtures: every storage test runs against SQLite and against a real PostgreSQL.

PostgreSQL comes from ``GONGJI_TEST_POSTGRES_URL`` (default: the local server's ``test``
database). Each test worker gets its own database, created on first use and migrated once; each
test starts from empty tables. Without a reachable server the PostgreSQL half is skipped, unless
``GONGJI_REQUIRE_POSTGRES=1`` (as in CI), when it fails.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from gongji.clock import FixedClock
from gongji.db import Database, normalize_url
from gongji.db.models import Base
from gongji.env import Env
from gongji.policy import load_policies
from tests.factories import World

POSTGRES_URL = os.environ.get("GONGJI_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REQUIRE_POSTGRES = os.environ.get("GONGJI_REQUIRE_POSTGRES") == "1"
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
