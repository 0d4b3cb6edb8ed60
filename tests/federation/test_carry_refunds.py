"""Refunds to a closed account (LC-5, HN-5, LC-7): a settlement paid from his account in Harbin (23) before he moved
to Zhengzhou (41) is refunded afterwards. The money goes back to the account that paid and from there where the
region's ``[closed_accounts] refunds_to`` says: on to his new account (``new_account``) or kept on the closed one
for him or his estate (``estate``); never lost, and each time an event says where it went.
"""

from __future__ import annotations

from sqlalchemy import select

from gongji.events.models import Event
from gongji.life import service as life
from gongji.policy.settings import ClosedAccountPolicy, ClosedAccountRefunds
from gongji.settlement import service as settlements
from gongji.settlement.models import Settlement
from tests.conftest import TODAY
from tests.factories import STAFF
from tests.federation.conftest import Federation
from tests.federation.test_carry import enroll_in_41, funds, move, rows, total


def paid_then_moved(fed: Federation, name: str, *, moves: bool = True):
    """He pays 80.00 of a 100-yuan bill from his own account in Harbin, then moves (or dies)."""
    mover = fed.p23.world.person(name, current_fen=50_000)
    fed.p23.world.institution()
    settled = fed.p23.world.settle(mover, 8_000)
    assert funds(fed.p23, mover.id) == (42_000, 0)
    if moves:
        moved_here = enroll_in_41(fed, mover)
        move(fed, mover)
        fed.pump()
        assert funds(fed.p23, mover.id) == (0, 0) and funds(fed.p41, moved_here.id) == (42_000, 0)
        return mover, moved_here, settled
    fed.p23.world.run(lambda s, env: life.record(s, env, id_number=mover.id_number, kind="death",
                                                 occurred_on=TODAY, actor=STAFF))
    return mover, None, settled


def refund(fed: Federation, settlement_id: int) -> None:
    fed.p23.world.run(lambda s, env: settlements.cancel(
        s, env, institution_code="H23010100001", settlement_id=settlement_id, idempotency_key="cancel-1"))


def where_refunds_went(fed: Federation) -> list[tuple[int, str]]:
    return fed.p23.db.read(lambda s: [(e.data["amount_fen"], e.data["to"]) for e in s.execute(
        select(Event).where(Event.kind == "account.refund_to_closed").order_by(Event.id)).scalars()])


def settlement_id_of(fed: Federation, person) -> int:
    return fed.p23.db.read(lambda s: s.execute(select(Settlement.id).where(Settlement.patient_id == person.id))
                           .scalar_one())


def test_lc_5_lc_7_hn_5_a_refund_to_a_closed_account_follows_him_to_his_new_account(fed):
    """LC-5, LC-7, HN-5 (``new_account``, the seed regions' setting): the refund goes back to the account that paid
    in 23 and on, as a second 转移接续, to his account in 41; a refund retried moves nothing again."""
    mover, moved_here, _ = paid_then_moved(fed, "冯建业")
    before = total(fed)
    refund(fed, settlement_id_of(fed, mover))
    assert funds(fed.p23, mover.id) == (0, 0)
    fed.pump()
    assert funds(fed.p41, moved_here.id) == (50_000, 0)
    assert [(r.amount_fen, r.state, r.life_event_id is None) for r in rows(fed.p23)] == [
        (42_000, "arrived", False), (8_000, "arrived", True)]
    assert where_refunds_went(fed) == [(8_000, "new_account")]
    refund(fed, settlement_id_of(fed, mover))  # the same request again: the first answer, nothing moves
    fed.pump()
    assert funds(fed.p41, moved_here.id) == (50_000, 0) and len(rows(fed.p23)) == 2
    assert total(fed) == before + 8_000  # the institution gave back what it was paid
    for instance in fed.instances:
        instance.clean()


def test_lc_5_hn_5_a_region_that_keeps_refunds_for_the_estate_keeps_it_on_the_closed_account(fed):
    """LC-5, HN-5 (``estate``): the refund stays on his closed account in 23, recorded; nothing is sent."""
    fed.set_limit("23", closed_accounts=ClosedAccountPolicy(refunds_to=ClosedAccountRefunds.ESTATE))
    mover, moved_here, _ = paid_then_moved(fed, "陈永和")
    refund(fed, settlement_id_of(fed, mover))
    fed.pump()
    assert funds(fed.p23, mover.id) == (8_000, 0)
    assert funds(fed.p41, moved_here.id) == (42_000, 0)
    assert len(rows(fed.p23)) == 1
    assert where_refunds_went(fed) == [(8_000, "estate")]
    for instance in fed.instances:
        instance.clean()


def test_lc_5_hn_5_after_a_death_the_refund_is_kept_for_the_estate(fed):
    """LC-5, HN-5: after a death there is no new account: even with ``new_account`` the refund stays on his
    account, for the estate, and the event says so."""
    mover, _, _ = paid_then_moved(fed, "蒋福生", moves=False)
    refund(fed, settlement_id_of(fed, mover))
    fed.pump()
    assert funds(fed.p23, mover.id) == (50_000, 0)
    assert rows(fed.p23) == []
    assert where_refunds_went(fed) == [(8_000, "estate")]
    fed.p23.clean()


def test_lc_5_a_refund_to_an_open_account_records_nothing_more(fed):
    """HN-5: an account still open takes its refund as always; no closed-account event."""
    payer = fed.p23.world.person("韩立", current_fen=10_000)
    fed.p23.world.institution()
    fed.p23.world.settle(payer, 3_000)
    refund(fed, settlement_id_of(fed, payer))
    assert funds(fed.p23, payer.id) == (10_000, 0)
    assert where_refunds_went(fed) == []
