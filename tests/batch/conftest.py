"""Helpers for the batch jobs' tests: employees with a contribution base, and looks at what the jobs wrote."""

from __future__ import annotations

from sqlalchemy import func, select, update

from gongji.batch.models import BatchChunk
from gongji.events.models import Event
from gongji.ledger import service as ledger
from gongji.ledger.models import Account, LedgerEntry, Posting
from gongji.people.models import Enrollment
from tests.factories import Person, World


def employee(world: World, name: str = "张三", *, city: str = "harbin", base_fen: int | None = 800_000,
             retired: bool = False, **kwargs) -> Person:
    """An employee enrollee with a contribution base (or a retiree), registered through the service."""
    person = world.person(name, **kwargs, city=city)
    world.db.run(lambda s: s.execute(update(Enrollment).where(Enrollment.person_id == person.id)
                                     .values(contribution_base_fen=base_fen, retired=retired)))
    return person


def current(world: World, person: Person) -> int:
    balances = world.balances(person)
    return balances.current_year_fen if balances else 0


def prior(world: World, person: Person) -> int:
    balances = world.balances(person)
    return balances.prior_years_fen if balances else 0


def ledger_ok(world: World) -> None:
    """N-3: the whole ledger still balances: conservation, no negative balance, balances equal postings."""
    result = world.db.read(ledger.check)
    assert result.ok, result


def entries(world: World, kind: str) -> list[LedgerEntry]:
    return world.db.read(lambda s: list(s.execute(
        select(LedgerEntry).where(LedgerEntry.kind == kind).order_by(LedgerEntry.id)).scalars()))


def postings_of(world: World, entry_id: int) -> list[tuple[int, int, int | None]]:
    """(account id, amount, balance after) of an entry's postings, by account."""
    return world.db.read(lambda s: sorted(tuple(row) for row in s.execute(
        select(Posting.account_id, Posting.amount_fen, Posting.balance_after_fen)
        .where(Posting.entry_id == entry_id))))


def account_id(world: World, person: Person, fund: str = "current_year") -> int:
    return world.db.read(lambda s: s.execute(
        select(Account.id).where(Account.person_id == person.id, Account.fund == fund)).scalar_one())


def chunks(world: World, job: str, period: str) -> list[int]:
    return world.db.read(lambda s: list(s.execute(
        select(BatchChunk.chunk).where(BatchChunk.job == job, BatchChunk.period == period)
        .order_by(BatchChunk.chunk)).scalars()))


def count_postings(world: World) -> int:
    return world.db.read(lambda s: s.execute(select(func.count()).select_from(Posting)).scalar_one())


def chunk_events(world: World) -> list[Event]:
    """The runs' ``batch.chunk_done`` events in chunk order (chunks of one run may commit in any order when they
    go side by side, so the events' ids are not the order)."""
    events = world.db.read(lambda s: list(s.execute(
        select(Event).where(Event.kind == "batch.chunk_done").order_by(Event.id)).scalars()))
    return sorted(events, key=lambda e: (e.data["job"], e.data["period"], e.data["chunk"]))


class Crash(Exception):
    """Stands for the process dying between two chunks."""


def crash_after(chunk: int):
    """A progress callback that stops the run once ``chunk`` is done (whole chunks only are done)."""
    def progress(report) -> None:
        if report.chunk >= chunk:
            raise Crash(f"stopped after chunk {report.chunk}")
    return progress
