"""Closing expired bindings (``gongji close-expired``) through the chunked runner, by ranges of binding ids (D-3).

The work of a chunk is :func:`gongji.authorizations.service.close_expired` limited to the chunk's ids: set-based,
with a ``binding.ended`` event and the outbox's notifications for both sides of each binding, as when a binding
ends any other way. The period is the day (China Standard Time) the job runs for; the population is the bindings
past their end date and not yet ended when the day's first run starts (none can join later that day: a binding
made today ends tomorrow at the earliest). Running it again the same day is a no-op; the next day starts afresh.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gongji.authorizations import service as authorizations
from gongji.authorizations.models import Binding
from gongji.batch import runner
from gongji.batch.periods import CLOSE_EXPIRED
from gongji.db import Database
from gongji.env import Env


class CloseExpired:
    """The job of :func:`close_expired_bindings` for the runner."""

    name = CLOSE_EXPIRED

    def __init__(self, env: Env) -> None:
        self.env = env
        self.period = env.today().isoformat()

    def check(self, session: Session) -> None:
        """Nothing refuses it: closing what has expired is right on any day."""

    def bounds(self, session: Session) -> tuple[int, int] | None:
        row = session.execute(select(func.min(Binding.id), func.max(Binding.id))
                              .where(Binding.ended_on.is_(None), Binding.end_on < self.env.today())).one()
        return None if row[0] is None else (row[0], row[1])

    def work(self, session: Session, first_id: int, last_id: int) -> runner.ChunkWork:
        closed = authorizations.close_expired(session, self.env, first_id=first_id, last_id=last_id)
        return runner.ChunkWork(rows=closed)


def close_expired_bindings(db: Database, env: Env, *, chunk_size: int = runner.DEFAULT_CHUNK_SIZE,
                           workers: int | None = None, progress: runner.Progress | None = None) -> runner.Summary:
    """End the bindings whose end date has passed (D-3), chunk by chunk; ``summary.rows`` is how many ended."""
    return runner.run(db, env, CloseExpired(env), chunk_size=chunk_size, workers=workers,
                      progress=progress)
