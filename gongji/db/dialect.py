"""What differs between the databases, asked in one place: services ask these, never ``dialect.name``.

* :func:`is_postgresql` – the session's database is PostgreSQL (else SQLite, which holds one write lock for the
  whole transaction from ``BEGIN IMMEDIATE``);
* :func:`for_update` – a query that locks its rows on PostgreSQL; on SQLite the transaction's lock already covers it;
* :func:`next_ids` – ids drawn from a table's sequence before its rows are written (PostgreSQL), so that rows that
  refer to each other can be written in one statement.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

POSTGRESQL = "postgresql"


def is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == POSTGRESQL


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
