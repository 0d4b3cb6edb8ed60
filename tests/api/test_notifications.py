"""Notifications over HTTP (HZ-4, N-9): a binding tells both sides; each reads only his own, in his language."""

from __future__ import annotations

from datetime import date


def test_a_binding_notifies_both_sides_and_each_reads_his_own(api):
    w = api.world
    payer = w.person("李建国", current_fen=50_000, born=date(1960, 3, 1))
    wife = w.person("王秀英", sex="F", born=date(1962, 5, 1))
    r = api.client.post("/v1/bindings", headers={**api.person(payer), "Idempotency-Key": "b-1"}, json={
        "beneficiary_id_number": wife.id_number, "beneficiary_name": wife.name, "relationship": "spouse",
        "agreement_version": "HLJ-2024.07"})
    assert r.status_code == 201, r.text

    mine = api.client.get(f"/v1/people/{payer.id}/notifications", headers=api.person(payer)).json()
    hers = api.client.get(f"/v1/people/{wife.id}/notifications",
                          headers={**api.person(wife), "Accept-Language": "en"}).json()
    assert (mine["total"], mine["unread"], hers["total"]) == (1, 1, 1)
    assert mine["items"][0]["kind"] == hers["items"][0]["kind"] == "binding.created"
    assert "王秀英" in mine["items"][0]["body"] and mine["items"][0]["language"] == "zh"
    assert hers["items"][0]["language"] == "en" and "李建国" in hers["items"][0]["body"]
    assert wife.id_number not in mine["items"][0]["body"]  # messages never carry ID numbers

    nid = mine["items"][0]["id"]
    r = api.client.post(f"/v1/people/{wife.id}/notifications/{nid}/read", headers=api.person(wife))
    assert (r.status_code, r.json()["code"]) == (404, "NOTIFICATION_NOT_FOUND")  # not hers: as if not there
    r = api.client.post(f"/v1/people/{payer.id}/notifications/{nid}/read", headers=api.person(wife))
    assert (r.status_code, r.json()["code"]) == (403, "FORBIDDEN")  # not her page
    r = api.client.post(f"/v1/people/{payer.id}/notifications/{nid}/read", headers=api.person(payer))
    assert r.status_code == 200 and r.json()["read_at"] is not None
    assert api.client.get(f"/v1/people/{payer.id}/notifications", headers=api.person(payer)).json()["unread"] == 0
    r = api.client.post(f"/v1/people/{wife.id}/notifications/read", headers=api.person(wife))
    assert r.json() == {"marked": 1}
    staff = api.staff()
    assert api.client.get(f"/v1/people/{wife.id}/notifications", headers=staff).json()["total"] == 1
    outsider = api.staff("S4101", region_prefix="4101")
    assert api.client.get(f"/v1/people/{wife.id}/notifications", headers=outsider).status_code == 403
