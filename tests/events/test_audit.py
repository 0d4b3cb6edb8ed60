"""The audit trail (gongji/events/audit.py): events sealed into a hash chain, and what ``verify`` finds when
someone with full rights on the database changes, removes or reorders records, or cuts the chain short.

Every event keeps who did it and through which channel (N-8); the trail is what payer and beneficiary's records
(N-9) can be trusted by. On both databases.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from gongji.actors import Actor
from gongji.events import audit
from gongji.events.models import ChainLink, Event
from gongji.events.service import record
from tests.events.conftest import tampering

TESTS = Actor.system("tests")


def happen(world, count: int = 1, *, start: int = 1) -> list[int]:
    """``count`` events in one transaction; their ids."""
    def write(s, env):
        events = [record(s, env, kind="test.happened", actor=TESTS, subject_type="test", subject_id=n, concerns=[],
                         data={"n": n}) for n in range(start, start + count)]
        s.flush()
        return [e.id for e in events]

    return world.run(write)


def chain(world) -> list[tuple[int, int, str]]:
    return [tuple(r) for r in world.db.read(lambda s: s.execute(
        select(ChainLink.seq, ChainLink.event_id, ChainLink.hash).order_by(ChainLink.seq)).all())]


def expected_chain(world) -> list[tuple[int, int, str]]:
    """The chain recomputed from the events in the order the chain has them, from the genesis hash."""
    links, previous = [], audit.GENESIS
    events = world.db.read(lambda s: {r.id: r for r in s.execute(select(*audit.EVENT_COLUMNS)).all()})
    for seq, event_id, _ in chain(world):
        previous = audit.link_hash(previous, events[event_id])
        links.append((seq, event_id, previous))
    return links


def verify(world, **kwargs) -> audit.AuditReport:
    return audit.verify(world.db, world.env, **kwargs)


# -- building the chain -----------------------------------------------------------------------------


def test_n_9_every_event_is_sealed_once_in_order_and_the_chain_verifies(world):
    """N-8, N-9: a person, a binding and a settlement leave events; sealing links each once, seq 1, 2, 3, … in the
    order of their ids, each hash over the previous one; sealing again adds nothing."""
    wife, husband = world.person("李秀兰", sex="F", current_fen=5_000), world.person("王建国", current_fen=50_000)
    world.institution()
    world.bind(husband, wife)
    world.settle(wife, 8_000)
    events = world.db.read(lambda s: list(s.execute(select(Event.id).order_by(Event.id)).scalars()))
    result = audit.seal(world.db, world.env)
    assert result.sealed == len(events) and not result.busy
    links = chain(world)
    assert [(seq, event_id) for seq, event_id, _ in links] == list(enumerate(events, start=1))
    assert links == expected_chain(world)
    assert result.head == audit.Head(len(events), links[-1][2])
    report = verify(world)
    assert report.ok and report.links == len(events) and report.head == result.head
    again = audit.seal(world.db, world.env)
    assert (again.sealed, again.head) == (0, result.head)
    assert verify(world, expect=result.head).ok


def test_the_hash_covers_every_column_of_the_event(world):
    """Each column changes the hash: what is sealed is the whole record (who, channel, when, what, about whom)."""
    [event_id] = happen(world)
    row = world.db.read(lambda s: s.execute(select(*audit.EVENT_COLUMNS).where(Event.id == event_id)).one())
    original = audit.link_hash(audit.GENESIS, row)
    changes = {"id": row.id + 1, "at": row.at + timedelta(seconds=1), "kind": "test.other", "actor_kind": "staff",
               "actor_id": "T0002", "channel": "counter", "subject_type": "person", "subject_id": 2,
               "concerns": [1], "data": {"n": 2}}
    assert set(changes) == {c.name for c in audit.EVENT_COLUMNS}
    for column, value in changes.items():
        changed = SimpleNamespace(**{**row._asdict(), column: value})
        assert audit.link_hash(audit.GENESIS, changed) != original, column
    assert audit.link_hash("f" * 64, row) != original  # and the link before it


def test_sealing_in_batches_and_with_a_limit_builds_the_same_chain(world):
    happen(world, 11)
    first = audit.seal(world.db, world.env, batch=3, limit=5)
    assert first.sealed == 5 and first.head.seq == 5
    rest = audit.seal(world.db, world.env, batch=2)
    assert rest.sealed == 6 and rest.head.seq == 11
    assert chain(world) == expected_chain(world) and verify(world).ok


def test_an_event_committed_late_with_a_lower_id_is_sealed_after_the_others(world):
    """PostgreSQL draws an event's id before its transaction commits: one that commits after a higher id was
    sealed gets the next seq, and the chain stays whole."""
    [low, high] = happen(world, 2)
    later = high + 5
    world.run(lambda s, env: s.add(Event(id=later, at=env.now(), kind="test.happened", actor_kind="system",
                                         actor_id="tests", channel="system", subject_type="test", subject_id=9,
                                         concerns=[], data={})))
    assert audit.seal(world.db, world.env).sealed == 3
    late = high + 2  # as if its transaction had been open all along
    world.run(lambda s, env: s.add(Event(id=late, at=env.now(), kind="test.happened", actor_kind="system",
                                         actor_id="tests", channel="system", subject_type="test", subject_id=8,
                                         concerns=[], data={})))
    assert audit.seal(world.db, world.env).sealed == 1
    assert [(seq, event_id) for seq, event_id, _ in chain(world)] == [(1, low), (2, high), (3, later), (4, late)]
    assert chain(world) == expected_chain(world) and verify(world).ok


def test_a_full_pass_finds_an_event_an_ordinary_pass_no_longer_looks_for(world, monkeypatch):
    """An ordinary pass looks a bounded way below the highest sealed id; a full pass looks at every event."""
    [first] = happen(world)
    world.run(lambda s, env: s.add(Event(id=first + 10, at=env.now(), kind="test.happened", actor_kind="system",
                                         actor_id="tests", channel="system", subject_type="test", subject_id=2,
                                         concerns=[], data={})))
    audit.seal(world.db, world.env)
    world.run(lambda s, env: s.add(Event(id=first + 3, at=env.now(), kind="test.happened", actor_kind="system",
                                         actor_id="tests", channel="system", subject_type="test", subject_id=3,
                                         concerns=[], data={})))
    monkeypatch.setattr(audit, "LOOKBACK_IDS", 5)
    assert audit.seal(world.db, world.env).sealed == 0
    assert audit.seal(world.db, world.env, full=True).sealed == 1
    assert verify(world).ok


def test_two_sealers_at_once_build_one_chain_while_events_keep_coming(world):
    """Sealers take turns (PostgreSQL: an advisory lock; SQLite: the one writer); events written meanwhile are
    sealed by one of them or the next pass, each exactly once."""
    happen(world, 60)
    stop = threading.Event()
    sealed: list[int] = []
    errors: list[BaseException] = []

    def sealer() -> None:
        try:
            while not stop.is_set():
                sealed.append(audit.seal(world.db, world.env, batch=7).sealed)
                stop.wait(0.005)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=sealer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for n in range(10):
        happen(world, 5, start=100 + 5 * n)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    sealed.append(audit.seal(world.db, world.env).sealed)
    assert sum(sealed) == 110
    links = chain(world)
    assert [seq for seq, _, _ in links] == list(range(1, 111))
    assert len({event_id for _, event_id, _ in links}) == 110
    assert links == expected_chain(world) and verify(world).ok


def test_the_background_sealer_seals_until_stopped(world):
    happen(world, 4)
    thread, stop = audit.start_sealer(world.db, world.env, every_s=0.05)
    try:
        for _ in range(200):
            if len(chain(world)) == 4:
                break
            threading.Event().wait(0.05)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive() and len(chain(world)) == 4 and verify(world).ok


def test_events_left_unsealed_past_the_grace_period_are_reported(world):
    """Sealing runs every few seconds; an event still unsealed ten minutes on means the sealer is not running."""
    ids = happen(world, 3)
    assert verify(world).ok  # just written: within the grace period
    world.env.clock.advance(minutes=11)
    report = verify(world)
    assert not report.ok and report.unsealed == 3 and report.unsealed_ids == ids
    assert report.oldest_unsealed_at == world.env.now() - timedelta(minutes=11)
    audit.seal(world.db, world.env)
    assert verify(world).ok


# -- the database refuses changes --------------------------------------------------------------------


@pytest.mark.parametrize("statement", [
    "UPDATE events SET data = '{}' WHERE id = :event_id",
    "DELETE FROM events WHERE id = :event_id",
    "UPDATE audit_chain SET hash = :fake WHERE seq = 1",
    "DELETE FROM audit_chain WHERE seq = 1",
    "UPDATE postings SET amount_fen = 0",
    "DELETE FROM postings",
    "UPDATE ledger_entries SET memo = 'changed'",
    "DELETE FROM ledger_entries",
])
def test_the_database_refuses_to_change_or_delete_an_event_a_link_or_a_posting(world, statement):
    """Nothing in Gongji changes or deletes these rows, so the database refuses it to everyone (migrations 0001,
    0006)."""
    world.person(current_fen=1_000)  # a credit: a ledger entry with its postings
    event_id = happen(world)[0]
    audit.seal(world.db, world.env)
    before = chain(world)
    with pytest.raises(DBAPIError, match="append-only"):
        world.db.run(lambda s: s.execute(text(statement), {"event_id": event_id, "fake": "0" * 64}), attempts=1)
    assert chain(world) == before and verify(world).ok


# -- tampering, and what verify finds ----------------------------------------------------------------


def sealed_world(world, count: int = 6) -> list[int]:
    ids = happen(world, count)
    audit.seal(world.db, world.env)
    return ids


def test_an_altered_event_is_found_with_its_seq_and_id(world):
    ids = sealed_world(world)
    with tampering(world.db, "events") as run:
        run("UPDATE events SET data = :data WHERE id = :id", data='{"n": 300}', id=ids[2])
    report = verify(world)
    assert not report.ok
    assert report.findings == [audit.Finding(audit.ALTERED, 3, ids[2], f"event {ids[2]} does not match link 3")]


def test_an_altered_actor_or_channel_is_found(world):
    """N-8: who did it and through which channel are sealed with the rest."""
    ids = sealed_world(world)
    with tampering(world.db, "events") as run:
        run("UPDATE events SET channel = 'counter', actor_id = 'T0009' WHERE id = :id", id=ids[0])
    assert [(f.problem, f.seq) for f in verify(world).findings] == [(audit.ALTERED, 1)]


def test_a_removed_event_and_its_link_leave_a_gap(world):
    ids = sealed_world(world)
    with tampering(world.db, "events", "audit_chain") as run:
        run("DELETE FROM audit_chain WHERE event_id = :id", id=ids[3])
        run("DELETE FROM events WHERE id = :id", id=ids[3])
    report = verify(world)
    assert [(f.problem, f.seq) for f in report.findings] == [(audit.REMOVED, 4)]
    assert report.head.seq == 6 and report.links == 5


def test_a_link_whose_event_was_removed_is_found(world):
    ids = sealed_world(world)
    with tampering(world.db, "events", foreign_keys=False) as run:
        run("DELETE FROM events WHERE id = :id", id=ids[1])
    assert [(f.problem, f.seq, f.event_id) for f in verify(world).findings] == [(audit.EVENT_MISSING, 2, ids[1])]


def test_reordered_links_are_found(world):
    ids = sealed_world(world)
    with tampering(world.db, "audit_chain", foreign_keys=False) as run:
        run("UPDATE audit_chain SET event_id = -1 WHERE seq = 2")
        run("UPDATE audit_chain SET event_id = :id WHERE seq = 3", id=ids[1])
        run("UPDATE audit_chain SET event_id = :id WHERE seq = 2", id=ids[2])
    assert [(f.problem, f.seq) for f in verify(world).findings] == [(audit.ALTERED, 2), (audit.ALTERED, 3)]


def test_a_cut_tail_is_found_only_against_a_kept_head(world):
    """Removing the newest events with their links leaves a chain that is whole in itself: the head kept outside
    the database is what shows it, whether the chain now ends early or has grown again with other events."""
    ids = sealed_world(world)
    kept = audit.verify(world.db, world.env).head
    assert kept.seq == 6
    with tampering(world.db, "events", "audit_chain") as run:
        for event_id in ids[-2:]:
            run("DELETE FROM audit_chain WHERE event_id = :id", id=event_id)
            run("DELETE FROM events WHERE id = :id", id=event_id)
    assert verify(world).ok  # nothing to see without the kept head
    assert [(f.problem, f.seq) for f in verify(world, expect=kept).findings] == [(audit.TRUNCATED, 6)]
    happen(world, 3, start=50)
    audit.seal(world.db, world.env)
    assert verify(world).ok
    assert [(f.problem, f.seq) for f in verify(world, expect=kept).findings] == [(audit.HEAD_MISMATCH, 6)]


def test_a_chain_rewritten_from_scratch_is_found_only_against_a_kept_head(world):
    """Someone who may drop the triggers can change an event and compute every hash anew: the chain is whole
    again. Only the head kept elsewhere tells (docs/audit.md)."""
    ids = sealed_world(world)
    kept = verify(world).head
    with tampering(world.db, "events", "audit_chain") as run:
        run("UPDATE events SET data = :data WHERE id = :id", data='{"n": 300}', id=ids[0])
        run("DELETE FROM audit_chain")
    audit.seal(world.db, world.env)
    assert verify(world).ok and verify(world).head.seq == kept.seq
    assert [f.problem for f in verify(world, expect=kept).findings] == [audit.HEAD_MISMATCH]


def test_the_head_is_written_and_read_as_seq_colon_hash():
    head = audit.Head(12, "ab" * 32)
    assert str(head) == f"12:{'ab' * 32}" and audit.Head.parse(str(head)) == head
    assert audit.Head.parse(f" 12:{'AB' * 32}\n") == head
    for bad in ("12", f"x:{'ab' * 32}", "12:abc", f"12:{'zz' * 32}"):
        with pytest.raises(ValueError):
            audit.Head.parse(bad)


def test_an_empty_chain_verifies_with_the_genesis_head(world):
    report = verify(world)
    assert report.ok and report.head == audit.EMPTY and report.links == 0
    assert world.db.read(lambda s: s.execute(select(func.count()).select_from(ChainLink)).scalar_one()) == 0
