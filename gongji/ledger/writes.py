"""The ledger's writes: the one module that says how an entry, its postings and the kept balances are written.

Every writer of money uses these: :func:`gongji.ledger.service.post` (an entry at a time, any database), the
settlement's one statement on PostgreSQL (:mod:`gongji.settlement.writing`), and the set-based batch jobs
(:mod:`gongji.batch.crediting`, :mod:`gongji.batch.year_end`), which write thousands of postings per statement.
What they share is written once here:

* an entry is a row of ``ledger_entries``; :func:`insert_entries` takes the rows from a ``SELECT`` of the caller;
* a posting carries the account's balance after it (``balance_after_fen``; NULL for system accounts, whose balance
  is the sum of their postings); :func:`insert_postings`;
* a kept balance changes only by adding an amount (:func:`add_to_balances`), or by taking the balance after the
  entry's postings (:func:`balances_from_postings`, where the postings were written first); system accounts keep
  no balance on the row (``balance_fen IS NULL``) and are never updated, so nothing waits on them;
* the database refuses the rest: a personal balance below zero (CHECK), a posting changed or deleted (triggers),
  an entry that does not sum to zero at commit on PostgreSQL (a deferred constraint trigger).

The statements are SQL text fragments (common table expressions) because the set-based writers put them into
statements of their own; the names of the tables and columns appear nowhere else in the services.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from gongji.db.dialect import next_ids
from gongji.ledger.models import LedgerEntry, Posting

#: Core statements for an entry at a time: an entry and its postings are written once and never changed.
INSERT_ENTRY = insert(LedgerEntry.__table__).returning(LedgerEntry.__table__.c.id)
INSERT_POSTING = insert(Posting.__table__)

#: The columns a ``SELECT`` given to :func:`insert_postings` yields, in this order.
POSTING_COLUMNS = "entry_id, account_id, amount_fen, balance_after_fen"


def insert_entries(select: str, columns: str = 'id, kind, at, "on", memo') -> str:
    """``INSERT INTO ledger_entries (columns) <select>``: entries from the caller's ``SELECT``."""
    return f"INSERT INTO ledger_entries ({columns}) {select}"


def insert_postings(select: str) -> str:
    """``INSERT INTO postings (...) <select>``; ``select`` yields :data:`POSTING_COLUMNS`."""
    return f"INSERT INTO postings ({POSTING_COLUMNS}) {select}"


def add_to_balances(source: str, *, account: str, amount: str, where: str = "",
                    returning: str = "accounts.id, accounts.balance_fen") -> str:
    """``UPDATE accounts``: add ``amount`` (an expression over ``source``) to the kept balance of ``account``; system
    accounts are left alone. ``where`` adds conditions; ``returning`` names what the statement gives back."""
    condition = f"accounts.id = {account} AND accounts.balance_fen IS NOT NULL"
    if where:
        condition += f" AND {where}"
    return (f"UPDATE accounts SET balance_fen = accounts.balance_fen + {amount} FROM {source} "
            f"WHERE {condition} RETURNING {returning}")


def balances_from_postings(entries: str) -> str:
    """``UPDATE accounts``: each kept balance becomes the balance after its posting in the entries ``entries`` (a SQL
    condition on ``p.entry_id``), for writers that wrote the postings first (SQLite's batch jobs)."""
    return ("UPDATE accounts SET balance_fen = p.balance_after_fen FROM postings p "
            f"WHERE {entries} AND p.account_id = accounts.id AND accounts.balance_fen IS NOT NULL")


#: SQL (PostgreSQL): the next entry id, for one statement that writes an entry and rows that refer to it.
NEXT_ENTRY_ID = "nextval(pg_get_serial_sequence('ledger_entries', 'id'))"


def next_entry_ids(session: Session, n: int = 1) -> list[int]:
    """Entry ids drawn before the entries are written (PostgreSQL), for statements whose rows refer to each other."""
    return next_ids(session, "ledger_entries", n)


#: Up to this many legs the balance update is one prepared statement per leg count; above, values are inlined.
_BOUND_LEGS = 50
_APPLY: dict[int, Any] = {}


def apply_deltas(session: Session, deltas: dict[int, int]) -> dict[int, int]:
    """Add the deltas (account id -> fen) to the kept balances in one statement; return the new kept balances."""
    if len(deltas) <= _BOUND_LEGS:
        statement = _APPLY.get(len(deltas))
        if statement is None:
            statement = _APPLY.setdefault(len(deltas), text(_apply_sql(", ".join(
                f"(:a{i}, :d{i})" for i in range(len(deltas))))))
        params: dict[str, int] = {}
        for i, (account_id, amount) in enumerate(deltas.items()):
            params[f"a{i}"], params[f"d{i}"] = account_id, amount
        rows = session.execute(statement, params)
    else:
        values = ", ".join(f"({int(account_id)}, {int(amount)})" for account_id, amount in deltas.items())
        rows = session.execute(text(_apply_sql(values)))
    return {row[0]: row[1] for row in rows}


def _apply_sql(values: str) -> str:
    # CAST: PostgreSQL types the bound values of a VALUES list from the first row, which may be any int size.
    return f"WITH v(id, delta) AS (VALUES {values}) " + add_to_balances(
        "v", account="v.id", amount="CAST(v.delta AS BIGINT)")
