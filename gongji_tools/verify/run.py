"""The verification run: load, faults, and the verdict.

:func:`run` is ``gongji verify``: a world in a database of its own (a throwaway PostgreSQL cluster, or a SQLite
file), ``gongji serve`` in front of it, K client processes sending operations for T seconds while the nemesis
kills the server and stops the database, a grace period in which the clients resolve what they could not know,
and the checker. :func:`run_in_process` is the same clients and checker without processes: threads sending through
the application in this process, with a lossy link that drops requests and answers at random (the part of a crash
that a client sees). The tests use both.
"""

from __future__ import annotations

import json
import random
import secrets
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path

from sqlalchemy import func, select

from gongji.db import Database
from gongji.env import Env
from gongji.ledger.models import LedgerEntry
from gongji_tools.cluster.autofailover import AutoFailoverCluster
from gongji_tools.verify import checker
from gongji_tools.verify.client import Client, HttpSender, Outcome, Request, client_process
from gongji_tools.verify.cluster import ThrowawayCluster
from gongji_tools.verify.nemesis import Faults, Nemesis, Server
from gongji_tools.verify.world import Cast, build


@dataclass
class Options:
    database: str = "postgresql"  # postgresql (a throwaway cluster) | sqlite (a file)
    clients: int = 6
    seconds: float = 60.0
    kills: int = 4
    db_restarts: int = 1
    people: int = 300
    workers: int = 2
    seed: int = 7
    grace: float = 60.0
    min_operations: int = 0  # per client: the load goes on past ``seconds`` (into the grace) until each sent these
    folder: Path | None = None
    pg_bin: str | None = None
    cluster: bool = False  # a pg_auto_failover group (monitor, primary, synchronous standby) instead of one server
    failovers: int = 3  # with cluster: times the primary's node is killed and the standby promoted


@dataclass
class Summary:
    database: str
    clients: int
    seconds: float
    operations: dict[str, dict[str, int]]  # kind -> outcome -> count
    total: int
    retries: int
    replayed: int
    unknown: int
    kills: int
    db_restarts: int
    checks: dict[str, int]
    violations: list[str]
    faults: list[str] = field(default_factory=list)
    folder: str = ""
    failovers: list[dict] = field(default_factory=list)  # each: killed_at, promoted_s, rejoined_s, first_settled_s

    @property
    def ok(self) -> bool:
        return not self.violations

    @classmethod
    def of(cls, verdict: checker.Verdict, *, database: str, clients: int, seconds: float, faults: Faults,
           folder: Path) -> Summary:
        operations: dict[str, dict[str, int]] = {}
        for (kind, outcome), count in sorted(verdict.operations.items()):
            operations.setdefault(kind, {"ok": 0, "fail": 0, "unknown": 0})[outcome] = count
        return cls(database=database, clients=clients, seconds=seconds, operations=operations,
                   total=sum(verdict.operations.values()), retries=verdict.retries, replayed=verdict.replayed,
                   unknown=sum(c for (_, o), c in verdict.operations.items() if o == "unknown"),
                   kills=faults.kills, db_restarts=faults.db_restarts, checks=verdict.checks,
                   violations=[str(v) for v in verdict.violations], faults=faults.log, folder=str(folder),
                   failovers=first_settlements(folder, faults.failover_times))

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), ensure_ascii=False, indent=1))


def first_settlements(folder: Path, failovers: list[dict]) -> list[dict]:
    """Each failover with ``first_settled_s``: seconds from the kill of the primary to the first settlement (or aid)
    acknowledged after it, read from the clients' logs (None if none was)."""
    kinds: dict[tuple[str, int], str] = {}
    settled: list[float] = []
    for path in folder.glob("client-*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            if record["event"] == "invoke":
                kinds[(path.name, record["op"])] = record["kind"]
            elif record["event"] == "ok" and kinds.get((path.name, record["op"])) in ("settle", "aid"):
                settled.append(record["t"])
    settled.sort()
    out = []
    for failover in failovers:
        after = next((t for t in settled if t > failover["killed_at"]), None)
        out.append({**failover, "first_settled_s": None if after is None else round(after - failover["killed_at"], 2)})
    return out


def free_ports(count: int) -> int:
    """The first of ``count`` consecutive free ports on 127.0.0.1."""
    for _ in range(200):
        first = random.randrange(20_000, 60_000)
        try:
            for port in range(first, first + count):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", port))
            return first
        except OSError:
            continue
    raise RuntimeError(f"no {count} consecutive free ports found")


def last_entry_id(db: Database) -> int:
    return db.read(lambda s: s.execute(select(func.coalesce(func.max(LedgerEntry.id), 0))).scalar_one())


def _verdict(db: Database, folder: Path, cast: Cast, run_id: str, since_entry_id: int) -> checker.Verdict:
    """The checker's verdict on the logs, and the whole reconciliation of the database (``gongji reconcile``):
    a difference it finds (a settlement's entry that does not match its parts, a day's totals) is a violation."""
    from gongji.reconcile import reconcile

    ops = checker.read_logs(folder)
    verdict = db.read(lambda s: checker.check(s, ops, run_id=run_id, admin_id=cast.admin_id,
                                              baseline_fen=cast.baseline_fen, since_entry_id=since_entry_id))
    report = reconcile(db)
    verdict.checks["reconcile"] = len(report.checks)
    for found in report.checks:
        for difference in found.differences:
            verdict.violations.append(checker.Violation(
                "reconcile", f"{found.key}: {difference.what}: expected {difference.expected}, found "
                             f"{difference.found} {difference.unit} ({difference.rows})"))
    return verdict


def run(options: Options, say: Callable[[str], None] = print) -> Summary:
    """The whole run; the summary's ``violations`` are empty when every check held."""
    folder = Path(options.folder or tempfile.mkdtemp(prefix="gongji-verify-"))
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("client-*.jsonl"):
        old.unlink()
    run_id = secrets.token_hex(4)
    cluster = group = None
    if options.cluster:
        # A folder of its own in /tmp (not the run's, which may be private to root): the nodes' user must reach it.
        group = AutoFailoverCluster(Path(tempfile.mkdtemp(prefix="gongji-verify-af-")), port=free_ports(4),
                                    bindir=options.pg_bin)
        group.up(say=lambda line: say(f"  {line}"))
        url = group.url
        say(f"PostgreSQL: a pg_auto_failover group, monitor on port {group.port} ({group.folder}); {url}")
    elif options.database == "postgresql":
        cluster = ThrowawayCluster(options.pg_bin)
        cluster.__enter__()
        url = cluster.url
        say(f"PostgreSQL: a throwaway cluster on port {cluster.port} ({cluster.root})")
    elif options.database == "sqlite":
        path = folder / "verify.sqlite3"
        path.unlink(missing_ok=True)
        url = f"sqlite:///{path}"
        say(f"SQLite: {path}")
    else:
        raise ValueError(f"unknown database {options.database!r}: postgresql or sqlite")
    server = None
    try:
        db = Database(url)
        db.upgrade()
        server_key = secrets.token_hex(24)
        started = time.perf_counter()
        cast = build(db, Env(), people=options.people, seed=options.seed, server_key=server_key.encode())
        cast.save(folder / "cast.json")
        since = last_entry_id(db)
        say(f"world: {len(cast.patients)} patients, {len(cast.aided)} beneficiaries, {len(cast.bindings)} bindings, "
            f"{len(cast.institutions)} institutions ({time.perf_counter() - started:.1f} s)")
        server = Server(url, workers=options.workers if options.database == "postgresql" or group else 1,
                        server_key=server_key, log_path=folder / "server.log")
        server.start()
        say(f"gongji serve on {server.base_url}; {options.clients} clients for {options.seconds:.0f} s, "
            f"{options.kills} kills, {options.db_restarts if cluster else 0} database stops"
            + (f", {options.failovers} failovers" if group else ""))
        begin = time.time() + 2
        stop_at, give_up_at = begin + options.seconds, begin + options.seconds + options.grace
        context = get_context("spawn")
        processes = [context.Process(target=client_process, name=f"verify-client-{n}", args=(
            n, options.clients, str(folder / "cast.json"), server.base_url, str(folder / f"client-{n}.jsonl"),
            options.seed, run_id, stop_at, give_up_at, options.min_operations)) for n in range(options.clients)]
        for process in processes:
            process.start()
        time.sleep(max(0.0, begin - time.time()))
        nemesis = Nemesis(server, cluster, seconds=options.seconds, kills=options.kills,
                          db_restarts=options.db_restarts, seed=options.seed, group=group,
                          failovers=options.failovers)
        nemesis.start()
        nemesis.join()
        if nemesis.error is not None:
            raise RuntimeError(f"the nemesis failed: {nemesis.error}") from nemesis.error
        for line in nemesis.faults.log:
            say(f"  {line}")
        for process in processes:
            process.join()
            if process.exitcode != 0:
                raise RuntimeError(f"{process.name} ended with {process.exitcode}")
        server.stop()
        server = None
        verdict = _verdict(db, folder, cast, run_id, since)
        db.dispose()
        summary = Summary.of(verdict, database="cluster" if group else options.database, clients=options.clients, seconds=options.seconds,
                             faults=nemesis.faults, folder=folder)
        summary.save(folder / "verify.json")
        return summary
    finally:
        if server is not None:
            server.kill()
        if cluster is not None:
            cluster.__exit__(None, None, None)
        if group is not None:
            group.down(remove=True)


# -- in this process --------------------------------------------------------------------------------

class LossyLink:
    """Loses a share of requests before they arrive and of answers after the work is done, as a crash would."""

    def __init__(self, send: Callable[[Request, str], Outcome], *, loss: float, seed: int) -> None:
        self.send, self.loss = send, loss
        self.rng = random.Random(seed)
        self.lock = threading.Lock()

    def __call__(self, request: Request, key: str) -> Outcome:
        with self.lock:
            draw = self.rng.random()
        if draw < self.loss / 2:
            return Outcome(None, error="request lost")
        outcome = self.send(request, key)
        if draw < self.loss:
            return Outcome(None, error="answer lost")
        return outcome


@dataclass
class InProcessRun:
    """What :func:`run_in_process` did, and the means to check it again (the tests tamper, then check)."""

    verdict: checker.Verdict
    cast: Cast
    run_id: str
    since_entry_id: int
    folder: Path

    def check(self, session, ops: list[checker.Op] | None = None) -> checker.Verdict:
        return checker.check(session, checker.read_logs(self.folder) if ops is None else ops, run_id=self.run_id,
                             admin_id=self.cast.admin_id, baseline_fen=self.cast.baseline_fen,
                             since_entry_id=self.since_entry_id)


def run_in_process(db: Database, folder: Path, *, clients: int = 3, seconds: float = 5.0, loss: float = 0.2,
                   people: int = 120, seed: int = 11, operations: int = 0) -> InProcessRun:
    """Threads through the application in this process, over a lossy link, for ``seconds`` and until each client sent
    ``operations`` (so that a busy machine does as many); the checker's verdict."""
    from fastapi.testclient import TestClient

    from gongji.api.app import create_app
    from gongji.api.settings import ApiSettings

    folder.mkdir(parents=True, exist_ok=True)
    env = Env()
    server_key = secrets.token_bytes(24)
    cast = build(db, env, people=people, seed=seed, server_key=server_key)
    since = last_entry_id(db)
    run_id = secrets.token_hex(4)
    app = create_app(db, env, ApiSettings(server_key=server_key, notify_sender=None))
    stop_at = time.time() + seconds
    errors: list[BaseException] = []

    def one(n: int) -> None:
        try:
            with TestClient(app, raise_server_exceptions=False) as http:
                link = LossyLink(HttpSender("", cast, http=http), loss=loss, seed=seed + n)
                Client(n, clients, cast, link, folder / f"client-{n}.jsonl", seed, run_id).run(
                    stop_at, stop_at + 30 + 5 * operations, operations)
        except BaseException as error:  # noqa: BLE001 - raised below
            errors.append(error)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return InProcessRun(_verdict(db, folder, cast, run_id, since), cast, run_id, since, folder)
