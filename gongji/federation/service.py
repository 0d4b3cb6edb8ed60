"""The outbox and the inbox: a message is stored before it is sent, stored on arrival, and applied once.

* :func:`enqueue` writes a message into the outbox inside the transaction that makes it (a wallet transfer sent,
  accepted, returned, refused): the message exists if and only if that change committed.
* :func:`deliver_once` (run by :func:`start_deliverer` inside ``gongji serve``, or ``gongji federation deliver``)
  sends what waits, outside any transaction, and marks each message acknowledged when the next hop answered 200.
  A message not acknowledged is tried again after a growing pause (up to ``max_backoff_s``), for ever: nothing is
  dropped. Before sending, a pass claims its messages for a while (``next_attempt_at`` moved ahead in a short
  transaction), so several server processes do not send the same message at once.
* :func:`receive` stores an arriving message in the inbox in the same transaction that applies it. The inbox's key
  is the message id: a message delivered again (its acknowledgement was lost) is acknowledged again with the first
  outcome and changes nothing.

A province applies what is for it with the function its caller passes (:mod:`gongji.api.app` passes
:func:`gongji.api.app.federation_apply`: the wallet's and the move's; the federation imports neither, so they may use
it). The hub applies nothing: it stores the message and, in the same transaction, puts it in its own outbox for the
destination province; a transfer of money (:data:`REFUSALS`) for a province it does not serve goes back to its source
as refused (``PROVINCE_NOT_CONNECTED``).
"""

from __future__ import annotations

import logging
import random
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from gongji.db import Database, on_commit
from gongji.env import Env
from gongji.errors import GongjiError
from gongji.federation import wire
from gongji.federation.config import HUB_NAME, FederationConfig
from gongji.federation.models import InboxMessage, OutboxMessage

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

#: Messages claimed and sent per pass; how long a claim keeps other senders off a message.
BATCH = 100
CLAIM_S = 30.0
#: The messages that carry money, and the answer the hub sends back for one to a province it does not serve: a
#: wallet transfer (HN-9) and a personal-account balance carried on a move (转移接续, LC-7).
REFUSALS = {"wallet.transfer": "wallet.refused", "account.transfer": "account.refused"}
#: Wakes the deliverer of this process when a transaction with new messages commits.
_wake = threading.Event()


def new_message_id() -> str:
    return uuid.uuid4().hex


def enqueue(session: Session, env: Env, *, kind: str, destination: str, body: dict[str, Any],
            source: str | None = None, message_id: str | None = None) -> str:
    """Put a message into the outbox, in the caller's transaction; its id."""
    config = _config(env)
    now = env.now()
    message_id = message_id or new_message_id()
    session.add(OutboxMessage(message_id=message_id, kind=kind, source=source or config.name,
                              destination=destination, body=body, created_at=now, attempts=0,
                              next_attempt_at=now))
    session.flush()
    on_commit(session, _wake.set)
    return message_id


def _config(env: Env) -> FederationConfig:
    if env.federation is None:
        raise GongjiError("FEDERATION_NOT_CONFIGURED")
    return env.federation


# -- arrival ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Receipt:
    message_id: str
    status: str  # "stored", or "duplicate": stored before, not applied again
    outcome: str


#: What a province does with a message for it, in the caller's transaction: the outcome, as the inbox keeps it.
Apply = Callable[[Session, Env, wire.Envelope], str]


def receive(session: Session, env: Env, envelope: wire.Envelope, *, sender: str, apply: Apply) -> Receipt:
    """Store an arriving message and apply it (a province, with ``apply``), in the caller's transaction; a message
    seen before is not applied."""
    config = _config(env)
    earlier = session.get(InboxMessage, envelope.message_id)
    if earlier is not None:
        return Receipt(envelope.message_id, "duplicate", earlier.outcome)
    if config.is_hub:
        if envelope.source != sender:  # a province speaks only for itself
            raise GongjiError("FEDERATION_MESSAGE_INVALID",
                              reason=f"source {envelope.source[:8]} is not the sender {sender[:8]}")
        outcome = _relay(session, env, config, envelope)
    else:
        if envelope.destination != config.province:
            raise GongjiError("FEDERATION_MISROUTED", destination=envelope.destination[:8], here=config.province)
        outcome = apply(session, env, envelope)
    session.add(InboxMessage(message_id=envelope.message_id, kind=envelope.kind, source=envelope.source,
                             destination=envelope.destination, sender=sender, body=envelope.body,
                             received_at=env.now(), outcome=outcome[:200]))
    session.flush()
    return Receipt(envelope.message_id, "stored", outcome)


def _relay(session: Session, env: Env, config: FederationConfig, envelope: wire.Envelope) -> str:
    """The hub: pass the message on to its destination, or send a transfer for an unknown province back."""
    if envelope.destination in config.provinces:
        enqueue(session, env, kind=envelope.kind, destination=envelope.destination, body=envelope.body,
                source=envelope.source, message_id=envelope.message_id)
        return f"forwarded to {envelope.destination}"
    if envelope.kind in REFUSALS and envelope.source in config.provinces:
        error = GongjiError("PROVINCE_NOT_CONNECTED", province=envelope.destination[:8])
        enqueue(session, env, kind=REFUSALS[envelope.kind], destination=envelope.source, source=HUB_NAME,
                body={"transfer_no": envelope.body["transfer_no"], "refused_at": env.now().isoformat(),
                      "code": error.code, "message_zh": error.message_zh,
                      "message_en": error.message_en})
        return f"refused: no province {envelope.destination[:8]}"
    raise GongjiError("FEDERATION_MISROUTED", destination=envelope.destination[:8], here=HUB_NAME)


# -- delivery --------------------------------------------------------------------------------------


def backoff_s(attempts: int, config: FederationConfig) -> float:
    """The pause before the next try after ``attempts`` failed ones: doubling from 1 s, capped, with jitter."""
    return min(config.max_backoff_s, 2.0 ** min(attempts - 1, 16)) * random.uniform(0.75, 1.0)


def _claim(db: Database, env: Env) -> list[tuple[int, str, dict[str, Any]]]:
    """Take up to :data:`BATCH` waiting messages, oldest first, for :data:`CLAIM_S`: (row id, destination, envelope)."""
    def work(s: Session) -> list[tuple[int, str, dict[str, Any]]]:
        now = env.now()
        rows = list(s.execute(
            select(OutboxMessage).where(OutboxMessage.acked_at.is_(None), OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.id).limit(BATCH)).scalars())
        claimed = []
        for row in rows:
            taken = s.execute(
                update(OutboxMessage).where(OutboxMessage.id == row.id, OutboxMessage.acked_at.is_(None),
                                            OutboxMessage.next_attempt_at == row.next_attempt_at)
                .values(next_attempt_at=now + timedelta(seconds=CLAIM_S))).rowcount
            if taken:
                envelope = wire.Envelope(row.message_id, row.kind, row.source, row.destination, row.created_at,
                                         row.body)
                claimed.append((row.id, row.destination, envelope.to_json()))
        return claimed

    return db.run(work)


def _settle(db: Database, env: Env, config: FederationConfig, row_id: int, error: str | None) -> None:
    def work(s: Session) -> None:
        now = env.now()
        if error is None:
            s.execute(update(OutboxMessage).where(OutboxMessage.id == row_id, OutboxMessage.acked_at.is_(None))
                      .values(acked_at=now, attempts=OutboxMessage.attempts + 1, last_error=None))
        else:
            row = s.get(OutboxMessage, row_id)
            if row is not None and row.acked_at is None:
                row.attempts += 1
                row.last_error = error[:1000]
                row.next_attempt_at = now + timedelta(seconds=backoff_s(row.attempts, config))

    db.run(work)


def deliver_once(db: Database, env: Env, client: httpx.Client) -> tuple[int, int]:
    """Send what waits in the outbox now; (acknowledged, failed). Network calls happen outside transactions."""
    import httpx  # here, not at the top: a server that does not deliver never loads it

    config = _config(env)
    acked = failed = 0
    unreachable: set[str] = set()  # a peer that failed once this pass is not tried again in it
    for row_id, destination, envelope in _claim(db, env):
        peer = config.peer(destination)
        error = None
        if peer is None:
            error = f"no route to {destination}"
        elif peer.name in unreachable:
            error = "the next hop did not answer earlier in this pass"
        else:
            try:
                wire.deliver(client, peer.url, peer.secret, config.name, envelope)
            except (httpx.HTTPError, wire.DeliveryFailed) as exc:
                error = f"{type(exc).__name__}: {exc}"
                # a hop that is down or failing is left alone for the rest of the pass; one that refused this one
                # message (4xx) may still take the others
                if not isinstance(exc, wire.DeliveryFailed) or exc.status >= 500:
                    unreachable.add(peer.name)
                log.warning("federation: %s did not acknowledge a message (%s); it will be sent again", peer.name,
                            error[:200])
        _settle(db, env, config, row_id, error)
        if error is None:
            acked += 1
        else:
            failed += 1
    return acked, failed


def run_deliverer(db: Database, env: Env, stop: threading.Event, *, timeout_s: float = 5.0) -> None:
    """Deliver until ``stop`` is set: a pass whenever a transaction enqueues, and at least every ``deliver_every_s``."""
    config = _config(env)
    import httpx

    with httpx.Client(timeout=timeout_s) as client:
        while not stop.is_set():
            _wake.clear()
            try:
                acked, failed = deliver_once(db, env, client)
            except Exception:
                log.exception("federation delivery pass failed; trying again")
                acked, failed = 0, 1
            if acked and not failed:
                continue  # more may be waiting
            _wake.wait(config.deliver_every_s)


def start_deliverer(db: Database, env: Env) -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(target=run_deliverer, name="gongji-federation", daemon=True,
                              kwargs={"db": db, "env": env, "stop": stop})
    thread.start()
    return thread, stop


# -- looking on ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Status:
    waiting: int  # in the outbox, not acknowledged
    oldest_waiting_at: datetime | None
    most_attempts: int
    acknowledged: int
    received: int

    def to_json(self) -> dict[str, Any]:
        return {"waiting": self.waiting, "acknowledged": self.acknowledged, "received": self.received,
                "most_attempts": self.most_attempts,
                "oldest_waiting_at": self.oldest_waiting_at.isoformat() if self.oldest_waiting_at else None}


def status(session: Session) -> Status:
    waiting, oldest, attempts = session.execute(
        select(func.count(), func.min(OutboxMessage.created_at), func.coalesce(func.max(OutboxMessage.attempts), 0))
        .where(OutboxMessage.acked_at.is_(None))).one()
    acked = session.execute(select(func.count()).select_from(OutboxMessage)
                            .where(OutboxMessage.acked_at.is_not(None))).scalar_one()
    received = session.execute(select(func.count()).select_from(InboxMessage)).scalar_one()
    return Status(waiting, oldest, int(attempts), acked, received)
