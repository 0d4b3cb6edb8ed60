"""The benchmark's people file: every row of it loads under its region's rules, and the ledger holds."""

from __future__ import annotations

from gongji.actors import Actor
from gongji.imports import runner
from gongji.imports.people import PeopleLoader
from gongji.ledger import service as ledger
from gongji_tools.bench.people_file import write_people_file


def test_every_row_of_a_generated_file_loads(db, env, tmp_path):
    path = tmp_path / "people.csv"
    assert write_people_file(path, 400, today=env.today()) == 400
    summary = runner.run_import(db, env, loader=PeopleLoader(), path=path, actor=Actor.system("bench"),
                                chunk_rows=150)
    assert (summary.rows_loaded, summary.rows_rejected) == (400, 0), db.read(
        lambda s: list(runner.rejections(s, summary.run_id)))[:5]
    assert db.read(ledger.check).ok
