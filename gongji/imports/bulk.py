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
    if is_postgresql(session):  # one row back (an array), not one per id
        return list(session.execute(text(
            f"SELECT array_agg(nextval(pg_get_serial_sequence('{table}', 'id'))) FROM generate_series(1, :n)"),
            {"n": count}).scalar_one())
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


_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_value(value) -> str:
    """One value in COPY's text format: NULL as ``\\N``, booleans ``t``/``f``, dates and instants in ISO 8601 (with
    their offset), text with backslash, tab and line ends escaped."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
            return value.translate(_ESCAPES)
        return value
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).translate(_ESCAPES)


def copy_text(rows: Sequence[tuple]) -> str:
    """The rows as one block of COPY text (a line each): rendered here in one pass, which costs less per row than
    handing psycopg the rows one by one."""
    value = _copy_value
    return "".join("\t".join(map(value, row)) + "\n" for row in rows)


def insert_rows(session: Session, table: str, columns: Sequence[str], rows: Sequence[tuple]) -> None:
    """Insert ``rows`` into ``table`` in the session's transaction (flushing the session's own changes first)."""
    if not rows:
        return
    session.flush()
    driver = session.connection().connection.driver_connection
    names = ", ".join(f'"{c}"' for c in columns)
    if is_postgresql(session):
        with driver.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            copy.write(copy_text(rows))
    else:
        marks = ", ".join("?" for _ in columns)
        driver.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})",
                           [tuple(map(_sqlite_value, row)) for row in rows])
