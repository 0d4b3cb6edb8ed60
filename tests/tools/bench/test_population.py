"""The benchmark's synthetic province: valid people, balanced opening balances, bindings the rules accept, and a
workload that settles through the real service layer (N-1, N-3, N-10, D-1, HN-1, HLJ-3, SZ-1)."""

from __future__ import annotations

import random
from collections import Counter

from sqlalchemy import func, select

from gongji.authorizations import rules as binding_rules
from gongji.authorizations.models import Binding, Family
from gongji.authorizations.service import party
from gongji.ledger import service as ledger
from gongji.ledger.models import Account
from gongji.people.ids import parse_id_number
from gongji.people.models import Enrollment, Person
from gongji.settlement import service as settlement
from gongji.terms import Relationship
from gongji_tools.bench.population import CITIES, Roster, id_number, load_population
from gongji_tools.bench.workload import AID, REFUND, SETTLE, Mix
from tests.conftest import TODAY


def test_check_digit_matches_the_standard():
    """N-1: the loader's fast check digit is GB 11643's (the example of the standard, and the parser's verdict)."""
    assert id_number("11010519491231002") == "11010519491231002X"
    rng = random.Random(3)
    for _ in range(200):
        body = f"{rng.choice(['230100', '410100', '440300'])}{rng.randint(1940, 2020)}0{rng.randint(1, 9)}1" \
               f"{rng.randint(0, 8)}{rng.randint(100, 999)}"
        number = id_number(body)
        assert parse_id_number(number, today=TODAY).number == number


def test_population_is_valid_and_the_ledger_balances(db, env):
    """N-1, D-1: unique valid ID numbers; every employee has both funds; opening balances are balanced postings."""
    roster = load_population(db, 600, seed=7, today=TODAY)
    assert roster.people == 600
    with db.session(write=False) as s:
        numbers = list(s.execute(select(Person.id_number)).scalars())
        assert len(numbers) == len(set(numbers)) == 600
        for number in numbers:
            parse_id_number(number, today=TODAY)
        employees = s.execute(select(func.count()).select_from(Enrollment)
                              .where(Enrollment.scheme == "employee")).scalar_one()
        assert employees == roster.employees > 0 and roster.residents == 600 - employees
        funds = s.execute(select(func.count()).select_from(Account).where(Account.person_id.is_not(None))).scalar_one()
        assert funds == 2 * employees
        regions = set(s.execute(select(Enrollment.region_code).distinct()).scalars())
        assert regions <= {code for code, _, _ in CITIES} and len(regions) >= 4
    check = db.read(ledger.check)
    assert check.ok and check.total_fen == 0
    total = sum(db.read(lambda s, code=code: ledger.system_balance(s, f"credits:{code}")) for code, _, _ in CITIES)
    assert total == -roster.balance_fen < 0


def test_bindings_follow_each_regions_rules(db, env):
    """HLJ-3 one payer per beneficiary and no payer who is a beneficiary in Heilongjiang; HN-1 families in Henan;
    relationships plausible by birth dates; payer and beneficiary in one city."""
    load_population(db, 1_500, seed=11, today=TODAY)
    with db.session(write=False) as s:
        bindings = list(s.execute(select(Binding)).scalars())
        people = {p.id: p for p in s.execute(select(Person)).unique().scalars()}
        assert bindings
        payers_of = Counter(b.beneficiary_id for b in bindings)
        for b in bindings:
            payer, beneficiary = party(people[b.payer_id]), party(people[b.beneficiary_id])
            binding_rules.check_relationship_plausible(Relationship(b.relationship), payer, beneficiary)
            policy = env.policy(b.region_code)
            binding_rules.check_scope(payer, beneficiary, policy)
            assert b.start_on <= TODAY and b.ended_on is None
            if not policy.payer_may_also_be_beneficiary:
                assert payers_of[b.payer_id] == 0
            if policy.max_payers_per_beneficiary:
                assert payers_of[b.beneficiary_id] <= policy.max_payers_per_beneficiary
            if policy.family_required:
                assert b.family_id is not None
        assert s.execute(select(func.count()).select_from(Family)).scalar_one() > 0
        assert max(payers_of.values()) == 2  # some children have both parents as payers


def test_the_workload_settles_own_bills_mutual_aid_and_refunds(db, env, tmp_path):
    """N-3, N-10, HN-5: the mix's bills go through the service layer; aided patients' payers pay; refunds return."""
    roster = load_population(db, 800, seed=5, today=TODAY)
    path = tmp_path / "roster.json"
    roster.save(path)
    roster = Roster.load(path)
    mix = Mix(roster, random.Random(1), aid_share=0.4, refund_share=0.1)
    kinds, aided, paid = Counter(), 0, 0
    for n in range(120):
        op = mix.next()
        kinds[op.kind] += 1
        if op.kind == REFUND:
            done = db.run(lambda s, op=op, n=n: settlement.refund(s, env, institution_code=op.institution,
                                                                   settlement_id=op.settlement_id,
                                                                   idempotency_key=f"t-{n}"))
            assert done.amount_fen > 0
            mix.done(op, None)
            continue
        result = db.run(lambda s, op=op, n=n: settlement.settle(
            s, env, institution_code=op.institution, patient_id_number=op.patient, amount_fen=op.amount_fen,
            use=op.use, idempotency_key=f"t-{n}"))
        assert result.own_fen + result.mutual_aid_fen + result.cash_fen == op.amount_fen
        if op.kind == AID:
            aided += result.mutual_aid_fen > 0
        else:
            paid += result.own_fen > 0
        mix.done(op, result.settlement_id)
    assert kinds[SETTLE] > kinds[AID] > kinds[REFUND] > 0
    assert aided >= kinds[AID] * 0.6  # most beneficiaries' payers have money above any reserve line (SZ-1)
    assert paid >= kinds[SETTLE] * 0.9
    assert db.read(ledger.check).ok


def test_the_loader_refuses_a_database_with_people(db, env):
    """The benchmark never writes its population over real data."""
    load_population(db, 50, seed=1, today=TODAY)
    try:
        load_population(db, 50, seed=2, today=TODAY)
    except ValueError as error:
        assert "empty database" in str(error)
    else:
        raise AssertionError("a second load into a database with people was accepted")
