"""What a simulation found, for both policies and the difference: totals, breakdowns, the checks, CSV.

Figures are whole fen. "Mutual aid" is what payers' accounts paid at settlement (refunds later are not taken off);
"cash" what patients paid themselves; "own" what their own accounts paid. The pooled fund's figure is a check (N-3):
mutual aid spends personal accounts only, so it is zero in both sides or the simulation says it failed.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from gongji.simulate.replay import PERSONAL_FUNDS, Planned, Side, baseline_mismatches
from gongji.terms import Fund

#: Age bands (years, lower bounds) of patients and payers.
AGE_BANDS = ((0, "0-17"), (18, "18-39"), (40, "40-59"), (60, "60-69"), (70, "70+"))
SIDES = ("current", "proposed")
FIGURES = ("settlements", "amount_fen", "own_fen", "mutual_aid_fen", "cash_fen", "pooled_fund_fen",
           "patients_helped", "payers_paying", "payers_emptied", "shortfall_fen")


def age_band(age: int) -> str:
    label = AGE_BANDS[0][1]
    for lower, name in AGE_BANDS:
        if age >= lower:
            label = name
    return label


#: age (years, up to 150) → its band
BAND_OF_AGE = tuple(age_band(age) for age in range(151))


def _band(birth: date, day: date) -> str:
    """age_band(age on ``day``), as :meth:`gongji.simulate.facts.PersonFacts.age_on` reckons the age."""
    age = day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
    return BAND_OF_AGE[min(max(age, 0), 150)]


def _zero() -> dict[str, int]:
    return {"mutual_aid_fen": 0, "cash_fen": 0}


@dataclass
class Tally:
    """One side's running figures."""

    settlements: int = 0
    amount_fen: int = 0
    own_fen: int = 0
    mutual_aid_fen: int = 0
    cash_fen: int = 0
    helped: set[int] = field(default_factory=set)
    paid_by: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    emptied: set[int] = field(default_factory=set)
    by_month: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(_zero))
    by_patient_age: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(_zero))
    by_payer_age: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(_zero))
    by_use: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(_zero))
    #: while counting: (day, patient's age band, use) → [settlements, amount, own, mutual aid, cash]; the totals
    #: and the tables by month, patient's age and use above are made of it at the end (:meth:`close`)
    cells: dict[tuple, list[int]] = field(default_factory=dict)

    def close(self) -> None:
        for (day, band, use), (n, amount, own, mutual_aid, cash) in self.cells.items():
            self.settlements += n
            self.amount_fen += amount
            self.own_fen += own
            self.mutual_aid_fen += mutual_aid
            self.cash_fen += cash
            for key, table in ((f"{day.year}-{day.month:02d}", self.by_month), (band, self.by_patient_age),
                               (use, self.by_use)):
                table[key]["mutual_aid_fen"] += mutual_aid
                table[key]["cash_fen"] += cash
        self.cells = {}


def _add(mine: Tally, theirs: Tally) -> None:
    for key, figures in theirs.cells.items():
        cell = mine.cells.get(key)
        if cell is None:
            mine.cells[key] = list(figures)
        else:
            for i, fen in enumerate(figures):
                cell[i] += fen
    mine.helped |= theirs.helped
    mine.emptied |= theirs.emptied
    for payer, fen in theirs.paid_by.items():
        mine.paid_by[payer] += fen
    for key, row in theirs.by_payer_age.items():
        for figure, fen in row.items():
            mine.by_payer_age[key][figure] += fen


class Accumulator:
    def __init__(self, sides: list[Side]) -> None:
        self.sides = sides
        self.tallies = [Tally() for _ in sides]
        self.patients_affected: set[int] = set()
        self.settlements_affected = 0
        self.baseline_checked = 0
        self.baseline_mismatched: list[int] = []
        self.pooled_ok = True
        self.both = Tally()  # the settlements planned once, alike in every side
        self._steady = frozenset(f for f in Fund if f is not Fund.WALLET)

    def __call__(self, planned: list[Planned]) -> None:
        first = planned[0]
        s = first.settlement
        world = self.sides[0].world
        day = s.settled_on
        in_region = s.region_code.startswith(world.region)
        shared = all(p is first for p in planned)  # planned once for every side (their balances agree)
        if in_region:
            self.baseline_checked += 1
            if baseline_mismatches(first):
                self.baseline_mismatched.append(s.id)
            patient_band = _band(world.people[s.patient_id].birth_date, day)
        amount = s.amount_fen
        counted = ((self.sides[0], self.both, first),) if shared else zip(self.sides, self.tallies, planned,
                                                                             strict=True)
        for side, tally, p in counted:
            plan = p.plan
            if plan.own_fen + plan.mutual_aid_fen + plan.cash_fen != amount or any(
                    part.fund not in PERSONAL_FUNDS for part in plan.parts):
                self.pooled_ok = False  # N-3
            if not in_region:
                continue
            mutual_aid = plan.mutual_aid_fen
            key = (day, patient_band, s.use.value)
            cell = tally.cells.get(key)
            if cell is None:
                tally.cells[key] = [1, amount, plan.own_fen, mutual_aid, plan.cash_fen]
            else:
                cell[0] += 1
                cell[1] += amount
                cell[2] += plan.own_fen
                cell[3] += mutual_aid
                cell[4] += plan.cash_fen
            if not mutual_aid:
                continue
            tally.helped.add(s.patient_id)
            balances = side.balances
            for part in plan.parts:
                if part.payer_id == s.patient_id:
                    continue
                tally.paid_by[part.payer_id] += part.amount_fen
                tally.by_payer_age[_band(world.people[part.payer_id].birth_date, day)]["mutual_aid_fen"] += \
                    part.amount_fen
                if not any(balances[a] for f, a in world.funds_of(part.payer_id) if f in self._steady):
                    tally.emptied.add(part.payer_id)
        if in_region and not shared and any(p.plan.parts != first.plan.parts for p in planned[1:]):
            # the split: who paid how much (the parts' accounts and funds follow from it)
            split = [(part.payer_id, part.amount_fen) for part in first.plan.parts]
            if any([(part.payer_id, part.amount_fen) for part in p.plan.parts] != split for p in planned[1:]):
                self.settlements_affected += 1
                self.patients_affected.add(s.patient_id)

    def _fold(self) -> None:
        """Add what was counted once for every side to each side's tally."""
        both, self.both = self.both, Tally()
        for tally in self.tallies:
            _add(tally, both)

    def partial(self) -> dict[str, Any]:
        """What this accumulator counted, to be added to another's (:meth:`absorb`): a shard replayed apart."""
        self._fold()
        return {"tallies": self.tallies, "patients_affected": self.patients_affected,
                "settlements_affected": self.settlements_affected, "baseline_checked": self.baseline_checked,
                "baseline_mismatched": self.baseline_mismatched, "pooled_ok": self.pooled_ok,
                "shortfalls": [(side.shortfall_fen, side.shortfalls) for side in self.sides]}

    def absorb(self, partial: dict[str, Any]) -> None:
        for mine, theirs in zip(self.tallies, partial["tallies"], strict=True):
            _add(mine, theirs)
        for side, (fen, count) in zip(self.sides, partial["shortfalls"], strict=True):
            side.shortfall_fen += fen
            side.shortfalls += count
        self.patients_affected |= partial["patients_affected"]
        self.settlements_affected += partial["settlements_affected"]
        self.baseline_checked += partial["baseline_checked"]
        self.baseline_mismatched += partial["baseline_mismatched"]
        self.pooled_ok = self.pooled_ok and partial["pooled_ok"]

    def result(self) -> dict[str, Any]:
        self._fold()
        for tally in self.tallies:
            tally.close()
        current, proposed = self.tallies[0], self.tallies[-1]
        payers = set(current.paid_by) | set(proposed.paid_by)
        sides: dict[str, dict[str, int]] = {}
        for name, tally, side in zip(SIDES, (current, proposed), (self.sides[0], self.sides[-1]), strict=True):
            sides[name] = {
                "settlements": tally.settlements, "amount_fen": tally.amount_fen, "own_fen": tally.own_fen,
                "mutual_aid_fen": tally.mutual_aid_fen, "cash_fen": tally.cash_fen, "pooled_fund_fen": 0,
                "patients_helped": len(tally.helped), "payers_paying": len(tally.paid_by),
                "payers_emptied": len(tally.emptied), "shortfall_fen": side.shortfall_fen,
            }
        sides["difference"] = {k: sides["proposed"][k] - sides["current"][k] for k in FIGURES}

        def table(attr: str) -> list[dict[str, Any]]:
            keys = sorted(set(getattr(current, attr)) | set(getattr(proposed, attr)))
            if attr in ("by_patient_age", "by_payer_age"):
                keys = [b for _, b in AGE_BANDS if b in keys]
            rows = []
            for key in keys:
                c, p = getattr(current, attr).get(key, _zero()), getattr(proposed, attr).get(key, _zero())
                rows.append({"key": key, "current_mutual_aid_fen": c["mutual_aid_fen"],
                             "proposed_mutual_aid_fen": p["mutual_aid_fen"], "current_cash_fen": c["cash_fen"],
                             "proposed_cash_fen": p["cash_fen"]})
            return rows

        return {
            "sides": sides,
            "affected": {
                "settlements": self.settlements_affected, "patients": len(self.patients_affected),
                "payers": sum(1 for p in payers if current.paid_by.get(p, 0) != proposed.paid_by.get(p, 0)),
                "payers_newly_emptied": len(proposed.emptied - current.emptied),
            },
            "by_month": table("by_month"), "by_patient_age": table("by_patient_age"),
            "by_payer_age": table("by_payer_age"), "by_use": table("by_use"),
            "checks": {
                "pooled_fund_untouched": self.pooled_ok,  # N-3
                "baseline_settlements": self.baseline_checked,
                "baseline_reproduced": not self.baseline_mismatched,
                "baseline_mismatched": self.baseline_mismatched[:20],
            },
        }


def to_csv(result: dict[str, Any]) -> str:
    """One long table: section, key, figure, current, proposed, difference (fen and counts)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["section", "key", "figure", "current", "proposed", "difference"])
    sides = result["sides"]
    for figure in FIGURES:
        writer.writerow(["total", "", figure, sides["current"][figure], sides["proposed"][figure],
                         sides["difference"][figure]])
    for key, value in result["affected"].items():
        writer.writerow(["affected", "", key, "", value, ""])
    for section in ("by_month", "by_patient_age", "by_payer_age", "by_use"):
        for row in result[section]:
            for figure in ("mutual_aid_fen", "cash_fen"):
                if section == "by_payer_age" and figure == "cash_fen":
                    continue
                c, p = row[f"current_{figure}"], row[f"proposed_{figure}"]
                writer.writerow([section, row["key"], figure, c, p, p - c])
    return out.getvalue()
