"""转移接续 between two provinces' instances through the hub (LC-7), on both databases.

A person insured in Harbin (23) moves to Zhengzhou (41): the balance of his personal account goes, in one balanced
entry on each side, from his account in 23 to his account in 41, exactly once, also when an instance is down on
the way, a message is delivered twice or the move is recorded again; a refusal on arrival gives it back.
"""

from __future__ import annotations

from sqlalchemy import func, select, update

from gongji.federation.models import OutboxMessage
from gongji.ledger import service as ledger
from gongji.ledger.models import Account, LedgerEntry, Posting
from gongji.life import carry
from gongji.life import service as life
from gongji.life.models import AccountTransfer
from gongji.people import service as people
from tests.conftest import TODAY
from tests.factories import STAFF
from tests.federation.conftest import P41_URL, Federation, host_of

TRANSITS = (carry.TRANSIT_OUT, carry.TRANSIT_IN)


def money(instance) -> int:
    """People's money here plus what is on its way on the account-transit accounts."""
    def read(s):
        kept = s.execute(select(func.coalesce(func.sum(Account.balance_fen), 0))
                         .where(Account.person_id.is_not(None))).scalar_one()
        held = s.execute(select(func.coalesce(func.sum(Posting.amount_fen), 0))
                         .join(Account, Account.id == Posting.account_id)
                         .where(Account.fund.in_(TRANSITS))).scalar_one()
        return int(kept) + int(held)
    return instance.db.read(read)


def total(fed: Federation) -> int:
    return money(fed.p23) + money(fed.p41)


def funds(instance, person_id: int) -> tuple[int, int]:
    def read(s):
        accounts = ledger.personal_accounts(s, person_id)
        return (accounts[ledger.Fund.CURRENT_YEAR].balance_fen, accounts[ledger.Fund.PRIOR_YEARS].balance_fen)
    return instance.db.read(read)


def rows(instance) -> list[AccountTransfer]:
    return instance.db.read(lambda s: list(s.execute(select(AccountTransfer).order_by(AccountTransfer.id)).scalars()))


def entries(instance, kind: str) -> int:
    return instance.db.read(lambda s: s.execute(select(func.count()).select_from(LedgerEntry)
                                                .where(LedgerEntry.kind == kind)).scalar_one())


def move(fed: Federation, person, to_region_code: str = "410100"):
    return fed.p23.world.run(lambda s, env: life.record(
        s, env, id_number=person.id_number, kind="move", occurred_on=TODAY, to_region_code=to_region_code,
        actor=STAFF))


def enroll_in_41(fed: Federation, person, scheme: str = "employee"):
    """He registers with the insurer of Zhengzhou, as one does before asking for the transfer."""
    return fed.p41.world.run(lambda s, env: people.register(
        s, env, id_number=person.id_number, name=person.name, scheme=scheme, region_code="410100",
        status="normal", actor=STAFF))


def clean(fed: Federation) -> None:
    for instance in fed.instances:
        instance.clean()


def test_lc_7_a_move_carries_the_balance_to_the_new_province_once(fed):
    """LC-7: 1,000.00 current-year and 3,000.00 prior-years leave his account in 23 for the transit account in
    the move's own transaction, arrive in his account in 41 into the same funds, and 23 hears it arrived. The
    money of both instances with their transit accounts never changes; each side has one balanced entry."""
    mover = fed.p23.world.person("赵志强", current_fen=100_000, prior_fen=300_000)
    moved_here = enroll_in_41(fed, mover)
    before = total(fed)

    done = move(fed, mover)
    assert done.created
    [out] = rows(fed.p23)
    assert (out.direction, out.state, out.counterpart_province, out.amount_fen) == ("out", "sent", "41", 400_000)
    assert (out.current_year_fen, out.prior_years_fen, out.life_event_id) == (100_000, 300_000, done.event.id)
    assert funds(fed.p23, mover.id) == (0, 0)
    assert fed.p23.system(carry.TRANSIT_OUT, "41") == 400_000
    [message] = fed.p23.outbox()
    assert (message.kind, message.destination, message.body["transfer_no"]) == (
        "account.transfer", "41", out.transfer_no)
    assert total(fed) == before

    fed.pump()
    [arrived] = rows(fed.p41)
    assert (arrived.direction, arrived.state, arrived.transfer_no, arrived.person_id) == (
        "in", "arrived", out.transfer_no, moved_here.id)
    assert funds(fed.p41, moved_here.id) == (100_000, 300_000)
    assert fed.p41.system(carry.TRANSIT_IN, "23") == -400_000
    assert rows(fed.p23)[0].state == "arrived"
    assert (entries(fed.p23, carry.OUT_ENTRY), entries(fed.p41, carry.ARRIVE_ENTRY)) == (1, 1)
    assert total(fed) == before
    clean(fed)


def test_lc_7_nothing_is_lost_or_moved_twice_when_41_is_down_a_message_comes_again_or_the_move_is_recorded_again(
        fed):
    """LC-7: with 41 down the message waits in the hub's outbox and the money on the transit account; once 41 is
    up it arrives once. Delivered a second time (its acknowledgement lost) it moves nothing; the same move
    recorded again sends nothing again."""
    mover = fed.p23.world.person("钱立新", current_fen=50_000)
    moved_here = enroll_in_41(fed, mover)
    before = total(fed)
    move(fed, mover)
    fed.router.down.add(host_of(P41_URL))
    assert fed.deliver(fed.p23) == (1, 0)
    assert fed.deliver(fed.hub) == (0, 1)
    assert fed.hub.waiting() == 1 and rows(fed.p41) == []
    assert total(fed) == before

    fed.router.down.clear()
    fed.hub.db.run(lambda s: s.execute(update(OutboxMessage).values(next_attempt_at=fed.clock.now())))
    fed.pump()
    assert funds(fed.p41, moved_here.id) == (50_000, 0)

    # the hub never heard 41's acknowledgement: it sends the same message again
    fed.hub.db.run(lambda s: s.execute(update(OutboxMessage).where(OutboxMessage.kind == "account.transfer")
                                       .values(acked_at=None, next_attempt_at=fed.clock.now())))
    fed.pump()
    assert funds(fed.p41, moved_here.id) == (50_000, 0)
    assert len(rows(fed.p41)) == 1 and entries(fed.p41, carry.ARRIVE_ENTRY) == 1

    again = move(fed, mover)
    assert not again.created
    assert len(rows(fed.p23)) == 1 and fed.p23.waiting() == 0
    assert total(fed) == before
    clean(fed)


def test_lc_7_a_refusal_on_arrival_gives_the_balance_back_to_his_account_in_23(fed):
    """LC-7, LC-5: 41 knows no employee enrollee of that number; it refuses, moves nothing, and 23 puts the
    money back into the funds it came from, his account there (his enrollment has ended; the account is his)."""
    mover = fed.p23.world.person("孙德明", current_fen=20_000, prior_fen=5_000)
    before = total(fed)
    move(fed, mover)
    fed.pump()
    [refused] = rows(fed.p41)
    assert (refused.state, refused.refusal_code, refused.arrive_entry_id) == (
        "refused", "PERSON_NOT_FOUND", None)
    [out] = rows(fed.p23)
    assert (out.state, out.refusal_code) == ("refused", "PERSON_NOT_FOUND") and out.return_entry_id
    assert funds(fed.p23, mover.id) == (20_000, 5_000)
    assert fed.p23.system(carry.TRANSIT_OUT, "41") == 0
    assert total(fed) == before
    clean(fed)


def test_lc_7_a_resident_enrollee_in_41_has_no_personal_account_to_take_it(fed):
    """LC-7, N-1: registered in 41 as a resident enrollee he has no personal account there: refused and given
    back (ACCOUNT_TRANSFER_NO_ACCOUNT)."""
    mover = fed.p23.world.person("周海涛", current_fen=30_000)
    enroll_in_41(fed, mover, scheme="resident")
    move(fed, mover)
    fed.pump()
    assert [r.state for r in rows(fed.p23)] == ["refused"]
    assert rows(fed.p23)[0].refusal_code == "ACCOUNT_TRANSFER_NO_ACCOUNT"
    assert funds(fed.p23, mover.id) == (30_000, 0)
    clean(fed)


def test_lc_7_a_province_the_hub_does_not_serve_sends_it_back(fed):
    """LC-7: a move to Guangdong (44), which the hub does not connect: the hub refuses the transfer
    (PROVINCE_NOT_CONNECTED) and the balance goes back to his account in 23."""
    mover = fed.p23.world.person("吴国庆", current_fen=12_345)
    before = total(fed)
    move(fed, mover, "440100")
    fed.pump()
    [out] = rows(fed.p23)
    assert (out.state, out.refusal_code) == ("refused", "PROVINCE_NOT_CONNECTED")
    assert funds(fed.p23, mover.id) == (12_345, 0)
    assert total(fed) == before
    clean(fed)


def test_lc_7_nothing_to_carry_sends_nothing(fed):
    """LC-7: an empty personal account: the move ends the enrollment here and sends no message."""
    mover = fed.p23.world.person("郑小军")
    move(fed, mover)
    assert rows(fed.p23) == [] and fed.p23.outbox() == []
