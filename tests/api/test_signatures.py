"""Signed institution requests: each nonce is accepted once, whether the request succeeded or was refused; a
signature holds only for what it signed, within five minutes, by an active institution with its current secret.

A settlement's signature is checked, and its nonce recorded, in the settlement's own transaction; these tests
hold that this changes nothing a caller can see. A refused signature changes nothing and uses up no nonce (its
record as an ``access.refused`` event aside, tests/events).
Rules: N-10 (a replayed request pays nothing), N-4. (A secret replaced by a new one: test_administration.py.)
"""

from __future__ import annotations

import hashlib
import hmac
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from sqlalchemy import func, select

from gongji.actors import Actor
from gongji.auth.models import SeenNonce
from gongji.auth.signing import INSTITUTION, NONCE, SIGNATURE, TIMESTAMP, signed_headers
from gongji.institutions import service as institutions
from gongji.settlement.models import Settlement
from tests.factories import snapshot

HOSPITAL = "H23010100001"


def signed_post(api, auth, path: str, body, *, nonce: str, key: str, secret: str | None = None):
    """POST with the headers signed once: sending it twice sends the very same request (the same nonce)."""
    content = json.dumps(body).encode()
    headers = signed_headers(auth.code, secret or auth.secret, "POST", path, content,
                             timestamp=int(api.world.env.now().timestamp()), nonce=nonce, idempotency_key=key)
    return lambda: api.client.post(path, content=content, headers={
        **headers, "Content-Type": "application/json", "Idempotency-Key": key})


def count(api, model) -> int:
    return api.world.db.read(lambda s: s.execute(select(func.count()).select_from(model)).scalar_one())


def nonces(api) -> list[str]:
    return api.world.db.read(lambda s: list(s.execute(select(SeenNonce.nonce).order_by(SeenNonce.nonce)).scalars()))


def test_a_replayed_settlement_is_refused_and_pays_nothing(api):
    """N-10: the same signed request sent again (same nonce) is a replay: refused, no second payment."""
    hospital = api.institution(HOSPITAL)
    patient = api.world.person("张丽", born=date(2000, 5, 1), sex="F", current_fen=10_000)
    body = {"patient_id_number": patient.id_number, "amount_fen": 3_000, "use": "outpatient"}
    send = signed_post(api, hospital, "/v1/settlements", body, nonce="nonce-settle-0000001", key="s-1")
    first = send()
    assert first.status_code == 201, first.text
    again = send()
    assert again.status_code == 401 and again.json()["code"] == "SIGNATURE_REPLAYED", again.text
    assert count(api, Settlement) == 1 and api.world.total(patient) == 7_000
    assert nonces(api) == ["nonce-settle-0000001"]


def test_a_refused_settlement_still_uses_up_its_nonce(api):
    """N-4: a settlement refused in its work (a card that is not the patient's) records its nonce all the same."""
    hospital = api.institution(HOSPITAL)
    patient = api.world.person("张丽", born=date(2000, 5, 1), sex="F", current_fen=10_000)
    body = {"patient_id_number": patient.id_number, "amount_fen": 3_000, "use": "outpatient",
            "certificate": {"type": "id_card", "number": "110101199003070011"}}
    send = signed_post(api, hospital, "/v1/settlements", body, nonce="nonce-refused-000001", key="s-1")
    first = send()
    assert first.status_code == 409 and first.json()["code"] == "CARD_NOT_PATIENTS", first.text
    again = send()
    assert again.status_code == 401 and again.json()["code"] == "SIGNATURE_REPLAYED", again.text
    assert count(api, Settlement) == 0 and nonces(api) == ["nonce-refused-000001"]


def test_a_request_whose_body_is_refused_still_uses_up_its_nonce(api):
    """A well-signed request with a malformed body is refused as such, and its nonce is spent."""
    hospital = api.institution(HOSPITAL)
    send = signed_post(api, hospital, "/v1/settlements", {"amount_fen": "many"}, nonce="nonce-badbody-000001",
                       key="s-1")
    first = send()
    assert first.status_code == 422 and first.json()["code"] != "SIGNATURE_INVALID", first.text
    again = send()
    assert again.status_code == 401 and again.json()["code"] == "SIGNATURE_REPLAYED", again.text


def test_a_bad_signature_is_told_first_and_leaves_nothing(api):
    """A wrong secret is refused before anything else is looked at, a malformed body included; nothing is
    recorded, not even the nonce."""
    hospital = api.institution(HOSPITAL)
    patient = api.world.person("张丽", born=date(2000, 5, 1), sex="F", current_fen=10_000)
    body = {"patient_id_number": patient.id_number, "amount_fen": 3_000, "use": "outpatient"}
    for sent in (body, {"amount_fen": "many"}):
        forged = signed_post(api, hospital, "/v1/settlements", sent, nonce="nonce-forged-0000001", key="s-1",
                             secret="not-the-secret")()
        assert forged.status_code == 401 and forged.json()["code"] == "SIGNATURE_INVALID", forged.text
    assert count(api, Settlement) == 0 and nonces(api) == [] and api.world.total(patient) == 10_000


def test_a_settlement_resent_at_once_with_one_key_pays_once(api):
    """N-10: six copies of one settlement (one Idempotency-Key, each signed afresh) sent at the same time: one pays,
    the others wait for it and get its answer."""
    hospital = api.institution(HOSPITAL)
    patient = api.world.person("张丽", born=date(2000, 5, 1), sex="F", current_fen=10_000)
    body = {"patient_id_number": patient.id_number, "amount_fen": 3_000, "use": "outpatient"}
    sends = [signed_post(api, hospital, "/v1/settlements", body, nonce=f"nonce-race-{n:010d}", key="same-visit")
             for n in range(6)]
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda send: send(), sends))
    assert [a.status_code for a in answers] == [201] * 6, [a.text for a in answers]
    assert len({a.json()["settlement_id"] for a in answers}) == 1
    assert sum(a.headers.get("Idempotent-Replayed") != "true" for a in answers) == 1
    assert count(api, Settlement) == 1 and api.world.total(patient) == 7_000
    assert len(nonces(api)) == 6


# -- what a signature covers, and who may sign ------------------------------------------------------------------


def send_signed(api, method: str, path: str, body: dict | None = None, *, code: str, secret: str,
                timestamp: int | None = None, nonce: str | None = None, drop: tuple[str, ...] = (),
                sent_path: str | None = None, sent_body: dict | None = None, key: str | None = "sig-1",
                sent_key: str | None | bool = True):
    """A request signed over (method, path, idempotency key, body), then sent, perhaps with another path, body or
    key (``sent_key`` None: without one), or without some of the four headers (``drop``)."""
    content = json.dumps(body).encode() if body is not None else b""
    at = int(api.world.env.now().timestamp()) if timestamp is None else timestamp
    headers = signed_headers(code, secret, method, path, content, timestamp=at, nonce=nonce, idempotency_key=key)
    for name in drop:
        headers.pop(name)
    sent = json.dumps(sent_body).encode() if sent_body is not None else content
    sent_key = key if sent_key is True else sent_key
    return api.client.request(method, sent_path or path, content=sent or None, headers={
        **headers, "Content-Type": "application/json", **({"Idempotency-Key": sent_key} if sent_key else {})})


def business(api) -> dict[str, list[str]]:
    rows = snapshot(api.world)
    for name in ("seen_nonces", "audit_chain", "login_attempts"):
        rows.pop(name, None)
    return rows


def refused_with(api, response, code: str) -> None:
    assert response.status_code == 401 and response.json()["code"] == code, response.text
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.fixture
def hospital(api):
    return api.institution(HOSPITAL)


@pytest.fixture
def patient(api):
    return api.world.person("张丽", born=date(2000, 5, 1), sex="F", current_fen=10_000)


def settlement_body(patient, amount_fen: int = 3_000) -> dict:
    return {"patient_id_number": patient.id_number, "amount_fen": amount_fen, "use": "outpatient"}


@pytest.mark.parametrize("offset", [-301, 301, -86_400, 10**9])
def test_a_stale_signature_is_refused_whether_early_or_late(api, hospital, patient, offset):
    """A timestamp more than five minutes before or after the server's clock is refused, and changes nothing:
    not a payment, not the nonce (the request may be signed again with it)."""
    before = business(api)
    now = int(api.world.env.now().timestamp())
    stale = send_signed(api, "POST", "/v1/settlements", settlement_body(patient), code=hospital.code,
                        secret=hospital.secret, timestamp=now + offset, nonce="nonce-stale-00000001")
    refused_with(api, stale, "SIGNATURE_STALE")
    assert str(now + offset) in stale.json()["detail"]
    assert business(api) == before and nonces(api) == []
    fresh = send_signed(api, "POST", "/v1/settlements", settlement_body(patient), code=hospital.code,
                        secret=hospital.secret, nonce="nonce-stale-00000001")
    assert fresh.status_code == 201, fresh.text


@pytest.mark.parametrize("offset", [-299, 299])
def test_a_timestamp_within_the_window_is_accepted(api, hospital, patient, offset):
    now = int(api.world.env.now().timestamp())
    r = send_signed(api, "POST", "/v1/settlements", settlement_body(patient), code=hospital.code,
                    secret=hospital.secret, timestamp=now + offset)
    assert r.status_code == 201, r.text


def test_a_tampered_body_path_or_query_breaks_the_signature(api, hospital, patient):
    """The signature covers the body, the path and the query string: any change after signing is refused and
    changes nothing."""
    settled = api.world.settle(patient, 1_000)
    other = api.world.settle(patient, 2_000)
    before = business(api)
    tampered = [
        send_signed(api, "POST", "/v1/settlements", settlement_body(patient, 3_000), code=hospital.code,
                    secret=hospital.secret, sent_body=settlement_body(patient, 9_000)),
        send_signed(api, "POST", "/v1/settlements", settlement_body(patient), code=hospital.code,
                    secret=hospital.secret, sent_body={**settlement_body(patient), "use": "pharmacy"}),
        send_signed(api, "GET", f"/v1/settlements/{settled.settlement_id}", code=hospital.code,
                    secret=hospital.secret, sent_path=f"/v1/settlements/{other.settlement_id}"),
        send_signed(api, "POST", f"/v1/settlements/{settled.settlement_id}/refunds", {"amount_fen": 100},
                    code=hospital.code, secret=hospital.secret,
                    sent_path=f"/v1/settlements/{other.settlement_id}/refunds"),
        send_signed(api, "GET", f"/v1/institutions/{HOSPITAL}?view=short", code=hospital.code,
                    secret=hospital.secret, sent_path=f"/v1/institutions/{HOSPITAL}?view=full"),
        send_signed(api, "GET", f"/v1/institutions/{HOSPITAL}", code=hospital.code,
                    secret=hospital.secret, sent_path=f"/v1/institutions/{HOSPITAL}?extra=1"),
    ]
    for response in tampered:
        refused_with(api, response, "SIGNATURE_INVALID")
    assert business(api) == before and nonces(api) == []


def test_the_signature_covers_the_idempotency_key(api, hospital, patient):
    """A key changed, added or removed after signing breaks the signature: someone between the hospital and the
    service cannot turn one signed settlement into a second payment by giving it a new key. Nothing changes."""
    body = settlement_body(patient)
    settled = api.world.settle(patient, 1_000)
    before = business(api)
    tampered = [
        send_signed(api, "POST", "/v1/settlements", body, code=hospital.code, secret=hospital.secret,
                    key="visit-1", sent_key="visit-2"),
        send_signed(api, "POST", "/v1/settlements", body, code=hospital.code, secret=hospital.secret,
                    key=None, sent_key="visit-3"),
        send_signed(api, "POST", f"/v1/settlements/{settled.settlement_id}/refunds", {"amount_fen": 100},
                    code=hospital.code, secret=hospital.secret, key="refund-1", sent_key=None),
    ]
    for response in tampered:
        refused_with(api, response, "SIGNATURE_INVALID")
    assert business(api) == before and nonces(api) == []
    r = send_signed(api, "POST", "/v1/settlements", body, code=hospital.code, secret=hospital.secret, key="visit-1")
    assert r.status_code == 201, r.text


def test_a_signature_of_the_former_five_lines_is_refused(api, hospital, patient):
    """The key is covered with no way around it: a signature made without the key line (the scheme before it was
    covered) is refused, for a request with a key and one without."""
    content = json.dumps(settlement_body(patient)).encode()
    at = str(int(api.world.env.now().timestamp()))
    for n, key in enumerate(("old-1", None)):
        nonce = f"nonce-former-{n:08d}"
        lines = "\n".join(["POST", "/v1/settlements", at, nonce, hashlib.sha256(content).hexdigest()])
        signature = hmac.new(hospital.secret.encode(), lines.encode(), hashlib.sha256).hexdigest()
        r = api.client.post("/v1/settlements", content=content, headers={
            INSTITUTION: hospital.code, TIMESTAMP: at, NONCE: nonce, SIGNATURE: signature,
            "Content-Type": "application/json", **({"Idempotency-Key": key} if key else {})})
        refused_with(api, r, "SIGNATURE_INVALID")
    assert count(api, Settlement) == 0


@pytest.mark.parametrize("missing", [INSTITUTION, TIMESTAMP, NONCE, SIGNATURE])
def test_a_request_missing_a_signature_header_is_refused(api, hospital, patient, missing):
    before = business(api)
    r = send_signed(api, "POST", "/v1/settlements", settlement_body(patient), code=hospital.code,
                    secret=hospital.secret, drop=(missing,))
    assert r.status_code == 401 and r.json()["code"] in ("SIGNATURE_INVALID", "AUTH_REQUIRED"), r.text
    assert business(api) == before and nonces(api) == []


@pytest.mark.parametrize(("timestamp", "nonce"), [
    ("12.5", None), ("-300", None), ("1e9", None), ("９９", None), ("9" * 40, None),
    (None, "short"), (None, "has spaces in it 12345"), (None, "x" * 65), (None, "ünïcödé-nonce-000001"),
])
def test_malformed_timestamps_and_nonces_are_refused(api, hospital, patient, timestamp, nonce):
    body = json.dumps(settlement_body(patient)).encode()
    headers = signed_headers(hospital.code, hospital.secret, "POST", "/v1/settlements", body,
                             timestamp=int(api.world.env.now().timestamp()))
    if timestamp is not None:
        headers[TIMESTAMP] = timestamp
    if nonce is not None:
        headers[NONCE] = nonce
    r = api.client.post("/v1/settlements", content=body, headers={
        **{k: v.encode() if not v.isascii() else v for k, v in headers.items()},
        "Content-Type": "application/json", "Idempotency-Key": "malformed"})
    assert r.status_code == 401 and r.json()["code"] in ("SIGNATURE_INVALID", "SIGNATURE_STALE"), r.text
    assert count(api, Settlement) == 0 and nonces(api) == []


def test_a_suspended_institution_cannot_sign_until_reactivated(api, hospital, patient):
    """Suspending an institution stops its signatures at once (its secret is not lost: reactivated, it signs)."""
    def suspend(active: bool):
        api.world.run(lambda s, env: institutions.set_active(s, env, code=HOSPITAL, active=active,
                                                             actor=Actor.system("tests")))

    suspend(False)
    before = business(api)
    r = send_signed(api, "POST", "/v1/settlements", settlement_body(patient), code=hospital.code,
                    secret=hospital.secret, nonce="nonce-suspended-00001")
    refused_with(api, r, "SIGNATURE_INVALID")
    assert business(api) == before and nonces(api) == []
    suspend(True)
    r = send_signed(api, "POST", "/v1/settlements", settlement_body(patient), code=hospital.code,
                    secret=hospital.secret, nonce="nonce-suspended-00001")
    assert r.status_code == 201, r.text


def test_one_institution_cannot_sign_as_another_nor_touch_its_settlements(api, hospital, patient):
    """A pharmacy's secret does not sign for the hospital's code; an unknown code signs for nothing; and the
    pharmacy, signing as itself, may not refund the hospital's settlement (refused and changed nothing)."""
    pharmacy = api.institution("P23010100001", kind="pharmacy")
    settled = api.world.settle(patient, 1_000)
    before = business(api)
    as_hospital = send_signed(api, "POST", "/v1/settlements", settlement_body(patient), code=HOSPITAL,
                              secret=pharmacy.secret)
    refused_with(api, as_hospital, "SIGNATURE_INVALID")
    unknown = send_signed(api, "POST", "/v1/settlements", settlement_body(patient), code="H99999999999",
                          secret=hospital.secret)
    refused_with(api, unknown, "SIGNATURE_INVALID")
    assert business(api) == before and nonces(api) == []
    refund = send_signed(api, "POST", f"/v1/settlements/{settled.settlement_id}/refunds", {"amount_fen": 500},
                         code=pharmacy.code, secret=pharmacy.secret)
    assert refund.status_code in (403, 404) and refund.json()["code"] in (
        "SETTLEMENT_OF_OTHER_INSTITUTION", "SETTLEMENT_NOT_FOUND"), refund.text
    assert api.world.total(patient) == 10_000 - 1_000


def test_two_institutions_may_happen_to_use_the_same_nonce(api, hospital, patient):
    """A nonce is new per institution: the hospital's use of one does not make the pharmacy's a replay."""
    pharmacy = api.institution("P23010100001", kind="pharmacy")
    first = send_signed(api, "POST", "/v1/quotes", settlement_body(patient), code=hospital.code,
                        secret=hospital.secret, nonce="nonce-shared-0000001")
    second = send_signed(api, "POST", "/v1/quotes", {**settlement_body(patient), "use": "pharmacy"},
                         code=pharmacy.code, secret=pharmacy.secret, nonce="nonce-shared-0000001")
    assert first.status_code == 200 and second.status_code == 200, (first.text, second.text)
