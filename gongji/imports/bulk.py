"""Writing many rows at once in the caller's transaction: ``COPY`` on PostgreSQL, ``executemany`` on SQLite.

The rows are plain tuples of Python values in the order of ``columns``; ids come from :func:`reserve_ids`, so that
rows of several tables can refer to each other before any is written. Constraints and triggers hold as for any
insert: a balanced-entry check, a unique ID number, a foreign key refuse the whole chunk, which is why loaders check
their rows first (:mod:`gongji.imports.runner`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

from sqlalchemy import String, any_, literal, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from gongji.db.dialect import is_postgresql


def one_of(session: Session, column, values):
    """``column IN (values)``; on PostgreSQL ``column = ANY(:array)``: one parameter however many values (a chunk
    asks for thousands, which as separate parameters cost more to send than to look up)."""
    values = sorted(set(values))
    if is_postgresql(session):
        element = String() if isinstance(column.type, String) else column.type
        return column == any_(literal(values, ARRAY(element)))
    return column.in_(values)


def reserve_ids(session: Session, table: str, count: int) -> list[int]:
    """``count`` new ids for ``table``: from its sequence on PostgreSQL; above its largest id on SQLite (whose
    writing transaction holds the database's lock, so nobody else takes them)."""
    if count <= 0:
        return []
    if is_postgresql(session):
        rows = session.execute(
            text(f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, :n)"), {"n": count})
        return [row[0] for row in rows]
    first = session.execute(text(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")).scalar_one()
    return list(range(first, first + count))


def _sqlite_value(value):
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def insert_rows(session: Session, table: str, columns: Sequence[str], rows: Sequence[tuple]) -> None:
    """Insert ``rows`` into ``table`` in the session's transaction (flushing the session's own changes first)."""
    if not rows:
        return
    session.flush()
    driver = session.connection().connection.driver_connection
    names = ", ".join(f'"{c}"' for c in columns)
    if is_postgresql(session):
        with driver.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        marks = ", ".join("?" for _ in columns)
        driver.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})",
                           [tuple(map(_sqlite_value, row)) for row in rows])
