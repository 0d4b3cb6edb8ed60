"""Recording what happened, in the transaction that made it happen."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from gongji.actors import Actor
from gongji.env import Env
from gongji.events.models import Event
from gongji.notifications.outbox import enqueue, enqueue_many


def record(
    session: Session,
    env: Env,
    *,
    kind: str,
    actor: Actor,
    subject_type: str,
    subject_id: int,
    concerns: Iterable[int],
    data: dict[str, Any] | None = None,
) -> Event:
    event = Event(
        at=env.now(),
        kind=kind,
        actor_kind=actor.kind.value,
        actor_id=actor.id,
        channel=actor.channel.value,
        subject_type=subject_type,
        subject_id=subject_id,
        concerns=sorted(set(concerns)),
        data=actor.stamp(data),
    )
    session.add(event)
    enqueue(session, event)  # the outbox: in this same transaction (HZ-4, N-9)
    return event


@dataclass(frozen=True)
class Happening:
    """An event to write with :func:`record_many`."""

    kind: str
    actor: Actor
    subject_type: str
    subject_id: int
    concerns: Iterable[int]
    data: dict[str, Any]


_INSERT = insert(Event.__table__).returning(Event.__table__.c.id, sort_by_parameter_order=True)


def record_many(session: Session, *, at: datetime, happenings: Sequence[Happening]) -> list[int]:
    """Write events and their notifications as :func:`record` does, with one INSERT for the events and one for the
    notifications (no unit of work): for the hot paths. Returns the events' ids in order."""
    rows = [
        {"at": at, "kind": h.kind, "actor_kind": h.actor.kind.value, "actor_id": h.actor.id,
         "channel": h.actor.channel.value, "subject_type": h.subject_type, "subject_id": h.subject_id,
         "concerns": sorted(set(h.concerns)), "data": h.actor.stamp(h.data) if h.actor.on_behalf_of else h.data}
        for h in happenings
    ]
    if not rows:
        return []
    ids = list(session.execute(_INSERT, rows).scalars())
    enqueue_many(session, at=at,
                 events=[(i, row["kind"], row["concerns"], row["data"]) for i, row in zip(ids, rows, strict=True)])
    return ids
