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


class Accumulator:
    def __init__(self, sides: list[Side]) -> None:
        self.sides = sides
        self.tallies = [Tally() for _ in sides]
        self.patients_affected: set[int] = set()
        self.settlements_affected = 0
        self.baseline_checked = 0
        self.baseline_mismatched: list[int] = []
        self.pooled_ok = True

    def __call__(self, planned: list[Planned]) -> None:
        s = planned[0].settlement
        world = self.sides[0].world
        patient = world.people[s.patient_id]
        day = s.settled_on
        month = f"{day.year}-{day.month:02d}"
        patient_band = age_band(patient.age_on(s.settled_on))
        in_region = s.region_code.startswith(world.region)
        if in_region:
            self.baseline_checked += 1
            if baseline_mismatches(planned[0]):
                self.baseline_mismatched.append(s.id)
        splits = []
        for side, tally, p in zip(self.sides, self.tallies, planned, strict=True):
            plan = p.plan
            if plan.own_fen + plan.mutual_aid_fen + plan.cash_fen != s.amount_fen or any(
                    part.fund.value not in PERSONAL_FUNDS for part in plan.parts):
                self.pooled_ok = False  # N-3
            splits.append([(part.payer_id, part.amount_fen) for part in plan.parts])
            if not in_region:
                continue
            tally.settlements += 1
            tally.amount_fen += s.amount_fen
            tally.own_fen += plan.own_fen
            tally.mutual_aid_fen += plan.mutual_aid_fen
            tally.cash_fen += plan.cash_fen
            for key, table in ((month, tally.by_month), (patient_band, tally.by_patient_age),
                               (s.use.value, tally.by_use)):
                table[key]["mutual_aid_fen"] += plan.mutual_aid_fen
                table[key]["cash_fen"] += plan.cash_fen
            if plan.mutual_aid_fen:
                tally.helped.add(s.patient_id)
            for part in plan.parts:
                if part.payer_id == s.patient_id:
                    continue
                tally.paid_by[part.payer_id] += part.amount_fen
                payer = world.people[part.payer_id]
                tally.by_payer_age[age_band(payer.age_on(s.settled_on))]["mutual_aid_fen"] += part.amount_fen
                funds = world.accounts.get(part.payer_id, {})
                if sum(side.balances[a] for f, a in funds.items() if f != Fund.WALLET.value) == 0:
                    tally.emptied.add(part.payer_id)
        if in_region and any(split != splits[0] for split in splits[1:]):
            self.settlements_affected += 1
            self.patients_affected.add(s.patient_id)

    def result(self) -> dict[str, Any]:
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
