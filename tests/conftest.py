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


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("sqlite") / "template.sqlite3"
    db = Database(f"sqlite:///{path}")
    db.upgrade()
    db.dispose()
    return str(path)


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """A migrated PostgreSQL database of this test worker's own."""
    admin_url = normalize_url(POSTGRES_URL)
    name = f"gongji_test_{_worker()}"
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
