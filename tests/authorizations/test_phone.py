"""HLJ-7: the relative's mobile number from the bind form is kept as his number for notices when none is on record;
a number on record is not replaced by what the payer typed; a malformed one is refused and changes nothing."""

from __future__ import annotations

from datetime import date

from gongji.people.models import Person
from tests.factories import refused


def _phone(world, person) -> str | None:
    return world.db.read(lambda s: s.get(Person, person.id).phone)


def test_hlj_7_the_relatives_phone_from_the_bind_form_is_kept_for_notices(world):
    payer = world.person("王建国", current_fen=300_000)
    wife = world.person("李秀兰", sex="F")
    assert _phone(world, wife) is None
    world.bind(payer, wife, beneficiary_phone="13800138000")
    assert _phone(world, wife) == "13800138000"


def test_hlj_7_a_phone_on_record_is_not_replaced_and_a_malformed_one_is_refused(world):
    payer = world.person("王建国", current_fen=300_000)
    wife = world.person("李秀兰", sex="F", phone="13911112222")
    mother = world.person("张桂芝", sex="F", born=date(1950, 1, 1))
    refused(world, lambda: world.bind(payer, mother, "parent", beneficiary_phone="12345"), "INVALID_FIELD")
    world.bind(payer, wife, beneficiary_phone="13800138000")
    assert _phone(world, wife) == "13911112222"
