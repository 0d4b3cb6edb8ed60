"""Transactions: SQLite's durability level is a stated choice, read-only transactions refuse writes, and a
connection lost before the commit is retried on a new one.

Rules: N-10 (a settlement is paid once: a transaction runs again only when nothing of it was committed).
"""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from gongji.db import Database


@pytest.mark.parametrize(("given", "pragma"), [(None, 2), ("FULL", 2), ("normal", 1)])
def test_sqlite_syncs_every_commit_unless_told_otherwise(tmp_path, monkeypatch, given, pragma):
    """FULL (2) by default: an acknowledged settlement survives power loss; NORMAL (1) only when asked for."""
    monkeypatch.delenv("GONGJI_SQLITE_SYNCHRONOUS", raising=False)
    if given is not None:
        monkeypatch.setenv("GONGJI_SQLITE_SYNCHRONOUS", given)
    db = Database(f"sqlite:///{tmp_path}/d.sqlite3")
    try:
        assert db.read(lambda s: s.execute(text("PRAGMA synchronous")).scalar_one()) == pragma
    finally:
        db.dispose()


def test_an_unknown_sqlite_durability_level_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("GONGJI_SQLITE_SYNCHRONOUS", "OFF")
    with pytest.raises(ValueError, match="GONGJI_SQLITE_SYNCHRONOUS"):
        Database(f"sqlite:///{tmp_path}/d.sqlite3")


def test_a_read_only_transaction_refuses_to_write(db):
    """Database.read is read-only on PostgreSQL (BEGIN READ ONLY), and its writes fail."""
    if db.dialect != "postgresql":
        pytest.skip("SQLite has no read-only transactions; its readers simply take no write lock")
    with pytest.raises(DBAPIError, match="read-only"):
        db.read(lambda s: s.execute(text("CREATE TEMPORARY TABLE t (x int)")))
    one = Database(db.url, pool_size=1)  # one pooled connection, used in turn by a read and a write
    try:
        state = "SELECT pg_backend_pid(), current_setting('transaction_read_only')"
        read, written = one.read(lambda s: s.execute(text(state)).one()), one.run(lambda s: s.execute(text(state)).one())
        assert read[0] == written[0] and (read[1], written[1]) == ("on", "off")
    finally:
        one.dispose()


def test_a_connection_lost_before_the_commit_is_run_again(db):
    """N-10: the server closing the connection mid-transaction (nothing committed) makes Database.run start over
    on a new connection; the transaction's work is done exactly once."""
    if db.dialect != "postgresql":
        pytest.skip("a PostgreSQL server closing its connections")
    db.run(lambda s: s.execute(text("CREATE TABLE IF NOT EXISTS lost_connection (n int)")))
    attempts = []

    def work(session):
        attempts.append(1)
        if len(attempts) == 1:  # the server ends this very connection, as a restart would
            session.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))
        session.execute(text("INSERT INTO lost_connection VALUES (1)"))

    try:
        db.run(work)
        assert len(attempts) == 2
        assert db.read(lambda s: s.execute(text("SELECT count(*) FROM lost_connection")).scalar_one()) == 1
    finally:
        db.run(lambda s: s.execute(text("DROP TABLE lost_connection")))
