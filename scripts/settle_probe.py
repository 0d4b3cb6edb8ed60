"""A quick probe of settlement cost through the service layer, with pgbench as the physical reference.

    .venv/bin/python scripts/settle_probe.py sqlite 1 1000      # database, clients, settlements
    .venv/bin/python scripts/settle_probe.py postgres 8 2000    # needs the local PostgreSQL (creates gongji_probe)
    .venv/bin/python scripts/settle_probe.py sqlite 1 1000 http # the same over HTTP: signed requests to `gongji serve`

200 payer–child pairs in Beijing (national default); every fourth bill is a child's, paid by mutual aid.
Prints throughput and p50 / p99 latency. A rough probe, not the benchmark harness (`gongji bench`, to come).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gongji.actors import Actor  # noqa: E402
from gongji.auth import service as auth  # noqa: E402
from gongji.auth.signing import InstitutionAuth  # noqa: E402
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


def serve(db: Database, world: World):
    """`gongji serve` on the probe's database in its own process, and a signer for the probe's hospital."""
    key = "probe-server-key"
    secret = world.run(lambda s, env: auth.issue_institution_secret(s, env, server_key=key.encode(),
                                                                    code="H11010100001", actor=Actor.system("probe")))
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "GONGJI_SECRET_KEY": key, "GONGJI_LOG_LEVEL": "WARNING"}
    server = subprocess.Popen([sys.executable, "-m", "gongji.cli.main", "--database-url", db.url, "serve",
                               "--port", str(port), "--no-notify"], env=env)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    # The probe's clock is 2025-06-02; the server's is the real one: sign with the server's.
    return server, base, InstitutionAuth("H11010100001", secret)


def main(kind: str, clients: int, count: int, over_http: bool = False) -> None:
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
    server = None
    if over_http:
        server, base, auth = serve(db, world)
        local = threading.local()

    def one(n: int) -> None:
        payer, child = pairs[n % len(pairs)]
        patient = child if n % 4 == 0 else payer
        started = time.perf_counter()
        if over_http:
            if not hasattr(local, "client"):
                local.client = httpx.Client(base_url=base, auth=auth)
            r = local.client.post("/v1/settlements", headers={"Idempotency-Key": f"probe-{n}"},
                                  json={"patient_id_number": patient.id_number, "amount_fen": 1_234, "use": "outpatient"})
            assert r.status_code == 201, r.text
        else:
            world.settle(patient, 1_234, institution="H11010100001", key=f"probe-{n}")
        latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, range(count)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    if server is not None:
        server.terminate()
        server.wait()
    print(f"{kind}{' over HTTP' if over_http else ''}, {clients} client(s), {count} settlements: {count / elapsed:.0f}/s, "
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
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), len(sys.argv) > 4 and sys.argv[4] == "http")
