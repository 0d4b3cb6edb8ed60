"""A payer in Harbin and relatives in Harbin and in Guangzhou (another province, HN-9), with helpers for the wallet."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from gongji.actors import Actor
from gongji.clock import CST
from gongji.ledger import service as ledger
from gongji.ledger.models import Account, Posting
from gongji.wallet import service as wallet
from tests.factories import Person, World

HOSPITAL = "H23010100001"


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant in June 2025, China Standard Time."""
    return datetime(2025, 6, day, hour, minute, tzinfo=CST)


def open_wallet(world: World, person: Person, *, actor: Actor | None = None):
    return world.run(lambda s, env: wallet.open_wallet(s, env, id_number=person.id_number,
                                                       actor=actor or person.actor))


def send(world: World, payer: Person, relative: Person, amount_fen, *, relationship: str = "spouse",
         key: str | None = None, actor: Actor | None = None):
    """A thunk that sends (run it, or hand it to ``refused``)."""
    key = key or f"w-{payer.id}-{relative.id}-{amount_fen}-{world.env.now().isoformat()}"
    return lambda: world.run(lambda s, env: wallet.send(
        s, env, payer_id_number=payer.id_number, beneficiary_id_number=relative.id_number,
        relationship=relationship, amount_fen=amount_fen, idempotency_key=key, actor=actor or payer.actor))


def accept(world: World, relative: Person, transfer_id: int, *, key: str | None = None, actor: Actor | None = None):
    key = key or f"a-{transfer_id}"
    return lambda: world.run(lambda s, env: wallet.accept(s, env, transfer_id=transfer_id, idempotency_key=key,
                                                          actor=actor or relative.actor))


def wallet_balance(world: World, person: Person) -> int | None:
    return world.db.read(lambda s: s.execute(select(Account.balance_fen).where(
        Account.person_id == person.id, Account.fund == "wallet")).scalar_one_or_none())


def funds(world: World, person: Person) -> tuple[int, int]:
    b = world.balances(person)
    return (b.current_year_fen, b.prior_years_fen)


def pending(world: World, region_code: str = "230100") -> int:
    return world.db.read(lambda s: ledger.system_balance(s, ledger.system_key(ledger.WALLET_PENDING, region_code)))


def money_of_people(world: World) -> int:
    """Every kept balance (personal accounts and wallets) plus every pending account: constant while money only moves
    between payers, pending and wallets (WAL-1, WAL-4)."""
    def read(s):
        kept = s.execute(select(func.coalesce(func.sum(Account.balance_fen), 0))).scalar_one()
        held = s.execute(select(func.coalesce(func.sum(Posting.amount_fen), 0)).join(
            Account, Account.id == Posting.account_id).where(Account.fund == ledger.WALLET_PENDING)).scalar_one()
        return int(kept) + int(held)
    return world.db.read(read)


@pytest.fixture
def family(world):
    """A Harbin employee payer (1,000 yuan current-year, 3,000 prior-years), his wife in Harbin (employee, 10 yuan of
    her own) and his mother in Guangzhou (a resident: no personal account)."""
    world.institution(HOSPITAL)
    payer = world.person("王建国", current_fen=100_000, prior_fen=300_000)
    wife = world.person("李秀兰", born=date(1972, 3, 8), sex="F", current_fen=1_000)
    mother = world.person("陈桂芳", city="guangzhou", born=date(1945, 5, 5), sex="F", scheme="resident")
    return payer, wife, mother
