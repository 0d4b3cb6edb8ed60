"""A settlement's writes: the settlement, its parts, its ledger entry, the key, the events and the outbox."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    bindparam,
    insert,
    text,
    update,
)
from sqlalchemy.orm import Session

from gongji import idempotency
from gongji.actors import Actor
from gongji.db import pipeline
from gongji.db.base import UTCDateTime
from gongji.db.dialect import is_postgresql
from gongji.events.service import Happening, record_many
from gongji.ledger import service as ledger
from gongji.ledger import writes as ledger_writes
from gongji.notifications.outbox import NOTIFIED_KINDS
from gongji.settlement.models import Settlement, SettlementPart

_INSERT_SETTLEMENT = insert(Settlement.__table__).returning(Settlement.__table__.c.id)
_INSERT_PARTS = insert(SettlementPart.__table__)
_SET_ENTRY = (update(Settlement.__table__).where(Settlement.__table__.c.id == bindparam("settlement_id"))
              .values(entry_id=bindparam("entry_id")))



def _write(session: Session, *, settlement_id: int | None, at: datetime, on: date, row: dict[str, Any],
           parts: list[dict[str, Any]], legs: dict[int, int], record: dict[str, Any] | None, actor: Actor,
           happenings: list[tuple[str, list[int], dict[str, Any]]]) -> int:
    """Write a settlement: its row (with ``settlement_id`` when the key's claim drew it), its parts, its ledger
    entry (``legs``, checked by :func:`ledger.merge_legs`; none for an all-cash bill) with the balances, the
    idempotency ``record`` (None: claimed already) and the events (``(kind, concerns, data)``) with their
    notifications. Returns the settlement's id.

    On PostgreSQL this is one statement (:data:`_WRITE_POSTGRESQL`); elsewhere one statement per table, through
    :func:`ledger.post` and :func:`events.record_many`. Either way the database's constraints and triggers hold it.
    """
    if is_postgresql(session) and WRITE_IN_ONE_STATEMENT and settlement_id is not None:
        assert record is None  # claimed
        # sent with the COMMIT, in one round trip (or before the transaction's next statement, if it has one)
        pipeline.write_with_commit(session, _WRITE_POSTGRESQL, {
            **row, "settlement_id": settlement_id, "at": at, "on": on, "paid": bool(legs),
            "parts": json.dumps(parts),
            "legs": json.dumps([{"account_id": a, "amount_fen": amount} for a, amount in legs.items()]),
            "actor_kind": actor.kind.value, "actor_id": actor.id, "channel": actor.channel.value,
            "events": json.dumps([{"kind": kind, "concerns": sorted(set(concerns)), "data": data}
                                  for kind, concerns, data in happenings]),
        })
        return settlement_id
    values = {**row, "entry_id": None}
    if settlement_id is not None:
        values["id"] = settlement_id
    settlement_id = session.execute(_INSERT_SETTLEMENT, values).scalar_one()
    if parts:
        session.execute(_INSERT_PARTS, [{**part, "settlement_id": settlement_id, "refunded_fen": 0} for part in parts])
    if legs:
        entry_id = ledger.post(session, kind="settlement", at=at, on=on, ref_type="settlement", ref_id=settlement_id,
                               legs=[ledger.Leg(account_id, amount) for account_id, amount in legs.items()])
        session.execute(_SET_ENTRY, {"settlement_id": settlement_id, "entry_id": entry_id})
    if record is not None:
        idempotency.remember(session, scope=record["scope"], key=record["key"], content=record["content"],
                             result_type="settlement", result_id=settlement_id, at=at)
    record_many(session, at=at, happenings=[
        Happening(kind=kind, actor=actor, subject_type="settlement", subject_id=settlement_id, concerns=concerns,
                  data=data)
        for kind, concerns, data in happenings])
    return settlement_id


#: On PostgreSQL a settlement writes in one statement (tests turn it off to compare with the statement per table).
WRITE_IN_ONE_STATEMENT = True

assert all(kind.replace(".", "").replace("_", "").isalpha() for kind in NOTIFIED_KINDS)  # safe in SQL text
#: A settlement's writes on PostgreSQL, in one statement (one round trip instead of eight). The settlement's id was
#: drawn when its key was claimed; the ledger entry's is drawn first, as each row refers to the other. The ledger
#: part is written by :mod:`gongji.ledger.writes`, as :func:`ledger.post` writes it: the entry, the kept balances
#: (personal accounts; the CHECK refuses a negative one) and a posting per account with the balance after it; the
#: deferred trigger checks at commit that the entry balances.
_WRITE_POSTGRESQL = text("""
WITH ids AS (
    SELECT CAST(:settlement_id AS bigint) AS settlement_id,
           CASE WHEN :paid THEN {next_entry_id} END AS entry_id
), settlement AS (
    INSERT INTO settlements (id, institution_id, patient_id, region_code, use, amount_fen, own_fen, mutual_aid_fen,
                             cash_fen, refunded_fen, cash_refunded_fen, status, settled_at, settled_on, cert_type,
                             cert_no, agent_name, agent_id_number, attested_payer_id, attestation_relationship,
                             attestation_phone, idempotency_key, entry_id)
    SELECT settlement_id, :institution_id, :patient_id, :region_code, :use, :amount_fen, :own_fen, :mutual_aid_fen,
           :cash_fen, :refunded_fen, :cash_refunded_fen, :status, :settled_at, :settled_on, :cert_type,
           :cert_no, :agent_name, :agent_id_number, :attested_payer_id, :attestation_relationship,
           :attestation_phone, :idempotency_key, entry_id
    FROM ids
), parts AS (
    INSERT INTO settlement_parts (settlement_id, seq, payer_id, account_id, fund, binding_id, amount_fen, refunded_fen)
    SELECT ids.settlement_id, p.seq, p.payer_id, p.account_id, p.fund, p.binding_id, p.amount_fen, 0
    FROM ids, json_to_recordset(CAST(:parts AS json))
         AS p(seq integer, payer_id bigint, account_id bigint, fund text, binding_id bigint, amount_fen bigint)
), entry AS (
    {entry}
), legs AS (
    SELECT * FROM json_to_recordset(CAST(:legs AS json)) AS l(account_id bigint, amount_fen bigint)
), balances AS (
    {balances}
), postings AS (
    {postings}
), events AS (
    INSERT INTO events (at, kind, actor_kind, actor_id, channel, subject_type, subject_id, concerns, data)
    SELECT :at, e.kind, :actor_kind, :actor_id, :channel, 'settlement', ids.settlement_id, e.concerns, e.data
    FROM ids, ROWS FROM (json_to_recordset(CAST(:events AS json)) AS (kind text, concerns json, data json))
         WITH ORDINALITY AS e(kind, concerns, data, n)
    ORDER BY e.n
    RETURNING id, kind, concerns, data
), notifications AS (
    -- the outbox (gongji.notifications.outbox): one per person concerned, for the kinds people are told about
    INSERT INTO notifications (event_id, person_id, kind, data, created_at, status, attempts, next_attempt_at)
    SELECT events.id, CAST(person.value AS bigint), events.kind, events.data, :at, 'pending', 0, :at
    FROM events, json_array_elements_text(events.concerns) AS person
    WHERE events.kind IN ({notified})
)
SELECT settlement_id FROM ids
"""
    .replace("{next_entry_id}", ledger_writes.NEXT_ENTRY_ID)
    .replace("{entry}", ledger_writes.insert_entries(
        "SELECT entry_id, 'settlement', :at, :on, 'settlement', settlement_id FROM ids WHERE entry_id IS NOT NULL",
        columns='id, kind, at, "on", ref_type, ref_id'))
    .replace("{balances}", ledger_writes.add_to_balances("legs", account="legs.account_id", amount="legs.amount_fen"))
    .replace("{postings}", ledger_writes.insert_postings(
        "SELECT ids.entry_id, legs.account_id, legs.amount_fen, balances.balance_fen "
        "FROM ids CROSS JOIN legs LEFT JOIN balances ON balances.id = legs.account_id ORDER BY legs.account_id"))
    .replace("{notified}", ", ".join(f"'{kind}'" for kind in sorted(NOTIFIED_KINDS)))
).bindparams(bindparam("at", type_=UTCDateTime), bindparam("settled_at", type_=UTCDateTime))
