"""Replay a period's timeline under a policy: one :class:`Side` per policy, with the settlement's own rule code.

Each side keeps the world's balances (from the opening balances) and replays, in order: a settlement is planned
again by :mod:`gongji.settlement.rules` (skip reasons, payer order, allocation: N-10, HN-2, HN-4, WL-1, D-1, D-5,
SZ-1) over the bindings active on its day (D-3) and the balances this side has then; a refund goes back to what
this side paid, by the settlement's own refund split (HN-5); the year-end roll moves each current-year balance into
prior-years funds (D-1); any other entry (credits, transfers, the wallet) moves its amounts as it did, and what an
account no longer holds in this side is a shortfall (counted, the balance stays at zero). Only personal accounts
pay (N-3): the pooled fund is not in the world at all.

Planning once where the sides agree (:class:`gongji.simulate.groups.Agreement`): a household's balances are the
same in every side until a settlement of it is paid differently, and while they are, a settlement is planned once
for all sides when its plan cannot depend on the side: the patient's own accounts pay all of it (N-10: no payer is
asked), or the bindings of the patient and the settings the rules read (:data:`PLAN_TERMS`) of the patient's and
every payer's region are the same in both (and none of them moved). Anything else is planned per side.

A person who moved within the period is replayed under the region of each settlement's day
(:meth:`gongji.simulate.facts.PersonFacts.region_on`).

The side under the current policy must reproduce every recorded settlement's parts: :func:`baseline_mismatches`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field

from gongji.policy import PolicyBook, RegionPolicy
from gongji.settlement import rules
from gongji.simulate.facts import BindingFacts, SettlementFacts, World
from gongji.terms import Fund

PERSONAL_FUNDS = frozenset(f.value for f in Fund)
OWN_FUNDS = frozenset(rules.OWN_ORDER)
#: The settings of a region that planning a settlement reads (:meth:`Side.plan` and the rules it calls). Two
#: policies equal in these plan every settlement alike; ``tests/simulate/test_fast.py`` checks that nothing else is
#: read.
PLAN_TERMS = ("paper_attestation", "payer_order", "suspended_payer_may_pay", "suspended_beneficiary_may_use",
              "geographic_scope", "uses_for_relatives", "reserve_line_fen", "funds_for_relatives")


def plan_terms(policy: RegionPolicy) -> tuple:
    return tuple(tuple(v) if isinstance(v, list) else v for v in (getattr(policy, k) for k in PLAN_TERMS))


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


@dataclass(frozen=True, slots=True)
class Planned:
    """A settlement as one side pays it."""

    settlement: SettlementFacts
    plan: rules.Plan


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
    _paid: dict[int, tuple[rules.Part, ...]] = field(init=False)  # settlement → the parts this side paid
    _refunded: dict[int, list[int]] = field(init=False)  # settlement → what went back to each of its parts
    _cash: dict[int, int] = field(init=False)  # settlement → cash still refundable (absent: none)
    _rolled: set[str] = field(init=False)
    _reasons: dict[tuple, str | None] = field(init=False)  # skip reasons of people whose status never changed
    _terms: dict[str, tuple] = field(init=False)  # region → (reserve line, funds for relatives)
    #: PP-1: (payer, patient, year, month) → what this side's payer paid for the patient that month, less refunds
    _month: dict[tuple[int, int, int, int], int] = field(init=False)

    def __post_init__(self) -> None:
        self.balances = dict(self.world.opening)
        self._bound_to = {}
        for b in sorted(self.bindings, key=lambda b: b.id):
            self._bound_to.setdefault(b.beneficiary_id, []).append(b)
        self._paid, self._refunded, self._cash, self._rolled, self._reasons, self._terms = {}, {}, {}, set(), {}, {}
        start = self.world.start
        self._month = {(payer, patient, start.year, start.month): fen
                       for (payer, patient), fen in self.world.paid_before.items()}

    def _funds(self, person_id: int) -> tuple[rules.FundBalance, ...]:
        balances = self.balances
        return tuple([rules.FundBalance(a, f, balances[a]) for f, a in self.world.funds_of(person_id)])

    def bound_to(self, person_id: int) -> list[BindingFacts]:
        return self._bound_to.get(person_id, [])

    # -- the steps ------------------------------------------------------------------------------------

    def settle(self, s: SettlementFacts) -> Planned:
        planned = self.plan(s)
        self.apply(planned)
        return planned

    def plan(self, s: SettlementFacts) -> Planned:
        """How this side pays ``s`` with its balances now (nothing moves: :meth:`apply`)."""
        world, day = self.world, s.settled_on
        own = self._funds(s.patient_id)
        if sum([f.balance_fen for f in own if f.fund in OWN_FUNDS]) >= s.amount_fen:
            # N-10: the own account pays all of it, no payer's turn comes (the same plan as with every payer)
            return Planned(s, rules.allocate(amount_fen=s.amount_fen, patient_id=s.patient_id, own_funds=own,
                                             payers=()))
        patient = world.people[s.patient_id]
        patient_party = world.party(patient, day)
        patient_policy = self.policy(patient_party.region_code)
        at = s.settled_at
        bound = [b for b in self._bound_to.get(patient.id, ()) if b.active_on(day)]
        payers: list[tuple[int | None, int | None, int, int | None]] = [
            (b.id, b.priority, b.payer_id, b.limit_at(at)) for b in bound if not b.paused_at(at)]  # D-3: paused
        if s.attested_payer_id is not None and patient_policy.paper_attestation \
                and s.attested_payer_id not in {b.payer_id for b in bound}:
            payers.append((None, None, s.attested_payer_id, None))  # SZ-5: once, after the bound payers
        candidates = []
        for binding_id, priority, payer_id, limit in payers:
            payer = world.people[payer_id]
            payer_region = payer.region_code if not payer.moves else payer.region_on(day)
            payer_policy = self.policy(payer_region)
            steady = not (payer.changes or payer.moves or patient.changes or patient.moves)
            key = (payer_id, patient.id, s.use)
            if steady and key in self._reasons:
                reason = self._reasons[key]
            else:
                reason = rules.skip_reason(payer=world.party(payer, day), patient=patient_party,
                                           payer_policy=payer_policy, patient_policy=patient_policy, use=s.use)
                if reason is None and not world.accounts.get(payer_id):
                    reason = "payer_not_employee"
                if steady:
                    self._reasons[key] = reason
            if reason is not None:
                continue
            terms = self._terms.get(payer_region)
            if terms is None:
                terms = self._terms[payer_region] = (payer_policy.reserve_line_fen,
                                                          frozenset(payer_policy.funds_for_relatives))
            candidates.append(rules.PayerCandidate(
                payer_id=payer_id, binding_id=binding_id, name=payer.name, name_sort_key=payer.name_sort_key,
                id_number=payer.id_number, priority=priority, funds=self._funds(payer_id),
                reserve_line_fen=terms[0], funds_for_relatives=terms[1],
                month_room_fen=None if limit is None else rules.month_room(  # PP-1, as it stood that day
                    monthly_limit_fen=limit,
                    paid_this_month_fen=self._month.get((payer_id, patient.id, day.year, day.month), 0))))
        ordered = rules.order_payers(candidates, patient_policy.payer_order) if len(candidates) > 1 else candidates
        return Planned(s, rules.allocate(amount_fen=s.amount_fen, patient_id=patient.id, own_funds=own,
                                         payers=ordered))

    def apply(self, planned: Planned) -> None:
        """Move this side's balances as ``planned`` pays."""
        s, plan = planned.settlement, planned.plan
        balances = self.balances
        if plan.parts:
            for part in plan.parts:
                balance = balances[part.account_id] - part.amount_fen
                assert balance >= 0
                balances[part.account_id] = balance
                if part.payer_id != s.patient_id:  # PP-1: the payer's room this month
                    key = (part.payer_id, s.patient_id, s.settled_on.year, s.settled_on.month)
                    self._month[key] = self._month.get(key, 0) + part.amount_fen
            self._paid[s.id] = plan.parts
        if plan.cash_fen:
            self._cash[s.id] = plan.cash_fen

    def refund(self, settlement_id: int, amount_fen: int) -> None:
        """HN-5: back to the accounts that paid in this side, in the reverse order of payment, cash first."""
        parts = self._paid.get(settlement_id, ())
        refunded = self._refunded.setdefault(settlement_id, [0] * len(parts))
        cash, back = rules.split_refund(
            amount_fen=amount_fen, cash_refundable_fen=self._cash.get(settlement_id, 0),
            parts=[rules.PaidPart(part_id=i, seq=i + 1, amount_fen=p.amount_fen, refunded_fen=refunded[i])
                   for i, p in enumerate(parts)])
        if cash:
            self._cash[settlement_id] -= cash
        s = self.world.settlements.get(settlement_id)
        for i, amount in back:
            refunded[i] += amount
            self.balances[parts[i].account_id] += amount
            if s is not None and parts[i].payer_id != s.patient_id:  # PP-1: a refund gives the room back
                key = (parts[i].payer_id, s.patient_id, s.settled_on.year, s.settled_on.month)
                self._month[key] = self._month.get(key, 0) - amount

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
        balances = self.balances
        for account_id, amount in legs:
            balance = balances[account_id] + amount
            if balance < 0:  # spent in this side already: what is missing is not moved
                self.shortfall_fen -= balance
                self.shortfalls += 1
                balance = 0
            balances[account_id] = balance


def replay(world: World, sides: list[Side], on_settlement: Callable[[list[Planned]], None],
           progress: Callable[[int, int], None] | None = None, *, share: bool = True,
           people: Collection[int] | None = None, accounts: Collection[int] | None = None,
           group_of: dict[int, int] | None = None) -> None:
    """Run the timeline through every side in step; ``on_settlement`` gets each settlement as each side paid it.

    ``share``: plan once where the sides agree (the module's description); False plans every settlement in every
    side. ``people`` and ``accounts``: replay only the settlements of these patients and the postings on these
    accounts (a shard of whole households, :mod:`gongji.simulate.groups`); None: all. ``group_of``: the
    households, if known already."""
    from gongji.simulate.groups import Agreement

    agreement = Agreement(world, sides, group_of) if share and len(sides) > 1 else None
    settlements = world.settlements
    total = len(world.timeline)
    every = max(1, total // 200)
    for n, step in enumerate(world.timeline, start=1):
        kind = step.kind
        if kind == "settlement":
            s = settlements[step.ref]
            if people is None or s.patient_id in people:
                if agreement is not None:
                    on_settlement(agreement.settle(s))
                else:
                    on_settlement([side.settle(s) for side in sides])
        elif kind == "refund":
            s = settlements.get(step.settlement_id)
            if s is not None and (people is None or s.patient_id in people):
                for side in sides:
                    side.refund(step.settlement_id, step.amount_fen)
        elif kind == "year_end":
            for side in sides:
                side.year_end(step.memo)
        else:
            legs = step.legs if accounts is None else [leg for leg in step.legs if leg[0] in accounts]
            for side in sides:
                side.postings(legs)
        if progress and (n % every == 0 or n == total):
            progress(n, total)


def recorded_parts(s: SettlementFacts) -> list[tuple[int, int, str, int | None, int]]:
    return [(p.payer_id, p.account_id, p.fund, p.binding_id, p.amount_fen) for p in s.parts]


def planned_parts(planned: Planned) -> list[tuple[int, int, str, int | None, int]]:
    return [(p.payer_id, p.account_id, p.fund, p.binding_id, p.amount_fen) for p in planned.plan.parts]  # StrEnum


def baseline_mismatches(planned: Planned) -> bool:
    """True when the current side paid a settlement otherwise than it was paid."""
    s, plan = planned.settlement, planned.plan
    return ((plan.own_fen, plan.mutual_aid_fen, plan.cash_fen) != (s.own_fen, s.mutual_aid_fen, s.cash_fen)
            or planned_parts(planned) != recorded_parts(s))
