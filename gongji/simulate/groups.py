"""Households: the groups of people whose money can only move among themselves, planned once where sides agree,
and replayed in parallel.

A settlement moves the balances of its patient and of the patient's payers (bound in any side, or attested on
paper for the bill, SZ-5); a refund goes back to the same accounts; every other entry moves each of its legs on its
own (:meth:`gongji.simulate.replay.Side.postings`), and the year-end roll each account on its own. So people joined
by bindings (in any side) or by an attestation form a group whose replay needs nothing outside it: groups are
independent, and a set of whole groups (a shard) can be replayed apart and its figures added to the others'.

:class:`Agreement` plans a settlement once for all sides while its group's balances are still the same in every
side and its plan cannot depend on the side (see :mod:`gongji.simulate.replay`); the first settlement of a group
that a side pays differently ends the agreement for that group.
"""

from __future__ import annotations

import heapq
from collections import Counter

from gongji.simulate.facts import World


def households(world: World, binding_lists) -> dict[int, int]:
    """person id → the id of his group (the smallest id of it is not promised, only that it is shared)."""
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        root = x
        while (up := parent.get(root, root)) != root:
            root = up
        while (up := parent.get(x, x)) != root:
            parent[x] = root
            x = up
        return root

    def join(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    for bindings in binding_lists:
        for b in bindings:
            join(b.payer_id, b.beneficiary_id)
    for s in world.settlements.values():
        if s.attested_payer_id is not None:
            join(s.patient_id, s.attested_payer_id)
        for p in s.parts:  # what was recorded: the same people, unless a binding was since deleted
            if p.payer_id != s.patient_id:
                join(s.patient_id, p.payer_id)
    return {pid: find(pid) for pid in world.people}


def shards(world: World, group_of: dict[int, int], count: int) -> list[tuple[set[int], set[int]]]:
    """``count`` shards of whole groups, about even in settlements: [(people, their accounts)]."""
    weight = Counter(group_of[s.patient_id] for s in world.settlements.values())
    for group in set(group_of.values()):
        weight[group] += 0  # a group without settlements still has its postings
    load = [(0, k) for k in range(count)]
    shard_of: dict[int, int] = {}
    for group, w in sorted(weight.items(), key=lambda gw: (-gw[1], gw[0])):
        total, k = heapq.heappop(load)
        shard_of[group] = k
        heapq.heappush(load, (total + w + 1, k))
    out: list[tuple[set[int], set[int]]] = [(set(), set()) for _ in range(count)]
    for pid, group in group_of.items():
        people, accounts = out[shard_of[group]]
        people.add(pid)
        accounts.update(world.accounts.get(pid, {}).values())
    return out


class Agreement:
    """Plans a settlement once for every side while the sides agree on it (the module's description)."""

    def __init__(self, world: World, sides, group_of: dict[int, int] | None = None) -> None:
        from gongji.simulate.replay import plan_terms

        self.world, self.sides = world, sides
        self.group_of = group_of if group_of is not None else households(world, [s.bindings for s in sides])
        self.diverged: set[int] = set()
        self._plan_terms = plan_terms
        self._terms: dict[tuple[int, str], tuple] = {}
        self._same: dict[int, bool] = {}
        self.planned_once = self.planned_apart = 0

    def _same_terms(self, region_code: str) -> bool:
        first = self.sides[0].policy(region_code)
        return all(side.policy(region_code) is first or self._key(i, region_code) == self._key(0, region_code)
                   for i, side in enumerate(self.sides[1:], start=1))

    def _key(self, i: int, region_code: str) -> tuple:
        key = self._terms.get((i, region_code))
        if key is None:
            key = self._terms[(i, region_code)] = self._plan_terms(self.sides[i].policy(region_code))
        return key

    def _same_attested(self, payer_id: int) -> bool:
        payer = self.world.people[payer_id]
        return not payer.moves and self._same_terms(payer.region_code)

    def same_inputs(self, patient_id: int) -> bool:
        """Whether every side plans this patient's settlements from the same facts: the same bindings, and the
        same settings (:data:`gongji.simulate.replay.PLAN_TERMS`) of his region and of every payer's."""
        same = self._same.get(patient_id)
        if same is None:
            people = self.world.people
            first = [b.id for b in self.sides[0].bound_to(patient_id)]
            involved = (patient_id, *(b.payer_id for b in self.sides[0].bound_to(patient_id)))
            same = not any(people[p].moves for p in involved) and all([b.id for b in side.bound_to(patient_id)] == first for side in self.sides[1:]) and all(
                self._same_terms(people[p].region_code)
                for p in involved)
            self._same[patient_id] = same
        return same

    def settle(self, s):
        group = self.group_of[s.patient_id]
        sides = self.sides
        first = sides[0].plan(s)
        planned = [first]
        agreed = group not in self.diverged
        if agreed and (first.plan.own_fen == s.amount_fen or (
                self.same_inputs(s.patient_id) and (
                    s.attested_payer_id is None or self._same_attested(s.attested_payer_id)))):
            planned *= len(sides)
            self.planned_once += 1
        else:
            for side in sides[1:]:
                other = side.plan(s)
                planned.append(other)
                if agreed and other.plan != first.plan:
                    self.diverged.add(group)
                    agreed = False
            self.planned_apart += 1
        for side, p in zip(sides, planned, strict=True):
            side.apply(p)
        return planned
