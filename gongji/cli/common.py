"""What every command of the ``gongji`` line shares: the console, the exit statuses, the error printing, the database
of ``--database-url`` and the server runner.

Command modules (``gongji/cli/*.py`` and the tools' commands in ``gongji_tools/cli``) import this module, never
:mod:`gongji.cli.main`, which only puts the application together.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import typer
from rich.console import Console
from rich.text import Text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from gongji.db import Database
from gongji.errors import GongjiError
from gongji.policy import PolicyFileError

EXIT_FAILED = 1
EXIT_REFUSED = 2


def stdout() -> Console:
    """A console on the current stdout (made per use, so it sees the stream and terminal of the moment)."""
    return Console(highlight=False)


@dataclass(frozen=True)
class Settings:
    database_url: str | None


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


#: Seconds uvicorn's supervisor waits for a worker's answer to its health ping before replacing the worker.
WORKER_HEALTHCHECK_S = 60


#: The HTTP servers ``gongji serve --server`` runs the application on.
SERVERS = ("uvicorn", "granian")


def run_server(url: str, *, host: str, port: int, workers: int, notify: bool, migrate: bool,
               console: Console, server: str = "uvicorn") -> None:
    """Serve the API with uvicorn (or granian) until interrupted."""
    import os

    from gongji import logs

    if server not in SERVERS:
        raise fail(f"未知的HTTP服务器 · unknown server {server!r}: use one of {', '.join(SERVERS)}", EXIT_REFUSED)
    if server == "granian":
        try:
            import granian  # noqa: F401
        except ImportError:
            raise fail("未安装 granian · granian is not installed: pip install granian, or use --server uvicorn",
                       EXIT_REFUSED) from None
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
    if server == "granian":
        _run_granian(host=host, port=port, workers=workers)
        return
    _run_uvicorn(host=host, port=port, workers=workers)


def _run_uvicorn(*, host: str, port: int, workers: int) -> None:
    import inspect

    import uvicorn

    from gongji import logs

    healthcheck = "timeout_worker_healthcheck" in inspect.signature(uvicorn.Config).parameters
    if workers > 1:
        _exec_uvicorn_supervisor(host=host, port=port, workers=workers, healthcheck=healthcheck)
    uvicorn.run("gongji.api.app:serve_app", factory=True, host=host, port=port, workers=workers,
                log_config=logs.uvicorn_log_config(), access_log=False, proxy_headers=False)


def _exec_uvicorn_supervisor(*, host: str, port: int, workers: int, healthcheck: bool) -> None:
    """Become uvicorn's own command line, which starts and watches ``workers`` processes.

    Run from here, the supervisor, which only starts and watches the workers, would be this command line with all
    its commands and the storage layer loaded (about 100 MB); as ``python -m uvicorn`` it is uvicorn alone (about
    30 MB), and ``--workers 2`` stays under 300 MB (docs/performance.md, "The HTTP layer's cost").
    The settings go along in the environment (``GONGJI_DATABASE_URL`` and the rest), the logging set-up in a file.
    """
    import json
    import os
    import sys
    import tempfile

    from gongji import logs

    handle, log_config = tempfile.mkstemp(prefix="gongji-serve-log-", suffix=".json")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        json.dump(logs.uvicorn_log_config(), out)
    args = [sys.executable, "-m", "uvicorn", "gongji.api.app:serve_app", "--factory", "--host", host,
            "--port", str(port), "--workers", str(workers), "--log-config", log_config, "--no-access-log",
            "--no-proxy-headers"]
    if healthcheck:
        # uvicorn's supervisor kills a worker that does not answer its ping within 5 s, also while the worker is
        # still starting: on a busy machine every worker is killed before it serves. A minute instead.
        args += ["--timeout-worker-healthcheck", str(WORKER_HEALTHCHECK_S)]
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, args)


def _run_granian(*, host: str, port: int, workers: int) -> None:
    """The same application on granian (its HTTP in Rust, the application in Python as under uvicorn): its own
    access log off (the service writes its own line), the service's log set-up for its loggers too."""
    from granian import Granian
    from granian.constants import Interfaces

    from gongji import logs

    config = logs.uvicorn_log_config()
    config["loggers"].update({name: {"handlers": [], "level": config["root"]["level"], "propagate": True}
                              for name in ("_granian", "granian.access")})
    Granian("gongji.api.app:serve_app", factory=True, address=host, port=port, workers=workers,
            interface=Interfaces.ASGI, log_dictconfig=config, log_access=False,
            respawn_failed_workers=True).serve()
