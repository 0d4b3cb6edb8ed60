"""``gongji verify``: the bank-style verification run on the command line (docs/reliability.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def verify(
    database: Annotated[str, typer.Option("--database", help="postgresql (a throwaway cluster of the run's own) or "
                                                              "sqlite (a file)")] = "postgresql",
    clients: Annotated[int, typer.Option("--clients", min=1, max=64, help="concurrent client processes")] = 6,
    seconds: Annotated[int, typer.Option("--seconds", min=5, max=86_400, help="seconds of load")] = 120,
    kills: Annotated[int, typer.Option("--kills", min=0, max=1_000, help="times the server is killed with SIGKILL")]
    = 6,
    db_restarts: Annotated[int, typer.Option("--db-restarts", min=0, max=100,
                                             help="times PostgreSQL is stopped in immediate mode and started again")]
    = 1,
    people: Annotated[int, typer.Option("--people", min=30, max=100_000, help="size of the population")] = 300,
    workers: Annotated[int, typer.Option("--workers", min=1, max=16, help="server processes (PostgreSQL)")] = 2,
    grace: Annotated[int, typer.Option("--grace", min=5, max=3_600,
                                       help="seconds after the load for clients to resolve unknown operations")] = 60,
    min_operations: Annotated[int, typer.Option("--min-operations", min=0, max=1_000_000,
                                                help="operations each client sends at least, going on past --seconds "
                                                     "(never past the grace) on a slow machine")] = 0,
    seed: Annotated[int, typer.Option("--seed", help="random seed of the population, the clients and the nemesis")]
    = 7,
    folder: Annotated[Path | None, typer.Option("--folder", help="where the clients' logs, the server's log and "
                                                                 "verify.json go (default: a new temporary folder)")]
    = None,
    pg_bin: Annotated[str | None, typer.Option("--pg-bin", help="folder of initdb and pg_ctl")] = None,
    cluster: Annotated[bool, typer.Option("--cluster", help="a pg_auto_failover group of the run's own (monitor, "
                                                            "primary, synchronous standby) whose primary is killed")]
    = False,
    failovers: Annotated[int, typer.Option("--failovers", min=0, max=1_000,
                                           help="with --cluster: times the primary's node is killed (SIGKILL), the "
                                                "standby promoted and the old primary brought back as standby")] = 3,
) -> None:
    """可靠性核验：并发客户端、强杀服务与数据库、逐笔核对 · Verification run: concurrent clients with idempotency
    keys against gongji serve while the server is killed (SIGKILL) and PostgreSQL is stopped in immediate mode; then
    every acknowledged operation must be applied exactly once and the ledger must hold. Exit 1 on any violation."""
    from rich.table import Table
    from rich.text import Text

    from gongji.cli.common import fail, reported_errors, stdout
    from gongji_tools.verify.cluster import ClusterError
    from gongji_tools.verify.run import Options, run

    if database not in ("postgresql", "sqlite"):
        raise fail(f"未知的数据库 {database!r}，请用 postgresql 或 sqlite · unknown database {database!r}: use "
                   f"--database postgresql or sqlite", 2)
    out = stdout()
    options = Options(database=database, clients=clients, seconds=seconds, kills=kills, db_restarts=db_restarts,
                      people=people, workers=workers, seed=seed, grace=grace, min_operations=min_operations,
                      folder=folder, pg_bin=pg_bin, cluster=cluster, failovers=failovers)
    with reported_errors():
        try:
            summary = run(options, say=lambda line: out.print(Text(line)))
        except ClusterError as error:
            raise fail(f"PostgreSQL 临时实例无法启动，请按下列信息处理，或改用 --database sqlite · the throwaway "
                       f"PostgreSQL cluster failed; act on what it printed, or run --database sqlite: {error}") from None
    table = Table(title="操作 operations")
    for column in ("kind", "ok", "failed 拒绝", "unknown 未知"):
        table.add_column(column, justify="right" if column != "kind" else "left")
    for kind, outcomes in summary.operations.items():
        table.add_row(kind, str(outcomes["ok"]), str(outcomes["fail"]), str(outcomes["unknown"]))
    out.print(table)
    out.print(Text(f"操作 operations {summary.total} · 重试 retries {summary.retries} · 重放应答 replayed answers "
                   f"{summary.replayed} · 强杀 kills {summary.kills} · 数据库重启 database stops "
                   f"{summary.db_restarts} · 未决 unknown at the end {summary.unknown}"))
    for n, failover in enumerate(summary.failovers, start=1):
        first = failover["first_settled_s"]
        out.print(Text(f"切换 failover {n}: {failover['old']} → {failover['new']}, 提升 promoted after "
                       f"{failover['promoted_s']} s, 首笔结算 first settlement after {first if first is not None else '-'} s, "
                       f"旧主库重新加入 old primary back as standby after {failover['rejoined_s']} s"))
    out.print(Text("核对 checks: " + ", ".join(f"{name} ({rows})" for name, rows in summary.checks.items())))
    out.print(Text(f"违规 violations: {len(summary.violations)}",
                   style="green" if summary.ok else "bold red"))
    for line in summary.violations[:50]:
        out.print(Text(f"  {line}"))
    out.print(Text(f"记录 logs and verify.json: {summary.folder}"))
    if not summary.ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``verify`` to the ``gongji`` application."""
    app.command("verify")(verify)
