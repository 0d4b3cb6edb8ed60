"""Quotes, settlements, refunds and cancellations over HTTP, through the real application on both databases.

Rules: N-3 and N-10 (own account, then the payer's, then cash), WL-1 (payer order set at binding),
N-4 (the patient's own card), HN-5 (a refund goes back to the account that paid), and who may see
what: an institution only its own settlements, staff those of their region, a patient his own; a
hospital sees amounts, names and masked ID numbers of the payers, never a balance or why a payer
did not pay.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from gongji.authorizations import service as authorizations
from gongji.errors import CATALOGUE
from gongji.events.models import Event
from gongji.people.ids import compose_id_number, issuing_region, mask
from tests.factories import STAFF, snapshot

HOSPITAL = "H23010100001"
OTHER_HOSPITAL = "H23010100002"
ULANQAB_HOSPITAL = "H15090100001"


def state(api) -> dict[str, list[str]]:
    """Every table but the nonces of signed requests (each request, refused or not, records its own)."""
    tables = snapshot(api.world)
    tables.pop("seen_nonces")
    return tables


@pytest.fixture
def harbin(api):
    """A Harbin hospital; a father with 300 yuan bound to his daughter, who has 10 yuan of her own."""
    hospital = api.institution(HOSPITAL)
    father = api.world.person("张建国", born=date(1975, 5, 1), current_fen=30_000)
    daughter = api.world.person("张丽", born=date(2000, 5, 1), sex="F", current_fen=1_000)
    binding_id = api.world.bind(father, daughter, "child")
    return hospital, father, daughter, binding_id


def settle(api, auth, patient, amount_fen=50_000, key="s-1", **extra):
    body = {"patient_id_number": patient.id_number, "amount_fen": amount_fen, "use": "outpatient", **extra}
    return api.client.post("/v1/settlements", json=body, auth=auth, headers={"Idempotency-Key": key})


def refund(api, settlement_id, key="r-1", auth=None, headers=None, **body):
    return api.client.post(f"/v1/settlements/{settlement_id}/refunds", json=body, auth=auth,
                           headers={**(headers or {}), "Idempotency-Key": key})


def cancel(api, settlement_id, key="c-1", auth=None, headers=None):
    return api.client.post(f"/v1/settlements/{settlement_id}/cancel", auth=auth,
                           headers={**(headers or {}), "Idempotency-Key": key})


def shown(person) -> dict[str, str]:
    return {"name": person.name, "id_number": mask(person.id_number)}


# -- settling --------------------------------------------------------------------------------------

def test_n_10_n_3_a_bill_is_paid_by_own_account_then_the_payer_then_cash(api, harbin):
    """N-10, N-3: own account first (10 yuan), the father's account what remains (300 yuan), cash the rest;
    the hospital sees each amount with names and masked ID numbers, and no balance."""
    hospital, father, daughter, _ = harbin
    r = settle(api, hospital, daughter)
    assert r.status_code == 201, r.text
    view = r.json()
    assert (view["amount_fen"], view["own_fen"], view["mutual_aid_fen"], view["cash_fen"], view["account_fen"]) == (
        50_000, 1_000, 30_000, 19_000, 31_000)
    assert view["parts"] == [
        {"payer": shown(daughter), "is_own": True, "fund": "current_year", "amount_fen": 1_000},
        {"payer": shown(father), "is_own": False, "fund": "current_year", "amount_fen": 30_000},
    ]
    assert view["patient"] == shown(daughter)
    assert (view["institution_code"], view["use"], view["status"], view["refunded_fen"], view["refund_ids"]) == (
        HOSPITAL, "outpatient", "settled", 0, [])
    assert view["skipped_payers"] == 0
    assert father.id_number not in r.text and daughter.id_number not in r.text
    assert "balance" not in r.text
    assert api.world.total(daughter) == 0 and api.world.total(father) == 0

    again = api.client.get(f"/v1/settlements/{view['settlement_id']}", auth=hospital).json()
    assert {k: v for k, v in again.items() if k != "skipped_payers"} == {
        k: v for k, v in view.items() if k != "skipped_payers"}


def test_wl_1_payers_pay_in_the_order_set_and_those_not_needed_are_only_counted(api):
    """WL-1: the payer ranked first pays first; payers who did not pay are counted, never explained, and
    nobody's balance is shown."""
    hospital = api.institution(ULANQAB_HOSPITAL, city="ulanqab")
    w = api.world
    grandma = w.person("刘奶奶", city="ulanqab", born=date(1950, 5, 1), sex="F", scheme="resident")
    rich = w.person("刘大", city="ulanqab", born=date(1975, 5, 1), current_fen=90_000)
    first = w.person("刘二", city="ulanqab", born=date(1975, 5, 1), current_fen=2_000)
    unranked = w.person("刘三", city="ulanqab", born=date(1975, 5, 1), current_fen=50_000)
    w.bind(rich, grandma, "parent", priority=2)
    w.bind(first, grandma, "parent", priority=1)
    w.bind(unranked, grandma, "parent")
    r = settle(api, hospital, grandma, amount_fen=10_000)
    assert r.status_code == 201, r.text
    view = r.json()
    assert [(p["payer"], p["amount_fen"]) for p in view["parts"]] == [(shown(first), 2_000), (shown(rich), 8_000)]
    assert (view["own_fen"], view["mutual_aid_fen"], view["cash_fen"]) == (0, 10_000, 0)
    assert view["skipped_payers"] == 1
    assert "刘三" not in r.text and "not_needed" not in r.text and "balance" not in r.text
    assert (w.total(first), w.total(rich), w.total(unranked)) == (0, 82_000, 50_000)


def test_n_10_a_retry_gets_the_same_answer_and_moves_no_money(api, harbin):
    """N-10: the same Idempotency-Key replays the first answer; no second payment."""
    hospital, father, daughter, _ = harbin
    first = settle(api, hospital, daughter, key="bill-7")
    before = state(api)
    again = settle(api, hospital, daughter, key="bill-7")
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert state(api) == before
    assert api.world.total(daughter) == 0 and api.world.total(father) == 0


def test_the_same_key_for_another_bill_is_refused(api, harbin):
    hospital, _, daughter, _ = harbin
    settle(api, hospital, daughter, amount_fen=500, key="bill-7")
    before = state(api)
    r = settle(api, hospital, daughter, amount_fen=600, key="bill-7")
    assert (r.status_code, r.json()["code"]) == (409, "IDEMPOTENCY_KEY_REUSED")
    assert state(api) == before


def test_a_settlement_without_an_idempotency_key_is_refused(api, harbin):
    hospital, _, daughter, _ = harbin
    before = state(api)
    r = api.client.post("/v1/settlements", auth=hospital, json={
        "patient_id_number": daughter.id_number, "amount_fen": 500, "use": "outpatient"})
    assert (r.status_code, r.json()["code"]) == (428, "IDEMPOTENCY_KEY_REQUIRED")
    assert state(api) == before


@pytest.mark.parametrize("amount", [12.5, 1250.0, "1250", -100, 0, None, True])
def test_an_amount_that_is_not_a_positive_whole_number_of_fen_is_refused(api, harbin, amount):
    """Money is integer fen: a float, a string, a negative or zero amount is refused, naming the field."""
    hospital, _, daughter, _ = harbin
    before = state(api)
    r = settle(api, hospital, daughter, amount_fen=amount)
    problem = r.json()
    assert (r.status_code, problem["code"]) == (422, "INVALID_REQUEST"), problem
    assert [e["field"] for e in problem["errors"]] == ["amount_fen"]
    assert state(api) == before


@pytest.mark.parametrize(("change", "status", "code"), [
    ({"use": "groceries"}, 422, "INVALID_REQUEST"),
    ({"institution_code": OTHER_HOSPITAL}, 422, "INVALID_REQUEST"),  # the institution is the signed caller
    ({"certificate": {"type": "insurance_card", "number": "NOT-HERS"}}, 409, "CARD_NOT_PATIENTS"),  # N-4
])
def test_other_bad_requests_change_nothing(api, harbin, change, status, code):
    hospital, father, daughter, _ = harbin
    before = state(api)
    r = settle(api, hospital, daughter, **change)
    assert (r.status_code, r.json()["code"]) == (status, code), r.text
    assert state(api) == before


def test_an_id_number_with_a_wrong_check_digit_is_refused(api, harbin):
    hospital, _, daughter, _ = harbin
    wrong = daughter.id_number[:-1] + ("1" if daughter.id_number[-1] != "1" else "2")
    before = state(api)
    r = api.client.post("/v1/settlements", auth=hospital, headers={"Idempotency-Key": "s-1"},
                        json={"patient_id_number": wrong, "amount_fen": 500, "use": "outpatient"})
    assert (r.status_code, r.json()["code"]) == (422, "INVALID_ID_NUMBER")
    assert state(api) == before


def test_an_unknown_patient_is_not_found(api, harbin):
    hospital = harbin[0]
    born = date(1980, 1, 1)
    stranger = compose_id_number(issuing_region("230100", born), born, 991, "M")
    before = state(api)
    r = api.client.post("/v1/settlements", auth=hospital, headers={"Idempotency-Key": "s-1"},
                        json={"patient_id_number": stranger, "amount_fen": 500, "use": "outpatient"})
    assert (r.status_code, r.json()["code"]) == (404, "PERSON_NOT_FOUND")
    assert state(api) == before


def test_a_patient_insured_in_another_province_is_refused(api, harbin):
    """An institution settles only for patients of its region (the province, as the core decides)."""
    hospital = harbin[0]
    henan = api.world.person("王大明", city="zhengzhou", current_fen=10_000)
    before = state(api)
    r = settle(api, hospital, henan, amount_fen=500)
    assert (r.status_code, r.json()["code"]) == (CATALOGUE["INSTITUTION_OUT_OF_REGION"].status,
                                                 "INSTITUTION_OUT_OF_REGION")
    assert r.status_code in (403, 409)
    assert api.world.total(henan) == 10_000
    assert state(api) == before


def test_people_and_staff_cannot_settle(api, harbin):
    _, father, daughter, _ = harbin
    for headers in (api.person(daughter), api.staff()):
        before = state(api)
        r = api.client.post("/v1/settlements", headers={**headers, "Idempotency-Key": "s-1"}, json={
            "patient_id_number": daughter.id_number, "amount_fen": 500, "use": "outpatient"})
        assert (r.status_code, r.json()["code"]) == (403, "FORBIDDEN")
        assert state(api) == before
    assert api.world.total(daughter) == 1_000


# -- quotes -----------------------------------------------------------------------------------------

def test_n_10_a_quote_shows_the_plan_and_writes_nothing(api, harbin):
    """N-10: a quote (pre-settlement) plans like a settlement and changes no table and no balance."""
    hospital, father, daughter, _ = harbin
    before = state(api)
    r = api.client.post("/v1/quotes", auth=hospital,
                        json={"patient_id_number": daughter.id_number, "amount_fen": 40_000, "use": "outpatient"})
    assert r.status_code == 200, r.text
    quote = r.json()
    assert state(api) == before
    assert (quote["own_fen"], quote["mutual_aid_fen"], quote["cash_fen"], quote["skipped_payers"]) == (
        1_000, 30_000, 9_000, 0)
    assert [(p["payer"], p["amount_fen"]) for p in quote["parts"]] == [(shown(daughter), 1_000),
                                                                       (shown(father), 30_000)]
    assert "balance" not in r.text
    settled = settle(api, hospital, daughter, amount_fen=40_000).json()
    assert {k: settled[k] for k in quote} == quote | {"skipped_payers": 0}


def test_only_institutions_quote(api, harbin):
    _, _, daughter, _ = harbin
    r = api.client.post("/v1/quotes", headers=api.person(daughter),
                        json={"patient_id_number": daughter.id_number, "amount_fen": 400, "use": "outpatient"})
    assert (r.status_code, r.json()["code"]) == (403, "FORBIDDEN")


# -- reading ------------------------------------------------------------------------------------------

def test_the_patient_reads_his_own_settlement_and_nobody_elses(api, harbin):
    """N-9: the patient sees his bill (his own ID number in full, the payer's masked); the payer, another
    institution and staff of another region are refused."""
    hospital, father, daughter, _ = harbin
    settlement_id = settle(api, hospital, daughter).json()["settlement_id"]
    mine = api.client.get(f"/v1/settlements/{settlement_id}", headers=api.person(daughter))
    assert mine.status_code == 200, mine.text
    assert mine.json()["patient"]["id_number"] == daughter.id_number
    assert mine.json()["parts"][1]["payer"] == shown(father)

    own_bill = settle(api, hospital, father, amount_fen=100, key="s-2").json()["settlement_id"]
    r = api.client.get(f"/v1/settlements/{own_bill}", headers=api.person(daughter))
    assert (r.status_code, r.json()["code"]) == (403, "FORBIDDEN")
    r = api.client.get(f"/v1/settlements/{settlement_id}", headers=api.person(father))
    assert (r.status_code, r.json()["code"]) == (403, "FORBIDDEN")
    r = api.client.get(f"/v1/settlements/{settlement_id}", auth=api.institution(OTHER_HOSPITAL))
    assert (r.status_code, r.json()["code"]) == (403, "FORBIDDEN")
    r = api.client.get(f"/v1/settlements/{settlement_id}", headers=api.staff("S4101", region_prefix="41"))
    assert (r.status_code, r.json()["code"]) == (403, "FORBIDDEN")
    r = api.client.get(f"/v1/settlements/{settlement_id}", headers=api.staff())
    assert r.status_code == 200 and r.json()["patient"] == shown(daughter)


def test_unknown_settlements_and_refunds_are_not_found(api, harbin):
    hospital = harbin[0]
    r = api.client.get("/v1/settlements/999999", auth=hospital)
    assert (r.status_code, r.json()["code"]) == (404, "SETTLEMENT_NOT_FOUND")
    r = api.client.get("/v1/refunds/999999", auth=hospital)
    assert (r.status_code, r.json()["code"]) == (404, "REFUND_NOT_FOUND")


# -- refunds and cancellation (HN-5) ------------------------------------------------------------------

def test_hn_5_a_refund_goes_back_to_each_account_that_paid_also_after_unbinding(api, harbin):
    """HN-5: a partial refund returns cash first, then the payer's account; after the binding has ended the
    rest still goes back to the father's account and the daughter's own; the answer says where."""
    hospital, father, daughter, binding_id = harbin
    settlement_id = settle(api, hospital, daughter).json()["settlement_id"]

    r = refund(api, settlement_id, auth=hospital, amount_fen=25_000, reason="退一部分药")
    assert r.status_code == 201, r.text
    first = r.json()
    assert (first["amount_fen"], first["cash_fen"], first["account_fen"], first["reason"]) == (
        25_000, 19_000, 6_000, "退一部分药")
    assert first["parts"] == [{"payer": shown(father), "is_own": False, "fund": "current_year", "amount_fen": 6_000}]
    assert (first["settlement_status"], first["settlement_refunded_fen"]) == ("partially_refunded", 25_000)
    assert api.world.total(father) == 6_000 and api.world.total(daughter) == 0

    api.world.run(lambda s, env: authorizations.unbind(s, env, binding_id=binding_id, actor=STAFF))
    r = refund(api, settlement_id, key="r-2", auth=hospital)
    assert r.status_code == 201, r.text
    rest = r.json()
    assert (rest["amount_fen"], rest["cash_fen"]) == (25_000, 0)
    assert sorted((p["payer"]["name"], p["is_own"], p["amount_fen"]) for p in rest["parts"]) == [
        ("张丽", True, 1_000), ("张建国", False, 24_000)]
    assert rest["settlement_status"] == "refunded"
    assert api.world.total(father) == 30_000 and api.world.total(daughter) == 1_000

    seen = api.client.get(f"/v1/settlements/{settlement_id}", auth=hospital).json()
    assert (seen["status"], seen["refunded_fen"], seen["refund_ids"]) == (
        "refunded", 50_000, [first["refund_id"], rest["refund_id"]])
    by_patient = api.client.get(f"/v1/refunds/{first['refund_id']}", headers=api.person(daughter))
    assert by_patient.status_code == 200
    assert by_patient.json() == first | {"settlement_status": "refunded", "settlement_refunded_fen": 50_000}
    r = api.client.get(f"/v1/refunds/{first['refund_id']}", headers=api.person(father))
    assert (r.status_code, r.json()["code"]) == (403, "FORBIDDEN")


def test_hn_5_staff_of_the_region_refund_at_the_counter(api, harbin):
    """HN-5: a counter refund by staff of the region goes back to the accounts; staff elsewhere are refused."""
    hospital, father, daughter, _ = harbin
    settlement_id = settle(api, hospital, daughter).json()["settlement_id"]
    elsewhere = api.staff("S4101", region_prefix="41")
    before = state(api)
    r = refund(api, settlement_id, headers=elsewhere, amount_fen=30_000)
    assert (r.status_code, r.json()["code"]) == (403, "FORBIDDEN")
    assert state(api) == before

    r = refund(api, settlement_id, headers=api.staff(), amount_fen=30_000, reason="窗口退费")
    assert r.status_code == 201, r.text
    assert (r.json()["cash_fen"], r.json()["account_fen"]) == (19_000, 11_000)
    assert api.world.total(father) == 11_000
    [event] = api.world.db.read(lambda s: [(e.actor_kind, e.actor_id, e.channel) for e in s.execute(
        select(Event).where(Event.kind == "settlement.refunded")).scalars()])
    assert event == ("staff", "S2301", "counter")  # N-8: who refunded, and where
    # The hospital's own key "r-1" is its own: it refunds again rather than getting the counter's refund back.
    r = refund(api, settlement_id, auth=hospital, amount_fen=20_000)
    assert r.status_code == 201 and r.json()["settlement_status"] == "refunded"
    assert api.world.total(father) == 30_000 and api.world.total(daughter) == 1_000


def test_another_institution_cannot_read_refund_or_cancel(api, harbin):
    hospital, father, daughter, _ = harbin
    settlement_id = settle(api, hospital, daughter).json()["settlement_id"]
    other = api.institution(OTHER_HOSPITAL)
    before = state(api)
    for r in (refund(api, settlement_id, auth=other, amount_fen=100), cancel(api, settlement_id, auth=other)):
        assert (r.status_code, r.json()["code"]) == (403, "SETTLEMENT_OF_OTHER_INSTITUTION")
    r = api.client.get(f"/v1/settlements/{settlement_id}", auth=other)
    assert (r.status_code, r.json()["code"]) == (403, "FORBIDDEN")
    assert state(api) == before
    assert api.world.total(father) == 0


def test_people_cannot_refund_their_own_bills(api, harbin):
    hospital, _, daughter, _ = harbin
    settlement_id = settle(api, hospital, daughter).json()["settlement_id"]
    headers = api.person(daughter)
    before = state(api)
    r = refund(api, settlement_id, headers=headers, amount_fen=100)
    assert (r.status_code, r.json()["code"]) == (403, "FORBIDDEN")
    assert state(api) == before


def test_a_refund_above_what_is_left_is_refused(api, harbin):
    hospital, father, daughter, _ = harbin
    settlement_id = settle(api, hospital, daughter).json()["settlement_id"]
    before = state(api)
    r = refund(api, settlement_id, auth=hospital, amount_fen=50_001)
    assert (r.status_code, r.json()["code"]) == (409, "REFUND_EXCEEDS_PAID")
    assert r.json()["params"]["refundable"] == 50_000
    r = refund(api, settlement_id, auth=hospital, amount_fen=12.5)
    assert (r.status_code, r.json()["code"]) == (422, "INVALID_REQUEST")
    assert [e["field"] for e in r.json()["errors"]] == ["amount_fen"]
    assert state(api) == before


def test_hn_5_cancel_returns_everything_once(api, harbin):
    """HN-5: cancelling returns all that is left to where it came from; a retry replays; a second cancel is
    refused."""
    hospital, father, daughter, _ = harbin
    settlement_id = settle(api, hospital, daughter).json()["settlement_id"]
    first = cancel(api, settlement_id, auth=hospital)
    assert first.status_code == 201, first.text
    view = first.json()
    assert (view["amount_fen"], view["cash_fen"], view["reason"], view["settlement_status"]) == (
        50_000, 19_000, "cancelled", "refunded")
    assert sorted((p["payer"]["name"], p["amount_fen"]) for p in view["parts"]) == [("张丽", 1_000), ("张建国", 30_000)]
    assert api.world.total(father) == 30_000 and api.world.total(daughter) == 1_000

    before = state(api)
    again = cancel(api, settlement_id, auth=hospital)
    assert again.status_code == 201 and again.json() == view and again.headers["Idempotent-Replayed"] == "true"
    r = cancel(api, settlement_id, key="c-2", auth=hospital)
    assert (r.status_code, r.json()["code"]) == (409, "SETTLEMENT_FULLY_REFUNDED")
    assert state(api) == before
    assert api.world.total(father) == 30_000


def test_settlements_and_refunds_are_counted_once_in_the_metrics(api, harbin):
    """A settlement and a refund count once each; their retries and a quote count nothing."""
    metrics = pytest.importorskip("gongji.api.metrics")

    def counted() -> tuple[float, ...]:
        value = metrics.REGISTRY.get_sample_value
        return (value("gongji_settlements_total", {"use": "outpatient"}) or 0.0,
                value("gongji_settlement_amount_fen_total", {"part": "mutual_aid"}) or 0.0,
                value("gongji_refunds_total") or 0.0, value("gongji_refund_amount_fen_total") or 0.0)

    hospital, _, daughter, _ = harbin
    start = counted()
    api.client.post("/v1/quotes", auth=hospital,
                    json={"patient_id_number": daughter.id_number, "amount_fen": 40_000, "use": "outpatient"})
    assert counted() == start
    for _ in range(2):
        settlement_id = settle(api, hospital, daughter).json()["settlement_id"]
    assert counted() == (start[0] + 1, start[1] + 30_000, start[2], start[3])
    for _ in range(2):
        assert refund(api, settlement_id, auth=hospital, amount_fen=25_000).status_code == 201
    assert counted() == (start[0] + 1, start[1] + 30_000, start[2] + 1, start[3] + 25_000)
