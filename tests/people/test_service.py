"""People, enrollment and credits on both databases (N-1, N-2, HN-2, WL-5, D-6).

Every refusal is checked for its stable code and for having changed nothing in any table.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from stdnum.cn import ric

from gongji.actors import Actor
from gongji.events.models import Event
from gongji.ledger import service as ledger
from gongji.money import MAX_FEN
from gongji.people import service as people
from gongji.people.ids import compose_id_number
from gongji.terms import Fund
from tests.factories import CITY, STAFF, refused

HARBIN = CITY["harbin"]


def register(world, id_number: str, *, name: str = "王芳", scheme: str = "employee", region_code: str = HARBIN,
             **kwargs):
    return lambda: world.run(lambda s, env: people.register(
        s, env, id_number=id_number, name=name, scheme=scheme, region_code=region_code, actor=STAFF, **kwargs))


def new_id(seq: int = 901, region: str = HARBIN, born: date = date(1980, 5, 17), sex: str = "F") -> str:
    return compose_id_number(region, born, seq, sex)


def events(world, kind: str) -> list[Event]:
    return world.db.read(lambda s: list(s.execute(select(Event).where(Event.kind == kind).order_by(Event.id))
                                        .scalars()))


# -- registration (N-1) ----------------------------------------------------------------------------


def test_n_1_employee_registration_opens_both_funds_empty(world):
    """N-1: an employee enrollee gets a personal account: a current-year and a prior-years fund."""
    id_number = new_id()
    person = register(world, id_number, phone="13800000000", card_no="hlj00012345")()
    assert person.id_number == id_number
    assert person.birth_date == date(1980, 5, 17) and person.sex == "F"
    assert person.enrollment.scheme == "employee" and person.enrollment.status == "normal"
    assert person.enrollment.card_no == "HLJ00012345"
    accounts = world.db.read(lambda s: ledger.personal_accounts(s, person.id))
    assert set(accounts) == {Fund.CURRENT_YEAR, Fund.PRIOR_YEARS}
    assert all(a.balance_fen == 0 and a.person_id == person.id for a in accounts.values())
    assert world.db.read(lambda s: people.balances(s, person.id)) == people.Balances(0, 0)
    [event] = events(world, "person.registered")
    assert event.subject_id == person.id and event.data["scheme"] == "employee"


def test_n_1_resident_has_no_personal_account_and_cannot_be_credited(world):
    """N-1: resident insurance has no personal account."""
    resident = world.person("李娟", scheme="resident")
    assert world.balances(resident) is None
    assert world.db.read(lambda s: ledger.personal_accounts(s, resident.id)) == {}
    refused(world, lambda: world.run(lambda s, env: people.credit(
        s, env, id_number=resident.id_number, amount_fen=1_000, actor=STAFF, idempotency_key="c")),
        "ACCOUNT_NOT_FOUND")


def test_registering_the_same_id_number_twice_is_refused(world):
    existing = world.person("张三")
    error = refused(world, register(world, existing.id_number, name="张三丰"), "PERSON_EXISTS")
    assert error.params["id_number"] == existing.id_number


def test_card_number_of_someone_else_is_refused_with_a_stable_code(world):
    """N-4: a card belongs to one person; a second registration with it is refused by name, not by a crash."""
    world.person("张三", card_no="HLJ0001234")
    error = refused(world, register(world, new_id(), card_no="hlj0001234"), "INVALID_FIELD")
    assert error.params["field"] == "card_no"


def test_longest_allowed_name_is_stored(world, request):
    """A name check_name accepts (50 characters) must also fit the pinyin sort key (HN-4) on every database."""
    name = "庄爽双壮" * 12 + "庄双"
    assert len(name) == 50
    person = register(world, new_id(), name=name)()
    assert world.db.read(lambda s: people.find(s, person.id_number).name) == name


def test_lower_case_x_check_digit_is_the_same_person(world):
    """GB 11643: the check character X is stored upper case, so 'x' finds the same person."""
    seq = next(s for s in range(1, 999, 2) if new_id(s, sex="M").endswith("X"))
    id_number = new_id(seq, sex="M")
    register(world, id_number)()
    refused(world, register(world, id_number.lower()), "PERSON_EXISTS")
    assert world.db.read(lambda s: people.find(s, id_number.lower()).id_number) == id_number


def _with_check_digit(body: str) -> str:
    return body + ric.calc_check_digit(body + "0")


def _wrong_check_digit(id_number: str) -> str:
    last = "0123456789X"
    return id_number[:17] + last[(last.index(id_number[17]) + 1) % len(last)]


@pytest.mark.parametrize("mangle", [
    pytest.param(_wrong_check_digit, id="check-digit"),
    pytest.param(lambda n: n[:17], id="too-short"),
    pytest.param(lambda n: n[:16] + "A" + n[17], id="letter-in-body"),
    pytest.param(lambda n: compose_id_number(HARBIN, date(2025, 6, 3), 1, "M"), id="born-tomorrow"),
    pytest.param(lambda n: _with_check_digit(HARBIN + "19800230" + "001"), id="no-such-day"),
    pytest.param(lambda n: _with_check_digit("990000" + "19800517" + "001"), id="no-such-region"),
    pytest.param(lambda n: 230100198005170011, id="not-text"),
])
def test_invalid_id_number_is_refused_and_nothing_is_registered(world, mangle):
    """The 18-character resident ID (GB 11643): check digit, length, format, birth date."""
    refused(world, register(world, mangle(new_id())), "INVALID_ID_NUMBER")


def test_unknown_person_is_not_found(world):
    world.person("张三")
    unknown = new_id(777)
    error = refused(world, lambda: world.db.read(lambda s: people.find(s, unknown)), "PERSON_NOT_FOUND")
    assert error.params["id_number"] == unknown
    refused(world, lambda: world.run(lambda s, env: people.credit(
        s, env, id_number=unknown, amount_fen=100, actor=STAFF, idempotency_key="c")), "PERSON_NOT_FOUND")
    refused(world, lambda: world.run(lambda s, env: people.change_status(
        s, env, id_number=unknown, status="suspended", actor=STAFF)), "PERSON_NOT_FOUND")
    refused(world, lambda: world.db.read(lambda s: people.get(s, 999_999)), "PERSON_NOT_FOUND")


@pytest.mark.parametrize("region_code", ["999999", "2301", "23010a", "", None, 230100])
def test_invalid_region_is_refused(world, region_code):
    refused(world, register(world, new_id(), region_code=region_code), "INVALID_REGION")


@pytest.mark.parametrize(("field", "kwargs"), [
    ("name", {"name": "  "}),
    ("name", {"name": "王<script>"}),
    ("scheme", {"scheme": "private"}),
    ("status", {"status": "paused"}),
    ("phone", {"phone": "2380000000"}),
    ("card_no", {"card_no": "卡号123456"}),
])
def test_invalid_fields_are_refused_by_name(world, field, kwargs):
    error = refused(world, register(world, new_id(), **kwargs), "INVALID_FIELD")
    assert error.params["field"] == field


# -- enrollment status (HN-2, WL-5) ----------------------------------------------------------------


def test_hn_2_wl_5_status_change_is_recorded(world, clock):
    """HN-2, WL-5: a suspension and its end are kept with the date and an event with from/to."""
    person = world.person("赵强")
    clock.advance(days=3)
    enrollment = world.run(lambda s, env: people.change_status(
        s, env, id_number=person.id_number, status="suspended", actor=STAFF))
    assert (enrollment.status, enrollment.status_since) == ("suspended", date(2025, 6, 5))
    world.run(lambda s, env: people.change_status(
        s, env, id_number=person.id_number, status="normal", actor=STAFF, on=date(2025, 7, 1)))
    stored = world.db.read(lambda s: people.get(s, person.id).enrollment)
    assert (stored.status, stored.status_since) == ("normal", date(2025, 7, 1))
    changes = events(world, "enrollment.status_changed")
    assert [(e.data["from"], e.data["to"], e.data["on"]) for e in changes] == [
        ("normal", "suspended", "2025-06-05"), ("suspended", "normal", "2025-07-01")]
    assert all(e.actor_kind == "staff" and e.subject_id == person.id for e in changes)


def test_unknown_status_is_refused(world):
    person = world.person()
    error = refused(world, lambda: world.run(lambda s, env: people.change_status(
        s, env, id_number=person.id_number, status="paused", actor=STAFF)), "INVALID_FIELD")
    assert error.params["field"] == "status"


# -- credits: money is an integer of fen (D-6) ---------------------------------------------------------


def test_credit_posts_a_balanced_entry_to_the_chosen_fund(world):
    person = world.person(current_fen=12_345, prior_fen=500)
    assert world.balances(person) == people.Balances(current_year_fen=12_345, prior_years_fen=500)
    entry = world.run(lambda s, env: people.credit(
        s, env, id_number=person.id_number, amount_fen=1, actor=Actor.staff("T0002"), memo="correction",
        idempotency_key="correction-1"))
    assert isinstance(entry, int)
    assert world.total(person) == 12_846
    check = world.db.read(ledger.check)
    assert check.ok, check
    assert len(events(world, "account.credited")) == 3


@pytest.mark.parametrize("amount", [12.5, 100.0, -100, 0, True, "100", None, MAX_FEN + 1])
def test_credit_with_float_negative_or_zero_amount_is_refused(world, amount):
    person = world.person(current_fen=1_000)
    error = refused(world, lambda: world.run(lambda s, env: people.credit(
        s, env, id_number=person.id_number, amount_fen=amount, actor=STAFF, idempotency_key="c")),
        "INVALID_AMOUNT")
    assert error.params["field"] == "amount_fen"
    assert world.total(person) == 1_000


def test_credit_to_unknown_fund_is_refused(world):
    person = world.person(current_fen=1_000)
    error = refused(world, lambda: world.run(lambda s, env: people.credit(
        s, env, id_number=person.id_number, amount_fen=100, fund="pooled", actor=STAFF,
        idempotency_key="c")), "INVALID_FIELD")
    assert error.params["field"] == "fund"
    assert world.total(person) == 1_000


def test_a_credit_retried_with_its_key_is_made_once(world):
    """A rerun monthly job or a retried request credits once; the same key for another amount is refused."""
    person = world.person(current_fen=1_000)

    def credit(amount, key):
        return world.run(lambda s, env: people.credit(s, env, id_number=person.id_number, amount_fen=amount,
                                                      actor=STAFF, idempotency_key=key))

    first = credit(30_000, "monthly:2025-06")
    assert credit(30_000, "monthly:2025-06") == first
    assert world.total(person) == 31_000
    refused(world, lambda: credit(30_001, "monthly:2025-06"), "IDEMPOTENCY_KEY_REUSED")
    credit(30_000, "monthly:2025-07")
    assert world.total(person) == 61_000


def test_a_terminated_enrollee_is_not_credited(world):
    person = world.person(current_fen=1_000)
    world.run(lambda s, env: people.change_status(s, env, id_number=person.id_number, status="terminated",
                                                  actor=STAFF))
    refused(world, lambda: world.run(lambda s, env: people.credit(
        s, env, id_number=person.id_number, amount_fen=100, actor=STAFF, idempotency_key="c")), "NOT_ENROLLED")
    assert world.total(person) == 1_000
