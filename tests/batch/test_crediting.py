"""Monthly crediting (gongji/batch/crediting.py): every employee's current-year funds (D-1) receive the month's
credit by the region's rules, from the region's credits account, in balanced entries (N-3), once per month.

Rules: N-1 (only employees have an account), N-3, D-1, HN-2 and WL-5 (suspended enrollments), plus the batch
jobs' own order rules (gongji/batch/periods.py). On both databases, with small chunks so that several run.
"""

from __future__ import annotations

import dataclasses
import threading

import pytest
from sqlalchemy import select

from gongji.batch import runner
from gongji.batch.crediting import credit_month
from gongji.env import Env
from gongji.errors import GongjiError
from gongji.ledger import service as ledger
from gongji.ledger.models import Posting
from gongji.notifications.models import Notification
from gongji.policy import PolicyBook
from tests.batch.conftest import (
    Crash,
    account_id,
    chunk_events,
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

PERIOD = "2025-05"  # the tests live on 2 June 2025


def due(world, city: str, base_fen: int) -> int:
    """What an in-service employee of ``city`` is due a month: the region's permille of the base, floored."""
    from tests.factories import CITY

    return base_fen * world.env.policy(CITY[city]).monthly_credit_permille // 1000


def retiree_due(world, city: str) -> int:
    from tests.factories import CITY

    return world.env.policy(CITY[city]).retiree_monthly_credit_fen


@pytest.fixture
def crowd(world):
    """In-service employees and retirees in four regions, and people who get nothing."""
    return {
        "harbin": employee(world, "张建国", city="harbin", base_fen=800_000, current_fen=1_000),
        "harbin_retiree": employee(world, "李秀兰", city="harbin", retired=True, sex="F", prior_fen=5_000),
        "shenzhen": employee(world, "陈志强", city="shenzhen", base_fen=1_234_567),
        "shenzhen_retiree": employee(world, "林美玲", city="shenzhen", retired=True, sex="F"),
        "hangzhou": employee(world, "王伟", city="hangzhou", base_fen=456_789),
        "beijing_retiree": employee(world, "赵德明", city="beijing", retired=True),
        "suspended": employee(world, "周强", city="harbin", status="suspended"),
        "terminated": employee(world, "吴敏", city="zhengzhou", status="terminated", sex="F"),
        "no_base": employee(world, "郑凯", city="zhengzhou", base_fen=None),
        "resident": world.person("孙丽", city="harbin", scheme="resident", sex="F"),
    }


def test_amounts_follow_each_regions_rule(world, crowd):
    """D-1: in-service employees get the region's permille of their base (floored to the fen), retirees the
    region's fixed sum; suspended, terminated (HN-2) and residents (N-1) get nothing, nor does a base of none."""
    summary = credit_month(world.db, world.env, PERIOD, chunk_size=3)
    expected = {
        "harbin": 1_000 + due(world, "harbin", 800_000),
        "harbin_retiree": retiree_due(world, "harbin"),
        "shenzhen": due(world, "shenzhen", 1_234_567),
        "shenzhen_retiree": retiree_due(world, "shenzhen"),
        "hangzhou": due(world, "hangzhou", 456_789),
        "beijing_retiree": retiree_due(world, "beijing"),
        "suspended": 0, "terminated": 0, "no_base": 0, "resident": 0,
    }
    assert {key: current(world, person) for key, person in crowd.items()} == expected
    assert due(world, "shenzhen", 1_234_567) == 24_691  # 2% of 12,345.67 yuan is 246.9134: floored to 246.91
    assert prior(world, crowd["harbin_retiree"]) == 5_000  # prior-years funds are not touched
    assert world.balances(crowd["resident"]) is None
    assert summary.rows == summary.rows_now == 6
    assert summary.amount_fen == sum(expected.values()) - 1_000
    assert summary.detail["skipped"] == {"suspended": 1, "terminated": 1, "no_amount": 1}
    assert summary.detail["regions"]["230100"] == {
        "people": 2, "amount_fen": due(world, "harbin", 800_000) + retiree_due(world, "harbin")}
    assert summary.finished and summary.chunks == summary.chunks_done_now == 3  # employees are ids 1 to 9
    ledger_ok(world)


def test_a_regions_own_setting_decides(world):
    """Policy is data: a region whose file sets another permille and retiree sum credits by them."""
    shenzhen = world.env.policies.by_prefix["4403"]
    richer = dataclasses.replace(world.env.policies, by_prefix={
        **world.env.policies.by_prefix,
        "4403": shenzhen.model_copy(update={"monthly_credit_permille": 35, "retiree_monthly_credit_fen": 33_333}),
    })
    assert isinstance(richer, PolicyBook)
    env = Env(clock=world.env.clock, policies=richer)
    worker, retiree = employee(world, city="shenzhen", base_fen=1_000_000), employee(world, city="shenzhen",
                                                                                      retired=True)
    harbin = employee(world, city="harbin", base_fen=1_000_000)
    credit_month(world.db, env, PERIOD)
    assert (current(world, worker), current(world, retiree)) == (35_000, 33_333)
    assert current(world, harbin) == 1_000_000 * world.env.policy("230100").monthly_credit_permille // 1000


def test_n_3_balanced_entries_one_per_chunk_and_region_from_the_credits_account(world, crowd):
    """N-3: money moves only as balanced entries: per chunk and region one entry, +amount on each person's
    current-year account with the new balance after it, and minus the sum on the region's credits account."""
    credit_month(world.db, world.env, PERIOD, chunk_size=3)
    credit_entries = [e for e in entries(world, "credit") if e.memo == f"monthly credit {PERIOD}"]
    # chunks of ids 1-3 (harbin, harbin, shenzhen), 4-6 (shenzhen, hangzhou, beijing), 7-9 (nobody credited)
    assert len(credit_entries) == 5
    credits = world.db.read(lambda s: ledger.system_account(s, kind=ledger.CREDITS, key="230100",
                                                            region_code="230100", at=world.env.now()))
    # chunks may run side by side (two workers on PostgreSQL), so entry ids need not follow chunk order: find
    # Harbin's entry by the account its money came from
    (harbin_entry,) = [e for e in credit_entries if credits in {leg[0] for leg in postings_of(world, e.id)}]
    legs = postings_of(world, harbin_entry.id)
    assert legs == sorted([
        (account_id(world, crowd["harbin"]), due(world, "harbin", 800_000), current(world, crowd["harbin"])),
        (account_id(world, crowd["harbin_retiree"]), retiree_due(world, "harbin"),
         current(world, crowd["harbin_retiree"])),
        (credits, -(due(world, "harbin", 800_000) + retiree_due(world, "harbin")), None),
    ])
    assert (harbin_entry.kind, harbin_entry.on) == ("credit", world.env.today())
    for entry in credit_entries:
        assert sum(amount for _, amount, _ in postings_of(world, entry.id)) == 0
    total = sum(current(world, p) for p in crowd.values()) - 1_000
    system = world.db.read(lambda s: sum(ledger.system_balance(s, f"credits:{code}")
                                         for code in ("230100", "440300", "330100", "110100")))
    assert system == -total - 1_000 - 5_000  # the opening credits of the factories came from there too
    ledger_ok(world)


def test_running_the_month_again_credits_nobody_twice(world, crowd):
    """D-1, N-3: a period is credited once; a second run finds every chunk done and moves nothing."""
    first = credit_month(world.db, world.env, PERIOD, chunk_size=3)
    balances = {key: world.balances(p) for key, p in crowd.items()}
    postings = count_postings(world)
    again = credit_month(world.db, world.env, PERIOD, chunk_size=3)
    assert (again.chunks_done_now, again.chunks_done_earlier, again.rows_now, again.amount_fen_now) == (0, 3, 0, 0)
    assert (again.rows, again.amount_fen, again.detail) == (first.rows, first.amount_fen, first.detail)
    assert {key: world.balances(p) for key, p in crowd.items()} == balances
    assert count_postings(world) == postings
    again_other_size = credit_month(world.db, world.env, PERIOD, chunk_size=1)  # the period keeps its chunks
    assert (again_other_size.chunk_size, again_other_size.rows_now) == (3, 0)
    ledger_ok(world)


def test_a_crash_after_two_chunks_leaves_them_done_and_the_rerun_does_the_rest_once(world):
    """D-1, N-3: a run stopped after chunk 2 keeps chunks 1 and 2 and nothing else; the next run does 3 to 5
    only, so everyone is credited exactly once."""
    people = [employee(world, f"职工{i}", base_fen=100_000 * (i + 1)) for i in range(10)]
    with pytest.raises(Crash):
        credit_month(world.db, world.env, PERIOD, chunk_size=2, workers=1, progress=crash_after(2))
    assert chunks(world, "credit_month", PERIOD) == [1, 2]
    assert [current(world, p) for p in people] == [100_000 * (i + 1) * 20 // 1000 if i < 4 else 0 for i in range(10)]
    ledger_ok(world)
    summary = credit_month(world.db, world.env, PERIOD, chunk_size=2, workers=1)
    assert (summary.chunks_done_earlier, summary.chunks_done_now, summary.rows_now, summary.rows) == (2, 3, 6, 10)
    assert [current(world, p) for p in people] == [100_000 * (i + 1) * 20 // 1000 for i in range(10)]
    assert len(entries(world, "credit")) == 5  # one per chunk (one region)
    ledger_ok(world)


def test_a_chunk_that_fails_inside_its_transaction_leaves_nothing_of_itself(world, monkeypatch):
    """N-3: a chunk is one transaction: its credits, its entry and its row in batch_chunks commit together or
    not at all."""
    people = [employee(world, f"职工{i}") for i in range(6)]
    record = runner._record_chunk

    def fail_on_chunk_2(session, env, job, chunk, work):
        record(session, env, job, chunk, work)
        if chunk.chunk == 2:
            raise Crash("the process dies before chunk 2 commits")

    monkeypatch.setattr(runner, "_record_chunk", fail_on_chunk_2)
    with pytest.raises(Crash):
        credit_month(world.db, world.env, PERIOD, chunk_size=2, workers=1)
    assert chunks(world, "credit_month", PERIOD) == [1]
    assert [current(world, p) for p in people] == [16_000, 16_000, 0, 0, 0, 0]
    assert len(entries(world, "credit")) == 1 and len(chunk_events(world)) == 1
    ledger_ok(world)
    monkeypatch.setattr(runner, "_record_chunk", record)
    credit_month(world.db, world.env, PERIOD, chunk_size=2, workers=1)
    assert [current(world, p) for p in people] == [16_000] * 6
    ledger_ok(world)


def test_two_runs_at_once_credit_each_person_once(world):
    """N-3: two runs of the same month started together share the chunks: each chunk is done by one of them."""
    people = [employee(world, f"职工{i}", city=("harbin", "zhengzhou")[i % 2]) for i in range(24)]
    barrier, results, errors = threading.Barrier(2), [], []

    def run() -> None:
        barrier.wait()
        try:
            results.append(credit_month(world.db, world.env, PERIOD, chunk_size=2, workers=2))
        except Exception as error:  # noqa: BLE001 — reported below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(r.chunks_done_now for r in results)[1] >= 1
    assert sum(r.chunks_done_now for r in results) == 12
    assert [current(world, p) for p in people] == [16_000] * 24
    assert chunks(world, "credit_month", PERIOD) == list(range(1, 13))
    ledger_ok(world)


def test_one_event_per_chunk_and_no_notification_per_person(world, crowd):
    """N-9 is served by the account changes: the job writes one batch.chunk_done event per chunk, no messages."""
    credit_month(world.db, world.env, PERIOD, chunk_size=3)
    events = chunk_events(world)
    assert [e.data["chunk"] for e in events] == [1, 2, 3]
    first = next(e for e in events if e.data["chunk"] == 1)
    assert (first.data["rows"], first.data["job"], first.data["period"]) == (3, "credit_month", PERIOD)
    assert world.db.read(lambda s: s.execute(select(Notification.id)).all()) == []


@pytest.mark.parametrize("period", ["2025-5", "2025-13", "2025-00", "25-05", "May 2025", "2025-05-01", "", 202505])
def test_a_badly_written_month_is_refused_and_changes_nothing(world, crowd, period):
    """The period is YYYY-MM; anything else is refused with a message that shows the form."""
    error = refused(world, lambda: credit_month(world.db, world.env, period), "BATCH_PERIOD_INVALID")
    assert "YYYY-MM" in error.message_zh and "2026-11" in error.message_en


def test_a_month_not_yet_begun_is_refused(world, crowd):
    """A month is credited once it has begun: June 2025 on 2 June, not July."""
    error = refused(world, lambda: credit_month(world.db, world.env, "2025-07"), "MONTH_NOT_REACHED")
    assert error.params == {"period": "2025-07", "today": "2025-06-02", "from_on": "2025-07-01"}
    assert "2025-07-01" in error.message_zh and "gongji credit-month 2025-07" in error.message_en
    assert credit_month(world.db, world.env, "2025-06").rows == 6


def test_the_next_years_months_wait_for_the_year_end_roll_over(world, clock, crowd):
    """D-1: once months of 2025 were credited, January 2026 waits for the roll-over of 2025 (else it would be
    rolled over too); after it, a month of 2025 can no longer be credited."""
    from gongji.batch.year_end import year_end

    credit_month(world.db, world.env, "2025-05")
    clock.advance(days=240)  # 2026-01-28
    error = refused(world, lambda: credit_month(world.db, world.env, "2026-01"), "YEAR_END_PENDING")
    assert error.params == {"period": "2026-01", "year": 2025, "last_period": "2025-05"}
    assert "gongji year-end 2025" in error.message_zh and "gongji year-end 2025" in error.message_en
    year_end(world.db, world.env, 2025)
    assert credit_month(world.db, world.env, "2026-01").rows == 6
    error = refused(world, lambda: credit_month(world.db, world.env, "2025-12"), "YEAR_CLOSED")
    assert error.params == {"period": "2025-12", "year": 2025, "next_year": 2026}
    ledger_ok(world)


def test_without_credits_in_a_year_the_next_year_needs_no_roll_over_first(world, clock, crowd):
    """A platform that starts crediting in a new year has nothing of the old year to roll over wrongly."""
    clock.advance(days=240)  # 2026-01-28
    assert credit_month(world.db, world.env, "2026-01").rows == 6


def test_error_codes_print_in_both_languages(world, crowd):
    with pytest.raises(GongjiError) as info:
        credit_month(world.db, world.env, "2099-01")
    assert info.value.code == "MONTH_NOT_REACHED" and info.value.status == 409
    assert "尚未到来" in info.value.message_zh and "has not begun" in info.value.message_en


def test_postings_of_a_credit_carry_the_balance_after(world):
    """N-9: each person's posting shows the balance right after it, as the account changes list them."""
    person = employee(world, current_fen=12_345)
    credit_month(world.db, world.env, PERIOD)
    rows = world.db.read(lambda s: s.execute(
        select(Posting.amount_fen, Posting.balance_after_fen).where(Posting.account_id == account_id(world, person))
        .order_by(Posting.id)).all())
    assert [tuple(r) for r in rows] == [(12_345, 12_345), (16_000, 28_345)]


KILLED_IN_CHUNK_2 = """
import os, sys
from datetime import date
from gongji.batch import runner
from gongji.batch.crediting import credit_month
from gongji.clock import FixedClock
from gongji.db import Database
from gongji.env import Env

record = runner._record_chunk

def die_in_chunk_2(session, env, job, chunk, work):
    record(session, env, job, chunk, work)
    if chunk.chunk == 2:
        session.flush()  # chunk 2's credits, entry and row are written, not committed
        os._exit(9)

runner._record_chunk = die_in_chunk_2
credit_month(Database(sys.argv[1]), Env(clock=FixedClock.on(date(2025, 6, 2))), "2025-05", chunk_size=2, workers=1)
"""


def test_a_killed_process_leaves_only_whole_chunks_and_the_next_run_finishes(world):
    """N-3: the process is killed inside chunk 2's transaction: chunk 1 is done, chunk 2 left no trace (the
    database rolled it back), and the next run credits chunks 2 and 3, each person once."""
    import subprocess
    import sys

    people = [employee(world, f"职工{i}") for i in range(6)]
    killed = subprocess.run([sys.executable, "-c", KILLED_IN_CHUNK_2, world.db.url], capture_output=True, text=True,
                            timeout=120)
    assert killed.returncode == 9, killed.stderr
    assert chunks(world, "credit_month", PERIOD) == [1]
    assert [current(world, p) for p in people] == [16_000, 16_000, 0, 0, 0, 0]
    ledger_ok(world)
    summary = credit_month(world.db, world.env, PERIOD)
    assert (summary.chunks_done_earlier, summary.chunks_done_now, summary.rows_now) == (1, 2, 4)
    assert [current(world, p) for p in people] == [16_000] * 6
    assert len(entries(world, "credit")) == 3
    ledger_ok(world)
