"""``gongji bench``: the benchmark harness on the command line (docs/performance.md)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from gongji.db import database_url


def _sizes(value: str) -> list[int]:
    try:
        sizes = [int(part.replace("_", "")) for part in value.split(",") if part.strip()]
    except ValueError:
        raise typer.BadParameter("people: a number, or numbers separated by commas (100000,1000000)") from None
    if not sizes or any(n < 10 or n > 50_000_000 for n in sizes):
        raise typer.BadParameter("people: between 10 and 50,000,000")
    return sizes


def bench(
    ctx: typer.Context,
    people: Annotated[str, typer.Option("--people", help="population size; several (100000,10000000) compare growth")]
    = "1000000",
    clients: Annotated[int, typer.Option("--clients", min=1, max=256, help="concurrent clients")] = 8,
    seconds: Annotated[int, typer.Option("--seconds", min=1, max=3600, help="seconds each phase runs")] = 30,
    mode: Annotated[str, typer.Option("--mode", help="service, http, or both")] = "both",
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help="server processes for the HTTP phase")]
    = 2,
    pgbench: Annotated[bool, typer.Option("--pgbench/--no-pgbench", help="run pgbench in the same run (PostgreSQL)")]
    = True,
    batch: Annotated[bool, typer.Option("--batch/--no-batch", help="time monthly crediting and the year-end roll-over")]
    = True,
    hot_relatives: Annotated[int, typer.Option("--hot-relatives", min=0, max=200,
                                               help="the hot-payer phase: relatives settling at once on one "
                                                    "payer's account, after the service phase (0: skip it)")] = 50,
    breakdown: Annotated[bool, typer.Option("--breakdown/--no-breakdown",
                                            help="one client's settlements timed: Python, PostgreSQL, waiting "
                                                 "(on PostgreSQL pipelined and not, side by side)")] = True,
    seed: Annotated[int, typer.Option("--seed", help="the population's and the workload's random seed")] = 2025,
    report_dir: Annotated[Path, typer.Option("--report-dir", help="where the JSON and Markdown reports go")]
    = Path("bench-results"),
    keep: Annotated[bool, typer.Option("--keep", help="keep the benchmark database afterwards")] = False,
    servers: Annotated[str, typer.Option("--servers", help="HTTP servers to run the HTTP phase on, one after the "
                                                           "other (uvicorn,granian compares them)")] = "uvicorn",
) -> None:
    """性能测试：载入人口、并发结算、pgbench对照、批处理、账本检查 · Benchmark: load a population, settle with
    concurrent clients through the service layer and over HTTP, compare with pgbench, time the batch jobs, check the
    ledger; write JSON and Markdown reports."""
    from gongji.cli.common import fail, reported_errors, stdout
    from gongji_tools.bench import run as bench_run

    modes = {"both": ("service", "http"), "service": ("service",), "http": ("http",)}.get(mode)
    if modes is None:
        raise fail("--mode: service, http or both", 2)
    from gongji.cli.common import SERVERS

    chosen = tuple(name.strip() for name in servers.split(",") if name.strip())
    if not chosen or any(name not in SERVERS for name in chosen):
        raise fail(f"--servers: one or more of {', '.join(SERVERS)}", 2)
    out = stdout()
    url = ctx.obj.database_url if ctx.obj and ctx.obj.database_url else database_url()
    reports = []
    with reported_errors():
        for size in _sizes(people):
            options = bench_run.Options(url=url, people=size, clients=clients, seconds=seconds, modes=modes,
                                        workers=workers, servers=chosen, pgbench=pgbench, batch=batch, seed=seed,
                                        hot_relatives=hot_relatives, breakdown=breakdown,
                                        report_dir=report_dir, keep=keep, command="gongji " + " ".join(sys.argv[1:]))
            report = bench_run.run(options, out)
            json_path, md_path = report.write(report_dir, f"bench-{report.database}-{size}")
            out.print(report.as_markdown())
            out.print(f"报告 reports: {json_path}  {md_path}")
            reports.append(report)
    grown = bench_run.growth(reports)
    if grown is not None:
        out.print(f"{grown.what}: {grown.reached} (goal {grown.goal}) → {'met' if grown.met else 'missed'}")
        (report_dir / "bench-growth.md").write_text(
            f"| target | goal | reached | met |\n| --- | --- | --- | --- |\n"
            f"| {grown.what} | {grown.goal} | {grown.reached} | {'yes' if grown.met else 'no'} |\n")
    if any(not r.ledger.get("ok", True) for r in reports):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``bench`` to the ``gongji`` application."""
    app.command("bench")(bench)
