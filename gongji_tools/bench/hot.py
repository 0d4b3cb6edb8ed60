"""The hot-payer phase of ``gongji bench``: one account paying for many relatives who settle at the same moment.

A payer with a large balance is bound to ``relatives`` beneficiaries who have no account of their own (resident
scheme), so that every bill of theirs is paid by mutual aid from the one payer's account: the row every settlement
locks (PostgreSQL) or waits for the write lock to change (SQLite). One thread per relative settles small bills
for the phase's seconds through the service layer. The phase reports settlements per second and the latencies, and
checks after it that the payer's balance is what it was less what the settlements took from it, and never below
zero (the CHECK on the row holds it; the check here would see a lost update).

The family is written like the rest of the synthetic population: people registered and credited through the
services, the bindings written straight into their table (the benchmark measures settling, not the binding rules).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from gongji.actors import Actor
from gongji.authorizations.models import Binding
from gongji.db import Database
from gongji.env import Env
from gongji.errors import GongjiError
from gongji.ledger.models import Account
from gongji.people import service as people
from gongji.people.models import Person
from gongji_tools.bench.population import id_number
from gongji_tools.bench.workload import ClientResult

HOT = Actor.system("bench-hot")
PAYER_FEN = 500_000_000  # 5,000,000 yuan: enough that the phase never runs the payer dry
BILL_FEN = (100, 2_000)


@dataclass
class HotFamily:
    payer_id: int
    payer_id_number: str
    relatives: list[str]  # ID numbers
    institution: str
    region_code: str
    start_fen: int


@dataclass
class HotResult:
    result: ClientResult
    paid_fen: int  # what the settlements took from the payer
    end_fen: int  # the payer's balance after the phase
    overdrawn: int  # personal accounts below zero after the phase
    lost_fen: int = 0  # start - paid - end: not zero means an update was lost
    seconds: float = 0.0  # how long the phase took (at least its seconds: each relative settles its minimum)


def _free_number(taken: set[str], region: str, birth: date, seq: int) -> str:
    while True:
        number = id_number(f"{region}{birth:%Y%m%d}{seq % 1000:03d}")
        seq += 1
        if number not in taken:
            taken.add(number)
            return number


def make_family(db: Database, env: Env, *, region_code: str, institution: str, relatives: int = 50) -> HotFamily:
    """Register the payer and his relatives, credit the payer, and bind them (see the module)."""
    today = env.today()
    with db.engine.connect() as conn:
        taken = set(conn.execute(select(Person.id_number).where(
            Person.id_number.like(f"{region_code}19%"))).scalars())
    payer_number = _free_number(taken, region_code, date(1958, 3, 3), 901)
    relative_numbers = [_free_number(taken, region_code, date(1980 + n % 25, 1 + n % 12, 1 + n % 28), 911 + 7 * n)
                        for n in range(relatives)]

    def write(s):
        payer = people.register(s, env, id_number=payer_number, name="热点共济人", scheme="employee",
                                region_code=region_code, actor=HOT)
        ids = [people.register(s, env, id_number=number, name=f"亲属{n:02d}", scheme="resident",
                               region_code=region_code, actor=HOT).id for n, number in enumerate(relative_numbers)]
        return payer.id, ids

    payer_id, relative_ids = db.run(write)
    db.run(lambda s: people.credit(s, env, id_number=payer_number, amount_fen=PAYER_FEN, actor=HOT,
                                   idempotency_key=f"bench-hot-{payer_number}", memo="bench hot payer"))
    policy = env.policy(region_code)

    def bind(s):
        now = env.now()
        for relative_id in relative_ids:
            s.add(Binding(payer_id=payer_id, beneficiary_id=relative_id, relationship="child",
                          start_on=today - timedelta(days=40), end_on=None, priority=1, family_id=None,
                          region_code=region_code, channel="portal", agreement_version=policy.agreement_version,
                          agreement_accepted_at=now, operator_kind="person", operator_id=str(payer_id),
                          created_at=now))
        s.flush()

    db.run(bind)
    return HotFamily(payer_id, payer_number, relative_numbers, institution, region_code, _balance(db, payer_id))


def _balance(db: Database, person_id: int) -> int:
    # int(): PostgreSQL's SUM of a bigint is a numeric, which reaches Python as a Decimal
    return int(db.read(lambda s: s.execute(select(func.coalesce(func.sum(Account.balance_fen), 0))
                                           .where(Account.person_id == person_id)).scalar_one()))


def run_phase(url: str, family: HotFamily, *, seconds: float, seed: int, minimum: int = 1,
              grouped: bool = False) -> HotResult:
    """One thread per relative settling through the service layer for ``seconds`` (and at least ``minimum`` bills
    each, however slow the machine); the check after it. ``grouped``: the threads' settlements go through one
    :class:`gongji_tools.bench.group.GroupCommit` (concurrent settlements share a transaction and its COMMIT)."""
    import random

    from gongji.settlement import service as settlement
    from gongji_tools.bench.group import GroupCommit

    db = Database(url, pool_size=len(family.relatives) + 2)
    start_fen = _balance(db, family.payer_id)  # a phase before this one may have paid from it
    run = GroupCommit(db).run if grouped else db.run
    env = Env()
    results = [ClientResult() for _ in family.relatives]
    paid = [0] * len(family.relatives)
    start = threading.Barrier(len(family.relatives) + 1)
    deadline: list[float] = []

    def client(n: int, number: str) -> None:
        rng = random.Random(seed * 1_000 + n)
        result = results[n]
        start.wait()
        i = 0
        while i < minimum or time.perf_counter() < deadline[0]:
            i += 1
            began = time.perf_counter()
            try:
                done = run(lambda s, i=i: settlement.settle(
                    s, env, institution_code=family.institution, patient_id_number=number,
                    amount_fen=rng.randrange(*BILL_FEN), use="outpatient", idempotency_key=f"hot-{seed}-{n}-{i}"))
                paid[n] += done.mutual_aid_fen
                result.mutual_aid += done.mutual_aid_fen > 0
            except GongjiError as error:
                result.errors[error.code] += 1
            except Exception as error:  # noqa: BLE001 - counted and reported, never hidden
                result.errors[type(error).__name__] += 1
            result.latencies.append(time.perf_counter() - began)
            result.by_kind["hot"] += 1

    threads = [threading.Thread(target=client, args=(n, number), name=f"hot-{n}")
               for n, number in enumerate(family.relatives)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    deadline.append(began + seconds)
    start.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    total = ClientResult()
    for result in results:
        total.merge(result)
    end = _balance(db, family.payer_id)
    overdrawn = db.read(lambda s: s.execute(select(func.count()).select_from(Account)
                                            .where(Account.balance_fen < 0)).scalar_one())
    db.dispose()
    taken = sum(paid)
    return HotResult(total, taken, end, overdrawn, lost_fen=start_fen - taken - end, seconds=elapsed)
