"""``gongji federation check`` and ``gongji federation example``: the tools of the federation group.

``check`` compares the databases of the provinces (and the hub's) with each other (:mod:`gongji_tools.federation.check`);
``example`` writes a hub and two provinces to try on one machine (:mod:`gongji_tools.federation.example`).
:func:`register` adds both to the product's ``federation`` group (:data:`gongji.cli.federation.federation_app`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from gongji.cli.federation import federation_app


def check_command(
    urls: Annotated[list[str], typer.Argument(help="the provinces' databases (and the hub's); NN=URL or hub=URL "
                                                   "names one whose people do not tell")],
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    expect_total: Annotated[int | None, typer.Option("--expect-total", help="the money the provinces started "
                                                     "with, in fen (personal accounts, wallets, pending and transit)")
                            ] = None,
) -> None:
    """核对各省实例之间的跨省转账 · Check the instances against each other (HN-9, WAL-1..WAL-4).

    Exit 0 when they agree, 1 with a difference (each printed), 2 when a database cannot be read."""
    from gongji.cli.common import EXIT_FAILED, EXIT_REFUSED, fail, reported_errors, stdout
    from gongji_tools.federation.check import CheckRefused, check_urls, format_report

    with reported_errors():
        try:
            report = check_urls(urls, expect_total=expect_total)
        except CheckRefused as exc:
            raise fail(f"不能核对 · cannot check: {exc}", EXIT_REFUSED) from None
    if as_json:
        print(json.dumps(report.to_json(), ensure_ascii=False, indent=1))
    else:
        out = stdout()
        for line in format_report(report):
            out.print(Text(line), soft_wrap=True)
    if not report.ok:
        raise typer.Exit(EXIT_FAILED)


def _ports(value: str) -> tuple[int, int]:
    try:
        ports = tuple(int(part) for part in value.split(","))
    except ValueError:
        raise typer.BadParameter(f"two port numbers, e.g. 8301,8302, not {value!r}") from None
    if len(ports) != 2 or not all(1 <= port <= 65535 for port in ports):
        raise typer.BadParameter(f"two port numbers, e.g. 8301,8302, not {value!r}")
    return ports


def example_command(
    folder: Annotated[Path, typer.Argument(help="where the federation files and the SQLite databases go")],
    hub_port: Annotated[int, typer.Option("--hub-port", min=1, max=65535, help="the hub's port")] = 8300,
    ports: Annotated[str, typer.Option("--ports", help="the ports of provinces 23 and 41")] = "8301,8302",
    template: Annotated[str | None, typer.Option(
        "--database-url-template", help="PostgreSQL instead of SQLite files, e.g. "
        "postgresql://postgres@127.0.0.1:5432/gongji_{name} ({name}: hub, p23, p41)")] = None,
    seed: Annotated[int, typer.Option("--seed", help="seed of the made-up families")] = 2025,
    families: Annotated[int, typer.Option("--families", min=1, max=400,
                                          help="families per direction (23→41 and 41→23)")] = 24,
) -> None:
    """写一套可在本机试用的跨省实例（枢纽与两省）· Write a hub and two provinces to try on one machine (HN-9)."""
    from rich import box
    from rich.table import Table

    from gongji.cli.common import EXIT_REFUSED, fail, reported_errors, stdout
    from gongji.money import fen_to_yuan
    from gongji_tools.demo.access import ADMIN_ID, ADMIN_PASSWORD, PERSON_PASSWORD, STAFF_ID, STAFF_PASSWORD
    from gongji_tools.federation.example import CLOCK_START, ExampleError, build, shown_examples

    out = stdout()
    with reported_errors():
        try:
            with out.status("建立三个实例的数据库 · building the three databases …"):
                made = build(folder.resolve(), hub_port=hub_port, ports=_ports(ports),
                             database_url_template=template, seed=seed, families=families)
        except ExampleError as exc:
            raise fail(f"不能建立示例 · cannot build the example: {exc}", EXIT_REFUSED) from None
    commands = Table(title="启动三个进程 · start the three processes (one terminal each)", title_justify="left",
                     box=box.SIMPLE_HEAD)
    commands.add_column("实例 instance", no_wrap=True)
    commands.add_column("命令 command", overflow="fold")
    for name in ("hub", "23", "41"):
        commands.add_row(name, made.command(name))
    out.print(commands)
    out.print(Text(f"提示 tip: 加上 GONGJI_CLOCK_START={CLOCK_START} 可避开22:00至06:00的禁转时段 · to stay out of "
                   f"the quiet hours (WAL-3)", style="dim"))
    out.print(Text("示例家庭 · example families (every pair: families.json)", style="bold"))
    for pair in shown_examples(made.pairs):
        wallet = "钱包已开通 wallet open" if pair.wallet_open else "未开通钱包 no wallet: refused"
        out.print(Text(f"  {pair.payer_province} {pair.payer_id_number} {pair.payer_name} → {pair.relative_province} "
                       f"{pair.relative_id_number} {pair.relative_name} ({pair.relationship}; {wallet})"))
    out.print(Text(f"登录 logins: 参保人 person <ID number> / {PERSON_PASSWORD} · 窗口 staff {STAFF_ID} / "
                   f"{STAFF_PASSWORD} · 管理员 admin {ADMIN_ID} / {ADMIN_PASSWORD} (every instance)"))
    out.print(Text("转账 send: POST /v1/wallet-transfers {payer_id_number, beneficiary_id_number, "
                   "beneficiary_province, relationship, amount_fen} with an Idempotency-Key", style="dim"))
    urls = " ".join(made.urls[name] for name in ("23", "41", "hub"))
    out.print(Text(f"核对 check: gongji federation check {urls} --expect-total {made.total_fen}  "
                   f"(两省资金 money of both provinces {fen_to_yuan(made.total_fen)} 元)", style="dim"),
              soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add ``check`` and ``example`` to the ``federation`` group (``app`` has the group already)."""
    del app
    federation_app.command("check")(check_command)
    federation_app.command("example")(example_command)
