"""The command line: ``gongji serve``, ``notify``, ``demo``, ``regions``, ``check``, ``errors``, ``db upgrade``, and
the batch jobs ``credit-month``, ``year-end``, ``close-expired`` (:mod:`gongji.cli.batch`), and the audit trail's
``audit seal``, ``verify``, ``head``, ``show`` (:mod:`gongji.cli.audit`); ``reconcile`` and ``backup``
(:mod:`gongji.cli.reconcile`); the wallet's ``wallet-return`` (:mod:`gongji.cli.wallet`).

The database is named by ``--database-url`` or ``GONGJI_DATABASE_URL`` (default: a SQLite file in
the current folder). Each command that writes is one transaction. Exit status:

* 0 – done;
* 1 – the ledger check or reconciliation failed, the database is not migrated or cannot be reached, or the demo's
  story went differently from what it shows;
* 2 – a refusal (:class:`~gongji.errors.GongjiError`, printed as ``CODE: message`` in Chinese
  and English) or a region settings file that does not validate (printed with the file and key).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from gongji.api.settings import server_key_from_env
from gongji.cli.audit import register as register_audit_commands
from gongji.cli.batch import register as register_batch_commands
from gongji.cli.bench import register as register_bench_command
from gongji.cli.federation import register as register_federation_commands
from gongji.cli.imports import register as register_import_commands
from gongji.cli.reconcile import register as register_reconcile_commands
from gongji.cli.simulate import register as register_simulate_command
from gongji.cli.verify import register as register_verify_command
from gongji.cli.wallet import register as register_wallet_command
from gongji.clock import FixedClock
from gongji.db import Database, database_url
from gongji.demo import story
from gongji.demo.access import open_doors
from gongji.demo.population import DEFAULT_PEOPLE, load_population
from gongji.env import Env
from gongji.errors import GongjiError, catalogue_markdown
from gongji.ledger import service as ledger
from gongji.money import fen_to_yuan
from gongji.policy import PolicyFileError, RegionPolicy, load_policies

EXIT_FAILED = 1
EXIT_REFUSED = 2
SQLITE_HEADER = b"SQLite format 3\x00"

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
register_bench_command(app)  # bench
register_reconcile_commands(app)  # reconcile, backup
register_audit_commands(app)  # audit seal, verify, head, show
register_verify_command(app)  # verify
register_wallet_command(app)  # wallet-return
register_simulate_command(app)  # simulate
register_federation_commands(app)  # federation deliver | status | check | example
register_import_commands(app)  # import people | ...


def stdout() -> Console:
    """A console on the current stdout (made per use, so it sees the stream and terminal of the moment)."""
    return Console(highlight=False)


@dataclass(frozen=True)
class Settings:
    database_url: str | None


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


# -- shared helpers -------------------------------------------------------------------------------


def fail(message: str, code: int = EXIT_FAILED) -> typer.Exit:
    """Print ``message`` on stderr, unwrapped (it may name a file or a key), and give the exit to raise."""
    Console(stderr=True, highlight=False).print(Text(message), soft_wrap=True)
    return typer.Exit(code)


@contextmanager
def reported_errors() -> Iterator[None]:
    """Turn the errors people can act on into a message and an exit status, never a traceback."""
    try:
        yield
    except GongjiError as error:
        raise fail(f"{error.code}: {error.message_zh}\n{error.code}: {error.message_en}", EXIT_REFUSED) from None
    except PolicyFileError as error:
        raise fail(f"地区政策文件无效 · invalid region settings file: {error}", EXIT_REFUSED) from None
    except story.StoryError as error:
        raise fail(f"演示未按剧本进行 · the demo went off script: {error}") from None
    except SQLAlchemyError as error:
        cause = getattr(error, "orig", None) or error
        raise fail(f"数据库错误 · database error: {type(cause).__name__}: {cause}".splitlines()[0]) from None


def shown_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def connect(url: str | None) -> Database:
    """A :class:`Database`, or a message naming the kinds of URL that work."""
    try:
        return Database(url)
    except ValueError as error:  # a URL of an unsupported kind
        raise fail(f"{error}", EXIT_REFUSED) from None


def open_database(ctx: typer.Context, *, migrated: bool = True) -> Database:
    """The database of ``--database-url`` / ``GONGJI_DATABASE_URL``; refuse to work on an unmigrated one."""
    db = connect(ctx.obj.database_url if ctx.obj else None)
    if migrated and not db.is_current():
        raise fail(f"数据库结构不是最新版本，请先运行 gongji db upgrade。\n"
                   f"The database schema is not current ({shown_url(db.url)}): run `gongji db upgrade` first.")
    return db


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


# -- demo -----------------------------------------------------------------------------------------


def _remove_sqlite_file(path: Path) -> None:
    """Delete an earlier demo database (and its WAL files), but never a file that is not a SQLite database."""
    if path.is_dir():
        raise fail(f"{path} 是一个文件夹 · is a folder; give a file name for the demo database", EXIT_REFUSED)
    if path.exists() and path.stat().st_size > 0:
        with path.open("rb") as file:
            if file.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
                raise fail(f"{path} 不是 SQLite 数据库，不会覆盖 · is not a SQLite database; not overwriting it",
                           EXIT_REFUSED)
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


@app.command()
def demo(
    database: Annotated[Path, typer.Option("--database", help="SQLite file to create (overwritten)")] = Path(
        "gongji-demo.sqlite3"),
    seed: Annotated[int, typer.Option("--seed", help="seed of the synthetic population")] = 2025,
    people: Annotated[int, typer.Option("--people", min=0, max=100_000,
                                        help="about how many synthetic people to load")] = DEFAULT_PEOPLE,
    serve_after: Annotated[bool, typer.Option("--serve/--no-serve",
                                              help="serve the demo over HTTP after the story")] = True,
    host: Annotated[str, typer.Option("--host", help="address to serve on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="port to serve on")] = 8000,
) -> None:
    """创建演示数据库，讲述共济规则的故事，然后提供服务 · Build a demo database, tell the story of the rules, then serve it."""
    out = stdout()
    started = time.perf_counter()
    with reported_errors():
        _remove_sqlite_file(database)
        db = connect(f"sqlite:///{database}")
        db.upgrade()
        clock = FixedClock.on(story.START)
        env = Env(clock=clock, policies=load_policies())
        out.print(Text(f"共济演示 Gongji demo · {database} · seed {seed} · {story.START}", style="bold"))
        with out.status("载入合成人口 · loading the synthetic population …"):
            population = load_population(db, env, seed=seed, people_count=people)
        result = story.tell(db, env, clock, population, out)
        server_key = server_key_from_env()
        access = open_doors(db, env, cast=result.cast, population=population, server_key=server_key)
        db.dispose()
    out.print()
    out.print(Text(f"演示数据库 demo database: {database}  ({result.settlements} 笔故事结算 story settlements, "
                   f"{time.perf_counter() - started:.1f} s)", style="dim"))
    out.print(Text(f"浏览 Explore: GONGJI_DATABASE_URL=sqlite:///{database} gongji check", style="dim"))
    if not result.ledger.ok:
        raise typer.Exit(EXIT_FAILED)
    url = f"sqlite:///{database}"
    print_demo_access(out, access, f"http://{host}:{port}")
    if serve_after:
        run_server(url, host=host, port=port, workers=1, notify=True, migrate=False, console=out)
    else:
        out.print(Text(f"服务 Serve it: gongji --database-url {url} serve", style="dim"))


def print_demo_access(out: Console, access, base: str) -> None:
    from gongji.demo import access as demo_access

    table = Table(title="演示登录 · demo logins", box=box.SIMPLE_HEAD, title_justify="left")
    for column in ("", "账号 account", "密码/密钥 password or secret", "说明 note"):
        table.add_column(column, overflow="fold")
    for member in access.people[:4]:
        table.add_row("参保人 person", member.id_number, demo_access.PERSON_PASSWORD,
                      f"{member.name} · POST {base}/v1/auth/person")
    table.add_row("窗口 staff", demo_access.STAFF_ID, demo_access.STAFF_PASSWORD, f"POST {base}/v1/auth/staff")
    table.add_row("管理员 admin", demo_access.ADMIN_ID, demo_access.ADMIN_PASSWORD, f"POST {base}/v1/auth/staff")
    for inst in access.institutions:
        table.add_row("机构 institution", inst.code, inst.secret, f"{inst.name} · signed requests")
    out.print(table)
    out.print(Text(f"网上服务大厅 portal: {base}/portal  ·  经办窗口 counter console: {base}/counter", style="bold"))
    out.print(Text(f"另有 {len(access.people) - 4} 位故事人物使用同一密码 · {len(access.people) - 4} more of the "
                   f"story's people share the same password.", style="dim"))


def run_server(url: str, *, host: str, port: int, workers: int, notify: bool, migrate: bool,
               console: Console) -> None:
    """Serve the API with uvicorn until interrupted."""
    import os

    import uvicorn

    from gongji import logs

    db = connect(url)
    if migrate:
        db.upgrade()
    elif not db.is_current():
        raise fail("数据库结构不是最新版本，请先运行 gongji db upgrade。\n"
                   f"The database schema is not current ({shown_url(db.url)}): run `gongji db upgrade` first.")
    db.dispose()
    base = f"http://{host}:{port}"
    console.print(Text(f"共济服务 Gongji service · {shown_url(db.url)}", style="bold"))
    if os.environ.get("GONGJI_FEDERATION"):
        from gongji.federation import config

        try:
            federation = config.from_env()
        except config.FederationConfigError as exc:
            raise fail(f"跨省互联配置有误 · federation settings: {exc}", EXIT_REFUSED) from None
        role = f"省份 province {federation.province}" if federation.province else "枢纽 hub"
        console.print(Text(f"  跨省互联 federation  {role} · {federation.path}", style="dim"))
    console.print(Text(f"  接口文档 API docs   {base}/docs\n  OpenAPI            {base}/openapi.json\n"
                       f"  健康 health        {base}/healthz  {base}/readyz\n  指标 metrics       {base}/metrics",
                       style="dim"))
    os.environ["GONGJI_DATABASE_URL"] = db.url
    if not notify:
        os.environ["GONGJI_NOTIFY_SENDER"] = ""
    logs.configure()
    uvicorn.run("gongji.api.app:serve_app", factory=True, host=host, port=port, workers=workers,
                log_config=logs.uvicorn_log_config(), access_log=False, proxy_headers=False)


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
) -> None:
    """提供HTTP接口服务 · Serve the HTTP API (FastAPI on uvicorn)."""
    with reported_errors():
        url = ctx.obj.database_url if ctx.obj and ctx.obj.database_url else database_url()
        run_server(url, host=host, port=port, workers=workers, notify=notify, migrate=migrate, console=stdout())


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


if __name__ == "__main__":
    app()
