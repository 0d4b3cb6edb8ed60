"""Rejected rows: what was wrong with a row, in Chinese and English, and the report file staff read."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from gongji.errors import GongjiError

REPORT_COLUMNS = ("行号 row", "字段 field", "代码 code", "原因", "reason")


@dataclass(frozen=True)
class Rejection:
    row: int
    field: str | None
    code: str
    zh: str
    en: str

    @classmethod
    def of(cls, row: int, error: GongjiError, field: str | None = None) -> Rejection:
        """A row refused by ``error``; the field is the one named, else the one :func:`about` noted, else the
        error's own ``field`` param."""
        named = field or getattr(error, "import_field", None) or error.params.get("field")
        return cls(row, str(named)[:60] if named else None, error.code, error.message_zh[:500], error.message_en[:500])

    @classmethod
    def unreadable(cls, row: int, zh: str, en: str) -> Rejection:
        return cls.of(row, GongjiError("IMPORT_ROW_UNREADABLE", row=row, reason_zh=zh, reason_en=en))


def about(field: str, error: GongjiError) -> GongjiError:
    """Note which column of the row ``error`` is about (not a param of its message)."""
    error.import_field = field
    return error


def write_report(path: Path, rejections: Iterable[Rejection]) -> int:
    """Write the rejections as CSV with a byte-order mark (so that spreadsheet programs read the Chinese); return
    how many were written."""
    count = 0
    with Path(path).open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(REPORT_COLUMNS)
        for r in rejections:
            writer.writerow((r.row, r.field or "", r.code, r.zh, r.en))
            count += 1
    return count
