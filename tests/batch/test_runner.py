"""The chunked runner (gongji/batch/runner.py) with a job of its own: fixed chunks, each done once, a chunk run
again when its job asks, and a period that keeps the range and chunk size of its first run. Rule: N-3 (a chunk's
work commits whole or not at all). On both databases.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from gongji.batch import runner
from gongji.batch.models import BatchRun
from tests.batch.conftest import chunks


def test_chunks_are_fixed_id_ranges():
    assert runner.chunk_range(1, 50_000) == (1, 50_000)
    assert runner.chunk_range(3, 10) == (21, 30)
    assert list(runner.chunk_numbers(1, 25, 10)) == [1, 2, 3]
    assert list(runner.chunk_numbers(95, 105, 10)) == [10, 11]  # ids far from 1 start at their own chunk
    assert list(runner.chunk_numbers(1, 0, 10)) == []


def test_add_up_sums_nested_counts():
    total = runner.add_up({}, {"regions": {"230100": {"people": 2, "amount_fen": 5}}, "skipped": {"x": 1}})
    runner.add_up(total, {"regions": {"230100": {"people": 1, "amount_fen": 1}, "410100": {"people": 1,
                                                                                           "amount_fen": 9}}})
    assert total == {"regions": {"230100": {"people": 3, "amount_fen": 6}, "410100": {"people": 1, "amount_fen": 9}},
                     "skipped": {"x": 1}}


class Counting:
    """A job over ids 1..``last`` that writes a row per chunk into a scratch table and may ask for a retry."""

    name = "test_job"

    def __init__(self, period: str, last: int, retry_chunk: int | None = None) -> None:
        self.period, self.last, self.retry_chunk, self.calls = period, last, retry_chunk, []

    def check(self, session) -> None:
        pass

    def bounds(self, session):
        return (1, self.last) if self.last else None

    def work(self, session, first_id: int, last_id: int) -> runner.ChunkWork:
        self.calls.append(first_id)
        session.execute(text("INSERT INTO scratch (first_id) VALUES (:f)"), {"f": first_id})
        if first_id == self.retry_chunk and self.calls.count(first_id) == 1:
            raise runner.RetryChunk()  # what it read moved under it: this transaction rolls back, and again
        return runner.ChunkWork(rows=last_id - first_id + 1, amount_fen=1, detail={"n": 1})


@pytest.fixture
def scratch(db):
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS scratch"))
        conn.execute(text("CREATE TABLE scratch (first_id INTEGER NOT NULL)"))
    yield
    with db.engine.begin() as conn:
        conn.execute(text("DROP TABLE scratch"))


def scratch_rows(db) -> list[int]:
    return db.read(lambda s: sorted(s.execute(text("SELECT first_id FROM scratch")).scalars()))


def test_a_chunk_that_asks_to_run_again_is_rolled_back_and_done_once(world, scratch):
    """N-3: the first attempt of chunk 2 asked to run again: its writes were rolled back, the second stayed."""
    job = Counting("p1", 25, retry_chunk=11)
    summary = runner.run(world.db, world.env, job, chunk_size=10, workers=1)
    assert job.calls == [1, 11, 11, 21]
    assert scratch_rows(world.db) == [1, 11, 21]
    assert (summary.chunks, summary.rows, summary.amount_fen, summary.detail) == (3, 30, 3, {"n": 3})


def test_a_period_keeps_its_first_range_and_chunk_size(world, scratch):
    """Chunk numbers of a period mean the same ids in every run: a later run does not take a new size or range."""
    first = Counting("p2", 25)
    with pytest.raises(KeyboardInterrupt):
        runner.run(world.db, world.env, first, chunk_size=10, workers=1,
                   progress=lambda report: (_ for _ in ()).throw(KeyboardInterrupt()))
    later = Counting("p2", 99)
    summary = runner.run(world.db, world.env, later, chunk_size=7, workers=1)
    assert later.calls == [11, 21]
    assert (summary.chunk_size, summary.chunks, summary.chunks_done_earlier) == (10, 3, 1)
    run = world.db.read(lambda s: s.get(BatchRun, ("test_job", "p2")))
    assert (run.first_id, run.last_id, run.chunk_size) == (1, 25, 10) and run.finished_at is not None
    assert chunks(world, "test_job", "p2") == [1, 2, 3]


def test_an_empty_population_has_nothing_to_do(world, scratch):
    summary = runner.run(world.db, world.env, Counting("p3", 0))
    assert (summary.chunks, summary.rows, summary.finished) == (0, 0, True)


@pytest.mark.parametrize("options", [{"chunk_size": 0}, {"chunk_size": True}, {"workers": 0}, {"workers": 1.5}])
def test_chunk_size_and_workers_are_whole_numbers(world, options):
    with pytest.raises(ValueError):
        runner.run(world.db, world.env, Counting("p4", 5), **options)
