"""Listing a person's wallet transfers over HTTP (N-9, WAL-1..WAL-4, HN-9), on both databases.

``GET /v1/people/{person_id}/wallet-transfers?role=payer|beneficiary``: the person himself or staff of his region,
newest first, a page at a time, as the other record lists of the API.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from gongji.federation.config import FederationConfig, Peer
from gongji.people.ids import compose_id_number, mask
from gongji.wallet import across
from gongji.wallet import service as wallet
from tests.api.conftest import api  # noqa: F401  (the application over the test database)
from tests.conftest import TODAY
from tests.wallet.conftest import accept, family, open_wallet, send  # noqa: F401


def listed(api, person, headers, **params):  # noqa: F811
    return api.client.get(f"/v1/people/{person.id}/wallet-transfers", params=params, headers=headers)


def numbers(response) -> list[int]:
    return [item["wallet_transfer_id"] for item in response.json()["items"]]


def test_wal_1_n_9_both_sides_list_their_transfers_newest_first(api, family):  # noqa: F811
    """WAL-1, N-9: the payer lists what he sent, each relative what was sent to her, newest first; WAL-4: a transfer
    accepted and one returned the next morning show their states; the payer's funds show to him only."""
    payer, wife, mother = family
    world = api.world
    open_wallet(world, wife)
    open_wallet(world, mother)
    first = send(world, payer, wife, 10_000)()
    world.env.clock.advance(minutes=5)
    second = send(world, payer, mother, 20_000, relationship="parent")()
    world.env.clock.advance(minutes=5)
    third = send(world, payer, wife, 30_000)()
    accept(world, wife, first.id)()
    api.advance(days=1)  # 10:00 the next day: what was not accepted went back at 06:00 (WAL-4)
    wallet.return_unaccepted(world.db, world.env)

    r = listed(api, payer, api.person(payer))
    assert r.status_code == 200, r.text
    page = r.json()
    assert (page["total"], page["limit"], page["offset"]) == (3, 50, 0)
    assert numbers(r) == [third.id, second.id, first.id]
    states = {item["wallet_transfer_id"]: item["state"] for item in page["items"]}
    assert states == {first.id: "accepted", second.id: "returned", third.id: "returned"}
    newest = page["items"][0]
    assert (newest["amount_fen"], newest["direction"], newest["current_year_fen"]) == (30_000, "local", 30_000)
    assert newest["payer"]["id_number"] == payer.id_number  # his own, in full
    assert newest["beneficiary"]["id_number"] == mask(wife.id_number)
    assert newest["return_due_at"] == "2025-06-03T06:00:00+08:00"

    r = listed(api, wife, api.person(wife), role="beneficiary")
    assert r.status_code == 200 and numbers(r) == [third.id, first.id]
    assert all(item["current_year_fen"] is None for item in r.json()["items"])  # the payer's funds are his
    assert r.json()["items"][0]["payer"]["id_number"] == mask(payer.id_number)
    assert numbers(listed(api, mother, api.person(mother), role="beneficiary")) == [second.id]
    assert listed(api, wife, api.person(wife)).json()["total"] == 0  # she sent nothing (the default role: payer)
    assert listed(api, payer, api.person(payer), role="beneficiary").json()["items"] == []


def test_a_page_at_a_time(api, family):  # noqa: F811
    """Paging as the other record lists: limit and offset, the total of all."""
    payer, wife, _ = family
    open_wallet(api.world, wife)
    sent = []
    for i in range(3):
        sent.append(send(api.world, payer, wife, 1_000 + i)().id)
        api.world.env.clock.advance(minutes=1)
    headers = api.person(payer)
    r = listed(api, payer, headers, limit=2)
    assert (numbers(r), r.json()["total"]) == ([sent[2], sent[1]], 3)
    r = listed(api, payer, headers, limit=2, offset=2)
    assert (numbers(r), r.json()["total"], r.json()["offset"]) == ([sent[0]], 3, 2)
    assert listed(api, payer, headers, offset=5).json()["items"] == []


@pytest.mark.parametrize("params", [{"role": "both"}, {"role": ""}, {"limit": 0}, {"limit": 201}, {"offset": -1},
                                    {"limit": "ten"}])
def test_malformed_queries_are_refused(api, family, params):  # noqa: F811
    payer, _, _ = family
    r = listed(api, payer, api.person(payer), **params)
    assert r.status_code == 422, r.text


def test_only_himself_and_staff_of_his_region(api, family):  # noqa: F811
    """N-9: a person lists only his own transfers; staff those of people of their region, with the payer's funds;
    staff elsewhere and anyone not logged in are refused."""
    payer, wife, _ = family
    open_wallet(api.world, wife)
    sent = send(api.world, payer, wife, 5_000)()
    r = listed(api, payer, api.person(wife))
    assert (r.status_code, r.json()["code"]) == (403, "FORBIDDEN")
    r = listed(api, payer, api.staff())
    assert r.status_code == 200 and numbers(r) == [sent.id]
    assert r.json()["items"][0]["current_year_fen"] == 5_000
    assert r.json()["items"][0]["payer"]["id_number"] == mask(payer.id_number)
    r = listed(api, payer, api.staff("S4101", region_prefix="4101"))
    assert (r.status_code, r.json()["code"]) == (403, "OUTSIDE_YOUR_REGION")
    assert listed(api, payer, {}).status_code == 401
    r = api.client.get("/v1/people/999999/wallet-transfers", headers=api.staff())
    assert r.status_code == 404


def test_hn_9_transfers_across_provinces_in_the_lists(api, family):  # noqa: F811
    """HN-9: in province 23's instance, a transfer the payer sent to a relative insured in Henan (41) is listed as
    ``out`` with the province and no person of this instance; refused there, it shows the refusal's words. One that
    came from Henan to the wife is listed on her side as ``in``, with the sender's name and masked ID number."""
    payer, wife, _ = family
    world = api.world
    world.env.federation = FederationConfig(role="province", province="23",
                                            hub=Peer("hub", "http://127.0.0.1:9", b"s" * 16))
    open_wallet(world, wife)
    henan = compose_id_number("410100", TODAY.replace(year=1995), 7, "M")
    out = world.run(lambda s, env: wallet.send(
        s, env, payer_id_number=payer.id_number, beneficiary_id_number=henan, relationship="child",
        amount_fen=40_000, idempotency_key="out-1", actor=payer.actor, beneficiary_province="41"))
    assert out.direction == "out"
    r = listed(api, payer, api.person(payer))
    [item] = r.json()["items"]
    assert (item["direction"], item["state"], item["beneficiary"]["person_id"]) == ("out", "sent", None)
    assert (item["beneficiary"]["province"], item["beneficiary"]["id_number"]) == ("41", mask(henan))

    world.run(lambda s, env: across.settle(s, env, "wallet.refused", {
        "transfer_no": out.transfer_no, "code": "WALLET_NOT_OPEN", "message_zh": "对方尚未开通医保钱包。",
        "message_en": "The relative has no wallet yet."}))
    [item] = listed(api, payer, api.person(payer)).json()["items"]
    assert item["state"] == "refused"
    assert item["refusal"] == {"code": "WALLET_NOT_OPEN", "message_zh": "对方尚未开通医保钱包。",
                               "message_en": "The relative has no wallet yet."}

    sender = compose_id_number("410100", TODAY.replace(year=1968), 9, "M")
    now = world.env.now()
    world.run(lambda s, env: across.arrive(s, env, {
        "transfer_no": "410100-" + "a" * 32, "payer_id_number": sender, "payer_name": "张建军",
        "region_code": "410100", "beneficiary_id_number": wife.id_number, "relationship": "spouse",
        "amount_fen": 25_000, "sent_at": now.isoformat(), "sent_on": TODAY.isoformat(),
        "return_due_at": (now + timedelta(hours=20)).isoformat()}, source="41"))
    [item] = listed(api, wife, api.person(wife), role="beneficiary").json()["items"]
    assert (item["direction"], item["state"], item["amount_fen"]) == ("in", "sent", 25_000)
    assert item["payer"] == {"person_id": None, "name": "张建军", "id_number": mask(sender), "province": "41"}
