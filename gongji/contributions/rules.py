"""Contributions decide status and pooled-fund benefits: pure rules over plain values (LC-1..LC-4, LC-6, WL-5).

Facts in: the months a person's contributions cover (:class:`Paid`), the region's :class:`ContributionPolicy`, a day.
Answers out: the status that day and since when (:func:`status_on`), and the pooled fund's share that day
(:func:`pooled_share`, with the end of a waiting period or of a reduced share). No session, no clock.

* A month counts once its payment is effective: a payment made by the end of the month it covers is effective
  from that month's first day; a later one is a back-payment (补缴, LC-3), effective ``backpay_lag_days`` after
  the day it was made.
* ``normal`` while the month of the day is covered; otherwise ``suspended`` from the first day of the month after
  the last covered month (LC-1, "从断缴次月起").
* A run of covered months that starts after a gap longer than ``waiting_after_break_months``, or whose first
  payment was made as an individual when the region sets ``individual_enrolment_waits`` (LC-4), opens a waiting
  period (待遇等待期) of ``waiting_months`` from its first month; a first payment as an individual outside the
  collection months waits at least ``outside_collection_wait_months``. After the wait, ``reduced_share_permille``
  of the pooled fund's share applies for ``reduced_share_months``. The personal account is never blocked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from gongji.policy.settings import ContributionPolicy
from gongji.terms import Status

FULL_SHARE = 1000


def month_index(month: str) -> int:
    """``'2026-09'`` → a number that grows by one a month."""
    return int(month[:4]) * 12 + int(month[5:7]) - 1


def month_text(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def first_day(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


def of_day(day: date) -> int:
    return day.year * 12 + day.month - 1


def last_day(index: int) -> date:
    return first_day(index + 1) - timedelta(days=1)


@dataclass(frozen=True)
class Paid:
    """One month's contribution as far as benefits go: the month it covers, when and by whom it was paid."""

    month: str  # YYYY-MM
    paid_on: date
    payer_kind: str = "employer"  # or "individual" (灵活就业, 以个人身份参保)

    @property
    def index(self) -> int:
        return month_index(self.month)

    @property
    def backpayment(self) -> bool:
        """LC-3: paid after the end of the month it covers (补缴)."""
        return self.paid_on > last_day(self.index)

    def effective_on(self, policy: ContributionPolicy) -> date:
        if self.backpayment:
            return self.paid_on + timedelta(days=policy.backpay_lag_days)
        return first_day(self.index)


@dataclass(frozen=True)
class Derived:
    """What the contributions say on a day: the status and since when, the last covered month (None: none)."""

    status: Status
    since: date
    last_paid_month: str | None


def covered(paid: Iterable[Paid], policy: ContributionPolicy, *, on: date) -> dict[int, Paid]:
    """The months whose payment is made and effective on ``on``, by month index."""
    months: dict[int, Paid] = {}
    for row in paid:
        if row.paid_on <= on and row.effective_on(policy) <= on:
            months[row.index] = row
    return months


def status_on(paid: Iterable[Paid], policy: ContributionPolicy, *, on: date) -> Derived | None:
    """LC-1: ``normal`` while the day's month is covered, ``suspended`` from the month after the last covered one.

    None when nothing is known (no contribution has been made by ``on``): then the recorded status stands.

    >>> from gongji.policy.settings import ContributionPolicy
    >>> p = ContributionPolicy()
    >>> status_on([Paid("2026-09", date(2026, 9, 10))], p, on=date(2026, 12, 1))
    Derived(status=<Status.SUSPENDED: 'suspended'>, since=datetime.date(2026, 10, 1), last_paid_month='2026-09')
    """
    paid = list(paid)
    if not any(row.paid_on <= on for row in paid):
        return None
    months = covered(paid, policy, on=on)
    today = of_day(on)
    if today in months:
        start = today
        while start - 1 in months:
            start -= 1
        return Derived(Status.NORMAL, first_day(start), month_text(max(months)))
    earlier = [m for m in months if m < today]
    if not earlier:  # paid only ahead, or nothing effective yet: not covered this month
        return Derived(Status.SUSPENDED, first_day(today), month_text(max(months)) if months else None)
    last = max(earlier)
    return Derived(Status.SUSPENDED, first_day(last + 1), month_text(max(months)))


@dataclass(frozen=True)
class Share:
    """The pooled fund's share on a day, in permille of what it would pay (1000: all of it)."""

    permille: int
    reason: str  # "normal", "suspended", "terminated", "waiting", "reduced", "unknown"
    until: date | None = None  # the first day on which this share no longer applies (waiting or reduced)

    @property
    def last_day(self) -> date | None:
        """The last day on which this share applies (None: no end)."""
        return self.until - timedelta(days=1) if self.until else None

    @property
    def waiting_until(self) -> date | None:
        """The last day of a waiting period, as people are told it."""
        return self.last_day if self.reason == "waiting" else None


def _run_wait(start: Paid, gap: int | None, policy: ContributionPolicy) -> int:
    """Months of waiting that a run of covered months starting with ``start`` opens (0: none); ``gap`` is the
    number of uncovered months before it (None: the first run)."""
    wait = 0
    after_break = (gap is not None and policy.waiting_after_break_months is not None
                   and gap > policy.waiting_after_break_months)
    individual = start.payer_kind == "individual"
    if after_break or (individual and policy.individual_enrolment_waits):
        wait = policy.waiting_months
    if (individual and policy.outside_collection_wait_months is not None
            and start.paid_on.month not in policy.collection_months):
        wait = max(wait, policy.outside_collection_wait_months)
    return wait


def pooled_share(paid: Iterable[Paid], policy: ContributionPolicy, *, on: date,
                 recorded: Status = Status.NORMAL) -> Share:
    """LC-2, LC-4: what part of its share the pooled fund pays on ``on``.

    ``recorded`` is the status staff or registration recorded: a terminated enrollment gets nothing; without any
    contribution the recorded status decides (suspended: nothing).
    """
    if recorded is Status.TERMINATED:
        return Share(0, "terminated")
    paid = list(paid)
    derived = status_on(paid, policy, on=on)
    if derived is None:
        return Share(FULL_SHARE if recorded is Status.NORMAL else 0,
                     "unknown" if recorded is Status.NORMAL else recorded.value)
    if derived.status is not Status.NORMAL:
        return Share(0, derived.status.value)
    months = covered(paid, policy, on=on)
    today = of_day(on)
    # the runs of covered months up to today, and the waiting each opens; the latest run that waits decides
    starts: list[tuple[int, int | None]] = []
    previous: int | None = None
    for index in sorted(m for m in months if m <= today):
        if previous is None or index > previous + 1:
            starts.append((index, None if previous is None else index - previous - 1))
        previous = index
    for index, gap in reversed(starts):
        wait = _run_wait(months[index], gap, policy)
        if not wait:
            continue
        wait_end = first_day(index + wait)
        if on < wait_end:
            return Share(0, "waiting", wait_end)
        if policy.reduced_share_permille is not None and policy.reduced_share_months:
            reduced_end = first_day(index + wait + policy.reduced_share_months)
            if on < reduced_end:
                return Share(policy.reduced_share_permille, "reduced", reduced_end)
        break
    return Share(FULL_SHARE, "normal")


def combined_status(*, recorded: Status, derived: Derived | None) -> Status:
    """The status the rules read (LC-1): terminated if recorded so (death, leaving the scheme); else the one the
    contributions say; with no contribution known, the recorded one."""
    if recorded is Status.TERMINATED or derived is None:
        return recorded
    return derived.status


def monthly_credit_fen(*, base_fen: int | None, retired: bool, permille: int, retiree_fen: int) -> int:
    """LC-6: an in-service employee's month credits base × permille / 1000 (down to the fen); a retiree the
    region's fixed sum. An unpaid month (no base) credits nothing."""
    if retired:
        return retiree_fen
    if base_fen is None:
        return 0
    return base_fen * permille // 1000
