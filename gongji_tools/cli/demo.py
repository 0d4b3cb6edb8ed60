"""``gongji demo``: build a demo database, tell the story of the rules on it, then serve it (docs in README).

Exit 1 when the story goes differently from what it shows (:class:`gongji_tools.demo.story.StoryError`) or the ledger
check after it fails; 2 when the demo file is a folder or not a SQLite database.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from gongji.cli.common import EXIT_FAILED, EXIT_REFUSED, connect, fail, reported_errors, run_server, stdout
from gongji_tools.demo.population import DEFAULT_PEOPLE

SQLITE_HEADER = b"SQLite format 3\x00"


@contextmanager
def story_errors() -> Iterator[None]:
    """The product's error printing, and a story gone off script as a message with exit status 1."""
    from gongji_tools.demo.story import StoryError

    with reported_errors():
        try:
            yield
        except StoryError as error:
            raise fail(f"演示未按剧本进行 · the demo went off script: {error}") from None


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


def demo(
    database: Annotated[Path, typer.Option("--database", help="SQLite file to create (overwritten)")] = Path(
        "gongji-demo.sqlite3"),
    seed: Annotated[int, typer.Option("--seed", help="seed of the synthetic population")] = 2025,
    people: Annotated[int, typer.Option("--people", min=0, max=100_000,
                                        help="about how many synthetic people to load")] = DEFAULT_PEOPLE,
    serve_after: Annotated[bool, typer.Option("--serve/--no-serve",
                                              help="serve the demo over HTTP after the story")] = True,
    history: Annotated[bool, typer.Option("--history/--no-history",
                                          help="a year of settlements, credits and refunds before the story, for "
                                               "gongji simulate")] = True,
    host: Annotated[str, typer.Option("--host", help="address to serve on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="port to serve on")] = 8000,
) -> None:
    """创建演示数据库，讲述共济规则的故事，然后提供服务 · Build a demo database, tell the story of the rules, then serve it."""
    from gongji.api.settings import server_key_from_env
    from gongji.clock import FixedClock
    from gongji.env import Env
    from gongji.policy import load_policies
    from gongji_tools.demo import story
    from gongji_tools.demo.access import open_doors
    from gongji_tools.demo.history import HISTORY_START, tell_history
    from gongji_tools.demo.population import load_population

    out = stdout()
    started = time.perf_counter()
    with story_errors():
        _remove_sqlite_file(database)
        db = connect(f"sqlite:///{database}")
        db.upgrade()
        clock = FixedClock.on(HISTORY_START if history else story.START)
        env = Env(clock=clock, policies=load_policies())
        out.print(Text(f"共济演示 Gongji demo · {database} · seed {seed} · {story.START}", style="bold"))
        with out.status("载入合成人口 · loading the synthetic population …"):
            population = load_population(db, env, seed=seed, people_count=people)
        if history:
            with out.status(f"{HISTORY_START.year} 年的结算历史 · a year of history ({HISTORY_START.year}) …"):
                past = tell_history(db, env, clock, population, seed=seed)
            out.print(Text(f"{HISTORY_START.year} 年历史 history: {past.settlements} 笔结算 settlements, "
                           f"{past.refunds} 笔退费 refunds, {past.months} 个月记账 months credited, 年度结转 year-end "
                           f"· gongji simulate --region 4403 --from {HISTORY_START.year}-01-01 --to "
                           f"{HISTORY_START.year}-12-31 --set reserve_line_fen=300000 --out simulation/",
                           style="dim"))
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
        with reported_errors():
            run_server(url, host=host, port=port, workers=1, notify=True, migrate=False, console=out)
    else:
        out.print(Text(f"服务 Serve it: gongji --database-url {url} serve", style="dim"))


def print_demo_access(out: Console, access, base: str) -> None:
    from gongji_tools.demo import access as demo_access

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


def register(app: typer.Typer) -> None:
    """Add ``demo`` to the ``gongji`` application."""
    app.command("demo")(demo)
