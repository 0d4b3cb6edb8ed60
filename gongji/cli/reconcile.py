"""``gongji reconcile`` and ``gongji backup``: the operator's checks of the money, and a copy of a SQLite database.

``reconcile`` runs :func:`gongji.reconcile.reconcile` and prints a table of its checks (Chinese and English), then the
first differences of each failing check with the rows involved; ``--json`` prints the whole report instead. It exits
0 when every check is clean and 1 when any found a difference, so that a restore or a nightly job can depend on it.

``backup`` copies a SQLite database into a new file with SQLite's online backup, consistent even while the server
writes. PostgreSQL is backed up with its own tools (``pg_dump -Fc``); ``docs/operations.md`` has both round trips.
:func:`register` adds the commands to the ``gongji`` application (:mod:`gongji.cli.main`).
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.table import Table
from rich.text import Text
from sqlalchemy.engine import make_url

from gongji.db.dialect import is_sqlite
from gongji.money import fen_to_yuan
from gongji.reconcile import Check, Difference, reconcile

#: The figures of a day (NI-6) as the table shows them.
FIGURES = {"acct_pay_fen": "acct_pay", "fund_pay_fen": "fund_pay", "settlements": "settlements", "refunds": "refunds",
           "other_fen": "other"}


def _day(value: str | None) -> date | None:
    from gongji.cli.common import EXIT_REFUSED, fail

    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise fail(f"--on: 日期格式为 YYYY-MM-DD · a date as YYYY-MM-DD, got {value!r}", EXIT_REFUSED) from None


def _shown(value: Any, unit: str) -> str:
    if value is None:
        return "–"
    if unit == "fen" and isinstance(value, int):
        return fen_to_yuan(value)
    if unit == "figures" and isinstance(value, dict):
        return "\n".join(f"{FIGURES.get(k, k)} {fen_to_yuan(v) if k.endswith('_fen') else v}" for k, v in value.items())
    return str(value)


def _rows(difference: Difference) -> str:
    parts = []
    for name, value in difference.rows.items():
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        parts.append(f"{name} {value}")
    return "\n".join(parts) or "–"


def _differences_table(check: Check) -> Table:
    shown = len(check.differences)
    more = f"，仅列前 {shown} 条 · first {shown} shown" if shown < check.count else ""
    table = Table(title=f"✗ {check.zh} · {check.en}：{check.count} 处差异 differences{more}", title_justify="left",
                  box=box.SIMPLE_HEAD, show_edge=False)
    table.add_column("行 rows", no_wrap=True)
    table.add_column("比较 compared", overflow="fold")
    table.add_column("应为 expected", justify="right")
    table.add_column("实为 found", justify="right")
    for difference in check.differences:
        table.add_row(_rows(difference), difference.what, _shown(difference.expected, difference.unit),
                      _shown(difference.found, difference.unit))
    return table


def reconcile_command(
    ctx: typer.Context,
    on: Annotated[str | None, typer.Option("--on", help="only settlements, refunds and institution days of this day "
                                                         "(YYYY-MM-DD); the ledger itself is always checked whole")]
    = None,
    institution: Annotated[str | None, typer.Option("--institution", help="only this institution's settlements "
                                                                          "and days (its code)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100_000, help="differences listed per check")] = 20,
) -> None:
    """对账：余额与分录、结算与分录、机构每日汇总（NI-6）· Reconcile: balances against postings, settlements against
    postings, each institution's day (NI-6). Exits 1 on any difference."""
    from gongji.cli.common import EXIT_FAILED, fail, open_database, reported_errors, shown_url, stdout

    day = _day(on)
    with reported_errors():
        db = open_database(ctx)
        report = reconcile(db, on=day, institution=institution, limit=limit)
        db.dispose()
    if as_json:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        if not report.ok:
            raise typer.Exit(EXIT_FAILED)
        return
    out = stdout()
    scope = " · ".join(part for part in (
        f"日期 day {day.isoformat()}" if day else "", f"机构 institution {institution}" if institution else "") if part)
    out.print(Text(f"对账 Reconciliation · {shown_url(db.url)}" + (f" · {scope}" if scope else ""), style="bold"))
    table = Table(box=box.SIMPLE_HEAD, show_edge=False)
    table.add_column("")
    table.add_column("检查 check")
    table.add_column("规则 rules", no_wrap=True)
    table.add_column("差异 differences", justify="right")
    for check in report.checks:
        table.add_row(Text("✓", style="green") if check.ok else Text("✗", style="bold red"),
                      f"{check.zh} · {check.en}", ", ".join(check.rules) or "–", str(check.count))
    out.print(table)
    for check in report.checks:
        if not check.ok:
            out.print()
            out.print(_differences_table(check))
    out.print()
    if not report.ok:
        raise fail(f"✗ 对账发现 {report.count} 处差异 · reconciliation found {report.count} differences "
                   f"({report.seconds:.2f} s)")
    out.print(Text(f"✓ 对账无差异 · reconciliation clean: {len(report.checks)} checks, {report.seconds:.2f} s",
                   style="green"))


def backup_command(
    ctx: typer.Context,
    target: Annotated[Path, typer.Argument(help="the new file to write (never overwritten)")],
) -> None:
    """备份SQLite数据库（在线备份，一致）· Back up a SQLite database into a new file (online, consistent).
    PostgreSQL: pg_dump -Fc (docs/operations.md)."""
    from gongji.cli.common import EXIT_REFUSED, fail, open_database, reported_errors, stdout

    with reported_errors():
        db = open_database(ctx)
        db.dispose()
    if not is_sqlite(db):
        raise fail("PostgreSQL 请使用 pg_dump -Fc 备份（见 docs/operations.md）。\n"
                   "Back up PostgreSQL with pg_dump -Fc (see docs/operations.md).", EXIT_REFUSED)
    source = make_url(db.url).database
    if target.exists():
        raise fail(f"{target} 已存在，不会覆盖 · already exists; not overwriting it", EXIT_REFUSED)
    copied = backup_sqlite(Path(source), target)
    stdout().print(Text(f"✓ 已备份 backed up {source} → {target} ({copied:,} 页 pages)\n"
                        f"  核对 Check it: gongji --database-url sqlite:///{target} reconcile"))


def backup_sqlite(source: Path, target: Path) -> int:
    """Copy the SQLite database ``source`` into the new file ``target`` in one step of SQLite's online backup: the
    copy is one consistent snapshot (a writer waits for it, never the other way round). Returns the pages copied."""
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
        return dst.execute("PRAGMA page_count").fetchone()[0]
    finally:
        dst.close()
        src.close()


def register(app: typer.Typer) -> None:
    """Add ``reconcile`` and ``backup`` to the ``gongji`` application."""
    app.command("reconcile")(reconcile_command)
    app.command("backup")(backup_command)
