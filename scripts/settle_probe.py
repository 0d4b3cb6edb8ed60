"""A quick probe of settlement cost through the service layer, with pgbench as the physical reference.

    .venv/bin/python scripts/settle_probe.py sqlite 1 1000      # database, clients, settlements
    .venv/bin/python scripts/settle_probe.py postgres 8 2000    # needs the local PostgreSQL (creates gongji_probe)

200 payer–child pairs in Beijing (national default); every fourth bill is a child's, paid by mutual aid.
Prints throughput and p50 / p99 latency. A rough probe, not the benchmark harness (`gongji bench`, to come).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gongji.clock import FixedClock  # noqa: E402
from gongji.db import Database  # noqa: E402
from gongji.env import Env  # noqa: E402
from gongji.policy import load_policies  # noqa: E402
from tests.factories import World  # noqa: E402

POSTGRES = os.environ.get("GONGJI_PROBE_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def database(kind: str, clients: int) -> Database:
    if kind == "sqlite":
        return Database(f"sqlite:///{tempfile.mkdtemp()}/probe.sqlite3")
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS gongji_probe WITH (FORCE)"))
        conn.execute(text("CREATE DATABASE gongji_probe"))
    return Database(POSTGRES.rsplit("/", 1)[0] + "/gongji_probe", pool_size=clients)


def main(kind: str, clients: int, count: int) -> None:
    db = database(kind, clients)
    db.upgrade()
    world = World(db=db, env=Env(clock=FixedClock.on(date(2025, 6, 2)), policies=load_policies()))
    world.institution("H11010100001", city="beijing")
    pairs = []
    for i in range(200):
        payer = world.person(f"王{i}", city="beijing", born=date(1970, 1, 1), current_fen=10_000_000)
        child = world.person(f"李{i}", city="beijing", born=date(2000, 1, 1), scheme="resident")
        world.bind(payer, child, "child")
        pairs.append((payer, child))
    latencies: list[float] = []

    def one(n: int) -> None:
        payer, child = pairs[n % len(pairs)]
        started = time.perf_counter()
        world.settle(child if n % 4 == 0 else payer, 1_234, institution="H11010100001", key=f"probe-{n}")
        latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, range(count)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    print(f"{kind}, {clients} client(s), {count} settlements: {count / elapsed:.0f}/s, "
          f"p50 {latencies[len(latencies) // 2] * 1000:.1f} ms, p99 {latencies[int(len(latencies) * 0.99)] * 1000:.1f} ms")
    if kind == "postgres":
        subprocess.run(["pgbench", "-i", "-q", "-h", "127.0.0.1", "-U", "postgres", "gongji_probe"],
                       capture_output=True, check=True)
        result = subprocess.run(["pgbench", "-h", "127.0.0.1", "-U", "postgres", "-c", str(clients), "-j", "2",
                                 "-T", "10", "gongji_probe"], capture_output=True, text=True, check=True)
        tps = next(line for line in result.stdout.splitlines() if line.startswith("tps"))
        print(f"pgbench tpcb-like, {clients} client(s): {tps}")
    db.dispose()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
