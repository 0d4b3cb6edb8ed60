"""The chunked runner the batch jobs share: fixed id ranges, one transaction per chunk, resumable and idempotent.

A job (:class:`Job`) names its population by an id range (people, bindings) and knows how to do its work for
one sub-range in a few set-based statements. The runner

1. opens the period's run (``batch_runs``) in a transaction that first checks the job's refusals, so a refused
   job changes nothing. The first run of a period fixes the id range and the chunk size; later runs of the same
   period cut the very same chunks, so "chunk 7" always means the same people;
2. runs each chunk not yet done as ONE transaction (:meth:`gongji.db.Database.run`): the job's statements, the
   chunk's row in ``batch_chunks`` (job, period, chunk: the primary key), and one ``batch.chunk_done`` event.
   A chunk is therefore done completely or not at all: a crash, a killed process or a failed statement leaves
   only whole chunks done, and the next run of the period does the rest;
3. marks the run finished when every chunk is done, and sums the chunks' rows into a :class:`Summary`.

Chunks of a run may go side by side (``workers``; they touch different accounts). Two runs at once never do a
chunk twice: a chunk's transaction claims the chunk's row first, so the second waits at the primary key and, once
the first has committed, finds the chunk done. On PostgreSQL every batch transaction also takes one advisory lock
(shared for chunks, exclusive to open and finish a run), so that a run opens only while no chunk of any job is
under way: the jobs' order rules (a month's credit against the year-end roll-over, :mod:`gongji.batch.periods`)
are checked on a whole state, and checked again inside each chunk's transaction. SQLite's ``BEGIN IMMEDIATE``
lets one writer in at a time anyway.

People are not notified one by one (a monthly credit concerns every employee: millions of messages); each chunk
writes one event, ``batch.chunk_done``, with its counts and ledger entries.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import select, text
from sqlalchemy.orm import Session

import gongji.db.models  # noqa: F401 — every table: the jobs may run in a process that has loaded no other
from gongji.actors import Actor
from gongji.batch.models import BatchChunk, BatchRun
from gongji.db import Database
from gongji.db.dialect import is_postgresql
from gongji.env import Env
from gongji.events.service import record as record_event

#: People (or bindings) per chunk. One chunk is one transaction: big enough that per-transaction costs vanish,
#: small enough that a chunk holds its rows' locks for a second or two and a crash loses little work
#: (measured: 20,000 to 100,000 take the same time per person on PostgreSQL).
DEFAULT_CHUNK_SIZE = 50_000
#: Chunks side by side on PostgreSQL: its time goes to the server's work (row updates, index entries, foreign-key
#: checks), so a second connection keeps a second core busy.
POSTGRES_WORKERS = 2
#: Memory a chunk's statement may use on PostgreSQL before spilling to temporary files.
WORK_MEM = "64MB"
#: The key of the transaction-level advisory lock every batch transaction takes on PostgreSQL ("gjbatch").
ADVISORY_LOCK_KEY = int.from_bytes(b"gjbatch", "big")


@dataclass(frozen=True)
class ChunkWork:
    """What a job did in one chunk."""

    rows: int  # people credited, accounts rolled over, bindings closed
    amount_fen: int = 0
    entry_ids: list[int] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)  # nested counts, summed over chunks for the summary


@dataclass(frozen=True)
class ChunkReport:
    """One chunk as the progress callback sees it: done now, or found done by an earlier or concurrent run."""

    job: str
    period: str
    chunk: int
    chunks: int  # how many chunks the period has
    first_id: int
    last_id: int
    rows: int
    amount_fen: int
    done_now: bool


Progress = Callable[[ChunkReport], None]


class Job(Protocol):
    name: str  # credit_month, year_end, close_expired
    period: str  # 2026-11, 2026, 2026-11-23

    def check(self, session: Session) -> None:
        """Raise a :class:`~gongji.errors.GongjiError` if the job may not run (now)."""

    def bounds(self, session: Session) -> tuple[int, int] | None:
        """The smallest and largest id of the population, or None if it is empty."""

    def work(self, session: Session, first_id: int, last_id: int) -> ChunkWork:
        """Do the job for the ids ``first_id`` through ``last_id``, set-based, and flush (never commit)."""


@dataclass
class Summary:
    """A period's job after a run: what all its chunks did (earlier runs' too), and what this run did."""

    job: str
    period: str
    chunk_size: int
    chunks: int
    chunks_done_now: int
    chunks_done_earlier: int
    rows: int  # over every done chunk of the period
    amount_fen: int
    rows_now: int  # in the chunks this run did
    amount_fen_now: int
    detail: dict[str, Any]  # the chunks' details summed (by region, by reason)
    seconds: float
    finished: bool  # every chunk of the period is done


class RetryChunk(Exception):  # noqa: N818 — a signal, not an error
    """Raised by a job inside a chunk's transaction when what it read moved under it: roll back and do it again."""


def is_postgres(session: Session) -> bool:
    return is_postgresql(session)


def lock(session: Session, *, shared: bool = False) -> None:
    """The batch jobs' lock for this transaction (PostgreSQL; SQLite's single writer needs none).

    Chunks take it shared, so that a run's chunks may go side by side; opening and finishing a run take it
    exclusive, so that a run starts only while no chunk of any job is under way, and sees the others' state whole.
    """
    if is_postgres(session):
        function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
        session.execute(text(f"SELECT {function}(:key)"), {"key": ADVISORY_LOCK_KEY})


def chunk_range(number: int, size: int) -> tuple[int, int]:
    """The ids chunk ``number`` (from 1) covers."""
    return (number - 1) * size + 1, number * size


def chunk_numbers(first_id: int, last_id: int, size: int) -> range:
    """The chunks that cover ``first_id`` through ``last_id`` (none when the range is empty)."""
    if last_id < first_id:
        return range(0)
    return range((first_id - 1) // size + 1, (last_id - 1) // size + 2)


def add_up(total: dict[str, Any], more: dict[str, Any]) -> dict[str, Any]:
    """Sum nested dictionaries of counts: ``{"regions": {"230100": {"people": 2}}}`` and the like."""
    for key, value in more.items():
        if isinstance(value, dict):
            total[key] = add_up(dict(total.get(key, {})), value)
        else:
            total[key] = total.get(key, 0) + value
    return total


def _open(session: Session, env: Env, job: Job, chunk_size: int) -> BatchRun:
    """Check the job's refusals and open its run for the period (or find the one an earlier run opened)."""
    lock(session)
    job.check(session)
    run = session.get(BatchRun, (job.name, job.period))
    if run is None:
        bounds = job.bounds(session)
        first_id, last_id = bounds if bounds else (1, 0)
        run = BatchRun(job=job.name, period=job.period, chunk_size=chunk_size, first_id=first_id, last_id=last_id,
                       started_at=env.now())
        session.add(run)
        session.flush()  # two first runs at once: the loser's key conflict makes Database.run try again
    return run


def _do_chunk(session: Session, env: Env, job: Job, number: int, first_id: int, last_id: int) -> ChunkWork | None:
    """One chunk in the caller's transaction: None if it is done already (by another run), else what was done.

    The chunk's row is claimed first: a second run on the same chunk waits for this transaction at the primary
    key, then fails on it, and :meth:`Database.run` runs it again, to find the chunk done.
    """
    lock(session, shared=True)
    job.check(session)
    if session.get(BatchChunk, (job.name, job.period, number)) is not None:
        return None
    chunk = BatchChunk(job=job.name, period=job.period, chunk=number, first_id=first_id, last_id=last_id, rows=0,
                       amount_fen=0, entry_ids=[], detail={}, done_at=env.now())
    session.add(chunk)
    session.flush()
    if is_postgres(session):
        session.execute(text(f"SET LOCAL work_mem = '{WORK_MEM}'"))  # the chunk's rows stay in memory
    work = job.work(session, first_id, last_id)
    _record_chunk(session, env, job, chunk, work)
    return work


def _record_chunk(session: Session, env: Env, job: Job, chunk: BatchChunk, work: ChunkWork) -> None:
    """Fill in the claimed chunk's row with what was done, and write its event."""
    number, first_id, last_id = chunk.chunk, chunk.first_id, chunk.last_id
    chunk.rows, chunk.amount_fen, chunk.entry_ids, chunk.detail = (work.rows, work.amount_fen, list(work.entry_ids),
                                                                   work.detail)
    record_event(session, env, kind="batch.chunk_done", actor=Actor.system(job.name), subject_type="batch_chunk",
                 subject_id=number, concerns=[],
                 data={"job": job.name, "period": job.period, "chunk": number, "first_id": first_id,
                       "last_id": last_id, "rows": work.rows, "amount_fen": work.amount_fen,
                       "entry_ids": list(work.entry_ids)})
    session.flush()


def run(db: Database, env: Env, job: Job, *, chunk_size: int = DEFAULT_CHUNK_SIZE, workers: int | None = None,
        progress: Progress | None = None) -> Summary:
    """Run ``job`` for its period: every chunk not yet done, each in its own transaction; return the summary.

    A refusal (``job.check``) is raised before anything is written. ``chunk_size`` applies to the first run of
    a period only; later runs keep the size the period was cut into. ``workers`` chunks go side by side (default:
    :data:`POSTGRES_WORKERS` on PostgreSQL, 1 on SQLite, which has one writer). ``progress`` is called after each
    chunk, also for chunks found done; with one worker in chunk order. An exception it raises (or a chunk's)
    stops the run: the chunks done so far stay done, chunks under way finish or roll back whole, and the next
    run of the period does the rest.
    """
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise ValueError(f"chunk_size is a whole number of at least 1, not {chunk_size!r}")
    if workers is None:
        workers = POSTGRES_WORKERS if is_postgresql(db) else 1
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers is a whole number of at least 1, not {workers!r}")
    started = time.monotonic()
    opened = db.run(lambda session: _open(session, env, job, chunk_size))
    size, numbers = opened.chunk_size, chunk_numbers(opened.first_id, opened.last_id, opened.chunk_size)
    earlier = {row.chunk: row for row in db.read(lambda session: list(session.execute(
        select(BatchChunk.chunk, BatchChunk.rows, BatchChunk.amount_fen)
        .where(BatchChunk.job == job.name, BatchChunk.period == job.period)).all()))}
    totals = [0, 0, 0]  # chunks, rows and fen done now

    def report(number: int, work: ChunkWork | None) -> None:
        first_id, last_id = chunk_range(number, size)
        if work is not None:
            totals[0], totals[1], totals[2] = totals[0] + 1, totals[1] + work.rows, totals[2] + work.amount_fen
        if progress is None:
            return
        if work is None and number not in earlier:  # a concurrent run did it a moment ago
            earlier[number] = db.read(lambda session: session.execute(
                select(BatchChunk.chunk, BatchChunk.rows, BatchChunk.amount_fen)
                .where(BatchChunk.job == job.name, BatchChunk.period == job.period, BatchChunk.chunk == number)).one())
        shown = work if work is not None else earlier[number]
        progress(ChunkReport(job=job.name, period=job.period, chunk=number, chunks=len(numbers), first_id=first_id,
                             last_id=last_id, rows=shown.rows, amount_fen=shown.amount_fen, done_now=work is not None))

    pending = []
    for number in numbers:
        if number in earlier:
            report(number, None)
        else:
            pending.append(number)
    if workers == 1 or len(pending) <= 1:
        for number in pending:
            report(number, _run_chunk(db, env, job, number, *chunk_range(number, size)))
    else:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"batch-{job.name}") as pool:
            futures = {pool.submit(_run_chunk, db, env, job, number, *chunk_range(number, size)): number
                       for number in pending}
            try:
                for future in as_completed(futures):
                    report(futures[future], future.result())
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)
                raise
    return db.run(lambda session: _finish(session, env, job, numbers, size, started, *totals))


def _run_chunk(db: Database, env: Env, job: Job, number: int, first_id: int, last_id: int) -> ChunkWork | None:
    for _attempt in range(5):
        try:
            return db.run(lambda session: _do_chunk(session, env, job, number, first_id, last_id))
        except RetryChunk:
            continue
    return db.run(lambda session: _do_chunk(session, env, job, number, first_id, last_id))


def _finish(session: Session, env: Env, job: Job, numbers: range, size: int, started: float, done_now: int,
            rows_now: int, amount_now: int) -> Summary:
    lock(session)
    chunks = list(session.execute(
        select(BatchChunk.chunk, BatchChunk.rows, BatchChunk.amount_fen, BatchChunk.detail)
        .where(BatchChunk.job == job.name, BatchChunk.period == job.period)))
    finished = {row.chunk for row in chunks} >= set(numbers)
    if finished:
        run_row = session.get(BatchRun, (job.name, job.period))
        if run_row.finished_at is None:
            run_row.finished_at = env.now()
            session.flush()
    detail: dict[str, Any] = {}
    for row in chunks:
        add_up(detail, row.detail or {})
    return Summary(job=job.name, period=job.period, chunk_size=size, chunks=len(numbers), chunks_done_now=done_now,
                   chunks_done_earlier=len(chunks) - done_now, rows=sum(row.rows for row in chunks),
                   amount_fen=sum(row.amount_fen for row in chunks), rows_now=rows_now, amount_fen_now=amount_now,
                   detail=detail, seconds=time.monotonic() - started, finished=finished)
