"""What the HTTP layer adds to a settlement, counted in one process: no network, no client library, no server.

    .venv/bin/python scripts/http_probe.py                 # 20,000 people on SQLite, 300 settlements each way
    .venv/bin/python scripts/http_probe.py 300 --top 40    # and the 40 functions the HTTP layer calls most
    GONGJI_PROBE_PEOPLE=100000 .venv/bin/python scripts/http_probe.py 500

The same kind of bills (gongji bench's workload, refunds left out) are settled twice in one process, on a synthetic
population in a temporary SQLite file: through the service layer (``Database.run`` and ``settlement.settle``, as the
benchmark's service phase does), then as signed ``POST /v1/settlements`` requests handed straight to the ASGI
application (``create_app()``, its middleware, routing, dependencies, signature, nonce, stored answer and the worker
thread the endpoint runs in). For each it prints the processor time per settlement and the Python function calls
per settlement (calls and resumed coroutines, counted with ``sys.setprofile``; on the HTTP side the event loop's and
the worker thread's apart). Processor time moves with whatever else the machine does; the call counts do not, which
is what makes them the measure to compare before and after a change on a busy machine (docs/performance.md, "The
HTTP layer's cost"). A probe, not the benchmark (``gongji bench --mode http``).
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
import random
import secrets
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("GONGJI_LOG_LEVEL", "WARNING")
os.environ.setdefault("GONGJI_SQLITE_SYNCHRONOUS", "NORMAL")  # the disk is not what is measured
os.environ["GONGJI_SECRET_KEY"] = SERVER_KEY = secrets.token_hex(16)
os.environ["GONGJI_NOTIFY_SENDER"] = ""

from gongji import logs  # noqa: E402
from gongji.actors import Actor  # noqa: E402
from gongji.api.app import create_app  # noqa: E402
from gongji.api.settings import ApiSettings  # noqa: E402
from gongji.auth import service as auth  # noqa: E402
from gongji.auth.signing import signed_headers  # noqa: E402
from gongji.db import Database  # noqa: E402
from gongji.env import Env  # noqa: E402
from gongji.settlement import service as settlement  # noqa: E402
from gongji_tools.bench.population import load_population  # noqa: E402
from gongji_tools.bench.workload import REFUND, Mix  # noqa: E402

WARM_UP = 30


class Calls:
    """Python calls (and coroutine resumptions) by thread, and by function on the HTTP side."""

    def __init__(self) -> None:
        self.loop = self.worker = 0
        self.by_function: collections.Counter = collections.Counter()
        self.main = threading.get_ident()
        self.on = False  # counting only while the settlement is made, not while the probe makes the request

    def __call__(self, frame, event, arg) -> None:
        if event != "call" or not self.on:
            return
        code = frame.f_code
        where = code.co_filename.rsplit("site-packages/", 1)[-1]
        if threading.get_ident() == self.main:
            self.loop += 1
            self.by_function[("loop", where, code.co_name)] += 1
        else:
            self.worker += 1
            self.by_function[("worker", where, code.co_name)] += 1


def bills(mix: Mix):
    while True:
        op = mix.next()
        mix.done(op, None)
        if op.kind != REFUND:
            yield op


def service(db: Database, mix: Mix, n: int, run: str) -> tuple[float, Calls]:
    env = Env()
    ops = bills(mix)

    calls = Calls()

    def one(i: int) -> None:
        op = next(ops)
        calls.on = True
        db.run(lambda s: settlement.settle(s, env, institution_code=op.institution, patient_id_number=op.patient,
                                           amount_fen=op.amount_fen, use=op.use, idempotency_key=f"{run}-s{i}"))
        calls.on = False

    for i in range(WARM_UP):
        one(-1 - i)
    started = time.process_time()
    sys.setprofile(calls)
    for i in range(n):
        one(i)
    sys.setprofile(None)
    return (time.process_time() - started) / n, calls


async def over_asgi(app, secrets_: dict[str, str], mix: Mix, n: int, run: str) -> tuple[float, Calls, dict]:
    import anyio.to_thread

    ops, statuses, calls = bills(mix), collections.Counter(), Calls()

    async def one(i: int) -> None:
        op = next(ops)
        body = json.dumps({"patient_id_number": op.patient, "amount_fen": op.amount_fen, "use": op.use}).encode()
        key = f"{run}-h{i}"
        signed = signed_headers(op.institution, secrets_[op.institution], "POST", "/v1/settlements", body,
                                idempotency_key=key)
        headers = [(b"host", b"probe"), (b"content-type", b"application/json"),
                   (b"content-length", str(len(body)).encode()), (b"idempotency-key", key.encode()),
                   *((name.lower().encode(), value.encode()) for name, value in signed.items())]
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
                 "scheme": "http", "path": "/v1/settlements", "raw_path": b"/v1/settlements", "root_path": "",
                 "query_string": b"", "headers": headers, "client": ("127.0.0.1", 40000),
                 "server": ("127.0.0.1", 8000), "state": {}}
        pending = [{"type": "http.request", "body": body, "more_body": False}]

        async def receive():
            return pending.pop() if pending else {"type": "http.disconnect"}

        async def send(message):
            if message["type"] == "http.response.start":
                statuses[message["status"]] += 1

        calls.on = True
        await app(scope, receive, send)
        calls.on = False

    for i in range(WARM_UP):
        await one(-1 - i)
    statuses.clear()
    sys.setprofile(calls)
    threading.setprofile(calls)
    for _ in range(8):  # the worker threads that already run take the profile too
        await anyio.to_thread.run_sync(sys.setprofile, calls)
    calls.loop = calls.worker = 0
    calls.by_function.clear()
    started = time.process_time()
    for i in range(n):
        await one(i)
    sys.setprofile(None)
    threading.setprofile(None)
    for _ in range(8):
        await anyio.to_thread.run_sync(sys.setprofile, None)
    return (time.process_time() - started) / n, calls, dict(statuses)


def main(argv: list[str]) -> None:
    n = int(argv[0]) if argv and argv[0].isdigit() else 300
    top = int(argv[argv.index("--top") + 1]) if "--top" in argv else 0
    people = int(os.environ.get("GONGJI_PROBE_PEOPLE", "20000"))
    with tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite:///{folder}/probe.sqlite3")
        db.upgrade()
        roster = load_population(db, people, seed=2025, today=Env().today())
        codes = [code for places in roster.institutions.values() for code in places.values()]
        secrets_ = {code: db.run(lambda s, code=code: auth.issue_institution_secret(
            s, Env(), server_key=SERVER_KEY.encode(), code=code, actor=Actor.system("probe"))) for code in codes}
        run = secrets.token_hex(4)
        cpu_s, calls_s = service(db, Mix(roster, random.Random(7)), n, run)
        logs.configure()
        app = create_app(db, Env.from_environ(), ApiSettings.from_env())
        cpu_h, calls_h, statuses = asyncio.run(over_asgi(app, secrets_, Mix(roster, random.Random(11)), n, run))
        db.dispose()
    print(f"{people:,} people on SQLite, {n} settlements each way; load average {os.getloadavg()[0]:.2f}")
    print(f"service layer : {cpu_s * 1000:6.2f} ms processor time, {calls_s.loop / n:6.0f} Python calls a settlement")
    print(f"over ASGI     : {cpu_h * 1000:6.2f} ms processor time, {(calls_h.loop + calls_h.worker) / n:6.0f} "
          f"Python calls a settlement ({calls_h.loop / n:.0f} in the event loop, {calls_h.worker / n:.0f} in the "
          f"worker thread); answers {statuses}")
    for (side, where, name), count in calls_h.by_function.most_common(top):
        print(f"  {count / n:7.1f}  {side:6}  {where}:{name}")


if __name__ == "__main__":
    main(sys.argv[1:])
