"""Changing a binding over HTTP: the monthly limit (PP-1), the payer order (WL-1), pause and resume (D-3), a
corrected relationship with a new consent (N-7); each change notifies the sides it concerns.

Rules: PP-1, WL-1, D-3, N-7, N-8.
"""

from __future__ import annotations

from datetime import date

import pytest

AGREEMENT = "HLJ-2024.07"


@pytest.fixture
def bound(api):
    w = api.world
    w.institution()
    payer = w.person("李建国", current_fen=50_000, born=date(1960, 3, 1))
    relative = w.person("李小红", sex="F", born=date(1990, 5, 1))
    binding_id = w.bind(payer, relative, "child")
    return payer, relative, binding_id


def test_pp_1_payer_sets_a_limit_the_relative_sees_only_that_there_is_one(api, bound):
    """PP-1: the payer sets the limit; the relative sees "limited" but not the amount; settlement respects it."""
    payer, relative, binding_id = bound
    r = api.client.put(f"/v1/bindings/{binding_id}/monthly-limit", json={"monthly_limit_fen": 3_000},
                       headers=api.person(payer))
    assert r.status_code == 200, r.text
    assert r.json()["monthly_limit_fen"] == 3_000 and r.json()["limited"] is True
    seen = api.client.get(f"/v1/bindings/{binding_id}", headers=api.person(relative)).json()
    assert seen["limited"] is True and seen["monthly_limit_fen"] is None
    refused = api.client.put(f"/v1/bindings/{binding_id}/monthly-limit", json={"monthly_limit_fen": 90_000},
                             headers=api.person(relative))
    assert refused.status_code == 403 and refused.json()["code"] == "FORBIDDEN"
    result = api.world.settle(relative, 5_000)
    assert (result.mutual_aid_fen, result.cash_fen) == (3_000, 2_000)
    staff = api.client.put(f"/v1/bindings/{binding_id}/monthly-limit", json={"monthly_limit_fen": None,
                                                                            "channel": "counter"},
                           headers=api.staff())
    assert staff.status_code == 200 and staff.json()["limited"] is False


def test_d_3_either_side_pauses_and_resumes_and_both_are_told(api, bound):
    """D-3: a pause is an event both sides are told of; a paused binding pays nothing."""
    payer, relative, binding_id = bound
    r = api.client.post(f"/v1/bindings/{binding_id}/pause", json={"note": "暂时不用"}, headers=api.person(relative))
    assert r.status_code == 200 and r.json()["paused"] is True
    again = api.client.post(f"/v1/bindings/{binding_id}/pause", json={}, headers=api.person(payer))
    assert again.status_code == 409 and again.json()["code"] == "BINDING_ALREADY_PAUSED"
    assert api.world.settle(relative, 1_000).cash_fen == 1_000
    for who in (payer, relative):
        titles = [n["title"] for n in api.client.get(f"/v1/people/{who.id}/notifications",
                                                     headers=api.person(who)).json()["items"]]
        assert "家庭共济绑定已暂停" in titles
    r = api.client.post(f"/v1/bindings/{binding_id}/resume", json={}, headers=api.person(payer))
    assert r.status_code == 200 and r.json()["paused"] is False
    assert api.world.settle(relative, 1_000).mutual_aid_fen == 1_000


def test_wl_1_and_n_7_order_and_relationship_change_without_unbinding(api, bound):
    """WL-1: the order is editable; N-7: a corrected relationship needs the agreement accepted again, and is
    refused when implausible (a daughter born after him is no parent)."""
    payer, relative, binding_id = bound
    r = api.client.put(f"/v1/bindings/{binding_id}/priority", json={"priority": 2}, headers=api.person(relative))
    assert r.status_code == 200 and r.json()["priority"] == 2
    no_consent = api.client.put(f"/v1/bindings/{binding_id}/relationship", json={"relationship": "sibling"},
                                headers=api.person(payer))
    assert no_consent.json()["code"] == "CONSENT_REQUIRED"
    implausible = api.client.put(f"/v1/bindings/{binding_id}/relationship",
                                 json={"relationship": "parent", "agreement_version": AGREEMENT},
                                 headers=api.person(payer))
    assert implausible.json()["code"] == "RELATIONSHIP_IMPLAUSIBLE"
    by_relative = api.client.put(f"/v1/bindings/{binding_id}/relationship",
                                 json={"relationship": "sibling", "agreement_version": AGREEMENT},
                                 headers=api.person(relative))
    assert by_relative.json()["code"] == "FORBIDDEN"
    r = api.client.put(f"/v1/bindings/{binding_id}/relationship",
                       json={"relationship": "sibling", "agreement_version": AGREEMENT}, headers=api.person(payer))
    assert r.status_code == 200 and r.json()["relationship"] == "sibling" and r.json()["state"] == "active"
