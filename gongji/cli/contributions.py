"""``gongji contributions-refresh`` (LC-1); the import is ``gongji import contributions`` (:mod:`gongji.cli.imports`).

``contributions-refresh`` brings every status that contributions decide up to date with today (run it daily: a
month that ends unpaid suspends from the next month's first day without any new file).
"""

from __future__ import annotations

import typer
from rich.text import Text

from gongji.actors import Actor


def refresh_command(ctx: typer.Context) -> None:
    """按缴费记录更新参保状态（每日运行）· Bring the status contributions decide up to date with today."""
    from sqlalchemy import select

    from gongji.cli.common import open_database, reported_errors, stdout
    from gongji.contributions import service
    from gongji.contributions.models import Contribution
    from gongji.env import Env

    with reported_errors():
        env = Env.from_environ()
        db = open_database(ctx)
        try:
            ids = db.read(lambda s: list(s.execute(select(Contribution.person_id).distinct()).scalars()))
            changed = 0
            for start in range(0, len(ids), 5_000):
                chunk = ids[start:start + 5_000]
                changed += db.run(lambda s, chunk=chunk: service.refresh(
                    s, env, person_ids=chunk, actor=Actor.system("contributions")))
        finally:
            db.dispose()
    stdout().print(Text(f"已核对 checked {len(ids):,} 人 people · 状态变更 status changes {changed:,}"))


def register(app: typer.Typer) -> None:
    app.command("contributions-refresh")(refresh_command)
