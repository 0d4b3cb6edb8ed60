"""What a life event ends: pure rules over plain facts (no session, no clock).

A binding ends by itself, with its reason, when either side's enrollment ends or leaves the payer's scope (N-6,
D-5, LC-5): a death ends every binding of the person; a move ends those whose two sides are no longer within the
scope of the payer's region policy (a city, a province), or whose payer now lives where no bindings are made
(HZ-1); a change of scheme ends the bindings where he pays once he is no longer an employee enrollee (N-1).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from gongji.authorizations.rules import Party
from gongji.policy import AidModel, RegionPolicy
from gongji.terms import EndReason, Scheme, Status


class LifeEventKind(StrEnum):
    DEATH = "death"
    MOVE = "move"
    SCHEME_CHANGE = "scheme_change"

    @property
    def zh(self) -> str:
        return {"death": "死亡", "move": "迁移（转移接续）", "scheme_change": "变更险种"}[self.value]

    @property
    def en(self) -> str:
        return {"death": "death", "move": "move to another pooling area", "scheme_change": "change of scheme"}[
            self.value]


@dataclass(frozen=True)
class Outcome:
    ended: bool
    reason: EndReason | None = None


KEEPS = Outcome(False)


def binding_after(kind: LifeEventKind, *, payer: Party, beneficiary: Party, payer_policy: RegionPolicy) -> Outcome:
    """Whether an open binding survives ``kind`` happening to one of its sides; both parties as they are after it.

    ``payer_policy`` is the policy of the payer's region after the event (he may have moved)."""
    if kind is LifeEventKind.DEATH:
        return Outcome(True, EndReason.DEATH)
    if payer.status is Status.TERMINATED or beneficiary.status is Status.TERMINATED:
        return Outcome(True, EndReason.MOVED if kind is LifeEventKind.MOVE else EndReason.SCHEME_CHANGED)
    if payer.scheme is not Scheme.EMPLOYEE:
        return Outcome(True, EndReason.SCHEME_CHANGED)
    if payer_policy.aid_model is not AidModel.BINDING:
        return Outcome(True, EndReason.MOVED)
    if not payer_policy.geographic_scope.contains(payer.region_code, beneficiary.region_code):
        return Outcome(True, EndReason.MOVED)
    return KEEPS
