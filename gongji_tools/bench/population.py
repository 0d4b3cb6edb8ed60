"""A synthetic province for benchmarks, written straight into the tables.

Households of one to six people live in five cities under four regions' rules (Heilongjiang, Henan, Shenzhen,
Ulanqab, and the national default in Beijing; Hangzhou is left out because it transfers funds instead of binding).
The householder is an employee with a personal account who binds every other member; in regions that let a payer be
a beneficiary too, an employed spouse also binds the children, so some bills have two payers. Spouses, grown
children and parents are employees (parents mostly retired) or residents. About 2% of employees are suspended.

Everything is written as the services would write it, but in bulk: ``COPY`` on PostgreSQL, ``executemany`` on SQLite,
in one transaction. Opening balances are one balanced ledger entry per region, from the region's credits account, so
``gongji check`` holds from the start. Nothing here is a rule: the settlements the benchmark then makes go through the
ordinary service layer, which checks everything.

Alongside the rows the loader draws a uniform sample of patients for the workload (:class:`Roster`): employees whose
own account pays their bills, and beneficiaries whose bills their payers pay.
"""

from __future__ import annotations

import json
import operator
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import text

from gongji.db import Database
from gongji.people.ids import issuing_region
from gongji.people.service import name_sort_key
from gongji.policy import RegionPolicy, load_policies
from gongji_tools.bench.bulk import Format, Writer

#: (division code, city, share of households). Each city's region file decides its rules.
CITIES: tuple[tuple[str, str, float], ...] = (
    ("230100", "哈尔滨", 0.25),  # Heilongjiang: one payer per beneficiary, a payer is never a beneficiary
    ("410100", "郑州", 0.25),  # Henan: bindings inside a family (HN-1)
    ("440300", "深圳", 0.20),  # Shenzhen: a reserve line of 4,200 yuan (SZ-1)
    ("150900", "乌兰察布", 0.10),  # Ulanqab: payers in a fixed priority (WL-1)
    ("110100", "北京", 0.20),  # the national default
)

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = ("伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
         "秀兰", "霞", "平", "刚", "桂英", "建国", "建华", "文", "华", "红梅", "志强", "海燕", "玉兰", "国庆")

#: Sample sizes kept for the workload (uniform over the whole population).
SAMPLE = 50_000

PERSON_COLUMNS = ("id", "id_number", "name", "name_sort_key", "birth_date", "sex", "phone", "created_at")
ENROLLMENT_COLUMNS = ("person_id", "scheme", "region_code", "status", "status_since", "enrolled_on", "card_no",
                      "retired", "contribution_base_fen", "recorded_status", "status_cause")
ACCOUNT_COLUMNS = ("id", "person_id", "fund", "system_key", "region_code", "balance_fen", "created_at")
BINDING_COLUMNS = ("id", "payer_id", "beneficiary_id", "relationship", "start_on", "end_on", "priority", "family_id",
                   "region_code", "channel", "agreement_version", "agreement_accepted_at", "operator_kind",
                   "operator_id", "created_at")
FAMILY_COLUMNS = ("id", "householder_id", "name", "region_code", "created_at")
MEMBER_COLUMNS = ("id", "family_id", "person_id", "relationship", "joined_at")
ENTRY_COLUMNS = ("id", "kind", "at", "on", "ref_type", "ref_id", "memo")
POSTING_COLUMNS = ("id", "entry_id", "account_id", "amount_fen", "balance_after_fen")
INSTITUTION_COLUMNS = ("id", "code", "name", "kind", "region_code", "active", "created_at")

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def id_number(body: str) -> str:
    """The 18-character resident ID for a 17-digit body (GB 11643 check digit)."""
    return body + _CHECK[sum(map(operator.mul, map(int, body), _WEIGHTS)) % 11]


@dataclass(frozen=True)
class Patient:
    id_number: str
    region_code: str


@dataclass
class Roster:
    """What the loader made, and whom the workload bills (uniform samples of the population)."""

    people: int
    households: int
    employees: int
    residents: int
    accounts: int
    bindings: int
    families: int
    balance_fen: int
    seconds: float
    rows_per_second: float
    institutions: dict[str, dict[str, str]]  # region -> {"hospital": code, "pharmacy": code}
    own: list[Patient] = field(default_factory=list)  # employees with money of their own
    aided: list[Patient] = field(default_factory=list)  # beneficiaries with little or nothing of their own

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), ensure_ascii=False))

    @classmethod
    def load(cls, path: Path) -> Roster:
        data = json.loads(path.read_text())
        data["own"] = [Patient(**p) for p in data["own"]]
        data["aided"] = [Patient(**p) for p in data["aided"]]
        return cls(**data)

    def summary(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__ if name not in ("own", "aided")}


class _Sample:
    """Reservoir sampling: a uniform sample of at most ``size`` items of a stream."""

    def __init__(self, size: int, rng: random.Random) -> None:
        self.size, self.rng, self.seen, self.items = size, rng, 0, []

    def offer(self, item) -> None:
        self.seen += 1
        if len(self.items) < self.size:
            self.items.append(item)
        else:
            j = self.rng.randrange(self.seen)
            if j < self.size:
                self.items[j] = item


@dataclass
class _Member:
    id: int
    scheme: str  # employee | resident
    birth: date
    sex: str
    retired: bool = False
    relationship: str | None = None  # to the householder
    current_fen: int = 0
    prior_fen: int = 0
    status: str = "normal"


class _Rows:
    """Rows of one batch of households, table by table."""

    def __init__(self) -> None:
        self.people: list[tuple] = []
        self.enrollments: list[tuple] = []
        self.accounts: list[tuple] = []
        self.bindings: list[tuple] = []
        self.families: list[tuple] = []
        self.members: list[tuple] = []
        self.postings: list[tuple] = []

    def __len__(self) -> int:
        return len(self.people)

    def count(self) -> int:
        return sum(len(rows) for rows in (self.people, self.enrollments, self.accounts, self.bindings, self.families,
                                          self.members, self.postings))


@cache
def _sort_key(name: str) -> str:
    return name_sort_key(name)


@cache
def _issuer(region: str, year: int) -> str:
    return issuing_region(region, date(year, 7, 1))


class _People:
    """Unique, valid ID numbers: per issuing code, birth date and sex, a running sequence of the right parity."""

    def __init__(self) -> None:
        self.used: dict[tuple[str, date, str], int] = {}

    def id_number(self, region: str, birth: date, sex: str) -> tuple[str, date]:
        while True:
            code = _issuer(region, birth.year)
            key = (code, birth, sex)
            k = self.used.get(key, 0)
            if k < 500:
                self.used[key] = k + 1
                sequence = 2 * k + 1 if sex == "M" else 2 * k
                return id_number(f"{code}{birth:%Y%m%d}{sequence:03d}"), birth
            birth += timedelta(days=1)  # this day is full: the next one


def load_population(
    db: Database,
    people: int,
    *,
    seed: int = 2025,
    today: date,
    progress: Callable[[int], None] | None = None,
    batch_people: int = 50_000,
) -> Roster:
    """Write ``people`` synthetic people (and their accounts, bindings and opening balances) into an empty database."""
    started = time.perf_counter()
    rng = random.Random(seed)
    policies = load_policies()
    with db.engine.connect() as conn:
        if conn.execute(text("SELECT count(*) FROM people")).scalar_one():
            raise ValueError("the benchmark population goes into an empty database; this one has people")
    now = datetime.combine(today, datetime.min.time(), tzinfo=UTC)
    regions = [c[0] for c in CITIES]
    weights = [c[2] for c in CITIES]
    policy = {code: policies.for_region(code) for code in regions}

    writer = Writer(db)
    fmt = Format(writer.dialect, now)
    try:
        ids = _Ids()
        institutions = _institutions(writer, ids, regions, fmt)
        credit_account = {}
        rows = []
        for code in regions:
            credit_account[code] = ids.next("accounts")
            rows.append((credit_account[code], fmt.null, "credits", f"credits:{code}", code, fmt.null, fmt.now))
        writer.write("accounts", ACCOUNT_COLUMNS, rows)
        entry = {code: ids.next("entries") for code in regions}
        writer.write("ledger_entries", ENTRY_COLUMNS,
                     [(entry[code], "credit", fmt.now, fmt.day(today), fmt.null, fmt.null,
                       "opening balances (benchmark population)")
                      for code in regions])

        registry = _People()
        own = _Sample(SAMPLE, random.Random(seed + 1))
        aided = _Sample(SAMPLE, random.Random(seed + 2))
        totals = {code: 0 for code in regions}
        counts = dict(people=0, households=0, employees=0, residents=0, accounts=len(regions), bindings=0,
                      families=0, rows=2 * len(regions) + len(institutions) * 2)
        batch = _Rows()
        while counts["people"] < people:
            region = rng.choices(regions, weights)[0]
            members = _household(rng, ids, today, limit=people - counts["people"])
            _write_household(batch, rng, ids, registry, members, region, policy[region], entry[region], today, fmt,
                             totals, counts, own, aided)
            if len(batch) >= batch_people:
                _flush(writer, batch, counts)
                if progress:
                    progress(counts["people"])
                batch = _Rows()
        _flush(writer, batch, counts)
        writer.write_later("postings", POSTING_COLUMNS,
                     [(ids.next("postings"), entry[code], credit_account[code], -totals[code], fmt.null)
                      for code in regions if totals[code]])
        writer.commit()
    except BaseException:
        writer.rollback()
        raise
    if progress:
        progress(counts["people"])
    _after_load(db, ids)
    seconds = time.perf_counter() - started
    return Roster(
        people=counts["people"], households=counts["households"], employees=counts["employees"],
        residents=counts["residents"], accounts=counts["accounts"], bindings=counts["bindings"],
        families=counts["families"], balance_fen=sum(totals.values()), seconds=round(seconds, 2),
        rows_per_second=round(counts["rows"] / seconds), institutions=institutions,
        own=own.items, aided=aided.items,
    )


class _Ids:
    def __init__(self) -> None:
        self.last: dict[str, int] = {}

    def next(self, table: str) -> int:
        value = self.last.get(table, 0) + 1
        self.last[table] = value
        return value


SEQUENCES = {"people": "people", "accounts": "accounts", "bindings": "bindings", "families": "families",
             "members": "family_members", "entries": "ledger_entries", "postings": "postings",
             "institutions": "institutions"}


def _after_load(db: Database, ids: _Ids) -> None:
    """Move PostgreSQL's id sequences past the ids written, and refresh the planner's statistics."""
    with db.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            for key, table in SEQUENCES.items():
                if key in ids.last:
                    conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), :v)"),
                                 {"v": ids.last[key]})
            conn.commit()
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
        else:
            conn.execute(text("ANALYZE"))
            conn.commit()


def _institutions(writer: Writer, ids: _Ids, regions: list[str], fmt: Format) -> dict[str, dict[str, str]]:
    rows, codes = [], {}
    for code in regions:
        hospital, pharmacy = f"H{code}00001", f"P{code}00001"
        rows.append((ids.next("institutions"), hospital, f"{code}市第一医院", "hospital", code, fmt.true, fmt.now))
        rows.append((ids.next("institutions"), pharmacy, f"{code}市康民大药房", "pharmacy", code, fmt.true, fmt.now))
        codes[code] = {"hospital": hospital, "pharmacy": pharmacy}
    writer.write("institutions", INSTITUTION_COLUMNS, rows)
    return codes


def _birth(rng: random.Random, today: date, low: int, high: int) -> date:
    return today - timedelta(days=rng.randint(low * 365 + 1, high * 365 - 1))


def _household(rng: random.Random, ids: _Ids, today: date, *, limit: int) -> list[_Member]:
    """A householder (employee, payer) and up to five relatives."""
    age = rng.randint(28, 58)
    sex = rng.choice("MF")
    members = [_Member(ids.next("people"), "employee", _birth(rng, today, age, age + 1), sex)]
    if limit > 1 and rng.random() < 0.7:
        spouse_age = max(22, age + rng.randint(-4, 4))
        scheme = "employee" if rng.random() < 0.6 else "resident"
        members.append(_Member(ids.next("people"), scheme, _birth(rng, today, spouse_age, spouse_age + 1),
                               "F" if sex == "M" else "M", relationship="spouse"))
    for _ in range(rng.choice((0, 0, 1, 1, 1, 2))):
        if len(members) >= limit:
            break
        child_age = max(1, age - rng.randint(24, 34))
        scheme = "employee" if child_age >= 22 and rng.random() < 0.5 else "resident"
        members.append(_Member(ids.next("people"), scheme, _birth(rng, today, child_age, child_age + 1),
                               rng.choice("MF"), relationship="child"))
    for parent_sex in ("M", "F"):
        if len(members) >= limit or rng.random() > 0.35:
            continue
        parent_age = min(98, age + rng.randint(24, 34))
        scheme = "employee" if rng.random() < 0.6 else "resident"
        members.append(_Member(ids.next("people"), scheme, _birth(rng, today, parent_age, parent_age + 1),
                               parent_sex, retired=scheme == "employee" and parent_age >= 60, relationship="parent"))
    return members


def _write_household(batch: _Rows, rng: random.Random, ids: _Ids, registry: _People, members: list[_Member],
                     region: str, policy: RegionPolicy, entry_id: int, today: date, fmt: Format,
                     totals: dict[str, int], counts: dict[str, int], own: _Sample, aided: _Sample) -> None:
    surname = rng.choice(SURNAMES)
    now, null, day = fmt.now, fmt.null, fmt.day
    reserve = policy.reserve_line_fen
    numbers: dict[int, str] = {}
    accounts: dict[int, list[int]] = {}
    for index, m in enumerate(members):
        number, m.birth = registry.id_number(region, m.birth, m.sex)
        numbers[m.id] = number
        name = (surname if m.relationship in (None, "child") else rng.choice(SURNAMES)) + rng.choice(GIVEN)
        batch.people.append((m.id, number, name, _sort_key(name), day(m.birth), m.sex, null, now))
        enrolled = day(today - timedelta(days=rng.randint(400, 9000)))
        if m.scheme == "employee":
            if index > 0 and rng.random() < 0.02:
                m.status = "suspended"
            base = null if m.retired else rng.randrange(400_000, 1_500_000, 100)
            batch.enrollments.append((m.id, "employee", region, m.status, enrolled, enrolled, null, fmt.bool(m.retired),
                                      base, m.status, "registered"))
            low = index > 0 and rng.random() < 0.4  # a relative whose own account is nearly empty
            m.current_fen = rng.randrange(0, 5_000) if low else rng.randrange(20_000, 600_000)
            m.prior_fen = 0 if low else rng.randrange(0, 2_000_000) + (reserve if index == 0 else 0)
            accounts[m.id] = []
            for fund, balance in (("current_year", m.current_fen), ("prior_years", m.prior_fen)):
                account_id = ids.next("accounts")
                accounts[m.id].append(account_id)
                batch.accounts.append((account_id, m.id, fund, null, region, balance, now))
                if balance:
                    batch.postings.append((ids.next("postings"), entry_id, account_id, balance, balance))
                    totals[region] += balance
            counts["employees"] += 1
            counts["accounts"] += 2
        else:
            batch.enrollments.append((m.id, "resident", region, "normal", enrolled, enrolled, null, fmt.false, null,
                                      "normal", "registered"))
            counts["residents"] += 1
    counts["people"] += len(members)
    counts["households"] += 1

    holder = members[0]
    family_id = None
    if policy.family_required and len(members) > 1:
        family_id = ids.next("families")
        batch.families.append((family_id, holder.id, f"{surname}家", region, now))
        for m in members[1:]:
            batch.members.append((ids.next("members"), family_id, m.id, m.relationship, now))
        counts["families"] += 1
    start = day(today - timedelta(days=rng.randint(31, 700)))

    def bind(payer: _Member, beneficiary: _Member, relationship: str, priority: int) -> None:
        batch.bindings.append((ids.next("bindings"), payer.id, beneficiary.id, relationship, start, null, priority,
                               null if family_id is None else family_id, region, "portal", policy.agreement_version,
                               now, "person", str(payer.id), now))
        counts["bindings"] += 1

    for m in members[1:]:
        bind(holder, m, m.relationship, 1)
    spouse = next((m for m in members if m.relationship == "spouse"), None)
    if (spouse is not None and spouse.scheme == "employee" and spouse.current_fen + spouse.prior_fen > reserve
            and policy.payer_may_also_be_beneficiary and (policy.max_payers_per_beneficiary or 9) >= 2):
        for m in members:
            if m.relationship == "child":
                bind(spouse, m, "child", 2)  # a second payer: the other parent

    if holder.status == "normal":
        own.offer(Patient(numbers[holder.id], region))
    for m in members[1:]:
        if m.scheme == "resident" or m.current_fen + m.prior_fen < 5_000:
            aided.offer(Patient(numbers[m.id], region))


def _flush(writer: Writer, batch: _Rows, counts: dict[str, int]) -> None:
    for table, columns, rows in (
        ("people", PERSON_COLUMNS, batch.people),
        ("enrollments", ENROLLMENT_COLUMNS, batch.enrollments),
        ("accounts", ACCOUNT_COLUMNS, batch.accounts),
        ("families", FAMILY_COLUMNS, batch.families),
        ("family_members", MEMBER_COLUMNS, batch.members),
        ("bindings", BINDING_COLUMNS, batch.bindings),
        ("postings", POSTING_COLUMNS, batch.postings),
    ):
        if rows:
            writer.write_later(table, columns, rows)
    counts["rows"] += batch.count()
