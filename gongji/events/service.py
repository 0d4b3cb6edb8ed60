"""Recording what happened, in the transaction that made it happen."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from gongji.actors import Actor
from gongji.env import Env
from gongji.events.models import Event
from gongji.notifications.outbox import enqueue


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
        data=data or {},
    )
    session.add(event)
    enqueue(session, event)  # the outbox: in this same transaction (HZ-4, N-9)
    return event
