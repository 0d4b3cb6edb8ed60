"""Which events people are told about, and writing those notifications in the event's own transaction.

HZ-4 and N-9: binding and unbinding, each payment from someone's account for a relative (settlement
or resident contribution), transfers, refunds, and changes of a family; LC-1, LC-4, LC-7: his enrollment
suspended, restored (with the end of a waiting period) or ended, and his balance carried to another province. Everyone the event concerns
gets one notification (the payer and the beneficiary, the patient and each payer refunded).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from gongji.events.models import Event
from gongji.notifications.models import Notification

NOTIFIED_KINDS = frozenset({
    "binding.created",
    "binding.ended",
    "binding.limit_set",
    "binding.priority_set",
    "binding.paused",
    "binding.resumed",
    "binding.relationship_corrected",
    "mutual_aid.paid",
    "contribution.paid",
    "transfer.made",
    "wallet.transfer_sent",
    "wallet.transfer_accepted",
    "wallet.transfer_returned",
    "wallet.transfer_arrived",
    "wallet.transfer_refused",
    "settlement.refunded",
    "family.member_added",
    "family.member_removed",
    "family.member_left",
    "family.dissolved",
    "enrollment.status_changed",
    "account.carried_out",
    "account.carried_in",
    "account.carry_refused",
    "agency.granted",
    "agency.ended",
    "agency.acting",
})

#: AG-1: the kind of the notice a principal gets of each action his agent did for him (the event's own kind is
#: in its data, ``did``), besides the notices of the event's own kind.
AGENT_ACTED = "agency.acted"


def _agent_acted(kind: str, concerns: Iterable[int], data: dict[str, Any]) -> tuple[int, dict[str, Any]] | None:
    """The principal to tell, and what the notice says, when an agent did this (AG-1). A principal the event's
    own notice reaches is told there (its words name the agent, :func:`composers.compose`)."""
    principal = data.get("on_behalf_of")
    if not isinstance(principal, int) or kind.startswith("agency."):
        return None
    if kind in NOTIFIED_KINDS and principal in set(concerns):
        return None
    return principal, {"did": kind, "agent_id": data.get("agent_id"), "agency_id": data.get("agency_id")}


def enqueue(session: Session, event: Event) -> None:
    """Add the notifications of an event not yet flushed (the ORM fills in the event id)."""
    acted = _agent_acted(event.kind, event.concerns, event.data or {})
    if acted is not None:
        session.add(Notification(event=event, person_id=acted[0], kind=AGENT_ACTED, data=acted[1],
                                 created_at=event.at, status="pending", attempts=0, next_attempt_at=event.at))
    if event.kind not in NOTIFIED_KINDS:
        return
    for person_id in event.concerns:
        session.add(Notification(event=event, person_id=person_id, kind=event.kind, data=event.data,
                                 created_at=event.at, status="pending", attempts=0, next_attempt_at=event.at))


def enqueue_many(session: Session, *, at: datetime,
                 events: Iterable[tuple[int, str, Iterable[int], dict[str, Any]]]) -> None:
    """Notifications of events inserted in bulk: ``(event_id, kind, concerns, data)`` each."""
    events = list(events)
    rows = [
        {"event_id": event_id, "person_id": person_id, "kind": kind, "data": data, "created_at": at,
         "status": "pending", "attempts": 0, "next_attempt_at": at}
        for event_id, kind, concerns, data in events if kind in NOTIFIED_KINDS
        for person_id in concerns
    ]
    for event_id, kind, concerns, data in events:
        if (acted := _agent_acted(kind, concerns, data)) is not None:
            rows.append({"event_id": event_id, "person_id": acted[0], "kind": AGENT_ACTED, "data": acted[1],
                         "created_at": at, "status": "pending", "attempts": 0, "next_attempt_at": at})
    if rows:
        session.execute(_INSERT, rows)


_INSERT = insert(Notification.__table__)
