"""The year-end roll-over (``gongji year-end 2026``): current-year funds move into the same person's prior-years funds.

D-1 keeps a personal account as two funds, spent current-year first. When a year has ended, whatever is left in
each person's current-year funds becomes prior-years money: per chunk one balanced ledger entry (kind
``year_end``, memo ``year-end roll-over 2026``) with two postings per person whose current-year balance is above
zero: minus the balance on current-year (``balance_after_fen`` 0) and plus it on prior-years (``balance_after_fen``
the new prior-years balance). Each person's total stays the same; no system account takes part. Every personal
account is rolled over, whatever the enrollment's status: the money is the person's.

On PostgreSQL one statement does a chunk: it reads the chunk's current-year balances, takes each amount read off
its current-year account (only where the balance still holds it) and adds it to the prior-years account, then
writes the entry and postings with the balances the updates returned (no separate pass to lock the rows first).
A settlement or refund at the same moment waits for the row or goes first. What a refund paid back after the read
stays in current-year funds for the new year; if a settlement spent from an account after the read, its amount
is no longer there to move, and the chunk runs again from the start. Money is conserved either way: minus and
plus the same amount. On SQLite, where the transaction holds the only write lock, the postings are written first
and the balances set from them.

The order against monthly crediting (a month of the next year is credited only after this) is in
:mod:`gongji.batch.periods`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Date, bindparam, text
from sqlalchemy.orm import Session

from gongji.batch import runner
from gongji.batch.periods import YEAR_END, check_year, parse_year
from gongji.db import Database
from gongji.db.base import UTCDateTime
from gongji.env import Env
from gongji.ledger import writes as ledger_writes

#: The chunk's current-year accounts with money in them, beside the same person's prior-years account.
MOVING = """
    SELECT c.id, c.region_code, c.balance_fen AS amount, p.id AS prior_id
    FROM accounts c
    JOIN accounts p ON p.person_id = c.person_id AND p.fund = 'prior_years'
                   AND p.person_id BETWEEN :first_id AND :last_id
    WHERE c.person_id BETWEEN :first_id AND :last_id AND c.fund = 'current_year' AND c.balance_fen > 0"""


class YearEnd:
    """The job of :func:`year_end` for the runner."""

    name = YEAR_END

    def __init__(self, env: Env, year: int | str) -> None:
        self.env = env
        self.year = parse_year(year)
        self.period = f"{self.year:04d}"
        self.memo = f"year-end roll-over {self.period}"

    def check(self, session: Session) -> None:
        check_year(session, year=self.year, today=self.env.today())

    def bounds(self, session: Session) -> tuple[int, int] | None:
        row = session.execute(text(
            "SELECT MIN(person_id), MAX(person_id) FROM accounts WHERE person_id IS NOT NULL")).one()
        return None if row[0] is None else (row[0], row[1])

    def work(self, session: Session, first_id: int, last_id: int) -> runner.ChunkWork:
        ids = {"first_id": first_id, "last_id": last_id}
        if runner.is_postgres(session):
            rows, entry_id = self._postgres(session, ids)
        else:
            rows, entry_id = self._sqlite(session, ids)
        regions: dict[str, Any] = {}
        for row in rows:
            regions[row.region_code] = {"people": int(row.people), "amount_fen": int(row.amount_fen)}
        return runner.ChunkWork(
            rows=sum(r["people"] for r in regions.values()), amount_fen=sum(r["amount_fen"] for r in regions.values()),
            entry_ids=[entry_id] if regions else [], detail={"regions": regions})

    def _postgres(self, session: Session, ids: dict[str, int]):
        [entry_id] = ledger_writes.next_entry_ids(session)
        statement = text(f"""
            WITH moving AS MATERIALIZED ({MOVING}),
            emptied AS ({ledger_writes.add_to_balances(
                "moving m", account="m.id", amount="-m.amount",
                where="accounts.person_id BETWEEN :first_id AND :last_id AND accounts.balance_fen >= m.amount",
                returning="m.id, m.prior_id, m.region_code, m.amount, accounts.balance_fen")}),
            filled AS ({ledger_writes.add_to_balances(
                "emptied e", account="e.prior_id", amount="e.amount",
                where="accounts.person_id BETWEEN :first_id AND :last_id",
                returning="e.id AS from_id, e.balance_fen AS from_balance, accounts.id AS to_id, e.region_code, "
                          "e.amount, accounts.balance_fen")}),
            entry AS ({ledger_writes.insert_entries(
                "SELECT :entry_id, 'year_end', :at, :on, :memo WHERE EXISTS (SELECT 1 FROM filled)")}),
            legs AS ({ledger_writes.insert_postings(
                "SELECT :entry_id, from_id, -amount, from_balance FROM filled "
                "UNION ALL "
                "SELECT :entry_id, to_id, amount, balance_fen FROM filled")})
            SELECT region_code, COUNT(*) AS people, SUM(amount) AS amount_fen FROM filled GROUP BY region_code
            UNION ALL
            SELECT NULL, COUNT(*), 0 FROM moving
        """).bindparams(bindparam("at", type_=UTCDateTime()), bindparam("on", type_=Date()))
        rows = session.execute(statement, {**ids, "entry_id": entry_id, "at": self.env.now(), "on": self.env.today(),
                                           "memo": self.memo}).all()
        [seen] = [row.people for row in rows if row.region_code is None]
        rows = [row for row in rows if row.region_code is not None]
        if seen != sum(row.people for row in rows):  # someone spent from current-year funds after the read
            raise runner.RetryChunk()
        return rows, entry_id

    def _sqlite(self, session: Session, ids: dict[str, int]):
        rows = session.execute(text(f"""
            SELECT region_code, COUNT(*) AS people, SUM(amount) AS amount_fen FROM ({MOVING}) GROUP BY region_code
        """), ids).all()
        if not rows:
            return rows, None
        entry_id = session.execute(ledger_writes.INSERT_ENTRY, {
            "kind": "year_end", "at": self.env.now(), "on": self.env.today(), "memo": self.memo}).scalar_one()
        session.execute(text(ledger_writes.insert_postings(
            f"SELECT :entry_id, id, -amount, 0 FROM ({MOVING}) "
            "UNION ALL "
            f"SELECT :entry_id, p.id, m.amount, p.balance_fen + m.amount FROM ({MOVING}) m "
            "JOIN accounts p ON p.id = m.prior_id")), {**ids, "entry_id": entry_id})
        session.execute(text(ledger_writes.balances_from_postings("p.entry_id = :entry_id")), {"entry_id": entry_id})
        return rows, entry_id


def year_end(db: Database, env: Env, year: int | str, *, chunk_size: int = runner.DEFAULT_CHUNK_SIZE,
             workers: int | None = None, progress: runner.Progress | None = None) -> runner.Summary:
    """Roll every current-year balance of ``year`` into the same person's prior-years funds, once (D-1).

    Refusals, before anything is written: BATCH_PERIOD_INVALID, YEAR_NOT_ENDED, CREDITING_UNFINISHED,
    LATER_YEAR_CREDITED (:mod:`gongji.batch.periods`). Running a year again moves only the chunks not yet done.
    """
    return runner.run(db, env, YearEnd(env, year), chunk_size=chunk_size, workers=workers,
                      progress=progress)
