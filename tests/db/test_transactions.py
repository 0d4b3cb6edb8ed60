"""Transactions: SQLite's durability level is a stated choice, read-only transactions refuse writes, a
connection lost before the commit is retried on a new one, serialization failures and deadlocks run the whole
transaction again (a bounded number of times, with jittered backoff), and after-commit actions run once.

Rules: N-10 (a settlement is paid once: a transaction runs again only when nothing of it was committed).
"""

from __future__ import annotations

import logging
import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError

from gongji.db import RETRY_BASE_S, RETRY_CAP_S, Database, on_commit, retry_delay_s


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


# -- retries: the whole transaction again on serialization failures and deadlocks, side effects after the commit ---

@pytest.fixture
def counters(db):
    """A scratch table of two counters (1 and 2, both at 0), dropped afterwards."""
    db.run(lambda s: s.execute(text("CREATE TABLE retry_counters (id int PRIMARY KEY, n int NOT NULL)")))
    db.run(lambda s: s.execute(text("INSERT INTO retry_counters VALUES (1, 0), (2, 0)")))
    yield
    db.run(lambda s: s.execute(text("DROP TABLE retry_counters")))


def _counts(db) -> list[int]:
    return list(db.read(lambda s: s.execute(text("SELECT n FROM retry_counters ORDER BY id")).scalars()))


def _side_by_side(*works) -> None:
    """Run each ``work()`` in a thread of its own and raise the first failure."""
    failures: list[BaseException] = []

    def guarded(work):
        try:
            work()
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            failures.append(exc)

    threads = [threading.Thread(target=guarded, args=(work,)) for work in works]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not any(thread.is_alive() for thread in threads), "a transaction hung"
    if failures:
        raise failures[0]


def _postgres_only(db) -> None:
    if db.dialect != "postgresql":
        pytest.skip("SQLite runs one writer at a time: no serialization failure, no deadlock")


def _short_deadlock_timeout(session) -> None:
    """Detect the deadlock after 50 ms instead of the server's 1 s (a superuser setting; else the default)."""
    if session.execute(text("SHOW is_superuser")).scalar_one() == "on":
        session.execute(text("SET LOCAL deadlock_timeout = '50ms'"))


def test_a_serialization_failure_runs_the_whole_transaction_again(db, counters, caplog):
    """Two SERIALIZABLE transactions read the same counter and both add one: the second to write fails with
    SQLSTATE 40001 and Database.run runs its whole function again, which then reads the first's value. Nothing is
    lost (the counter is 2), and each transaction's after-commit action runs once, though three attempts ran."""
    _postgres_only(db)
    both_read = threading.Barrier(2, timeout=10)
    attempts, committed = [], []

    def add_one(name):
        def work(session):
            session.execute(text("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE"))
            attempts.append(name)
            n = session.execute(text("SELECT n FROM retry_counters WHERE id = 1")).scalar_one()
            if attempts.count(name) == 1:
                both_read.wait()  # both have read 0 before either writes
            session.execute(text("UPDATE retry_counters SET n = :n WHERE id = 1"), {"n": n + 1})
            on_commit(session, lambda: committed.append((name, n + 1)))
        return lambda: db.run(work)

    caplog.set_level(logging.INFO, logger="gongji.db")
    _side_by_side(add_one("a"), add_one("b"))
    assert "SQLSTATE 40001" in caplog.text
    assert _counts(db) == [2, 0]
    assert len(attempts) == 3 and sorted(committed, key=lambda c: c[1]) in (
        [("a", 1), ("b", 2)], [("b", 1), ("a", 2)])


def test_a_serialization_failure_at_commit_is_run_again(db, counters):
    """A conflict the server reports at COMMIT (as SERIALIZABLE's write skew, and CockroachDB, often do) rolled the
    transaction back: it is run again, unlike a connection lost during the COMMIT."""
    _postgres_only(db)
    db.run(lambda s: s.execute(text("""
        CREATE SEQUENCE retry_commit_fails;
        CREATE FUNCTION retry_commit_fails() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF nextval('retry_commit_fails') = 1 THEN  -- the first commit only (a sequence is not rolled back)
                RAISE EXCEPTION 'could not serialize access' USING ERRCODE = 'serialization_failure';
            END IF;
            RETURN NULL;
        END $$;
        CREATE CONSTRAINT TRIGGER retry_commit_fails AFTER UPDATE ON retry_counters
            DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION retry_commit_fails();
    """)))
    attempts, committed = [], []

    def work(session):
        attempts.append(1)
        session.execute(text("UPDATE retry_counters SET n = n + 1 WHERE id = 1"))
        on_commit(session, lambda: committed.append(1))

    try:
        db.run(work)
        assert (len(attempts), len(committed), _counts(db)) == (2, 1, [1, 0])
    finally:
        db.run(lambda s: s.execute(text("DROP TRIGGER retry_commit_fails ON retry_counters; "
                                         "DROP FUNCTION retry_commit_fails(); DROP SEQUENCE retry_commit_fails")))


def test_a_deadlock_runs_the_victim_again(db, counters, caplog):
    """Two transactions lock the two counters in opposite order: PostgreSQL ends one with SQLSTATE 40P01, and
    Database.run runs its whole function again once the other has committed. Both increments of both counters are
    there, and each transaction's after-commit action ran once."""
    _postgres_only(db)
    both_locked = threading.Barrier(2, timeout=10)
    attempts, committed = [], []

    def crossing(name, first, second):
        def work(session):
            _short_deadlock_timeout(session)
            attempts.append(name)
            session.execute(text("UPDATE retry_counters SET n = n + 1 WHERE id = :id"), {"id": first})
            if attempts.count(name) == 1:
                both_locked.wait()  # each holds one row and now wants the other's
            session.execute(text("UPDATE retry_counters SET n = n + 1 WHERE id = :id"), {"id": second})
            on_commit(session, lambda: committed.append(name))
        return lambda: db.run(work)

    caplog.set_level(logging.INFO, logger="gongji.db")
    _side_by_side(crossing("a", 1, 2), crossing("b", 2, 1))
    assert "SQLSTATE 40P01" in caplog.text
    assert _counts(db) == [2, 2]
    assert len(attempts) == 3 and sorted(committed) == ["a", "b"]


def test_retries_are_bounded_and_back_off_with_jitter(db, monkeypatch):
    """A conflict that never clears is raised after the given number of attempts, with a random wait between them
    that grows and never passes the cap; the after-commit actions of the failed attempts never run."""
    waits: list[float] = []
    monkeypatch.setattr("gongji.db.time.sleep", waits.append)
    attempts, committed = [], []

    def always_conflicts(session):
        attempts.append(1)
        on_commit(session, lambda: committed.append(1))
        raise OperationalError("COMMIT", {}, _Conflict("could not serialize access due to concurrent update"))

    with pytest.raises(OperationalError, match="serialize"):
        db.run(always_conflicts, attempts=5)
    assert (len(attempts), len(waits), committed) == (5, 4, [])
    assert all(0 <= w <= min(RETRY_CAP_S, RETRY_BASE_S * 2**a) for a, w in enumerate(waits, start=1))
    delays = {retry_delay_s(3) for _ in range(20)}
    assert len(delays) > 1 and max(delays) <= RETRY_BASE_S * 8  # jittered, within its bound
    assert max(retry_delay_s(30) for _ in range(20)) <= RETRY_CAP_S


class _Conflict(Exception):
    sqlstate = "40001"  # as psycopg reports a serialization failure (and CockroachDB its retry errors)


@pytest.mark.parametrize("failure", ["sql", "service"])
def test_other_errors_are_not_retried(db, failure):
    """An error that is no conflict (a bad statement, a refused request) ends the transaction at the first attempt:
    nothing is written and no after-commit action runs."""
    db.run(lambda s: s.execute(text("CREATE TABLE not_retried (n int)")))
    attempts, committed = [], []

    def work(session):
        attempts.append(1)
        session.execute(text("INSERT INTO not_retried VALUES (1)"))
        on_commit(session, lambda: committed.append(1))
        if failure == "sql":
            session.execute(text("SELECT n FROM no_such_table"))
        raise ValueError("refused")

    try:
        with pytest.raises(DBAPIError if failure == "sql" else ValueError):
            db.run(work)
        assert (len(attempts), committed) == (1, [])
        assert db.read(lambda s: s.execute(text("SELECT count(*) FROM not_retried")).scalar_one()) == 0
    finally:
        db.run(lambda s: s.execute(text("DROP TABLE not_retried")))


def test_after_commit_actions_run_once_after_the_commit_in_order(db):
    """on_commit: the actions run after the commit (another transaction already sees the change), in the order
    registered; a failing one is logged and the rest still run; a read-only transaction runs them too."""
    db.run(lambda s: s.execute(text("CREATE TABLE after_commit (n int)")))
    seen = []

    def count() -> int:
        return db.read(lambda s: s.execute(text("SELECT count(*) FROM after_commit")).scalar_one())

    def fails():
        raise RuntimeError("the action failed")

    def work(session):
        session.execute(text("INSERT INTO after_commit VALUES (1)"))
        on_commit(session, lambda: seen.append(("first", count())))
        on_commit(session, fails)
        on_commit(session, lambda: seen.append(("second", count())))
        assert seen == []
        return "done"

    try:
        assert db.run(work) == "done"
        assert seen == [("first", 1), ("second", 1)]
        db.read(lambda s: on_commit(s, lambda: seen.append("read")))
        assert seen[-1] == "read"
    finally:
        db.run(lambda s: s.execute(text("DROP TABLE after_commit")))
