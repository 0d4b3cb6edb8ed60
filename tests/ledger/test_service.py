"""The ledger keeps money honest by itself: balanced entries, no negative personal balance, append-only postings."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, text, update
from sqlalchemy.exc import DBAPIError

from gongji.ledger import service as ledger
from gongji.ledger.models import Account, Posting
from gongji.people import service as people


def accounts(world, person):
    return world.db.read(lambda s: {f.value: a.id for f, a in ledger.personal_accounts(s, person.id).items()})


def test_unbalanced_entry_is_refused_before_it_reaches_the_database(world):
    person = world.person(current_fen=1_000)
    ids = accounts(world, person)
    with pytest.raises(ledger.UnbalancedEntry):
        world.run(lambda s, env: ledger.post(s, kind="test", at=env.now(), on=env.today(),
                                             legs=[ledger.Leg(ids["current_year"], -100)]))
    with pytest.raises(ledger.UnbalancedEntry):
        world.run(lambda s, env: ledger.post(s, kind="test", at=env.now(), on=env.today(),
                                             legs=[ledger.Leg(ids["current_year"], 1.5),
                                                   ledger.Leg(ids["prior_years"], -1.5)]))
    assert world.total(person) == 1_000


def test_personal_balance_cannot_go_negative_even_past_the_code(world):
    """The database refuses a negative personal balance: a CHECK constraint, whatever the code does."""
    person = world.person(current_fen=1_000)
    ids = accounts(world, person)
    with pytest.raises(DBAPIError):
        world.run(lambda s, env: ledger.post(s, kind="test", at=env.now(), on=env.today(),
                                             legs=[ledger.Leg(ids["current_year"], -1_001),
                                                   ledger.Leg(ids["prior_years"], 1_001)]))
    assert world.balances(person).current_year_fen == 1_000
    with pytest.raises(DBAPIError):
        world.db.run(lambda s: s.execute(update(Account).where(Account.id == ids["current_year"])
                                         .values(balance_fen=-1)))


def test_postings_are_append_only(world):
    person = world.person(current_fen=1_000)
    with pytest.raises(DBAPIError):
        world.db.run(lambda s: s.execute(update(Posting).values(amount_fen=5)))
    with pytest.raises(DBAPIError):
        world.db.run(lambda s: s.execute(delete(Posting)))
    assert world.total(person) == 1_000 and world.db.read(ledger.check).ok


def test_postgres_refuses_to_commit_an_entry_that_does_not_balance(world, db):
    """On PostgreSQL a deferred constraint trigger checks every entry's sum at commit."""
    if db.dialect != "postgresql":
        pytest.skip("the commit-time balance trigger is PostgreSQL's")
    person = world.person(current_fen=1_000)
    ids = accounts(world, person)

    def sneak(s):
        entry = s.execute(text("INSERT INTO ledger_entries (kind, at, \"on\") VALUES ('sneak', now(), current_date) "
                               "RETURNING id")).scalar()
        s.execute(text("INSERT INTO postings (entry_id, account_id, amount_fen, balance_after_fen) "
                       "VALUES (:e, :a, 5, 1005)"), {"e": entry, "a": ids["current_year"]})

    with pytest.raises(DBAPIError, match="does not balance"):
        world.db.run(sneak)


def test_postgres_refuses_to_commit_an_entry_without_postings(world, db):
    """D-1: an entry moves money between accounts; the commit-time check runs once per entry and counts its legs."""
    if db.dialect != "postgresql":
        pytest.skip("the commit-time balance trigger is PostgreSQL's")
    world.person(current_fen=1_000)

    def empty(s):
        s.execute(text("INSERT INTO ledger_entries (kind, at, \"on\") VALUES ('empty', now(), current_date)"))

    with pytest.raises(DBAPIError, match="has 0 postings"):
        world.db.run(empty)
    assert world.db.read(ledger.check).ok


def test_check_finds_a_balance_that_differs_from_its_postings(world):
    person = world.person(current_fen=1_000)
    ids = accounts(world, person)
    assert world.db.read(ledger.check).ok
    world.db.run(lambda s: s.execute(update(Account).where(Account.id == ids["current_year"]).values(balance_fen=900)))
    result = world.db.read(ledger.check)
    assert not result.ok
    assert (ids["current_year"], 900, 1_000) in result.balance_mismatches


def test_credits_are_postings_from_the_region_credits_account(world):
    person = world.person(current_fen=1_000, prior_fen=500)
    result = world.db.read(ledger.check)
    assert result.ok and result.total_fen == 0
    assert world.db.read(lambda s: ledger.system_balance(s, "credits:230100")) == -1_500
    assert world.db.read(lambda s: people.balances(s, person.id)).total_fen == 1_500
