"""``gongji import KIND FILE``: load an insurer's file (people, contributions, life events) in chunks.

Every kind runs the same way (:func:`run_file`): a progress bar over the file's bytes, rows in chunks of one
transaction each, a summary, and the rejected rows written to ``FILE.rejected.csv`` (or ``--report``) with row
number, field and reason in Chinese and English. An interrupted import resumes where it stopped when run again on
the same file; a file loaded completely is not loaded twice. Exit status 0 when the file is done (also with
rejected rows: the report lists them), 2 on a refusal of the whole file (missing columns, unreadable).
:func:`register` adds the ``import`` group to the ``gongji`` application; a kind adds its command to
:data:`import_app`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from gongji.actors import Actor
from gongji.env import Env
from gongji.imports import runner
from gongji.imports.report import write_report

import_app = typer.Typer(help="导入参保数据文件 · Load an insurer's files (CSV or JSON lines).", no_args_is_help=True)

File = Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True,
                                      help="CSV 或 JSON lines 文件 · a CSV or JSON lines file")]
ChunkRows = Annotated[int, typer.Option("--chunk-rows", min=1, max=1_000_000,
                                        help="rows per chunk (one transaction each)")]
Encoding = Annotated[str | None, typer.Option("--encoding", help="the file's encoding (default: detected; "
                                                                  "UTF-8 with or without BOM, or GBK)")]
Report = Annotated[Path | None, typer.Option("--report", dir_okay=False,
                                             help="where to write the rejected rows (default: FILE.rejected.csv)")]
Again = Annotated[bool, typer.Option("--again", help="load a file again that was loaded completely before")]
Operator = Annotated[str, typer.Option("--operator", help="the staff member (or job) who runs the import")]


def run_file(ctx: typer.Context, loader: runner.Loader, file: Path, *, chunk_rows: int, encoding: str | None,
             report: Path | None, again: bool, operator: str, env: Env | None = None) -> runner.Summary:
    """Run ``loader`` over ``file`` with a progress bar, print the summary and write the rejected rows' report."""
    from gongji.cli.common import open_database, reported_errors, stdout

    out = stdout()
    with reported_errors():
        env = env or Env.from_environ()
        actor = Actor.staff(operator) if operator != "system" else Actor.system("import")
        db = open_database(ctx)
        try:
            columns = (TextColumn("[bold]{task.description}"), BarColumn(), DownloadColumn(),
                       TextColumn("{task.fields[rows]:,} 行 rows"), TimeElapsedColumn(), TimeRemainingColumn())
            with Progress(*columns, console=out, transient=False) as bar:
                task = bar.add_task(f"导入 import {loader.kind}", total=file.stat().st_size, rows=0)

                def advance(p: runner.Progress) -> None:
                    bar.update(task, completed=p.bytes_read, rows=p.rows_read)

                summary = runner.run_import(db, env, loader=loader, path=file, actor=actor, chunk_rows=chunk_rows,
                                            encoding=encoding, again=again, progress=advance)
                bar.update(task, completed=file.stat().st_size, rows=summary.rows_read)
            report = report or file.with_name(file.name + ".rejected.csv")
            if summary.rows_rejected and not summary.already_loaded:
                db.read(lambda s: write_report(report, runner.rejections(s, summary.run_id)))
        finally:
            db.dispose()
    print_summary(summary, report)
    return summary


def print_summary(summary: runner.Summary, report: Path) -> None:
    from gongji.cli.common import stdout

    out = stdout()
    if summary.already_loaded:
        out.print(Text(f"该文件已于导入批次 {summary.run_id} 完整导入，本次未导入任何数据（如需重新导入请加 --again）。\n"
                       f"This file was loaded completely by import run {summary.run_id}; nothing was loaded now "
                       f"(add --again to load it again)."))
        return
    table = Table(title=f"导入批次 import run {summary.run_id}: {summary.kind} · {summary.file_name}",
                  title_justify="left", box=box.SIMPLE_HEAD, show_edge=False)
    table.add_column("")
    table.add_column("", justify="right")
    table.add_row("读取行数 rows read", f"{summary.rows_read:,}")
    table.add_row("已导入 loaded", f"{summary.rows_loaded:,}")
    table.add_row("已拒绝 rejected", f"{summary.rows_rejected:,}")
    if summary.resumed_from:
        table.add_row("接续自 resumed after row", f"{summary.resumed_from:,}")
    table.add_row("用时 seconds", f"{summary.seconds:.1f}")
    out.print(table)
    out.print(Text(f"格式 format {summary.format} · 编码 encoding {summary.encoding}", style="dim"))
    if summary.unknown_columns:
        out.print(Text("未识别的列（已忽略）unknown columns, ignored: " + ", ".join(summary.unknown_columns)[:300]))
    if summary.rows_rejected:
        out.print(Text(f"被拒绝的行及原因见 the rejected rows and why: {report}"))
    if not summary.finished:
        out.print(Text("未完成，请再次运行同一命令以继续 · not finished: run the same command again to continue"))


def register(app: typer.Typer) -> None:
    """Add the ``import`` group (its kinds register themselves on :data:`import_app`)."""
    app.add_typer(import_app, name="import")


@import_app.command("people")
def people_command(
    ctx: typer.Context,
    file: File,
    chunk_rows: ChunkRows = runner.DEFAULT_CHUNK_ROWS,
    encoding: Encoding = None,
    report: Report = None,
    again: Again = False,
    operator: Operator = "system",
) -> None:
    """导入参保人员、参保登记、个人账户余额、共济家庭与共济绑定 · Load people, enrollments, account balances,
    families and bindings (docs/import.md)."""
    from gongji.imports.people import PeopleLoader

    run_file(ctx, PeopleLoader(), file, chunk_rows=chunk_rows, encoding=encoding, report=report, again=again,
             operator=operator)


@import_app.command("contributions")
def contributions_command(
    ctx: typer.Context,
    file: File,
    chunk_rows: ChunkRows = runner.DEFAULT_CHUNK_ROWS,
    encoding: Encoding = None,
    report: Report = None,
    again: Again = False,
    operator: Operator = "system",
) -> None:
    """导入缴费记录（按人按月），参保状态随之更新 · Load contributions per person and month; the status they decide
    follows (LC-1, docs/contributions.md)."""
    from gongji.contributions.importer import ContributionsLoader

    run_file(ctx, ContributionsLoader(), file, chunk_rows=chunk_rows, encoding=encoding, report=report, again=again,
             operator=operator)


@import_app.command("life-events")
def life_events_command(
    ctx: typer.Context,
    file: File,
    chunk_rows: ChunkRows = 1_000,
    encoding: Encoding = None,
    report: Report = None,
    again: Again = False,
    operator: Operator = "system",
) -> None:
    """导入死亡、迁移与变更险种记录，并终止相应的共济绑定 · Load deaths, moves and changes of scheme; the bindings
    they end end by themselves (LC-5)."""
    from gongji.life.importing import LifeEventLoader

    run_file(ctx, LifeEventLoader(), file, chunk_rows=chunk_rows, encoding=encoding, report=report, again=again,
             operator=operator)
