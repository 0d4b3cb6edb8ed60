"""Statements (对账单): one person's month or year, for either side of a binding, from the records service.

A statement holds the person's own account changes (with his balance after each: his own), his own bills, what his
account paid for relatives, and what relatives paid for him. A relative's statement names his payer and what was
paid, never the payer's balance (PP-2): nothing of another person's account is read here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from gongji.errors import GongjiError
from gongji.people import service as people
from gongji.people.ids import mask
from gongji.records import service as records


@dataclass(frozen=True)
class Period:
    """A calendar month (``2026-11``) or year (``2026``), China time."""

    label: str
    first_day: date
    last_day: date


def parse_period(value: Any, *, today: date) -> Period:
    """``2026`` or ``2026-11``, not after the month of ``today``; None: this month."""
    text = today.strftime("%Y-%m") if value in (None, "") else str(value).strip()
    match = re.fullmatch(r"(\d{4})(?:-(\d{2}))?", text)
    if match is None:
        raise GongjiError("STATEMENT_PERIOD_INVALID")
    year, month = int(match[1]), int(match[2]) if match[2] else None
    in_future = (year, month or 1) > (today.year, today.month)
    if year < 2000 or (month is not None and not 1 <= month <= 12) or in_future:
        raise GongjiError("STATEMENT_PERIOD_INVALID")
    if month is None:
        return Period(label=f"{year}", first_day=date(year, 1, 1), last_day=date(year, 12, 31))
    last = date(year + month // 12, month % 12 + 1, 1).toordinal() - 1
    return Period(label=f"{year}-{month:02d}", first_day=date(year, month, 1), last_day=date.fromordinal(last))


@dataclass(frozen=True)
class Statement:
    name: str
    id_number: str  # masked: a statement is printed and carried
    period: Period
    account_changes: list[records.AccountChange]
    consumption: list[records.Consumption]
    paid_by_me: list[records.AidPayment]
    paid_for_me: list[records.AidPayment]

    @property
    def paid_by_me_fen(self) -> int:
        return sum(p.amount_fen - p.refunded_fen for p in self.paid_by_me)

    @property
    def paid_for_me_fen(self) -> int:
        return sum(p.amount_fen - p.refunded_fen for p in self.paid_for_me)


def _all(read, **kwargs) -> list:
    """Every row of a records listing, page by page, oldest first."""
    rows, offset = [], 0
    while True:
        page = read(limit=records.MAX_LIMIT, offset=offset, **kwargs)
        rows.extend(page.items)
        offset += len(page.items)
        if not page.items or offset >= page.total:
            return rows[::-1]


def statement(session: Session, *, person_id: int, period: Period) -> Statement:
    person = people.get(session, person_id)
    span = {"person_id": person.id, "from_on": period.first_day, "to_on": period.last_day}
    return Statement(
        name=person.name, id_number=mask(person.id_number), period=period,
        account_changes=_all(lambda **k: records.account_changes(session, **k), **span),
        consumption=_all(lambda **k: records.consumption_as_patient(session, **k), **span),
        paid_by_me=_all(lambda **k: records.payments_as_payer(session, **k), **span),
        paid_for_me=_all(lambda **k: records.paid_for_me(session, **k), **span),
    )
