"""The audit trail's tests share the HTTP application of the API tests (for refused access) and a way to tamper
with the database as someone with full rights on it would."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

from gongji.db import Database
from tests.api import conftest as _api_fixtures

api = _api_fixtures.api  # the application over the test database

Execute = Callable[..., Any]


@contextmanager
def tampering(db: Database, *tables: str, foreign_keys: bool = True) -> Iterator[Execute]:
    """Statements run as a would-be tamperer runs them: with the append-only triggers of ``tables`` out of the way
    (PostgreSQL: ``ALTER TABLE … DISABLE TRIGGER USER``; SQLite: the triggers dropped) and, with
    ``foreign_keys=False``, without foreign keys (PostgreSQL: ``session_replication_role = replica``).

    On PostgreSQL it is one transaction, the triggers enabled again before it commits, so that the test database
    keeps them for the tests after; SQLite's copy of the database is the test's own.
    """
    if db.dialect == "postgresql":
        with db.engine.begin() as conn:
            for table in tables:
                conn.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            if not foreign_keys:
                conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
            yield lambda sql, **params: conn.execute(text(sql), params)
            if not foreign_keys:
                conn.exec_driver_sql("SET LOCAL session_replication_role = origin")
            for table in tables:
                conn.exec_driver_sql(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        return
    conn = sqlite3.connect(make_url(db.url).database)
    try:
        for table in tables:
            for action in ("update", "delete"):
                conn.execute(f"DROP TRIGGER IF EXISTS {table}_no_{action}")
        conn.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        yield lambda sql, **params: conn.execute(sql, params)
        conn.commit()
    finally:
        conn.close()
