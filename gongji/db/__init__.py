"""Storage: the engine, the one place that commits, and schema migrations.

Services take a ``session`` and only ``flush()``. :meth:`Database.run` opens the transaction, calls
the service, commits, and on a transient conflict (serialization failure, deadlock, a race on a
unique key such as an idempotency key, SQLite's busy lock) runs the whole function again, so that
no side effect may live inside a transaction function but the database writes themselves.

A side effect that must follow the change (a metric, a wake-up of a worker, a message to another system that is
not in the database's outbox) is registered with :func:`on_commit`: it runs once, after the commit of the attempt
that committed, and never for an attempt that was rolled back. CockroachDB and YugabyteDB report their
"restart transaction" conflicts with SQLSTATE 40001 as PostgreSQL does, so the same retry covers them.

A database that cannot be reached (a failover under way: the primary is gone and the standby not yet promoted, or a
server restarting) is waited for: a transaction that failed before its COMMIT was sent is run again, for up to
:data:`FAILOVER_WAIT_S`, on a new connection, which a multi-host URL with ``target_session_attrs=read-write`` points
at whichever node accepts writes by then (:mod:`gongji.db.connect`). Past that wait the error is raised and the API
answers 503 ``DATABASE_UNAVAILABLE`` (nothing was done). A connection lost during the COMMIT is never run again: the
API answers 503 ``DATABASE_OUTCOME_UNKNOWN``, and the caller's retry with the same idempotency key finds the first
answer if it committed and does the work if it did not.
"""

from __future__ import annotations

import logging
import os
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import TypeVar

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from gongji.db import pipeline
from gongji.db.connect import driver_options, normalize_url

log = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_URL = "sqlite:///gongji.sqlite3"
#: PostgreSQL SQLSTATEs after which a transaction is retried as a whole: serialization failure (also CockroachDB's
#: and YugabyteDB's retry errors), deadlock detected, unique violation (two first uses of the same key).
RETRYABLE_SQLSTATES = {"40001", "40P01", "23505"}
#: Attempts :meth:`Database.run` makes unless told otherwise, and its backoff between them: a random wait (full
#: jitter) below ``min(RETRY_CAP_S, RETRY_BASE_S * 2 ** attempt)``; at most about 0.7 s over all eight attempts.
ATTEMPTS = 8
RETRY_BASE_S = 0.005
RETRY_CAP_S = 0.2
_ON_COMMIT = "gongji_on_commit"
#: Seconds :meth:`Database.run` keeps trying when the database cannot be reached before the COMMIT (a failover,
#: a restart); ``GONGJI_DB_FAILOVER_WAIT_S`` overrides it, 0 gives up at the first failure.
FAILOVER_WAIT_S = 15.0
#: Between two attempts to reach a database that was not there: grows from the first to the last, then stays.
UNAVAILABLE_DELAYS_S = (0.05, 0.1, 0.2, 0.4, 0.5)
#: SQLSTATEs that say the server is going away or not yet open: admin or crash shutdown, cannot connect now.
UNAVAILABLE_SQLSTATES = {"57P01", "57P02", "57P03"}
#: A write refused because the transaction is read-only: on a write transaction, the connection reached a node that
#: is no longer (or not yet) the primary; nothing was written.
READ_ONLY_SQLSTATE = "25006"


#: Set while a caller's reads must see the caller's own latest change: every read goes to the primary.
_FRESH_READS: ContextVar[bool] = ContextVar("gongji_fresh_reads", default=False)


@contextmanager
def fresh_reads() -> Iterator[None]:
    """Within this block :meth:`Database.read_stale` reads from the primary (a person who has just made a change
    sees it, whatever the standby has replayed so far)."""
    token = _FRESH_READS.set(True)
    try:
        yield
    finally:
        _FRESH_READS.reset(token)


def failover_wait_s() -> float:
    value = os.environ.get("GONGJI_DB_FAILOVER_WAIT_S")
    return float(value) if value else FAILOVER_WAIT_S


def retry_delay_s(attempt: int) -> float:
    """How long to wait after failed attempt ``attempt`` (from 1): random, so that colliding transactions part."""
    return min(RETRY_CAP_S, RETRY_BASE_S * 2**attempt) * random.random()


def on_commit(session: Session, fn: Callable[[], object]) -> None:
    """Call ``fn()`` after this transaction commits (in the order registered); never if it rolls back.

    For side effects that a retried or rolled-back transaction must not repeat or leave behind. Only transactions
    opened by :class:`Database` run them. A failing ``fn`` is logged and the others still run: the change it follows
    is committed and stays so.
    """
    session.info.setdefault(_ON_COMMIT, []).append(fn)


def _run_after_commit(session: Session) -> None:
    for fn in session.info.pop(_ON_COMMIT, []):
        try:
            fn()
        except Exception:
            log.exception("an after-commit action failed (the transaction itself is committed)")


def database_url() -> str:
    return normalize_url(os.environ.get("GONGJI_DATABASE_URL") or DEFAULT_URL)


def in_commit(exc: BaseException) -> bool:
    """Whether ``exc`` came from the COMMIT itself: whether the transaction committed is then unknown."""
    return bool(getattr(exc, "gongji_in_commit", False))


def is_unavailable(exc: BaseException) -> bool:
    """The database could not be reached, or went away, before the COMMIT was sent: nothing was written."""
    if not isinstance(exc, DBAPIError) or in_commit(exc):
        return False
    if getattr(exc, "gongji_connect_failed", False) or exc.connection_invalidated:
        return True
    sqlstate = getattr(exc.orig, "sqlstate", None)
    return sqlstate in UNAVAILABLE_SQLSTATES or (sqlstate == READ_ONLY_SQLSTATE and getattr(exc, "gongji_write", False))


def _is_retryable(exc: BaseException) -> bool:
    if isinstance(exc, DBAPIError):
        sqlstate = getattr(exc.orig, "sqlstate", None)
        if sqlstate in RETRYABLE_SQLSTATES:
            return True
        text = str(exc.orig).lower()
        if isinstance(exc, OperationalError) and ("database is locked" in text or "database is busy" in text):
            return True
        if isinstance(exc, IntegrityError) and "unique constraint failed" in text:
            return True
    return False


class Database:
    """One database: an engine, its transactions, and its schema."""

    def __init__(self, url: str | None = None, *, echo: bool = False, pool_size: int = 10,
                 sqlite_synchronous: str | None = None, failover_wait: float | None = None,
                 read_url: str | None = None) -> None:
        self.url = normalize_url(url) if url else database_url()
        parsed = make_url(self.url)
        self.dialect = parsed.get_backend_name()
        if self.dialect == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            self.engine: Engine = create_engine(self.url, echo=echo, connect_args={"timeout": 60})
            self.sqlite_synchronous = sqlite_synchronous_level(sqlite_synchronous)
            _configure_sqlite(self.engine, self.sqlite_synchronous)
        elif self.dialect == "postgresql":
            url, connect_args = driver_options(self.url)
            self.engine = create_engine(url, echo=echo, pool_size=pool_size, max_overflow=pool_size,
                                        connect_args=connect_args)
            _ping_when_idle(self.engine)
            pipeline.install(self.engine)  # writes sent with the COMMIT (gongji.db.pipeline)
        else:
            raise ValueError(f"unsupported database {self.dialect!r}: use sqlite:/// or postgresql://")
        self.failover_wait = failover_wait_s() if failover_wait is None else failover_wait
        # Reads that may be a second stale (records pages, statements, reports) may go to a standby:
        # GONGJI_DATABASE_READ_URL, e.g. the failover group's URL with target_session_attrs=prefer-standby.
        read_url = os.environ.get("GONGJI_DATABASE_READ_URL", "") if read_url is None else read_url
        self.replica: Database | None = None
        if read_url and self.dialect == "postgresql":
            self.replica = Database(read_url, echo=echo, pool_size=pool_size, failover_wait=0, read_url="")

    # -- transactions ---------------------------------------------------------------------------

    @contextmanager
    def session(self, *, write: bool = True) -> Iterator[Session]:
        """One transaction. Commits if the block ends normally, rolls back on any exception.

        On SQLite a writing transaction starts with ``BEGIN IMMEDIATE``: writers queue for the lock
        at the start instead of failing at their first write.
        """
        try:
            connection = self.engine.connect()
        except DBAPIError as exc:
            exc.gongji_connect_failed = True  # nothing was sent
            raise
        with connection as conn:
            if write:
                conn = conn.execution_options(gongji_write=True)
            elif self.dialect == "postgresql":
                conn = conn.execution_options(gongji_write=False, postgresql_readonly=True)  # BEGIN READ ONLY
            else:
                conn = conn.execution_options(gongji_write=False)
            with Session(bind=conn, expire_on_commit=False, autoflush=True) as session:
                try:
                    yield session
                except DBAPIError as exc:
                    exc.gongji_write = write
                    if write and getattr(exc.orig, "sqlstate", None) == READ_ONLY_SQLSTATE:
                        conn.invalidate()  # a node that is a standby now: never use this connection again
                    else:
                        session.rollback()
                    raise
                except BaseException:
                    session.rollback()
                    raise
                try:
                    pipeline.commit(session)  # with the writes queued for it, in one round trip
                except DBAPIError as exc:
                    exc.gongji_in_commit = True  # whether it committed is unknown: never run it again
                    session.rollback()
                    raise
                except BaseException:
                    session.rollback()
                    raise
                _run_after_commit(session)

    def run(self, fn: Callable[[Session], T], *, write: bool = True, attempts: int = ATTEMPTS,
            failover_wait: float | None = None) -> T:
        """Run ``fn(session)`` in one transaction and commit; retry the whole of it on transient conflicts.

        Each attempt is a new transaction on a freshly checked-out connection, after a jittered backoff
        (:func:`retry_delay_s`); after ``attempts`` the last conflict is raised. Any other error is raised at once.
        A conflict reported by the COMMIT itself (40001 on SERIALIZABLE, CockroachDB's usual place for it) is retried
        too: the server has rolled the transaction back. Only a connection lost during the COMMIT is not, since
        whether it committed is then unknown.

        A database that could not be reached before the COMMIT (:func:`is_unavailable`) is tried again, apart from
        the ``attempts`` for conflicts, until ``failover_wait`` seconds (default :attr:`failover_wait`) have passed
        since the first such failure.
        """
        wait = self.failover_wait if failover_wait is None else failover_wait
        attempt, unreachable_since, waits = 0, None, 0
        while True:
            try:
                with self.session(write=write) as session:
                    return fn(session)
            except DBAPIError as exc:
                if is_unavailable(exc):
                    now = time.monotonic()
                    unreachable_since = now if unreachable_since is None else unreachable_since
                    if now - unreachable_since >= wait:
                        raise
                    log.warning("database unreachable (%s), trying again for up to %.0f s",
                                str(exc.orig).strip().splitlines()[0][:200] if exc.orig else type(exc).__name__,
                                wait - (now - unreachable_since))
                    time.sleep(UNAVAILABLE_DELAYS_S[min(waits, len(UNAVAILABLE_DELAYS_S) - 1)])
                    waits += 1
                    continue
                attempt += 1
                if attempt >= attempts or not _is_retryable(exc):
                    raise
                log.info("transaction conflict (%s, SQLSTATE %s), attempt %d of %d", type(exc.orig).__name__,
                         getattr(exc.orig, "sqlstate", None), attempt, attempts)
                time.sleep(retry_delay_s(attempt))

    def read(self, fn: Callable[[Session], T]) -> T:
        return self.run(fn, write=False)

    def read_stale(self, fn: Callable[[Session], T]) -> T:
        """A read that may be up to a second or so behind the primary: on the standby of ``read_url`` if there is one
        (and the standby answers), on the primary within :func:`fresh_reads` or without a standby."""
        if self.replica is None or _FRESH_READS.get():
            return self.read(fn)
        try:
            return self.replica.read(fn)
        except DBAPIError as exc:
            if not is_unavailable(exc):
                raise
            log.warning("the standby for stale-tolerant reads does not answer; reading from the primary")
            return self.read(fn)

    # -- schema ---------------------------------------------------------------------------------

    def upgrade(self) -> None:
        """Bring the schema to the newest migration (an empty database gets all of it)."""
        from alembic import command

        with self.engine.begin() as conn:
            config = alembic_config()
            config.attributes["connection"] = conn
            command.upgrade(config, "head")

    def is_current(self) -> bool:
        from alembic.runtime.migration import MigrationContext
        from alembic.script import ScriptDirectory

        with self.engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_heads()
        return set(current) == set(ScriptDirectory.from_config(alembic_config()).get_heads())

    def dispose(self) -> None:
        self.engine.dispose()
        if self.replica is not None:
            self.replica.dispose()


#: A pooled PostgreSQL connection idle for longer than this is pinged before use.
PING_AFTER_IDLE_S = 10.0


def _ping_when_idle(engine: Engine) -> None:
    """Ping a pooled connection before use only if it has been idle a while (not before every transaction).

    A connection that a restarted server has closed fails its ping and the pool opens a new one. One that fails
    within its first statement instead (the server went away while the pool was busy) fails the transaction before
    anything was committed, and :meth:`Database.run` runs it again on a new connection.
    """

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection, record):
        record.info["gongji_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection, record, _proxy):
        since = record.info.get("gongji_idle_since")
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_S:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            raise DisconnectionError() from exc  # the pool discards it and checks out another


def alembic_config():
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    return config


#: SQLite's durability levels Gongji offers (``GONGJI_SQLITE_SYNCHRONOUS``), in WAL mode:
#: FULL (the default) syncs the log at every commit: an acknowledged commit survives power loss.
#: NORMAL syncs only at checkpoints: a commit survives the process crashing, but the last commits before a power
#: loss or an operating-system crash may be lost (the database stays consistent). It saves an fsync per commit.
SQLITE_SYNCHRONOUS = ("FULL", "NORMAL")


def sqlite_synchronous_level(given: str | None = None) -> str:
    """The ``synchronous`` level for SQLite: ``given``, else ``GONGJI_SQLITE_SYNCHRONOUS``, else FULL."""
    level = (given or os.environ.get("GONGJI_SQLITE_SYNCHRONOUS") or "FULL").upper()
    if level not in SQLITE_SYNCHRONOUS:
        raise ValueError(f"GONGJI_SQLITE_SYNCHRONOUS is {level!r}: use one of {', '.join(SQLITE_SYNCHRONOUS)}")
    return level


def _configure_sqlite(engine: Engine, synchronous: str) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy's "begin" event decide how transactions start (the pysqlite recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")  # see SQLITE_SYNCHRONOUS
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        write = conn.get_execution_options().get("gongji_write", True)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
