"""`gongji bench` end to end on a small population: both phases, pgbench on PostgreSQL, the batch jobs, the ledger
checked, the reports written (N-3, N-10, HN-5, D-1). Nothing here asserts a speed: figures are for docs/performance.md."""

from __future__ import annotations

import json
import os
import shutil

import pytest
from typer.testing import CliRunner

from gongji.cli.main import app
from gongji_tools.bench.pgbench import PgbenchUnavailable, parse
from gongji_tools.bench.report import percentile
from tests.conftest import POSTGRES_URL, REQUIRE_POSTGRES

PGBENCH_OUTPUT = """\
pgbench (15.19 (Debian 15.19-0+deb12u1))
transaction type: <builtin: TPC-B (sort of)>
scaling factor: 10
number of clients: 8
number of threads: 2
duration: 30 s
number of transactions actually processed: 38301
number of failed transactions: 0 (0.000%)
latency average = 6.266 ms
initial connection time = 21.540 ms
tps = 1276.771943 (without initial connection time)
"""


def test_pgbench_summary_is_read():
    result = parse(PGBENCH_OUTPUT, clients=8, seconds=30, scale=10, command="pgbench")
    assert (result.tps, result.latency_ms, result.transactions) == (1276.771943, 6.266, 38301)
    with pytest.raises(PgbenchUnavailable):
        parse("pgbench: error: connection refused", clients=8, seconds=30, scale=10, command="pgbench")


def test_percentiles_are_nearest_rank():
    values = sorted(float(v) for v in range(1, 101))
    assert (percentile(values, 50), percentile(values, 99), percentile(values, 100)) == (50.0, 99.0, 100.0)
    assert percentile([3.0], 99) == 3.0 and percentile([], 50) == 0.0


def _bench(tmp_path, url: str, *extra: str):
    result = CliRunner().invoke(app, ["--database-url", url, "bench", "--people", "400", "--clients", "2",
                                      "--seconds", "2", "--report-dir", str(tmp_path), *extra],
                                env={"COLUMNS": "200"}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def test_bench_on_sqlite_writes_reports_and_checks_the_ledger(tmp_path):
    """The phases run (service layer, the hot payer, then HTTP against a real `gongji serve`); the money adds up
    afterwards, and the hot payer's relatives overdrew nothing and lost no update (N-1, N-9)."""
    _bench(tmp_path, f"sqlite:///{tmp_path}/configured.sqlite3", "--hot-relatives", "5")
    data = json.loads((tmp_path / "bench-sqlite-400.json").read_text())
    assert data["people"] == 400 and data["load"]["people"] == 400
    phases = {p["name"]: p for p in data["phases"]}
    assert set(phases) == {"service", "hot-payer", "hot-payer grouped", "http"}
    for name in ("hot-payer", "hot-payer grouped"):  # a transaction each, then concurrent ones grouped
        hot = phases.pop(name)
        assert hot["clients"] == 5 and hot["by_kind"]["hot"] >= 5 and hot["errors"] == {}, hot
        assert hot["overdrawn"] == 0 and hot["lost_fen"] == 0 and hot["mutual_aid"] == hot["operations"]
    for phase in phases.values():
        assert phase["operations"] > 0 and phase["errors"] == {}, phase
        assert phase["p50_ms"] <= phase["p95_ms"] <= phase["p99_ms"] <= phase["max_ms"]
        assert phase["by_kind"]["settle"] > 0
    assert phases["http"]["server_rss_mb"] > 0
    assert data["ledger"]["ok"] and data["ledger"]["total_fen"] == 0
    jobs = data["batch"]  # monthly crediting, then the year-end roll-over (D-1), timed on the same database
    assert [name.split()[0] for name in jobs] == ["credit-month", "year-end"]
    assert all(job["rows"] > 0 for job in jobs.values())
    markdown = (tmp_path / "bench-sqlite-400.md").read_text()
    assert "| service | 2 |" in markdown and "Ledger check after the run: ok" in markdown
    assert data["breakdown"]["sqlite"]["settlements"] > 0 and data["breakdown"]["sqlite"]["refused"] == 0
    assert not (tmp_path / "configured.sqlite3").exists()  # the configured database is never touched
    assert not (tmp_path / "bench-400.sqlite3").exists()  # and the benchmark's own is removed


def test_bench_on_postgresql_runs_pgbench_in_the_same_run(tmp_path):
    """On PostgreSQL the report gives Gongji's throughput as a ratio to pgbench tpcb-like, measured before and after."""
    if shutil.which("pgbench") is None:
        if REQUIRE_POSTGRES:
            pytest.fail("pgbench is not installed", pytrace=False)
        pytest.skip("pgbench is not installed")
    url = POSTGRES_URL.rsplit("/", 1)[0] + f"/gongji_benchtest_{os.getpid()}"
    try:
        _bench(tmp_path, url, "--mode", "service", "--no-batch", "--hot-relatives", "0")
    except Exception as error:  # the server is not there
        if REQUIRE_POSTGRES or "connection" not in str(error):
            raise
        pytest.skip(f"PostgreSQL at {POSTGRES_URL} is not reachable")
    data = json.loads((tmp_path / "bench-postgresql-400.json").read_text())
    assert [run["when"] for run in data["pgbench"]] == ["before", "after"]
    assert data["pgbench_tps"] > 0 and all(run["transactions"] > 0 for run in data["pgbench"])
    assert data["phases"][0]["operations"] > 0 and data["ledger"]["ok"]
    markdown = (tmp_path / "bench-postgresql-400.md").read_text()
    assert "pgbench tpcb-like (before)" in markdown and "× pgbench" in markdown
    # one settlement's time, split, pipelined and not side by side; the server is on this machine
    assert set(data["breakdown"]) == {"pipelined", "unpipelined"}
    for row in data["breakdown"].values():
        assert row["settlements"] > 0 and row["refused"] == 0, row
        assert row["python_ms"] > 0 and row["postgresql_ms"] >= 0 and row["wall_ms"] >= row["python_ms"]
    assert set(data["load_average"]) == {"start", "end"} and "| pipelined |" in markdown
