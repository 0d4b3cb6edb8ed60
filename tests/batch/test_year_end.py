"""The year-end roll-over (gongji/batch/year_end.py): current-year funds move into the same person's prior-years
funds (D-1) in balanced entries (N-3), once per year, and only after the year has ended.

Rules: D-1, N-3, and the order against monthly crediting (gongji/batch/periods.py). On both databases.
"""

from __future__ import annotations

import pytest

from gongji.batch.crediting import credit_month
from gongji.batch.year_end import year_end
from gongji.clock import FixedClock
from tests.batch.conftest import (
    Crash,
    account_id,
    chunks,
    count_postings,
    crash_after,
    current,
    employee,
    entries,
    ledger_ok,
    postings_of,
    prior,
)
from tests.factories import refused


@pytest.fixture
def accounts(world):
    """Employees with money in both funds, in one fund only, or none; and someone suspended."""
    return [
        employee(world, "张建国", current_fen=30_000, prior_fen=100_000),
        employee(world, "李秀兰", current_fen=1, sex="F"),
        employee(world, "陈志强", city="shenzhen", prior_fen=50_000),
        employee(world, "林美玲", city="hangzhou", sex="F"),
        employee(world, "周强", current_fen=7_700, status="suspended"),
        world.person("孙丽", scheme="resident", sex="F"),
    ]


@pytest.fixture
def new_year(clock):
    clock.set(FixedClock.on(clock.now().date().replace(year=2026, month=1, day=2)).now())


def test_d_1_moves_exactly_the_current_year_balances(world, accounts, new_year):
    """D-1: each current-year balance moves whole into the same person's prior-years funds; each person's total
    stays the same; whoever has nothing in current-year funds is left alone, whatever the enrollment's status."""
    before = [(current(world, p), prior(world, p)) for p in accounts]
    summary = year_end(world.db, world.env, 2025, chunk_size=2)
    after = [(current(world, p), prior(world, p)) for p in accounts]
    assert after == [(0, c + r) for c, r in before]
    assert after[:5] == [(0, 130_000), (0, 1), (0, 50_000), (0, 0), (0, 7_700)]
    assert summary.rows == summary.rows_now == 3 and summary.amount_fen == 30_000 + 1 + 7_700
    assert summary.detail["regions"] == {"230100": {"people": 3, "amount_fen": 37_701}}
    assert summary.finished
    ledger_ok(world)


def test_n_3_two_postings_per_person_in_one_balanced_entry_per_chunk(world, accounts, new_year):
    """N-3: per chunk one entry of kind year_end; per person minus the balance on current-year (after: 0) and
    plus it on prior-years (after: the new prior-years balance); no system account takes part."""
    year_end(world.db, world.env, 2025, chunk_size=2)
    rolled = entries(world, "year_end")
    assert [e.memo for e in rolled] == ["year-end roll-over 2025"] * 2  # ids 1-2 and 5-6; nobody in 3-4
    zhang, li = accounts[0], accounts[1]
    assert postings_of(world, rolled[0].id) == sorted([
        (account_id(world, zhang), -30_000, 0), (account_id(world, zhang, "prior_years"), 30_000, 130_000),
        (account_id(world, li), -1, 0), (account_id(world, li, "prior_years"), 1, 1),
    ])
    assert len(postings_of(world, rolled[1].id)) == 2
    ledger_ok(world)


def test_the_roll_over_runs_once_and_resumes_after_a_crash(world, accounts, new_year):
    """D-1: a roll-over stopped after chunk 1 keeps it; the next run does the rest; a third run moves nothing."""
    with pytest.raises(Crash):
        year_end(world.db, world.env, 2025, chunk_size=2, workers=1, progress=crash_after(1))
    assert chunks(world, "year_end", "2025") == [1]
    assert [current(world, p) for p in accounts[:5]] == [0, 0, 0, 0, 7_700]
    ledger_ok(world)
    summary = year_end(world.db, world.env, 2025, chunk_size=2, workers=1)
    assert (summary.chunks_done_earlier, summary.chunks_done_now, summary.rows) == (1, 2, 3)
    postings = count_postings(world)
    again = year_end(world.db, world.env, 2025)
    assert (again.chunks_done_now, again.rows_now) == (0, 0)
    assert count_postings(world) == postings
    assert [(current(world, p), prior(world, p)) for p in accounts[:5]] == [
        (0, 130_000), (0, 1), (0, 50_000), (0, 0), (0, 7_700)]
    ledger_ok(world)


def test_a_year_that_has_not_ended_is_refused_and_changes_nothing(world, accounts):
    """On 2 June 2025 the year 2025 is not over: refused, with the day it can run; nothing moves."""
    error = refused(world, lambda: year_end(world.db, world.env, 2025), "YEAR_NOT_ENDED")
    assert error.params == {"year": 2025, "today": "2025-06-02", "from_on": "2026-01-01"}
    assert "2026-01-01" in error.message_zh and "gongji year-end 2025" in error.message_en
    refused(world, lambda: year_end(world.db, world.env, 2030), "YEAR_NOT_ENDED")
    assert year_end(world.db, world.env, 2024).rows == 3  # 2024 has ended: what is in current-year funds moves


@pytest.mark.parametrize("year", ["25", "20250", "year", "2025-12", "", True, 1999])
def test_a_badly_written_year_is_refused(world, accounts, new_year, year):
    error = refused(world, lambda: year_end(world.db, world.env, year), "BATCH_PERIOD_INVALID")
    assert "YYYY" in error.message_en


def test_not_while_a_month_of_the_year_is_half_credited(world, clock, accounts):
    """D-1: a roll-over in the middle of a month's credit would split that month between the years: finish the
    month first (CREDITING_UNFINISHED); then the roll-over runs."""
    more = [employee(world, f"职工{i}") for i in range(4)]
    clock.set(FixedClock.on(clock.now().date().replace(month=12, day=1)).now())
    with pytest.raises(Crash):
        credit_month(world.db, world.env, "2025-12", chunk_size=2, workers=1, progress=crash_after(1))
    clock.set(FixedClock.on(clock.now().date().replace(year=2026, month=1, day=2)).now())
    error = refused(world, lambda: year_end(world.db, world.env, 2025), "CREDITING_UNFINISHED")
    assert error.params == {"period": "2025-12", "year": 2025}
    assert "gongji credit-month 2025-12" in error.message_zh
    credit_month(world.db, world.env, "2025-12")
    assert year_end(world.db, world.env, 2025).finished
    assert all(current(world, p) == 0 for p in more)
    ledger_ok(world)


def test_not_once_a_month_of_the_next_year_is_credited(world, clock, accounts):
    """D-1: rolling 2025 over after January 2026 was credited would move January's credit too: refused."""
    clock.set(FixedClock.on(clock.now().date().replace(year=2026, month=1, day=20)).now())
    credit_month(world.db, world.env, "2026-01")  # no month of 2025 was credited, so it may go first
    january = [current(world, p) for p in accounts[:5]]
    error = refused(world, lambda: year_end(world.db, world.env, 2025), "LATER_YEAR_CREDITED")
    assert error.params == {"period": "2026-01", "year": 2025, "next_year": 2026}
    assert [current(world, p) for p in accounts[:5]] == january


def test_a_month_of_the_next_year_after_the_roll_over(world, clock, accounts):
    """D-1: after the roll-over of 2025, January 2026 credits into the now empty current-year funds."""
    credit_month(world.db, world.env, "2025-05")
    clock.set(FixedClock.on(clock.now().date().replace(year=2026, month=1, day=2)).now())
    year_end(world.db, world.env, 2025)
    credit_month(world.db, world.env, "2026-01")
    assert current(world, accounts[0]) == 16_000
    assert prior(world, accounts[0]) == 100_000 + 30_000 + 16_000
    ledger_ok(world)
