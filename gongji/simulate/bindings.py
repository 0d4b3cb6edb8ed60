"""The bindings each side pays through: the recorded ones, less those a change forbids, plus a scenario's.

A change can forbid bindings that exist: a relationship no longer allowed (N-2, SZ-2), a cap lowered (HLJ-1,
HLJ-3), one role at a time (HLJ-3), the transfer model (HZ-1). The proposal keeps the recorded bindings in the order
they were made and drops each that the binding rules (:mod:`gongji.authorizations.rules`) would have refused under
the proposed policy, beside the ones kept before it and open at the same time; the refusal's code says why.

Bindings a change would allow are a scenario: ``grandparents`` binds every household's grandparents and
grandchildren (a payer's parent and the payer's child: 孙子女 / 外孙子女 and 祖父母 / 外祖父母, N-2), each direction
in which the payer is an employee; a CSV names bindings to add. Both go through the same rules (relationship,
birth order, enrollment, scope, caps, roles) and are refused with their codes where those say no.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from gongji.authorizations import rules as binding_rules
from gongji.errors import GongjiError
from gongji.policy import RegionPolicy
from gongji.simulate.facts import BindingFacts, World
from gongji.terms import Relationship

SCENARIOS = ("grandparents",)


def _overlap(a: BindingFacts, b: BindingFacts) -> bool:
    a_end, b_end = _last_day(a), _last_day(b)
    return a.start_on <= b_end and b.start_on <= a_end


def _last_day(b: BindingFacts) -> date:
    last = b.end_on or date.max
    if b.ended_on is not None:
        last = min(last, b.ended_on - timedelta(days=1))
    return last


@dataclass
class Checked:
    kept: list[BindingFacts]
    refused: Counter  # code → how many
    added: int = 0


def _situation(b: BindingFacts, kept: list[BindingFacts], index: dict[str, dict[int, list[BindingFacts]]]):
    mine = [k for k in index["payer"].get(b.payer_id, ()) if _overlap(k, b)]
    theirs = [k for k in index["beneficiary"].get(b.beneficiary_id, ()) if _overlap(k, b)]
    return binding_rules.BindingSituation(
        payer_balance_fen=1, payer_open_bindings=len(mine), beneficiary_open_bindings=len(theirs),
        payer_is_beneficiary=any(_overlap(k, b) for k in index["beneficiary"].get(b.payer_id, ())),
        beneficiary_is_payer=any(_overlap(k, b) for k in index["payer"].get(b.beneficiary_id, ())),
        existing_binding_id=next((k.id for k in mine if k.beneficiary_id == b.beneficiary_id), None),
        last_unbound_on=None, beneficiary_in_payers_family=True)


def _check(world: World, policy: Callable[[str], RegionPolicy], b: BindingFacts,
           kept: list[BindingFacts], index, *, new: bool) -> str | None:
    """The code the binding rules refuse ``b`` with under the proposal, or None."""
    payer, beneficiary = world.people[b.payer_id], world.people[b.beneficiary_id]
    payer_policy = policy(payer.region_code)
    try:
        relationship = Relationship(b.relationship)
        binding_rules.check_binding_model(payer_policy)
        binding_rules.check_relationship_allowed(relationship, payer_policy)
        situation = _situation(b, kept, index)
        if new:  # a binding the scenario makes is checked as a new one is, on its first day
            day = b.start_on
            payer_party, beneficiary_party = payer.party_on(day), beneficiary.party_on(day)
            binding_rules.check_relationship_plausible(relationship, payer_party, beneficiary_party)
            binding_rules.check_enrolled(payer_party)
            binding_rules.check_payer_scheme(payer_party)
            binding_rules.check_enrolled(beneficiary_party)
            binding_rules.check_payer_status(payer_party, payer_policy)
            binding_rules.check_beneficiary_status(beneficiary_party, payer_policy)
            binding_rules.check_scope(payer_party, beneficiary_party, payer_policy)
            binding_rules.check_not_bound_already(payer_party, beneficiary_party, situation.existing_binding_id)
        binding_rules.check_caps(payer.party_on(b.start_on), beneficiary.party_on(b.start_on), situation,
                                 payer_policy)
    except GongjiError as exc:
        return exc.code
    return None


def check_all(world: World, policy: Callable[[str], RegionPolicy], recorded: Iterable[BindingFacts],
              added: Iterable[BindingFacts] = ()) -> Checked:
    """The proposal's bindings: the recorded ones in the order made, then the added ones, each checked."""
    kept: list[BindingFacts] = []
    index: dict[str, dict[int, list[BindingFacts]]] = {"payer": {}, "beneficiary": {}}
    refused: Counter = Counter()
    n_added = 0
    for b, new in [*((b, False) for b in sorted(recorded, key=lambda b: b.id)), *((b, True) for b in added)]:
        code = _check(world, policy, b, kept, index, new=new)
        if code is not None:
            refused[("added:" if new else "dropped:") + code] += 1
            continue
        kept.append(b)
        n_added += new
        index["payer"].setdefault(b.payer_id, []).append(b)
        index["beneficiary"].setdefault(b.beneficiary_id, []).append(b)
    return Checked(kept=kept, refused=refused, added=n_added)


# -- bindings to add ----------------------------------------------------------------------------------


def grandparents(world: World, start: date, first_id: int) -> list[BindingFacts]:
    """Every household's grandparents and grandchildren, from the recorded bindings: P pays for (or is paid for by)
    his parent G and his child K; then G and K are bound, each way in which the payer is an employee."""
    parent_of: dict[int, set[int]] = {}  # P → P's parents
    child_of: dict[int, set[int]] = {}  # P → P's children
    for b in world.bindings:
        rel = b.relationship
        if rel == Relationship.PARENT.value:
            parent_of.setdefault(b.payer_id, set()).add(b.beneficiary_id)
            child_of.setdefault(b.beneficiary_id, set()).add(b.payer_id)
        elif rel == Relationship.CHILD.value:
            child_of.setdefault(b.payer_id, set()).add(b.beneficiary_id)
            parent_of.setdefault(b.beneficiary_id, set()).add(b.payer_id)
    pairs: set[tuple[int, int, str]] = set()
    for p, parents in parent_of.items():
        middle = world.people.get(p)
        if middle is None:
            continue
        for g in parents:
            for k in child_of.get(p, ()):
                if g == k or g not in world.people or k not in world.people:
                    continue
                male = middle.sex == "M"
                pairs.add((g, k, (Relationship.GRANDCHILD if male else Relationship.DAUGHTERS_CHILD).value))
                pairs.add((k, g, (Relationship.PATERNAL_GRANDPARENT if male
                                  else Relationship.MATERNAL_GRANDPARENT).value))
    return [BindingFacts(id=first_id + n, payer_id=payer, beneficiary_id=beneficiary, relationship=rel,
                         start_on=start, end_on=None, ended_on=None, priority=None, created_on=start, added=True)
            for n, (payer, beneficiary, rel) in enumerate(sorted(pairs))]


def parse_additions(text: str) -> list[tuple[str, str, str]]:
    """CSV lines ``payer ID number,beneficiary ID number,relationship`` (a header line is allowed)."""
    rows = []
    for n, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or not "".join(row).strip():
            continue
        if n == 1 and row[0].strip().lower().startswith("payer"):
            continue
        if len(row) != 3:
            raise GongjiError("SIMULATION_BAD_ADDITIONS", line=n, reason_zh=f"应有3列，实有{len(row)}列",
                              reason_en=f"3 columns expected, {len(row)} found")
        payer, beneficiary, rel = (c.strip().upper() if i < 2 else c.strip() for i, c in enumerate(row))
        if rel not in {r.value for r in Relationship}:
            raise GongjiError("SIMULATION_BAD_ADDITIONS", line=n, reason_zh=f"关系“{rel[:30]}”无效",
                              reason_en=f"'{rel[:30]}' is not a relationship")
        rows.append((payer, beneficiary, rel))
    return rows


def additions(world: World, rows: list[tuple[str, str, str]], start: date, first_id: int) -> list[BindingFacts]:
    by_number = {p.id_number: p.id for p in world.people.values()}
    out = []
    for n, (payer, beneficiary, rel) in enumerate(rows, start=1):
        for number in (payer, beneficiary):
            if number not in by_number:
                raise GongjiError("SIMULATION_BAD_ADDITIONS", line=n, reason_zh="身份证号不属于已登记的参保人",
                                  reason_en="an ID number is not an enrolled person's")
        out.append(BindingFacts(id=first_id + n, payer_id=by_number[payer], beneficiary_id=by_number[beneficiary],
                                relationship=rel, start_on=start, end_on=None, ended_on=None, priority=None,
                                created_on=start, added=True))
    return out

