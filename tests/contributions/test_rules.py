"""Contributions decide status and the pooled fund's share: the pure rules (LC-1..LC-4, LC-6, WL-5)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gongji.contributions.rules import (
    Paid,
    combined_status,
    monthly_credit_fen,
    pooled_share,
    status_on,
)
from gongji.policy import load_policies
from gongji.policy.settings import ContributionPolicy
from gongji.terms import Status

POLICY = ContributionPolicy(backpay_lag_days=30, waiting_after_break_months=3, waiting_months=6,
                            reduced_share_permille=500, reduced_share_months=24)


def months(first: str, last: str, *, kind: str = "employer") -> list[Paid]:
    """Every month from ``first`` to ``last``, each paid on its first day (on time)."""
    y, m = int(first[:4]), int(first[5:])
    out = []
    while f"{y:04d}-{m:02d}" <= last:
        out.append(Paid(f"{y:04d}-{m:02d}", date(y, m, 1), kind))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def test_lc_1_paid_up_is_normal_since_the_run_began():
    derived = status_on(months("2026-01", "2026-12"), POLICY, on=date(2026, 12, 15))
    assert (derived.status, derived.since, derived.last_paid_month) == (Status.NORMAL, date(2026, 1, 1), "2026-12")


def test_lc_1_suspended_from_the_first_day_of_the_month_after_the_last_paid_month():
    """LC-1, WL-5: "从断缴次月起": paid through September, suspended from 1 October."""
    derived = status_on(months("2026-01", "2026-09"), POLICY, on=date(2026, 12, 8))
    assert (derived.status, derived.since, derived.last_paid_month) == (Status.SUSPENDED, date(2026, 10, 1), "2026-09")
    assert status_on(months("2026-01", "2026-09"), POLICY, on=date(2026, 9, 30)).status is Status.NORMAL


def test_lc_1_nothing_known_leaves_the_recorded_status():
    assert status_on([], POLICY, on=date(2026, 12, 1)) is None
    assert combined_status(recorded=Status.SUSPENDED, derived=None) is Status.SUSPENDED
    derived = status_on(months("2026-12", "2026-12"), POLICY, on=date(2026, 12, 20))
    assert combined_status(recorded=Status.SUSPENDED, derived=derived) is Status.NORMAL
    assert combined_status(recorded=Status.TERMINATED, derived=derived) is Status.TERMINATED


def test_lc_1_a_payment_not_yet_made_counts_for_nothing():
    """A row paid after the day asked about is not known on that day: until December is paid, the person is
    suspended from 1 December (LC-1 read as written)."""
    paid = months("2026-01", "2026-11") + [Paid("2026-12", date(2026, 12, 20))]
    assert status_on(paid[-1:], POLICY, on=date(2026, 12, 10)) is None
    assert status_on(paid, POLICY, on=date(2026, 12, 10)).since == date(2026, 12, 1)
    assert status_on(paid, POLICY, on=date(2026, 12, 20)).status is Status.NORMAL


def test_lc_3_a_back_payment_restores_its_months_after_the_lag():
    """LC-3: months back-paid (补缴) on 5 December count from 4 January (30 days' lag)."""
    paid = months("2026-01", "2026-09") + [
        Paid("2026-10", date(2026, 12, 5)), Paid("2026-11", date(2026, 12, 5)), Paid("2026-12", date(2026, 12, 5))]
    before = status_on(paid, POLICY, on=date(2026, 12, 20))
    assert before.status is Status.NORMAL and before.since == date(2026, 12, 1)  # December paid on time
    assert pooled_share(paid, POLICY, on=date(2026, 12, 20)).reason == "normal"  # a gap of two months: no wait
    after = status_on(paid, POLICY, on=date(2027, 1, 4))
    assert after.status is Status.SUSPENDED  # January not paid
    paid.append(Paid("2027-01", date(2027, 1, 4)))
    assert status_on(paid, POLICY, on=date(2027, 1, 4)).since == date(2026, 1, 1)  # the gap is closed


def test_lc_4_a_break_longer_than_the_setting_opens_a_waiting_period_then_a_reduced_share():
    """LC-4: paid through March, nothing April to August (5 months > 3), again from September: the pooled fund pays
    nothing until the end of February (6 months), then half for 24 months, then all of it."""
    paid = months("2025-01", "2026-03") + months("2026-09", "2029-06")
    waiting = pooled_share(paid, POLICY, on=date(2026, 12, 8))
    assert (waiting.permille, waiting.reason, waiting.until) == (0, "waiting", date(2027, 3, 1))
    assert waiting.waiting_until == date(2027, 2, 28)
    reduced = pooled_share(paid, POLICY, on=date(2027, 3, 1))
    assert (reduced.permille, reduced.reason, reduced.until) == (500, "reduced", date(2029, 3, 1))
    assert pooled_share(paid, POLICY, on=date(2029, 3, 1)) .permille == 1000


def test_lc_4_a_short_break_opens_no_waiting_period():
    paid = months("2025-01", "2026-03") + months("2026-07", "2026-12")  # April to June: 3 months, not more
    assert pooled_share(paid, POLICY, on=date(2026, 12, 8)).permille == 1000


def test_lc_4_a_back_payment_closing_the_break_ends_the_wait_after_the_lag():
    paid = months("2025-01", "2026-03") + months("2026-09", "2026-12")
    assert pooled_share(paid, POLICY, on=date(2026, 12, 8)).reason == "waiting"
    paid += [Paid(m, date(2026, 12, 8)) for m in ("2026-04", "2026-05", "2026-06", "2026-07", "2026-08")]
    assert pooled_share(paid, POLICY, on=date(2026, 12, 20)).reason == "waiting"  # within the lag
    assert pooled_share(paid + months("2027-01", "2027-01"), POLICY, on=date(2027, 1, 7)).permille == 1000


def test_lc_4_enrolment_as_an_individual_and_outside_the_collection_period():
    individual = months("2026-05", "2026-12", kind="individual")
    assert pooled_share(individual, POLICY, on=date(2026, 6, 15)).permille == 1000  # not set to wait
    waits = POLICY.model_copy(update={"individual_enrolment_waits": True})
    assert pooled_share(individual, waits, on=date(2026, 6, 15)).until == date(2026, 11, 1)
    fixed = POLICY.model_copy(update={"outside_collection_wait_months": 3, "collection_months": [9, 10, 11, 12]})
    assert pooled_share(individual, fixed, on=date(2026, 6, 15)).until == date(2026, 8, 1)
    inside = months("2026-10", "2026-12", kind="individual")
    assert pooled_share(inside, fixed, on=date(2026, 10, 15)).permille == 1000


def test_lc_2_suspended_terminated_and_unknown():
    """LC-2: suspended or terminated, the pooled fund pays nothing; nothing known: the recorded status decides."""
    assert pooled_share(months("2026-01", "2026-09"), POLICY, on=date(2026, 12, 8)).permille == 0
    assert pooled_share(months("2026-01", "2026-12"), POLICY, on=date(2026, 12, 8),
                        recorded=Status.TERMINATED).reason == "terminated"
    assert pooled_share([], POLICY, on=date(2026, 12, 8), recorded=Status.SUSPENDED).permille == 0
    assert pooled_share([], POLICY, on=date(2026, 12, 8)).permille == 1000


def test_lc_6_the_monthly_credit():
    assert monthly_credit_fen(base_fen=800_000, retired=False, permille=20, retiree_fen=11_000) == 16_000
    assert monthly_credit_fen(base_fen=None, retired=False, permille=20, retiree_fen=11_000) == 0
    assert monthly_credit_fen(base_fen=None, retired=True, permille=20, retiree_fen=11_000) == 11_000
    assert monthly_credit_fen(base_fen=333, retired=False, permille=20, retiree_fen=0) == 6  # down to the fen


@given(st.sets(st.integers(0, 59), max_size=60), st.integers(0, 70))
def test_lc_1_lc_2_the_share_is_never_paid_while_suspended(paid_months, day_index):
    """Whatever months are paid, on any day the pooled fund pays only when that day's month is covered."""
    paid = [Paid(f"{2024 + m // 12}-{m % 12 + 1:02d}", date(2024 + m // 12, m % 12 + 1, 5)) for m in paid_months]
    on = date(2024 + day_index // 12, day_index % 12 + 1, 15)
    share = pooled_share(paid, POLICY, on=on)
    derived = status_on(paid, POLICY, on=on)
    assert 0 <= share.permille <= 1000
    if share.permille:
        assert derived is None or derived.status is Status.NORMAL
    if derived is not None and derived.status is Status.SUSPENDED:
        assert share.permille == 0


@pytest.mark.parametrize("policy", list(load_policies()), ids=lambda p: p.name_en)
def test_every_region_file_states_its_contribution_settings(policy):
    """Each seed region's file has a [contributions] table (LC-1..LC-4) with a source or marked illustrative."""
    from gongji.policy.book import load_policies as load

    path = {p: f for p, f in load().files.items()}[policy.applies_to[0]]
    text = path.read_text(encoding="utf-8")
    assert "[contributions]" in text
    section = text.split("[contributions]", 1)[1]
    assert "waiting_after_break_months" in section and "backpay_lag_days" in section
    assert "illustrative" in text.split("[contributions]", 1)[0].rsplit("\n\n", 1)[-1] + section or "seed 003" in text
