"""Reconciliation: every balance against its postings, every settlement, refund, transfer and contribution against
its ledger entry, and each institution's day against the ledger (NI-6).

The database already refuses most bad rows (CHECK constraints, append-only postings, the commit-time balance
trigger). Reconciliation is for what those cannot see and for rows that got past them: a bug that writes a
consistent-looking but wrong row, a restore from an old backup, a hand edit by someone with full rights. Every check
is a few aggregate queries over whole tables, never a loop over rows in Python, and all of them read one snapshot
(PostgreSQL: a REPEATABLE READ READ ONLY transaction; SQLite: one read transaction), so a server settling meanwhile
does not show up as a difference.

What each check compares (the rule it protects):

* ``ledger.*``: :func:`gongji.ledger.service.check` (conservation, entries balanced with two postings or more, kept
  balances equal to their postings and to the balance after their last posting, none below zero), and every entry
  of a business kind owned by the row it names (a settlement paid twice would show here, N-10).
* ``settlement.*`` (N-10, N-3): own + mutual aid + cash = amount; the parts add up to own (the patient's accounts) and
  mutual aid (the payers'), each from its payer's own account; the settlement's entry moves exactly its parts out of
  those accounts and their sum into what the institution is owed.
* ``refund.*`` (HN-5): refunds of a part add up to its ``refunded_fen`` and never exceed what it paid; each refund is
  its parts plus cash; a settlement's refunds add up to its ``refunded_fen`` (cash likewise), at most what was paid,
  and its status follows; the refund's entry gives each part back to the account that paid it.
* ``transfer.entry`` (HZ-1, HZ-2) and ``contribution.entry`` (N-5): the entry moves the amount from the payer's
  prior-years funds to the relative's, or from the payer's accounts into the resident fund.
* ``wallet.entries`` (WAL-1, WAL-4, HN-9): a wallet transfer's send, arrive, accept and return entries move what its
  row says (out of the payer's funds as split, through the pending account of his region or the transit account
  towards another province, into the wallet or back), it has the entries of its direction and state, each region's
  pending account holds exactly its transfers still waiting, and each transit account exactly what is between this
  province and another.
* ``national.*`` (NI-4, NI-5): the pooled fund's share is posted from the pooled fund to what the institution is
  owed (and back on cancellation); ``acct_pay``, ``acct_mulaid_pay`` and ``psn_part_amt`` are those of the core
  settlement or refund.
* ``institution.day`` (NI-6): per institution and day, what the settlement tables say the institution is owed
  (account payments net of refunds, the pooled fund's share, how many settlements and refunds) against the postings
  to its account on that day; a difference names the settlements, refunds, national-interface rows and entries of
  that day that do not match.

``on`` and ``institution`` narrow the checks of business rows (settlements settled or refunded that day, refunds,
transfers and contributions of that day, the institution's days). The ledger's own checks always cover the whole
ledger: a balance is the sum of every day's postings. Transfers and contributions belong to no institution and are
left out when ``institution`` is given.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, bindparam, select, text
from sqlalchemy.orm import Session

from gongji.db import Database
from gongji.db.dialect import is_postgresql
from gongji.institutions import service as institutions
from gongji.ledger import service as ledger
from gongji.ledger.models import Account
from gongji.reconcile.queries import (
    CONTRIBUTION_SIDES,
    DAY_ENTRIES,
    DAY_NATIONAL,
    DAY_REFUNDS,
    DAY_SETTLEMENTS,
    INSTITUTION_DAYS,
    NATIONAL_CORE,
    NATIONAL_FUND,
    REFUND_AMOUNTS,
    REFUND_LEGS,
    REFUND_TOTALS,
    REFUND_WITHIN_PAID,
    SETTLEMENT_AMOUNTS,
    SETTLEMENT_LEGS,
    SETTLEMENT_PARTS,
    SETTLEMENT_STATUS,
    TRANSFER_LEGS,
    WALLET_LEGS,
    WALLET_PENDING,
    WALLET_STATES,
    WALLET_TRANSIT,
    entry_head,
)

#: At most this many differences of each check are returned with their rows (all of them are counted).
DEFAULT_LIMIT = 100

# -- the report ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    """One difference: the rows involved (``{"settlement_id": 7, "account_id": 31}``), what was compared, in which
    unit (``fen``, ``count``, ``id``, ``text``, ``figures``), what the rows it is checked against say (``expected``)
    and what was found."""

    rows: dict[str, Any]
    what: str
    unit: str
    expected: Any
    found: Any

    def as_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "what": self.what, "unit": self.unit, "expected": self.expected,
                "found": self.found}


@dataclass(frozen=True)
class Check:
    """One check: its key, its name in Chinese and English, the rules it protects, how many differences it found,
    and the first of them."""

    key: str
    zh: str
    en: str
    rules: tuple[str, ...]
    count: int
    differences: tuple[Difference, ...]

    @property
    def ok(self) -> bool:
        return self.count == 0

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "zh": self.zh, "en": self.en, "rules": list(self.rules), "ok": self.ok,
                "count": self.count, "differences": [d.as_dict() for d in self.differences]}


@dataclass(frozen=True)
class Report:
    """Every check that ran, in order, with the filters asked for, the database's kind and the seconds it took."""

    checks: tuple[Check, ...]
    on: date | None
    institution: str | None
    database: str
    seconds: float

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def count(self) -> int:
        """All differences found, whether or not listed."""
        return sum(check.count for check in self.checks)

    def check(self, key: str) -> Check:
        return next(check for check in self.checks if check.key == key)

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "differences": self.count, "on": self.on.isoformat() if self.on else None,
                "institution": self.institution, "database": self.database, "seconds": round(self.seconds, 3),
                "checks": [check.as_dict() for check in self.checks]}


# -- running the checks ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Scope:
    """The filters, as SQL conditions on the usual aliases (``s`` settlements, ``r`` refunds, ``n`` ni_settlements,
    ``t`` transfers, ``c`` contribution_payments, ``w`` wallet_transfers), and their parameters."""

    on: date | None
    institution_id: int | None
    limit: int

    @property
    def params(self) -> dict[str, Any]:
        return {"on": self.on, "institution_id": self.institution_id, "limit": self.limit}

    def settlements(self) -> str:
        """Settlements settled or refunded that day, of the institution."""
        parts = []
        if self.on is not None:
            parts.append('(s.settled_on = :on OR EXISTS (SELECT 1 FROM refunds rx WHERE rx.settlement_id = s.id '
                         'AND rx."on" = :on))')
        if self.institution_id is not None:
            parts.append("s.institution_id = :institution_id")
        return " AND ".join(parts) or "1 = 1"

    def refunds(self) -> str:
        """Refunds of that day, of settlements of the institution (``s`` joined to ``r``)."""
        return self._where(('r."on" = :on', "s.institution_id = :institution_id"))

    def national(self) -> str:
        return self._where(("n.setl_on = :on", "n.institution_id = :institution_id"))

    def transfers(self) -> str:
        return self._where(('t."on" = :on', None))

    def contributions(self) -> str:
        return self._where(('c."on" = :on', None))

    def wallet_transfers(self) -> str:
        return self._where(("w.sent_on = :on", None))

    def days(self, day: str | None, institution: str) -> str:
        """The days of :func:`_institution_days`: ``day`` and ``institution`` are the columns to filter."""
        return self._where((f"{day} = :on" if day else None, f"{institution} = :institution_id"))

    def _where(self, conditions: tuple[str | None, str | None]) -> str:
        on, institution = conditions
        parts = [c for c, given in ((on, self.on), (institution, self.institution_id)) if c and given is not None]
        return " AND ".join(parts) or "1 = 1"


def _value(value: Any) -> Any:
    """Numbers as int (PostgreSQL's sums are numeric), dates as ISO text, the rest as it is."""
    if isinstance(value, Decimal):
        return int(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _statement(sql: str):
    """The SQL with its day parameters typed as dates (SQLite keeps them as ISO text)."""
    statement = text(sql)
    for name in ("on", "day"):
        if f":{name}" in sql:
            statement = statement.bindparams(bindparam(name, type_=Date()))
    return statement


def _differences(session: Session, scope: _Scope, sql: str, ids: tuple[str, ...]) -> tuple[int, list[Difference]]:
    """Run a query whose rows are differences (``ids`` columns, then ``what``, ``unit``, ``expected``, ``found``);
    return how many there are and the first ``scope.limit`` of them, ordered by their ids."""
    order = ", ".join(f"d.{name}" for name in ids)
    wrapped = (f"SELECT d.*, COUNT(*) OVER () AS differences FROM ({sql}) d "
               f"ORDER BY {order}, d.what LIMIT :limit")
    rows = session.execute(_statement(wrapped), scope.params).mappings().all()
    found = [Difference(rows={name: _value(row[name]) for name in ids if row[name] is not None}, what=row["what"],
                        unit=row["unit"], expected=_value(row["expected"]), found=_value(row["found"]))
             for row in rows]
    return (int(rows[0]["differences"]) if rows else 0), found


def _queries(*queries: tuple[str, tuple[str, ...]]) -> Callable[[Session, _Scope], tuple[int, list[Difference]]]:
    """A check made of queries: SQL text whose ``{settlements}``, ``{refunds}``, ``{national}``, ``{transfers}``,
    ``{contributions}`` and ``{wallet_transfers}`` are the scope's conditions (:class:`_Scope`), each with its id columns."""

    def run(session: Session, scope: _Scope) -> tuple[int, list[Difference]]:
        count, found = 0, []
        for sql, ids in queries:
            filled = sql.format(settlements=scope.settlements(), refunds=scope.refunds(), national=scope.national(),
                                transfers=scope.transfers(), contributions=scope.contributions(),
                                wallet_transfers=scope.wallet_transfers())
            n, rows = _differences(session, scope, filled, ids)
            count += n
            found += rows
        return count, found[:scope.limit]

    return run


@dataclass(frozen=True)
class _Spec:
    key: str
    zh: str
    en: str
    rules: tuple[str, ...]
    run: Callable[[Session, _Scope], tuple[int, list[Difference]]]
    of_institutions: bool = True  # False: left out when one institution is asked for

    def __call__(self, session: Session, scope: _Scope) -> Check:
        count, found = self.run(session, scope)
        return Check(key=self.key, zh=self.zh, en=self.en, rules=self.rules, count=count, differences=tuple(found))


def reconcile(db: Database, *, on: date | None = None, institution: str | None = None,
              limit: int = DEFAULT_LIMIT) -> Report:
    """Run every check in one snapshot of ``db``; see the module's description for what each compares.

    ``on`` and ``institution`` (a code) narrow the checks of business rows; an unknown institution is refused
    (``INSTITUTION_NOT_FOUND``). At most ``limit`` differences of each check are listed; all are counted.
    """
    started = time.perf_counter()
    with _snapshot(db) as session:
        institution_id = institutions.get(session, code=institution).id if institution is not None else None
        scope = _Scope(on=on, institution_id=institution_id, limit=limit)
        checks = [*_ledger_checks(session, scope)]
        checks += [spec(session, scope) for spec in CHECKS if spec.of_institutions or institution is None]
    return Report(checks=tuple(checks), on=on, institution=institution, database=db.dialect,
                  seconds=time.perf_counter() - started)


@contextmanager
def _snapshot(db: Database) -> Iterator[Session]:
    """A read-only session on one snapshot of the database, rolled back at the end.

    On PostgreSQL REPEATABLE READ: every statement sees the same committed transactions, so the checks compare
    figures of one moment. On SQLite a deferred read transaction is one snapshot by itself (WAL), and takes no lock
    that would make writers wait.
    """
    options: dict[str, Any] = {"gongji_write": False}
    if is_postgresql(db):
        options.update(isolation_level="REPEATABLE READ", postgresql_readonly=True)
    with db.engine.connect() as connection, Session(bind=connection.execution_options(**options)) as session:
        try:
            yield session
        finally:
            session.rollback()


# -- the ledger itself -------------------------------------------------------------------------------

#: The kinds of entry a business row owns: (kind, the row's table, its column naming the entry).
OWNED_ENTRIES = (
    ("settlement", "settlements", "entry_id"),
    ("refund", "refunds", "entry_id"),
    ("transfer", "transfers", "entry_id"),
    ("resident_contribution", "contribution_payments", "entry_id"),
    ("pooled_fund", "ni_settlements", "fund_entry_id"),
    ("pooled_fund_back", "ni_settlements", "fund_entry_id"),
    ("wallet_send", "wallet_transfers", "send_entry_id"),
    ("wallet_accept", "wallet_transfers", "accept_entry_id"),
    ("wallet_return", "wallet_transfers", "return_entry_id"),
    ("wallet_arrive", "wallet_transfers", "arrive_entry_id"),
)

_OWNED = " UNION ALL ".join(
    f"SELECT e.id AS entry_id, e.ref_id, '{kind} entry: {table}.{column} of the row it names (ref_id)' AS what, "
    f"'id' AS unit, e.id AS expected, o.{column} AS found "
    f"FROM ledger_entries e LEFT JOIN {table} o ON o.id = e.ref_id "
    f"WHERE e.kind = '{kind}' AND (o.{column} IS NULL OR o.{column} <> e.id)"
    for kind, table, column in OWNED_ENTRIES)


def _ledger_checks(session: Session, scope: _Scope) -> list[Check]:
    """The ledger's own checks, from :func:`gongji.ledger.service.check` (always the whole ledger)."""
    result = ledger.check(session)
    limit = scope.limit

    def check(key: str, zh: str, en: str, rules: tuple[str, ...], found: list[Difference]) -> Check:
        return Check(key=key, zh=zh, en=en, rules=rules, count=len(found), differences=tuple(found[:limit]))

    conservation = [] if result.total_fen == 0 else [
        Difference(rows={}, what="kept balances + system accounts' postings", unit="fen", expected=0,
                   found=result.total_fen)]
    entries = ([Difference({"entry_id": e}, "sum of its postings", "fen", 0, total)
                for e, total in result.unbalanced_entries]
               + [Difference({"entry_id": e}, "postings in the entry", "count", ">= 2", n)
                  for e, n in result.thin_entries])
    negative_ids = result.negative_accounts[:limit]
    negative_balances = dict(session.execute(
        select(Account.id, Account.balance_fen).where(Account.id.in_(negative_ids))).all()) if negative_ids else {}
    owned_count, owned = _differences(session, scope, _OWNED, ("entry_id", "ref_id"))
    return [
        check("ledger.conservation", "全部账户合计为零", "all accounts together sum to zero", (), conservation),
        check("ledger.entries", "每笔分录借贷平衡且至少两条", "every entry balances, with two postings or more", (),
              entries),
        check("ledger.balances", "个人账户余额等于分录之和", "every personal balance equals its postings", ("N-9",),
              [Difference({"account_id": a}, "balance = sum of its postings", "fen", summed, stored)
               for a, stored, summed in result.balance_mismatches]),
        Check(key="ledger.not_negative", zh="个人账户余额不为负", en="no personal balance below zero", rules=(),
              count=len(result.negative_accounts),
              differences=tuple(Difference({"account_id": a}, "balance", "fen", ">= 0", _value(negative_balances.get(a)))
                                for a in negative_ids)),
        check("ledger.balance_after", "末笔分录后余额等于账户余额", "the balance after the last posting is the balance",
              ("N-9",), [Difference({"account_id": a}, "balance after its last posting", "fen", stored, after)
                         for a, stored, after in result.balance_after_mismatches]),
        Check(key="ledger.owned", zh="业务分录均归属其业务", en="every business entry is its row's entry",
              rules=("N-10",), count=owned_count, differences=tuple(owned)),
    ]


def _institution_days(session: Session, scope: _Scope) -> tuple[int, list[Difference]]:
    """NI-6: the institution's days by the settlement tables against the postings to its account, then for each day
    that differs the rows that do not match."""
    sql = INSTITUTION_DAYS.format(
        days_institution=scope.days(None, "i.id"), days_settled=scope.days("s.settled_on", "s.institution_id"),
        days_refunded=scope.days('r."on"', "s.institution_id"), days_national=scope.days("n.setl_on", "n.institution_id"),
        days_posted=scope.days('e."on"', "o.institution_id"))
    rows = session.execute(_statement(sql), scope.params).mappings().all()
    found = []
    for row in rows:
        day = row["day"] if isinstance(row["day"], date) else date.fromisoformat(str(row["day"]))
        params = {"day": day, "institution_id": row["institution_id"], "account_id": row["account_id"],
                  "limit": scope.limit}
        involved: dict[str, Any] = {"institution": row["institution"], "day": day.isoformat()}
        for name, query in (("settlement_ids", DAY_SETTLEMENTS), ("refund_ids", DAY_REFUNDS),
                            ("ni_settlement_ids", DAY_NATIONAL), ("entry_ids", DAY_ENTRIES)):
            ids = list(session.execute(_statement(query), params).scalars())
            if ids:
                involved[name] = ids
        figures = ("acct", "fund", "settled", "refunded")
        names = {"acct": "acct_pay_fen", "fund": "fund_pay_fen", "settled": "settlements", "refunded": "refunds"}
        expected = {names[f]: _value(row[f"b_{f}"]) for f in figures}
        posted = {names[f]: _value(row[f"l_{f}"]) for f in figures}
        if row["l_other"]:
            expected["other_fen"], posted["other_fen"] = 0, _value(row["l_other"])
        found.append(Difference(rows=involved, what="settlement tables against postings to what it is owed",
                                unit="figures", expected=expected, found=posted))
    return (int(rows[0]["differences"]) if rows else 0), found


# -- the checks, in the order they are reported ------------------------------------------------------------

CHECKS: tuple[_Spec, ...] = (
    _Spec("settlement.amounts", "结算金额构成", "own + mutual aid + cash = the amount", ("N-10",),
          _queries((SETTLEMENT_AMOUNTS, ("settlement_id",)))),
    _Spec("settlement.parts", "结算支付明细", "the parts add up to own and mutual aid, each from its payer's account",
          ("N-10", "N-3"), _queries((SETTLEMENT_PARTS, ("settlement_id", "part_id")))),
    _Spec("settlement.entry", "结算分录", "the settlement's entry moves exactly its parts", ("N-10", "N-3"),
          _queries((SETTLEMENT_LEGS, ("settlement_id", "account_id")),
                   (entry_head("settlements", "s", "settlement_id", "entry_id", "'settlement'", "settlement", "settled_on",
                                "{settlements}"), ("settlement_id",)))),
    _Spec("refund.within_paid", "退回不超过已付", "refunds of a part add up, never beyond what it paid", ("HN-5",),
          _queries((REFUND_WITHIN_PAID, ("settlement_id", "part_id")))),
    _Spec("refund.amounts", "退费金额构成", "each refund is its parts plus cash", ("HN-5",),
          _queries((REFUND_AMOUNTS, ("settlement_id", "refund_id")))),
    _Spec("refund.totals", "结算退费合计", "a settlement's refunds add up, at most what was paid; its status follows",
          ("HN-5",), _queries((REFUND_TOTALS, ("settlement_id",)), (SETTLEMENT_STATUS, ("settlement_id",)))),
    _Spec("refund.entry", "退费分录", "the refund's entry gives each part back to the account that paid it",
          ("HN-5",),
          _queries((REFUND_LEGS, ("settlement_id", "refund_id", "account_id")),
                   (entry_head("refunds", "r", "refund_id", "entry_id", "'refund'", "refund", '"on"', "{refunds}",
                                joins="JOIN settlements s ON s.id = r.settlement_id"), ("refund_id",)))),
    _Spec("transfer.entry", "历年账户转移分录", "the transfer's entry moves prior-years funds to the relative",
          ("HZ-1", "HZ-2"),
          _queries((TRANSFER_LEGS, ("transfer_id", "account_id")),
                   (entry_head("transfers", "t", "transfer_id", "entry_id", "'transfer'", "transfer", '"on"', "{transfers}"),
                    ("transfer_id",))), of_institutions=False),
    _Spec("contribution.entry", "代缴居民医保分录", "the contribution's entry pays the resident fund from the payer",
          ("N-5",),
          _queries((CONTRIBUTION_SIDES, ("contribution_id",)),
                   (entry_head("contribution_payments", "c", "contribution_id", "entry_id", "'resident_contribution'",
                                "contribution", '"on"', "{contributions}"),
                    ("contribution_id",))), of_institutions=False),
    _Spec("wallet.entries", "医保钱包转账分录", "each wallet transfer's entries move what it says, as its state says",
          ("WAL-1", "WAL-4", "HN-9"),
          _queries((WALLET_LEGS, ("wallet_transfer_id", "account_id")), (WALLET_STATES, ("wallet_transfer_id",)),
                   (entry_head("wallet_transfers", "w", "wallet_transfer_id", "send_entry_id", "'wallet_send'",
                                "wallet_transfer", "sent_on", "{wallet_transfers}"), ("wallet_transfer_id",)),
                   (WALLET_PENDING, ("region_code",)), (WALLET_TRANSIT, ("account",))), of_institutions=False),
    _Spec("national.fund_entry", "统筹基金支付分录", "the pooled fund's share is posted to the institution",
          ("NI-4", "NI-5"),
          _queries((NATIONAL_FUND, ("ni_settlement_id",)),
                   (entry_head("ni_settlements", "n", "ni_settlement_id", "fund_entry_id",
                                "CASE WHEN n.kind = 'settlement' THEN 'pooled_fund' ELSE 'pooled_fund_back' END",
                                "ni_settlement", "setl_on", "{national}"), ("ni_settlement_id",)))),
    _Spec("national.core", "接口结算与核心结算一致", "acct_pay and acct_mulaid_pay are the core settlement's",
          ("NI-4", "NI-5"), _queries((NATIONAL_CORE, ("ni_settlement_id", "settlement_id", "refund_id")))),
    _Spec("institution.day", "机构日对账", "per institution and day: settlement tables against the ledger",
          ("NI-6",), _institution_days),
)
