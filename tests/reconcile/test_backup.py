"""Backup and restore as ``docs/operations.md`` describes them, after which reconciliation passes (NI-6, N-9, N-10,
HN-5).

PostgreSQL: the real ``pg_dump -Fc`` and ``pg_restore`` into a new database (dropped at the end). Without the
binaries or the server the test is skipped, unless ``GONGJI_REQUIRE_POSTGRES=1`` (as in CI), when it fails.
SQLite: ``gongji backup``, SQLite's online backup into a new file.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from gongji.cli.main import app
from gongji.db import Database
from gongji.db.models import Base
from gongji.reconcile import reconcile
from tests.conftest import REQUIRE_POSTGRES, drop_postgres_database, worker_name
from tests.factories import World
from tests.reconcile.conftest import HOSPITAL, Ledger


def postgres_tool(name: str) -> str:
    """``pg_dump`` or ``pg_restore`` from the PATH, else from the newest /usr/lib/postgresql/*/bin."""
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)),
                                       None)
    if found is None:
        message = f"{name} is not installed"
        if REQUIRE_POSTGRES:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return found


def libpq_url(url: str, database: str | None = None) -> str:
    """The URL as PostgreSQL's own tools take it (no SQLAlchemy driver name)."""
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


def contents(db: Database) -> dict[str, object]:
    """Row counts of every table, every account's balance and the sum of its postings."""
    def read(session):
        counts = {t.name: session.execute(text(f"SELECT COUNT(*) FROM {t.name}")).scalar_one()
                  for t in Base.metadata.sorted_tables}
        balances = session.execute(text(
            "SELECT a.id, a.balance_fen, (SELECT SUM(p.amount_fen) FROM postings p WHERE p.account_id = a.id) "
            "FROM accounts a ORDER BY a.id")).all()
        return {"counts": counts, "balances": [tuple(int(v) if v is not None else None for v in row)
                                               for row in balances]}
    return db.read(read)


def gongji(url: str, *args: str):
    return CliRunner().invoke(app, ["--database-url", url, *args], env={"COLUMNS": "200"}, catch_exceptions=False)


@pytest.mark.parametrize("db", ["postgres"], indirect=True)
def test_pg_dump_and_pg_restore_round_trip_reconciles(varied: Ledger, tmp_path: Path):
    """The documented round trip: pg_dump -Fc, pg_restore into a new database, then `gongji reconcile` and
    `gongji check` pass there, and the restored data equals the original."""
    pg_dump, pg_restore = postgres_tool("pg_dump"), postgres_tool("pg_restore")
    source = varied.db
    dump = tmp_path / "gongji.dump"
    subprocess.run([pg_dump, "-Fc", "--no-owner", "-f", str(dump), "-d", libpq_url(source.url)], check=True,
                   capture_output=True, timeout=300)
    name = f"gongji_restore_{worker_name()}_{os.getpid()}"
    admin = Database(source.url)
    with admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    restored = Database(libpq_url(source.url, name))
    try:
        subprocess.run([pg_restore, "--no-owner", "--exit-on-error", "-d", libpq_url(source.url, name), str(dump)],
                       check=True, capture_output=True, timeout=300)
        assert restored.is_current()
        assert contents(restored) == contents(source)
        assert reconcile(restored).ok
        for command in ("reconcile", "check"):
            result = gongji(restored.url, command)
            assert result.exit_code == 0, result.output
        # the database's guards come back with the data, and its sequences go on where they were
        with pytest.raises(DBAPIError, match="append-only"):
            restored.run(lambda s: s.execute(text("UPDATE postings SET amount_fen = amount_fen + 1")))
        world = World(db=restored, env=varied.world.env)
        settled = world.settle(varied.people["patient"], 1_000, institution=HOSPITAL)
        assert settled.settlement_id > varied.scalar("SELECT MAX(id) FROM settlements")
        assert reconcile(restored).ok
    finally:
        restored.dispose()
        drop_postgres_database(name)


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_sqlite_backup_round_trip_reconciles(varied: Ledger, tmp_path: Path):
    """`gongji backup` copies a SQLite database while it is open; the copy reconciles and holds the same data."""
    copy = tmp_path / "backup.sqlite3"
    result = gongji(varied.db.url, "backup", str(copy))
    assert result.exit_code == 0, result.output
    restored = Database(f"sqlite:///{copy}")
    try:
        assert contents(restored) == contents(varied.db)
        assert reconcile(restored).ok
        assert gongji(restored.url, "reconcile").exit_code == 0
    finally:
        restored.dispose()
    again = gongji(varied.db.url, "backup", str(copy))
    assert again.exit_code == 2 and "not overwriting" in again.stderr


@pytest.mark.parametrize("db", ["postgres"], indirect=True)
def test_backup_command_points_postgresql_to_pg_dump(db, tmp_path: Path):
    result = gongji(db.url, "backup", str(tmp_path / "x.sqlite3"))
    assert result.exit_code == 2 and "pg_dump -Fc" in result.stderr
    assert not (tmp_path / "x.sqlite3").exists()
