"""What payers and relatives see (PP-2): the payer, how much of his balance his relatives may use; the relative,
whether a payer can still pay for him, never the payer's balance. SZ-1's reserve line, D-1's allowed funds."""

from __future__ import annotations

from datetime import date

from gongji.policy import RegionPolicy
from gongji.settlement.rules import available_for_relatives
from gongji.terms import Fund
from tests.web.helpers import by_testid
from tests.web.test_portal import portal  # noqa: F401


def _policy(**changes) -> RegionPolicy:
    from tests.conftest import _POLICIES

    national = next(p for p in _POLICIES if "*" in p.applies_to)
    return national.model_copy(update=changes)


def test_pp_2_sz_1_d_1_what_relatives_may_use():
    """Above the reserve line only (SZ-1), from the allowed funds only (D-1), never below zero."""
    assert available_for_relatives(current_year_fen=500_000, prior_years_fen=100_000,
                                   policy=_policy(reserve_line_fen=420_000)) == 180_000
    assert available_for_relatives(current_year_fen=300_000, prior_years_fen=0,
                                   policy=_policy(reserve_line_fen=420_000)) == 0
    assert available_for_relatives(current_year_fen=500_000, prior_years_fen=100_000,
                                   policy=_policy(funds_for_relatives=[Fund.PRIOR_YEARS])) == 100_000


def test_pp_2_the_payer_sees_what_his_relatives_may_use_next_to_his_balance(portal):  # noqa: F811
    w = portal.world
    payer = w.person("陈伟", city="shenzhen", born=date(1975, 1, 1), current_fen=500_000, prior_fen=100_000)
    portal.log_in(payer)
    found = by_testid(portal.get("/portal").text)
    assert found["for-relatives"] == ["1800.00 元"]  # 6,000 less Shenzhen's line of 4,200 (SZ-1)
    assert "4200.00" in found["for-relatives-why"][0]


def test_pp_2_a_relative_sees_whether_each_payer_can_pay_but_not_his_balance(portal):  # noqa: F811
    w = portal.world
    rich = w.person("陈伟", city="shenzhen", born=date(1975, 1, 1), current_fen=500_000)
    poor = w.person("陈刚", city="shenzhen", born=date(1978, 1, 1), current_fen=300_000)  # below the line
    son = w.person("陈小明", city="shenzhen", born=date(2000, 1, 1), scheme="resident")
    w.bind(rich, son, "child")
    w.bind(poor, son, "child")
    portal.log_in(son)
    html = portal.get("/portal").text
    found = by_testid(html)
    rows = dict(zip([r.split("（")[0] for r in found["payer-of-me"]], found["can-pay"], strict=True))
    assert rows == {"陈伟": "可以为您支付", "陈刚": "目前无法为您支付"}
    assert "5000.00" not in html and "3000.00" not in html and "800.00" not in html
