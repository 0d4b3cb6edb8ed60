"""Group commit (gongji_tools/bench/group.py): concurrent settlements in one transaction keep every invariant: each paid once,
none overdrawn, the ledger balanced, a refused one leaving nothing and failing no other.

Rules: N-1, N-9 (balances never negative; every payment a balanced posting), N-10 (a retried request never pays twice).
"""

from __future__ import annotations

import threading
import time
from datetime import date

import pytest
from sqlalchemy import text

from gongji.errors import GongjiError
from gongji.ledger import service as ledger
from gongji.settlement import service as settlement
from gongji_tools.bench.group import GroupCommit

ADULT = date(1975, 5, 1)
CHILD = date(2000, 5, 1)
HOSPITAL = "H11010100001"


def hot_family(world, relatives: int, *, payer_fen: int = 1_000_000):
    """A payer bound to ``relatives`` children without accounts of their own (residents): his account pays all."""
    world.institution(HOSPITAL, city="beijing")
    payer = world.person("王父", city="beijing", born=ADULT, current_fen=payer_fen)
    children = []
    for n in range(relatives):
        child = world.person(f"王子{n}", city="beijing", born=CHILD, scheme="resident")
        world.bind(payer, child, "child")
        children.append(child)
    return payer, children


def bill(world, patient, amount: int, key: str):
    return lambda s: settlement.settle(s, world.env, institution_code=HOSPITAL, patient_id_number=patient.id_number,
                                       amount_fen=amount, use="outpatient", idempotency_key=key)


def grouped(world, group: GroupCommit, calls: list) -> list:
    """Run ``calls`` from threads of their own: the first holds its group open until all the others have queued,
    so that they form the second group. Returns each call's result or error, in order."""
    gate = threading.Event()
    outcomes: list = [None] * len(calls)

    def first(s):
        gate.wait(30)
        return calls[0](s)

    def call(n, fn):
        try:
            outcomes[n] = group.run(fn)
        except Exception as exc:  # noqa: BLE001 - the test looks at it
            outcomes[n] = exc

    threads = [threading.Thread(target=call, args=(0, first))]
    threads[0].start()
    while not group._running:
        time.sleep(0.005)
    threads += [threading.Thread(target=call, args=(n, fn)) for n, fn in enumerate(calls[1:], start=1)]
    for thread in threads[1:]:
        thread.start()
    deadline = time.monotonic() + 30
    while len(group._queue) < len(calls) - 1 and time.monotonic() < deadline:
        time.sleep(0.005)
    gate.set()
    for thread in threads:
        thread.join(60)
    return outcomes


def paid_total(world, payer) -> int:
    return world.total(payer)


def test_concurrent_settlements_share_a_transaction_and_each_pays_once(world):
    """N-1, N-9, N-10: eight bills on one account, seven of them in one group: all paid, from the payer's one
    account, as much as the bills; the same key twice in a group pays once."""
    payer, children = hot_family(world, 7)
    group = GroupCommit(world.db)
    calls = [bill(world, child, 1_000 + n, f"hot-{n}") for n, child in enumerate(children)]
    calls.append(bill(world, children[0], 1_000, "hot-0"))  # a retry of the first, in the second group
    outcomes = grouped(world, group, calls)
    assert all(not isinstance(o, Exception) for o in outcomes), outcomes
    assert (group.groups, group.members) == (2, 8)
    assert outcomes[-1].settlement_id == outcomes[0].settlement_id and outcomes[-1].replayed
    paid = sum(o.mutual_aid_fen for o in outcomes[:-1])
    assert paid == sum(1_000 + n for n in range(7))
    assert paid_total(world, payer) == 1_000_000 - paid
    assert world.db.read(lambda s: s.execute(text("SELECT count(*) FROM settlements")).scalar_one()) == 7
    assert world.db.read(ledger.check).ok


def test_a_refused_settlement_in_a_group_leaves_nothing_and_fails_no_other(world):
    """N-9: a refusal (an unknown patient) is its caller's alone: rolled back to its savepoint, its key not kept."""
    payer, children = hot_family(world, 3)
    group = GroupCommit(world.db)
    unknown = lambda s: settlement.settle(  # noqa: E731
        s, world.env, institution_code=HOSPITAL, patient_id_number="11010519491231002X", amount_fen=500,
        use="outpatient", idempotency_key="nobody")
    calls = [bill(world, children[0], 700, "a"), unknown, bill(world, children[1], 800, "b"),
             bill(world, children[2], 900, "c")]
    outcomes = grouped(world, group, calls)
    assert isinstance(outcomes[1], GongjiError) and outcomes[1].code == "PERSON_NOT_FOUND"
    assert [o.mutual_aid_fen for o in (outcomes[0], outcomes[2], outcomes[3])] == [700, 800, 900]
    assert paid_total(world, payer) == 1_000_000 - 2_400
    keys = world.db.read(lambda s: s.execute(text("SELECT key FROM idempotency_records ORDER BY key")).scalars().all())
    assert "nobody" not in keys
    assert world.db.read(ledger.check).ok


def test_a_database_error_in_a_group_runs_the_others_alone(world):
    """N-9: a member whose statement the database refuses fails alone; the others are settled each on its own."""
    payer, children = hot_family(world, 2)
    group = GroupCommit(world.db)

    def broken(s):
        s.execute(text("INSERT INTO people (id) VALUES (NULL)"))  # NOT NULL: refused

    calls = [bill(world, children[0], 700, "a"), broken, bill(world, children[1], 800, "b")]
    outcomes = grouped(world, group, calls)
    assert not isinstance(outcomes[0], Exception) and not isinstance(outcomes[2], Exception), outcomes
    assert isinstance(outcomes[1], Exception)
    assert paid_total(world, payer) == 1_000_000 - 1_500
    assert world.db.read(lambda s: s.execute(text("SELECT count(*) FROM settlements")).scalar_one()) == 2
    assert world.db.read(ledger.check).ok


@pytest.mark.parametrize("threads", [12])
def test_many_threads_on_one_account_overdraw_nothing(world, threads):
    """N-1: more asked than the payer holds, from many threads at once through groups: never below zero, and what
    was paid is what left his account."""
    payer, children = hot_family(world, threads, payer_fen=20_000)
    group = GroupCommit(world.db)
    results: list = []
    lock = threading.Lock()

    def client(n, child):
        for i in range(4):
            done = group.run(bill(world, child, 1_000, f"t-{n}-{i}"))
            with lock:
                results.append(done)

    workers = [threading.Thread(target=client, args=(n, c)) for n, c in enumerate(children)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
    assert len(results) == threads * 4
    paid = sum(r.mutual_aid_fen for r in results)
    assert paid == 20_000 and paid_total(world, payer) == 0  # 48 bills of 10 yuan, 200 yuan held
    assert sum(r.cash_fen for r in results) == threads * 4 * 1_000 - 20_000
    assert group.members == threads * 4
    assert world.db.read(ledger.check).ok
