"""``gongji wallet-return``: the scheduled job that gives back wallet transfers not accepted in time (WAL-4).

Run it every day at 06:00 China Standard Time (cron: ``0 6 * * *`` with ``CRON_TZ=Asia/Shanghai``, or ``0 22 * * *``
on a UTC host). It returns every transfer whose ``return_due_at`` has passed and that is still waiting, each once:
running it twice, late, or next to a relative who accepts at the same moment is safe (``docs/wallet.md``).
:func:`register` adds the command to the ``gongji`` application (:mod:`gongji.cli.main`).
"""

from __future__ import annotations

import typer
from rich.text import Text

from gongji.env import Env


def wallet_return_command(ctx: typer.Context) -> None:
    """退回未接收的医保钱包转账（WAL-4）· Return the wallet transfers not accepted in time (WAL-4)."""
    from gongji.cli.common import open_database, reported_errors, stdout
    from gongji.wallet.service import return_unaccepted

    with reported_errors():
        env = Env.from_environ()  # in a province, returns from other provinces send their messages
        db = open_database(ctx)
        try:
            count = return_unaccepted(db, env)
        finally:
            db.dispose()
    stdout().print(Text(f"{count} 笔未接收的医保钱包转账已退回转出人 · {count} wallet transfer(s) not accepted "
                        f"returned to the sender"))


def register(app: typer.Typer) -> None:
    """Add ``wallet-return`` to the ``gongji`` application."""
    app.command("wallet-return")(wallet_return_command)
