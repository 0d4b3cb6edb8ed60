"""Property tests over real storage: random sequences of credits, binds, unbinds, settlements, refunds (partial,
full, cancellations), transfers and days, any of them sent twice with the same idempotency key.

After every step: money is conserved (personal balances = credits - what accounts paid + what came back;
transfers move money between people and change no total), no balance is negative, every balance equals its
postings, every entry balances, every settlement's parts add up, and no refund exceeds what was paid; a request
sent again with its key is answered with the first result and moves nothing (N-10, HN-5, HZ-1, HZ-2). Runs on
SQLite and PostgreSQL.
"""

from __future__ import annotations

import shutil
import tempfile
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import func, select

from gongji.authorizations import service as authorizations
from gongji.clock import FixedClock
from gongji.db import Database
from gongji.env import Env
from gongji.errors import GongjiError
from gongji.ledger import service as ledger
from gongji.ledger.models import Account
from gongji.people import service as people
from gongji.settlement import service as settlement
from gongji.settlement.models import Settlement, SettlementPart
from gongji.transfers import service as transfers
from tests.conftest import _POLICIES, TODAY, _truncate
from tests.factories import STAFF, World

PEOPLE = [  # name, born, scheme; all in Beijing (national default: no caps, no waits)
    ("赵一", date(1950, 1, 1), "employee"),
    ("钱二", date(1960, 1, 1), "employee"),
    ("孙三", date(1975, 1, 1), "employee"),
    ("李四", date(1990, 1, 1), "resident"),
    ("周五", date(2005, 1, 1), "employee"),
]
#: In Hangzhou, where relatives are helped by transfers of prior-years funds (HZ-1) instead of bindings.
HANGZHOU = [
    ("吴六", date(1955, 1, 1), "employee"),
    ("郑七", date(1980, 1, 1), "employee"),
    ("王八", date(2008, 1, 1), "resident"),
]
EVERYONE = len(PEOPLE) + len(HANGZHOU)
RELATIONSHIP_BY_AGE = {True: "parent", False: "child"}  # beneficiary older than payer?


def machine_for(new_database):
    class MoneyMachine(RuleBasedStateMachine):
        @initialize()
        def setup(self):
            self.db = new_database()
            self.clock = FixedClock.on(TODAY)
            self.world = World(db=self.db, env=Env(clock=self.clock, policies=_POLICIES))
            self.world.institution("H11010100001", city="beijing")
            self.people = [self.world.person(name, city="beijing", born=born, scheme=scheme)
                           for name, born, scheme in PEOPLE]
            opening = {"employee": 50_000, "resident": 0}  # prior-years funds to transfer from the start
            self.people += [self.world.person(name, city="hangzhou", born=born, scheme=scheme,
                                              prior_fen=opening[scheme]) for name, born, scheme in HANGZHOU]
            self.born = {p.id: born for p, (_n, born, _s) in zip(self.people, PEOPLE + HANGZHOU, strict=True)}
            self.credited = sum(opening[scheme] for _n, _b, scheme in HANGZHOU)
            self.account_paid = 0
            self.account_refunded = 0
            self.settlements: list[int] = []
            self.bindings: list[int] = []
            self.keys = 0

        def teardown(self):
            if hasattr(self, "db"):
                self.db.dispose()

        @rule(who=st.integers(0, EVERYONE - 1), amount=st.integers(1, 30_000), prior=st.booleans(),
              retry=st.booleans())
        def credit(self, who, amount, prior, retry):
            person = self.people[who]
            self.keys += 1

            def credit(s, env):
                return people.credit(s, env, id_number=person.id_number, amount_fen=amount,
                                     fund="prior_years" if prior else "current_year", actor=STAFF,
                                     idempotency_key=f"c{self.keys}")

            try:
                self.world.run(credit)
            except GongjiError as error:
                assert error.code == "ACCOUNT_NOT_FOUND"  # a resident with no account
                return
            self.credited += amount
            if retry:  # the same credit again: nothing more is credited (checked by the invariant)
                self.world.run(credit)

        @rule(payer=st.integers(0, len(PEOPLE) - 1), beneficiary=st.integers(0, len(PEOPLE) - 1),
              priority=st.none() | st.integers(1, 3))
        def bind(self, payer, beneficiary, priority):
            p, b = self.people[payer], self.people[beneficiary]
            relationship = RELATIONSHIP_BY_AGE[self.born[b.id] < self.born[p.id]]
            try:
                self.bindings.append(self.world.bind(p, b, relationship, priority=priority))
            except GongjiError as error:
                assert error.code in {"SELF_BINDING", "ALREADY_BOUND", "PAYER_NOT_EMPLOYEE"}, error

        @rule(pick=st.integers(0, 1_000))
        def unbind(self, pick):
            if not self.bindings:
                return
            binding = self.bindings[pick % len(self.bindings)]
            try:
                self.world.run(lambda s, env: authorizations.unbind(s, env, binding_id=binding, actor=STAFF))
            except GongjiError as error:
                assert error.code == "BINDING_ENDED"

        @rule(who=st.integers(0, len(PEOPLE) - 1), amount=st.integers(1, 40_000), retry=st.booleans())
        def settle(self, who, amount, retry):
            self.keys += 1
            result = self.world.settle(self.people[who], amount, institution="H11010100001", key=f"s{self.keys}")
            if retry:  # the same request again: same answer, no more money moves
                again = self.world.settle(self.people[who], amount, institution="H11010100001", key=f"s{self.keys}")
                assert again.replayed and again.settlement_id == result.settlement_id
            assert result.own_fen + result.mutual_aid_fen + result.cash_fen == amount
            self.account_paid += result.own_fen + result.mutual_aid_fen
            self.settlements.append(result.settlement_id)

        @rule(pick=st.integers(0, 1_000), amount=st.none() | st.integers(1, 40_000), cancel=st.booleans(),
              retry=st.booleans())
        def refund(self, pick, amount, cancel, retry):
            """A partial refund, a full one (no amount), or a cancellation (all that is left)."""
            if not self.settlements:
                return
            settlement_id = self.settlements[pick % len(self.settlements)]
            self.keys += 1
            key = f"r{self.keys}"

            def back_(s, env):
                if cancel:
                    return settlement.cancel(s, env, institution_code="H11010100001", settlement_id=settlement_id,
                                             idempotency_key=key)
                return settlement.refund(s, env, institution_code="H11010100001", settlement_id=settlement_id,
                                         amount_fen=amount, idempotency_key=key)

            try:
                back = self.world.run(back_)
            except GongjiError as error:
                assert error.code in {"REFUND_EXCEEDS_PAID", "SETTLEMENT_FULLY_REFUNDED"}
                return
            assert back.amount_fen == back.cash_fen + sum(line.amount_fen for line in back.lines)
            self.account_refunded += back.amount_fen - back.cash_fen
            if retry:  # sent again with its key: the first refund's answer, no more money back
                again = self.world.run(back_)
                assert again.refund_id == back.refund_id and again.amount_fen == back.amount_fen

        @rule(giver=st.integers(len(PEOPLE), EVERYONE - 1), taker=st.integers(len(PEOPLE), EVERYONE - 1),
              amount=st.integers(1, 20_000), retry=st.booleans())
        def transfer(self, giver, taker, amount, retry):
            """HZ-1, HZ-2: prior-years funds to a relative in Hangzhou; never more than the giver has."""
            g, t = self.people[giver], self.people[taker]
            relationship = RELATIONSHIP_BY_AGE[self.born[t.id] < self.born[g.id]]
            self.keys += 1

            def move(s, env):
                return transfers.transfer(s, env, payer_id_number=g.id_number, beneficiary_id_number=t.id_number,
                                          relationship=relationship, amount_fen=amount,
                                          agreement_version=env.policy(g.region_code).agreement_version,
                                          idempotency_key=f"t{self.keys}", actor=STAFF)

            before = self.world.total(g) + self.world.total(t)
            try:
                done = self.world.run(move)
            except GongjiError as error:
                assert error.code in {"SELF_BINDING", "INSUFFICIENT_PRIOR_YEARS", "PAYER_NOT_EMPLOYEE"}, error
                return
            if retry:
                assert self.world.run(move).id == done.id
            assert self.world.total(g) + self.world.total(t) == before

        @rule(days=st.integers(1, 40))
        def next_days(self, days):
            self.clock.advance(days=days)

        @invariant()
        def money_is_conserved_and_the_ledger_holds(self):
            if not hasattr(self, "db"):
                return
            check = self.db.read(ledger.check)
            assert check.ok, check
            personal = self.db.read(lambda s: s.execute(
                select(func.coalesce(func.sum(Account.balance_fen), 0)).where(Account.person_id.is_not(None))
            ).scalar_one())
            assert personal == self.credited - self.account_paid + self.account_refunded

        @invariant()
        def settlements_add_up_and_refunds_stay_within_what_was_paid(self):
            if not hasattr(self, "db"):
                return

            def load(s):
                rows = s.execute(select(Settlement)).scalars().all()
                parts = s.execute(select(SettlementPart.settlement_id, func.sum(SettlementPart.amount_fen),
                                         func.sum(SettlementPart.refunded_fen))
                                  .group_by(SettlementPart.settlement_id)).all()
                return rows, {sid: (paid, back) for sid, paid, back in parts}

            rows, parts = self.db.read(load)
            for row in rows:
                paid, back = parts.get(row.id, (0, 0))
                assert paid == row.own_fen + row.mutual_aid_fen
                assert 0 <= back <= paid
                assert row.refunded_fen == back + row.cash_refunded_fen <= row.amount_fen

    return MoneyMachine


PROPERTY_SETTINGS = settings(max_examples=12, stateful_step_count=30, deadline=None,
                             suppress_health_check=list(HealthCheck))


def test_money_properties_on_sqlite(sqlite_template):
    """N-10, HN-5: conservation and ledger invariants over random operation sequences, SQLite."""
    folder = Path(tempfile.mkdtemp())
    counter = iter(range(10_000))

    def new_database():
        path = folder / f"p{next(counter)}.sqlite3"
        shutil.copy(sqlite_template, path)
        return Database(f"sqlite:///{path}")

    try:
        machine = machine_for(new_database)
        machine.TestCase.settings = PROPERTY_SETTINGS
        machine.TestCase().runTest()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.postgres
def test_money_properties_on_postgres(postgres_url):
    """N-10, HN-5: conservation and ledger invariants over random operation sequences, PostgreSQL."""

    def new_database():
        database = Database(postgres_url)
        _truncate(database)
        return database

    machine = machine_for(new_database)
    machine.TestCase.settings = PROPERTY_SETTINGS
    machine.TestCase().runTest()
