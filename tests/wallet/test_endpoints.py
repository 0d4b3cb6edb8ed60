"""The wallet over HTTP (WAL-1..WAL-4, HN-9): open, look, send, accept, on both databases."""

from __future__ import annotations

from gongji.people.ids import mask
from tests.api.conftest import api  # noqa: F401  (the application over the test database)
from tests.factories import snapshot
from tests.wallet.conftest import at, family, funds, wallet_balance  # noqa: F401


def send(api, headers, beneficiary, amount_fen=10_000, key="w-1", relationship="spouse", **extra):  # noqa: F811
    body = {"beneficiary_id_number": beneficiary.id_number, "relationship": relationship, "amount_fen": amount_fen,
            **extra}
    return api.client.post("/v1/wallet-transfers", json=body, headers={**headers, "Idempotency-Key": key})


def open_(api, headers, **body):  # noqa: F811
    return api.client.post("/v1/wallets", json=body, headers=headers)


def test_wal_1_hn_9_open_send_accept_over_http(api, family):  # noqa: F811
    """WAL-1, HN-9: the mother in Guangzhou opens her wallet, her son in Harbin sends, she sees and accepts it."""
    payer, _, mother = family
    r = open_(api, api.person(mother))
    assert r.status_code == 201, r.text
    assert (r.json()["status"], r.json()["balance_fen"], r.json()["region_code"]) == ("open", 0, "440100")
    again = open_(api, api.person(mother))
    assert again.status_code == 201 and again.json()["wallet_id"] == r.json()["wallet_id"]

    sent = send(api, api.person(payer), mother, 150_000, relationship="parent")
    assert sent.status_code == 201, sent.text
    view = sent.json()
    assert (view["state"], view["amount_fen"], view["current_year_fen"], view["prior_years_fen"]) == (
        "sent", 150_000, 100_000, 50_000)
    assert view["transfer_no"].startswith("230100-")
    assert view["return_due_at"] == "2025-06-03T06:00:00+08:00"
    assert view["beneficiary"]["id_number"] == mask(mother.id_number)
    replay = send(api, api.person(payer), mother, 150_000, relationship="parent")
    assert replay.json() == view and replay.headers["Idempotent-Replayed"] == "true"

    seen = api.client.get(f"/v1/wallet-transfers/{view['wallet_transfer_id']}", headers=api.person(mother))
    assert seen.status_code == 200
    assert seen.json()["current_year_fen"] is None  # the payer's funds are his own business
    assert seen.json()["payer"]["id_number"] == mask(payer.id_number)

    r = api.client.post(f"/v1/wallet-transfers/{view['wallet_transfer_id']}/accept",
                        headers={**api.person(payer), "Idempotency-Key": "a-1"})
    assert (r.status_code, r.json()["code"]) == (403, "FORBIDDEN")
    r = api.client.post(f"/v1/wallet-transfers/{view['wallet_transfer_id']}/accept",
                        headers={**api.person(mother), "Idempotency-Key": "a-1"})
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "accepted"
    wallet = api.client.get(f"/v1/people/{mother.id}/wallet", headers=api.person(mother))
    assert wallet.status_code == 200 and wallet.json()["balance_fen"] == 150_000
    assert wallet_balance(api.world, mother) == 150_000


def test_wal_2_wal_3_refusals_over_http_change_nothing(api, family):  # noqa: F811
    """WAL-2, WAL-3: over-limit and night-time transfers are refused with their codes; floats and negatives are
    refused as input; nothing changes."""
    payer, wife, _ = family
    open_(api, api.person(wife))
    api.world.env.clock.set(at(2, 22))
    api._tokens.clear()  # logins of 10:00 have expired by 22:00
    headers = api.person(payer)
    before = snapshot(api.world)
    for amount, status, code in ((200_001, 409, "WALLET_AMOUNT_LIMIT"), (100.5, 422, None), (-5, 422, None),
                                 ("100", 422, None)):
        r = send(api, headers, wife, amount, key=f"bad-{amount}")
        assert r.status_code == status, r.text
        if code:
            assert r.json()["code"] == code
    r = send(api, headers, wife, 100, key="night")
    assert (r.status_code, r.json()["code"]) == (409, "WALLET_QUIET_HOURS")
    assert "2025-06-03 06:00" in r.json()["detail"]
    assert snapshot(api.world) == before
    assert funds(api.world, payer) == (100_000, 300_000)


def test_a_wallet_not_yet_opened(api, family):  # noqa: F811
    payer, wife, _ = family
    r = api.client.get(f"/v1/people/{wife.id}/wallet", headers=api.person(wife))
    assert (r.status_code, r.json()["code"]) == (404, "WALLET_NOT_FOUND")
    r = send(api, api.person(payer), wife)
    assert (r.status_code, r.json()["code"]) == (409, "WALLET_NOT_OPEN")
    r = api.client.get("/v1/wallet-transfers/999999", headers=api.person(wife))
    assert (r.status_code, r.json()["code"]) == (404, "WALLET_TRANSFER_NOT_FOUND")


def test_staff_open_and_send_at_the_counter_staff_elsewhere_cannot(api, family):  # noqa: F811
    """N-8: Harbin staff open a wallet and send for a Harbin payer; Zhengzhou staff are refused."""
    payer, wife, _ = family
    staff, elsewhere = api.staff(), api.staff("S4101", region_prefix="4101")
    r = open_(api, elsewhere, id_number=wife.id_number)
    assert (r.status_code, r.json()["code"]) == (403, "OUTSIDE_YOUR_REGION")
    r = open_(api, staff, id_number=wife.id_number)
    assert r.status_code == 201, r.text
    r = send(api, staff, wife, 500, payer_id_number=payer.id_number)
    assert r.status_code == 201 and r.json()["channel"] == "counter"
    r = api.client.post(f"/v1/wallet-transfers/{r.json()['wallet_transfer_id']}/accept",
                        headers={**elsewhere, "Idempotency-Key": "x"})
    assert (r.status_code, r.json()["code"]) == (403, "OUTSIDE_YOUR_REGION")
