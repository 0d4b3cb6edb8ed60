"""Concurrent settlements on both databases: no overdraft, no deadlock, one settlement per idempotency key.

Threads each run their own transaction through Database.run, as request handlers do.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date

from sqlalchemy import func, select, text

from gongji.ledger import service as ledger
from gongji.settlement import service as settlement
from gongji.settlement.models import Settlement, SettlementPart

ADULT = date(1970, 1, 1)
CHILD = date(2000, 1, 1)


def run_all(jobs, workers=8):
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(job) for job in jobs]
        return [f.result() for f in futures]


def deadlocks(db) -> int:
    if db.dialect != "postgresql":
        return 0
    with db.engine.connect() as conn:
        return conn.execute(text("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")).scalar()


def test_concurrent_settlements_never_overdraw_a_shared_payer(world):
    """Eight relatives settle at once against one payer: he pays exactly his balance, never more (N-10)."""
    world.institution("H11010100001", city="beijing")
    payer = world.person("周父", city="beijing", born=ADULT, current_fen=10_000)
    children = [world.person(f"周子{i}", city="beijing", born=CHILD, scheme="resident") for i in range(8)]
    for child in children:
        world.bind(payer, child, "child")
    before = deadlocks(world.db)
    jobs = [
        (lambda child=child, n=n: world.settle(child, 3_000, institution="H11010100001", key=f"c{n}"))
        for n, child in enumerate(children * 2)
    ]
    results = run_all(jobs)
    assert sum(r.mutual_aid_fen for r in results) == 10_000
    assert sum(r.mutual_aid_fen + r.cash_fen for r in results) == 16 * 3_000
    assert world.total(payer) == 0
    assert world.db.read(ledger.check).ok
    assert deadlocks(world.db) == before


def test_crossing_payers_do_not_deadlock(world):
    """Two patients share two payers; settlements lock accounts in one global order, so they queue, never deadlock."""
    world.institution("H11010100001", city="beijing")
    a = world.person("甲", city="beijing", born=ADULT, current_fen=1_000_000)
    b = world.person("乙", city="beijing", born=ADULT, sex="F", current_fen=1_000_000)
    x = world.person("丙", city="beijing", born=CHILD, scheme="resident")
    y = world.person("丁", city="beijing", born=CHILD, sex="F", scheme="resident")
    for payer in (a, b):
        for child in (x, y):
            world.bind(payer, child, "child")
    before = deadlocks(world.db)
    jobs = [
        (lambda n=n: world.settle(x if n % 2 else y, 1_500, institution="H11010100001", key=f"d{n}"))
        for n in range(40)
    ]
    results = run_all(jobs)
    assert sum(r.mutual_aid_fen for r in results) == 40 * 1_500
    assert world.total(a) + world.total(b) == 2_000_000 - 60_000
    assert world.db.read(ledger.check).ok
    assert deadlocks(world.db) == before


def test_racing_retries_with_one_key_make_one_settlement(world):
    """A request retried eight times at once with one idempotency key pays once."""
    world.institution()
    patient = world.person(current_fen=100_000)
    results = run_all([
        (lambda: world.settle(patient, 2_500, key="same-visit")) for _ in range(8)
    ])
    assert len({r.settlement_id for r in results}) == 1
    assert sum(not r.replayed for r in results) == 1
    assert world.total(patient) == 97_500
    count = world.db.read(lambda s: s.execute(select(func.count()).select_from(Settlement)).scalar_one())
    assert count == 1


def test_concurrent_partial_refunds_never_exceed_what_was_paid(world):
    """HN-5: refunds racing on one settlement return at most what it paid."""
    world.institution()
    patient = world.person(current_fen=10_000)
    paid = world.settle(patient, 10_000)

    def refund(n):
        try:
            return world.run(lambda s, env: settlement.refund(
                s, env, institution_code="H23010100001", settlement_id=paid.settlement_id, amount_fen=3_000,
                idempotency_key=f"r{n}")).amount_fen
        except Exception as exc:  # the fourth and later refunds are refused
            assert getattr(exc, "code", None) == "REFUND_EXCEEDS_PAID", exc
            return 0

    refunded = run_all([(lambda n=n: refund(n)) for n in range(8)])
    assert sum(refunded) == 9_000
    assert world.total(patient) == 9_000
    parts = world.db.read(lambda s: s.execute(select(SettlementPart.refunded_fen)).scalars().all())
    assert parts == [9_000]
    assert world.db.read(ledger.check).ok


def test_concurrent_refunds_of_a_cash_only_settlement_never_exceed_it(world):
    """HN-5: with no account to lock (all cash), racing refunds still return at most what was paid."""
    world.institution()
    patient = world.person()  # no balance: the whole bill is cash
    paid = world.settle(patient, 10_000)
    assert paid.cash_fen == 10_000

    def refund(n):
        try:
            return world.run(lambda s, env: settlement.refund(
                s, env, institution_code="H23010100001", settlement_id=paid.settlement_id, amount_fen=3_000,
                idempotency_key=f"cash{n}")).amount_fen
        except Exception as exc:
            assert getattr(exc, "code", None) == "REFUND_EXCEEDS_PAID", exc
            return 0

    refunded = run_all([(lambda n=n: refund(n)) for n in range(8)])
    assert sum(refunded) == 9_000
    row = world.db.read(lambda s: s.get(Settlement, paid.settlement_id))
    assert (row.refunded_fen, row.cash_refunded_fen) == (9_000, 9_000)


def test_a_retried_cancellation_racing_the_first_gets_its_answer(world):
    """HN-5, NI-5: a HIS that resends a cancellation while the first is running is answered with the first."""
    world.institution()
    patient = world.person(current_fen=10_000)
    paid = world.settle(patient, 4_000)

    def cancel():
        return world.run(lambda s, env: settlement.cancel(
            s, env, institution_code="H23010100001", settlement_id=paid.settlement_id, idempotency_key="cancel-1"))

    results = run_all([cancel for _ in range(6)], workers=6)
    assert len({r.refund_id for r in results}) == 1
    assert sum(not r.replayed for r in results) == 1
    assert world.total(patient) == 10_000
