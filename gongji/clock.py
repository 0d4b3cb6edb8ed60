"""Time. Dates in Gongji are China Standard Time dates; instants are timezone-aware UTC.

The clock is passed in, never read from the system inside rules or services, so tests can move it
(expiry of bindings, the 30-day re-bind wait, the wallet's night hours).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Protocol

#: China Standard Time. China keeps no daylight saving time, so a fixed offset is exact.
CST = timezone(timedelta(hours=8), "CST")


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until told to move. For tests, the demo and replays."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self._at = at

    @classmethod
    def on(cls, day: date, hour: int = 10) -> FixedClock:
        """A clock at ``hour`` o'clock China Standard Time on ``day``."""
        return cls(datetime(day.year, day.month, day.day, hour, tzinfo=CST))

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = at

    def advance(self, **delta: float) -> None:
        self._at = self._at + timedelta(**delta)


class ShiftedClock:
    """The system clock moved to start at a chosen instant, then running at real speed.

    For demonstrations and multi-process tests of a server (``GONGJI_CLOCK_START``): for instance a run that must
    not fall in the wallet's night hours whenever it happens. Never for production.
    """

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ShiftedClock needs a timezone-aware datetime")
        self.offset = start - datetime.now(UTC)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


def clock_from_env() -> Clock:
    """``GONGJI_CLOCK_START`` (an ISO 8601 instant with its offset): a :class:`ShiftedClock`; else the system's."""
    import os

    start = os.environ.get("GONGJI_CLOCK_START")
    if not start:
        return SystemClock()
    at = datetime.fromisoformat(start)
    if at.tzinfo is None:
        raise ValueError(f"GONGJI_CLOCK_START={start!r} needs a time zone offset, e.g. 2025-06-02T10:00:00+08:00")
    return ShiftedClock(at)


def today(clock: Clock) -> date:
    """The current date in China Standard Time."""
    return clock.now().astimezone(CST).date()

