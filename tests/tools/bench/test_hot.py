"""The benchmark's hot-payer phase: relatives settling at once on one payer's account lose no update and overdraw
nothing (N-1, N-9: balances never negative, every payment a balanced posting)."""

from __future__ import annotations

from gongji.env import Env
from gongji.ledger import service as ledger
from gongji_tools.bench import hot


def test_relatives_settling_at_once_on_one_payer_lose_nothing(world):
    world.institution()
    family = hot.make_family(world.db, Env(), region_code="230100", institution="H23010100001", relatives=6)
    assert family.start_fen == hot.PAYER_FEN and len(family.relatives) == 6
    done = hot.run_phase(world.db.url, family, seconds=0.5, seed=3, minimum=4)
    assert dict(done.result.errors) == {}
    assert done.result.by_kind["hot"] >= 6 * 4 and done.result.mutual_aid == done.result.by_kind["hot"]
    assert done.paid_fen > 0 and done.lost_fen == 0 and done.overdrawn == 0
    assert done.end_fen == family.start_fen - done.paid_fen
    assert world.db.read(ledger.check).ok
