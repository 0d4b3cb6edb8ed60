"""Refused access is recorded (gongji/api/refusals.py): a caller refused another person's data, another
institution's settlement, another region's people, or a bad signature leaves exactly one ``access.refused`` event
saying who (as far as known), through which channel (N-8), what was asked for and why it was refused, and nothing
else changes. Refusals that are not about access (no login, a wrong password) are not recorded. N-9: the trail
of who looked at whose records is itself kept.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from gongji.auth.signing import InstitutionAuth, signed_headers
from gongji.events import audit
from gongji.events.models import Event
from tests.factories import snapshot

HOSPITAL, OTHER_HOSPITAL = "H23010100001", "H23010100002"


def refused_events(api) -> list[Event]:
    return api.world.db.read(lambda s: list(s.execute(
        select(Event).where(Event.kind == "access.refused").order_by(Event.id)).scalars()))


def business(api) -> dict[str, list[str]]:
    """Every table but the refusals (left out by ``snapshot``) and the nonces a good signature spends."""
    rows = snapshot(api.world)
    rows.pop("seen_nonces")
    return rows


def refused_once(api, send, *, status: int, code: str) -> Event:
    """``send()`` is refused with ``status`` and ``code``; exactly one access.refused event is new, and nothing
    else changed. Returns the event."""
    before, earlier = business(api), len(refused_events(api))
    response = send()
    assert response.status_code == status and response.json()["code"] == code, response.text
    assert business(api) == before
    events = refused_events(api)
    assert len(events) == earlier + 1
    event = events[-1]
    assert (event.data["code"], event.data["status"]) == (code, status)
    return event


def test_n_9_a_person_reading_another_persons_data_is_refused_and_recorded(api):
    me, other = api.world.person("王建国"), api.world.person("李秀兰", sex="F")
    logged_in = api.person(me)
    event = refused_once(api, lambda: api.client.get(f"/v1/people/{other.id}/accounts", headers=logged_in),
                         status=403, code="FORBIDDEN")
    assert (event.actor_kind, event.actor_id, event.channel) == ("person", str(me.id), "portal")
    assert (event.subject_type, event.subject_id) == ("person", other.id)
    assert event.data["method"] == "GET" and event.data["path"] == f"/v1/people/{other.id}/accounts"
    assert event.data["verified"] is True and event.data["asked"] == {"person_id": str(other.id)}
    assert event.concerns == []


def test_an_institution_reading_or_refunding_another_institutions_settlement_is_refused_and_recorded(api):
    api.institution(HOSPITAL)
    other = api.institution(OTHER_HOSPITAL)
    patient = api.world.person("张丽", born=date(2000, 5, 1), sex="F", current_fen=10_000)
    settlement_id = api.world.settle(patient, 3_000, institution=HOSPITAL).settlement_id
    looked = refused_once(api, lambda: api.client.get(f"/v1/settlements/{settlement_id}", auth=other),
                          status=403, code="FORBIDDEN")
    refunded = refused_once(api, lambda: api.client.post(
        f"/v1/settlements/{settlement_id}/refunds", json={"amount_fen": 1_000}, auth=other,
        headers={"Idempotency-Key": "refund-1"}), status=403, code="SETTLEMENT_OF_OTHER_INSTITUTION")
    for event in (looked, refunded):
        assert (event.actor_kind, event.actor_id, event.channel) == ("institution", OTHER_HOSPITAL, "institution")
        assert (event.subject_type, event.subject_id) == ("settlement", settlement_id)
        assert event.data["verified"] is True
    assert refunded.data["method"] == "POST" and api.world.total(patient) == 7_000


def test_staff_asking_for_another_regions_person_are_refused_and_recorded(api):
    """By the person's id in the path, and by an ID number in the body (the refusal names whom it was about)."""
    shenzhen = api.world.person("陈志强", city="shenzhen")
    harbin_staff = api.staff("S2301", region_prefix="2301")
    by_path = refused_once(api, lambda: api.client.get(f"/v1/people/{shenzhen.id}", headers=harbin_staff),
                           status=403, code="OUTSIDE_YOUR_REGION")
    by_body = refused_once(api, lambda: api.client.post("/v1/people/search", json={"id_number": shenzhen.id_number},
                                                        headers=harbin_staff),
                           status=403, code="OUTSIDE_YOUR_REGION")
    for event in (by_path, by_body):
        assert (event.actor_kind, event.actor_id, event.channel) == ("staff", "S2301", "counter")
        assert (event.subject_type, event.subject_id) == ("person", shenzhen.id)
    assert by_body.data["asked"] == {} and shenzhen.id_number not in str(by_body.data)


def test_an_institution_settling_for_another_provinces_person_is_refused_and_recorded(api):
    hospital = api.institution(HOSPITAL)
    zhengzhou = api.world.person("刘美华", city="zhengzhou", sex="F", current_fen=10_000)
    event = refused_once(api, lambda: api.client.post(
        "/v1/settlements", auth=hospital, headers={"Idempotency-Key": "s-1"},
        json={"patient_id_number": zhengzhou.id_number, "amount_fen": 500, "use": "outpatient"}),
        status=403, code="INSTITUTION_OUT_OF_REGION")
    assert (event.actor_kind, event.actor_id, event.subject_type, event.subject_id) == (
        "institution", HOSPITAL, "person", zhengzhou.id)


def signed_get(api, auth: InstitutionAuth, path: str, *, secret: str | None = None, nonce: str,
               at: float | None = None):
    """A GET signed once: calling the result twice sends the very same request."""
    headers = signed_headers(auth.code, secret or auth.secret, "GET", path, b"",
                             timestamp=int(at if at is not None else api.world.env.now().timestamp()), nonce=nonce)
    return lambda: api.client.get(path, headers=headers)


def test_bad_signatures_are_refused_and_recorded_with_the_code_they_claimed(api):
    """A wrong secret, a stale time and a replayed nonce: one event each; the caller is the institution the
    request claims to be, not verified (a replay was signed by it once, but anyone who saw it may send it)."""
    hospital = api.institution(HOSPITAL)
    path = "/v1/institutions/" + HOSPITAL
    forged = refused_once(api, signed_get(api, hospital, path, secret="not-the-secret", nonce="nonce-forged-000001"),
                          status=401, code="SIGNATURE_INVALID")
    stale = refused_once(api, signed_get(api, hospital, path, nonce="nonce-stale-0000001",
                                         at=api.world.env.now().timestamp() - 3600),
                         status=401, code="SIGNATURE_STALE")
    send = signed_get(api, hospital, path, nonce="nonce-replayed-00001")
    assert send().status_code == 200
    replayed = refused_once(api, send, status=401, code="SIGNATURE_REPLAYED")
    for event in (forged, stale, replayed):
        assert (event.actor_kind, event.actor_id, event.channel) == ("institution", HOSPITAL, "institution")
        assert (event.subject_type, event.subject_id, event.data["asked"]) == ("institution", 0, {"code": HOSPITAL})
    assert [e.data["verified"] for e in (forged, stale, replayed)] == [False, False, False]


def test_a_bad_signature_on_the_national_interface_is_recorded(api):
    """NI-1: the interface answers in its own envelope (HTTP 401, infcode -1) and records the refusal too."""
    api.institution(HOSPITAL)
    path = "/fsi/api/rsfComIfsService/callService"
    body = b'{"infno": "1101"}'
    headers = signed_headers(HOSPITAL, "not-the-secret", "POST", path, body,
                             timestamp=int(api.world.env.now().timestamp()), nonce="nonce-ni-forged-0001")
    before = business(api)
    response = api.client.post(path, content=body, headers={**headers, "Content-Type": "application/json"})
    assert response.status_code == 401 and response.json()["infcode"] == -1
    assert business(api) == before
    [event] = refused_events(api)
    assert (event.actor_id, event.data["code"], event.data["path"]) == (HOSPITAL, "SIGNATURE_INVALID", path)


def test_refusals_that_are_not_about_access_are_not_recorded(api):
    """No login, a wrong password, a missing thing, a rule: answered as ever, and no access.refused event."""
    person = api.world.person("王建国")
    api.person(person)
    assert api.client.get(f"/v1/people/{person.id}").status_code == 401
    wrong = api.client.post("/v1/auth/person", json={"id_number": person.id_number, "password": "wrong-1234"})
    assert wrong.status_code == 401 and wrong.json()["code"] == "LOGIN_FAILED"
    assert api.client.get("/v1/nowhere", headers=api.person(person)).status_code == 404
    mine = api.client.get(f"/v1/people/{person.id}/accounts", headers=api.person(person))
    assert mine.status_code == 200
    assert refused_events(api) == []


def test_refused_access_is_sealed_and_shown_like_any_other_event(api):
    me, other = api.world.person("王建国"), api.world.person("李秀兰", sex="F")
    api.client.get(f"/v1/people/{other.id}", headers=api.person(me))
    audit.seal(api.world.db, api.world.env)
    assert audit.verify(api.world.db, api.world.env).ok
    trail = api.world.db.read(lambda s: audit.trail(s, actor=("person", str(me.id)), kinds=["access.refused"]))
    assert [(t.event.subject_type, t.event.subject_id) for t in trail] == [("person", other.id)]
    assert trail[0].seq is not None
