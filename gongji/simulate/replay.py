"""Replay a period's timeline under a policy: one :class:`Side` per policy, with the settlement's own rule code.

Each side keeps the world's balances (from the opening balances) and replays, in order: a settlement is planned
again by :mod:`gongji.settlement.rules` (skip reasons, payer order, allocation: N-10, HN-2, HN-4, WL-1, D-1, D-5,
SZ-1) over the bindings active on its day (D-3) and the balances this side has then; a refund goes back to what
this side paid, by the settlement's own refund split (HN-5); the year-end roll moves each current-year balance into
prior-years funds (D-1); any other entry (credits, transfers, the wallet) moves its amounts as it did, and what an
account no longer holds in this side is a shortfall (counted, the balance stays at zero). Only personal accounts
pay (N-3): the pooled fund is not in the world at all.

The side under the current policy must reproduce every recorded settlement's parts: :func:`baseline_mismatches`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from gongji.policy import PolicyBook, RegionPolicy
from gongji.settlement import rules
from gongji.simulate.facts import BindingFacts, SettlementFacts, World
from gongji.terms import Fund

PERSONAL_FUNDS = frozenset(f.value for f in Fund)


class Policies:
    """The book in force, with one file's policy replaced by a proposal (every region that file governs)."""

    def __init__(self, book: PolicyBook, replaced: RegionPolicy | None = None,
                 proposal: RegionPolicy | None = None) -> None:
        self.book, self.replaced, self.proposal = book, replaced, proposal
        self._cache: dict[str, RegionPolicy] = {}

    def __call__(self, region_code: str) -> RegionPolicy:
        policy = self._cache.get(region_code)
        if policy is None:
            policy = self.book.for_region(region_code)
            if self.proposal is not None and policy is self.replaced:
                policy = self.proposal
            self._cache[region_code] = policy
        return policy


@dataclass(frozen=True)
class Planned:
    """A settlement as one side pays it."""

    settlement: SettlementFacts
    plan: rules.Plan
    skipped: tuple[tuple[int, str], ...]  # (payer id, reason) of bound payers who did not pay


@dataclass
class Side:
    name: str
    world: World
    policy: Policies
    bindings: list[BindingFacts]
    balances: dict[int, int] = field(init=False)
    shortfall_fen: int = 0
    shortfalls: int = 0
    _bound_to: dict[int, list[BindingFacts]] = field(init=False)
    _paid: dict[int, list[list[int]]] = field(init=False)  # settlement → [[account, amount, refunded, seq]]
    _cash: dict[int, int] = field(init=False)  # settlement → cash still refundable
    _rolled: set[str] = field(init=False)

    def __post_init__(self) -> None:
        self.balances = dict(self.world.opening)
        self._bound_to = {}
        for b in sorted(self.bindings, key=lambda b: b.id):
            self._bound_to.setdefault(b.beneficiary_id, []).append(b)
        self._paid, self._cash, self._rolled = {}, {}, set()

    def _funds(self, person_id: int) -> tuple[rules.FundBalance, ...]:
        balances = self.balances
        return tuple([rules.FundBalance(a, f, balances[a]) for f, a in self.world.funds_of(person_id)])

    # -- the steps ------------------------------------------------------------------------------------

    def settle(self, s: SettlementFacts) -> Planned:
        world, day = self.world, s.settled_on
        patient = world.people[s.patient_id]
        patient_party = world.party(patient, day)
        patient_policy = self.policy(patient.region_code)
        payers: list[tuple[int | None, int | None, int]] = [
            (b.id, b.priority, b.payer_id) for b in self._bound_to.get(patient.id, ()) if b.active_on(day)]
        if s.attested_payer_id is not None and patient_policy.paper_attestation \
                and s.attested_payer_id not in {p for _, _, p in payers}:
            payers.append((None, None, s.attested_payer_id))  # SZ-5: once, after the bound payers
        candidates, skipped = [], []
        for binding_id, priority, payer_id in payers:
            payer = world.people[payer_id]
            payer_policy = self.policy(payer.region_code)
            reason = rules.skip_reason(payer=world.party(payer, day), patient=patient_party, payer_policy=payer_policy,
                                       patient_policy=patient_policy, use=s.use)
            if reason is None and not world.accounts.get(payer_id):
                reason = "payer_not_employee"
            if reason is not None:
                skipped.append((payer_id, reason))
                continue
            candidates.append(rules.PayerCandidate(
                payer_id=payer_id, binding_id=binding_id, name=payer.name, name_sort_key=payer.name_sort_key,
                id_number=payer.id_number, priority=priority, funds=self._funds(payer_id),
                reserve_line_fen=payer_policy.reserve_line_fen,
                funds_for_relatives=frozenset(payer_policy.funds_for_relatives)))
        ordered = rules.order_payers(candidates, patient_policy.payer_order)
        plan = rules.allocate(amount_fen=s.amount_fen, patient_id=patient.id, own_funds=self._funds(patient.id),
                              payers=ordered)
        paying = {p.payer_id for p in plan.parts}
        skipped += [(c.payer_id, "no_balance" if c.available_fen == 0 else "not_needed")
                    for c in ordered if c.payer_id not in paying]
        for seq, part in enumerate(plan.parts, start=1):
            self.balances[part.account_id] -= part.amount_fen
            assert self.balances[part.account_id] >= 0
            self._paid.setdefault(s.id, []).append([part.account_id, part.amount_fen, 0, seq])
        self._cash[s.id] = plan.cash_fen
        return Planned(settlement=s, plan=plan, skipped=tuple(skipped))

    def refund(self, settlement_id: int, amount_fen: int) -> None:
        """HN-5: back to the accounts that paid in this side, in the reverse order of payment, cash first."""
        parts = self._paid.get(settlement_id, [])
        cash, back = rules.split_refund(
            amount_fen=amount_fen, cash_refundable_fen=self._cash.get(settlement_id, 0),
            parts=[rules.PaidPart(part_id=i, seq=p[3], amount_fen=p[1], refunded_fen=p[2])
                   for i, p in enumerate(parts)])
        self._cash[settlement_id] = self._cash.get(settlement_id, 0) - cash
        for i, amount in back:
            parts[i][2] += amount
            self.balances[parts[i][0]] += amount

    def year_end(self, memo: str) -> None:
        """D-1: once a year, every current-year balance into the same person's prior-years funds."""
        if memo in self._rolled:
            return
        self._rolled.add(memo)
        for funds in self.world.accounts.values():
            current, prior = funds.get(Fund.CURRENT_YEAR.value), funds.get(Fund.PRIOR_YEARS.value)
            if current is not None and prior is not None and self.balances[current] > 0:
                self.balances[prior] += self.balances[current]
                self.balances[current] = 0

    def postings(self, legs: Iterable[tuple[int, int]]) -> None:
        for account_id, amount in legs:
            balance = self.balances[account_id] + amount
            if balance < 0:  # spent in this side already: what is missing is not moved
                self.shortfall_fen -= balance
                self.shortfalls += 1
                balance = 0
            self.balances[account_id] = balance


def replay(world: World, sides: list[Side], on_settlement: Callable[[list[Planned]], None],
           progress: Callable[[int, int], None] | None = None) -> None:
    """Run the timeline through every side in step; ``on_settlement`` gets each settlement as each side paid it."""
    total = len(world.timeline)
    every = max(1, total // 200)
    for n, step in enumerate(world.timeline, start=1):
        if step.kind == "settlement":
            on_settlement([side.settle(world.settlements[step.ref]) for side in sides])
        elif step.kind == "refund":
            if step.settlement_id in world.settlements:
                for side in sides:
                    side.refund(step.settlement_id, step.amount_fen)
        elif step.kind == "year_end":
            for side in sides:
                side.year_end(step.memo)
        else:
            for side in sides:
                side.postings(step.legs)
        if progress and (n % every == 0 or n == total):
            progress(n, total)


def recorded_parts(s: SettlementFacts) -> list[tuple[int, int, str, int | None, int]]:
    return [(p.payer_id, p.account_id, p.fund, p.binding_id, p.amount_fen) for p in s.parts]


def planned_parts(planned: Planned) -> list[tuple[int, int, str, int | None, int]]:
    return [(p.payer_id, p.account_id, p.fund.value, p.binding_id, p.amount_fen) for p in planned.plan.parts]


def baseline_mismatches(planned: Planned) -> bool:
    """True when the current side paid a settlement otherwise than it was paid."""
    s, plan = planned.settlement, planned.plan
    return ((plan.own_fen, plan.mutual_aid_fen, plan.cash_fen) != (s.own_fen, s.mutual_aid_fen, s.cash_fen)
            or planned_parts(planned) != recorded_parts(s))
