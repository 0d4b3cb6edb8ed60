"""Running an import: a file in chunks, each chunk one transaction with its checkpoint; resumable; idempotent.

A kind of file is a :class:`Loader`: its ``kind``, the :class:`~gongji.imports.reading.Field` s it reads, and
``load(session, env, rows, run)``, which checks a chunk's rows, writes those that pass and returns a
:class:`ChunkOutcome` naming the others. A rejected row must write nothing of itself; the loader checks before it
writes (and bulk-writes, :mod:`gongji.imports.bulk`, only what passed). A loader may also have
``prepare(env, rows)``, the part of its checks that needs no database (reading values, check digits): the runner
then calls it for the next chunk in a thread of its own while the database writes the current one, and passes
what it returned to ``load`` instead of the rows.

:func:`run_import`:

1. reads the file's SHA-256 and its header (a file without the required columns changes nothing);
2. finds the unfinished run over the same file and kind and resumes after its checkpoint, or starts a new run; a
   file already loaded completely is not loaded again (``again=True`` starts a new run anyway, for a loader whose
   rows are idempotent by themselves);
3. for each chunk, in one transaction (:meth:`gongji.db.Database.run`, retried on a conflict): the loader's work,
   the rejections, and the run's counters and checkpoint. A crash loses at most the chunk in flight, which the next
   run does again;
4. marks the run finished.
"""

from __future__ import annotations

import hashlib
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Protocol

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from gongji.actors import Actor
from gongji.db.dialect import for_update
from gongji.env import Env
from gongji.errors import GongjiError
from gongji.imports.bulk import insert_rows, reserve_ids
from gongji.imports.models import ImportRejection, ImportRun
from gongji.imports.reading import Field, Source, SourceRow, open_source
from gongji.imports.report import Rejection

DEFAULT_CHUNK_ROWS = 5_000
REJECTION_COLUMNS = ("id", "run_id", "row_number", "field", "code", "message_zh", "message_en")


@dataclass
class ChunkOutcome:
    loaded: int = 0
    rejections: list[Rejection] = field(default_factory=list)


class Loader(Protocol):
    kind: str
    fields: Sequence[Field]

    def load(self, session: Session, env: Env, rows: list[SourceRow], run: ImportRun) -> ChunkOutcome: ...


@dataclass(frozen=True)
class Progress:
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    bytes_read: int
    file_bytes: int


@dataclass
class Summary:
    run_id: int
    kind: str
    file_name: str
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    resumed_from: int  # rows done by earlier runs of this file (0: a new run)
    chunks_now: int
    finished: bool
    already_loaded: bool  # the file was loaded completely before; nothing was done now
    seconds: float
    unknown_columns: list[str] = field(default_factory=list)
    encoding: str = ""
    format: str = ""


def file_digest(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with Path(path).open("rb") as raw:
        while block := raw.read(1 << 20):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def _chunks(rows: Iterator[SourceRow], size: int) -> Iterator[list[SourceRow]]:
    while chunk := list(islice(rows, size)):
        yield chunk


_END = object()


def _prepared(rows: Iterator[SourceRow], size: int, loader: Loader, env: Env) -> Iterator[tuple]:
    """(chunk, unreadable rows' rejections, what ``load`` gets), read and prepared one or two chunks ahead in a
    thread (memory: at most four chunks)."""
    prepare = getattr(loader, "prepare", None)
    ready: queue.Queue = queue.Queue(maxsize=2)
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for chunk in _chunks(rows, size):
                unreadable = [Rejection.unreadable(r.number, *r.problem) for r in chunk if r.problem]
                readable = [r for r in chunk if not r.problem]
                work = prepare(env, readable) if prepare is not None else readable
                if not put((chunk, unreadable, work, bool(readable))):
                    return
            put(_END)
        except BaseException as error:  # noqa: BLE001 - raised in the loading thread
            put(error)

    thread = threading.Thread(target=produce, name="import-read", daemon=True)
    thread.start()
    try:
        while (item := ready.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join()


def _begin(session: Session, env: Env, *, kind: str, path: Path, digest: str, size: int, actor: Actor,
           again: bool) -> tuple[ImportRun, bool]:
    """The run to continue (or a new one), and whether the file was loaded completely already."""
    runs = session.execute(select(ImportRun).where(ImportRun.kind == kind, ImportRun.file_sha256 == digest)
                           .order_by(ImportRun.id.desc())).scalars().all()
    unfinished = next((r for r in runs if r.finished_at is None), None)
    if unfinished is not None:
        return unfinished, False
    if runs and not again:
        return runs[0], True
    now = env.now()
    run = ImportRun(kind=kind, file_name=path.name[:200], file_sha256=digest, file_bytes=size, rows_read=0,
                    rows_loaded=0, rows_rejected=0, chunks=0, operator_kind=actor.kind.value, operator_id=actor.id,
                    started_at=now, updated_at=now)
    session.add(run)
    session.flush()
    return run, False


def _record_chunk(session: Session, env: Env, run_id: int, expected_read: int, chunk: list[SourceRow],
                  outcome: ChunkOutcome) -> None:
    """Move the checkpoint past ``chunk``, in the chunk's transaction; refuse if another run moved it meanwhile."""
    query = select(ImportRun.rows_read).where(ImportRun.id == run_id)
    query = for_update(session, query)
    if session.execute(query).scalar_one() != expected_read:
        raise GongjiError("IMPORT_RUN_BUSY", run_id=run_id)
    rejections = sorted(outcome.rejections, key=lambda r: r.row)
    ids = reserve_ids(session, "import_rejections", len(rejections))
    insert_rows(session, "import_rejections", REJECTION_COLUMNS,
                [(i, run_id, r.row, r.field, r.code, r.zh, r.en) for i, r in zip(ids, rejections, strict=True)])
    session.execute(update(ImportRun).where(ImportRun.id == run_id).values(
        rows_read=ImportRun.rows_read + len(chunk), rows_loaded=ImportRun.rows_loaded + outcome.loaded,
        rows_rejected=ImportRun.rows_rejected + len(rejections), chunks=ImportRun.chunks + 1,
        updated_at=env.now()))


def run_import(
    db,
    env: Env,
    *,
    loader: Loader,
    path: Path,
    actor: Actor,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    encoding: str | None = None,
    again: bool = False,
    progress: Callable[[Progress], None] | None = None,
    stop_after_chunks: int | None = None,
) -> Summary:
    """Load ``path`` with ``loader``; resume an unfinished run over the same file. See the module's description."""
    started = time.perf_counter()
    path = Path(path)
    digest, size = file_digest(path)
    source: Source = open_source(path, loader.fields, encoding=encoding)
    chunks = None
    try:
        run, done_before = db.run(lambda s: _begin(s, env, kind=loader.kind, path=path, digest=digest, size=size,
                                                    actor=actor, again=again))
        summary = Summary(run.id, loader.kind, run.file_name, run.rows_read, run.rows_loaded, run.rows_rejected,
                          resumed_from=run.rows_read, chunks_now=0, finished=run.finished_at is not None,
                          already_loaded=done_before, seconds=0.0, unknown_columns=source.unknown,
                          encoding=source.encoding, format=source.format)
        if done_before:
            summary.resumed_from = 0
            summary.seconds = round(time.perf_counter() - started, 2)
            return summary
        rows = source.rows
        for _ in islice(rows, run.rows_read):  # done by an earlier run: its chunks are committed
            pass
        chunks = _prepared(rows, chunk_rows, loader, env)
        for chunk, unreadable, prepared, any_readable in chunks:
            if stop_after_chunks is not None and summary.chunks_now >= stop_after_chunks:
                break
            expected = summary.rows_read

            def work(session: Session, chunk=chunk, prepared=prepared, any_readable=any_readable,
                     unreadable=unreadable, expected=expected):
                current = session.get(ImportRun, run.id)
                outcome = loader.load(session, env, prepared, current) if any_readable else ChunkOutcome()
                outcome.rejections = [*outcome.rejections, *unreadable]
                _record_chunk(session, env, run.id, expected, chunk, outcome)
                return outcome

            outcome = db.run(work)
            summary.rows_read += len(chunk)
            summary.rows_loaded += outcome.loaded
            summary.rows_rejected += len(outcome.rejections)
            summary.chunks_now += 1
            if progress:
                progress(Progress(summary.rows_read, summary.rows_loaded, summary.rows_rejected, source.position(),
                                  size))
        else:
            def finish(session: Session) -> None:
                session.execute(update(ImportRun).where(ImportRun.id == run.id, ImportRun.finished_at.is_(None))
                                .values(finished_at=env.now(), updated_at=env.now()))

            db.run(finish)
            summary.finished = True
    finally:
        if chunks is not None:
            chunks.close()  # stops the reading thread before the file closes
        source.close()
    summary.seconds = round(time.perf_counter() - started, 2)
    return summary


def rejections(session: Session, run_id: int) -> Iterator[Rejection]:
    """The run's rejected rows, in the file's order."""
    rows = session.execute(select(ImportRejection).where(ImportRejection.run_id == run_id)
                           .order_by(ImportRejection.row_number, ImportRejection.id)).scalars()
    for r in rows:
        yield Rejection(r.row_number, r.field, r.code, r.message_zh, r.message_en)


def count_rejections(session: Session, run_id: int) -> int:
    return session.execute(select(func.count()).select_from(ImportRejection)
                           .where(ImportRejection.run_id == run_id)).scalar_one()
