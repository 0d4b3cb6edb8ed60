"""Round trips of a settlement on PostgreSQL, counted on the wire: two (facts, claim and locks with the BEGIN; the
writes with the COMMIT), whatever the bill. A count, never a time.

Rules: N-10 (a retried request never pays twice, also when its writes went with the COMMIT), N-9, HN-4.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from gongji.db import Database
from gongji.ledger import service as ledger
from gongji.settlement import service as settlement

ADULT = date(1975, 5, 1)
CHILD = date(2000, 5, 1)


class Counter:
    """A TCP relay in front of PostgreSQL that counts round trips: each time the client sends after it has received
    something (or sends first) is one. Pipelined messages sent without waiting count once."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.trips = 0
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            turn = {"last": "server"}
            threading.Thread(target=self._pump, args=(client, server, "client", turn), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, "server", turn), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, side: str, turn: dict) -> None:
        try:
            while data := source.recv(65536):
                with self.lock:
                    if side == "client" and turn["last"] == "server":
                        self.trips += 1
                    turn["last"] = side
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def count(self, fn) -> int:
        with self.lock:
            before = self.trips
        fn()
        with self.lock:
            return self.trips - before

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def counted(world):
    """The world's PostgreSQL database reached through a :class:`Counter`, one connection in the pool; on SQLite the
    world's database and no counter."""
    if world.db.dialect != "postgresql":
        yield world.db, None
        return
    url = make_url(world.db.url)
    counter = Counter(url.host or "127.0.0.1", url.port or 5432)
    db = Database(url.set(host="127.0.0.1", port=counter.port).render_as_string(hide_password=False), pool_size=1)
    yield db, counter
    db.dispose()
    counter.close()


def family(world):
    father = world.person("王父", city="beijing", born=ADULT, current_fen=3_000, prior_fen=5_000)
    mother = world.person("王母", city="beijing", born=ADULT, sex="F", current_fen=20_000)
    child = world.person("王女", city="beijing", born=CHILD, sex="F", current_fen=700)
    world.bind(father, child, "child")
    world.bind(mother, child, "child")
    return child


def kept_balances(s):
    return s.execute(text("SELECT id, balance_fen FROM accounts WHERE balance_fen IS NOT NULL ORDER BY id")).all()


def settle(db, world, patient, amount, key):
    return db.run(lambda s: settlement.settle(s, world.env, institution_code="H11010100001",
                                              patient_id_number=patient.id_number, amount_fen=amount,
                                              use="outpatient", idempotency_key=key))


@pytest.mark.parametrize("amount", [1, 10_000, 20_000_000])
def test_a_settlement_is_two_round_trips(world, counted, amount):
    """N-10, HN-4: own account only, mutual aid from both parents, and more than all of them hold (cash): two."""
    db, counter = counted
    if counter is None:
        pytest.skip("round trips are counted on PostgreSQL")
    world.institution("H11010100001", city="beijing")
    patient = family(world)
    settle(db, world, patient, 1, "warm")  # the pool's connection opened, the institution's account made
    results = []
    trips = counter.count(lambda: results.append(settle(db, world, patient, amount, "counted")))
    assert trips == 2
    assert results[0].amount_fen == amount and results[0].settlement_id is not None
    assert world.db.read(ledger.check).ok


def test_a_retry_gets_the_first_answer_and_pays_nothing(world, counted):
    """N-10: a retried request with the same key gets the first answer and moves no money."""
    db, _ = counted
    world.institution("H11010100001", city="beijing")
    patient = family(world)
    first = settle(db, world, patient, 10_000, "visit")
    balances = world.db.read(kept_balances)
    again = [settle(db, world, patient, 10_000, "visit")]
    assert again[0].replayed and again[0].settlement_id == first.settlement_id
    assert world.db.read(kept_balances) == balances


def test_writes_queued_for_the_commit_go_before_a_later_statement(world, counted):
    """N-9: a caller that reads after settling in the same transaction sees the settlement it wrote."""
    db, _ = counted
    world.institution("H11010100001", city="beijing")
    patient = family(world)

    def work(s):
        result = settlement.settle(s, world.env, institution_code="H11010100001",
                                   patient_id_number=patient.id_number, amount_fen=10_000, use="outpatient",
                                   idempotency_key="then-read")
        return result, settlement.result_of(s, result.settlement_id)

    result, stored = db.run(work)
    assert (stored.own_fen, stored.mutual_aid_fen, stored.lines) == (result.own_fen, result.mutual_aid_fen,
                                                                     result.lines)


def test_a_write_refused_at_the_commit_leaves_nothing(world, counted):
    """N-9: a queued write that the server refuses rolls the whole transaction back."""
    from sqlalchemy.exc import IntegrityError

    from gongji.db import pipeline

    db, _ = counted
    world.institution("H11010100001", city="beijing")
    patient = family(world)

    def work(s):
        result = settlement.settle(s, world.env, institution_code="H11010100001",
                                   patient_id_number=patient.id_number, amount_fen=10_000, use="outpatient",
                                   idempotency_key="refused")
        pipeline.write_with_commit(s, text("INSERT INTO people (id) VALUES (NULL)"), {})  # NOT NULL: refused
        return result

    with pytest.raises(IntegrityError):
        db.run(work)
    assert world.db.read(lambda s: s.execute(text("SELECT count(*) FROM settlements")).scalar_one()) == 0
    assert world.db.read(ledger.check).ok
    again = settle(db, world, patient, 10_000, "refused")  # the key was not kept: the retry settles
    assert not again.replayed and again.mutual_aid_fen + again.own_fen == 10_000
