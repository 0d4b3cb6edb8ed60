"""Time the batch jobs on a synthetic population: monthly crediting and the year-end roll-over.

    .venv/bin/python scripts/batch_probe.py postgres 1000000   # needs the local PostgreSQL (creates gongji_batchprobe)
    .venv/bin/python scripts/batch_probe.py sqlite 1000000     # a SQLite file in a temporary folder
    .venv/bin/python scripts/batch_probe.py postgres 1000000 --chunk-size 20000 --keep

Seeds N employees quickly with INSERT ... SELECT (generate_series on PostgreSQL, a recursive CTE on SQLite) into
people, enrollments and accounts (two funds each), in six regions; about 2% suspended, 1% terminated, a quarter
retired, and every balance opened by one entry per region so the ledger checks. Then times `credit-month`
(2026-12, on 15 December 2026), a second run of it (nothing left to do), and `year-end 2026` (on 2 January
2027), checks the ledger, and drops the database (unless --keep). Prints seconds per job and, on PostgreSQL on
this machine, the CPU seconds the server's processes spent on it (the machine may be shared: CPU time is the
steadier figure; on an idle machine with N cores, N workers take about CPU / N seconds).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gongji.batch import runner  # noqa: E402
from gongji.batch.crediting import credit_month  # noqa: E402
from gongji.batch.year_end import year_end  # noqa: E402
from gongji.clock import FixedClock  # noqa: E402
from gongji.db import Database, normalize_url  # noqa: E402
from gongji.env import Env  # noqa: E402
from gongji.ledger import service as ledger  # noqa: E402
from gongji.policy import load_policies  # noqa: E402

ADMIN = os.environ.get("GONGJI_PROBE_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
NAME = "gongji_batchprobe"
#: Harbin, Zhengzhou, Shenzhen, Hangzhou, Ulanqab, Beijing (national default).
REGIONS = ("230100", "410100", "440300", "330100", "150900", "110100")


def seed_sql(dialect: str, n: int) -> list[str]:
    """Statements that load ``n`` employees (ids 1..n) with their enrollments and accounts."""
    if dialect == "postgresql":
        series = f"generate_series(1::bigint, {n}::bigint) AS g(x)"
        pad = "lpad(x::text, 12, '0')"
        now = "now()"
        region = "(ARRAY['" + "','".join(REGIONS) + "'])[x % 6 + 1]"
        true, false = "true", "false"
    else:
        series = f"(WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < {n}) SELECT x FROM s)"
        pad = "printf('%012d', x)"
        now = "'2026-12-01 00:00:00.000000'"
        region = "CASE x % 6 " + " ".join(f"WHEN {i} THEN '{code}'" for i, code in enumerate(REGIONS)) + " END"
        true, false = "1", "0"
    return [
        f"INSERT INTO people (id, id_number, name, name_sort_key, birth_date, sex, created_at) "
        f"SELECT x, '230100' || {pad}, '测试', 'ce4 shi4', '1970-01-01', CASE x % 2 WHEN 0 THEN 'F' ELSE 'M' END, "
        f"{now} FROM {series}",
        f"INSERT INTO enrollments (person_id, scheme, region_code, status, status_since, enrolled_on, retired, "
        f"contribution_base_fen) "
        f"SELECT x, 'employee', {region}, CASE WHEN x % 100 < 2 THEN 'suspended' WHEN x % 100 = 2 THEN 'terminated' "
        f"ELSE 'normal' END, '2020-01-01', '2020-01-01', CASE WHEN x % 4 = 0 THEN {true} ELSE {false} END, "
        f"300000 + (x * 7919) % 1500000 FROM {series}",
        f"INSERT INTO accounts (id, person_id, fund, region_code, balance_fen, created_at) "
        f"SELECT 2 * x - 1, x, 'current_year', {region}, (x * 37) % 50000, {now} FROM {series}",
        f"INSERT INTO accounts (id, person_id, fund, region_code, balance_fen, created_at) "
        f"SELECT 2 * x, x, 'prior_years', {region}, (x * 101) % 200000, {now} FROM {series}",
    ]


def seed(db: Database, n: int) -> None:
    """The population, and one opening entry per region so that balances equal their postings."""
    with db.engine.begin() as conn:
        for statement in seed_sql(db.dialect, n):
            conn.execute(text(statement))
        for i, code in enumerate(REGIONS, start=1):
            conn.execute(text("INSERT INTO accounts (id, system_key, fund, region_code, balance_fen, created_at) "
                              "VALUES (:id, :key, 'credits', :code, NULL, '2026-12-01 00:00:00+00')"),
                         {"id": 2 * n + i, "key": f"credits:{code}", "code": code})
            conn.execute(text("INSERT INTO ledger_entries (id, kind, at, \"on\", memo) "
                              "VALUES (:id, 'credit', '2026-12-01 00:00:00+00', '2026-12-01', 'opening balances')"),
                         {"id": i})
            conn.execute(text("INSERT INTO postings (entry_id, account_id, amount_fen, balance_after_fen) "
                              "SELECT :entry, id, balance_fen, balance_fen FROM accounts "
                              "WHERE region_code = :code AND person_id IS NOT NULL AND balance_fen > 0"),
                         {"entry": i, "code": code})
            conn.execute(text("INSERT INTO postings (entry_id, account_id, amount_fen, balance_after_fen) "
                              "SELECT :entry, :source, -SUM(amount_fen), NULL FROM postings WHERE entry_id = :entry"),
                         {"entry": i, "source": 2 * n + i})
        if db.dialect == "postgresql":
            for table in ("people", "accounts", "ledger_entries", "postings"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT MAX(id) FROM {table}))"))
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE" if db.dialect == "postgresql" else "ANALYZE"))
        if db.dialect == "postgresql":
            conn.execute(text("CHECKPOINT"))  # the loading's writes are done before the clock starts


def backend_pids(db: Database, count: int) -> list[int]:
    """Open ``count`` pooled connections (the jobs reuse them) and return their server processes' ids."""
    if db.dialect != "postgresql":
        return []
    connections = [db.engine.connect() for _ in range(count)]
    pids = [conn.execute(text("SELECT pg_backend_pid()")).scalar_one() for conn in connections]
    for conn in connections:
        conn.close()
    return pids


def cpu_seconds(pids: list[int]) -> float | None:
    """CPU time the server processes have used (read from /proc: the server runs on this machine), or None."""
    if not pids:
        return None
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def open_database(kind: str) -> tuple[Database, callable]:
    if kind == "sqlite":
        folder = tempfile.mkdtemp(prefix="gongji-batchprobe-")
        return Database(f"sqlite:///{folder}/probe.sqlite3"), lambda: shutil.rmtree(folder, ignore_errors=True)
    admin = create_engine(normalize_url(ADMIN), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {NAME} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {NAME}"))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {NAME} WITH (FORCE)"))
        admin.dispose()

    return Database(normalize_url(ADMIN).rsplit("/", 1)[0] + f"/{NAME}"), drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", choices=("postgres", "sqlite"))
    parser.add_argument("people", type=int, nargs="?", default=1_000_000)
    parser.add_argument("--chunk-size", type=int, default=runner.DEFAULT_CHUNK_SIZE)
    parser.add_argument("--workers", type=int, default=None, help="chunks side by side (default: the jobs' own)")
    parser.add_argument("--keep", action="store_true", help="keep the database (and print its URL)")
    args = parser.parse_args()

    db, drop = open_database(args.database)
    try:
        db.upgrade()
        started = time.monotonic()
        seed(db, args.people)
        print(f"seed {args.people:,} people on {db.dialect}: {time.monotonic() - started:.1f} s", flush=True)
        clock = FixedClock.on(date(2026, 12, 15))
        env = Env(clock=clock, policies=load_policies())
        for label, job in (("credit-month 2026-12", lambda: credit_month(db, env, "2026-12", chunk_size=args.chunk_size,
                                                                             workers=args.workers)),
                           ("credit-month 2026-12 again", lambda: credit_month(db, env, "2026-12")),
                           ("year-end 2026", lambda: (clock.set(FixedClock.on(date(2027, 1, 2)).now()),
                                                      year_end(db, env, 2026, chunk_size=args.chunk_size,
                                                               workers=args.workers))[1])):
            pids = backend_pids(db, (args.workers or runner.POSTGRES_WORKERS) + 2)
            before = cpu_seconds(pids)
            summary = job()
            after = cpu_seconds(pids)
            server = f", server CPU {after - before:.1f} s" if before is not None and after is not None else ""
            print(f"{label}: {summary.seconds:.2f} s  ({summary.rows_now:,} accounts, "
                  f"{summary.amount_fen_now / 100:,.2f} yuan, {summary.chunks_done_now} chunks of "
                  f"{summary.chunk_size:,}{server})", flush=True)
        started = time.monotonic()
        result = db.read(ledger.check)
        print(f"ledger check: {'ok' if result.ok else 'FAILED'} ({time.monotonic() - started:.1f} s)")
        if args.keep:
            print(f"kept: {db.url}")
    finally:
        db.dispose()
        if not args.keep:
            drop()


if __name__ == "__main__":
    main()
