"""Bindings and families over HTTP: who may do what, idempotent changes, errors in words.

Rules: N-2, N-7, N-8 (counter checklist), HLJ-2 (re-bind wait), HLJ-8 (either side unbinds), HLJ-9,
HN-1 and HN-7 (families), and the masking of ID numbers for everyone but their owner.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.factories import snapshot

AGREEMENT = "HLJ-2024.07"


@pytest.fixture
def couple(api):
    w = api.world
    husband = w.person("李建国", current_fen=50_000, born=__import__("datetime").date(1960, 3, 1))
    wife = w.person("王秀英", sex="F", born=__import__("datetime").date(1962, 5, 1))
    return husband, wife


def bind(api, payer, beneficiary, key="bind-1", headers=None, **extra):
    body = {"beneficiary_id_number": beneficiary.id_number, "beneficiary_name": beneficiary.name,
            "relationship": "spouse", "agreement_version": AGREEMENT, **extra}
    return api.client.post("/v1/bindings", json=body,
                           headers={**(headers or api.person(payer)), "Idempotency-Key": key})


def test_payer_binds_spouse_and_both_sides_see_it_with_the_other_masked(api, couple):
    """N-2, N-7: the payer binds for himself; the beneficiary sees the binding; each sees the other masked."""
    husband, wife = couple
    r = bind(api, husband, wife)
    assert r.status_code == 201, r.text
    view = r.json()
    assert view["payer"]["id_number"] == husband.id_number  # his own, in full
    assert view["beneficiary"]["id_number"] == wife.id_number[:4] + "*" * 10 + wife.id_number[-4:]
    assert view["state"] == "active" and view["relationship"] == "spouse" and view["channel"] == "portal"
    assert view["agreement_version"] == AGREEMENT and view["documents"] is None

    seen = api.client.get(f"/v1/bindings/{view['binding_id']}", headers=api.person(wife)).json()
    assert seen["beneficiary"]["id_number"] == wife.id_number
    assert seen["payer"]["id_number"] != husband.id_number and seen["payer"]["id_number"].startswith("2301")

    records = api.client.get(f"/v1/people/{wife.id}/bindings", headers=api.person(wife)).json()
    assert [(i["role"], i["other_name"]) for i in records["items"]] == [("beneficiary", "李建国")]


def test_a_retry_gets_the_first_answer_and_binds_once(api, couple):
    """N-10 (no double effect): the same Idempotency-Key replays the stored answer."""
    husband, wife = couple
    first = bind(api, husband, wife, key="k-1")
    again = bind(api, husband, wife, key="k-1")
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    listed = api.client.get(f"/v1/people/{husband.id}/bindings", headers=api.person(husband)).json()
    assert listed["total"] == 1


def test_the_same_key_for_another_request_is_refused(api, couple):
    husband, wife = couple
    bind(api, husband, wife, key="k-1")
    before = snapshot(api.world)
    r = bind(api, husband, wife, key="k-1", end_on="2026-01-01")
    assert r.status_code == 409 and r.json()["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert snapshot(api.world) == before


def test_a_change_without_an_idempotency_key_is_refused(api, couple):
    husband, wife = couple
    headers = api.person(husband)
    before = snapshot(api.world)
    r = api.client.post("/v1/bindings", json={"beneficiary_id_number": wife.id_number, "beneficiary_name": wife.name,
                                              "relationship": "spouse", "agreement_version": AGREEMENT},
                        headers=headers)
    assert r.status_code == 428 and r.json()["code"] == "IDEMPOTENCY_KEY_REQUIRED"
    assert snapshot(api.world) == before


@pytest.mark.parametrize(("change", "status", "code", "field"), [
    ({"beneficiary_id_number": "230100196205010001"}, 422, "INVALID_ID_NUMBER", None),  # wrong check digit
    ({"relationship": "neighbour"}, 422, "INVALID_REQUEST", "relationship"),
    ({"start_on": "2025-06-01"}, 422, "DATE_IN_PAST", None),
    ({"start_on": "2025-13-01"}, 422, "INVALID_REQUEST", "start_on"),
    ({"priority": 1.5}, 422, "INVALID_REQUEST", "priority"),
    ({"surprise": 1}, 422, "INVALID_REQUEST", "surprise"),
    ({"agreement_version": None}, 422, "CONSENT_REQUIRED", None),
])
def test_bad_input_is_refused_in_words_and_changes_nothing(api, couple, change, status, code, field):
    """Bad input: a clear error with a stable code, the field named, nothing changed (N-7 consent)."""
    husband, wife = couple
    headers = api.person(husband)
    before = snapshot(api.world)
    body = {"beneficiary_id_number": wife.id_number, "beneficiary_name": wife.name, "relationship": "spouse",
            "agreement_version": AGREEMENT, **change}
    r = api.client.post("/v1/bindings", json=body, headers={**headers, "Idempotency-Key": "bad-1"})
    problem = r.json()
    assert (r.status_code, problem["code"]) == (status, code), problem
    assert r.headers["content-type"] == "application/problem+json"
    assert problem["type"] == f"/problems/{code}" and problem["detail"]
    if field:
        assert [e["field"] for e in problem["errors"]] == [field]
    assert snapshot(api.world) == before


def test_errors_speak_the_language_asked_for(api, couple):
    husband, wife = couple
    headers = {**api.person(husband), "Accept-Language": "en-GB,en;q=0.9,zh;q=0.5"}
    r = bind(api, husband, husband, headers=headers)
    assert r.json()["code"] == "SELF_BINDING" and r.headers["content-language"] == "en"
    assert r.json()["detail"].isascii()
    r = bind(api, husband, husband, key="k-zh")
    assert r.headers["content-language"] == "zh-CN" and not r.json()["detail"].isascii()


def test_a_person_cannot_bind_as_someone_else(api, couple):
    husband, wife = couple
    headers = api.person(wife)
    before = snapshot(api.world)
    r = bind(api, wife, husband, payer_id_number=husband.id_number, headers=headers)
    assert r.status_code == 403 and r.json()["code"] == "FORBIDDEN"
    assert snapshot(api.world) == before


def test_others_cannot_see_or_end_a_binding(api, couple):
    husband, wife = couple
    stranger = api.world.person("赵四")
    binding_id = bind(api, husband, wife).json()["binding_id"]
    assert api.client.get(f"/v1/bindings/{binding_id}", headers=api.person(stranger)).status_code == 403
    r = api.client.post(f"/v1/bindings/{binding_id}/unbind", json={},
                        headers={**api.person(stranger), "Idempotency-Key": "u-1"})
    assert r.status_code == 403
    other_region = api.staff("S4101", region_prefix="41")
    r = api.client.post(f"/v1/bindings/{binding_id}/unbind", json={},
                        headers={**other_region, "Idempotency-Key": "u-2"})
    assert (r.status_code, r.json()["code"]) == (403, "OUTSIDE_YOUR_REGION")
    assert api.client.get(f"/v1/bindings/{binding_id}", headers=api.person(husband)).json()["state"] == "active"


def test_beneficiary_unbinds_and_the_rebind_date_is_shown_and_enforced(api, couple):
    """HLJ-8: either side ends the binding; HLJ-2: the same pair binds again only after 30 days."""
    husband, wife = couple
    binding_id = bind(api, husband, wife).json()["binding_id"]
    r = api.client.post(f"/v1/bindings/{binding_id}/unbind", json={"note": "不再需要"},
                        headers={**api.person(wife), "Idempotency-Key": "u-1"})
    assert r.status_code == 200, r.text
    today = api.world.env.today()
    assert r.json()["state"] == "ended" and r.json()["end_reason"] == "by_beneficiary"
    assert r.json()["rebind_possible_from"] == (today + timedelta(days=30)).isoformat()

    r = bind(api, husband, wife, key="bind-2")
    assert (r.status_code, r.json()["code"]) == (409, "REBIND_TOO_SOON")
    assert (today + timedelta(days=30)).isoformat() in r.json()["detail"]

    api.advance(days=30)
    assert bind(api, husband, wife, key="bind-3").status_code == 201


def test_staff_bind_at_the_counter_with_the_checklist(api, couple):
    """N-8, HLJ-9: staff tick the region's documents; the binding records them and the staff member."""
    husband, wife = couple
    staff = api.staff("S2301", region_prefix="2301")
    body = {"payer_id_number": husband.id_number}
    r = bind(api, husband, wife, headers=staff, **body)
    assert (r.status_code, r.json()["code"]) == (422, "COUNTER_DOCUMENTS_MISSING")
    docs = [{"kind": k} for k in ("e_voucher", "id_card", "commitment_letter")]
    r = bind(api, husband, wife, key="bind-2", headers=staff, documents=docs, **body)
    assert r.status_code == 201, r.text
    view = r.json()
    assert view["channel"] == "counter"
    assert sorted(d["kind"] for d in view["documents"]) == ["commitment_letter", "e_voucher", "id_card"]
    assert {d["checked_by"] for d in view["documents"]} == {"S2301"}
    assert view["payer"]["id_number"] != husband.id_number  # staff see it masked


def test_staff_of_another_region_cannot_bind_here(api, couple):
    husband, wife = couple
    staff = api.staff("S4101", region_prefix="4101")
    before = snapshot(api.world)
    r = bind(api, husband, wife, headers=staff, payer_id_number=husband.id_number,
             documents=[{"kind": "id_card"}])
    assert (r.status_code, r.json()["code"]) == (403, "OUTSIDE_YOUR_REGION")
    assert snapshot(api.world) == before


def test_families_over_http(api):
    """HN-1: a family is made by its householder, who adds relatives; HN-7: removing a member ends his bindings."""
    from datetime import date

    w = api.world
    father = w.person("张国强", city="zhengzhou", current_fen=80_000, born=date(1965, 1, 1))
    son = w.person("张伟", city="zhengzhou", born=date(1992, 1, 1))
    outsider = w.person("刘洋", city="zhengzhou")
    h = api.person(father)
    r = api.client.post("/v1/families", json={"name": "张家"}, headers=h)
    assert r.status_code == 201, r.text
    family_id = r.json()["family_id"]
    r = api.client.post(f"/v1/families/{family_id}/members",
                        json={"member_id_number": son.id_number, "relationship": "child"}, headers=h)
    assert r.status_code == 201 and [m["name"] for m in r.json()["members"]] == ["张伟"]

    seen = api.client.get(f"/v1/people/{son.id}/family", headers=api.person(son)).json()
    assert seen["family_id"] == family_id and seen["members"][0]["id_number"] == son.id_number
    assert api.client.get(f"/v1/families/{family_id}", headers=api.person(outsider)).status_code == 403

    r = api.client.post("/v1/bindings", headers={**h, "Idempotency-Key": "b-1"}, json={
        "beneficiary_id_number": son.id_number, "beneficiary_name": son.name, "relationship": "child",
        "agreement_version": "HN-2023.01",
        "documents": [{"kind": "household_register", "file_ref": "upload/1.pdf"}]})
    assert r.status_code == 201, r.text
    binding_id = r.json()["binding_id"]
    r = api.client.delete(f"/v1/families/{family_id}/members/{son.id}", headers={**h, "Idempotency-Key": "rm-1"})
    assert r.status_code == 200 and r.json()["bindings_ended"] == 1
    state = api.client.get(f"/v1/bindings/{binding_id}", headers=h).json()
    assert (state["state"], state["end_reason"]) == ("ended", "member_removed")

    r = api.client.post(f"/v1/families/{family_id}/leave", json={}, headers={**h, "Idempotency-Key": "l-1"})
    assert r.status_code == 200  # the householder of a family with no members dissolves it
    assert api.client.get(f"/v1/people/{father.id}/family", headers=h).json() is None


@pytest.mark.parametrize("where", ["name", "nested"])
def test_text_with_a_nul_character_is_refused_by_name_not_stored(api, where):
    """PostgreSQL stores no NUL in text: such input is a 422 naming the field on both databases, never a 500."""
    staff = api.staff()
    before = snapshot(api.world)
    if where == "name":
        r = api.client.post("/v1/people/search", json={"card_no": "X\x00Y"}, headers=staff)
        field = "card_no"
    else:
        r = api.client.post("/v1/bindings", headers={**staff, "Idempotency-Key": "n-1"}, json={
            "beneficiary_id_number": "230103199001011237", "beneficiary_name": "王秀英", "relationship": "spouse",
            "documents": [{"kind": "id_card", "file_ref": "a\x00b"}]})
        field = "documents.0.file_ref"
    assert (r.status_code, r.json()["code"]) == (422, "INVALID_REQUEST"), r.text
    assert [e["field"] for e in r.json()["errors"]] == [field]
    assert snapshot(api.world) == before
