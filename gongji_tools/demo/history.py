"""A year of the demo's history before its story, through the real services, so that a year can be simulated.

From the population's first day (:data:`HISTORY_START`) to the end of that year: on each of the year's months the
month is credited (``credit-month``, LC-6), then on a few days of the month some of the population's people settle
bills at their city's hospital or pharmacy (outpatient, inpatient, pharmacy: who pays is the settlement's rule, N-10,
HN-4, SZ-1 ...), and now and then a bill is refunded in part (HN-5); after December the year is rolled over
(``year-end``, D-1). The draws come from the demo's seed: the same seed makes the same history.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from gongji.batch.crediting import credit_month
from gongji.batch.year_end import year_end
from gongji.clock import FixedClock
from gongji.db import Database
from gongji.env import Env
from gongji.errors import GongjiError
from gongji.settlement import service as settlement
from gongji.terms import Use
from gongji_tools.demo.population import Population

#: The population is registered on this day; the history runs through the end of its year.
HISTORY_START = date(2024, 1, 2)
#: Days of each month on which bills are settled, and the share of the population settling on each.
DAYS = (5, 12, 19, 26)
SHARE = 0.06
REFUND_SHARE = 0.04


@dataclass(frozen=True)
class History:
    settlements: int
    refunds: int
    months: int


def tell_history(db: Database, env: Env, clock: FixedClock, population: Population, *, seed: int) -> History:
    """Credit, settle, refund month by month from :data:`HISTORY_START` to the end of its year, then roll it over."""
    rng = random.Random(seed * 7 + 1)
    people = [m for m in population.people if m.region_code in population.institutions]
    settled = refunds = 0
    year = HISTORY_START.year
    for month in range(1, 13):
        clock.set(FixedClock.on(date(year, month, 1), hour=1).now())
        credit_month(db, env, f"{year}-{month:02d}")
        for day in DAYS:
            clock.set(FixedClock.on(date(year, month, day), hour=9).now())
            for n, member in enumerate(rng.sample(people, max(1, int(len(people) * SHARE)))):
                clock.advance(seconds=37)
                use = rng.choice((Use.OUTPATIENT,) * 6 + (Use.PHARMACY,) * 3 + (Use.INPATIENT,))
                amount = rng.randint(3_000, 40_000) if use is not Use.INPATIENT else rng.randint(80_000, 900_000)
                place = (population.pharmacy if use is Use.PHARMACY else population.hospital)(member.region_code)
                key = f"history-{year}{month:02d}{day:02d}-{n}"
                try:
                    result = db.run(lambda s, m=member, a=amount, u=use, p=place, k=key: settlement.settle(
                        s, env, institution_code=p.code, patient_id_number=m.id_number, amount_fen=a,
                        use=u.value, idempotency_key=k))
                except GongjiError:  # the rules refuse some (a terminated enrollee, a use the place cannot settle)
                    continue
                settled += 1
                if rng.random() < REFUND_SHARE:
                    clock.advance(seconds=60)
                    db.run(lambda s, r=result, p=place, k=key: settlement.refund(
                        s, env, institution_code=p.code, settlement_id=r.settlement_id, idempotency_key=f"{k}-r",
                        amount_fen=max(1, r.amount_fen // 3), reason="部分退药 part of the drugs returned"))
                    refunds += 1
    clock.set(FixedClock.on(date(year + 1, 1, 1), hour=2).now())
    year_end(db, env, year)
    return History(settlements=settled, refunds=refunds, months=12)
