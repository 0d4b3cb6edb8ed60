"""Settlement on both databases: who pays, idempotency, refunds (N-3, N-4, N-10, HN-4, HN-5, WL-1, SZ-1)."""

from __future__ import annotations

import pytest

from gongji.errors import GongjiError
from gongji.ledger import service as ledger
from gongji.settlement import service as settlement


def test_n_10_own_account_first_then_payer_then_cash(world):
    """N-10: own account pays first, the payer what remains, cash the rest."""
    world.institution()
    payer = world.person("张建国", current_fen=30_000)
    patient = world.person("张丽", born=__import__("datetime").date(1995, 1, 1), sex="F", current_fen=1_000)
    world.bind(payer, patient, "child")
    result = world.settle(patient, 50_000)
    assert (result.own_fen, result.mutual_aid_fen, result.cash_fen) == (1_000, 30_000, 19_000)
    assert [(line.payer_id, line.amount_fen, line.is_own) for line in result.lines] == [
        (patient.id, 1_000, True), (payer.id, 30_000, False)]
    assert world.total(patient) == 0 and world.total(payer) == 0
    assert world.db.read(ledger.check).ok


def test_same_key_returns_first_result_and_moves_no_more_money(world):
    world.institution()
    patient = world.person(current_fen=10_000)
    first = world.settle(patient, 4_000, key="visit-1")
    again = world.settle(patient, 4_000, key="visit-1")
    assert again.replayed and again.settlement_id == first.settlement_id
    assert world.total(patient) == 6_000
    with pytest.raises(GongjiError) as refused:
        world.settle(patient, 4_001, key="visit-1")
    assert refused.value.code == "IDEMPOTENCY_KEY_REUSED"
    assert world.total(patient) == 6_000
