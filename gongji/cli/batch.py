"""The batch jobs on the command line: ``gongji credit-month``, ``year-end`` and ``close-expired``.

Each shows a progress bar while its chunks run (Rich) and a summary at the end: what the period's chunks did
(by region for the ledger jobs), how many chunks this run did and how many were done before, and the seconds it
took. Running a period again does only what is left; a refusal exits with status 2 and changes nothing.
:func:`register` adds the commands to the ``gongji`` application (:mod:`gongji.cli.main`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from gongji.batch import runner
from gongji.env import Env
from gongji.money import fen_to_yuan

#: Why an employee enrollee was not credited, as the summary says it.
NOT_CREDITED = {
    "suspended": ("暂停参保", "suspended"),
    "terminated": ("终止参保", "terminated"),
    "no_account": ("无个人账户", "no personal account"),
    "unpaid": ("当月未缴费", "the month is unpaid (LC-6)"),
    "no_amount": ("应记入金额为零（无缴费基数）", "nothing due (no contribution base)"),
}

ChunkSize = Annotated[int | None, typer.Option(
    "--chunk-size", min=1, max=10_000_000,
    help=f"ids per chunk (one transaction each; default {runner.DEFAULT_CHUNK_SIZE:,}); a period keeps the size "
         "of its first run")]
Workers = Annotated[int | None, typer.Option(
    "--workers", min=1, max=16, help=f"chunks side by side (default {runner.POSTGRES_WORKERS} on PostgreSQL, "
                                     "1 on SQLite)")]


@contextmanager
def progress_bar(console: Console, label: str) -> Iterator[runner.Progress]:
    """A Rich progress bar of chunks, shown from the first chunk on (a refusal shows none), and its callback."""
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[rows]:,} 行 rows"), TimeElapsedColumn(), TimeRemainingColumn())
    bar: Progress | None = None
    rows = 0

    def advance(report: runner.ChunkReport) -> None:
        nonlocal bar, rows
        if bar is None:
            bar = Progress(*columns, console=console, transient=False)
            bar.start()
            bar.add_task(label, total=report.chunks, rows=0)
        rows += report.rows
        bar.update(bar.task_ids[0], advance=1, rows=rows)

    try:
        yield advance
    finally:
        if bar is not None:
            bar.stop()


def chunks_line(summary: runner.Summary) -> Text:
    state = "全部完成 all done" if summary.finished else "未完成，请再次运行 not finished: run it again"
    return Text(f"分段 chunks: 本次 {summary.chunks_done_now} done now · 此前 {summary.chunks_done_earlier} earlier · "
                f"共 {summary.chunks} in all ({summary.chunk_size:,} ids each) · {state} · "
                f"用时 {summary.seconds:.1f} s", style="dim")


def regions_table(env: Env, summary: runner.Summary, *, title: str, people: str) -> Table:
    """The period's people and amounts by region code, with a total."""
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, show_footer=True)
    regions = summary.detail.get("regions", {})
    table.add_column("地区 Region", footer="合计 Total", no_wrap=True)
    table.add_column("", no_wrap=True)
    table.add_column(people, justify="right", footer=f"{summary.rows:,}")
    table.add_column("金额（元）Yuan", justify="right", footer=fen_to_yuan(summary.amount_fen))
    for code in sorted(regions):
        policy = env.policy(code)
        table.add_row(code, f"{policy.name} {policy.name_en}", f"{regions[code]['people']:,}",
                      fen_to_yuan(regions[code]["amount_fen"]))
    return table


def _run(ctx: typer.Context, label: str, job: Callable[..., runner.Summary], **options) -> tuple[Env, runner.Summary]:
    from gongji.cli.common import open_database, reported_errors, stdout

    out = stdout()
    with reported_errors():
        env = Env()
        db = open_database(ctx)
        try:
            with progress_bar(out, label) as advance:
                summary = job(db, env, progress=advance, **{k: v for k, v in options.items() if v is not None})
        finally:
            db.dispose()
    return env, summary


def credit_month_command(
    ctx: typer.Context,
    period: Annotated[str, typer.Argument(metavar="YYYY-MM", help="the month to credit, e.g. 2026-11")],
    chunk_size: ChunkSize = None,
    workers: Workers = None,
) -> None:
    """月度记入：按地区规则记入职工个人账户当年资金 · Credit the month to every employee's current-year funds."""
    from gongji.batch.crediting import credit_month
    from gongji.cli.common import stdout

    env, summary = _run(ctx, f"月度记入 credit {period}", lambda db, env, **kw: credit_month(db, env, period, **kw),
                        chunk_size=chunk_size, workers=workers)
    out = stdout()
    out.print(regions_table(env, summary, title=f"{summary.period} 月度记入 monthly credit", people="人数 People"))
    skipped = summary.detail.get("skipped", {})
    if skipped:
        parts = [f"{NOT_CREDITED.get(reason, (reason, reason))[0]} {NOT_CREDITED.get(reason, (reason, reason))[1]} "
                 f"{count:,}" for reason, count in sorted(skipped.items())]
        out.print(Text("未记入 not credited: " + " · ".join(parts)))
    out.print(Text(f"本次记入 credited now: {summary.rows_now:,} 人 people, {fen_to_yuan(summary.amount_fen_now)} 元"))
    out.print(chunks_line(summary))


def year_end_command(
    ctx: typer.Context,
    year: Annotated[str, typer.Argument(metavar="YYYY", help="the year that has ended, e.g. 2026")],
    chunk_size: ChunkSize = None,
    workers: Workers = None,
) -> None:
    """年度结转：当年资金转入历年账户（D-1）· Roll current-year funds over into prior-years funds (D-1)."""
    from gongji.batch.year_end import year_end
    from gongji.cli.common import stdout

    env, summary = _run(ctx, f"年度结转 year-end {year}", lambda db, env, **kw: year_end(db, env, year, **kw),
                        chunk_size=chunk_size, workers=workers)
    out = stdout()
    out.print(regions_table(env, summary, title=f"{summary.period} 年度结转 year-end roll-over",
                            people="账户 Accounts"))
    out.print(Text(f"本次结转 rolled over now: {summary.rows_now:,} 个账户 accounts, "
                   f"{fen_to_yuan(summary.amount_fen_now)} 元"))
    out.print(chunks_line(summary))


def close_expired_command(ctx: typer.Context, chunk_size: ChunkSize = None, workers: Workers = None) -> None:
    """结束已过终止日期的绑定（D-3）· End the bindings whose end date has passed (D-3)."""
    from gongji.batch.expiry import close_expired_bindings
    from gongji.cli.common import stdout

    env, summary = _run(ctx, "到期绑定 expired bindings", close_expired_bindings, chunk_size=chunk_size,
                        workers=workers)
    out = stdout()
    count = summary.rows_now
    out.print(Text(f"{count} 条绑定到期结束 · {count} binding(s) past their end date closed ({summary.period})"))
    if summary.chunks_done_earlier:
        out.print(Text(f"今日此前已结束 closed earlier today: {summary.rows - count}"))
    out.print(chunks_line(summary))


def register(app: typer.Typer) -> None:
    """Add ``credit-month``, ``year-end`` and ``close-expired`` to the ``gongji`` application."""
    app.command("credit-month")(credit_month_command)
    app.command("year-end")(year_end_command)
    app.command("close-expired")(close_expired_command)
