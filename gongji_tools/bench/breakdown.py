"""Where one settlement's time goes: Python, PostgreSQL, and waiting (the network, the disk, the other processes).

One client in the benchmark's own process settles bills of the workload's mix (no refunds) one after another through
``Database.run``, on one pooled connection, for a few seconds. Around the run it reads

* the wall-clock time (``time.perf_counter``),
* the CPU time of this process (``time.process_time``): the Python of the service layer, SQLAlchemy and psycopg,
* the CPU time of the PostgreSQL backend serving the connection (``/proc/<pid>/stat``, when the server runs on this
  machine): parsing, planning, executing, the triggers at commit;

and gives each per settlement. What is left of the wall-clock time is waiting: for the write-ahead log to reach the
disk at COMMIT, for locks, for the CPU the neighbours hold, and the round trips themselves. On a machine with other
work the waiting grows and the two CPU figures stay, which is why they are the ones to compare across runs.
"""

from __future__ import annotations

import os
import random
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text

from gongji_tools.bench.workload import REFUND, Mix


def _backend_cpu_s(pid: int | None) -> float | None:
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None  # the server runs elsewhere
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_breakdown(url: str, roster_path: str, *, seconds: float, seed: int, run_id: str) -> dict[str, Any]:
    """Settle one bill after another for ``seconds``; the time of one settlement, split (milliseconds).

    On PostgreSQL half of the time with the settlement's statements pipelined (:mod:`gongji.db.pipeline`: two round
    trips) and half without (each statement, the BEGIN and the COMMIT on their own: four), in quarters ordered
    pipelined, not, not, pipelined, so that the two are compared on the same machine at the same moment."""
    from gongji.db import Database, pipeline
    from gongji.env import Env
    from gongji.errors import GongjiError
    from gongji.settlement import service as settlement
    from gongji_tools.bench.population import Roster

    db = Database(url, pool_size=1)
    env = Env()
    mix = Mix(Roster.load(Path(roster_path)), random.Random(seed))
    modes = ["pipelined", "unpipelined"] if db.dialect == "postgresql" else ["sqlite"]
    totals = {mode: [0, 0, 0.0, 0.0, 0.0] for mode in modes}  # settlements, refused, wall, cpu, backend
    enabled = pipeline.ENABLED
    try:
        pid = None
        if db.dialect == "postgresql":
            pid = db.read(lambda s: s.execute(text("SELECT pg_backend_pid()")).scalar_one())
        for n in range(20):  # warm: statements prepared, caches filled
            _settle(db, env, settlement, mix, f"breakdown-{run_id}-warm-{n}", GongjiError)
        n = 0
        for quarter in range(4 if len(modes) > 1 else 1):
            mode = modes[(0, 1, 1, 0)[quarter] if len(modes) > 1 else 0]  # ABBA: drift falls on both alike
            pipeline.ENABLED = mode != "unpipelined"
            total = totals[mode]
            wall, cpu, backend = time.perf_counter(), time.process_time(), _backend_cpu_s(pid)
            deadline = wall + seconds / (4 if len(modes) > 1 else 1)
            while time.perf_counter() < deadline:
                n += 1
                total[0] += 1
                total[1] += not _settle(db, env, settlement, mix, f"breakdown-{run_id}-{n}", GongjiError)
            total[2] += time.perf_counter() - wall
            total[3] += time.process_time() - cpu
            backend_end = _backend_cpu_s(pid)
            total[4] += (backend_end - backend) if backend is not None and backend_end is not None else float("nan")
        same = pid is None or db.read(lambda s: s.execute(text("SELECT pg_backend_pid()")).scalar_one()) == pid
    finally:
        pipeline.ENABLED = enabled
        db.dispose()
    out: dict[str, Any] = {}
    for mode, (count, refused, wall, cpu, backend) in totals.items():
        per = 1000.0 / max(count, 1)
        row: dict[str, Any] = {"settlements": count, "refused": refused, "seconds": round(wall, 2),
                               "per_second": round(count / wall, 1) if wall else 0.0,
                               "wall_ms": round(wall * per, 3), "python_ms": round(cpu * per, 3)}
        if pid is not None and same and backend == backend:  # not NaN: the backend's CPU was readable
            row["postgresql_ms"] = round(backend * per, 3)
            row["waiting_ms"] = round(row["wall_ms"] - row["python_ms"] - row["postgresql_ms"], 3)
        else:  # SQLite: its work is this process's CPU
            row["waiting_ms"] = round(row["wall_ms"] - row["python_ms"], 3)
        out[mode] = row
    return out


def _settle(db, env, settlement, mix: Mix, key: str, refusal) -> bool:
    op = mix.next()
    while op.kind == REFUND:
        op = mix.next()
    try:
        db.run(lambda s: settlement.settle(s, env, institution_code=op.institution, patient_id_number=op.patient,
                                           amount_fen=op.amount_fen, use=op.use, idempotency_key=key))
    except refusal:
        return False
    return True
