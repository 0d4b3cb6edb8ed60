"""``gongji simulate`` on a small Shenzhen population: the table, the files (JSON, CSV, PNG charts), refusals.

Rules: SZ-1, N-3.
"""

from __future__ import annotations

import csv
import json
from datetime import date

import pytest
from typer.testing import CliRunner

from gongji.cli.main import app

runner = CliRunner()


@pytest.fixture
def shenzhen(world):
    world.institution("H44030100001", city="shenzhen")
    payer = world.person("陈伟", city="shenzhen", born=date(1975, 1, 1), current_fen=500_000)
    patient = world.person("陈小明", city="shenzhen", born=date(2000, 1, 1), scheme="resident")
    world.bind(payer, patient, "child")
    world.settle(patient, 100_000, institution="H44030100001")
    return world


def invoke(world, *args):
    return runner.invoke(app, ["--database-url", world.db.url, "simulate", *args],
                         env={"GONGJI_CLOCK_START": None, "COLUMNS": "160"}, catch_exceptions=False)


def test_cli_writes_the_answer_and_its_charts(shenzhen, tmp_path):
    """SZ-1: 'what if Shenzhen's reserve line were 3,000 yuan?': the payer pays 200 yuan more (N-3 checked)."""
    out = tmp_path / "out"
    result = invoke(shenzhen, "--region", "4403", "--set", "reserve_line_fen=300000", "--from", "2025-06-01",
                    "--to", "2025-06-30", "--out", str(out), "--language", "en")
    assert result.exit_code == 0, result.output
    assert "mutual aid paid" in result.output and "200.00" in result.output
    assert "the pooled fund is untouched" in result.output
    data = json.loads((out / "result.json").read_text(encoding="utf-8"))
    assert data["sides"]["difference"]["mutual_aid_fen"] == 20_000
    rows = list(csv.DictReader((out / "result.csv").open(encoding="utf-8")))
    total = next(r for r in rows if r["section"] == "total" and r["figure"] == "mutual_aid_fen")
    assert (total["current"], total["proposed"], total["difference"]) == ("80000", "100000", "20000")
    for chart in ("totals", "by_month", "by_patient_age", "by_payer_age", "by_use"):
        assert (out / f"{chart}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_json(shenzhen, tmp_path):
    result = invoke(shenzhen, "--region", "4403", "--set", "reserve_line_fen=0", "--from", "2025-06-01",
                    "--to", "2025-06-30", "--out", str(tmp_path), "--json")
    assert result.exit_code == 0
    assert json.loads(result.output)["sides"]["proposed"]["cash_fen"] == 0


def test_cli_refuses_an_unknown_key(shenzhen, tmp_path):
    result = invoke(shenzhen, "--region", "4403", "--set", "reserve=0", "--out", str(tmp_path))
    assert result.exit_code == 2
    assert "SIMULATION_UNKNOWN_KEY" in result.output
    assert not (tmp_path / "result.json").exists()
