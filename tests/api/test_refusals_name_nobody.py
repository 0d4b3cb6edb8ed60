"""Refusals name nobody the caller may not see (issue 15): OUTSIDE_YOUR_REGION says what was refused (this person,
this binding, this family) and the caller's region, never whose it is; OUT_OF_SCOPE says what the region requires,
not where the relative is insured (N-6, SZ-2). The counter's pages say the same.
"""

from __future__ import annotations

from datetime import date

from tests.api.test_bindings import AGREEMENT


def shown(response) -> str:
    """Everything the caller gets: the detail in both languages and the params."""
    return response.text


def test_staff_of_another_region_learn_no_name_of_a_person_a_binding_or_a_family(api):
    w = api.world
    payer = w.person("李建国", current_fen=50_000, born=date(1960, 3, 1))
    wife = w.person("王秀英", sex="F", born=date(1962, 5, 1))
    binding = api.client.post("/v1/bindings", headers={**api.person(payer), "Idempotency-Key": "b-1"}, json={
        "beneficiary_id_number": wife.id_number, "beneficiary_name": wife.name, "relationship": "spouse",
        "agreement_version": AGREEMENT})
    assert binding.status_code == 201, binding.text
    family = api.client.post("/v1/families", headers=api.person(payer), json={"name": "李氏一家"})
    assert family.status_code == 201, family.text
    zhengzhou = api.staff("S4101", region_prefix="4101")
    for language in ("zh", "en"):
        h = {**zhengzhou, "Accept-Language": language}
        answers = [
            api.client.get(f"/v1/people/{payer.id}", headers=h),
            api.client.post("/v1/people/search", json={"id_number": wife.id_number}, headers=h),
            api.client.get(f"/v1/bindings/{binding.json()['binding_id']}", headers=h),
            api.client.get(f"/v1/families/{family.json()['family_id']}", headers=h),
        ]
        for r in answers:
            assert (r.status_code, r.json()["code"]) == (403, "OUTSIDE_YOUR_REGION"), r.text
            for secret in ("李建国", "王秀英", "李氏一家", payer.id_number, wife.id_number):
                assert secret not in shown(r), (secret, r.text)
            assert "4101" in r.json()["detail"]


def test_out_of_scope_says_what_the_region_requires_not_where_the_relative_is(api):
    w = api.world
    payer = w.person("李建国", current_fen=50_000, born=date(1960, 3, 1))
    wife = w.person("王秀英", city="zhengzhou", sex="F", born=date(1962, 5, 1))
    for language in ("zh", "en"):
        r = api.client.post("/v1/bindings", headers={**api.person(payer), "Idempotency-Key": f"b-{language}",
                                                     "Accept-Language": language}, json={
            "beneficiary_id_number": wife.id_number, "beneficiary_name": wife.name, "relationship": "spouse",
            "agreement_version": AGREEMENT})
        assert (r.status_code, r.json()["code"]) == (409, "OUT_OF_SCOPE"), r.text
        for secret in ("王秀英", "郑州", "Zhengzhou", "河南", "Henan", "410100"):
            assert secret not in shown(r), (secret, r.text)
        assert ("同一省份" if language == "zh" else "same province") in r.json()["detail"]
