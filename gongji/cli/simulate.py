"""``gongji simulate``: what a region's settlements of a period would have paid under a proposed change of its settings.

    gongji simulate --region 4403 --set reserve_line_fen=300000 --out result/
    gongji simulate --region 23 --set max_beneficiaries_per_payer=5 --from 2025-01-01 --to 2025-12-31 --out r/
    gongji simulate --region 23 --scenario grandparents --set max_payers_per_beneficiary=none --out r/ --json

Read-only (``docs/simulate.md``): the database is read in one read-only transaction and nothing is written to it.
``--out`` receives ``result.json``, ``result.csv`` and one PNG per chart. :func:`register` adds the command to the
``gongji`` application (:mod:`gongji.cli.main`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from gongji.env import Env
from gongji.money import fen_to_yuan

ROWS = (
    ("mutual_aid_fen", "共济支付（元）", "mutual aid paid (yuan)", True),
    ("cash_fen", "个人现金（元）", "cash paid by patients (yuan)", True),
    ("own_fen", "本人账户（元）", "patients' own accounts (yuan)", True),
    ("pooled_fund_fen", "统筹基金（元，N-3 须为0）", "pooled fund (yuan, N-3: must be 0)", True),
    ("settlements", "结算笔数", "settlements", False),
    ("patients_helped", "获共济的就诊人", "patients helped", False),
    ("payers_paying", "支付的共济人", "payers who paid", False),
    ("payers_emptied", "账户被用尽的共济人", "payers emptied", False),
    ("shortfall_fen", "其他支出不足（元）", "other spending short (yuan)", True),
)


def simulate_command(
    ctx: typer.Context,
    region: Annotated[str, typer.Option("--region", help="division-code prefix: 4403 Shenzhen, 23 Heilongjiang")],
    out: Annotated[Path, typer.Option("--out", help="folder for result.json, result.csv and the charts (PNG)")],
    set_: Annotated[list[str] | None, typer.Option("--set", help="key=value of the region's settings; repeatable")] = None,
    changes_file: Annotated[Path | None, typer.Option("--changes", help="TOML file of settings to change")] = None,
    start: Annotated[str | None, typer.Option("--from", help="first day (YYYY-MM-DD); default: last year")] = None,
    end: Annotated[str | None, typer.Option("--to", help="last day (YYYY-MM-DD)")] = None,
    scenario: Annotated[str | None, typer.Option("--scenario", help="bindings to add: grandparents")] = None,
    add_bindings: Annotated[Path | None, typer.Option(
        "--add-bindings", help="CSV: payer ID number, beneficiary ID number, relationship")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the result as JSON")] = False,
    language: Annotated[str, typer.Option("--language", help="zh or en (charts and table)")] = "zh",
    workers: Annotated[int | None, typer.Option(
        "--workers", min=1, help="processes for the replay (default: as many as pay, up to the cores)")] = None,
) -> None:
    """模拟政策调整的效果（只读）· Simulate a change of a region's settings over a past period (read-only)."""
    from gongji.cli.common import open_database, reported_errors, stdout
    from gongji.simulate import changes as policy_changes
    from gongji.simulate import charts, report, service

    with reported_errors():
        changes = policy_changes.read_changes_file(changes_file) if changes_file else {}
        changes.update(policy_changes.parse_set(set_ or []))
        additions = None
        if add_bindings is not None:
            try:
                additions = add_bindings.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                from gongji.errors import GongjiError

                raise GongjiError("SIMULATION_BAD_ADDITIONS", line=0, reason_zh=f"文件无法读取（{exc}）",
                                  reason_en=f"the file cannot be read ({exc})") from None
        env = Env.from_environ()
        db = open_database(ctx)
        console = stdout()
        try:
            with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                          console=console, transient=True, disable=as_json) as bar:
                tasks: dict[str, int] = {}

                def progress(stage: str, done: int, total: int) -> None:
                    if stage not in tasks:
                        label = {"facts": "读取 · reading", "replay": "重放 · replaying"}[stage]
                        tasks[stage] = bar.add_task(label, total=total)
                    bar.update(tasks[stage], completed=done, total=total)

                result = service.simulate(
                    db, env, region=region, start=service.parse_date(start, "--from"),
                    end=service.parse_date(end, "--to"), changes=changes, scenario=scenario,
                    additions_csv=additions, progress=progress, workers=workers)
        finally:
            db.dispose()
    out.mkdir(parents=True, exist_ok=True)
    (out / "result.json").write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    (out / "result.csv").write_text(report.to_csv(result), encoding="utf-8")
    pngs = charts.write_pngs(result, out, language)
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
        return
    zh = language != "en"
    q = result["question"]
    table = Table(title=f"{q['region_name'] if zh else q['region_name_en']} {q['from']} – {q['to']}",
                  box=box.SIMPLE_HEAVY)
    for heading in (("", "现行", "调整后", "差额") if zh else ("", "current", "proposed", "difference")):
        table.add_column(heading, justify="right" if heading else "left")
    sides = result["sides"]
    for key, label_zh, label_en, money in ROWS:
        cells = [sides[s][key] for s in ("current", "proposed", "difference")]
        table.add_row(label_zh if zh else label_en, *(fen_to_yuan(v) if money else f"{v:,}" for v in cells))
    console.print(table)
    for key, (before, after) in q["changes"].items():
        console.print(f"  {key}: {before} → {after}")
    affected = result["affected"]
    console.print(("受影响：{settlements} 笔结算，{patients} 位就诊人，{payers} 位共济人；新增用尽账户的共济人 "
                   "{payers_newly_emptied} 位" if zh else
                   "Affected: {settlements} settlements, {patients} patients, {payers} payers; "
                   "{payers_newly_emptied} more payers emptied").format(**affected))
    checks = result["checks"]
    ok = checks["baseline_reproduced"] and checks["pooled_fund_untouched"]
    console.print(("核对：现行政策重放与实际支付一致（{n} 笔），统筹基金未动用（N-3）" if zh else
                   "Checks: the current policy's replay pays all {n} settlements as they were paid; the pooled fund "
                   "is untouched (N-3)").format(n=checks["baseline_settlements"]) if ok else
                  f"[red]CHECK FAILED: {checks}[/red]")
    console.print(f"{out / 'result.json'}, {out / 'result.csv'}, {len(pngs)} PNG")
    if not ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``simulate`` to the ``gongji`` application."""
    app.command("simulate")(simulate_command)
