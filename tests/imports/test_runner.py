"""The import framework: chunks with their checkpoint, resuming after a crash, a file loaded once, rejected rows
that load nothing of themselves (issue 16: "resumable after a crash", "a rejected row loads nothing of itself")."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from gongji.actors import Actor
from gongji.errors import GongjiError
from gongji.imports import runner
from gongji.imports.models import ImportRun
from gongji.imports.people import PeopleLoader
from gongji.ledger import service as ledger
from gongji.people.models import Person
from tests.imports.helpers import employees, write_csv

ACTOR = Actor.system("import")


def people(db) -> int:
    return db.read(lambda s: s.execute(select(func.count()).select_from(Person)).scalar_one())


class Crash(Exception):
    pass


class CrashingLoader(PeopleLoader):
    """Fails in its ``fail_at``-th chunk, after writing the chunk's rows (the transaction is rolled back)."""

    def __init__(self, fail_at: int) -> None:
        self.fail_at, self.calls = fail_at, 0

    def load(self, session, env, rows, run):
        outcome = super().load(session, env, rows, run)
        self.calls += 1
        if self.calls == self.fail_at:
            raise Crash()
        return outcome


def test_a_crashed_run_resumes_after_its_last_chunk(db, env, tmp_path):
    """A crash loses the chunk in flight only; the next run over the same file loads the rest, nothing twice."""
    path = write_csv(tmp_path / "people.csv", employees(23))
    with pytest.raises(Crash):
        runner.run_import(db, env, loader=CrashingLoader(3), path=path, actor=ACTOR, chunk_rows=5)
    assert people(db) == 10
    run = db.read(lambda s: s.execute(select(ImportRun)).scalar_one())
    assert (run.rows_read, run.rows_loaded, run.chunks, run.finished_at) == (10, 10, 2, None)
    assert db.read(ledger.check).ok

    summary = runner.run_import(db, env, loader=PeopleLoader(), path=path, actor=ACTOR, chunk_rows=5)
    assert (summary.run_id, summary.resumed_from, summary.rows_read, summary.rows_loaded) == (run.id, 10, 23, 23)
    assert summary.finished and summary.chunks_now == 3
    assert people(db) == 23
    assert db.read(ledger.check).ok


def test_a_file_loaded_completely_is_not_loaded_again(db, env, tmp_path):
    path = write_csv(tmp_path / "people.csv", employees(3))
    first = runner.run_import(db, env, loader=PeopleLoader(), path=path, actor=ACTOR)
    again = runner.run_import(db, env, loader=PeopleLoader(), path=path, actor=ACTOR)
    assert first.finished and first.rows_loaded == 3
    assert again.already_loaded and again.run_id == first.run_id and again.chunks_now == 0
    forced = runner.run_import(db, env, loader=PeopleLoader(), path=path, actor=ACTOR, again=True)
    assert forced.run_id != first.run_id and (forced.rows_loaded, forced.rows_rejected) == (0, 3)
    assert {r.code for r in db.read(lambda s: list(runner.rejections(s, forced.run_id)))} == {"PERSON_EXISTS"}
    assert people(db) == 3


def test_stopping_early_leaves_a_run_to_continue(db, env, tmp_path):
    path = write_csv(tmp_path / "people.csv", employees(7))
    part = runner.run_import(db, env, loader=PeopleLoader(), path=path, actor=ACTOR, chunk_rows=3,
                             stop_after_chunks=1)
    assert not part.finished and part.rows_read == 3
    rest = runner.run_import(db, env, loader=PeopleLoader(), path=path, actor=ACTOR, chunk_rows=3)
    assert rest.finished and rest.resumed_from == 3 and people(db) == 7


def test_a_file_without_its_columns_changes_nothing(db, env, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("姓名,险种\n张伟,employee\n", encoding="utf-8")
    with pytest.raises(GongjiError) as caught:
        runner.run_import(db, env, loader=PeopleLoader(), path=path, actor=ACTOR)
    assert caught.value.code == "IMPORT_MISSING_COLUMNS"
    assert db.read(lambda s: s.execute(select(func.count()).select_from(ImportRun)).scalar_one()) == 0


def test_rejected_rows_load_nothing_and_the_rest_loads(db, env, tmp_path):
    rows = employees(4)
    rows[1]["id_number"] = rows[1]["id_number"][:-1] + ("0" if rows[1]["id_number"][-1] != "0" else "1")
    rows[2]["current_year_balance"] = "-5.00"
    path = write_csv(tmp_path / "people.csv", rows)
    progress = []
    summary = runner.run_import(db, env, loader=PeopleLoader(), path=path, actor=ACTOR, chunk_rows=2,
                                progress=progress.append)
    assert (summary.rows_loaded, summary.rows_rejected) == (2, 2)
    assert [p.rows_read for p in progress] == [2, 4]
    rejected = db.read(lambda s: list(runner.rejections(s, summary.run_id)))
    assert [(r.row, r.field, r.code) for r in rejected] == [(3, "id_number", "INVALID_ID_NUMBER"),
                                                             (4, "current_year_balance", "INVALID_AMOUNT")]
    assert all(r.zh and r.en for r in rejected)
    assert people(db) == 2
    check = db.read(ledger.check)
    assert check.ok
