"""The command line: ``gongji serve``, ``notify``, ``regions``, ``check``, ``errors``, ``db upgrade``, and
the batch jobs ``credit-month``, ``year-end``, ``close-expired`` (:mod:`gongji.cli.batch`), and the audit trail's
``audit seal``, ``verify``, ``head``, ``show`` (:mod:`gongji.cli.audit`); ``reconcile`` and ``backup``
(:mod:`gongji.cli.reconcile`); the wallet's ``wallet-return`` (:mod:`gongji.cli.wallet`); ``federation deliver`` and
``status`` (:mod:`gongji.cli.federation`). The tools beside the product (``demo``, ``bench``, ``verify``,
``federation check`` and ``example``, in :mod:`gongji_tools.cli`) join through the ``gongji.commands`` entry point.
The command modules share :mod:`gongji.cli.common` and never import this module.

The database is named by ``--database-url`` or ``GONGJI_DATABASE_URL`` (default: a SQLite file in
the current folder). Each command that writes is one transaction. Exit status:

* 0 – done;
* 1 – the ledger check or reconciliation failed, the database is not migrated or cannot be reached, or the demo's
  story went differently from what it shows (``gongji demo``);
* 2 – a refusal (:class:`~gongji.errors.GongjiError`, printed as ``CODE: message`` in Chinese
  and English) or a region settings file that does not validate (printed with the file and key).
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Annotated

import typer
from rich import box
from rich.table import Table
from rich.text import Text

from gongji.cli.audit import register as register_audit_commands
from gongji.cli.batch import register as register_batch_commands
from gongji.cli.common import (
    EXIT_FAILED,
    EXIT_REFUSED,
    Settings,
    fail,
    open_database,
    reported_errors,
    run_server,
    shown_url,
    stdout,
)
from gongji.cli.contributions import register as register_contributions_commands
from gongji.cli.federation import register as register_federation_commands
from gongji.cli.imports import register as register_import_commands
from gongji.cli.reconcile import register as register_reconcile_commands
from gongji.cli.simulate import register as register_simulate_command
from gongji.cli.wallet import register as register_wallet_command
from gongji.db import database_url
from gongji.env import Env
from gongji.errors import catalogue_markdown
from gongji.ledger import service as ledger
from gongji.money import fen_to_yuan
from gongji.policy import RegionPolicy, load_policies

#: The entry-point group through which packages beside the product add commands (the tools: ``demo``, ``bench``,
#: ``verify``, ``federation check`` and ``example``; pyproject.toml).
COMMANDS_GROUP = "gongji.commands"

__all__ = ["EXIT_FAILED", "EXIT_REFUSED", "app"]

app = typer.Typer(
    name="gongji",
    help="共济：职工医保个人账户家庭共济 · Family mutual aid of employee medical insurance personal accounts.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="数据库结构 · Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
register_batch_commands(app)  # credit-month, year-end, close-expired
register_reconcile_commands(app)  # reconcile, backup
register_audit_commands(app)  # audit seal, verify, head, show
register_wallet_command(app)  # wallet-return
register_simulate_command(app)  # simulate
register_federation_commands(app)  # federation deliver | status
register_import_commands(app)  # import people | ...
register_contributions_commands(app)  # contributions-refresh


def register_installed_commands(app: typer.Typer) -> None:
    """Let each installed ``gongji.commands`` entry point add its commands (the tools: demo, bench, verify, ...)."""
    for point in sorted(entry_points(group=COMMANDS_GROUP), key=lambda point: point.name):
        point.load()(app)



@app.callback()
def main(
    ctx: typer.Context,
    database_url: Annotated[
        str | None,
        typer.Option("--database-url", envvar="GONGJI_DATABASE_URL", show_envvar=True,
                     help="sqlite:///path or postgresql://user@host/db (default: sqlite:///gongji.sqlite3)"),
    ] = None,
) -> None:
    """共济 Gongji."""
    ctx.obj = Settings(database_url=database_url)


# -- db -------------------------------------------------------------------------------------------


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """把数据库结构迁移到最新版本 · Migrate the database schema to the newest version."""
    out = stdout()
    with reported_errors():
        db = open_database(ctx, migrated=False)
        db.upgrade()
        db.dispose()
    out.print(Text(f"✓ 数据库结构已是最新 · schema is current: {shown_url(db.url)}"))


# -- regions --------------------------------------------------------------------------------------


def _caps(policy: RegionPolicy) -> str:
    per_payer = policy.max_beneficiaries_per_payer or "–"
    per_beneficiary = policy.max_payers_per_beneficiary or "–"
    return f"{per_payer} / {per_beneficiary}"


#: The rows of `gongji regions`: a label and how to show the setting of one policy.
POLICY_ROWS: tuple[tuple[str, Callable[[RegionPolicy], str]], ...] = (
    ("前缀 Prefixes", lambda p: " ".join(p.applies_to)),
    ("模式 Model", lambda p: p.aid_model.value),
    ("范围 Scope", lambda p: p.geographic_scope.value),
    ("上限 Caps", _caps),
    ("等待 Wait", lambda p: f"{p.rebind_wait_days} d"),
    ("顺序 Order", lambda p: p.payer_order.value),
    ("保留 Reserve", lambda p: fen_to_yuan(p.reserve_line_fen)),
)


@app.command()
def regions() -> None:
    """列出已加载的地区政策（并校验政策文件）· List the region policies (validating their files)."""
    out = stdout()
    with reported_errors():
        book = load_policies()
    policies = sorted(book, key=lambda policy: not policy.is_default)  # the national default first
    table = Table(title="地区政策 Region policies", title_justify="left", box=box.SIMPLE_HEAD, show_edge=False,
                  padding=(0, 1, 0, 0))
    table.add_column("", no_wrap=True)
    for policy in policies:
        header = f"{policy.name}\n" + policy.name_en.replace(" ", "\n")
        table.add_column(header, no_wrap=True, min_width=max(len(word) for word in policy.name_en.split()))
    for label, show in POLICY_ROWS:
        table.add_row(label, *(show(policy) for policy in policies))
    out.print(table)
    out.print()
    uses = Table(title="共济资金用途 Uses for relatives", title_justify="left", box=None, show_header=False,
                 padding=(0, 2, 0, 0))
    uses.add_column(no_wrap=True)
    uses.add_column()
    for policy in policies:
        uses.add_row(f"{policy.name} {policy.name_en}", ", ".join(use.value for use in policy.uses_for_relatives))
    out.print(uses)
    out.print()
    out.print(Text("上限 Caps：每名共济人可绑定人数 / 每名使用人可有共济人数（– 不限）。等待 Wait：解绑后再绑定的天数。"
                   "保留 Reserve：保留额度（元）。\n"
                   "Caps: beneficiaries per payer / payers per beneficiary (– no cap). Wait: days before binding "
                   "again. Reserve line in yuan.", style="dim"))


# -- ledger and bindings ----------------------------------------------------------------------------


@app.command()
def check(ctx: typer.Context) -> None:
    """核对账本：借贷平衡、无负余额、余额等于分录之和 · Check the ledger."""
    out = stdout()
    with reported_errors():
        db = open_database(ctx)
        result = db.read(ledger.check)
        db.dispose()
    out.print(Text(f"全部账户合计 total of all accounts: {fen_to_yuan(result.total_fen)} 元 (must be 0.00)"))
    out.print(Text(f"负余额个人账户 personal accounts below zero: {len(result.negative_accounts)}"))
    out.print(Text(f"余额与分录不符 balances not equal to their postings: {len(result.balance_mismatches)}"))
    out.print(Text(f"不平衡分录 unbalanced entries: {len(result.unbalanced_entries)}"))
    out.print(Text(f"不足两条记账的分录 entries with fewer than two postings: {len(result.thin_entries)}"))
    out.print(Text(f"末笔余额与账户余额不符 last balance-after not the balance: {len(result.balance_after_mismatches)}"))
    if not result.ok:
        for account_id, stored, summed in result.balance_mismatches[:20]:
            out.print(Text(f"  account {account_id}: stored {fen_to_yuan(stored)}, postings {fen_to_yuan(summed)}"))
        for entry_id, total in result.unbalanced_entries[:20]:
            out.print(Text(f"  entry {entry_id}: sums to {fen_to_yuan(total)}"))
        raise fail("✗ 账本检查未通过 · ledger check FAILED")
    out.print(Text("✓ 账本检查通过 · ledger check ok", style="green"))


@app.command()
def errors() -> None:
    """列出全部错误代码（Markdown）· Print every error code with its status and messages, as Markdown."""
    typer.echo(catalogue_markdown(), nl=False)


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="port to listen on")] = 8000,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help="server processes")] = 1,
    notify: Annotated[bool, typer.Option("--notify/--no-notify",
                                         help="run the notification worker inside the server")] = True,
    migrate: Annotated[bool, typer.Option("--migrate/--no-migrate",
                                          help="bring the schema to the newest version first")] = True,
    server: Annotated[str, typer.Option("--server", help="the HTTP server: uvicorn, or granian if installed "
                                                         "(docs/performance.md compares them)")] = "uvicorn",
) -> None:
    """提供HTTP接口服务 · Serve the HTTP API (FastAPI on uvicorn)."""
    with reported_errors():
        url = ctx.obj.database_url if ctx.obj and ctx.obj.database_url else database_url()
        run_server(url, host=host, port=port, workers=workers, notify=notify, migrate=migrate, console=stdout(),
                   server=server)


@app.command("notify")
def notify_command(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="deliver what is due now, then stop")] = False,
    batch: Annotated[int, typer.Option("--batch", min=1, max=1000, help="notifications claimed per pass")] = 100,
    sender_spec: Annotated[
        str | None,
        typer.Option("--sender", envvar="GONGJI_NOTIFY_SENDER", show_envvar=True,
                     help="log | log:/path/file.jsonl | webhook:https://... | smtp://host:port?from=...&to={phone}@..."),
    ] = None,
    lease: Annotated[float, typer.Option("--lease", min=0.1, help="seconds a claimed batch is held")] = 60.0,
    poll: Annotated[float, typer.Option("--poll", min=0.01, help="seconds between looks when nothing is due")] = 1.0,
    language: Annotated[str, typer.Option("--language", help="zh or en")] = "zh",
    seal: Annotated[bool, typer.Option("--seal/--no-seal",
                                       help="also seal the audit trail every few seconds (docs/audit.md)")] = True,
) -> None:
    """发送消息通知，直到按 Ctrl-C（HZ-4、N-9）· Deliver notifications until Ctrl-C (HZ-4, N-9).

    Beside the worker the audit sealer runs (``--no-seal``: not), as in ``gongji serve``; ``--once`` seals once."""
    import logging
    import signal
    import threading

    from gongji.events import audit
    from gongji.notifications import service as notifications
    from gongji.notifications.messages import check_language
    from gongji.notifications.senders import sender_from_url

    out = stdout()
    with reported_errors():
        try:
            sender = sender_from_url(sender_spec)
        except ValueError as error:
            raise fail(f"消息发送方式无效 · {error}", EXIT_REFUSED) from None
        language = check_language(language)
        env = Env()
        db = open_database(ctx)
        if not logging.getLogger().handlers:  # the log sender's lines, and the worker's warnings
            logging.basicConfig(level=logging.INFO, format="%(message)s")
            from gongji import logs

            logs.install_masking()  # ID numbers and phones masked here too
        stop = threading.Event()
        if once:
            total = notifications.DeliveryCounts()
            while True:  # every due notification, batch after batch; those that fail wait for their retry
                counts = notifications.deliver_due(db, env, sender, batch=batch, lease_s=lease, language=language)
                total.add(counts)
                if counts.claimed < batch or counts.delivered == 0:
                    break
            if seal:
                audit.seal(db, env)
        else:
            def stop_softly(_signum, _frame) -> None:
                stop.set()  # the message in flight is finished and marked; a second Ctrl-C interrupts at once
                signal.signal(signal.SIGINT, signal.default_int_handler)

            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, stop_softly)
            out.print(Text(f"发送消息通知 · delivering notifications via {sender!r} (Ctrl-C 停止 to stop)"))
            sealer = threading.Thread(target=audit.run_sealer, kwargs={"db": db, "env": env, "stop": stop},
                                      name="gongji-audit-sealer", daemon=True) if seal else None
            if sealer is not None:
                sealer.start()
            total = notifications.run_worker(db, env, sender, stop=stop, poll_s=poll, batch=batch, lease_s=lease,
                                             language=language)
            if sealer is not None:
                sealer.join(timeout=10)
        pending = db.read(notifications.pending_count)
        db.dispose()
    out.print(Text(f"已发送 {total.delivered} 条，失败 {total.failed} 次，待发送 {pending} 条 · "
                   f"delivered {total.delivered}, failed {total.failed}, pending {pending}"))


register_installed_commands(app)  # after the product's own, so that they list first

if __name__ == "__main__":
    app()
