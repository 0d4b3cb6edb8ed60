"""The periods batch jobs run for, and the order they must run in.

A month is credited (``2026-11``) into current-year funds; a year is rolled over (``2026``) into prior-years funds
(D-1). The year-end roll-over of year Y moves what is in current-year funds on the day it runs, so:

* a month is credited only once it has begun (today is in it or later): ``MONTH_NOT_REACHED``;
* a year is rolled over only once it has ended (today is in a later year): ``YEAR_NOT_ENDED``;
* a month of year Y is not credited once Y's roll-over has begun: that credit would land in the next year's
  current-year funds (``YEAR_CLOSED``);
* a month of a year after Y is not credited while months of Y were credited but Y is not rolled over, because
  the roll-over would then move the new credits too (``YEAR_END_PENDING``). Without any monthly credit in Y
  (a platform started in the new year), there is nothing the job could roll over wrongly, and crediting proceeds;
* Y is not rolled over while a month of Y is half credited (``CREDITING_UNFINISHED``: finish it first), nor once
  a month of a later year is credited (``LATER_YEAR_CREDITED``), unless Y's roll-over was already finished
  (running it again is then a no-op).

The runner checks these again inside every chunk's transaction, under its lock, so two jobs started at once
cannot slip past each other.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gongji.batch.models import BatchRun
from gongji.errors import GongjiError

CREDIT_MONTH = "credit_month"
YEAR_END = "year_end"
CLOSE_EXPIRED = "close_expired"

_MONTH = re.compile(r"(\d{4})-(\d{2})")
_YEAR = re.compile(r"\d{4}")
_YEARS = range(2000, 2100)


def parse_month(value: Any) -> str:
    """``2026-11`` as it is written, or BATCH_PERIOD_INVALID."""
    match = _MONTH.fullmatch(value) if isinstance(value, str) else None
    if match is None or int(match[1]) not in _YEARS or not 1 <= int(match[2]) <= 12:
        raise GongjiError("BATCH_PERIOD_INVALID", value=str(value)[:20], form="YYYY-MM", example="2026-11")
    return value


def parse_year(value: Any) -> int:
    """``2026`` (a string or an int), or BATCH_PERIOD_INVALID."""
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(text, str) or not _YEAR.fullmatch(text) or int(text) not in _YEARS:
        raise GongjiError("BATCH_PERIOD_INVALID", value=str(value)[:20], form="YYYY", example="2026")
    return int(text)


def _runs(session: Session) -> dict[tuple[str, str], BatchRun]:
    rows = session.execute(select(BatchRun).where(BatchRun.job.in_((CREDIT_MONTH, YEAR_END)))).scalars()
    return {(row.job, row.period): row for row in rows}


def check_month(session: Session, *, period: str, today: date) -> None:
    """May ``period`` be credited now? Raise the refusal that says why not."""
    year, month = int(period[:4]), int(period[5:])
    if (year, month) > (today.year, today.month):
        raise GongjiError("MONTH_NOT_REACHED", period=period, today=today.isoformat(),
                          from_on=date(year, month, 1).isoformat())
    runs = _runs(session)
    if (YEAR_END, str(year)) in runs:
        raise GongjiError("YEAR_CLOSED", period=period, year=year, next_year=year + 1)
    earlier = [p for (job, p) in runs if job == CREDIT_MONTH and p < f"{year:04d}-01"]
    if earlier:
        last = max(earlier)
        rolled = runs.get((YEAR_END, last[:4]))
        if rolled is None or rolled.finished_at is None:
            raise GongjiError("YEAR_END_PENDING", period=period, year=int(last[:4]), last_period=last)


def check_year(session: Session, *, year: int, today: date) -> None:
    """May ``year`` be rolled over now? Raise the refusal that says why not."""
    if today.year <= year:
        raise GongjiError("YEAR_NOT_ENDED", year=year, today=today.isoformat(), from_on=f"{year + 1:04d}-01-01")
    runs = _runs(session)
    this = runs.get((YEAR_END, str(year)))
    if this is not None and this.finished_at is not None:
        return  # done: running it again does nothing
    credits = sorted(p for (job, p) in runs if job == CREDIT_MONTH)
    unfinished = [p for p in credits if p.startswith(f"{year:04d}-") and runs[(CREDIT_MONTH, p)].finished_at is None]
    if unfinished:
        raise GongjiError("CREDITING_UNFINISHED", period=unfinished[0], year=year)
    later = [p for p in credits if p > f"{year:04d}-12"]
    if later:
        raise GongjiError("LATER_YEAR_CREDITED", period=later[0], year=year, next_year=year + 1)
