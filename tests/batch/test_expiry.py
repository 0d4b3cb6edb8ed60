"""Closing expired bindings through the chunked runner (gongji/batch/expiry.py): D-3, with the binding.ended
events and both sides' notifications (N-9) as before, chunk by chunk, once a day. On both databases.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from gongji.authorizations.models import Binding
from gongji.batch.expiry import close_expired_bindings
from gongji.events.models import Event
from tests.batch.conftest import Crash, chunk_events, chunks, crash_after
from tests.notifications.conftest import told


@pytest.fixture
def family(world):
    """A Beijing payer (national default: no cap) bound to four siblings; three bindings end on 10 June 2025."""
    payer = world.person("张建国", city="beijing", current_fen=10_000)
    siblings = [world.person(name, city="beijing", sex=sex)
                for name, sex in (("张建民", "M"), ("张建华", "F"), ("张建英", "F"), ("张建军", "M"))]
    ids = [world.bind(payer, s, "sibling", end_on="2025-06-10") for s in siblings[:3]]
    ids.append(world.bind(payer, siblings[3], "sibling"))
    return payer, siblings, ids


def ended(world) -> dict[int, tuple[date | None, str | None]]:
    return world.db.read(lambda s: {b.id: (b.ended_on, b.end_reason) for b in s.execute(select(Binding)).scalars()})


def test_d_3_bindings_past_their_end_date_end_the_day_after_chunk_by_chunk(world, clock, family):
    """D-3: on 12 June the three bindings that ran through 10 June end, as of 11 June, reason expired; each
    gets its binding.ended event and both sides are told (N-9); the open-ended one stays."""
    payer, siblings, ids = family
    clock.advance(days=10)  # 2025-06-12
    summary = close_expired_bindings(world.db, world.env, chunk_size=2)
    assert (summary.rows, summary.rows_now, summary.period, summary.chunks) == (3, 3, "2025-06-12", 2)
    assert ended(world) == {ids[0]: (date(2025, 6, 11), "expired"), ids[1]: (date(2025, 6, 11), "expired"),
                            ids[2]: (date(2025, 6, 11), "expired"), ids[3]: (None, None)}
    events = world.db.read(lambda s: s.execute(select(Event.subject_id).where(Event.kind == "binding.ended")
                                               .order_by(Event.subject_id)).scalars().all())
    assert events == ids[:3]
    assert told(world, "binding.ended") == sorted([payer.id] * 3 + [s.id for s in siblings[:3]])
    assert [e.data["rows"] for e in chunk_events(world)] == [2, 1]


def test_d_3_running_it_again_the_same_day_does_nothing_and_the_next_day_afresh(world, clock, family):
    """D-3: a second run on the same day finds its chunks done; a binding that expires later ends on its day."""
    payer, siblings, ids = family
    late = world.bind(payer, world.person("张建平", city="beijing"), "sibling", end_on="2025-06-20")
    clock.advance(days=10)
    close_expired_bindings(world.db, world.env, chunk_size=2)
    again = close_expired_bindings(world.db, world.env, chunk_size=2)
    assert (again.rows_now, again.chunks_done_now, again.chunks_done_earlier, again.rows) == (0, 0, 2, 3)
    assert len(world.db.read(lambda s: s.execute(select(Event).where(Event.kind == "binding.ended")).all())) == 3
    clock.advance(days=10)  # 2025-06-22
    later = close_expired_bindings(world.db, world.env, chunk_size=2)
    assert (later.rows_now, later.period) == (1, "2025-06-22")
    assert ended(world)[late] == (date(2025, 6, 21), "expired")


def test_d_3_a_crash_between_chunks_is_finished_by_the_next_run(world, clock, family):
    """D-3: the chunks done before a crash stay done; the next run ends the rest, each binding once."""
    clock.advance(days=10)
    with pytest.raises(Crash):
        close_expired_bindings(world.db, world.env, chunk_size=1, workers=1, progress=crash_after(1))
    assert chunks(world, "close_expired", "2025-06-12") == [1]
    assert sum(1 for on, _ in ended(world).values() if on) == 1
    summary = close_expired_bindings(world.db, world.env, chunk_size=1, workers=1)
    assert (summary.rows_now, summary.rows) == (2, 3)
    assert told(world, "binding.ended").count(family[0].id) == 3


def test_nothing_expired_nothing_to_do(world, family):
    summary = close_expired_bindings(world.db, world.env)
    assert (summary.rows, summary.chunks, summary.finished) == (0, 0, True)
