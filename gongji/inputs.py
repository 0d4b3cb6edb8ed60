"""Checks of plain input values shared by the services: every bad value becomes a GongjiError, never a crash."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from gongji.errors import GongjiError

MAX_ID = 2**63 - 1


def check_date(value: Any, *, field: str) -> date:
    """A calendar date: a ``date`` (not a ``datetime``) or ISO text ``YYYY-MM-DD``."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and len(value) == 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise GongjiError("INVALID_FIELD", field=field, reason_zh="日期格式应为 YYYY-MM-DD",
                      reason_en="a date is written YYYY-MM-DD")


def check_optional_date(value: Any, *, field: str) -> date | None:
    return None if value is None else check_date(value, field=field)


def check_id(value: Any, *, field: str) -> int:
    """A record number: a whole number from 1 (not a bool, not text)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        raise GongjiError("INVALID_FIELD", field=field, reason_zh="编号须为正整数", reason_en="a number is a positive integer")
    return value


def check_text(value: Any, *, field: str, max_length: int, required: bool = False) -> str | None:
    """Optional free text (a note, a reason) of at most ``max_length`` printable characters."""
    if value is None or value == "":
        if required:
            raise GongjiError("INVALID_FIELD", field=field, reason_zh="此项必填", reason_en="this field is required")
        return None
    if not isinstance(value, str) or len(value) > max_length or not value.isprintable():
        raise GongjiError("INVALID_FIELD", field=field, reason_zh=f"须为最多{max_length}字的文字",
                          reason_en=f"it must be text of at most {max_length} characters")
    return value


def check_sequence(value: Any, *, field: str) -> Sequence[Any]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise GongjiError("INVALID_FIELD", field=field, reason_zh="须为列表", reason_en="it must be a list")
    return value


class DuplicateKey(ValueError):
    """A JSON object names the same key twice."""

    def __init__(self, key: str) -> None:
        super().__init__(f"duplicate key {key!r}")
        self.key = key


def refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook`` for :func:`json.loads`: an object that names a key twice raises :class:`DuplicateKey`.

    Python would keep the last value silently, while a proxy, a signature check or a log in front of Gongji
    may have read the first one: the two sides would disagree about what was asked.
    """
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise DuplicateKey(key)
        seen[key] = value
    return seen

