"""The pooled fund's outpatient share (NI-4): deductible, ratio, annual cap, from the region's settings."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gongji.national.pooling import share
from gongji.policy import load_policies
from gongji.policy.settings import OutpatientPooling

RULE = OutpatientPooling(deductible_fen=20_000, ratio_permille=600, annual_cap_fen=300_000)


@pytest.mark.parametrize(("in_scope", "deductible_used", "fund_paid", "expected"), [
    (10_000, 0, 0, (10_000, 0)),  # all of it meets the deductible
    (50_000, 0, 0, (20_000, 18_000)),  # 200 yuan deductible, 60% of the 300 above it
    (50_000, 20_000, 0, (0, 30_000)),  # deductible met earlier in the year
    (50_000, 15_000, 0, (5_000, 27_000)),  # partly met
    (50_000, 20_000, 290_000, (0, 10_000)),  # the annual cap stops it
    (50_000, 20_000, 300_000, (0, 0)),  # cap reached
    (333, 20_000, 0, (0, 199)),  # 60% of 3.33 yuan is 1.998: rounded down to the fen
])
def test_the_share_follows_deductible_ratio_and_cap(in_scope, deductible_used, fund_paid, expected):
    """NI-4: act_pay_dedc and hifp_pay for a bill, given the person's year so far."""
    result = share(RULE, in_scope_fen=in_scope, deductible_used_fen=deductible_used, fund_paid_fen=fund_paid)
    assert (result.deductible_applied_fen, result.fund_fen) == expected
    assert result.ratio_permille == 600
    assert result.cap_left_fen == max(0, 300_000 - fund_paid)


def test_without_a_rule_the_fund_pays_nothing():
    """A region without an outpatient pooling setting: the person bears the whole bill (NI-4)."""
    result = share(None, in_scope_fen=50_000, deductible_used_fen=0, fund_paid_fen=0)
    assert (result.deductible_applied_fen, result.fund_fen, result.ratio_permille) == (0, 0, 0)


@given(in_scope=st.integers(0, 10**9), used=st.integers(0, 10**6), paid=st.integers(0, 10**7),
       deductible=st.integers(0, 10**6), ratio=st.integers(0, 1000), cap=st.integers(0, 10**7))
def test_the_fund_never_pays_more_than_the_bill_the_ratio_or_the_cap(in_scope, used, paid, deductible, ratio, cap):
    """NI-4: so that medfee_sumamt = fund_pay_sumamt + psn_part_amt with no part negative."""
    rule = OutpatientPooling(deductible_fen=deductible, ratio_permille=ratio, annual_cap_fen=cap)
    result = share(rule, in_scope_fen=in_scope, deductible_used_fen=used, fund_paid_fen=paid)
    assert 0 <= result.deductible_applied_fen <= in_scope
    assert 0 <= result.fund_fen <= in_scope - result.deductible_applied_fen
    assert result.fund_fen * 1000 <= (in_scope - result.deductible_applied_fen) * ratio
    assert result.fund_fen <= max(0, cap - paid)


def test_every_region_states_its_outpatient_pooling():
    """Each region's settings file carries the rule the national interface reports with (NI-4)."""
    for policy in load_policies().by_prefix.values():
        assert policy.outpatient_pooling("employee") is not None, policy.name
        assert policy.outpatient_pooling("resident") is not None, policy.name
