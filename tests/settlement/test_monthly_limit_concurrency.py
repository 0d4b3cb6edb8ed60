"""PP-1 under concurrent bills on both databases: eight bills of one relative at once never take more than the
payer's monthly limit from him (the month's payments are read under the payer's account lock)."""

from __future__ import annotations

from datetime import date

from gongji.authorizations import changes
from gongji.ledger import service as ledger
from tests.settlement.test_concurrency import run_all


def test_pp_1_concurrent_bills_of_one_relative_stay_within_the_limit(world):
    world.institution("H11010100001", city="beijing")
    payer = world.person("周父", city="beijing", born=date(1970, 1, 1), current_fen=100_000)
    child = world.person("周子", city="beijing", born=date(2000, 1, 1), scheme="resident")
    binding_id = world.bind(payer, child, "child")
    world.run(lambda s, env: changes.set_monthly_limit(s, env, binding_id=binding_id, monthly_limit_fen=10_000,
                                                       actor=payer.actor))
    results = run_all([(lambda n=n: world.settle(child, 3_000, institution="H11010100001", key=f"m{n}"))
                       for n in range(8)])
    assert sum(r.mutual_aid_fen for r in results) == 10_000
    assert sorted(r.mutual_aid_fen for r in results)[-4:] == [1_000, 3_000, 3_000, 3_000]
    assert world.total(payer) == 90_000 and world.db.read(ledger.check).ok
