"""Closing a wallet (WAL-1): only an empty one with nothing waiting; afterwards transfers to it are refused, from this
province and on arrival from another (HN-9)."""

from __future__ import annotations

from gongji.errors import GongjiError
from gongji.federation.config import parse
from gongji.wallet import across
from gongji.wallet import service as wallet
from tests.api.conftest import api  # noqa: F401  (the application over the test database)
from tests.factories import snapshot
from tests.wallet.conftest import accept, at, open_wallet, send


def close(world, person, actor=None):
    return lambda: world.run(lambda s, env: wallet.close_wallet(s, env, id_number=person.id_number,
                                                                actor=actor or person.actor))


def refused(world, thunk) -> GongjiError:
    before = snapshot(world)
    try:
        thunk()
    except GongjiError as error:
        assert snapshot(world) == before  # a refusal changes nothing
        return error
    raise AssertionError("not refused")


def test_wal_1_only_an_empty_wallet_with_nothing_waiting_closes(world, family):
    """WAL-1: money in the wallet or a transfer waiting for its holder keeps it open (WALLET_NOT_EMPTY); an empty one
    closes, once; a send to it is then refused with WALLET_CLOSED."""
    payer, wife, _ = family
    open_wallet(world, wife)
    waiting = send(world, payer, wife, 5_000)()
    error = refused(world, close(world, wife))
    assert (error.code, error.params["waiting"], error.params["balance"]) == ("WALLET_NOT_EMPTY", 1, 0)
    accept(world, wife, waiting.id)()
    error = refused(world, close(world, wife))
    assert (error.code, error.params["balance"], error.params["waiting"]) == ("WALLET_NOT_EMPTY", 5_000, 0)
    assert "50.00" in error.message_zh

    world.settle(wife, 6_000)  # her own account (10 yuan), then the wallet's 50 yuan (WAL-1): empty now
    closed = close(world, wife)()
    assert (closed.status, closed.closed_at) == ("closed", at(2, 10))
    assert close(world, wife)().status == "closed"  # again: as it is
    error = refused(world, send(world, payer, wife, 1_000, key="after"))
    assert error.code == "WALLET_CLOSED"


def test_wal_1_hn_9_a_transfer_from_another_province_to_a_closed_wallet_is_refused(world, family):
    """HN-9, WAL-1: on arrival from province 41, a closed wallet refuses the transfer: no money moves here and the
    refusal goes back with WALLET_CLOSED."""
    _, wife, _ = family
    world.env.federation = parse({"role": "province", "province": "23", "hub_url": "http://127.0.0.1:9",
                                  "secret": "a secret of the link 23-hub"})
    open_wallet(world, wife)
    close(world, wife)()
    body = {"transfer_no": "410100-closed", "payer_id_number": "410100198001010031", "payer_name": "赵强",
            "region_code": "410100", "beneficiary_id_number": wife.id_number, "relationship": "sibling",
            "amount_fen": 1_000, "sent_at": at(2, 9).isoformat(), "sent_on": "2025-06-02",
            "return_due_at": at(3, 6).isoformat()}
    assert world.run(lambda s, env: across.arrive(s, env, body, source="41")) == "refused WALLET_CLOSED"


def test_wal_1_closing_over_http(api, family):  # noqa: F811  (api)
    """WAL-1: the holder closes his empty wallet; a stranger may not; staff of his region may."""
    _, wife, mother = family
    open_wallet(api.world, wife)
    open_wallet(api.world, mother)
    r = api.client.post(f"/v1/people/{wife.id}/wallet/close", headers=api.person(wife))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "closed"
    r = api.client.post(f"/v1/people/{mother.id}/wallet/close", headers=api.person(wife))
    assert r.status_code == 403
