"""Reconciliation on both databases: a varied ledger reconciles clean, and each kind of corruption, made with direct
SQL around the database's guards, is reported by the checks it breaks (and no other) with the rows involved.

Rules: N-9 (balances and the balance after each posting), N-10 (parts, entries, paid once), N-3 (mutual aid spends
personal accounts only), HN-5 (refunds go back to whoever paid, never more than was paid), HZ-1 (transfers), N-5
(contributions), NI-4 / NI-5 (the pooled fund's share, the interface's figures) and NI-6 (each institution's day).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text

from gongji.ledger import service as ledger
from gongji.reconcile import Report, reconcile
from tests.reconcile.conftest import (
    FIRST_DAY,
    HOSPITAL,
    OTHER_HOSPITAL,
    SECOND_DAY,
    Ledger,
    tamper,
)

CHECK_KEYS = [
    "ledger.conservation", "ledger.entries", "ledger.balances", "ledger.not_negative", "ledger.balance_after",
    "ledger.owned", "settlement.amounts", "settlement.parts", "settlement.entry", "refund.within_paid",
    "refund.amounts", "refund.totals", "refund.entry", "transfer.entry", "contribution.entry", "wallet.entries",
    "national.fund_entry",
    "national.core", "institution.day",
]


def failing(report: Report) -> set[str]:
    return {check.key for check in report.checks if not check.ok}


def rows(report: Report, key: str) -> list[dict[str, Any]]:
    return [d.rows for d in report.check(key).differences]


def test_varied_days_reconcile_clean(varied):
    """N-10, HN-5, HZ-1, N-5, NI-6: settlements with mutual aid, partial, full and cash-only refunds, a refund a day
    later, a transfer, a contribution, credits and the national interface's settlements and cancellation, all
    reconciled; and so is each day and each institution on its own."""
    report = reconcile(varied.db)
    assert [check.key for check in report.checks] == CHECK_KEYS
    assert report.ok and report.count == 0, report.as_dict()
    assert varied.db.read(ledger.check).ok
    for day in (FIRST_DAY, SECOND_DAY):
        assert reconcile(varied.db, on=day).ok
    only = reconcile(varied.db, institution=HOSPITAL)
    assert only.ok
    # transfers and contributions are no institution's business
    assert {"transfer.entry", "contribution.entry"}.isdisjoint(check.key for check in only.checks)


def test_unknown_institution_is_refused(varied):
    from gongji.errors import GongjiError

    with pytest.raises(GongjiError) as info:
        reconcile(varied.db, institution="H00000000000")
    assert info.value.code == "INSTITUTION_NOT_FOUND"


# -- corruption, one kind at a time ------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """A corruption: what it does to the ledger, then the checks that must fail (and no others) with rows that must
    be among their differences (``expect(ledger)`` → ``{check key: [rows, ...]}``)."""

    corrupt: Callable[[Ledger], None]
    expect: Callable[[Ledger], dict[str, list[dict[str, Any]]]]


def _posting(made: Ledger, settlement: str, account_id: int) -> int:
    return made.scalar("SELECT p.id FROM postings p JOIN settlements s ON s.entry_id = p.entry_id "
                       "WHERE s.id = :s AND p.account_id = :a", s=made.settlements[settlement], a=account_id)


def _part(made: Ledger, settlement: str, payer: str) -> int:
    return made.scalar("SELECT id FROM settlement_parts WHERE settlement_id = :s AND payer_id = :p",
                       s=made.settlements[settlement], p=made.people[payer].id)


def change_balance(made: Ledger) -> None:
    tamper(made.db, "UPDATE accounts SET balance_fen = balance_fen + 100 WHERE id = :a", a=made.account("husband"))


def make_balance_negative(made: Ledger) -> None:
    tamper(made.db, "UPDATE accounts SET balance_fen = -1 WHERE id = :a", unchecked=("accounts",),
           a=made.account("neighbour"))


def delete_posting(made: Ledger) -> None:
    """The posting that told the hospital it is owed a settlement's 20.00 is gone."""
    tamper(made.db, "DELETE FROM postings WHERE id = :p", p=_posting(made, "own", made.owed()))


def change_amount(made: Ledger) -> None:
    tamper(made.db, "UPDATE settlements SET amount_fen = amount_fen + 100 WHERE id = :s", unchecked=("settlements",),
           s=made.settlements["other"])


def change_part(made: Ledger) -> None:
    tamper(made.db, "UPDATE settlement_parts SET amount_fen = amount_fen + 100 WHERE id = :p",
           p=_part(made, "aid", "husband"))


def refund_beyond_paid(made: Ledger) -> None:
    """A refund part of 9,999.99 yuan against the wife's own 30.00, with no money moved."""
    tamper(made.db, "INSERT INTO refund_parts (refund_id, settlement_part_id, amount_fen) VALUES (:r, :p, 999999)",
           r=made.refunds["partial"], p=_part(made, "aid", "wife"))


def pay_twice(made: Ledger) -> None:
    """A second, balanced settlement entry for the same settlement, with the balance moved to match: N-10 paid once."""
    account, owed = made.account("husband"), made.owed(OTHER_HOSPITAL)
    balance = made.scalar("SELECT balance_fen FROM accounts WHERE id = :a", a=account)

    def write(s):
        entry = s.execute(text("INSERT INTO ledger_entries (kind, at, \"on\", ref_type, ref_id) VALUES "
                               "('settlement', :at, :on, 'settlement', :s) RETURNING id"),
                          {"at": datetime(2025, 6, 2, 3, tzinfo=UTC), "on": FIRST_DAY, "s": made.settlements["other"]}).scalar_one()
        s.execute(text("INSERT INTO postings (entry_id, account_id, amount_fen, balance_after_fen) VALUES "
                       "(:e, :a, -1500, :after), (:e, :o, 1500, NULL)"),
                  {"e": entry, "a": account, "after": balance - 1_500, "o": owed})
        s.execute(text("UPDATE accounts SET balance_fen = balance_fen - 1500 WHERE id = :a"), {"a": account})

    made.db.run(write)


def move_to_next_day(made: Ledger) -> None:
    tamper(made.db, "UPDATE settlements SET settled_on = :d WHERE id = :s", d=SECOND_DAY, s=made.settlements["other"])


def change_transfer(made: Ledger) -> None:
    tamper(made.db, "UPDATE transfers SET amount_fen = 4000 WHERE id = :t", t=made.transfer_id)


def change_acct_pay(made: Ledger) -> None:
    """NI-4: the interface's row says the accounts paid 1.00 less (and cash 1.00 more) than the core settlement."""
    tamper(made.db, "UPDATE ni_settlements SET acct_pay_fen = acct_pay_fen - 100, psn_cash_fen = psn_cash_fen + 100 "
                    "WHERE id = :n", n=made.ni_settlements["visit"])


def change_fund_share(made: Ledger) -> None:
    """NI-4: the pooled fund's share as recorded is 1.00 more than was posted (the account part 1.00 less)."""
    tamper(made.db, "UPDATE ni_settlements SET fund_pay_fen = fund_pay_fen + 100, hifp_pay_fen = hifp_pay_fen + 100, "
                    "psn_part_fen = psn_part_fen - 100, acct_pay_fen = acct_pay_fen - 100 WHERE id = :n",
           n=made.ni_settlements["visit"])


def core_of(made: Ledger, ni: str) -> int:
    return made.scalar("SELECT core_settlement_id FROM ni_settlements WHERE id = :n", n=made.ni_settlements[ni])


CASES = {
    "balance changed (N-9)": Case(change_balance, lambda m: {
        "ledger.conservation": [{}],
        "ledger.balances": [{"account_id": m.account("husband")}],
        "ledger.balance_after": [{"account_id": m.account("husband")}]}),
    "balance below zero": Case(make_balance_negative, lambda m: {
        "ledger.conservation": [{}],
        "ledger.not_negative": [{"account_id": m.account("neighbour")}],
        "ledger.balances": [{"account_id": m.account("neighbour")}]}),
    "posting deleted (N-10, NI-6)": Case(delete_posting, lambda m: {
        "ledger.conservation": [{}],
        "ledger.entries": [{"entry_id": m.scalar("SELECT entry_id FROM settlements WHERE id = :s",
                                                 s=m.settlements["own"])}],
        "settlement.entry": [{"settlement_id": m.settlements["own"], "account_id": m.owed()}],
        "institution.day": [{"institution": HOSPITAL, "day": FIRST_DAY.isoformat(),
                             "settlement_ids": [m.settlements["own"]]}]}),
    "settlement amount changed (N-10)": Case(change_amount, lambda m: {
        "settlement.amounts": [{"settlement_id": m.settlements["other"]}]}),
    "part changed (N-10, N-3)": Case(change_part, lambda m: {
        "settlement.parts": [{"settlement_id": m.settlements["aid"]}],
        "settlement.entry": [{"settlement_id": m.settlements["aid"], "account_id": m.account("husband")}]}),
    "refund part beyond what was paid (HN-5)": Case(refund_beyond_paid, lambda m: {
        "refund.within_paid": [{"settlement_id": m.settlements["aid"], "part_id": _part(m, "aid", "wife")}],
        "refund.amounts": [{"settlement_id": m.settlements["aid"], "refund_id": m.refunds["partial"]}],
        "refund.entry": [{"settlement_id": m.settlements["aid"], "refund_id": m.refunds["partial"],
                          "account_id": m.account("wife")},
                         {"settlement_id": m.settlements["aid"], "refund_id": m.refunds["partial"],
                          "account_id": m.owed()}]}),
    "settlement paid twice (N-10, NI-6)": Case(pay_twice, lambda m: {
        "ledger.owned": [{"entry_id": m.scalar("SELECT MAX(id) FROM ledger_entries"),
                          "ref_id": m.settlements["other"]}],
        "institution.day": [{"institution": OTHER_HOSPITAL, "day": FIRST_DAY.isoformat(),
                             "entry_ids": [m.scalar("SELECT MAX(id) FROM ledger_entries")]}]}),
    "settlement moved to another day (NI-6)": Case(move_to_next_day, lambda m: {
        "settlement.entry": [{"settlement_id": m.settlements["other"]}],
        "institution.day": [
            {"institution": OTHER_HOSPITAL, "day": FIRST_DAY.isoformat(),
             "entry_ids": [m.scalar("SELECT entry_id FROM settlements WHERE id = :s", s=m.settlements["other"])]},
            {"institution": OTHER_HOSPITAL, "day": SECOND_DAY.isoformat(),
             "settlement_ids": [m.settlements["other"]]}]}),
    "transfer amount changed (HZ-1)": Case(change_transfer, lambda m: {
        "transfer.entry": [{"transfer_id": m.transfer_id, "account_id": m.account("hz_payer", "prior_years")},
                           {"transfer_id": m.transfer_id, "account_id": m.account("hz_wife", "prior_years")}]}),
    "interface acct_pay changed (NI-4)": Case(change_acct_pay, lambda m: {
        "national.core": [{"ni_settlement_id": m.ni_settlements["visit"], "settlement_id": core_of(m, "visit")}]}),
    "pooled fund share changed (NI-4, NI-6)": Case(change_fund_share, lambda m: {
        "national.fund_entry": [{"ni_settlement_id": m.ni_settlements["visit"]}],
        "national.core": [{"ni_settlement_id": m.ni_settlements["visit"], "settlement_id": core_of(m, "visit")}],
        "institution.day": [{"institution": HOSPITAL, "day": FIRST_DAY.isoformat(),
                             "ni_settlement_ids": [m.ni_settlements["visit"]]}]}),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_corruption_is_reported_with_its_rows(varied, case):
    assert reconcile(varied.db).ok
    case.corrupt(varied)
    report = reconcile(varied.db)
    expected = case.expect(varied)
    assert failing(report) == set(expected), report.as_dict()
    for key, wanted in expected.items():
        found = rows(report, key)
        for row in wanted:
            assert any(row.items() <= got.items() for got in found), (key, row, found)


def test_institution_day_names_both_figures(varied):
    """NI-6: a day that differs shows what the settlement tables say and what the ledger holds."""
    delete_posting(varied)
    [day] = reconcile(varied.db).check("institution.day").differences
    assert day.unit == "figures"
    assert day.expected["acct_pay_fen"] - day.found["acct_pay_fen"] == 2_000  # the deleted posting
    assert day.expected["settlements"] == day.found["settlements"] + 1


def test_filters_narrow_business_checks_but_not_the_ledger(varied):
    """A day or an institution narrows the checks of settlements; the ledger's own checks still see everything."""
    change_amount(varied)  # a first-day settlement at the other hospital
    assert not reconcile(varied.db, on=FIRST_DAY).check("settlement.amounts").ok
    assert reconcile(varied.db, on=SECOND_DAY).ok
    assert reconcile(varied.db, institution=HOSPITAL).ok
    assert not reconcile(varied.db, institution=OTHER_HOSPITAL).ok
    change_balance(varied)
    assert failing(reconcile(varied.db, on=SECOND_DAY, institution=HOSPITAL)) == {
        "ledger.conservation", "ledger.balances", "ledger.balance_after"}


def test_a_refund_on_a_later_day_brings_its_settlement_into_that_day(varied):
    """HN-5: with ``on``, a settlement refunded that day is checked too, whenever it was settled."""
    tamper(varied.db, "UPDATE settlements SET status = 'settled' WHERE id = :s", s=varied.settlements["aid"])
    second = reconcile(varied.db, on=SECOND_DAY)
    assert failing(second) == {"refund.totals"}
    assert rows(second, "refund.totals") == [{"settlement_id": varied.settlements["aid"]}]


def test_differences_are_counted_beyond_the_limit(varied):
    refund_beyond_paid(varied)
    check = reconcile(varied.db, limit=1).check("refund.within_paid")
    assert check.count == 2 and len(check.differences) == 1


def test_checks_read_one_snapshot_and_never_block_a_settlement(varied):
    """While reconciliation reads, a settlement commits without waiting (N-10) and the reading goes on seeing the
    ledger as it was, so the figures it compares are of one moment."""
    from gongji.reconcile.service import _snapshot

    count = "SELECT COUNT(*) FROM settlements"
    with _snapshot(varied.db) as session:
        before = session.execute(text(count)).scalar_one()
        varied.world.settle(varied.people["patient"], 1_000)
        assert session.execute(text(count)).scalar_one() == before
        assert ledger.check(session).ok
    assert varied.scalar(count) == before + 1
    assert reconcile(varied.db).ok
