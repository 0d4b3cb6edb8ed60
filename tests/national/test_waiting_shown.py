"""The waiting period's end in 1101's answer (LC-4, NI-2): the standard has no field of its own for it, so it goes
in the extension field of ``baseinfo`` (``exp_content``, a JSON string), as the HIS clients read it."""

from __future__ import annotations

import json
from datetime import date

from tests.national.conftest import institution, person_query
from tests.national.test_lapsed import on, paid


def test_lc_4_1101_tells_the_last_day_of_the_waiting_period_then_of_the_reduced_share(api):
    """LC-4 in Ulanqab: back from September 2026 after five months' break: on 8 December 1101 says the wait ends
    on 28 February 2027; on 2 March 2027 that half the usual share applies until 28 February 2029."""
    his = institution(api, "H15090000001", "乌兰察布市中心医院", city="ulanqab")
    person = api.world.person("刘军", city="ulanqab", current_fen=500_000)
    months = [f"2025-{m:02d}" for m in range(1, 13)] + ["2026-01", "2026-02", "2026-03"]
    months += [f"2026-{m:02d}" for m in range(9, 13)] + [f"2027-{m:02d}" for m in range(1, 4)]
    on(api, date(2026, 12, 8))
    paid(api, person, [m for m in months if m <= "2026-12"])
    base = his.ok("1101", person_query(person))["baseinfo"]
    assert json.loads(base["exp_content"]) == {"trt_wait_end_date": "2027-02-28"}
    on(api, date(2027, 3, 2))
    paid(api, person, [m for m in months if m > "2026-12"])
    base = his.ok("1101", person_query(person))["baseinfo"]
    assert json.loads(base["exp_content"]) == {"pool_share_end_date": "2029-02-28", "pool_share_prop": "0.5000"}


def test_lc_4_1101_of_someone_paid_up_has_no_extension(api):
    his = institution(api, "H15090000001", "乌兰察布市中心医院", city="ulanqab")
    person = api.world.person("张伟", city="ulanqab", current_fen=500_000)
    on(api, date(2026, 12, 8))
    paid(api, person, [f"2026-{m:02d}" for m in range(1, 13)])
    assert "exp_content" not in his.ok("1101", person_query(person))["baseinfo"]
