"""Fewer round trips on PostgreSQL: psycopg 3's pipeline mode, asked for in one place.

A settlement on PostgreSQL talks to the server twice: once to read its facts (and claim its key and lock its
accounts, all in one statement), once to write what the rules decided together with the COMMIT. Between the two the
rules run in Python, so two is the least there can be while the rules stay in Python. What stands in the way of two
is the driver: psycopg sends ``BEGIN`` on its own before a transaction's first statement, and ``COMMIT`` on its own
after the last. In pipeline mode it sends them with the statements next to them, without waiting in between.

* :func:`read` runs a ``SELECT`` (which may claim and lock, through data-modifying CTEs and ``FOR UPDATE``) and returns
  its rows; a ``BEGIN`` not yet sent, and writes queued by :func:`write_with_commit`, go in the same round trip.
* :func:`write_with_commit` queues a write whose result nobody reads. It is sent with the ``COMMIT``
  (:func:`commit`, which :class:`gongji.db.Database` calls), or before the transaction's next statement, whichever
  comes first; on a rollback it is dropped with the rest of the transaction.

SQLAlchemy does not know pipeline mode (a result's columns are not known until the pipeline syncs), so these two run
the compiled statement on the driver's connection and give back plain rows; a driver error is raised as SQLAlchemy
raises it (:class:`sqlalchemy.exc.DBAPIError`, the connection invalidated if it is lost), so that
:meth:`Database.run` retries and waits as it does for any statement. A write sent with the COMMIT that the server
refuses (a CHECK, a unique key, a serialization failure) is raised by the COMMIT, as the deferred ledger check is:
the transaction is rolled back, nothing of it stays. On SQLite both are ``session.execute``.
"""

from __future__ import annotations

import os
from typing import Any

import psycopg
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from gongji.db.dialect import is_postgresql

_PENDING = "gongji_pending_writes"
#: Off (``GONGJI_PG_PIPELINE=off``): every statement is sent on its own through SQLAlchemy, as before pipelining, so
#: that the two can be measured side by side (``gongji bench`` does, in its breakdown phase).
ENABLED = os.environ.get("GONGJI_PG_PIPELINE", "on").lower() not in {"off", "0", "no"}


def _queue(connection: Connection, *, create: bool = False) -> list[tuple[str, dict[str, Any]]]:
    """The writes queued in the connection's current transaction. They are kept with that transaction: a queue
    left by another (rolled back, or lost with its connection) is dropped, never sent."""
    transaction = connection.get_transaction()
    held = connection.info.get(_PENDING)
    if held is not None and held[0] is transaction:
        return held[1]
    if not create or transaction is None:
        connection.info.pop(_PENDING, None)
        return []
    queue: list[tuple[str, dict[str, Any]]] = []
    connection.info[_PENDING] = (transaction, queue)
    return queue
_COMPILED: dict[tuple[int, str], tuple[Any, str, dict[str, Any]]] = {}


def _compiled(statement: Any, dialect: Any) -> tuple[Any, str, dict[str, Any]]:
    """``(compiled, sql, bind processors)`` of a statement (a module-level constant), compiled once per dialect."""
    key = (id(statement), dialect.name)
    found = _COMPILED.get(key)
    if found is None or found[0].statement is not statement:
        compiled = statement.compile(dialect=dialect)
        found = _COMPILED[key] = (compiled, compiled.string, dict(compiled._bind_processors))
    return found


def _driver_params(compiled: Any, processors: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    values = compiled.construct_params(params)
    for name, process in processors.items():
        if name in values and values[name] is not None:
            values[name] = process(values[name])
    return values


def _driver(session: Session) -> tuple[Connection, Any]:
    """The session's SQLAlchemy connection (its transaction begun) and the psycopg connection under it."""
    if session.new or session.dirty or session.deleted:
        session.flush()  # as autoflush would before a query
    connection = session.connection()
    return connection, connection.connection.dbapi_connection


def _raise(connection: Connection, dbapi: Any, cursor: Any, sql: str, params: Any, exc: Exception) -> None:
    """Raise a driver error as SQLAlchemy does: the same classes, the connection invalidated if it was lost."""
    dialect = connection.dialect
    lost = dialect.is_disconnect(exc, dbapi, cursor)
    if lost:
        connection.invalidate(exc)
    raise DBAPIError.instance(sql, params, exc, dialect.loaded_dbapi.Error, connection_invalidated=lost,
                              dialect=dialect) from exc


def _send_pending(cursor: Any, pending: list[tuple[str, dict[str, Any]]]) -> None:
    while pending:
        sql, params = pending.pop(0)
        cursor.execute(sql, params)  # prepared as psycopg decides (prepare_threshold: none behind a pooler)


def read(session: Session, statement: Any, params: dict[str, Any]) -> list[Any]:
    """The rows of ``statement`` (named tuples), in one round trip with a ``BEGIN`` not yet sent and with the writes
    queued so far (PostgreSQL); ``session.execute(statement, params).all()`` elsewhere."""
    if not ENABLED or not is_postgresql(session):
        return session.execute(statement, params).all()
    from psycopg.rows import namedtuple_row

    connection, dbapi = _driver(session)
    compiled, sql, processors = _compiled(statement, connection.dialect)
    values = _driver_params(compiled, processors, params)
    pending = _queue(connection)
    before, cursor = dbapi.cursor(), dbapi.cursor(row_factory=namedtuple_row)
    try:
        with dbapi.pipeline():  # everything below is sent at once; its end waits for all the answers
            if dbapi.pgconn.transaction_status == psycopg.pq.TransactionStatus.IDLE:
                _begin(dbapi, before)
            _send_pending(before, pending)
            cursor.execute(sql, values)  # prepared as psycopg decides (prepare_threshold: none behind a pooler)
        rows = cursor.fetchall()
    except psycopg.Error as exc:
        _raise(connection, dbapi, cursor, sql, values, exc)
    finally:
        before.close()
        cursor.close()
    return rows


def _begin(dbapi: Any, cursor: Any) -> None:
    """Queue the transaction's ``BEGIN`` (as psycopg words it: isolation level, read only) in the pipeline.

    psycopg would send its own ``BEGIN`` before the first statement and wait for its answer (a pipeline sync of its
    own, one more round trip). Marked as autocommit for this one statement it sends none, and then finds the
    transaction open (libpq's transaction status) and goes on as if it had begun it: it commits and rolls back as
    usual. ``tests/settlement/test_round_trips.py`` counts the round trips on the wire, so a psycopg that changes
    this is noticed."""
    begin = dbapi._get_tx_start_command()
    dbapi._autocommit = True
    try:
        cursor.execute(begin)
    finally:
        dbapi._autocommit = False


def write_with_commit(session: Session, statement: Any, params: dict[str, Any]) -> None:
    """Write ``statement`` with the COMMIT, or before the transaction's next statement (PostgreSQL); now elsewhere.
    Its result is not read."""
    if not ENABLED or not is_postgresql(session):
        session.execute(statement, params)
        return
    connection, _ = _driver(session)
    compiled, sql, processors = _compiled(statement, connection.dialect)
    _queue(connection, create=True).append((sql, _driver_params(compiled, processors, params)))


def commit(session: Session) -> None:
    """Commit the session's transaction; the writes still queued go with the COMMIT, in one round trip."""
    if session.new or session.dirty or session.deleted:
        session.flush()
    if session.in_transaction():
        connection = session.connection()
        pending = _queue(connection)
        if pending:
            dbapi = connection.connection.dbapi_connection
            cursor = dbapi.cursor()
            try:
                with dbapi.pipeline():  # one round trip: the writes, the COMMIT, the sync
                    _send_pending(cursor, pending)
                    cursor.execute(b"COMMIT")
            except psycopg.Error as exc:
                pending.clear()
                _raise(connection, dbapi, cursor, "COMMIT", None, exc)
            finally:
                cursor.close()
    session.commit()  # the driver's transaction is over: SQLAlchemy's bookkeeping, nothing sent


def install(engine: Engine) -> None:
    """Send the queued writes before any other statement, and drop them with a rollback (PostgreSQL engines)."""

    @event.listens_for(engine, "before_cursor_execute")
    def _before(connection, cursor, statement, parameters, context, executemany):
        pending = _queue(connection)
        if pending:
            try:
                with cursor.connection.pipeline():
                    _send_pending(cursor, pending)
            except psycopg.Error as exc:
                pending.clear()
                _raise(connection, cursor.connection, cursor, "(queued writes)", None, exc)

    @event.listens_for(engine, "rollback")
    def _rollback(connection):
        if not connection.invalidated:  # an invalidated one has lost its queue with its driver connection
            connection.info.pop(_PENDING, None)

    @event.listens_for(engine, "reset")
    def _reset(dbapi_connection, record, reset_state):
        record.info.pop(_PENDING, None)
