"""`gongji import contributions FILE` (LC-1, LC-3): CSV and JSON lines, the rejected rows' report, idempotent."""

from __future__ import annotations

import csv
import json

from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from gongji.cli.main import app
from gongji.contributions.models import Contribution
from gongji.people import service as people

ENV = {"COLUMNS": "200", "GONGJI_POLICY_DIR": None, "GONGJI_DATABASE_URL": None,
       "GONGJI_CLOCK_START": "2026-12-08T10:00:00+08:00"}
runner = CliRunner()
HEADER = "id_number,month,payer_kind,employer_fen,individual_fen,base_fen,paid_on\n"


def gongji(world, *args: str) -> Result:
    return runner.invoke(app, ["--database-url", world.db.url, *args], env=ENV, catch_exceptions=False)


def count(world) -> int:
    return world.db.read(lambda s: s.execute(select(func.count()).select_from(Contribution)).scalar_one())


def test_lc_1_a_csv_file_loads_its_good_rows_reports_the_bad_and_loads_nothing_twice(world, tmp_path):
    """A rejected row loads nothing of itself (row number, field, reason); the rest loads; the status follows
    (LC-1: paid through September, suspended from 1 October); the same file again changes nothing."""
    lapsed = world.person("赵强", city="ulanqab")
    paid_up = world.person("钱芳", city="ulanqab", sex="F")
    resident = world.person("孙丽", city="ulanqab", sex="F", scheme="resident")
    lines = [f"{lapsed.id_number},2026-{m:02d},employer,64000,16000,800000,2026-{m:02d}-01" for m in range(1, 10)]
    lines += [f"{paid_up.id_number},2026-{m:02d},,64000,16000,800000,2026-{m:02d}-01" for m in range(1, 13)]
    lines += [f"{paid_up.id_number},2026-13,employer,64000,16000,800000,2026-12-01",  # row 23: month
              f"{lapsed.id_number[:17]}0,2026-10,employer,64000,16000,800000,2026-10-01",  # 24: check digit
              f"{resident.id_number},2026-10,employer,64000,16000,800000,2026-10-01",  # 25: not an employee
              f"{paid_up.id_number},2026-11,employer,-5,16000,800000,2026-11-01"]  # 26: negative
    path = tmp_path / "202612.csv"
    path.write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    result = gongji(world, "import", "contributions", str(path), "--chunk-rows", "5")
    assert result.exit_code == 0, result.output
    assert count(world) == 21
    with (tmp_path / "202612.csv.rejected.csv").open(encoding="utf-8-sig") as handle:
        report = list(csv.reader(handle))[1:]
    assert [(r[0], r[1]) for r in report] == [("23", "month"), ("24", "id_number"), ("25", "id_number"),
                                              ("26", "employer_fen")]
    assert all(r[3] and r[4] for r in report)  # the reason in Chinese and English
    statuses = world.db.read(lambda s: [(people.get(s, p.id).enrollment.status,
                                         people.get(s, p.id).enrollment.status_since.isoformat())
                                        for p in (lapsed, paid_up)])
    assert statuses == [("suspended", "2026-10-01"), ("normal", "2026-01-01")]
    again = gongji(world, "import", "contributions", str(path))
    assert again.exit_code == 0 and count(world) == 21
    assert "nothing was loaded now" in again.stdout
    forced = gongji(world, "import", "contributions", str(path), "--again")  # the rows themselves: once
    assert forced.exit_code == 0 and count(world) == 21


def test_lc_3_json_lines_with_a_back_payment(world, tmp_path):
    """JSON lines work the same; a back-payment (paid after its month) counts after the region's lag (LC-3)."""
    person = world.person("周杰", city="ulanqab")
    rows = [{"id_number": person.id_number, "month": f"2026-{m:02d}", "employer_fen": 64000, "individual_fen": 16000,
             "base_fen": 800000, "paid_on": f"2026-{m:02d}-01"} for m in range(1, 10)]
    rows += [{"id_number": person.id_number, "month": m, "employer_fen": 64000, "individual_fen": 16000,
              "base_fen": 800000, "paid_on": "2026-12-02"} for m in ("2026-10", "2026-11")]
    rows.append({"id_number": person.id_number, "month": "2026-12", "employer_fen": 64000, "individual_fen": 16000,
                 "base_fen": 800000, "paid_on": "2026-12-02"})
    path = tmp_path / "202612.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\nnot json\n", encoding="utf-8")
    result = gongji(world, "import", "contributions", str(path))
    assert result.exit_code == 0, result.output
    assert count(world) == 12
    e = world.db.read(lambda s: people.get(s, person.id).enrollment)
    assert (e.status, e.status_since.isoformat(), e.last_paid_month) == ("normal", "2026-12-01", "2026-12")
    with (tmp_path / "202612.jsonl.rejected.csv").open(encoding="utf-8-sig") as handle:
        assert [r[0] for r in list(csv.reader(handle))[1:]] == ["13"]


def test_a_file_without_the_needed_columns_is_refused_whole(world, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("name,month\n张三,2026-10\n", encoding="utf-8")
    result = gongji(world, "import", "contributions", str(path))
    assert result.exit_code == 2 and "id_number" in result.stderr + result.stdout
    assert count(world) == 0
