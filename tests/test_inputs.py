"""Bad input of any type becomes a GongjiError with a stable code and changes nothing (never a crash)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from gongji.actors import Actor
from gongji.authorizations import service as authorizations
from gongji.errors import GongjiError
from gongji.inputs import check_date, check_id, check_sequence, check_text
from gongji.people import service as people
from gongji.records import service as records
from gongji.settlement import service as settlement
from gongji.terms import ActorKind, Channel
from tests.factories import STAFF, refused


@pytest.mark.parametrize("value", [datetime(2025, 6, 2, 10), "2025-6-2", "2025-06-02T10:00", 20250602, None])
def test_a_date_is_a_date_or_iso_text(value):
    with pytest.raises(GongjiError) as error:
        check_date(value, field="start_on")
    assert (error.value.code, error.value.params["field"]) == ("INVALID_FIELD", "start_on")


def test_check_date_accepts_dates_and_iso_text():
    assert check_date("2025-06-02", field="x") == check_date(date(2025, 6, 2), field="x") == date(2025, 6, 2)


@pytest.mark.parametrize("value", [True, 0, -1, 2**63, "7", 7.0, None])
def test_a_record_number_is_a_positive_integer(value):
    with pytest.raises(GongjiError) as error:
        check_id(value, field="settlement_id")
    assert error.value.code == "INVALID_FIELD"


@pytest.mark.parametrize("value", [5, "x" * 201, "line\nbreak", b"bytes"])
def test_free_text_is_printable_text_within_its_length(value):
    with pytest.raises(GongjiError):
        check_text(value, field="note", max_length=200)
    assert check_text(None, field="note", max_length=200) is None


@pytest.mark.parametrize("value", [None, "id_card", {"kind": "id_card"}, 3])
def test_a_list_is_a_list(value):
    with pytest.raises(GongjiError):
        check_sequence(value, field="documents")


def test_an_operator_id_has_at_most_40_characters():
    with pytest.raises(GongjiError) as error:
        Actor(ActorKind.STAFF, "S" * 41, Channel.COUNTER)
    assert error.value.params["field"] == "actor.id"


def test_bad_values_at_the_services_are_refused_and_change_nothing(world):
    """Each of these crashed before it was checked; now each is a refusal with a stable code."""
    world.institution()
    payer = world.person("张父", born=date(1970, 1, 1), current_fen=10_000)
    child = world.person("张子", born=date(2000, 1, 1), scheme="resident")
    paid = world.settle(payer, 1_000)
    cases = [
        lambda: world.bind(payer, child, "child", start_on=datetime(2025, 6, 2, 10)),
        lambda: world.bind(payer, child, "child", documents=None),
        lambda: world.bind(payer, child, "child", documents=["id_card"]),
        lambda: world.run(lambda s, env: settlement.cancel(s, env, institution_code="H23010100001",
                                                          settlement_id=2**63, idempotency_key="c1")),
        lambda: world.run(lambda s, env: settlement.cancel(s, env, institution_code="H23010100001",
                                                          settlement_id=True, idempotency_key="c2")),
        lambda: world.run(lambda s, env: settlement.refund(s, env, institution_code="H23010100001",
                                                          settlement_id=paid.settlement_id, amount_fen=10,
                                                          reason=42, idempotency_key="c3")),
        lambda: world.run(lambda s, env: authorizations.leave_family(s, env, family_id=2**63,
                                                                    member_id_number=child.id_number,
                                                                    actor=child.actor)),
        lambda: world.run(lambda s, env: people.credit(s, env, id_number=payer.id_number, amount_fen=1,
                                                       memo=None, actor=STAFF, idempotency_key="m")),
        lambda: world.run(lambda s, env: people.change_status(s, env, id_number=payer.id_number,
                                                              status="suspended", on=datetime(2025, 6, 1),
                                                              actor=STAFF)),
        lambda: world.settle(payer, 100, cert=settlement.Certificate(["id_card"], payer.id_number)),
        lambda: world.db.read(lambda s: records.account_changes(s, person_id="abc")),
        lambda: world.db.read(lambda s: records.consumption_as_patient(s, person_id=payer.id,
                                                                       from_on=datetime(2025, 1, 1))),
    ]
    for case in cases:
        refused(world, case, "INVALID_FIELD")
    assert world.total(payer) == 9_000
