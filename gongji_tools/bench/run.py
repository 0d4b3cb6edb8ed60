"""``gongji bench``: load a population, run the workload through the service layer and over HTTP, run pgbench in the
same run, time the batch jobs, check the ledger, and write the reports.

The benchmark never touches the configured database itself: on PostgreSQL it creates ``<database>_bench`` on the same
server (dropped at the end unless ``--keep``); on SQLite it writes ``bench-<people>.sqlite3`` in the report folder.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from datetime import date
from multiprocessing import get_context
from pathlib import Path

import httpx
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from gongji.actors import Actor
from gongji.auth import service as auth
from gongji.clock import FixedClock
from gongji.db import Database, normalize_url
from gongji.env import Env
from gongji.ledger import service as ledger
from gongji_tools.bench import pgbench as pgbench_
from gongji_tools.bench.population import Roster, load_population
from gongji_tools.bench.report import Phase, Report, Target, machine
from gongji_tools.bench.workload import ClientResult, http_clients, service_client


@dataclass(frozen=True)
class Options:
    url: str  # the configured database: its server (PostgreSQL) or its kind (SQLite)
    people: int
    clients: int = 8
    seconds: int = 30
    modes: tuple[str, ...] = ("service", "http")
    workers: int = 2  # server processes for the HTTP phase
    servers: tuple[str, ...] = ("uvicorn",)  # an HTTP phase on each (gongji serve --server), one after the other
    pgbench: bool = True
    batch: bool = True
    hot_relatives: int = 50  # the hot-payer phase: relatives settling at once on one payer's account (0: none)
    breakdown: bool = True  # one client's settlements timed: Python, PostgreSQL, waiting (gongji_tools.bench.breakdown)
    seed: int = 2025
    report_dir: Path = Path("bench-results")
    keep: bool = False
    command: str = ""


def bench_url(options: Options) -> str:
    """Where this run's population goes: a database of its own, never the configured one.

    On PostgreSQL it is made through the server's ``postgres`` database, so the configured one need not exist yet.
    """
    url = normalize_url(options.url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        options.report_dir.mkdir(parents=True, exist_ok=True)
        path = options.report_dir.resolve() / f"bench-{options.people}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    name = f"{parsed.database}_bench"
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


def drop(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{parsed.database}{suffix}").unlink(missing_ok=True)
        return
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
    admin.dispose()


def run(options: Options, console: Console) -> Report:
    options.report_dir.mkdir(parents=True, exist_ok=True)
    url = bench_url(options)
    db = Database(url)
    dialect = db.engine.dialect.name
    try:
        return _run(options, console, db, url, dialect)
    finally:
        db.dispose()
        if not options.keep:
            drop(url)


def _run(options: Options, console: Console, db: Database, url: str, dialect: str) -> Report:
    db.upgrade()
    with db.engine.connect() as conn:
        version = conn.execute(text("SELECT version()" if dialect == "postgresql" else "SELECT 'SQLite ' || "
                                    "sqlite_version()")).scalar_one()
    report = Report(database=dialect, people=options.people, machine=machine(version.split(",")[0]), load={},
                    command=options.command, load_average={"start": list(os.getloadavg())})
    today = Env().today()

    with _progress(console) as progress:
        task = progress.add_task(f"载入 loading {options.people:,} people", total=options.people)
        roster = load_population(db, options.people, seed=options.seed, today=today,
                                 progress=lambda n: progress.update(task, completed=n))
    report.load = roster.summary()
    roster_path = options.report_dir.resolve() / f"roster-{dialect}-{options.people}.json"
    roster.save(roster_path)
    console.print(f"载入完成 loaded: {roster.people:,} people, {roster.bindings:,} bindings in {roster.seconds} s")

    pg = dialect == "postgresql" and options.pgbench
    if pg:
        _pgbench(report, options, url, "before", console)
    if "service" in options.modes:
        report.phases.append(_service_phase(options, url, roster_path, console))
        if options.breakdown:
            report.breakdown = _breakdown(options, url, roster_path, console)
        if options.hot_relatives:
            report.phases.extend(_hot_phases(options, db, url, roster, console))
    if "http" in options.modes:
        for server in options.servers:  # the first is "http", the others "http-<server>"
            name = "http" if server == options.servers[0] else f"http-{server}"
            report.phases.append(_http_phase(options, db, url, roster, roster_path, console, server=server,
                                             name=name))
    if pg:
        _pgbench(report, options, url, "after", console)
    if options.batch:
        report.batch = _batch(db, console, today)
    report.ledger = _check(db, console)
    report.targets = targets(report)
    report.load_average["end"] = list(os.getloadavg())
    roster_path.unlink(missing_ok=True)
    return report


def _progress(console: Console) -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, transient=False)


def _pgbench(report: Report, options: Options, url: str, when: str, console: Console) -> None:
    console.print(f"pgbench tpcb-like, {options.clients} clients, {options.seconds} s ({when})")
    try:
        result = pgbench_.run_pgbench(url, clients=options.clients, seconds=options.seconds)
    except pgbench_.PgbenchUnavailable as error:
        console.print(f"[yellow]pgbench: {error}[/]")
        return
    report.pgbench.append({**asdict(result), "when": when})
    console.print(f"  {result.tps:,.1f} TPS")


def _service_phase(options: Options, url: str, roster_path: Path, console: Console) -> Phase:
    """``clients`` processes, each a client calling the service layer through Database.run."""
    console.print(f"服务层 service layer: {options.clients} clients, {options.seconds} s")
    start_at = time.time() + 4 + 0.5 * options.clients  # every process has imported and connected by then
    run_id = secrets.token_hex(4)
    total = ClientResult()
    with ProcessPoolExecutor(max_workers=options.clients, mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(service_client, url, str(roster_path), options.seconds, options.seed + 100 * i,
                               start_at, run_id, i) for i in range(options.clients)]
        for future in futures:
            total.merge(future.result())
    phase = Phase.of("service", options.clients, options.seconds, total)
    _say(console, phase)
    return phase


def _breakdown(options: Options, url: str, roster_path: Path, console: Console) -> dict:
    """One client, one settlement after another: its time split into Python, PostgreSQL and waiting."""
    from gongji_tools.bench.breakdown import run_breakdown

    seconds = max(4.0, min(options.seconds, 20))
    console.print(f"一笔结算的时间 one settlement's time: one client, {seconds:.0f} s")
    data = run_breakdown(url, str(roster_path), seconds=seconds, seed=options.seed + 999,
                         run_id=secrets.token_hex(4))
    for mode, b in data.items():
        console.print(f"  {mode}: {b['per_second']:,.1f} /s, {b['wall_ms']} ms each: Python {b['python_ms']} ms, "
                      f"PostgreSQL {b.get('postgresql_ms', '–')} ms, waiting {b['waiting_ms']} ms")
    return data


def _hot_phases(options: Options, db: Database, url: str, roster: Roster, console: Console) -> list[Phase]:
    """One payer, ``hot_relatives`` relatives settling on his account at once (:mod:`gongji_tools.bench.hot`): a
    transaction each, then the same with concurrent settlements grouped into one transaction (group commit)."""
    from gongji_tools.bench import hot

    region = sorted(roster.institutions)[0]
    family = hot.make_family(db, Env(), region_code=region, institution=roster.institutions[region]["hospital"],
                             relatives=options.hot_relatives)
    phases = []
    for name, grouped in (("hot-payer", False), ("hot-payer grouped", True)):
        console.print(f"热点共济人 {name}: {options.hot_relatives} relatives settling at once on one account, "
                      f"{options.seconds} s" + (", concurrent settlements in one transaction" if grouped else ""))
        done = hot.run_phase(url, family, seconds=options.seconds, seed=options.seed + grouped, grouped=grouped)
        phase = Phase.of(name, options.hot_relatives, done.seconds, done.result, overdrawn=done.overdrawn,
                         lost_fen=done.lost_fen)
        _say(console, phase)
        console.print(f"  paid {done.paid_fen:,} fen from the payer; accounts below zero {done.overdrawn}; "
                      f"lost {done.lost_fen} fen")
        phases.append(phase)
    return phases


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tree(pid: int) -> set[int]:
    """A process and its descendants."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                parents[int(entry.name)] = int(fields[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, changed = {pid}, True
    while changed:
        changed = False
        for child, parent in parents.items():
            if parent in tree and child not in tree:
                tree.add(child)
                changed = True
    return tree


#: Clock ticks per second of /proc/<pid>/stat's times.
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _tree_cpu_s(pid: int) -> float:
    """The processor time (user and system) a process and its descendants have spent so far, in seconds."""
    ticks = 0
    for member in _tree(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            continue
    return ticks / _TICKS


def _tree_rss_mb(pid: int) -> tuple[float, float]:
    """The resident memory of a process and its descendants: (sum, largest single process), in MB."""
    sizes = []
    for member in _tree(pid):
        try:
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    sizes.append(int(line.split()[1]) / 1024)
        except OSError:
            continue
    return (sum(sizes), max(sizes, default=0.0))


def _http_phase(options: Options, db: Database, url: str, roster: Roster, roster_path: Path,
                console: Console, *, server: str = "uvicorn", name: str = "http") -> Phase:
    """``gongji serve --server <server>`` with ``workers`` processes, and ``clients`` concurrent signed HTTP clients
    in one process. Beside the figures of the clients it tells the processor time the server's processes spent per
    operation, which a machine busy with other work changes far less than it changes latencies."""
    server_key = secrets.token_hex(16)
    codes = [code for places in roster.institutions.values() for code in places.values()]
    system = Actor.system("bench")
    secrets_ = {code: db.run(lambda s, code=code: auth.issue_institution_secret(
        s, Env(), server_key=server_key.encode(), code=code, actor=system)) for code in codes}
    port = _free_port()
    env = {**os.environ, "GONGJI_SECRET_KEY": server_key, "GONGJI_LOG_LEVEL": "WARNING", "GONGJI_METRICS": "on"}
    process = subprocess.Popen(
        [sys.executable, "-m", "gongji.cli.main", "--database-url", url, "serve", "--port", str(port),
         "--workers", str(options.workers), "--no-notify", "--no-migrate", "--server", server],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, process)
        console.print(f"HTTP: gongji serve --server {server} --workers {options.workers}, {options.clients} clients, "
                      f"{options.seconds} s")
        start_at = time.time() + 3
        with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
            future = pool.submit(http_clients, base, str(roster_path), secrets_, options.clients, options.seconds,
                                 options.seed + 7, start_at, secrets.token_hex(4))
            peak_total = peak_one = 0.0
            cpu_from = cpu_to = None
            while not future.done():
                if time.time() >= start_at:
                    if cpu_from is None:
                        cpu_from = _tree_cpu_s(process.pid)
                    total, one = _tree_rss_mb(process.pid)
                    peak_total, peak_one = max(peak_total, total), max(peak_one, one)
                    if time.time() < start_at + options.seconds:
                        cpu_to = _tree_cpu_s(process.pid)
                time.sleep(0.5)
            result = future.result()
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
    done = len(result.latencies)
    cpu_ms = (round((cpu_to - cpu_from) * 1000 / done, 2) if done and cpu_from is not None and cpu_to is not None
              else None)
    phase = Phase.of(name, options.clients, options.seconds, result, server_rss_mb=round(peak_total, 1),
                     server_cpu_ms=cpu_ms, client_cpu_ms=round(result.cpu_s * 1000 / done, 2) if done else None)
    _say(console, phase)
    console.print(f"  server memory: {peak_total:.0f} MB in all, {peak_one:.0f} MB the largest process; processor "
                  f"time per operation: server {phase.server_cpu_ms} ms, client {phase.client_cpu_ms} ms")
    return phase


#: How long the HTTP phase waits for ``gongji serve`` to answer /readyz (its workers import the application first,
#: which takes far longer on a machine busy with other work than on an idle one).
READY_WAIT_S = 180.0


def _wait_ready(base: str, server: subprocess.Popen) -> None:
    deadline = time.time() + READY_WAIT_S
    while time.time() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gongji serve stopped: {server.stderr.read().decode()[-2000:]}")
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gongji serve did not become ready within {READY_WAIT_S:.0f} s")


def _say(console: Console, phase: Phase) -> None:
    errors = sum(phase.errors.values())
    console.print(f"  {phase.throughput:,.1f} ops/s, p50 {phase.p50_ms} ms, p95 {phase.p95_ms} ms, "
                  f"p99 {phase.p99_ms} ms, {phase.operations:,} operations, {errors} errors {phase.errors or ''}")


def _batch(db: Database, console: Console, today: date) -> dict:
    """Monthly crediting of every employee, then the year-end roll-over, timed (when the batch jobs are there)."""
    from gongji.batch.crediting import credit_month
    from gongji.batch.year_end import year_end

    jobs = {}
    period = f"{today:%Y-%m}"
    started = time.perf_counter()
    summary = credit_month(db, Env(), period)
    jobs[f"credit-month {period}"] = {"seconds": round(time.perf_counter() - started, 2), "rows": summary.rows_now,
                                       "chunks": summary.chunks}
    year_end_env = Env(clock=FixedClock.on(date(today.year + 1, 1, 1), hour=1))
    started = time.perf_counter()
    summary = year_end(db, year_end_env, today.year)
    jobs[f"year-end {today.year}"] = {"seconds": round(time.perf_counter() - started, 2), "rows": summary.rows_now,
                                      "chunks": summary.chunks}
    for name, job in jobs.items():
        console.print(f"{name}: {job['seconds']} s")
    return jobs


def _check(db: Database, console: Console) -> dict:
    started = time.perf_counter()
    result = db.read(ledger.check)
    data = {"ok": result.ok, "total_fen": result.total_fen, "negative": len(result.negative_accounts),
            "mismatches": len(result.balance_mismatches), "unbalanced": len(result.unbalanced_entries),
            "seconds": round(time.perf_counter() - started, 2)}
    console.print(f"账本检查 ledger check: {'ok' if result.ok else 'FAILED'} {data}")
    return data


def targets(report: Report) -> list[Target]:
    """The issue's targets, as far as this run measured them."""
    out = []
    ref = report.pgbench_tps
    service, http = report.phase("service"), report.phase("http")
    if report.database == "postgresql":
        if service:
            ratio = service.throughput / ref if ref else None
            out.append(Target("service layer, PostgreSQL", "≥ 0.5 × pgbench, p99 ≤ 20 ms",
                              f"{ratio:.3f} × pgbench, p99 {service.p99_ms} ms" if ratio else f"p99 {service.p99_ms} ms",
                              None if ratio is None else ratio >= 0.5 and service.p99_ms <= 20))
        if http:
            ratio = http.throughput / ref if ref else None
            out.append(Target("HTTP, PostgreSQL", "≥ 0.25 × pgbench, p99 ≤ 50 ms",
                              f"{ratio:.3f} × pgbench, p99 {http.p99_ms} ms" if ratio else f"p99 {http.p99_ms} ms",
                              None if ratio is None else ratio >= 0.25 and http.p99_ms <= 50))
        for name, job in report.batch.items():
            out.append(Target(f"{name} ({report.people:,} people)", "< 20 s", f"{job['seconds']} s",
                              job["seconds"] < 20 if report.people >= 1_000_000 else None))
    else:
        best = max((p.throughput for p in report.phases if not p.name.startswith("hot-payer")), default=0.0)
        out.append(Target("settlements, SQLite", "≥ 1,000 / s", f"{best:,.1f} / s", best >= 1000))
    for hot in (report.phase("hot-payer"), report.phase("hot-payer grouped")):
        if not hot:
            continue
        grouped = " (grouped)" if hot.name.endswith("grouped") else ""
        out.append(Target(f"one hot payer, {hot.clients} relatives at once{grouped}", "≥ 500 / s, none overdrawn",
                          f"{hot.throughput:,.1f} / s, p99 {hot.p99_ms} ms, {hot.overdrawn} overdrawn, "
                          f"{hot.lost_fen} fen lost",
                          hot.throughput >= 500 and hot.overdrawn == 0 and hot.lost_fen == 0))
    rss = [p.server_rss_mb for p in report.phases if p.server_rss_mb is not None]
    if rss:
        out.append(Target("server memory under load", "< 300 MB resident", f"{max(rss):.0f} MB", max(rss) < 300))
    out.append(Target("money invariants after the run", "ledger check ok", "ok" if report.ledger.get("ok") else
                      "failed", bool(report.ledger.get("ok"))))
    return out


def growth(reports: list[Report]) -> Target | None:
    """p99 at the largest population within 1.5 × the p99 at the smallest (service layer)."""
    phases = [(r.people, r.phase("service")) for r in reports if r.phase("service")]
    if len(phases) < 2:
        return None
    (small, first), (large, last) = min(phases, key=lambda x: x[0]), max(phases, key=lambda x: x[0])
    ratio = last.p99_ms / first.p99_ms if first.p99_ms else float("inf")
    return Target(f"p99 growth {small:,} → {large:,} people", "≤ 1.5 ×",
                  f"{first.p99_ms} → {last.p99_ms} ms ({ratio:.2f} ×)", ratio <= 1.5)
