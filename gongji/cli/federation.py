"""``gongji federation …``: provinces as instances and the hub between them (``docs/federation.md``).

* ``deliver`` sends what waits in this instance's outbox (``gongji serve`` does it too, in the background);
* ``status`` shows how the outbox and inbox stand.

``check`` (comparing the provinces' databases) and ``example`` (a hub and two provinces to try on one machine) are
tools beside the product, added to this group by :mod:`gongji_tools.cli.federation`.

The instance's role comes from the file named by ``GONGJI_FEDERATION`` (:mod:`gongji.federation.config`).
:func:`register` adds the group (:data:`federation_app`) to the ``gongji`` application (:mod:`gongji.cli.main`).
"""

from __future__ import annotations

import json
import threading
from typing import Annotated

import typer
from rich.text import Text

federation_app = typer.Typer(help="跨省互联 · provinces as instances and the hub between them", no_args_is_help=True)


def _env():
    from gongji.cli.common import EXIT_REFUSED, fail
    from gongji.env import Env
    from gongji.federation.config import FederationConfigError

    try:
        env = Env.from_environ()
    except FederationConfigError as exc:
        raise fail(f"跨省互联配置有误 · federation settings: {exc}", EXIT_REFUSED) from None
    if env.federation is None:
        raise fail("未配置跨省互联：请用 GONGJI_FEDERATION 指定配置文件。\n"
                   "No federation settings: name the file with GONGJI_FEDERATION.", EXIT_REFUSED)
    return env


@federation_app.command("deliver")
def deliver_command(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help="one pass, then stop (else until interrupted)")] = False,
) -> None:
    """发送待发的跨省消息 · Send what waits in the outbox, until acknowledged."""
    import httpx

    from gongji.cli.common import open_database, reported_errors, stdout
    from gongji.federation import service

    with reported_errors():
        env = _env()
        db = open_database(ctx)
        try:
            if once:
                with httpx.Client(timeout=10) as client:
                    acked, failed = service.deliver_once(db, env, client)
                stdout().print(Text(f"已确认 {acked} 条，未成功 {failed} 条（稍后重试）· {acked} acknowledged, "
                                    f"{failed} to be tried again"))
                return
            stop = threading.Event()
            try:
                service.run_deliverer(db, env, stop)
            except KeyboardInterrupt:
                stop.set()
        finally:
            db.dispose()


@federation_app.command("status")
def status_command(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """跨省消息状况 · How this instance's outbox and inbox stand."""
    from gongji.cli.common import open_database, reported_errors, stdout
    from gongji.federation import service

    with reported_errors():
        env = _env()
        db = open_database(ctx)
        try:
            found = db.read(service.status)
        finally:
            db.dispose()
    data = {"role": env.federation.role, "name": env.federation.name, **found.to_json()}
    if as_json:
        print(json.dumps(data, ensure_ascii=False))
        return
    stdout().print(Text(f"{data['role']} {data['name']}: 待确认 waiting {data['waiting']} (最早 oldest "
                        f"{data['oldest_waiting_at'] or '-'}, 最多尝试 most attempts {data['most_attempts']}), "
                        f"已确认 acknowledged {data['acknowledged']}, 已收到 received {data['received']}"))


def register(app: typer.Typer) -> None:
    """Add the ``federation`` group to the ``gongji`` application."""
    app.add_typer(federation_app, name="federation")
