"""The pooled fund's share of an outpatient bill (门诊统筹): a pure rule, from the region's settings (NI-4).

The figures it produces make the standard's identities hold by construction::

    medfee_sumamt = fund_pay_sumamt + psn_part_amt + hosp_part_amt
    psn_part_amt  = acct_pay + psn_cash_pay        (acct_pay includes acct_mulaid_pay)
"""

from __future__ import annotations

from dataclasses import dataclass

from gongji.policy.settings import OutpatientPooling


@dataclass(frozen=True)
class FundShare:
    deductible_applied_fen: int  # act_pay_dedc: the part of the bill that met the deductible
    fund_fen: int  # hifp_pay
    ratio_permille: int  # pool_prop_selfpay
    cap_left_fen: int  # crt_payb_lmt_amt: what the fund could still pay this year, before this bill


NONE = FundShare(0, 0, 0, 0)


def share(rule: OutpatientPooling | None, *, in_scope_fen: int, deductible_used_fen: int,
          fund_paid_fen: int, share_permille: int = 1000) -> FundShare:
    """What the fund pays of ``in_scope_fen``, given what the person met and got earlier in the year.

    ``share_permille`` is the part of its usual share the fund pays the person today (LC-2, LC-4): 0 while
    suspended or waiting (then nothing meets the deductible either), e.g. 500 during a reduced period.

    >>> from gongji.policy.settings import OutpatientPooling
    >>> rule = OutpatientPooling(deductible_fen=20000, ratio_permille=500, annual_cap_fen=200000)
    >>> share(rule, in_scope_fen=50000, deductible_used_fen=0, fund_paid_fen=0)
    FundShare(deductible_applied_fen=20000, fund_fen=15000, ratio_permille=500, cap_left_fen=200000)
    """
    if rule is None or in_scope_fen <= 0 or share_permille <= 0:
        return FundShare(0, 0, rule.ratio_permille if rule else 0, _left(rule, fund_paid_fen))
    deductible = min(in_scope_fen, max(0, rule.deductible_fen - deductible_used_fen))
    above = in_scope_fen - deductible
    cap_left = _left(rule, fund_paid_fen)
    ratio = rule.ratio_permille * min(share_permille, 1000) // 1000
    fund = min(above * ratio // 1000, cap_left)
    return FundShare(deductible, fund, ratio, cap_left)


def _left(rule: OutpatientPooling | None, fund_paid_fen: int) -> int:
    return 0 if rule is None else max(0, rule.annual_cap_fen - fund_paid_fen)
