"""The ledger owns its writes (gongji/ledger/writes.py): nothing else writes entries, postings or kept balances, and
what it writes keeps system accounts' balances off the row and every posting's balance-after true (N-9)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select, text

from gongji.db import dialect
from gongji.ledger import service as ledger
from gongji.ledger import writes
from gongji.ledger.models import Account, Posting

ROOT = Path(__file__).resolve().parents[2]
#: SQL that writes the ledger's tables, as it would appear in a service.
WRITING = re.compile(r"insert\s+into\s+(postings|ledger_entries)|update\s+accounts\s+set|"
                     r"insert\((Posting|LedgerEntry|Account)\b|copy\s+(postings|ledger_entries)", re.IGNORECASE)
OWNER = ROOT / "gongji" / "ledger" / "writes.py"


def writers() -> list[str]:
    return sorted(f"{path.relative_to(ROOT)}: {match.group(0)}"
                  for path in (ROOT / "gongji").rglob("*.py")
                  if path != OWNER and "migrations" not in path.parts
                  for match in WRITING.finditer(path.read_text(encoding="utf-8")))


def test_only_the_ledger_writes_entries_postings_and_balances():
    assert writers() == []


def test_the_scan_finds_a_writer(tmp_path):
    """The pattern the scan uses matches the ways a service could write the tables itself."""
    for sql in ('INSERT INTO postings (entry_id) VALUES (1)', 'update accounts set balance_fen = 0',
                'insert(LedgerEntry).values(kind="x")', 'INSERT\n  INTO ledger_entries (id) SELECT 1'):
        assert WRITING.search(sql), sql


def test_add_to_balances_leaves_system_accounts_off_the_row(world):
    """A system account's balance is the sum of its postings: the update never gives it a kept balance."""
    person = world.person(current_fen=1_000)

    def move(s, env):
        current = {f.value: a.id for f, a in ledger.personal_accounts(s, person.id).items()}["current_year"]
        source = ledger.system_account(s, kind=ledger.CREDITS, key="230100", region_code="230100", at=env.now())
        entry = ledger.post(s, kind="test", at=env.now(), on=env.today(),
                            legs=[ledger.Leg(current, 250), ledger.Leg(source, -250)])
        return source, entry

    source, entry = world.run(move)
    kept, postings = world.db.read(lambda s: (
        s.execute(select(Account.balance_fen).where(Account.id == source)).scalar_one(),
        {p.account_id: p.balance_after_fen for p in s.execute(select(Posting).where(Posting.entry_id == entry))
         .scalars()}))
    assert kept is None and postings[source] is None
    assert sorted(after for after in postings.values() if after is not None) == [1_250]
    assert world.db.read(ledger.check).ok


def test_balances_from_postings_takes_the_balance_after(world):
    """The batch jobs' way on SQLite: postings first, then each kept balance becomes its posting's balance-after."""
    person = world.person(current_fen=1_000)

    def write(s, env):
        mine = {f.value: a.id for f, a in ledger.personal_accounts(s, person.id).items()}
        entry = s.execute(writes.INSERT_ENTRY, {"kind": "test", "at": env.now(), "on": env.today(),
                                                "memo": None}).scalar_one()
        s.execute(text(writes.insert_postings(
            "SELECT :entry, :current, -400, 600 UNION ALL SELECT :entry, :prior, 400, 400")),
            {"entry": entry, "current": mine["current_year"], "prior": mine["prior_years"]})
        s.execute(text(writes.balances_from_postings("p.entry_id = :entry")), {"entry": entry})

    world.run(write)
    balances = world.balances(person)
    assert (balances.current_year_fen, balances.prior_years_fen) == (600, 400)
    assert world.db.read(ledger.check).ok


def test_ids_are_drawn_ahead_only_where_rows_are_written_together(db):
    with db.engine.connect() as conn:
        from sqlalchemy.orm import Session

        with Session(bind=conn) as session:
            if dialect.is_postgresql(session):
                first, second = writes.next_entry_ids(session, 2)
                assert second > first
            else:
                with pytest.raises(NotImplementedError):
                    writes.next_entry_ids(session, 2)
                query = select(Account.id)
                assert dialect.for_update(session, query) is query
