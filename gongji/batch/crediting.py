"""Monthly crediting (``gongji credit-month 2026-11``): every employee's current-year funds receive the month's credit.

By the region's policy (``monthly_credit_permille``, ``retiree_monthly_credit_fen``):

* an in-service employee receives ``contribution_base_fen × permille / 1000``, rounded down to the fen;
* a retiree (``Enrollment.retired``) receives the region's fixed monthly amount.

Whose contributions are known (LC-6) is credited from that month's contribution: its base, nothing for an unpaid
month (reason ``unpaid``), also when a later unpaid month has suspended him since; whose are not, from the
enrollment's base. Credited are employee enrollees (N-1: only they have a personal account) in ``normal`` status
(or suspended by their contributions) whose current-year account exists and whose amount is above zero; suspended and terminated enrollments receive nothing (the summary
counts them by reason, as it counts employees without an account or without a contribution base). The money comes
from the region's ``credits:<region code>`` system account: per chunk and region code one balanced ledger entry
(kind ``credit``, memo ``monthly credit 2026-11``) with one posting per person (``balance_after_fen`` the new
balance) and one posting of minus the sum on the credits account.

The work is SQL over the chunk's id range, not a loop over people. On PostgreSQL one statement does it all (its
common table expressions update the balances, insert the entries and postings, and count by region and reason);
a concurrent settlement on the same account simply waits for the chunk's transaction, or the other way round.
On SQLite, whose single writer holds the database for the transaction, a few statements do the same steps.

Nobody is notified one by one (millions of messages a month); the chunk's ``batch.chunk_done`` event records it,
and each person sees the credit in their account changes (N-9).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Date, bindparam, text
from sqlalchemy.orm import Session

from gongji.batch import runner
from gongji.batch.periods import CREDIT_MONTH, check_month, parse_month
from gongji.db import Database
from gongji.db.base import UTCDateTime
from gongji.env import Env
from gongji.ledger import service as ledger
from gongji.ledger import writes as ledger_writes

#: Why an employee enrollee of the chunk was not credited (the summary's counts).
REASON = """
    CASE WHEN p.eligible = 0 THEN p.status
         WHEN p.account_id IS NULL THEN 'no_account'
         WHEN p.amount IS NULL THEN 'unknown_region'
         WHEN p.unpaid = 1 THEN 'unpaid'
         ELSE 'no_amount' END"""

#: The chunk's employee enrollees with what they are due (NULL: a region code the rules do not list). Whose
#: contributions are known (``last_paid_month``) is credited from the month's contribution (LC-6): its base, and
#: nothing for an unpaid month, also while now suspended for a later month; whose are not, from the enrollment's base.
PEOPLE = """
    SELECT e.person_id, e.region_code, e.status, a.id AS account_id, a.balance_fen,
           r.entry_id, r.source_id,
           CASE WHEN e.status = 'normal' THEN 1
                WHEN e.status = 'suspended' AND e.status_cause = 'contributions' THEN 1 ELSE 0 END AS eligible,
           CASE WHEN e.last_paid_month IS NOT NULL AND NOT e.retired AND c.person_id IS NULL THEN 1
                ELSE 0 END AS unpaid,
           CASE WHEN r.region_code IS NULL THEN NULL
                WHEN e.retired THEN r.retiree_fen
                WHEN e.last_paid_month IS NOT NULL THEN COALESCE(c.base_fen, 0) * r.permille / 1000
                ELSE COALESCE(e.contribution_base_fen, 0) * r.permille / 1000 END AS amount
    FROM enrollments e
    LEFT JOIN rules r ON r.region_code = e.region_code
    LEFT JOIN accounts a ON a.person_id = e.person_id AND a.fund = 'current_year'
                        AND a.person_id BETWEEN :first_id AND :last_id
    LEFT JOIN contributions c ON c.person_id = e.person_id AND c.month = :month
                             AND c.person_id BETWEEN :first_id AND :last_id
    WHERE e.person_id BETWEEN :first_id AND :last_id AND e.scheme = 'employee'"""

CREDITED = "p.eligible = 1 AND p.account_id IS NOT NULL AND p.amount > 0"


@dataclass(frozen=True)
class RegionRule:
    region_code: str
    permille: int
    retiree_fen: int
    entry_id: int | None = None
    source_id: int | None = None


def rules_cte(rules: Sequence[RegionRule]) -> tuple[str, dict[str, Any]]:
    """``rules(region_code, entry_id, source_id, permille, retiree_fen) AS (VALUES ...)`` and its parameters."""
    rows, params = [], {}
    for i, rule in enumerate(rules):
        rows.append(f"(CAST(:rc{i} AS VARCHAR(6)), CAST(:en{i} AS BIGINT), CAST(:sa{i} AS BIGINT), "
                    f"CAST(:pm{i} AS BIGINT), CAST(:rf{i} AS BIGINT))")
        params.update({f"rc{i}": rule.region_code, f"en{i}": rule.entry_id, f"sa{i}": rule.source_id,
                       f"pm{i}": rule.permille, f"rf{i}": rule.retiree_fen})
    return f"rules(region_code, entry_id, source_id, permille, retiree_fen) AS (VALUES {', '.join(rows)})", params


class CreditMonth:
    """The job of :func:`credit_month` for the runner."""

    name = CREDIT_MONTH

    def __init__(self, env: Env, period: str) -> None:
        self.env = env
        self.period = parse_month(period)
        self.memo = f"monthly credit {self.period}"

    def check(self, session: Session) -> None:
        check_month(session, period=self.period, today=self.env.today())

    def bounds(self, session: Session) -> tuple[int, int] | None:
        row = session.execute(text(
            "SELECT MIN(person_id), MAX(person_id) FROM enrollments WHERE scheme = 'employee'")).one()
        return None if row[0] is None else (row[0], row[1])

    def _rules(self, session: Session, first_id: int, last_id: int) -> list[RegionRule]:
        codes = session.execute(text(
            "SELECT DISTINCT region_code FROM enrollments "
            "WHERE person_id BETWEEN :first_id AND :last_id AND scheme = 'employee' ORDER BY region_code"),
            {"first_id": first_id, "last_id": last_id}).scalars()
        rules = []
        for code in codes:
            policy = self.env.policy(code)
            rules.append(RegionRule(code, policy.monthly_credit_permille, policy.retiree_monthly_credit_fen))
        return rules

    def work(self, session: Session, first_id: int, last_id: int) -> runner.ChunkWork:
        rules = self._rules(session, first_id, last_id)
        if not rules:
            return runner.ChunkWork(rows=0)
        at = self.env.now()
        rules = [RegionRule(r.region_code, r.permille, r.retiree_fen, source_id=ledger.system_account(
            session, kind=ledger.CREDITS, key=r.region_code, region_code=r.region_code, at=at)) for r in rules]
        ids = {"first_id": first_id, "last_id": last_id, "month": self.period}
        if runner.is_postgres(session):
            stats, entries = self._postgres(session, rules, ids)
        else:
            stats, entries = self._sqlite(session, rules, ids)
        if stats["skipped"].get("unknown_region"):  # a region code came in after the rules were read: again
            raise runner.RetryChunk()
        return _work(stats, entries)

    def _postgres(self, session: Session, rules: list[RegionRule], ids: dict[str, int]) -> tuple[dict, dict]:
        """One statement: balances, entries (ids drawn beforehand, one per region) and postings, then counts."""
        entry_ids = ledger_writes.next_entry_ids(session, len(rules))
        rules = [RegionRule(r.region_code, r.permille, r.retiree_fen, entry_id, r.source_id)
                 for r, entry_id in zip(rules, entry_ids, strict=True)]
        cte, params = rules_cte(rules)
        statement = text(f"""
            WITH {cte},
            people AS MATERIALIZED ({PEOPLE}),
            credited AS ({ledger_writes.add_to_balances(
                "people p", account="p.account_id", amount="p.amount",
                where=f"accounts.person_id BETWEEN :first_id AND :last_id AND {CREDITED}",
                returning="accounts.id AS account_id, p.region_code, p.entry_id, p.source_id, p.amount, "
                          "accounts.balance_fen")}),
            entries AS ({ledger_writes.insert_entries(
                "SELECT r.entry_id, 'credit', :at, :on, :memo FROM rules r "
                "WHERE EXISTS (SELECT 1 FROM credited c WHERE c.entry_id = r.entry_id)")}),
            legs AS ({ledger_writes.insert_postings(
                "SELECT entry_id, account_id, amount, balance_fen FROM credited "
                "UNION ALL "
                "SELECT entry_id, source_id, -SUM(amount), NULL FROM credited GROUP BY entry_id, source_id")})
            SELECT region_code, 'credited' AS reason, entry_id, COUNT(*) AS people, SUM(amount) AS amount_fen
            FROM credited GROUP BY region_code, entry_id
            UNION ALL
            SELECT p.region_code, {REASON}, NULL, COUNT(*), 0 FROM people p WHERE NOT ({CREDITED})
            GROUP BY p.region_code, {REASON}
        """).bindparams(bindparam("at", type_=UTCDateTime()), bindparam("on", type_=Date()))
        rows = session.execute(statement, {**params, **ids, "at": self.env.now(), "on": self.env.today(),
                                           "memo": self.memo}).all()
        return _stats(rows), {row.region_code: row.entry_id for row in rows if row.reason == "credited"}

    def _sqlite(self, session: Session, rules: list[RegionRule], ids: dict[str, int]) -> tuple[dict, dict]:
        """The same steps as statements of their own: the transaction holds SQLite's only write lock throughout."""
        cte, params = rules_cte(rules)
        rows = session.execute(text(f"""
            WITH {cte}, people AS ({PEOPLE})
            SELECT region_code, 'credited' AS reason, NULL AS entry_id, COUNT(*) AS people,
                   SUM(amount) AS amount_fen
            FROM people p WHERE {CREDITED} GROUP BY region_code
            UNION ALL
            SELECT p.region_code, {REASON}, NULL, COUNT(*), 0 FROM people p WHERE NOT ({CREDITED})
            GROUP BY p.region_code, {REASON}
        """), {**params, **ids}).all()
        credited = {row.region_code for row in rows if row.reason == "credited"}
        entries = {}
        for rule in rules:
            if rule.region_code in credited:
                entries[rule.region_code] = session.execute(ledger_writes.INSERT_ENTRY, {
                    "kind": "credit", "at": self.env.now(), "on": self.env.today(), "memo": self.memo}).scalar_one()
        if not entries:
            return _stats(rows), entries
        cte, params = rules_cte([RegionRule(r.region_code, r.permille, r.retiree_fen, entries[r.region_code],
                                            r.source_id) for r in rules if r.region_code in entries])
        entry_list = ", ".join(str(int(entry_id)) for entry_id in entries.values())
        session.execute(text(f"WITH {cte}, people AS ({PEOPLE}) " + ledger_writes.insert_postings(
            "SELECT p.entry_id, p.account_id, p.amount, p.balance_fen + p.amount FROM people p "
            f"WHERE {CREDITED} AND p.entry_id IS NOT NULL ORDER BY p.account_id")), {**params, **ids})
        session.execute(text(ledger_writes.balances_from_postings(f"p.entry_id IN ({entry_list})")))
        session.execute(text(f"WITH {cte} " + ledger_writes.insert_postings(
            "SELECT p.entry_id, r.source_id, -SUM(p.amount_fen), NULL FROM postings p JOIN rules r "
            f"ON r.entry_id = p.entry_id WHERE p.entry_id IN ({entry_list}) GROUP BY p.entry_id, r.source_id")),
            params)
        return _stats(rows), entries


def _stats(rows) -> dict[str, Any]:
    """``{"regions": {code: {"people", "amount_fen"}}, "skipped": {reason: n}}`` from the counting rows."""
    stats: dict[str, Any] = {"regions": {}, "skipped": {}}
    for row in rows:
        if row.reason == "credited":
            region = stats["regions"].setdefault(row.region_code, {"people": 0, "amount_fen": 0})
            region["people"] += int(row.people)
            region["amount_fen"] += int(row.amount_fen or 0)
        else:
            stats["skipped"][row.reason] = stats["skipped"].get(row.reason, 0) + int(row.people)
    return stats


def _work(stats: dict[str, Any], entries: dict[str, int]) -> runner.ChunkWork:
    regions = stats["regions"]
    return runner.ChunkWork(
        rows=sum(r["people"] for r in regions.values()),
        amount_fen=sum(r["amount_fen"] for r in regions.values()),
        entry_ids=sorted(int(e) for e in entries.values() if e is not None),
        detail={"regions": regions, "skipped": stats["skipped"]},
    )


def credit_month(db: Database, env: Env, period: str, *, chunk_size: int = runner.DEFAULT_CHUNK_SIZE,
                 workers: int | None = None, progress: runner.Progress | None = None) -> runner.Summary:
    """Credit the month ``period`` (``YYYY-MM``) to every employee's current-year funds, once (see the module).

    Refusals, before anything is written: BATCH_PERIOD_INVALID, MONTH_NOT_REACHED, YEAR_CLOSED, YEAR_END_PENDING
    (:mod:`gongji.batch.periods`). Running a period again credits only the chunks not yet done.
    """
    return runner.run(db, env, CreditMonth(env, period), chunk_size=chunk_size, workers=workers,
                      progress=progress)
