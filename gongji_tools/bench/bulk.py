"""Rows written in bulk for the benchmark loaders, in one transaction: ``COPY`` on PostgreSQL, ``executemany`` on
SQLite (:class:`Writer`), with values rendered once as each database takes them (:class:`Format`)."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from functools import cache

from gongji.db import Database


class Writer:
    """Bulk writes in one transaction: COPY on PostgreSQL, executemany on SQLite."""

    def __init__(self, db: Database) -> None:
        self.dialect = db.engine.dialect.name
        self.raw = db.engine.raw_connection()
        self.conn = self.raw.driver_connection
        self.queue: queue.Queue = queue.Queue(maxsize=8)
        self.thread: threading.Thread | None = None
        self.failure: BaseException | None = None
        if self.dialect == "sqlite":
            self.conn.execute("BEGIN IMMEDIATE")
        else:
            try:  # a superuser may skip the per-row foreign-key checks of COPY: every id written is one the loader made
                with self.conn.cursor() as cursor:
                    cursor.execute("SET LOCAL session_replication_role = replica")
            except Exception:  # not allowed: the keys are checked row by row, which is slower
                self.conn.rollback()

    def write(self, table: str, columns: Sequence[str], rows: Iterable[tuple]) -> None:
        names = ", ".join(f'"{c}"' for c in columns)
        if self.dialect == "postgresql":
            with self.conn.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                copy.write("".join(map(copy_line, rows)).encode())
        else:
            marks = ", ".join("?" for _ in columns)
            self.conn.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)

    def write_later(self, table: str, columns: Sequence[str], rows: list[tuple]) -> None:
        """On PostgreSQL, COPY in a thread of its own while the next batch is made (the server works meanwhile)."""
        if self.dialect != "postgresql":
            self.write(table, columns, rows)
            return
        if self.thread is None:
            self.thread = threading.Thread(target=self._drain, name="bench-copy", daemon=True)
            self.thread.start()
        self._raise_failure()
        self.queue.put((table, columns, rows))

    def _drain(self) -> None:
        while (item := self.queue.get()) is not None:
            if self.failure is None:
                try:
                    self.write(*item)
                except BaseException as error:  # noqa: BLE001 - raised in the loading thread
                    self.failure = error

    def _raise_failure(self) -> None:
        if self.failure is not None:
            raise self.failure

    def wait(self) -> None:
        if self.thread is not None:
            self.queue.put(None)
            self.thread.join()
            self.thread = None
        self._raise_failure()

    def commit(self) -> None:
        self.wait()
        self.conn.commit() if self.dialect == "postgresql" else self.conn.execute("COMMIT")
        self.raw.close()

    def rollback(self) -> None:
        if self.thread is not None:
            self.queue.put(None)
            self.thread.join()
        try:
            self.conn.rollback() if self.dialect == "postgresql" else self.conn.execute("ROLLBACK")
        finally:
            self.raw.close()


class Format:
    """Values written as each database takes them, rendered once: on PostgreSQL COPY's text format (``\\N``, t/f,
    ISO instants with their zone); on SQLite what SQLAlchemy stores (None, 1/0, naive UTC instants as text)."""

    def __init__(self, dialect: str, now: datetime) -> None:
        if dialect == "postgresql":
            self.null, self.true, self.false, self.now = "\\N", "t", "f", now.isoformat()
        else:
            self.null, self.true, self.false = None, 1, 0
            self.now = now.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")

    def bool(self, value: bool):
        return self.true if value else self.false

    @staticmethod
    @cache
    def day(value: date) -> str:
        return value.isoformat()


def copy_line(row: tuple) -> str:
    """One row in COPY's text format: values are rendered already; ids, amounts, codes and names carry no tabs,
    newlines or backslashes."""
    return "\t".join(map(str, row)) + "\n"
