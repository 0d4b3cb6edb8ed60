"""Signed institution requests: each nonce is accepted once, whether the request succeeded or was refused.

A settlement's signature is checked, and its nonce recorded, in the settlement's own transaction; these tests
hold that this changes nothing a caller can see. Rules: N-10 (a replayed request pays nothing), N-4.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import date

from sqlalchemy import func, select

from gongji.auth.models import SeenNonce
from gongji.auth.signing import signed_headers
from gongji.settlement.models import Settlement

HOSPITAL = "H23010100001"


def signed_post(api, auth, path: str, body, *, nonce: str, key: str, secret: str | None = None):
    """POST with the headers signed once: sending it twice sends the very same request (the same nonce)."""
    content = json.dumps(body).encode()
    headers = signed_headers(auth.code, secret or auth.secret, "POST", path, content,
                             timestamp=int(api.world.env.now().timestamp()), nonce=nonce)
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
