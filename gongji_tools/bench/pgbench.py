"""PostgreSQL's own ``pgbench`` (built-in tpcb-like script) against the server Gongji uses, as the physical reference.

A tpcb-like transaction updates an account, a teller and a branch, reads the account and appends to a history: the
cost of one small banking transaction on this machine. It runs in a database of its own (``<name>_pgbench``) next to
the benchmark's, with the same number of clients, and is dropped afterwards.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from gongji.db import normalize_url

#: Branches in pgbench's tables: at least as many as clients, so that they do not all queue on one branch row.
SCALE = 10


class PgbenchUnavailable(RuntimeError):
    pass


@dataclass(frozen=True)
class PgbenchResult:
    clients: int
    seconds: int
    scale: int
    tps: float
    latency_ms: float
    transactions: int
    command: str


def _connection_args(url: str) -> tuple[list[str], dict[str, str]]:
    parsed = make_url(url)
    args = ["-h", parsed.host or "127.0.0.1", "-p", str(parsed.port or 5432), "-U", parsed.username or "postgres"]
    env = {"PGPASSWORD": parsed.password} if parsed.password else {}
    return args, env


def run_pgbench(url: str, *, clients: int, seconds: int, scale: int = SCALE) -> PgbenchResult:
    """Initialise pgbench's tables at ``scale`` in a database of its own on ``url``'s server, run tpcb-like."""
    if shutil.which("pgbench") is None:
        raise PgbenchUnavailable("pgbench is not installed (Debian: postgresql-client)")
    import os

    admin_url = normalize_url(url)
    name = f"{make_url(admin_url).database}_pgbench"
    admin = create_engine(make_url(admin_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    args, extra_env = _connection_args(admin_url)
    env = {**os.environ, **extra_env}
    try:
        subprocess.run(["pgbench", "-i", "-q", "-s", str(scale), *args, name], check=True, capture_output=True,
                       env=env, timeout=600)
        command = ["pgbench", "-b", "tpcb-like", "-c", str(clients), "-j", str(min(clients, os.cpu_count() or 2)),
                   "-T", str(seconds), *args, name]
        done = subprocess.run(command, check=True, capture_output=True, text=True, env=env, timeout=seconds + 600)
    except subprocess.CalledProcessError as error:
        raise PgbenchUnavailable(f"pgbench failed: {error.stderr.strip()[:500]}") from None
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return parse(done.stdout, clients=clients, seconds=seconds, scale=scale, command=" ".join(command))


def parse(output: str, *, clients: int, seconds: int, scale: int, command: str) -> PgbenchResult:
    """Read pgbench's summary: ``tps = 1234.5 (without initial connection time)``, latency, transactions."""
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", output)
    latency = re.search(r"latency average = ([\d.]+) ms", output)
    count = re.search(r"number of transactions actually processed: (\d+)", output)
    if tps is None:
        raise PgbenchUnavailable(f"pgbench printed no tps line: {output[-500:]}")
    return PgbenchResult(clients=clients, seconds=seconds, scale=scale, tps=float(tps.group(1)),
                         latency_ms=float(latency.group(1)) if latency else 0.0,
                         transactions=int(count.group(1)) if count else 0, command=command)
