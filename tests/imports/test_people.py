"""``gongji import people``: people, enrollments, balances by fund, families and bindings, each checked as the
services check them (N-1, N-2, N-6, HLJ-1, HLJ-3, HN-1), opening balances as balanced entries."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import select

from gongji.actors import Actor
from gongji.authorizations.models import Binding, Family, FamilyMember
from gongji.imports import runner
from gongji.imports.people import PeopleLoader
from gongji.ledger import service as ledger
from gongji.ledger.models import Account, LedgerEntry
from gongji.people.models import Enrollment, Person
from tests.imports.helpers import person_number, row, write_csv

EXAMPLE = Path(__file__).parents[2] / "examples" / "import" / "people.csv"
ACTOR = Actor.system("import")


def load(db, env, path, **kw):
    return runner.run_import(db, env, loader=PeopleLoader(), path=path, actor=ACTOR, **kw)


def rejected(db, summary):
    return [(r.row, r.field, r.code) for r in db.read(lambda s: list(runner.rejections(s, summary.run_id)))]


def test_the_example_file_loads_whole(db, env):
    """docs/import.md's example: three households of three regions, every row loads, the ledger holds."""
    summary = load(db, env, EXAMPLE)
    assert (summary.rows_read, summary.rows_loaded, summary.rows_rejected) == (9, 9, 0)

    def facts(s):
        people = {p.id_number: p for p in s.execute(select(Person)).unique().scalars()}
        zhang = people["230100197503140110"]
        accounts = {a.fund: a.balance_fen for a in s.execute(select(Account).where(Account.person_id == zhang.id)).scalars()}
        bindings = s.execute(select(Binding).order_by(Binding.id)).scalars().all()
        family = s.execute(select(Family)).scalar_one()
        members = s.execute(select(FamilyMember)).scalars().all()
        entry = s.execute(select(LedgerEntry)).scalars().all()
        retired = s.get(Enrollment, people["230100194801200421"].id).retired
        return zhang, accounts, bindings, family, members, entry, retired, people

    zhang, accounts, bindings, family, members, entries, retired, people = db.read(facts)
    assert (zhang.name, zhang.sex, zhang.birth_date) == ("张伟", "M", date(1975, 3, 14))
    assert accounts == {"current_year": 152035, "prior_years": 1200000}
    assert retired is True
    assert len(bindings) == 6
    assert [b.end_on for b in bindings if b.beneficiary_id == people["230100194801200421"].id] == [date(2027, 2, 28)]
    assert family.name == "李家" and len(members) == 2
    assert all(b.family_id == family.id for b in bindings if b.region_code == "410100")  # HN-1
    assert {e.kind for e in entries} == {"credit"} and len(entries) == 3  # one per region with balances
    check = db.read(ledger.check)
    assert check.ok and check.total_fen == 0


def test_bindings_are_checked_with_their_regions_rules(db, env, tmp_path):
    """A resident cannot pay (N-1); Harbin: one payer per beneficiary, a payer is not paid for (HLJ-3); Zhengzhou
    binds only inside a family (HN-1); a payer out of scope (N-6); a payer listed after the relative."""
    a, b, c, d = (person_number("230100", date(1970 + i, 1, 1), 11) for i in range(4))
    r = person_number("230100", date(1990, 5, 5), 22)
    z1, z2 = person_number("410100", date(1975, 1, 1), 11), person_number("410100", date(2005, 1, 1), 21)
    s1 = person_number("440300", date(2000, 2, 2), 31)
    late = person_number("230100", date(1980, 3, 3), 41)
    rows = [
        row(a, "甲一", region="230100", current_year_balance="10.00"),
        row(b, "乙二", region="230100", current_year_balance="10.00"),
        row(r, "丙三", scheme="resident", region="230100", payer_id_number=a, relationship="child",
            binding_start_on="2024-01-01"),
        row(c, "丁四", region="230100", payer_id_number=r, relationship="parent"),  # a resident pays: N-1
        row(d, "戊五", region="230100", payer_id_number=b, relationship="sibling", current_year_balance="1.00"),
        row(person_number("230100", date(1995, 1, 1), 31), "己六", scheme="resident", region="230100",
            payer_id_number=d, relationship="child"),  # d is paid for already: HLJ-3
        row(z1, "庚七", region="410100", current_year_balance="10.00"),
        row(z2, "辛八", scheme="resident", region="410100", payer_id_number=z1, relationship="child"),  # HN-1
        row(s1, "壬九", scheme="resident", region="440300", payer_id_number=a, relationship="child"),  # N-6
        row(person_number("230100", date(2010, 1, 1), 51), "癸十", scheme="resident", region="230100",
            payer_id_number=late, relationship="child"),  # payer listed later
        row(late, "子丑", region="230100", current_year_balance="-1"),
    ]
    summary = load(db, env, write_csv(tmp_path / "people.csv", rows), chunk_rows=4)
    assert rejected(db, summary) == [
        (5, "payer_id_number", "PAYER_NOT_EMPLOYEE"),
        (7, "payer_id_number", "ROLE_CONFLICT"),
        (9, "payer_id_number", "FAMILY_REQUIRED"),
        (10, "payer_id_number", "OUT_OF_SCOPE"),
        (11, "payer_id_number", "IMPORT_PAYER_UNKNOWN"),
        (12, "current_year_balance", "INVALID_AMOUNT"),
    ]
    assert summary.rows_loaded == 5
    assert db.read(lambda s: len(s.execute(select(Binding)).scalars().all())) == 2
    assert db.read(ledger.check).ok


def test_duplicates_and_families_across_chunks(db, env, tmp_path):
    """A person is listed once; a member needs his householder listed before him, also in an earlier chunk."""
    head = person_number("410100", date(1970, 1, 1), 11)
    wife = person_number("410100", date(1972, 1, 1), 22)
    stray = person_number("410100", date(1999, 1, 1), 33)
    rows = [
        row(head, "赵一", region="410100", current_year_balance="50.00", family_householder=head),
        row(head, "赵一", region="410100"),
        row(wife, "钱二", region="410100", family_householder=head, family_relationship="妻子",
            payer_id_number=head, relationship="配偶", binding_start_on="2025/01/01"),
        row(stray, "孙三", region="410100", family_householder=wife, family_relationship="child"),
    ]
    summary = load(db, env, write_csv(tmp_path / "people.csv", rows), chunk_rows=2)
    assert rejected(db, summary) == [(3, "id_number", "IMPORT_DUPLICATE_ROW"),
                                     (5, "family_householder", "IMPORT_HOUSEHOLDER_UNKNOWN")]
    binding = db.read(lambda s: s.execute(select(Binding)).scalar_one())
    assert binding.family_id is not None and binding.start_on == date(2025, 1, 1)
