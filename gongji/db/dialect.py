"""What differs between the databases, asked in one place: services ask these, never ``dialect.name``.

* :func:`is_postgresql` – the session's database is PostgreSQL (else SQLite, which holds one write lock for the
  whole transaction from ``BEGIN IMMEDIATE``);
* :func:`for_update` – a query that locks its rows on PostgreSQL; on SQLite the transaction's lock already covers it;
* :func:`next_ids` – ids drawn from a table's sequence before its rows are written (PostgreSQL), so that rows that
  refer to each other can be written in one statement;
* :func:`name` – the database's name, for statements built once per database (``{"postgresql": ..., "sqlite": ...}``);
* :func:`xact_lock` – an advisory lock held to the end of the transaction (PostgreSQL; SQLite's writer holds all);
* :func:`asynchronous_commit` – this transaction's COMMIT does not wait for the disk (PostgreSQL);
* :func:`repeatable_read` – a read-only transaction sees one snapshot throughout (PostgreSQL; SQLite always does);
* :func:`day_after` – a date column's next day, in SQL.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, text
from sqlalchemy.orm import Session

POSTGRESQL = "postgresql"
SQLITE = "sqlite"


def name(where: Any) -> str:
    """``postgresql`` or ``sqlite``: the database of a session, or of a :class:`gongji.db.Database`."""
    given = getattr(where, "dialect", None)
    return given if isinstance(given, str) else where.get_bind().dialect.name


def is_postgresql(where: Any) -> bool:
    """Whether the session's (or the :class:`gongji.db.Database`'s) database is PostgreSQL."""
    return name(where) == POSTGRESQL


def is_sqlite(where: Any) -> bool:
    """Whether the session's (or the :class:`gongji.db.Database`'s) database is SQLite."""
    return name(where) == SQLITE


_XACT_LOCK = text("SELECT pg_advisory_xact_lock(:key)")
_XACT_LOCK_TEXT = text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))")


def xact_lock(session: Session, key: int | str) -> None:
    """Wait for, and hold to the end of the transaction, the advisory lock ``key`` (PostgreSQL): a signed 64-bit id,
    or a string that the server hashes to one. On SQLite the writing transaction already holds the database."""
    if is_postgresql(session):
        session.execute(_XACT_LOCK if isinstance(key, int) else _XACT_LOCK_TEXT, {"key": key})


_ASYNCHRONOUS_COMMIT = text("SET LOCAL synchronous_commit TO OFF")


def asynchronous_commit(session: Session) -> None:
    """This transaction's COMMIT returns before its record is on disk (PostgreSQL): for writes whose loss in a crash
    costs nothing (a nonce, say, could at worst be replayed within its time window). Nothing on SQLite."""
    if is_postgresql(session):
        session.execute(_ASYNCHRONOUS_COMMIT)


def repeatable_read(session: Session) -> None:
    """Make this read-only transaction one REPEATABLE READ snapshot (PostgreSQL; SQLite's reader sees one snapshot
    anyway). Call it before any other statement."""
    if is_postgresql(session):
        session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"))


def day_after(session: Session, column: Any) -> Any:
    """The SQL for the day after the date ``column``."""
    return column + 1 if is_postgresql(session) else func.date(column, "+1 day")


def for_update(session: Session, query: Any, **options: Any) -> Any:
    """``query`` with ``FOR UPDATE`` (``options`` as :meth:`Select.with_for_update` takes them) on PostgreSQL."""
    return query.with_for_update(**options) if is_postgresql(session) else query


def next_ids(session: Session, table: str, n: int = 1) -> list[int]:
    """``n`` ids from the sequence of ``table``'s ``id`` column (PostgreSQL only: SQLite writes rows one by one)."""
    if not is_postgresql(session):
        raise NotImplementedError("ids are drawn ahead only on PostgreSQL")
    if not table.replace("_", "").isalpha():
        raise ValueError(f"not a table name: {table!r}")
    return list(session.execute(text(
        f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, :n)"), {"n": n}).scalars())
