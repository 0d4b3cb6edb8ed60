"""Gongji through PgBouncer in transaction pooling mode: settlements from several threads share one server
connection, no statement is prepared on the server, and the ledger holds (docs/scaling.md).

Needs the Debian package pgbouncer and the test PostgreSQL server; skipped without pgbouncer, and failing instead
under ``GONGJI_REQUIRE_POSTGRES=1`` (CI, whose .ci/run installs it).

Rules: N-10 (paid once), D-1 (own account first).
"""

from __future__ import annotations

import socket
import tempfile
import threading
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from gongji.clock import FixedClock
from gongji.db import Database
from gongji.env import Env
from gongji.ledger import service as ledger
from gongji.policy import load_policies
from gongji_tools.cluster.pgbouncer import PgBouncer, find_pgbouncer
from gongji_tools.verify.cluster import ClusterError
from tests.conftest import REQUIRE_POSTGRES, _truncate
from tests.factories import World


@pytest.fixture
def bouncer(postgres_url, tmp_path_factory):
    try:
        find_pgbouncer()
    except ClusterError as error:
        if REQUIRE_POSTGRES:
            pytest.fail(str(error), pytrace=False)
        pytest.skip(str(error))
    server = make_url(postgres_url)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    folder = Path(tempfile.mkdtemp(prefix="gongji-pgbouncer-"))  # reachable by the postgres user when run as root
    with PgBouncer(folder, port=port, server_port=server.port or 5432, pool_size=1) as running:
        yield running, server.database


def test_settlements_through_pgbouncer_in_transaction_mode(bouncer):
    running, database = bouncer
    db = Database(running.url(database), pool_size=4)
    try:
        _truncate(db)
        world = World(db=db, env=Env(clock=FixedClock.on(date(2025, 6, 2)), policies=load_policies()))
        world.institution("H11010100001", city="beijing")
        payer = world.person("王一", city="beijing", born=date(1970, 1, 1), current_fen=1_000_000)
        child = world.person("王二", city="beijing", born=date(2000, 1, 1), scheme="resident")
        world.bind(payer, child, "child")
        failures: list[BaseException] = []

        def settle(n: int) -> None:
            try:
                for i in range(8):  # more than psycopg's default prepare threshold (5) on each connection
                    world.settle(child if i % 2 else payer, 1_000, institution="H11010100001", key=f"pgb-{n}-{i}")
            except BaseException as error:  # noqa: BLE001 - raised in the test thread
                failures.append(error)

        threads = [threading.Thread(target=settle, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert not failures, failures[0]
        # Every settlement went through one PgBouncer server connection, which holds no prepared statement.
        assert db.read(lambda s: s.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar_one()) == 0
        assert db.read(lambda s: s.execute(text("SELECT count(*) FROM settlements")).scalar_one()) == 32
        assert db.read(lambda s: s.execute(text("SELECT sum(amount_fen) FROM settlements")).scalar_one()) == 32_000
        assert db.read(lambda s: ledger.check(s)).ok
    finally:
        db.dispose()
