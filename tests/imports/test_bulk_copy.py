"""Rows written in bulk (``gongji import``): the COPY text rendered in one pass says exactly what the rows say, also
text with tabs, line ends and backslashes, NULLs, booleans, dates and instants; ids reserved in one round trip.
On both databases (SQLite writes the same rows with executemany)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from sqlalchemy import select

from gongji.imports.bulk import copy_text, insert_rows, reserve_ids
from gongji.imports.models import ImportRejection, ImportRun

CST = timezone(timedelta(hours=8))


def test_copy_text_escapes_what_copy_reads_specially():
    rows = [(1, "a\tb", None, True, False), (2, "c\\d\ne\rf", "", date(2025, 6, 2),
                                            datetime(2025, 6, 2, 10, 0, tzinfo=CST))]
    assert copy_text(rows) == ("1\ta\\tb\t\\N\tt\tf\n"
                               "2\tc\\\\d\\ne\\rf\t\t2025-06-02\t2025-06-02 10:00:00+08:00\n")


def test_rows_written_in_bulk_read_back_the_same(db):
    """The same rows, written by insert_rows, read back value for value (PostgreSQL: COPY; SQLite: executemany)."""
    at = datetime(2025, 6, 2, 2, 0, tzinfo=UTC)

    def work(s):
        [run_id] = reserve_ids(s, "import_runs", 1)
        insert_rows(s, "import_runs", ("id", "kind", "file_name", "file_sha256", "file_bytes", "rows_read",
                                       "rows_loaded", "rows_rejected", "chunks", "operator_kind", "operator_id",
                                       "started_at", "updated_at", "finished_at"),
                    [(run_id, "people", "人员\t名单\\2025.csv", "0" * 64, 10, 3, 1, 2, 1, "system", "test", at,
                      at.astimezone(CST), None)])
        ids = reserve_ids(s, "import_rejections", 2)
        assert len(set(ids)) == 2
        insert_rows(s, "import_rejections", ("id", "run_id", "row_number", "field", "code", "message_zh",
                                             "message_en"),
                    [(ids[0], run_id, 2, None, "X", "第一行\n第二行", "tab\there \\ back"),
                     (ids[1], run_id, 3, "name", "Y", "", "plain")])
        return run_id

    run_id = db.run(work)
    run = db.read(lambda s: s.get(ImportRun, run_id))
    assert (run.file_name, run.started_at, run.updated_at, run.finished_at) == ("人员\t名单\\2025.csv", at, at, None)
    got = db.read(lambda s: [(r.row_number, r.field, r.message_zh, r.message_en) for r in s.execute(
        select(ImportRejection).where(ImportRejection.run_id == run_id).order_by(ImportRejection.row_number))
        .scalars()])
    assert got == [(2, None, "第一行\n第二行", "tab\there \\ back"), (3, "name", "", "plain")]
