"""The list of a person's bindings shows a pause (D-3) and the monthly limit (PP-1) as the single binding does: the
amount to the payer and staff, to the relative only that a limit exists.

Rules: PP-1, D-3, HLJ-8, N-9.
"""

from __future__ import annotations

from datetime import date


def _listed(api, person, headers):
    r = api.client.get(f"/v1/people/{person.id}/bindings", headers=headers)
    assert r.status_code == 200, r.text
    (item,) = r.json()["items"]
    return item


def test_pp_1_d_3_the_list_shows_the_pause_and_the_limit_to_whom_it_may(api):
    w = api.world
    w.institution()
    payer = w.person("李建国", current_fen=50_000, born=date(1960, 3, 1))
    relative = w.person("李小红", sex="F", born=date(1990, 5, 1))
    binding_id = w.bind(payer, relative, "child")
    first = _listed(api, payer, api.person(payer))
    assert (first["paused"], first["limited"], first["monthly_limit_fen"]) == (False, False, None)

    r = api.client.put(f"/v1/bindings/{binding_id}/monthly-limit", json={"monthly_limit_fen": 3_000},
                       headers=api.person(payer))
    assert r.status_code == 200, r.text
    r = api.client.post(f"/v1/bindings/{binding_id}/pause", json={}, headers=api.person(relative))
    assert r.status_code == 200, r.text

    mine = _listed(api, payer, api.person(payer))
    assert (mine["role"], mine["paused"], mine["limited"], mine["monthly_limit_fen"]) == ("payer", True, True, 3_000)
    theirs = _listed(api, relative, api.person(relative))
    assert (theirs["role"], theirs["paused"], theirs["limited"], theirs["monthly_limit_fen"]) == (
        "beneficiary", True, True, None)
    for person in (payer, relative):
        staff = _listed(api, person, api.staff())
        assert (staff["paused"], staff["limited"], staff["monthly_limit_fen"]) == (True, True, 3_000)
    single = api.client.get(f"/v1/bindings/{binding_id}", headers=api.person(relative)).json()
    assert {k: single[k] for k in ("paused", "limited", "monthly_limit_fen")} == {
        k: theirs[k] for k in ("paused", "limited", "monthly_limit_fen")}

    api.client.post(f"/v1/bindings/{binding_id}/resume", json={}, headers=api.person(payer))
    assert _listed(api, relative, api.person(relative))["paused"] is False
