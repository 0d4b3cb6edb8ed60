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


def today(clock: Clock) -> date:
    """The current date in China Standard Time."""
    return clock.now().astimezone(CST).date()

