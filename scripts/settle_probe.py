"""A quick probe of settlement cost through the service layer, with pgbench as the physical reference.

    .venv/bin/python scripts/settle_probe.py sqlite 1 1000      # database, clients, settlements
    .venv/bin/python scripts/settle_probe.py postgres 8 2000    # needs the local PostgreSQL (creates gongji_probe)
    .venv/bin/python scripts/settle_probe.py sqlite 1 1000 http # the same over HTTP: signed requests to `gongji serve`
    GONGJI_PROBE_WORKERS=2 .venv/bin/python scripts/settle_probe.py postgres 8 2000 http   # two server processes

200 payer–child pairs in Beijing (national default); every fourth bill is a child's, paid by mutual aid.
Prints throughput and p50 / p99 latency after a warm-up of ten settlements per client, the CPU each settlement
cost the probe, the server (over HTTP) and PostgreSQL, and (in-process) the SQL statements per settlement. A rough
probe, not the benchmark harness (`gongji bench`).
"""

from __future__ import annotations

import http.client
import json
import os
import resource
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
from sqlalchemy import create_engine, event, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gongji.actors import Actor  # noqa: E402
from gongji.auth import service as auth  # noqa: E402
from gongji.auth.signing import InstitutionAuth, signed_headers  # noqa: E402
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
                               "--port", str(port), "--no-notify", "--workers", os.environ.get("GONGJI_PROBE_WORKERS", "1")],
                              env=env)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    # The probe's clock is 2025-06-02; the server's is the real one: sign with the server's.
    return server, base, InstitutionAuth("H11010100001", secret)


def _cpu_seconds(server_pid: int | None) -> tuple[float, float, float]:
    """CPU seconds so far of this process, of the server process, and of the PostgreSQL backends serving the probe's
    database (Linux /proc; the server's background writers are not counted)."""
    tick = os.sysconf("SC_CLK_TCK")

    def of(pid: int | str) -> float:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            return 0.0

    postgres, parents = 0.0, {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                if (entry / "comm").read_text().startswith("postgres") and b" gongji_probe " in (
                        entry / "cmdline").read_bytes():
                    postgres += of(entry.name)
            except (OSError, ValueError, IndexError):
                pass
    server = {server_pid} if server_pid else set()
    while grown := {pid for pid, parent in parents.items() if parent in server} - server:  # its worker processes
        server |= grown
    return time.process_time(), sum(of(pid) for pid in server), postgres


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
            # http.client with one kept-alive connection per client: a light client leaves the CPU to the server.
            if not hasattr(local, "client"):
                local.client = http.client.HTTPConnection(base.removeprefix("http://"))
            body = json.dumps({"patient_id_number": patient.id_number, "amount_fen": 1_234,
                               "use": "outpatient"}).encode()
            headers = signed_headers(auth.code, auth.secret, "POST", "/v1/settlements", body)
            local.client.request("POST", "/v1/settlements", body=body, headers={
                **headers, "Idempotency-Key": f"probe-{n}", "Content-Type": "application/json"})
            r = local.client.getresponse()
            answer = r.read()
            assert r.status == 201, answer
        else:
            world.settle(patient, 1_234, institution="H11010100001", key=f"probe-{n}")
        latencies.append(time.perf_counter() - started)

    with ThreadPoolExecutor(clients) as pool:  # warm up: connections, prepared statements, caches
        list(pool.map(one, range(count, count + 10 * clients)))
    latencies.clear()
    statements = [0]
    if not over_http:
        event.listen(db.engine, "before_cursor_execute", lambda *_: statements.__setitem__(0, statements[0] + 1))
    cpu = _cpu_seconds(server.pid if server is not None else None)
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, range(count)))
    elapsed = time.perf_counter() - started
    cpu = [after - before for after, before in zip(_cpu_seconds(server.pid if server is not None else None), cpu,
                                                   strict=True)]
    latencies.sort()
    if server is not None:
        server.terminate()
        server.wait()
    print(f"{kind}{' over HTTP' if over_http else ''}, {clients} client(s), {count} settlements: {count / elapsed:.0f}/s, "
          f"p50 {latencies[len(latencies) // 2] * 1000:.1f} ms, p99 {latencies[int(len(latencies) * 0.99)] * 1000:.1f} ms")
    per = 1000 / count
    print(f"  CPU per settlement: probe {cpu[0] * per:.2f} ms"
          + (f", server {cpu[1] * per:.2f} ms" if server is not None else "")
          + (f", PostgreSQL {cpu[2] * per:.2f} ms" if kind == "postgres" else "")
          + (f"; {statements[0] / count:.1f} statements per settlement (BEGIN and COMMIT not counted on PostgreSQL)"
             if statements[0] else ""))
    if kind == "postgres":
        subprocess.run(["pgbench", "-i", "-q", "-h", "127.0.0.1", "-U", "postgres", "gongji_probe"],
                       capture_output=True, check=True)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        bench = subprocess.Popen(["pgbench", "-h", "127.0.0.1", "-U", "postgres", "-c", str(clients), "-j", "2",
                                  "-T", "10", "gongji_probe"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1)  # the backends' CPU is read while they live: from 1 s to 9 s into the run
        cpu, at = _cpu_seconds(None)[2], time.perf_counter()
        time.sleep(8)
        backends = (_cpu_seconds(None)[2] - cpu) / (time.perf_counter() - at)
        out, err = bench.communicate()
        if bench.returncode:
            raise RuntimeError(err)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        tps = next(line for line in out.splitlines() if line.startswith("tps"))
        rate = float(tps.split()[2])
        transactions = int(next(line for line in out.splitlines() if "transactions actually processed" in line)
                           .split(":")[1].split("/")[0])
        client = (after.ru_utime + after.ru_stime - children.ru_utime - children.ru_stime) / transactions
        print(f"pgbench tpcb-like, {clients} client(s): {tps}")
        print(f"  CPU per transaction: pgbench {client * 1000:.2f} ms, PostgreSQL {backends / rate * 1000:.2f} ms")
    db.dispose()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), len(sys.argv) > 4 and sys.argv[4] == "http")
