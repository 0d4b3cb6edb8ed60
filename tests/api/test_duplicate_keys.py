"""A JSON object that names one key twice is refused, naming the key, on /v1 and on the national interface.

Python keeps the last of two values silently; a proxy, a log or a check in front of the service may have read
the first. So ``{"relationship": "spouse", "relationship": "parent"}`` is not a binding of either kind but a
refusal that changes nothing (DUPLICATE_KEY, or NI_MESSAGE_UNREADABLE in the national envelope; NI-1).
"""

from __future__ import annotations

from tests.api.test_bindings import AGREEMENT, couple  # noqa: F401 (a fixture)
from tests.factories import snapshot
from tests.national.conftest import PATH, answer, encode, hospital, person_query, unchanged  # noqa: F401


def test_a_binding_with_a_key_given_twice_is_refused_naming_it(api, couple):  # noqa: F811
    husband, wife = couple
    body = (f'{{"beneficiary_id_number": "{wife.id_number}", "relationship": "spouse", '
            f'"agreement_version": "{AGREEMENT}", "relationship": "parent"}}')
    headers = api.person(husband)
    before = snapshot(api.world)
    r = api.client.post("/v1/bindings", content=body.encode(), headers={
        **headers, "Idempotency-Key": "dup-1", "Content-Type": "application/json",
        "Accept-Language": "en"})
    assert (r.status_code, r.json()["code"]) == (400, "DUPLICATE_KEY"), r.text
    assert r.json()["params"] == {"key": "relationship"}
    assert "'relationship'" in r.json()["detail"]
    assert snapshot(api.world) == before


def test_a_key_twice_in_a_nested_object_is_refused_too(api, couple):  # noqa: F811
    husband, wife = couple
    body = (f'{{"beneficiary_id_number": "{wife.id_number}", "relationship": "spouse", '
            f'"agreement_version": "{AGREEMENT}", "documents": [{{"kind": "other", "kind": "other"}}]}}')
    r = api.client.post("/v1/bindings", content=body.encode(), headers={
        **api.person(husband), "Idempotency-Key": "dup-2", "Content-Type": "application/json; charset=utf-8"})
    assert (r.status_code, r.json()["code"]) == (400, "DUPLICATE_KEY"), r.text
    assert "kind" in r.json()["detail"]


def test_the_same_body_with_each_key_once_is_accepted(api, couple):  # noqa: F811
    """The check refuses only the duplicate: the body is handed on unchanged."""
    husband, wife = couple
    body = (f'{{"beneficiary_id_number": "{wife.id_number}", "relationship": "spouse", '
            f'"beneficiary_name": "{wife.name}", "agreement_version": "{AGREEMENT}"}}')
    r = api.client.post("/v1/bindings", content=body.encode(), headers={
        **api.person(husband), "Idempotency-Key": "dup-3", "Content-Type": "application/json"})
    assert r.status_code == 201, r.text


def test_ni_1_a_message_with_a_key_given_twice_is_refused_naming_it(api, hospital):  # noqa: F811
    patient = api.world.person("张三", current_fen=100_000)
    message = encode(hospital.envelope("1101", person_query(patient), psn=patient))
    doubled = message[:-1] + ',"infno":"2207"}'
    with unchanged(api.world):
        r = hospital.post(doubled.encode(), headers={"Accept-Language": "en"})
    got = answer(r)
    assert got["infcode"] == -1 and got["output"] is None
    assert got["err_msg"].startswith("【NI_MESSAGE_UNREADABLE】") and "'infno'" in got["err_msg"], got["err_msg"]
