"""How a settlement is written: on PostgreSQL one statement, elsewhere one statement per table; the rows are the same.

Rules: N-9, N-10, HN-4 (who paid is written as the plan says, with its events and notifications).
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import event, select

from gongji.events.models import Event
from gongji.idempotency import IdempotencyRecord
from gongji.ledger import service as ledger
from gongji.ledger.models import Account, LedgerEntry, Posting
from gongji.notifications.models import Notification
from gongji.settlement import writing
from gongji.settlement.models import Settlement, SettlementPart

ADULT = date(1975, 5, 1)
CHILD = date(2000, 5, 1)


def family(world, n: int):
    """A child with a little of her own money and two bound parents: a bill of hers uses all three accounts."""
    father = world.person(f"王父{n}", city="beijing", born=ADULT, current_fen=3_000, prior_fen=5_000)
    mother = world.person(f"王母{n}", city="beijing", born=ADULT, sex="F", current_fen=20_000)
    child = world.person(f"王女{n}", city="beijing", born=CHILD, sex="F", current_fen=700)
    world.bind(father, child, "child")
    world.bind(mother, child, "child")
    return child, (child, father, mother)


def written(world, settlement_id: int, people) -> dict:
    """The rows a settlement wrote, with the ids of people, accounts, bindings and rows replaced by their roles."""
    def read(s):
        names = {}
        for role, person in zip(("patient", "father", "mother"), people, strict=True):
            names[("person", person.id)] = role
            for account in s.execute(select(Account).where(Account.person_id == person.id)).scalars():
                names[("account", account.id)] = f"{role}:{account.fund}"
        row = s.get(Settlement, settlement_id)
        entry = s.get(LedgerEntry, row.entry_id)
        system = {a.id: a.system_key for a in s.execute(select(Account).where(Account.system_key.is_not(None))).scalars()}

        def account(account_id):
            return names.get(("account", account_id)) or system[account_id]

        events = s.execute(select(Event).where(Event.subject_type == "settlement", Event.subject_id == settlement_id)
                           .order_by(Event.id)).scalars().all()
        notifications = s.execute(select(Notification).where(Notification.event_id.in_([e.id for e in events]))
                                  .order_by(Notification.id)).scalars().all()
        record = s.execute(select(IdempotencyRecord).where(IdempotencyRecord.result_id == settlement_id,
                                                           IdempotencyRecord.result_type == "settlement")).scalar_one()
        return {
            "settlement": (names[("person", row.patient_id)], row.region_code, row.use, row.amount_fen, row.own_fen,
                           row.mutual_aid_fen, row.cash_fen, row.refunded_fen, row.cash_refunded_fen, row.status,
                           row.settled_at, row.settled_on, row.cert_type, row.agent_name, row.idempotency_key[:5]),
            "parts": [(p.seq, names[("person", p.payer_id)], account(p.account_id), p.fund, p.binding_id is not None,
                       p.amount_fen, p.refunded_fen)
                      for p in s.execute(select(SettlementPart).where(SettlementPart.settlement_id == settlement_id)
                                         .order_by(SettlementPart.seq)).scalars()],
            "entry": (entry.kind, entry.at, entry.on, entry.ref_type, entry.ref_id == settlement_id, entry.memo),
            "postings": [(account(p.account_id), p.amount_fen, p.balance_after_fen)
                         for p in s.execute(select(Posting).where(Posting.entry_id == entry.id)
                                            .order_by(Posting.id)).scalars()],
            "events": [(e.at, e.kind, e.actor_kind, e.actor_id, e.channel, [names[("person", c)] for c in e.concerns],
                        {k: names.get(("person", v), v) if k.endswith("_id") else v for k, v in e.data.items()})
                       for e in events],
            "notifications": [(names[("person", n.person_id)], n.kind, n.status, n.attempts, n.created_at,
                               n.next_attempt_at, n.lease_until, n.delivered_at) for n in notifications],
            "key": (record.scope, record.key[:5], record.result_type, record.created_at),
        }

    return world.db.read(read)


def test_one_statement_writes_what_a_statement_per_table_writes(world, monkeypatch):
    """N-10, N-9: the same bill for two like families, written both ways, gives the same rows (ids aside)."""
    world.institution("H11010100001", city="beijing")
    first, first_people = family(world, 1)
    second, second_people = family(world, 2)
    one = world.settle(first, 10_000, institution="H11010100001", key="visit-a")
    monkeypatch.setattr(writing, "WRITE_IN_ONE_STATEMENT", False)
    each = world.settle(second, 10_000, institution="H11010100001", key="visit-b")
    assert [(line.amount_fen, line.fund) for line in one.lines] == [(line.amount_fen, line.fund) for line in each.lines]
    assert (one.own_fen, one.mutual_aid_fen, one.cash_fen) == (700, 9_300, 0)
    assert written(world, one.settlement_id, first_people) == written(world, each.settlement_id, second_people)
    assert world.db.read(ledger.check).ok


@pytest.mark.parametrize("amount", [1, 20_000_000])
def test_a_settlement_costs_few_statements(world, amount):
    """N-10: a settlement (own account, mutual aid, cash) is a handful of statements: on PostgreSQL none through
    SQLAlchemy (its two, the facts with the claim and the locks, and the writes, go through gongji.db.pipeline in two
    round trips, counted in test_round_trips.py), on SQLite one per table it writes."""
    world.institution("H11010100001", city="beijing")
    patient, _ = family(world, 1)
    world.settle(patient, amount, institution="H11010100001", key="warm")
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(world.db.engine, "before_cursor_execute", listener)
    try:
        world.settle(patient, amount, institution="H11010100001", key="counted")
    finally:
        event.remove(world.db.engine, "before_cursor_execute", listener)
    if world.db.dialect == "postgresql":
        assert statements == []
    else:  # BEGIN, facts, accounts, settlement, parts, entry, balances, postings, link, key, events, notifications
        assert len(statements) <= 13, statements
