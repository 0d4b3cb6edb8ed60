"""The facts a policy simulation replays, read once and never written.

The world of a simulation: the settlements of a region in a period, their patients, everyone bound to
them (or attested for them, SZ-5) at any time in the period, and again the settlements of those people, until
nothing new comes in. Of that world: the people (with their enrollment status on each day, from the status
events), the bindings, the personal accounts with their balances at the start of the period (from the postings
before it), and a timeline of what moved their money in the period: settlements, refunds, credits, year-end
roll-overs and every other ledger entry, in the order of their entries; a settlement or refund without an entry
(all cash) takes its place by time.

On PostgreSQL everything is read in one REPEATABLE READ READ ONLY transaction: one snapshot, whatever runs
beside it. SQLite's reading transaction is a snapshot by itself.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from gongji.authorizations.models import Binding
from gongji.authorizations.rules import Party
from gongji.db import dialect
from gongji.events.models import Event
from gongji.ledger.models import Account, LedgerEntry, Posting
from gongji.life.models import LifeEvent
from gongji.people.models import Enrollment, Person
from gongji.settlement.models import Refund, Settlement, SettlementPart
from gongji.terms import Fund, Scheme, Status, Use

#: Ids per ``IN (...)`` list: below SQLite's limit of bound parameters.
CHUNK = 5000


@dataclass(frozen=True, slots=True)
class PersonFacts:
    id: int
    name: str
    name_sort_key: str
    id_number: str
    birth_date: date
    sex: str
    scheme: Scheme
    region_code: str
    status: Status  # today's
    #: (day, status before, status after) of each recorded change, in order
    changes: tuple[tuple[date, Status, Status], ...] = ()
    #: (day, region moved to) of each recorded move (life events), in order; ``first_region``: where he was before
    #: the first of them (as its event recorded; else the region his own settlements recorded then; else today's)
    moves: tuple[tuple[date, str], ...] = ()
    first_region: str | None = None

    def status_on(self, day: date) -> Status:
        for on, before, _ in self.changes:
            if on > day:
                return before
        return self.status

    def region_on(self, day: date) -> str:
        """The region he was insured in on ``day``: the one he last moved to by then."""
        if not self.moves:
            return self.region_code
        region = self.first_region or self.region_code
        for on, to in self.moves:
            if on > day:
                break
            region = to
        return region

    def party_on(self, day: date) -> Party:
        return Party(person_id=self.id, name=self.name, birth_date=self.birth_date, scheme=self.scheme,
                     region_code=self.region_on(day), status=self.status_on(day))

    def age_on(self, day: date) -> int:
        return day.year - self.birth_date.year - ((day.month, day.day) < (self.birth_date.month, self.birth_date.day))


@dataclass(frozen=True, slots=True)
class BindingFacts:
    id: int
    payer_id: int
    beneficiary_id: int
    relationship: str
    start_on: date
    end_on: date | None
    ended_on: date | None
    priority: int | None
    created_on: date
    added: bool = False  # a binding of the scenario, not of the database
    #: D-3: whether it was paused before its first recorded pause or resumption, then (instant, paused after) of each
    paused_before: bool = False
    pauses: tuple[tuple[datetime, bool], ...] = ()
    #: PP-1: the payer's monthly limit before its first recorded change, then (instant, limit after) of each change
    limit_before: int | None = None
    limits: tuple[tuple[datetime, int | None], ...] = ()

    def paused_at(self, at: datetime | None) -> bool:
        """D-3: whether the binding stood paused at ``at`` (a paused binding pays nothing)."""
        return _as_of(self.paused_before, self.pauses, at)

    def limit_at(self, at: datetime | None) -> int | None:
        """PP-1: the payer's monthly limit for the relative as it stood at ``at``; None: no limit."""
        return _as_of(self.limit_before, self.limits, at)

    def active_on(self, day: date) -> bool:
        """D-3, as :func:`gongji.authorizations.rules.is_active`."""
        if self.ended_on is not None and self.ended_on <= day:
            return False
        return self.start_on <= day and (self.end_on is None or day <= self.end_on)


def _as_of(before, changes: tuple, at: datetime | None):
    """The value a setting had at ``at``: that of its last change made at or before it, else the one before all."""
    value = before
    if at is None:
        return changes[-1][1] if changes else before
    for when, after in changes:
        if when > at:
            break
        value = after
    return value


@dataclass(frozen=True, slots=True)
class PartFacts:
    id: int
    seq: int
    payer_id: int
    account_id: int
    fund: str
    binding_id: int | None
    amount_fen: int


@dataclass(frozen=True, slots=True)
class SettlementFacts:
    id: int
    patient_id: int
    region_code: str
    use: Use
    amount_fen: int
    own_fen: int
    mutual_aid_fen: int
    cash_fen: int
    settled_on: date
    attested_payer_id: int | None
    parts: tuple[PartFacts, ...]
    settled_at: datetime | None = None  # the instant: a binding's pause or limit as it stood then (D-3, PP-1)


@dataclass(frozen=True, slots=True)
class Step:
    """One thing in the timeline. ``kind``: ``settlement`` (``ref`` its id), ``refund`` (``ref`` the refund's id,
    ``amount_fen`` and ``settlement_id``), ``year_end`` (``memo`` names the year) or ``postings`` (any other entry:
    its legs on the world's accounts, applied as they are)."""

    kind: str
    on: date
    ref: int = 0
    settlement_id: int = 0
    amount_fen: int = 0
    memo: str = ""
    legs: tuple[tuple[int, int], ...] = ()


@dataclass
class World:
    region: str
    start: date
    end: date
    people: dict[int, PersonFacts] = field(default_factory=dict)
    bindings: list[BindingFacts] = field(default_factory=list)
    #: person → {fund: account id}
    accounts: dict[int, dict[str, int]] = field(default_factory=dict)
    opening: dict[int, int] = field(default_factory=dict)  # account id → balance at the start of the period
    settlements: dict[int, SettlementFacts] = field(default_factory=dict)
    timeline: list[Step] = field(default_factory=list)
    #: PP-1: (payer, patient) → what the payer paid for the patient in the start's month before the start, less
    #: what was refunded of it (as recorded now)
    paid_before: dict[tuple[int, int], int] = field(default_factory=dict)

    _funds: dict[int, tuple[tuple[Fund, int], ...]] = field(default_factory=dict, repr=False)
    _parties: dict[int, Party] = field(default_factory=dict, repr=False)

    def funds_of(self, person_id: int) -> tuple[tuple[Fund, int], ...]:
        """The person's (fund, account id), in account order (as settlement reads them)."""
        funds = self._funds.get(person_id)
        if funds is None:
            funds = tuple((Fund(f), a) for f, a in sorted(self.accounts.get(person_id, {}).items(), key=lambda x: x[1]))
            self._funds[person_id] = funds
        return funds

    def party(self, person: PersonFacts, day: date) -> Party:
        """:meth:`PersonFacts.party_on`, kept for people whose status and region did not change."""
        if person.changes or person.moves:
            return person.party_on(day)
        party = self._parties.get(person.id)
        if party is None:
            party = self._parties[person.id] = person.party_on(day)
        return party


def _chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    ids = sorted(set(ids))
    for i in range(0, len(ids), CHUNK):
        yield ids[i:i + CHUNK]


def snapshot(session: Session) -> None:
    """PostgreSQL: make this (read-only) transaction one REPEATABLE READ snapshot. Call before any other statement."""
    dialect.repeatable_read(session)


_S, _SP, _B = Settlement.__table__, SettlementPart.__table__, Binding.__table__


def _settlements_where(session: Session, condition, start: date, end: date) -> list:
    return session.execute(
        select(_S.c.id, _S.c.patient_id, _S.c.region_code, _S.c.use, _S.c.amount_fen, _S.c.own_fen,
               _S.c.mutual_aid_fen, _S.c.cash_fen, _S.c.settled_on, _S.c.settled_at, _S.c.entry_id,
               _S.c.attested_payer_id)
        .where(_S.c.settled_on >= start, _S.c.settled_on <= end, condition)).all()


def load(session: Session, *, region: str, start: date, end: date, seeds: Iterable[int] = (),
         progress=None) -> World:
    """Read the world of ``region``'s settlements from ``start`` through ``end`` (days, China Standard Time); ``seeds``:
    more people to start the closure from (the people of bindings a scenario adds). Call :func:`snapshot` first, at
    the start of the (read-only) transaction."""
    world = World(region=region, start=start, end=end)
    rows = {r.id: r for r in _settlements_where(session, _S.c.region_code.like(f"{region}%"), start, end)}
    people: set[int] = set()
    fresh = {r.patient_id for r in rows.values()} | {r.attested_payer_id for r in rows.values() if r.attested_payer_id}
    fresh |= set(seeds)
    bindings: dict[int, object] = {}
    while fresh:  # the closure: bound people, their settlements, their people
        people |= fresh
        found: set[int] = set()
        for chunk in _chunks(fresh):
            for b in session.execute(select(_B).where(
                    or_(_B.c.beneficiary_id.in_(chunk), _B.c.payer_id.in_(chunk)), _B.c.start_on <= end,
                    or_(_B.c.end_on.is_(None), _B.c.end_on >= start),
                    or_(_B.c.ended_on.is_(None), _B.c.ended_on > start))):
                bindings[b.id] = b
                found |= {b.payer_id, b.beneficiary_id}
            for r in _settlements_where(session, _S.c.patient_id.in_(chunk), start, end):
                rows[r.id] = r
            for r in _settlements_where(session, _S.c.id.in_(
                    select(_SP.c.settlement_id).where(_SP.c.payer_id.in_(chunk))), start, end):
                rows[r.id] = r
        found |= {r.patient_id for r in rows.values()}
        found |= {r.attested_payer_id for r in rows.values() if r.attested_payer_id}
        fresh = found - people
    if progress:
        progress("facts", 1, 4)
    _load_people(session, world, people, rows)
    history = _binding_history(session, bindings)
    world.bindings = sorted(
        (BindingFacts(id=b.id, payer_id=b.payer_id, beneficiary_id=b.beneficiary_id, relationship=b.relationship,
                      start_on=b.start_on, end_on=b.end_on, ended_on=b.ended_on, priority=b.priority,
                      created_on=b.created_at.date(), **history[b.id]) for b in bindings.values()),
        key=lambda b: b.id)
    parts: dict[int, list[PartFacts]] = {}
    for chunk in _chunks(rows):
        for p in session.execute(select(_SP).where(_SP.c.settlement_id.in_(chunk))):
            parts.setdefault(p.settlement_id, []).append(PartFacts(
                id=p.id, seq=p.seq, payer_id=p.payer_id, account_id=p.account_id, fund=p.fund,
                binding_id=p.binding_id, amount_fen=p.amount_fen))
    for r in rows.values():
        world.settlements[r.id] = SettlementFacts(
            id=r.id, patient_id=r.patient_id, region_code=r.region_code, use=Use(r.use), amount_fen=r.amount_fen,
            own_fen=r.own_fen, mutual_aid_fen=r.mutual_aid_fen, cash_fen=r.cash_fen, settled_on=r.settled_on,
            attested_payer_id=r.attested_payer_id,
            parts=tuple(sorted(parts.get(r.id, ()), key=lambda p: p.seq)), settled_at=r.settled_at)
    world.paid_before = _paid_before(session, world)
    if progress:
        progress("facts", 2, 4)
    _load_money(session, world, rows)
    if progress:
        progress("facts", 4, 4)
    return world


def _binding_history(session: Session, bindings: dict) -> dict[int, dict]:
    """D-3, PP-1: each binding's pauses and resumptions and its monthly limit's changes, from their events (in the
    order recorded); a binding without such events has stood as it is now since it was made."""
    V = Event.__table__
    pauses: dict[int, list] = {}
    limits: dict[int, list] = {}
    for chunk in _chunks(bindings):
        for e in session.execute(select(V.c.subject_id, V.c.kind, V.c.at, V.c.data).where(
                V.c.subject_type == "binding", V.c.subject_id.in_(chunk),
                V.c.kind.in_(("binding.paused", "binding.resumed", "binding.limit_set"))).order_by(V.c.id)):
            if e.kind == "binding.limit_set":
                limits.setdefault(e.subject_id, []).append((e.at, (e.data or {}).get("from"), (e.data or {}).get("to")))
            else:
                pauses.setdefault(e.subject_id, []).append((e.at, e.kind == "binding.paused"))
    out = {}
    for b in bindings.values():
        paused, limited = pauses.get(b.id, []), limits.get(b.id, [])
        if not paused and b.paused_at is not None:  # paused without an event: from the instant it records
            paused = [(b.paused_at, True)]
        out[b.id] = dict(paused_before=(not paused[0][1]) if paused else False, pauses=tuple(paused),
                         limit_before=limited[0][1] if limited else b.monthly_limit_fen,
                         limits=tuple((at, to) for at, _, to in limited))
    return out


def _paid_before(session: Session, world: World) -> dict[tuple[int, int], int]:
    """PP-1: what payers paid for relatives in the start's month before the start (their monthly room), for the
    bindings that had a limit at some time."""
    first = world.start.replace(day=1)
    limited = {b.beneficiary_id for b in world.bindings if b.limit_before is not None or b.limits}
    if first == world.start or not limited:
        return {}
    out: dict[tuple[int, int], int] = {}
    for chunk in _chunks(limited):
        for row in session.execute(
                select(_SP.c.payer_id, _S.c.patient_id, func.sum(_SP.c.amount_fen - _SP.c.refunded_fen))
                .join(_S, _S.c.id == _SP.c.settlement_id)
                .where(_S.c.patient_id.in_(chunk), _SP.c.payer_id != _S.c.patient_id, _S.c.settled_on >= first,
                       _S.c.settled_on < world.start).group_by(_SP.c.payer_id, _S.c.patient_id)):
            out[(row[0], row[1])] = int(row[2])
    return out


def _load_people(session: Session, world: World, people: set[int], rows: dict) -> None:
    P, E, A, V, L = Person.__table__, Enrollment.__table__, Account.__table__, Event.__table__, LifeEvent.__table__
    changes: dict[int, list] = {}
    moves: dict[int, list] = {}
    left: dict[int, str] = {}  # life event → the region moved from (its event says, since it was recorded)
    for chunk in _chunks(people):
        for m in session.execute(select(L.c.id, L.c.person_id, L.c.occurred_on, L.c.to_region_code).where(
                L.c.kind == "move", L.c.person_id.in_(chunk))
                .order_by(L.c.occurred_on, L.c.id)):
            moves.setdefault(m.person_id, []).append((m.occurred_on, m.to_region_code, m.id))
        for e in session.execute(select(V.c.data).where(V.c.kind == "life.move", V.c.subject_type == "person",
                                                        V.c.subject_id.in_(chunk))):
            data = e.data or {}
            if data.get("from_region_code") and data.get("life_event_id"):
                left[data["life_event_id"]] = data["from_region_code"]
    first_regions = _first_regions(moves, rows)
    for pid, made in moves.items():  # the first move's own record of where he was, before any guess
        if made[0][2] in left:
            first_regions[pid] = left[made[0][2]]
        moves[pid] = [(on, to) for on, to, _ in made]
    for chunk in _chunks(people):
        for e in session.execute(select(V.c.subject_id, V.c.data).where(
                V.c.kind == "enrollment.status_changed", V.c.subject_type == "person",
                V.c.subject_id.in_(chunk)).order_by(V.c.id)):
            data = e.data or {}
            changes.setdefault(e.subject_id, []).append(
                (date.fromisoformat(data["on"]), Status(data["from"]), Status(data["to"])))
        for p in session.execute(select(P.c.id, P.c.name, P.c.name_sort_key, P.c.id_number, P.c.birth_date, P.c.sex,
                                        E.c.scheme, E.c.region_code, E.c.status)
                                 .join(E, E.c.person_id == P.c.id).where(P.c.id.in_(chunk))):
            world.people[p.id] = PersonFacts(
                id=p.id, name=p.name, name_sort_key=p.name_sort_key, id_number=p.id_number, birth_date=p.birth_date, sex=p.sex,
                scheme=Scheme(p.scheme), region_code=p.region_code, status=Status(p.status),
                changes=tuple(sorted(changes.get(p.id, ()), key=lambda c: c[0])),
                moves=tuple(moves.get(p.id, ())), first_region=first_regions.get(p.id))
        for a in session.execute(select(A.c.id, A.c.person_id, A.c.fund).where(A.c.person_id.in_(chunk))):
            world.accounts.setdefault(a.person_id, {})[a.fund] = a.id


def _first_regions(moves: dict[int, list[tuple[date, str]]], rows: dict) -> dict[int, str]:
    """Where each who moved was before his first move: the region of his last own settlement before it."""
    last: dict[int, tuple] = {}
    for r in rows.values():
        first_move = moves.get(r.patient_id)
        if first_move and r.settled_on < first_move[0][0]:
            key = (r.settled_on, r.id)
            if r.patient_id not in last or last[r.patient_id][0] < key:
                last[r.patient_id] = (key, r.region_code)
    return {pid: region for pid, (_, region) in last.items()}


def _load_money(session: Session, world: World, rows: dict) -> None:
    """Opening balances and the timeline of entries on the world's accounts."""
    Po, En, R = Posting.__table__, LedgerEntry.__table__, Refund.__table__
    accounts = [a for funds in world.accounts.values() for a in funds.values()]
    world.opening = dict.fromkeys(accounts, 0)
    entries: dict[int, object] = {}
    legs: dict[int, list[tuple[int, int]]] = {}
    for chunk in _chunks(accounts):
        for account_id, total in session.execute(
                select(Po.c.account_id, func.sum(Po.c.amount_fen)).join(En, En.c.id == Po.c.entry_id)
                .where(Po.c.account_id.in_(chunk), En.c.on < world.start).group_by(Po.c.account_id)):
            world.opening[account_id] = int(total)
        for p in session.execute(
                select(Po.c.entry_id, Po.c.account_id, Po.c.amount_fen, En.c.kind, En.c.at, En.c.on, En.c.ref_type,
                       En.c.ref_id, En.c.memo)
                .join(En, En.c.id == Po.c.entry_id)
                .where(Po.c.account_id.in_(chunk), En.c.on >= world.start, En.c.on <= world.end)):
            entries[p.entry_id] = p
            legs.setdefault(p.entry_id, []).append((p.account_id, p.amount_fen))
    refunds: dict[int, object] = {}
    for chunk in _chunks(rows):
        for r in session.execute(select(R).where(R.c.settlement_id.in_(chunk), R.c.on <= world.end)):
            refunds[r.id] = r
    by_entry_refund = {r.entry_id: r for r in refunds.values() if r.entry_id is not None}
    by_entry_settlement = {r.entry_id: r for r in rows.values() if r.entry_id is not None}
    keyed: list[tuple[tuple[int, int, int], Step]] = []
    placed: dict[int, int] = {}  # settlement → where it is in the order of entries
    for entry_id, e in entries.items():
        if e.ref_type == "settlement" and entry_id in by_entry_settlement:
            step = Step(kind="settlement", on=e.on, ref=e.ref_id)
            placed[e.ref_id] = entry_id
        elif e.ref_type == "refund" and entry_id in by_entry_refund:
            r = by_entry_refund[entry_id]
            step = Step(kind="refund", on=e.on, ref=r.id, settlement_id=r.settlement_id, amount_fen=r.amount_fen)
        elif e.kind == "year_end":
            step = Step(kind="year_end", on=e.on, memo=e.memo or str(e.on.year))
        else:
            step = Step(kind="postings", on=e.on, legs=tuple(legs[entry_id]))
        keyed.append(((entry_id, 0, 0), step))
    # Entry-less ones (all cash) by time: after the entries made strictly before them, after the last one of their
    # own kind that has an entry (a fixed clock gives every row the same instant), and a refund after its settlement.
    by_time = sorted((e.at, entry_id) for entry_id, e in entries.items())

    def after(at, last: int) -> int:
        earlier = bisect.bisect_left(by_time, (at, 0))
        return max(last, by_time[earlier - 1][1] if earlier else 0)

    last = 0
    for r in sorted(rows.values(), key=lambda r: r.id):
        if r.entry_id is not None:
            last = r.entry_id
        else:
            placed[r.id] = after(r.settled_at, last)
            keyed.append(((placed[r.id], 1, r.id), Step(kind="settlement", on=r.settled_on, ref=r.id)))
    last = 0
    for r in sorted(refunds.values(), key=lambda r: r.id):
        if r.entry_id is not None:
            last = r.entry_id
        elif r.on >= world.start and r.settlement_id in placed:
            anchor = max(after(r.at, last), placed[r.settlement_id])
            keyed.append(((anchor, 2, r.id), Step(kind="refund", on=r.on, ref=r.id, settlement_id=r.settlement_id,
                                                  amount_fen=r.amount_fen)))
    keyed.sort(key=lambda k: k[0])
    world.timeline = [step for _, step in keyed]
