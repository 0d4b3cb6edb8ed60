"""What every service needs besides its session: the clock and the region policies."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

from gongji.clock import Clock, SystemClock, today
from gongji.policy import PolicyBook, RegionPolicy, load_policies

if TYPE_CHECKING:
    from gongji.federation.config import FederationConfig


@dataclass
class Env:
    clock: Clock = field(default_factory=SystemClock)
    policies: PolicyBook = field(default_factory=load_policies)
    #: Which instance this is among provinces and a hub (gongji.federation.config); None: one instance for all.
    federation: FederationConfig | None = None

    @classmethod
    def from_environ(cls) -> Env:
        """As ``gongji serve`` and the operators' commands run: the clock (``GONGJI_CLOCK_START``, else the system's),
        the built-in region policies, the federation file (``GONGJI_FEDERATION``)."""
        from gongji.clock import clock_from_env
        from gongji.federation import config

        return cls(clock=clock_from_env(), policies=load_policies(), federation=config.from_env())

    def now(self) -> datetime:
        return self.clock.now()

    def today(self) -> date:
        return today(self.clock)

    def policy(self, region_code: str) -> RegionPolicy:
        return self.policies.for_region(region_code)
