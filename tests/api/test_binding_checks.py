"""Binding through the API checks what the portal and the counter check, and cannot be used to probe.

- HLJ-7: the payer gives the relative's name with the ID number; a wrong name and an unregistered number get the
  same refusal (RELATIVE_NOT_MATCHED), so the answer does not tell whether a number belongs to someone.
- N-2: a sibling's birth date is plausible (RELATIONSHIP_IMPLAUSIBLE 40 years apart or more).
- Binding requests are counted per payer, granted or refused: past the limit BINDING_ATTEMPTS_THROTTLED (429,
  Retry-After) until the oldest leaves the window, for the payer's own requests and staff's for him alike.
"""

from __future__ import annotations

from datetime import date

import pytest

from gongji.auth import throttle
from tests.api.test_bindings import AGREEMENT
from tests.factories import snapshot


@pytest.fixture
def family(api):
    w = api.world
    payer = w.person("李建国", current_fen=50_000, born=date(1960, 3, 1))
    wife = w.person("王秀英", sex="F", born=date(1962, 5, 1))
    old_brother = w.person("李建民", born=date(1919, 3, 1))  # 41 years older: no sibling
    brother = w.person("李建军", born=date(1966, 8, 1))
    return payer, wife, old_brother, brother


def bind(api, payer, id_number: str, name: str | None, *, relationship: str = "spouse", key: str = "b-1",
         headers=None, **extra):
    body = {"beneficiary_id_number": id_number, "relationship": relationship, "agreement_version": AGREEMENT,
            **({"beneficiary_name": name} if name is not None else {}), **extra}
    return api.client.post("/v1/bindings", json=body, headers={
        **(headers or api.person(payer)), "Idempotency-Key": key, "Accept-Language": "en"})


def test_hlj_7_the_relatives_name_must_be_the_registered_one(api, family):
    payer, wife, _, _ = family
    headers = api.person(payer)
    before = snapshot(api.world)
    wrong = bind(api, payer, wife.id_number, "王秀兰", headers=headers)
    assert (wrong.status_code, wrong.json()["code"]) == (422, "RELATIVE_NOT_MATCHED"), wrong.text
    assert "王秀英" not in wrong.text and wife.id_number not in wrong.text
    assert snapshot(api.world) == before
    r = bind(api, payer, wife.id_number, " 王 秀英 ", headers=headers, key="b-2")  # spaces aside, the same name
    assert r.status_code == 201, r.text
    assert r.json()["beneficiary"]["name"] == "王秀英"


def test_hlj_7_an_unregistered_number_is_refused_as_a_wrong_name_is(api, family):
    """The two refusals are the same code and the same words: nothing tells that a number is someone's."""
    payer, wife, _, _ = family
    headers = api.person(payer)
    unknown = bind(api, payer, "230103199001011237", "王秀英", headers=headers)
    wrong_name = bind(api, payer, wife.id_number, "张三", headers=headers, key="b-2")
    assert unknown.status_code == wrong_name.status_code == 422
    assert unknown.json()["code"] == wrong_name.json()["code"] == "RELATIVE_NOT_MATCHED"
    assert unknown.json()["detail"] == wrong_name.json()["detail"]
    assert unknown.json()["params"] == wrong_name.json()["params"] == {}


def test_hlj_7_the_name_is_required(api, family):
    payer, wife, _, _ = family
    r = bind(api, payer, wife.id_number, None)
    assert (r.status_code, r.json()["code"]) == (422, "INVALID_REQUEST")
    assert [e["field"] for e in r.json()["errors"]] == ["beneficiary_name"]


def test_hlj_7_staff_give_the_name_too(api, family):
    payer, wife, _, _ = family
    staff = api.staff()
    r = bind(api, payer, wife.id_number, "王秀兰", headers=staff, payer_id_number=payer.id_number,
             channel="counter")
    assert (r.status_code, r.json()["code"]) == (422, "RELATIVE_NOT_MATCHED"), r.text


def test_n_2_a_sibling_forty_years_older_is_refused_one_six_years_younger_bound(api, family):
    payer, _, old_brother, brother = family
    headers = api.person(payer)
    r = bind(api, payer, old_brother.id_number, old_brother.name, relationship="sibling", headers=headers)
    assert (r.status_code, r.json()["code"]) == (422, "RELATIONSHIP_IMPLAUSIBLE"), r.text
    r = bind(api, payer, brother.id_number, brother.name, relationship="sibling", headers=headers, key="b-2")
    assert r.status_code == 201, r.text


def test_binding_attempts_are_limited_per_payer(api, family):
    """Wrong names tried one after another: past the limit the payer's next request is refused with 429, the right
    name too, until the oldest attempt has left the window; another payer is not affected."""
    payer, wife, _, brother = family
    headers = api.person(payer)
    limit = api.settings.binding_attempts_per_person
    for n in range(limit):
        r = bind(api, payer, wife.id_number, f"王{n}", headers=headers, key=f"g-{n}")
        assert r.json()["code"] == "RELATIVE_NOT_MATCHED", r.text
    before = snapshot(api.world)
    r = bind(api, payer, wife.id_number, wife.name, headers=headers, key="right")
    assert (r.status_code, r.json()["code"]) == (429, "BINDING_ATTEMPTS_THROTTLED"), r.text
    assert int(r.headers["Retry-After"]) > 0
    assert snapshot(api.world) == before
    staff = api.staff()  # staff binding for him count against the same payer
    r = bind(api, payer, wife.id_number, wife.name, headers=staff, key="staff-1", payer_id_number=payer.id_number,
             channel="counter")
    assert r.status_code == 429

    r = bind(api, brother, payer.id_number, payer.name, relationship="sibling", key="other")
    assert r.json()["code"] != "BINDING_ATTEMPTS_THROTTLED", r.text

    api.advance(hours=api.settings.binding_window_hours, seconds=1)
    r = bind(api, payer, wife.id_number, wife.name, key="later")
    assert r.status_code == 201, r.text


def test_the_attempts_are_kept_under_a_key_that_names_nobody(api, family):
    payer, wife, _, _ = family
    bind(api, payer, wife.id_number, "王秀兰")
    rows = api.world.db.read(lambda s: s.execute(__import__("sqlalchemy").text(
        "SELECT account, client FROM login_attempts")).all())
    assert rows == [(throttle.account_key("binding", str(payer.id)), throttle.NO_CLIENT)]
    assert payer.id_number not in rows[0][0] and str(payer.id) != rows[0][0]
