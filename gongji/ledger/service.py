"""The double-entry ledger: the only code that changes a balance.

Every movement is one :class:`~gongji.ledger.models.LedgerEntry` whose postings sum to zero,
written together with the balance updates in the caller's transaction. Personal accounts keep
their balance on the row and cannot go below zero (a CHECK constraint); system accounts' balances
are the sums of their postings. Postings cannot be changed or deleted (triggers); on PostgreSQL an
unbalanced entry cannot be committed (a deferred constraint trigger).

Accounts are locked in ascending id order (:func:`lock`) so that two transactions drawing on the
same accounts queue instead of deadlocking.

How entries, postings and balances are written is :mod:`gongji.ledger.writes`, which :func:`post`, the settlement's
one statement on PostgreSQL (:data:`gongji.settlement.writing._WRITE_POSTGRESQL`, from legs checked by
:func:`merge_legs`) and the set-based batch jobs all use; the same constraints and triggers hold them, and a test
compares the settlement statement's rows with those :func:`post` writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import and_, bindparam, func, or_, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from gongji.db.dialect import for_update, is_postgresql
from gongji.ledger import writes
from gongji.ledger.models import Account, LedgerEntry, Posting
from gongji.terms import Fund

#: Where monthly credits and corrections come from: the employer/insurer side, one per region.
CREDITS = "credits"
#: What an institution is owed for settlements (and gives back on refunds).
INSTITUTION = "institution"
#: The pooled fund (统筹基金) of a region, which pays its share of bills settled through the national interface.
POOLED_FUND = "pooled_fund"
#: The resident insurance fund that receives contributions paid from personal accounts (N-5).
RESIDENT_FUND = "resident_fund"
#: Wallet transfers sent and not yet accepted or returned (WAL-1, WAL-4), one per payer's region: the money has left
#: the payer's account and is not yet in the relative's wallet. A transfer's arrival (accept) and its return both
#: draw on it, so it can later stand between two instances as the money in transit.
WALLET_PENDING = "wallet_pending"
#: Wallet money between two provincial instances (HN-9), one account per other province, named from this side:
#: ``wallet_transit_out:41`` in the payer's instance holds what left for province 41 (the send) and gives back what
#: 41 returned or refused; ``wallet_transit_in:23`` in the relative's instance is drawn on when money from 23 arrives
#: and takes back what goes back. Summed over both instances the pair holds exactly what is on its way (in either
#: direction); with nothing on its way ``out`` in one and ``in`` in the other cancel: their balance is what the two
#: provinces owe each other, for a clearing between their funds outside Gongji.
WALLET_TRANSIT_OUT = "wallet_transit_out"
WALLET_TRANSIT_IN = "wallet_transit_in"


@dataclass(frozen=True)
class Leg:
    account_id: int
    amount_fen: int  # positive: money into the account; negative: out of it


class UnbalancedEntry(AssertionError):
    """A programming error: an entry whose legs do not sum to zero."""


def open_personal_accounts(session: Session, *, person_id: int, region_code: str, at: datetime) -> dict[Fund, int]:
    """Open the current-year and prior-years funds of a person's account; return their ids (a wallet is opened by
    :func:`gongji.wallet.service.open_wallet`)."""
    ids = {}
    for fund in (Fund.CURRENT_YEAR, Fund.PRIOR_YEARS):
        account = Account(person_id=person_id, fund=fund.value, region_code=region_code, balance_fen=0,
                          created_at=at)
        session.add(account)
        session.flush()
        ids[fund] = account.id
    return ids


def personal_accounts(session: Session, person_id: int) -> dict[Fund, Account]:
    rows = session.execute(select(Account).where(Account.person_id == person_id)).scalars()
    return {Fund(a.fund): a for a in rows}


def system_key(kind: str, key: str) -> str:
    """The key of a system account: ``credits:230100``, ``institution:H23010100001``."""
    return f"{kind}:{key}"


#: A system account's id by its key (services may fold it into a query of their own as a scalar subquery).
SYSTEM_ACCOUNT_ID = select(Account.__table__.c.id).where(Account.__table__.c.system_key == bindparam("system_key"))


def system_account(session: Session, *, kind: str, key: str, region_code: str, at: datetime) -> int:
    """The id of a system account (``credits:230100``, ``institution:H23010100001``), opened on first use."""
    wanted = system_key(kind, key)
    found = session.execute(SYSTEM_ACCOUNT_ID, {"system_key": wanted}).scalar_one_or_none()
    if found is not None:
        return found
    account = Account(system_key=wanted, fund=kind, region_code=region_code, balance_fen=None, created_at=at)
    session.add(account)
    session.flush()  # a concurrent opener loses on the unique key; Database.run retries it
    return account.id


def lock(session: Session, account_ids: Iterable[int]) -> dict[int, int]:
    """Lock accounts (ascending id, so concurrent lockers never deadlock) and return their balances.

    On SQLite the transaction already holds the database's write lock (BEGIN IMMEDIATE).
    """
    ids = sorted(set(account_ids))
    if not ids:
        return {}
    query = for_update(session, select(Account.id, Account.balance_fen).where(Account.id.in_(ids)).order_by(Account.id))
    return {row.id: row.balance_fen for row in session.execute(query)}


def merge_legs(kind: str, legs: Sequence[Leg]) -> dict[int, int]:
    """The amounts of an entry by account, ascending: legs on the same account merged, zeros dropped.

    Raises :class:`UnbalancedEntry` for a bug in the caller: amounts that are not int fen, an entry that does not
    balance or moves nothing.
    """
    merged: dict[int, int] = {}
    for leg in legs:
        if isinstance(leg.amount_fen, bool) or not isinstance(leg.amount_fen, int):
            raise UnbalancedEntry(f"leg amounts are int fen, got {leg.amount_fen!r}")
        merged[leg.account_id] = merged.get(leg.account_id, 0) + leg.amount_fen
    merged = {account: amount for account, amount in sorted(merged.items()) if amount != 0}
    if sum(merged.values()) != 0:
        raise UnbalancedEntry(f"entry {kind} does not balance: {merged}")
    if not merged:
        raise UnbalancedEntry(f"entry {kind} moves nothing")
    return merged


def post(
    session: Session,
    *,
    kind: str,
    legs: Sequence[Leg],
    at: datetime,
    on: date,
    ref_type: str | None = None,
    ref_id: int | None = None,
    memo: str | None = None,
) -> int:
    """Write one balanced entry and apply it to the balances; return the entry's id.

    Legs on the same account are merged. Raises :class:`UnbalancedEntry` for a bug in the caller;
    a personal balance that would go below zero makes the database refuse the whole transaction.
    """
    merged = merge_legs(kind, legs)
    session.flush()  # the caller's pending rows first, as their order in the transaction may matter
    entry_id = session.execute(writes.INSERT_ENTRY, {"kind": kind, "at": at, "on": on, "ref_type": ref_type,
                                                     "ref_id": ref_id, "memo": memo}).scalar_one()
    # System accounts keep no balance on the row, so they are left alone: nothing to lock, nothing to wait for.
    balances_after = writes.apply_deltas(session, merged)
    session.execute(
        writes.INSERT_POSTING,
        [{"entry_id": entry_id, "account_id": account_id, "amount_fen": amount,
          "balance_after_fen": balances_after.get(account_id)}
         for account_id, amount in sorted(merged.items())],
    )
    return entry_id


def balance_of(session: Session, account_id: int) -> int:
    """A personal account's kept balance, or a system account's sum of postings."""
    kept = session.execute(select(Account.balance_fen).where(Account.id == account_id)).scalar_one()
    if kept is not None:
        return kept
    return session.execute(
        select(func.coalesce(func.sum(Posting.amount_fen), 0)).where(Posting.account_id == account_id)
    ).scalar_one()


def system_balance(session: Session, system_key: str) -> int:
    """The balance of a system account by its key (``credits:230100``), 0 if it was never used."""
    account_id = session.execute(select(Account.id).where(Account.system_key == system_key)).scalar_one_or_none()
    return 0 if account_id is None else balance_of(session, account_id)


@dataclass(frozen=True)
class LedgerCheck:
    """The result of checking the whole ledger; every list empty means all is well."""

    total_fen: int  # kept balances plus system accounts' postings: zero when money is conserved
    negative_accounts: list[int]
    balance_mismatches: list[tuple[int, int, int]]  # (account id, stored balance, sum of postings)
    unbalanced_entries: list[tuple[int, int]]  # (entry id, sum of its postings)
    thin_entries: list[tuple[int, int]] = field(default_factory=list)  # (entry id, postings): fewer than two
    # (account id, stored balance, balance after its last posting): the account changes people read (N-9) end
    # on the balance the account holds
    balance_after_mismatches: list[tuple[int, int, int | None]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (self.total_fen == 0 and not self.negative_accounts and not self.balance_mismatches
                and not self.unbalanced_entries and not self.thin_entries and not self.balance_after_mismatches)


def check(session: Session) -> LedgerCheck:
    """Conservation, no negative personal balance, every kept balance equal to its postings and to the balance after
    its last posting, every entry balanced with at least two postings.

    Set-based: one aggregate over the postings by account, one by entry, whatever the size of the ledger. A
    personal account's postings are written under its row lock, so its last posting (the highest id) is its latest.
    """
    kept = session.execute(select(func.coalesce(func.sum(Account.balance_fen), 0))).scalar_one()
    system = session.execute(
        select(func.coalesce(func.sum(Posting.amount_fen), 0))
        .join(Account, Account.id == Posting.account_id)
        .where(Account.balance_fen.is_(None))
    ).scalar_one()
    total = kept + system
    negative = list(session.execute(select(Account.id).where(Account.balance_fen < 0)).scalars())
    # One pass over the postings by account: their sum, and the balance after the last of them.
    if is_postgresql(session):
        # the greatest (id, balance after) pair is the last posting's
        pair = func.max(postgresql.array([Posting.id, Posting.balance_after_fen]))
        sums = (select(Posting.account_id, func.sum(Posting.amount_fen).label("total"), pair.label("last"))
                .group_by(Posting.account_id).subquery())
        last_id, last_after = sums.c.last[1], sums.c.last[2]
    else:
        # SQLite: a bare column next to max() is taken from the row that holds the maximum
        sums = (select(Posting.account_id, func.sum(Posting.amount_fen).label("total"),
                       func.max(Posting.id).label("last_id"), Posting.balance_after_fen.label("last_after"))
                .group_by(Posting.account_id).subquery())
        last_id, last_after = sums.c.last_id, sums.c.last_after
    summed = func.coalesce(sums.c.total, 0)
    after_differs = and_(last_id.is_not(None), or_(last_after.is_(None), last_after != Account.balance_fen))
    mismatches, after = [], []
    for row in session.execute(
        select(Account.id, Account.balance_fen, summed.label("total"), last_id.label("last_id"),
               last_after.label("balance_after_fen"))
        .outerjoin(sums, sums.c.account_id == Account.id)
        .where(Account.balance_fen.is_not(None), or_(Account.balance_fen != summed, after_differs))
        .order_by(Account.id)
    ):
        if row.balance_fen != row.total:
            mismatches.append((row.id, row.balance_fen, int(row.total)))
        if row.last_id is not None and row.balance_after_fen != row.balance_fen:
            after.append((row.id, row.balance_fen, row.balance_after_fen))
    unbalanced, thin = [], []
    for row in session.execute(
        select(Posting.entry_id, func.sum(Posting.amount_fen).label("total"), func.count().label("legs"))
        .group_by(Posting.entry_id)
        .having(or_(func.sum(Posting.amount_fen) != 0, func.count() < 2))
        .order_by(Posting.entry_id)
    ):
        if row.total != 0:
            unbalanced.append((row.entry_id, int(row.total)))
        if row.legs < 2:
            thin.append((row.entry_id, row.legs))
    empty = select(LedgerEntry.id).where(~select(Posting.id).where(Posting.entry_id == LedgerEntry.id).exists())
    thin += [(entry_id, 0) for entry_id in session.execute(empty.order_by(LedgerEntry.id)).scalars()]
    return LedgerCheck(total_fen=int(total), negative_accounts=negative, balance_mismatches=mismatches,
                       unbalanced_entries=unbalanced, thin_entries=sorted(thin),
                       balance_after_mismatches=after)
