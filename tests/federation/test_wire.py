"""Messages on the wire between instances (HN-9): the envelope's form, its signature, and the one door
``POST /v1/federation/messages`` that refuses a stranger, a forged or stale message, a message for someone else and
a province speaking for another, storing nothing."""

from __future__ import annotations

import time
import uuid
from datetime import date, datetime

import pytest
from fastapi.testclient import TestClient

from gongji.api.app import create_app
from gongji.api.settings import ApiSettings
from gongji.clock import CST
from gongji.env import Env
from gongji.errors import GongjiError
from gongji.federation import wire
from gongji.people.ids import compose_id_number, issuing_region
from tests.factories import World, snapshot
from tests.federation.conftest import POLICIES, SECRET_23, SECRET_41, SERVER_KEY, Instance

SENT_AT = datetime(2025, 6, 2, 10, tzinfo=CST)
PAYER = compose_id_number(issuing_region("230100", date(1970, 1, 1)), date(1970, 1, 1), 3, "M")
RELATIVE = compose_id_number(issuing_region("410100", date(1972, 3, 8)), date(1972, 3, 8), 4, "F")


def transfer_body(**changes) -> dict:
    body = {"transfer_no": f"230100-{uuid.uuid4().hex}", "payer_id_number": PAYER,
            "payer_name": "王建国", "region_code": "230100", "beneficiary_id_number": RELATIVE,
            "relationship": "spouse", "amount_fen": 10_000, "sent_at": SENT_AT.isoformat(), "sent_on": "2025-06-02",
            "return_due_at": "2025-06-03T06:00:00+08:00"}
    return {**body, **changes}


def envelope(kind: str = "wallet.transfer", source: str = "23", destination: str = "41", body: dict | None = None,
             **changes) -> dict:
    data = {"message_id": uuid.uuid4().hex, "kind": kind, "source": source, "destination": destination,
            "created_at": SENT_AT.isoformat(), "body": transfer_body() if body is None else body}
    return {**data, **changes}


# -- the envelope's form --------------------------------------------------------------------------------


def test_hn_9_a_well_formed_envelope_is_read():
    """HN-9: every field of the envelope is read back as sent."""
    data = envelope()
    parsed = wire.parse_envelope(data)
    assert (parsed.message_id, parsed.kind, parsed.source, parsed.destination) == (
        data["message_id"], "wallet.transfer", "23", "41")
    assert parsed.created_at == SENT_AT and parsed.body == data["body"]
    assert parsed.to_json() == data


@pytest.mark.parametrize("name", ["message_id", "kind", "source", "destination", "created_at"])
def test_hn_9_each_missing_envelope_field_is_refused(name):
    """HN-9: an envelope lacking any of its fields, or with one empty, too long or not a string, is refused."""
    for broken in ({k: v for k, v in envelope().items() if k != name}, envelope(**{name: ""}),
                   envelope(**{name: "x" * 41}), envelope(**{name: 41})):
        with pytest.raises(GongjiError) as info:
            wire.parse_envelope(broken)
        assert info.value.code == "FEDERATION_MESSAGE_INVALID"
        assert f"'{name}' must be a string of 1 to 40 characters" in info.value.message_en


@pytest.mark.parametrize(("data", "reason"), [
    ([], "not a JSON object"),
    ("wallet.transfer", "not a JSON object"),
    (envelope(kind="wallet.stolen"), "unknown kind 'wallet.stolen'"),
    (envelope(body=[1, 2]), "'body' must be an object"),
    (envelope(body="amount_fen=1"), "'body' must be an object"),
    ({k: v for k, v in envelope().items() if k != "body"}, "'body' must be an object"),
    (envelope(body={k: v for k, v in transfer_body().items() if k not in ("amount_fen", "sent_on")}),
     "the body of wallet.transfer lacks amount_fen, sent_on"),
    (envelope(kind="wallet.refused", body={"transfer_no": "x", "refused_at": SENT_AT.isoformat()}),
     "the body of wallet.refused lacks code, message_zh, message_en"),
    (envelope(source="231"), "'source' must be a province's two digits or hub"),
    (envelope(source="２３"), "'source' must be a province's two digits or hub"),
    (envelope(destination="hub"), "'destination' must be a province's two digits"),
    (envelope(destination="4444444444"), "'destination' must be a province's two digits"),
    (envelope(created_at="2025-06-02T10:00:00"), "'created_at' has no time zone"),
    (envelope(created_at="yesterday"), "'created_at' is not an ISO 8601 instant"),
])
def test_hn_9_malformed_envelopes_are_refused(data, reason):
    """HN-9: not an object, an unknown kind, a body that is not an object or lacks what its kind carries, a time
    without a zone: each is FEDERATION_MESSAGE_INVALID with what is wrong."""
    with pytest.raises(GongjiError) as info:
        wire.parse_envelope(data)
    assert info.value.code == "FEDERATION_MESSAGE_INVALID"
    assert reason in info.value.message_en and reason in info.value.message_zh


# -- the signature --------------------------------------------------------------------------------------


def signed(secret: bytes = b"s" * 20, sender: str = "hub", body: bytes = b'{"a": 1}', at: int = 1_748_829_600):
    return {"sender": sender, "timestamp": str(at), "signature": wire.sign(secret, sender, str(at), body),
            "body": body}


def test_hn_9_a_good_signature_within_the_window_passes():
    """HN-9: signed with the link's secret, sent within the window (either side of the receiver's clock)."""
    message = signed()
    for skew in (0, wire.WINDOW_S, -wire.WINDOW_S):
        wire.check_signature(b"s" * 20, now_s=1_748_829_600 + skew, **message)


@pytest.mark.parametrize(("secret", "changes", "reason"), [
    (None, {}, "unknown sender 'hub'"),
    (b"t" * 20, {}, "the signature does not match"),
    (b"s" * 20, {"body": b'{"a": 2}'}, "the signature does not match"),
    (b"s" * 20, {"sender": "23"}, "the signature does not match"),
    (b"s" * 20, {"timestamp": "1748829601"}, "the signature does not match"),
    (b"s" * 20, {"signature": ""}, "the signature does not match"),
    (b"s" * 20, {"timestamp": "soon"}, "the timestamp is not Unix seconds"),
    (b"s" * 20, {"now_s": 1_748_829_600 + wire.WINDOW_S + 1}, "outside the window"),
    (b"s" * 20, {"now_s": 1_748_829_600 - wire.WINDOW_S - 1}, "outside the window"),
])
def test_hn_9_a_stranger_a_forgery_or_a_stale_message_is_refused(secret, changes, reason):
    """HN-9: an unknown sender, a signature that does not match the sender, timestamp and bytes, or a timestamp
    outside the window (a replay long after): FEDERATION_SIGNATURE_INVALID."""
    message = {**signed(), "now_s": 1_748_829_600, **changes}
    with pytest.raises(GongjiError) as info:
        wire.check_signature(secret, **message)
    assert info.value.code == "FEDERATION_SIGNATURE_INVALID"
    assert reason in info.value.message_en


# -- the door, over HTTP ----------------------------------------------------------------------------------


def refused_at_the_door(instance, response, status: int, code: str, before) -> None:
    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    assert instance.inbox() == [] and instance.outbox() == []
    assert snapshot(instance.world) == before


def test_hn_9_unsigned_and_wrongly_signed_messages_get_401_and_store_nothing(fed):
    """HN-9: a POST without the signature headers, signed with another link's secret, by a sender the province does
    not hear from, or stale: 401 FEDERATION_SIGNATURE_INVALID, nothing stored."""
    p41 = fed.p41
    before = snapshot(p41.world)
    data = envelope()
    r = p41.client.post(wire.PATH, json=data)
    refused_at_the_door(p41, r, 401, "FEDERATION_SIGNATURE_INVALID", before)
    r = p41.post_signed(data, sender="hub", secret=SECRET_23)  # the other link's secret
    refused_at_the_door(p41, r, 401, "FEDERATION_SIGNATURE_INVALID", before)
    assert "签名不符" in r.json()["detail"]
    r = p41.post_signed(data, sender="23", secret=SECRET_41)  # a province speaks to the hub only
    refused_at_the_door(p41, r, 401, "FEDERATION_SIGNATURE_INVALID", before)
    r = p41.post_signed(data, sender="hub", secret=SECRET_41, timestamp=str(int(time.time()) - wire.WINDOW_S - 60))
    refused_at_the_door(p41, r, 401, "FEDERATION_SIGNATURE_INVALID", before)
    r = p41.client.post(wire.PATH, json=data, headers={wire.SENDER: "hub", wire.TIMESTAMP: str(int(time.time())),
                                                      wire.SIGNATURE: "0" * 64, "Accept-Language": "en"})
    refused_at_the_door(p41, r, 401, "FEDERATION_SIGNATURE_INVALID", before)
    assert "the signature does not match" in r.json()["detail"]


def test_hn_9_a_signed_message_that_is_not_json_or_malformed_is_refused(fed):
    """HN-9: a signed body that is not JSON, or a transfer whose amount is not fen, is 422 FEDERATION_MESSAGE_INVALID
    and nothing is stored: the sender must mend it."""
    p41 = fed.p41
    before = snapshot(p41.world)
    stamp = str(int(time.time()))
    body = b"not json"
    r = p41.client.post(wire.PATH, content=body, headers={
        wire.SENDER: "hub", wire.TIMESTAMP: stamp, wire.SIGNATURE: wire.sign(SECRET_41.encode(), "hub", stamp, body)})
    refused_at_the_door(p41, r, 422, "FEDERATION_MESSAGE_INVALID", before)
    r = p41.post_signed(envelope(body=transfer_body(amount_fen="100")), sender="hub", secret=SECRET_41)
    refused_at_the_door(p41, r, 422, "FEDERATION_MESSAGE_INVALID", before)
    r = p41.post_signed(envelope(created_at="2025-06-02 10:00"), sender="hub", secret=SECRET_41)
    refused_at_the_door(p41, r, 422, "FEDERATION_MESSAGE_INVALID", before)


def test_hn_9_a_transfer_that_does_not_fit_is_refused_not_an_error(fed):
    """HN-9: a signed transfer whose relative's ID number is longer than any, or that claims to come from the hub,
    is 422 FEDERATION_MESSAGE_INVALID (the sender must mend it) on both databases, never an internal error; so is a
    message for no province, at the hub."""
    p41 = fed.p41
    before = snapshot(p41.world)
    r = p41.post_signed(envelope(body=transfer_body(beneficiary_id_number="4" * 30)), sender="hub", secret=SECRET_41)
    refused_at_the_door(p41, r, 422, "FEDERATION_MESSAGE_INVALID", before)
    assert "beneficiary_id_number" in r.json()["detail"]
    r = p41.post_signed(envelope(source="hub"), sender="hub", secret=SECRET_41)
    refused_at_the_door(p41, r, 422, "FEDERATION_MESSAGE_INVALID", before)
    hub_before = snapshot(fed.hub.world)
    r = fed.hub.post_signed(envelope(destination="4444444444"), sender="23", secret=SECRET_23)
    refused_at_the_door(fed.hub, r, 422, "FEDERATION_MESSAGE_INVALID", hub_before)


def test_hn_9_a_province_given_a_message_for_another_province_refuses_it(fed):
    """HN-9: province 41 does not apply a message for 23, even signed by its hub: 422 FEDERATION_MISROUTED."""
    p41 = fed.p41
    before = snapshot(p41.world)
    r = p41.post_signed(envelope(source="41", destination="23"), sender="hub", secret=SECRET_41)
    refused_at_the_door(p41, r, 422, "FEDERATION_MISROUTED", before)
    assert "23" in r.json()["detail"] and "41" in r.json()["detail"]


def test_hn_9_a_province_may_not_speak_for_another_to_the_hub(fed):
    """HN-9: 23, signing with its own secret, posts to the hub a message whose source is 41: refused, and the hub
    stores and forwards nothing. A message for a province the hub does not serve that is not a transfer (so cannot
    be refused back) is misrouted."""
    hub = fed.hub
    before = snapshot(hub.world)
    r = hub.post_signed(envelope(source="41", destination="23"), sender="23", secret=SECRET_23)
    refused_at_the_door(hub, r, 422, "FEDERATION_MESSAGE_INVALID", before)
    assert "source 41 is not the sender 23" in r.json()["detail"]
    r = hub.post_signed(envelope(source="23", destination="41"), sender="23", secret=SECRET_41)  # 41's secret
    refused_at_the_door(hub, r, 401, "FEDERATION_SIGNATURE_INVALID", before)
    r = hub.post_signed(envelope(source="hub", destination="41"), sender="hub", secret=SECRET_41)
    refused_at_the_door(hub, r, 401, "FEDERATION_SIGNATURE_INVALID", before)  # the hub hears only provinces
    accepted = envelope("wallet.accepted", source="23", destination="44",
                        body={"transfer_no": "x", "accepted_at": SENT_AT.isoformat()})
    r = hub.post_signed(accepted, sender="23", secret=SECRET_23)
    refused_at_the_door(hub, r, 422, "FEDERATION_MISROUTED", before)


def test_hn_9_an_instance_without_federation_receives_nothing(fed):
    """HN-9: an instance serving every region itself (no GONGJI_FEDERATION) knows no sender: a message, even one
    well signed for another instance, is 401 FEDERATION_SIGNATURE_INVALID saying so, and nothing is stored; its
    federation status is 409 FEDERATION_NOT_CONFIGURED."""
    env = Env(clock=fed.clock, policies=POLICIES, federation=None)
    world = World(db=fed.p41.db, env=env)
    with TestClient(create_app(fed.p41.db, env, ApiSettings(server_key=SERVER_KEY, notify_sender=None)),
                    raise_server_exceptions=False) as client:
        alone = Instance("alone", "", fed.p41.db, env, client, world)
        admin = alone.staff("A0001", region_prefix="", role="admin")
        before = snapshot(world)
        r = alone.post_signed(envelope(), sender="hub", secret=SECRET_41, language="en")
        refused_at_the_door(alone, r, 401, "FEDERATION_SIGNATURE_INVALID", before)  # it knows no sender
        assert "no federation settings (GONGJI_FEDERATION)" in r.json()["detail"]
        r = client.get("/v1/federation/status", headers=admin)
        assert (r.status_code, r.json()["code"]) == (409, "FEDERATION_NOT_CONFIGURED")


def test_hn_9_the_status_is_for_administrators(fed):
    """HN-9: GET /v1/federation/status shows the instance's role and name and its outbox and inbox counts, to an
    administrator only."""
    admin = fed.p23.staff("A0001", region_prefix="", role="admin")
    r = fed.p23.client.get("/v1/federation/status", headers=admin)
    assert r.status_code == 200, r.text
    assert r.json() == {"role": "province", "name": "23", "waiting": 0, "oldest_waiting_at": None,
                        "most_attempts": 0, "acknowledged": 0, "received": 0}
    r = fed.hub.client.get("/v1/federation/status", headers=fed.hub.staff("A0001", region_prefix="", role="admin"))
    assert (r.json()["role"], r.json()["name"]) == ("hub", "hub")
    staff = fed.p23.staff("S2301", region_prefix="2301")
    assert fed.p23.client.get("/v1/federation/status", headers=staff).status_code == 403
    assert fed.p23.client.get("/v1/federation/status").status_code == 401
