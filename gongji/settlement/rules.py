"""Who pays what: pure rules over plain values (no session, no clock, no I/O).

N-10: the patient's own account pays first (then his own medical insurance wallet, WAL-1: see
:data:`OWN_ORDER`), authorized payers pay only what remains, and what still remains is cash.
Within one account current-year funds go before prior-years funds (D-1).
A payer pays at most what remains of the monthly limit he set for the patient (PP-1).
Payers take turns by the patient's region's order: fixed priority (WL-1, D-2) or larger balance,
then name by pinyin, then ID number (HN-4). Each payer pays only from the funds his region lets
pay for relatives, and only down to his region's reserve line (SZ-1). Mutual aid spends personal
accounts only, never the pooled fund (N-3): nothing here knows of one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gongji.authorizations.rules import Party
from gongji.policy import PayerOrder, RegionPolicy
from gongji.terms import Fund, Scheme, Status, Use

#: D-1: the order in which one account's funds are spent.
FUND_ORDER = (Fund.CURRENT_YEAR, Fund.PRIOR_YEARS)
#: What the patient's own money pays in: his personal account (D-1), then his wallet (WAL-1). The wallet's money is
#: his own (relatives gave it to him), so it pays before any bound payer's account (N-10), but after his personal
#: account: the wallet is what relatives meant for his care, his account is his own entitlement, and using the
#: account first keeps the gift for when the account is spent. Only the patient's own wallet ever pays.
OWN_ORDER = (*FUND_ORDER, Fund.WALLET)


@dataclass(frozen=True)
class FundBalance:
    account_id: int
    fund: Fund
    balance_fen: int


@dataclass(frozen=True)
class PayerCandidate:
    """A payer bound to the patient, with the facts the order and the amounts depend on."""

    payer_id: int
    binding_id: int | None  # None: a one-off payer attested on paper (SZ-5)
    name: str
    name_sort_key: str
    id_number: str
    priority: int | None
    funds: tuple[FundBalance, ...]
    reserve_line_fen: int = 0
    funds_for_relatives: frozenset[Fund] = frozenset(FUND_ORDER)
    #: PP-1: what this payer may still pay for this patient this calendar month (his limit on the binding minus what
    #: he paid for him this month, refunds given back); None: he set no limit.
    month_room_fen: int | None = None

    @property
    def total_fen(self) -> int:
        """The payer's personal account (a wallet he may hold is his own money, never a payer's: WAL-1)."""
        return sum(f.balance_fen for f in self.funds if f.fund in FUND_ORDER)

    @property
    def available_fen(self) -> int:
        """What this payer can pay for relatives: the allowed funds, but only above the reserve line (SZ-1)."""
        allowed = sum(f.balance_fen for f in self.funds if f.fund in self.funds_for_relatives)
        return above_reserve_line(allowed_fen=allowed, total_fen=self.total_fen, reserve_line_fen=self.reserve_line_fen)

    @property
    def payable_fen(self) -> int:
        """What this payer pays for this patient at most now: what he has available, within his monthly room (PP-1)."""
        if self.month_room_fen is None:
            return self.available_fen
        return min(self.available_fen, max(0, self.month_room_fen))


def month_room(*, monthly_limit_fen: int | None, paid_this_month_fen: int) -> int | None:
    """PP-1: what a payer may still pay for one relative this month; None: no limit."""
    if monthly_limit_fen is None:
        return None
    return max(0, monthly_limit_fen - paid_this_month_fen)


def above_reserve_line(*, allowed_fen: int, total_fen: int, reserve_line_fen: int) -> int:
    """What of the funds allowed for relatives (D-1) may pay: only what the account holds above the line (SZ-1)."""
    return max(0, min(allowed_fen, total_fen - reserve_line_fen))


def available_for_relatives(*, current_year_fen: int, prior_years_fen: int, policy: RegionPolicy) -> int:
    """PP-2: how much of a payer's personal account his relatives may use under his region's policy, as settlement
    reckons it (:attr:`PayerCandidate.available_fen`)."""
    by_fund = {Fund.CURRENT_YEAR: current_year_fen, Fund.PRIOR_YEARS: prior_years_fen}
    allowed = sum(fen for fund, fen in by_fund.items() if fund in policy.funds_for_relatives)
    return above_reserve_line(allowed_fen=allowed, total_fen=current_year_fen + prior_years_fen,
                              reserve_line_fen=policy.reserve_line_fen)


@dataclass(frozen=True)
class Part:
    payer_id: int
    account_id: int
    fund: Fund
    binding_id: int | None  # None: the patient's own account
    amount_fen: int


@dataclass(frozen=True)
class Plan:
    parts: tuple[Part, ...]
    own_fen: int
    mutual_aid_fen: int
    cash_fen: int

    @property
    def amount_fen(self) -> int:
        return self.own_fen + self.mutual_aid_fen + self.cash_fen


# -- why a bound payer does not pay ---------------------------------------------------------------

SKIP_REASONS: dict[str, tuple[str, str]] = {
    "payer_not_enrolled": ("共济人已终止参保", "the payer's enrollment has ended"),
    "payer_not_employee": ("共济人不是职工医保参保人", "the payer is not an employee enrollee"),
    "payer_suspended": ("共济人暂停参保，本地区暂停共济支付", "the payer is suspended, and this region then stops mutual aid"),
    "patient_suspended": ("就诊人暂停参保，本地区暂停共济支付", "the patient is suspended, and this region then stops mutual aid"),
    "out_of_scope": ("双方参保地不在共济范围内", "the two enrollments are outside the mutual-aid scope"),
    "use_not_allowed": ("本地区共济资金不能用于此项费用", "mutual-aid money cannot pay for this use in this region"),
    "no_balance": ("共济人可用余额为零（或不高于保留额度）", "the payer has nothing available (or nothing above the reserve line)"),
    "monthly_limit_reached": ("共济人为该亲属设定的本月限额已用完", "the payer's monthly limit for this relative is used up"),
    "paused": ("该共济绑定已暂停", "this binding is paused"),
    "not_needed": ("前序账户已付清", "the bill was paid before this payer's turn"),
}


def skip_reason(*, payer: Party, patient: Party, payer_policy: RegionPolicy, patient_policy: RegionPolicy,
                use: Use) -> str | None:
    """Why this bound payer may not pay this bill today, or None if he may (HN-2, WL-5, D-5, N-5)."""
    if payer.status is Status.TERMINATED:
        return "payer_not_enrolled"
    if payer.scheme is not Scheme.EMPLOYEE:
        return "payer_not_employee"
    if payer.status is Status.SUSPENDED and not payer_policy.suspended_payer_may_pay:
        return "payer_suspended"
    if patient.status is Status.SUSPENDED and not patient_policy.suspended_beneficiary_may_use:
        return "patient_suspended"
    if not payer_policy.geographic_scope.contains(payer.region_code, patient.region_code):
        return "out_of_scope"
    if use not in payer_policy.uses_for_relatives:
        return "use_not_allowed"
    return None


# -- the order and the amounts ----------------------------------------------------------------------


def _by_balance_then_name(candidate: PayerCandidate) -> tuple:
    """HN-4: larger balance first; equal: name by pinyin; still equal: ID number."""
    return (-candidate.available_fen, candidate.name_sort_key, candidate.id_number)


def order_payers(candidates: Sequence[PayerCandidate], order: PayerOrder) -> list[PayerCandidate]:
    """Bound payers in the region's order; a payer attested on paper for this bill only (SZ-5) comes last."""
    if order is PayerOrder.PRIORITY:
        # D-2: priority 1 first; payers without one come after, among themselves by HN-4.
        return sorted(
            candidates,
            key=lambda c: (c.binding_id is None, c.priority is None, c.priority or 0, *_by_balance_then_name(c)),
        )
    return sorted(candidates, key=lambda c: (c.binding_id is None, *_by_balance_then_name(c)))


def _spend(remaining: int, limit: int, funds: Sequence[FundBalance], allowed: frozenset[Fund], payer_id: int,
           binding_id: int | None, order: tuple[Fund, ...] = FUND_ORDER) -> list[Part]:
    parts = []
    budget = min(remaining, limit)
    by_fund = {f.fund: f for f in funds}
    for fund in order:
        if budget == 0:
            break
        balance = by_fund.get(fund)
        if balance is None or fund not in allowed or balance.balance_fen <= 0:
            continue
        take = min(budget, balance.balance_fen)
        parts.append(Part(payer_id=payer_id, account_id=balance.account_id, fund=fund, binding_id=binding_id,
                          amount_fen=take))
        budget -= take
    return parts


def allocate(*, amount_fen: int, patient_id: int, own_funds: Sequence[FundBalance],
             payers: Sequence[PayerCandidate]) -> Plan:
    """Split a personal-borne amount into own account, payers (already in order) and cash (N-10)."""
    if amount_fen <= 0:
        raise ValueError("amount_fen must be positive")
    parts: list[Part] = []
    remaining = amount_fen
    # N-10, WAL-1: own personal account (D-1), then own wallet (OWN_ORDER); a payer's funds never include a wallet
    own = _spend(remaining, remaining, own_funds, frozenset(OWN_ORDER), patient_id, None, OWN_ORDER)
    own_fen = sum(p.amount_fen for p in own)
    parts.extend(own)
    remaining -= own_fen
    mutual_aid_fen = 0
    for payer in payers:
        if remaining == 0:
            break
        paid = _spend(remaining, payer.payable_fen, payer.funds, payer.funds_for_relatives, payer.payer_id,
                      payer.binding_id)
        amount = sum(p.amount_fen for p in paid)
        parts.extend(paid)
        mutual_aid_fen += amount
        remaining -= amount
    return Plan(parts=tuple(parts), own_fen=own_fen, mutual_aid_fen=mutual_aid_fen, cash_fen=remaining)


# -- refunds (HN-5) ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaidPart:
    part_id: int
    seq: int
    amount_fen: int
    refunded_fen: int

    @property
    def refundable_fen(self) -> int:
        return self.amount_fen - self.refunded_fen


def split_refund(*, amount_fen: int, cash_refundable_fen: int, parts: Sequence[PaidPart]) -> tuple[int, list[tuple[int, int]]]:
    """A refund returns money in the reverse order of payment: cash first, the patient's own account last.

    Returns (cash part, [(settlement part id, amount)]). The caller has checked that the amount is
    at most what is refundable.
    """
    remaining = amount_fen
    cash = min(remaining, cash_refundable_fen)
    remaining -= cash
    back: list[tuple[int, int]] = []
    for part in sorted(parts, key=lambda p: p.seq, reverse=True):
        if remaining == 0:
            break
        take = min(remaining, part.refundable_fen)
        if take > 0:
            back.append((part.part_id, take))
            remaining -= take
    if remaining:
        raise ValueError("refund exceeds what was paid")
    return cash, back
