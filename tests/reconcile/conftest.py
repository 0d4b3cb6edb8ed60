"""A varied ledger over two days, and a way to corrupt it the way a bug or a bad hand edit would.

Two days at a Harbin hospital, a second hospital and a pharmacy: settlements paid by the patient's own account, by
mutual aid and in cash (N-10); a partial, a full and a cash-only refund (HN-5), and a refund a day after its
settlement; a transfer of prior-years funds in Hangzhou (HZ-1); a resident contribution paid for a daughter (N-5);
credits; and two outpatient visits over the national interface, with the pooled fund's share, one of them
cancelled (NI-4, NI-5).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from sqlalchemy import text

from gongji.actors import Actor
from gongji.db import Database
from gongji.db.models import Base
from gongji.settlement import service as settlement
from gongji.transfers import service as transfers
from tests.api.conftest import api  # noqa: F401  (the application over the test database)
from tests.factories import Person, World
from tests.national.conftest import cancel_input, institution, open_visit, settle_input

HOSPITAL = "H23010100001"
OTHER_HOSPITAL = "H23010100002"
PHARMACY = "P23010100001"
FIRST_DAY, SECOND_DAY = date(2025, 6, 2), date(2025, 6, 3)


@dataclass
class Ledger:
    """What the varied days made, by name: settlements, refunds, people, and the rest."""

    world: World
    people: dict[str, Person] = field(default_factory=dict)
    settlements: dict[str, int] = field(default_factory=dict)
    refunds: dict[str, int] = field(default_factory=dict)
    ni_settlements: dict[str, int] = field(default_factory=dict)
    transfer_id: int = 0
    contribution_id: int = 0

    @property
    def db(self) -> Database:
        return self.world.db

    def scalar(self, sql: str, **params: Any) -> Any:
        return self.db.read(lambda s: s.execute(text(sql), params).scalar_one())

    def account(self, person: str, fund: str = "current_year") -> int:
        return self.scalar("SELECT id FROM accounts WHERE person_id = :p AND fund = :f", p=self.people[person].id,
                           f=fund)

    def owed(self, code: str = HOSPITAL) -> int:
        """The account of what an institution is owed."""
        return self.scalar("SELECT id FROM accounts WHERE system_key = :k", k=f"institution:{code}")


def refund(world: World, settlement_id: int, amount_fen: int | None, key: str, code: str = HOSPITAL) -> int:
    return world.run(lambda s, env: settlement.refund(s, env, institution_code=code, settlement_id=settlement_id,
                                                      amount_fen=amount_fen, idempotency_key=key)).refund_id


@pytest.fixture
def varied(api) -> Ledger:  # noqa: F811
    world = api.world
    made = Ledger(world=world)
    hospital = institution(api, HOSPITAL, "哈尔滨市第一医院")
    world.institution(OTHER_HOSPITAL, name="哈尔滨市第二医院")
    world.institution(PHARMACY, kind="pharmacy", name="哈尔滨市大药房")
    p = made.people
    p["husband"] = world.person("王建国", current_fen=50_000, prior_fen=30_000)
    p["wife"] = world.person("李秀兰", born=date(1974, 3, 8), sex="F", current_fen=3_000)
    p["daughter"] = world.person("王小红", born=date(2003, 3, 3), sex="F", scheme="resident")
    p["neighbour"] = world.person("赵六", born=date(1980, 1, 1))  # an empty account: pays in cash
    p["patient"] = world.person("张三", born=date(1960, 2, 2), current_fen=100_000)
    p["hz_payer"] = world.person("周建华", city="hangzhou", prior_fen=9_000)
    p["hz_wife"] = world.person("吴丽", city="hangzhou", born=date(1972, 5, 5), sex="F")
    world.bind(p["husband"], p["wife"], "spouse")
    world.bind(p["husband"], p["daughter"], "child")

    s = made.settlements
    s["aid"] = world.settle(p["wife"], 8_000).settlement_id  # own 3,000, the husband 5,000 (N-10)
    s["own"] = world.settle(p["husband"], 2_000).settlement_id
    s["cash"] = world.settle(p["neighbour"], 1_000).settlement_id
    s["other"] = world.settle(p["husband"], 1_500, institution=OTHER_HOSPITAL).settlement_id
    s["pharmacy"] = world.settle(p["husband"], 700, institution=PHARMACY, use="pharmacy").settlement_id
    r = made.refunds
    r["partial"] = refund(world, s["aid"], 4_000, "r-partial")  # the husband's part first (HN-5)
    r["full"] = refund(world, s["own"], None, "r-full")
    r["cash"] = refund(world, s["cash"], 500, "r-cash")  # cash only: no entry
    made.transfer_id = world.run(lambda s_, env: transfers.transfer(
        s_, env, payer_id_number=p["hz_payer"].id_number, beneficiary_id_number=p["hz_wife"].id_number,
        relationship="spouse", amount_fen=3_000, agreement_version="HZ-2020.01", idempotency_key="t-1",
        actor=p["hz_payer"].actor)).id
    made.contribution_id = world.run(lambda s_, env: transfers.pay_resident_contribution(
        s_, env, payer_id_number=p["husband"].id_number, beneficiary_id_number=p["daughter"].id_number, year=2025,
        amount_fen=40_000, idempotency_key="c-1", actor=Actor.person(p["husband"].id))).id
    patient = p["patient"]
    for name in ("visit", "cancelled"):
        mdtrt_id = open_visit(hospital, patient, ["500.00"])
        setl_id = hospital.ok("2207", settle_input(patient, mdtrt_id, "500.00"), psn=patient)["setlinfo"]["setl_id"]
        made.ni_settlements[name] = int(setl_id)
    made.ni_settlements["cancellation"] = int(hospital.ok("2208", cancel_input(
        patient, str(made.ni_settlements["cancelled"]), mdtrt_id), psn=patient)["setlinfo"]["setl_id"])

    world.env.clock.advance(days=1)
    s["second_day"] = world.settle(p["wife"], 1_000).settlement_id  # her account is empty: mutual aid
    r["second_day"] = refund(world, s["aid"], 1_000, "r-later")  # a refund a day after its settlement
    return made


#: CHECK constraints :func:`tamper` put back ``NOT VALID`` on PostgreSQL: (database, table, constraint).
_LIFTED: list[tuple[Database, str, str]] = []


@pytest.fixture(autouse=True)
def validated_again():
    """After a test that lifted CHECK constraints, empty the tables and validate the constraints again: this worker's
    PostgreSQL database is left as the migrations made it."""
    yield
    while _LIFTED:
        db, table, name = _LIFTED.pop()
        with db.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {', '.join(t.name for t in Base.metadata.sorted_tables)} "
                              "RESTART IDENTITY CASCADE"))
            conn.execute(text(f'ALTER TABLE {table} VALIDATE CONSTRAINT "{name}"'))


def tamper(db: Database, *statements: str, unchecked: tuple[str, ...] = (), **params: Any) -> None:
    """Run ``statements`` as someone with full rights who goes around the database's guards.

    PostgreSQL: ``session_replication_role = replica`` (no trigger fires: append-only postings, the commit-time
    balance check), and the CHECK constraints of the ``unchecked`` tables dropped for the edit and put back
    ``NOT VALID`` (enforced for new rows, not checked against the edited ones; validated again after the test).
    SQLite: this test's copy of the database loses its triggers, and CHECK constraints are ignored.
    """
    with db.engine.begin() as conn:
        lifted: list[tuple[str, str, str]] = []
        if db.dialect == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            for table in unchecked:
                for name, definition in conn.execute(text(
                        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                        "WHERE conrelid = CAST(:t AS regclass) AND contype = 'c'"), {"t": table}):
                    conn.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
                    lifted.append((table, name, definition))
        else:
            for (name,) in conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).all():
                conn.execute(text(f'DROP TRIGGER "{name}"'))
            conn.execute(text("PRAGMA ignore_check_constraints = ON"))
        for statement in statements:
            conn.execute(text(statement), params)
        for table, name, definition in lifted:
            conn.execute(text(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition} NOT VALID'))
            _LIFTED.append((db, table, name))
        if db.dialect == "sqlite":
            conn.execute(text("PRAGMA ignore_check_constraints = OFF"))
