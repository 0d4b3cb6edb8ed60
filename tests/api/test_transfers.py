"""Transfers of prior-years funds (Hangzhou 330100, HZ-1..HZ-4) and resident contributions paid for a bound
relative (N-5) over HTTP, through the real application on both databases.

The payer acts for himself (never with someone else's account) or staff of his region act for him at a
counter (N-8); every refusal is checked for having changed nothing.
"""

from __future__ import annotations

from datetime import date

import pytest

from gongji.people.ids import mask
from tests.factories import snapshot

HZ_AGREEMENT = "HZ-2020.01"


def funds(api, person) -> tuple[int, int] | None:
    """(current-year, prior-years) balances, or None without a personal account."""
    b = api.world.balances(person)
    return (b.current_year_fen, b.prior_years_fen) if b else None


@pytest.fixture
def hangzhou(api):
    """A Hangzhou payer with 500 yuan of current-year and 1,000 yuan of prior-years funds, and his wife."""
    payer = api.world.person("周建华", city="hangzhou", current_fen=50_000, prior_fen=100_000)
    wife = api.world.person("吴敏", city="hangzhou", sex="F")
    return payer, wife


def transfer(api, headers, beneficiary, amount_fen=30_000, key="t-1", **extra):
    body = {"beneficiary_id_number": beneficiary.id_number, "relationship": "spouse", "amount_fen": amount_fen,
            "agreement_version": HZ_AGREEMENT, **extra}
    return api.client.post("/v1/transfers", json=body, headers={**headers, "Idempotency-Key": key})


# -- transfers (HZ-1..HZ-4) -------------------------------------------------------------------------

def test_hz_1_the_payer_moves_prior_years_funds_to_his_wife(api, hangzhou):
    """HZ-1, HZ-4: the payer, having accepted the commitment, moves prior-years funds; they become hers."""
    payer, wife = hangzhou
    r = transfer(api, api.person(payer), wife, channel="alipay")
    assert r.status_code == 201, r.text
    view = r.json()
    assert view["payer"] == {"person_id": payer.id, "name": "周建华", "id_number": payer.id_number}
    assert view["beneficiary"] == {"person_id": wife.id, "name": "吴敏", "id_number": mask(wife.id_number)}
    assert (view["relationship"], view["amount_fen"], view["region_code"], view["channel"],
            view["agreement_version"], view["on"]) == ("spouse", 30_000, "330100", "alipay", HZ_AGREEMENT,
                                                       "2025-06-02")
    assert funds(api, payer) == (50_000, 70_000)
    assert funds(api, wife) == (0, 30_000)

    seen = api.client.get(f"/v1/transfers/{view['transfer_id']}", headers=api.person(wife))
    assert seen.status_code == 200
    assert seen.json()["beneficiary"]["id_number"] == wife.id_number
    assert seen.json()["payer"]["id_number"] == mask(payer.id_number)
    stranger = api.world.person("孙强", city="hangzhou")
    r = api.client.get(f"/v1/transfers/{view['transfer_id']}", headers=api.person(stranger))
    assert (r.status_code, r.json()["code"]) == (403, "FORBIDDEN")
    r = api.client.get("/v1/transfers/999999", headers=api.person(stranger))
    assert (r.status_code, r.json()["code"]) == (404, "TRANSFER_NOT_FOUND")


def test_a_retry_moves_the_money_once_and_another_body_with_the_key_is_refused(api, hangzhou):
    payer, wife = hangzhou
    headers = api.person(payer)
    first = transfer(api, headers, wife, key="hz-1")
    before = snapshot(api.world)
    again = transfer(api, headers, wife, key="hz-1")
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    r = transfer(api, headers, wife, amount_fen=30_001, key="hz-1")
    assert (r.status_code, r.json()["code"]) == (409, "IDEMPOTENCY_KEY_REUSED")
    assert snapshot(api.world) == before
    assert funds(api, payer) == (50_000, 70_000) and funds(api, wife) == (0, 30_000)


def test_a_person_cannot_move_someone_elses_money(api, hangzhou):
    """HZ-1: only the payer moves his own funds; his wife cannot name him as the payer."""
    payer, wife = hangzhou
    headers = api.person(wife)
    before = snapshot(api.world)
    r = transfer(api, headers, wife, payer_id_number=payer.id_number)
    assert (r.status_code, r.json()["code"]) == (403, "FORBIDDEN")
    assert snapshot(api.world) == before
    assert funds(api, payer) == (50_000, 100_000)


def test_naming_oneself_as_the_payer_is_the_same_as_leaving_it_out(api, hangzhou):
    payer, wife = hangzhou
    r = transfer(api, api.person(payer), wife, amount_fen=1_000, payer_id_number=payer.id_number)
    assert r.status_code == 201, r.text
    assert funds(api, payer) == (50_000, 99_000)


def test_n_8_staff_of_the_region_transfer_at_the_counter_staff_elsewhere_are_refused(api, hangzhou):
    """N-8: a Hangzhou counter acts for a Hangzhou payer; a Harbin counter cannot."""
    payer, wife = hangzhou
    harbin_staff, hangzhou_staff = api.staff(), api.staff("S3301", region_prefix="3301")
    before = snapshot(api.world)
    r = transfer(api, harbin_staff, wife, payer_id_number=payer.id_number)
    assert (r.status_code, r.json()["code"]) == (403, "OUTSIDE_YOUR_REGION")
    r = transfer(api, hangzhou_staff, wife)  # staff must say whose money it is
    assert (r.status_code, r.json()["code"]) == (422, "INVALID_FIELD")
    assert r.json()["params"]["field"] == "payer_id_number"
    assert snapshot(api.world) == before

    r = transfer(api, hangzhou_staff, wife, payer_id_number=payer.id_number)
    assert r.status_code == 201, r.text
    assert r.json()["channel"] == "counter"
    assert r.json()["payer"]["id_number"] == mask(payer.id_number)
    assert funds(api, payer) == (50_000, 70_000) and funds(api, wife) == (0, 30_000)
    seen = api.client.get(f"/v1/transfers/{r.json()['transfer_id']}", headers=harbin_staff)
    assert (seen.status_code, seen.json()["code"]) == (403, "FORBIDDEN")


@pytest.mark.parametrize(("change", "status", "code"), [
    ({"agreement_version": None}, 422, "CONSENT_REQUIRED"),  # HZ-4
    ({"agreement_version": "HZ-2019.01"}, 422, "CONSENT_REQUIRED"),
    ({"amount_fen": 100_001}, 409, "INSUFFICIENT_PRIOR_YEARS"),  # HZ-2
    ({"amount_fen": 12.5}, 422, "INVALID_REQUEST"),
    ({"amount_fen": "30000"}, 422, "INVALID_REQUEST"),
    ({"amount_fen": -1}, 422, "INVALID_REQUEST"),
    ({"relationship": "friend"}, 422, "INVALID_REQUEST"),
    ({"channel": "counter"}, 422, "INVALID_FIELD"),  # a person does not sit at a counter
])
def test_hz_refusals_change_nothing(api, hangzhou, change, status, code):
    """HZ-2 (not above the prior-years balance), HZ-4 (the commitment first), integer fen."""
    payer, wife = hangzhou
    headers = api.person(payer)
    before = snapshot(api.world)
    r = transfer(api, headers, wife, **change)
    problem = r.json()
    assert (r.status_code, problem["code"]) == (status, code), problem
    if code == "INVALID_REQUEST":
        assert [e["field"] for e in problem["errors"]] == list(change)
    assert snapshot(api.world) == before
    assert funds(api, payer) == (50_000, 100_000)


def test_hz_1_only_where_the_region_moves_money_by_transfer(api):
    """HZ-1: Harbin pays through bindings, not transfers."""
    payer = api.world.person("张建国", prior_fen=10_000)
    wife = api.world.person("王秀英", sex="F")
    headers = api.person(payer)
    before = snapshot(api.world)
    r = transfer(api, headers, wife, amount_fen=1_000, agreement_version="HLJ-2024.07")
    assert (r.status_code, r.json()["code"]) == (409, "TRANSFER_NOT_OFFERED")
    assert snapshot(api.world) == before


# -- resident contributions (N-5) -------------------------------------------------------------------

@pytest.fixture
def harbin(api):
    """A Harbin payer bound to his resident daughter (Heilongjiang allows 'resident_contribution')."""
    payer = api.world.person("张建国", current_fen=30_000, prior_fen=70_000)
    daughter = api.world.person("张小红", born=date(2003, 3, 3), sex="F", scheme="resident")
    binding_id = api.world.bind(payer, daughter, "child")
    return payer, daughter, binding_id


def contribute(api, headers, beneficiary, amount_fen=40_000, key="rc-1", **extra):
    body = {"beneficiary_id_number": beneficiary.id_number, "year": 2025, "amount_fen": amount_fen, **extra}
    return api.client.post("/v1/resident-contributions", json=body, headers={**headers, "Idempotency-Key": key})


def test_n_5_a_bound_payer_pays_his_daughters_resident_contribution(api, harbin):
    """N-5, D-1: 400 yuan from the payer's account, current-year funds first; a retry pays nothing more."""
    payer, daughter, binding_id = harbin
    headers = api.person(payer)
    r = contribute(api, headers, daughter, channel="wechat")
    assert r.status_code == 201, r.text
    view = r.json()
    assert (view["binding_id"], view["year"], view["amount_fen"], view["channel"], view["on"]) == (
        binding_id, 2025, 40_000, "wechat", "2025-06-02")
    assert view["payer"]["id_number"] == payer.id_number
    assert view["beneficiary"] == {"person_id": daughter.id, "name": "张小红", "id_number": mask(daughter.id_number)}
    assert funds(api, payer) == (0, 60_000)

    before = snapshot(api.world)
    again = contribute(api, headers, daughter, channel="wechat")
    assert again.json() == view and again.headers["Idempotent-Replayed"] == "true"
    r = contribute(api, headers, daughter, key="rc-2")
    assert (r.status_code, r.json()["code"]) == (409, "CONTRIBUTION_ALREADY_PAID")
    assert snapshot(api.world) == before
    assert funds(api, payer) == (0, 60_000)


def test_n_5_refusals_change_nothing(api, harbin):
    """N-5: only a bound payer pays, only the set amount, only from his own account."""
    payer, daughter, _ = harbin
    stranger = api.world.person("李四", current_fen=90_000)
    payer_headers, daughter_headers, stranger_headers = api.person(payer), api.person(daughter), api.person(stranger)
    before = snapshot(api.world)
    r = contribute(api, stranger_headers, daughter)
    assert (r.status_code, r.json()["code"]) == (409, "NOT_BOUND")
    r = contribute(api, daughter_headers, daughter, payer_id_number=payer.id_number)
    assert (r.status_code, r.json()["code"]) == (403, "FORBIDDEN")
    r = contribute(api, payer_headers, daughter, amount_fen=30_000)
    assert (r.status_code, r.json()["code"]) == (422, "CONTRIBUTION_AMOUNT")
    r = contribute(api, payer_headers, daughter, amount_fen=400.0)
    assert (r.status_code, r.json()["code"]) == (422, "INVALID_REQUEST")
    assert [e["field"] for e in r.json()["errors"]] == ["amount_fen"]
    assert snapshot(api.world) == before
    assert funds(api, payer) == (30_000, 70_000) and funds(api, stranger) == (90_000, 0)


def test_n_8_staff_pay_a_contribution_at_the_counter(api, harbin):
    """N-8, N-5: Harbin staff pay for a Harbin payer; staff of another region cannot."""
    payer, daughter, _ = harbin
    elsewhere = api.staff("S4101", region_prefix="41")
    before = snapshot(api.world)
    r = contribute(api, elsewhere, daughter, payer_id_number=payer.id_number)
    assert (r.status_code, r.json()["code"]) == (403, "OUTSIDE_YOUR_REGION")
    assert snapshot(api.world) == before
    r = contribute(api, api.staff(), daughter, payer_id_number=payer.id_number)
    assert r.status_code == 201, r.text
    assert r.json()["channel"] == "counter"
    assert funds(api, payer) == (0, 60_000)


def test_institutions_cannot_move_relatives_money(api, harbin):
    payer, daughter, _ = harbin
    hospital = api.institution()
    before = {k: v for k, v in snapshot(api.world).items() if k != "seen_nonces"}
    r = api.client.post("/v1/resident-contributions", auth=hospital, headers={"Idempotency-Key": "rc-1"}, json={
        "payer_id_number": payer.id_number, "beneficiary_id_number": daughter.id_number, "year": 2025,
        "amount_fen": 40_000})
    assert (r.status_code, r.json()["code"]) == (403, "FORBIDDEN")
    assert {k: v for k, v in snapshot(api.world).items() if k != "seen_nonces"} == before
