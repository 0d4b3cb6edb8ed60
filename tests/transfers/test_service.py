"""Transfers of prior-years funds (Hangzhou 330100, HZ-1..HZ-4) and resident contributions paid for a
relative (N-5), on both databases.

Every refusal is checked for its stable code and for having changed nothing in any table: no
transfer or payment row, no posting, balances as before.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from gongji.actors import Actor
from gongji.authorizations import service as authorizations
from gongji.clock import CST
from gongji.env import Env
from gongji.events.models import Event
from gongji.ledger import service as ledger
from gongji.ledger.models import Account, LedgerEntry, Posting
from gongji.people import service as people
from gongji.policy import PolicyBook
from gongji.records import service as records
from gongji.terms import Channel, Use
from gongji.transfers import service as transfers
from gongji.transfers.models import ContributionPayment, Transfer
from tests.factories import STAFF, World, refused

NOW = datetime(2025, 6, 2, 10, tzinfo=CST)
HZ_AGREEMENT = "HZ-2020.01"
HANGZHOU_HOSPITAL = "H33010000001"


def transfer(world, payer, beneficiary, amount_fen, *, relationship: str = "spouse", key: str | None = None,
             agreement_version: str | None = HZ_AGREEMENT, actor: Actor | None = None):
    key = key or f"t-{payer.id}-{beneficiary.id}-{amount_fen}"
    return lambda: world.run(lambda s, env: transfers.transfer(
        s, env, payer_id_number=payer.id_number, beneficiary_id_number=beneficiary.id_number,
        relationship=relationship, amount_fen=amount_fen, agreement_version=agreement_version,
        idempotency_key=key, actor=actor or payer.actor))


def contribute(world, payer, beneficiary, amount_fen, *, year: int = 2025, key: str | None = None,
               actor: Actor | None = None):
    key = key or f"c-{payer.id}-{beneficiary.id}-{year}-{amount_fen}"
    return lambda: world.run(lambda s, env: transfers.pay_resident_contribution(
        s, env, payer_id_number=payer.id_number, beneficiary_id_number=beneficiary.id_number, year=year,
        amount_fen=amount_fen, idempotency_key=key, actor=actor or payer.actor))


def funds(world, person) -> tuple[int, int] | None:
    """(current-year, prior-years) balances, or None without a personal account."""
    b = world.balances(person)
    return (b.current_year_fen, b.prior_years_fen) if b else None


def count(world, model) -> int:
    return len(world.db.read(lambda s: s.execute(select(model)).all()))


def system_balance(world, system_key: str) -> int:
    """A system account's balance: the sum of its postings."""
    return world.db.read(lambda s: s.execute(
        select(func.coalesce(func.sum(Posting.amount_fen), 0)).join(Account, Account.id == Posting.account_id)
        .where(Account.system_key == system_key)).scalar_one())


def ledger_ok(world) -> None:
    check = world.db.read(ledger.check)
    assert check.ok, check


# == transfers (HZ-1..HZ-4) ===========================================================================


@pytest.fixture
def hangzhou(world):
    """A Hangzhou payer with current-year and prior-years funds, his wife (employee, empty account)."""
    world.institution(HANGZHOU_HOSPITAL, city="hangzhou", name="杭州市第一人民医院")
    payer = world.person("周建华", city="hangzhou", current_fen=50_000, prior_fen=100_000)
    wife = world.person("吴敏", city="hangzhou", sex="F")
    return payer, wife


def test_hz_1_prior_years_funds_and_their_ownership_move_to_the_relative(world, hangzhou):
    """HZ-1: the money becomes the relative's; she spends it from her own account with her own card."""
    payer, wife = hangzhou
    row = transfer(world, payer, wife, 30_000, actor=Actor.person(payer.id, Channel.ALIPAY))()
    assert (row.payer_id, row.beneficiary_id, row.relationship, row.amount_fen) == (payer.id, wife.id, "spouse",
                                                                                   30_000)
    assert (row.region_code, row.channel, row.agreement_version, row.agreement_accepted_at, row.on) == (
        "330100", "alipay", HZ_AGREEMENT, NOW, date(2025, 6, 2))
    assert (row.operator_kind, row.operator_id) == ("person", str(payer.id))
    assert funds(world, payer) == (50_000, 70_000)
    assert funds(world, wife) == (0, 30_000)
    entry = world.db.read(lambda s: s.get(LedgerEntry, row.entry_id))
    assert entry.kind == "transfer"
    ledger_ok(world)
    [event] = world.db.read(lambda s: list(s.execute(select(Event).where(Event.kind == "transfer.made")).scalars()))
    assert event.subject_id == row.id and event.concerns == sorted([payer.id, wife.id])

    result = world.settle(wife, 20_000, institution=HANGZHOU_HOSPITAL)
    assert (result.own_fen, result.mutual_aid_fen, result.cash_fen) == (20_000, 0, 0)
    assert [(line.payer_id, line.is_own, line.fund.value) for line in result.lines] == [
        (wife.id, True, "prior_years")]
    assert funds(world, wife) == (0, 10_000)
    assert funds(world, payer) == (50_000, 70_000)
    ledger_ok(world)


def test_hz_1_resident_relative_receives_an_account(world, hangzhou):
    """HZ-1: a resident relative has no personal account; the transfer opens one to hold the money."""
    payer, _ = hangzhou
    mother = world.person("钱桂英", city="hangzhou", born=date(1945, 5, 5), sex="F", scheme="resident")
    assert funds(world, mother) is None
    transfer(world, payer, mother, 25_000, relationship="parent")()
    assert funds(world, mother) == (0, 25_000)
    accounts = world.db.read(lambda s: ledger.personal_accounts(s, mother.id))
    assert {a.region_code for a in accounts.values()} == {"330100"}
    result = world.settle(mother, 30_000, institution=HANGZHOU_HOSPITAL)
    assert (result.own_fen, result.cash_fen) == (25_000, 5_000)
    assert world.db.read(lambda s: people.get(s, mother.id).enrollment.scheme) == "resident"
    ledger_ok(world)


def test_hz_1_refused_transfer_to_a_resident_opens_no_account(world, hangzhou):
    payer, _ = hangzhou
    mother = world.person("钱桂英", city="hangzhou", born=date(1945, 5, 5), sex="F", scheme="resident")
    refused(world, transfer(world, payer, mother, 100_001, relationship="parent"), "INSUFFICIENT_PRIOR_YEARS")
    assert funds(world, mother) is None


def test_hz_2_amount_above_prior_years_balance_is_refused(world, hangzhou):
    """HZ-2: not more than the payer's current prior-years balance."""
    payer, wife = hangzhou
    error = refused(world, transfer(world, payer, wife, 100_001), "INSUFFICIENT_PRIOR_YEARS")
    assert (error.params["amount"], error.params["balance"]) == (100_001, 100_000)
    assert funds(world, payer) == (50_000, 100_000)
    transfer(world, payer, wife, 100_000)()
    assert funds(world, payer) == (50_000, 0)
    refused(world, transfer(world, payer, wife, 1), "INSUFFICIENT_PRIOR_YEARS")


def test_hz_2_d_1_current_year_funds_cannot_be_moved(world):
    """HZ-2, D-1: a payer rich in current-year funds but without prior-years funds moves nothing."""
    payer = world.person("周建华", city="hangzhou", current_fen=500_000)
    wife = world.person("吴敏", city="hangzhou", sex="F")
    error = refused(world, transfer(world, payer, wife, 1), "INSUFFICIENT_PRIOR_YEARS")
    assert error.params["balance"] == 0
    assert funds(world, payer) == (500_000, 0)


def test_hz_3_one_payer_to_two_relatives_and_two_payers_to_one(world):
    """HZ-3: one payer to many relatives and many payers to one relative are both allowed."""
    father = world.person("周建华", city="hangzhou", born=date(1970, 1, 1), prior_fen=100_000)
    mother = world.person("吴敏", city="hangzhou", born=date(1972, 1, 1), sex="F", prior_fen=60_000)
    son = world.person("周小龙", city="hangzhou", born=date(2000, 1, 1))
    grandma = world.person("钱桂英", city="hangzhou", born=date(1945, 5, 5), sex="F", scheme="resident")
    transfer(world, father, son, 10_000, relationship="child")()
    transfer(world, father, mother, 20_000, relationship="spouse")()
    transfer(world, mother, son, 5_000, relationship="child")()
    transfer(world, father, grandma, 1_000, relationship="parent")()
    transfer(world, father, son, 10_000, relationship="child", key="second")()  # the same pair again
    assert funds(world, father) == (0, 59_000)
    assert funds(world, mother) == (0, 75_000)
    assert funds(world, son) == (0, 25_000)
    assert funds(world, grandma) == (0, 1_000)
    assert count(world, Transfer) == 5
    ledger_ok(world)


@pytest.mark.parametrize("version", [None, "", "HZ-2019.01", "HLJ-2024.07"])
def test_hz_4_the_commitment_must_be_accepted(world, hangzhou, version):
    """HZ-4, N-7: the payer accepts the commitment before anything moves."""
    payer, wife = hangzhou
    error = refused(world, transfer(world, payer, wife, 1_000, agreement_version=version), "CONSENT_REQUIRED")
    assert error.params["version"] == HZ_AGREEMENT


def test_same_idempotency_key_returns_the_same_transfer_and_moves_money_once(world, hangzhou):
    payer, wife = hangzhou
    first = transfer(world, payer, wife, 10_000, key="hz-1")()
    again = transfer(world, payer, wife, 10_000, key="hz-1")()
    assert again.id == first.id and again.entry_id == first.entry_id
    assert funds(world, payer) == (50_000, 90_000) and funds(world, wife) == (0, 10_000)
    assert count(world, Transfer) == 1
    error = refused(world, transfer(world, payer, wife, 10_001, key="hz-1"), "IDEMPOTENCY_KEY_REUSED")
    assert error.params["key"] == "hz-1"
    transfer(world, payer, wife, 10_000, key="hz-2")()
    assert funds(world, wife) == (0, 20_000)


def test_idempotency_keys_are_per_payer(world, hangzhou):
    payer, wife = hangzhou
    world.run(lambda s, env: people.credit(s, env, id_number=wife.id_number, amount_fen=5_000, fund="prior_years",
                                           actor=STAFF, idempotency_key="c1"))
    transfer(world, payer, wife, 1_000, key="same")()
    transfer(world, wife, payer, 1_000, key="same")()
    assert count(world, Transfer) == 2


@pytest.mark.parametrize("key", ["", " padded ", "x" * 101, None, "line\nbreak"])
def test_invalid_idempotency_key_is_refused(world, hangzhou, key):
    payer, wife = hangzhou
    refused(world, lambda: world.run(lambda s, env: transfers.transfer(
        s, env, payer_id_number=payer.id_number, beneficiary_id_number=wife.id_number, relationship="spouse",
        amount_fen=1_000, agreement_version=HZ_AGREEMENT, idempotency_key=key, actor=payer.actor)),
        "INVALID_IDEMPOTENCY_KEY")


@pytest.mark.parametrize("amount", [100.0, 12.5, 0, -1, "1000", True])
def test_transfer_amount_must_be_positive_whole_fen(world, hangzhou, amount):
    payer, wife = hangzhou
    refused(world, transfer(world, payer, wife, amount, key="k"), "INVALID_AMOUNT")


def test_transfer_in_a_binding_region_is_refused(world):
    """HZ-1 is Hangzhou's model; Heilongjiang binds instead (TRANSFER_NOT_OFFERED)."""
    payer = world.person("张建国", city="harbin", prior_fen=100_000)
    wife = world.person("王秀英", city="harbin", sex="F")
    error = refused(world, transfer(world, payer, wife, 1_000, agreement_version="HLJ-2024.07"),
                    "TRANSFER_NOT_OFFERED")
    assert error.params["region_name"] == "黑龙江省"


def test_hz_1_only_spouse_child_and_parent(world, hangzhou):
    """HZ-1: spouse, child, parent; a sibling is refused."""
    payer, _ = hangzhou
    sister = world.person("周丽", city="hangzhou", sex="F")
    refused(world, transfer(world, payer, sister, 1_000, relationship="sibling"), "RELATIONSHIP_NOT_ALLOWED")


def test_hz_1_relative_outside_hangzhou_is_out_of_scope(world, hangzhou):
    payer, _ = hangzhou
    mother = world.person("钱桂英", city="ningbo", born=date(1945, 5, 5), sex="F")
    refused(world, transfer(world, payer, mother, 1_000, relationship="parent"), "OUT_OF_SCOPE")


@pytest.mark.parametrize(("setup", "code"), [
    ("resident_payer", "PAYER_NOT_EMPLOYEE"),
    ("suspended_payer", "PAYER_NOT_NORMAL"),
    ("suspended_beneficiary", "BENEFICIARY_NOT_NORMAL"),
    ("terminated_beneficiary", "NOT_ENROLLED"),
    ("self", "SELF_BINDING"),
    ("implausible", "RELATIONSHIP_IMPLAUSIBLE"),
])
def test_who_may_transfer(world, setup, code):
    scheme = "resident" if setup == "resident_payer" else "employee"
    payer = world.person("周建华", city="hangzhou", scheme=scheme, prior_fen=0 if scheme == "resident" else 9_000)
    wife = world.person("吴敏", city="hangzhou", sex="F")
    relationship, beneficiary = "spouse", wife
    if setup == "suspended_payer":
        world.run(lambda s, env: people.change_status(s, env, id_number=payer.id_number, status="suspended",
                                                      actor=STAFF))
    if setup in ("suspended_beneficiary", "terminated_beneficiary"):
        world.run(lambda s, env: people.change_status(s, env, id_number=wife.id_number,
                                                      status=setup.split("_")[0], actor=STAFF))
    if setup == "self":
        beneficiary = payer
    if setup == "implausible":
        relationship = "parent"
    refused(world, transfer(world, payer, beneficiary, 1_000, relationship=relationship), code)


def test_only_the_payer_or_staff_may_transfer(world, hangzhou):
    payer, wife = hangzhou
    refused(world, transfer(world, payer, wife, 1_000, actor=wife.actor), "ACTOR_NOT_ALLOWED")
    transfer(world, payer, wife, 1_000, actor=Actor.staff("Z0001"))()
    assert funds(world, wife) == (0, 1_000)


# == resident contributions (N-5) ===================================================================


@pytest.fixture
def harbin(world):
    """A Harbin payer bound to his resident daughter (Heilongjiang allows 'resident_contribution')."""
    payer = world.person("张建国", current_fen=30_000, prior_fen=70_000)
    daughter = world.person("张小红", born=date(2003, 3, 3), sex="F", scheme="resident")
    binding_id = world.bind(payer, daughter, "child")
    return payer, daughter, binding_id


def test_n_5_payer_pays_a_bound_resident_relatives_contribution(world, harbin):
    """N-5: the contribution is paid from the payer's account (current-year first, D-1) into the resident fund."""
    payer, daughter, binding_id = harbin
    row = contribute(world, payer, daughter, 40_000, actor=Actor.person(payer.id, Channel.WECHAT))()
    assert (row.payer_id, row.beneficiary_id, row.binding_id, row.year, row.amount_fen, row.channel, row.on) == (
        payer.id, daughter.id, binding_id, 2025, 40_000, "wechat", date(2025, 6, 2))
    assert funds(world, payer) == (0, 60_000)
    assert funds(world, daughter) is None
    assert system_balance(world, "resident_fund:230100") == 40_000
    entry = world.db.read(lambda s: s.get(LedgerEntry, row.entry_id))
    assert entry.kind == "resident_contribution"
    changes = world.db.read(lambda s: records.account_changes(s, person_id=payer.id, limit=2))
    assert {(c.kind, c.fund, c.amount_fen, c.balance_after_fen) for c in changes.items} == {
        ("resident_contribution", "current_year", -30_000, 0),
        ("resident_contribution", "prior_years", -10_000, 60_000)}
    assert world.db.read(lambda s: s.execute(select(Event.kind).where(Event.subject_type == "contribution"))
                         .scalars().all()) == ["contribution.paid"]
    ledger_ok(world)


def test_n_5_same_year_twice_is_refused_next_year_is_fine(world, harbin):
    payer, daughter, _ = harbin
    contribute(world, payer, daughter, 40_000)()
    error = refused(world, contribute(world, payer, daughter, 40_000, key="again"), "CONTRIBUTION_ALREADY_PAID")
    assert error.params["year"] == 2025
    contribute(world, payer, daughter, 40_000, year=2026)()
    assert funds(world, payer) == (0, 20_000)
    assert system_balance(world, "resident_fund:230100") == 80_000


def test_n_5_same_key_returns_the_first_payment_and_moves_money_once(world, harbin):
    payer, daughter, _ = harbin
    first = contribute(world, payer, daughter, 40_000, key="rc-1")()
    again = contribute(world, payer, daughter, 40_000, key="rc-1")()
    assert again.id == first.id
    assert funds(world, payer) == (0, 60_000)
    assert count(world, ContributionPayment) == 1
    refused(world, contribute(world, payer, daughter, 40_001, key="rc-1"), "IDEMPOTENCY_KEY_REUSED")


def test_n_5_without_a_binding_is_refused(world):
    payer = world.person("张建国", current_fen=30_000)
    daughter = world.person("张小红", born=date(2003, 3, 3), sex="F", scheme="resident")
    error = refused(world, contribute(world, payer, daughter, 10_000), "NOT_BOUND")
    assert (error.params["payer_name"], error.params["beneficiary_name"]) == ("张建国", "张小红")


def test_n_5_pending_or_ended_binding_does_not_pay(world, harbin):
    """D-3: only a binding active today pays."""
    payer, daughter, binding_id = harbin
    world.run(lambda s, env: authorizations.unbind(s, env, binding_id=binding_id, actor=payer.actor))
    refused(world, contribute(world, payer, daughter, 10_000), "NOT_BOUND")
    son = world.person("张小军", born=date(2005, 5, 5), scheme="resident")
    world.bind(payer, son, "child", start_on="2025-07-01")
    refused(world, contribute(world, payer, son, 10_000), "NOT_BOUND")


def test_n_5_another_payers_binding_does_not_count(world, harbin):
    _, daughter, _ = harbin
    uncle = world.person("张建民", current_fen=30_000)
    refused(world, contribute(world, uncle, daughter, 10_000), "NOT_BOUND")


def test_n_5_employee_relative_has_no_resident_contribution(world):
    payer = world.person("张建国", current_fen=30_000)
    wife = world.person("王秀英", sex="F")
    world.bind(payer, wife)
    error = refused(world, contribute(world, payer, wife, 10_000), "NOT_RESIDENT_ENROLLEE")
    assert error.params["name"] == "王秀英"


def test_n_5_hn_8_henan_does_not_allow_the_use(world):
    """N-5, HN-8: Henan's mutual-aid money pays bills, not resident contributions."""
    payer = world.person("王建军", city="zhengzhou", current_fen=30_000)
    son = world.person("王小明", city="zhengzhou", born=date(2000, 3, 3), scheme="resident")
    family = world.run(lambda s, env: authorizations.create_family(
        s, env, householder_id_number=payer.id_number, name="王家", actor=payer.actor))
    world.run(lambda s, env: authorizations.add_member(
        s, env, family_id=family.id, member_id_number=son.id_number, relationship="child", actor=payer.actor))
    world.bind(payer, son, "child", documents=[{"kind": "household_register", "file_ref": "upload/1.pdf"}])
    error = refused(world, contribute(world, payer, son, 10_000), "USE_NOT_ALLOWED")
    assert (error.params["region_name"], error.params["use_en"]) == ("河南省", Use.RESIDENT_CONTRIBUTION.en)
    assert funds(world, payer) == (30_000, 0)


def test_n_5_sz_3_shenzhen_does_not_allow_the_use(world):
    payer = world.person("陈志强", city="shenzhen", current_fen=500_000)
    son = world.person("陈小明", city="shenzhen", born=date(2010, 1, 1), scheme="resident")
    world.bind(payer, son, "child")
    refused(world, contribute(world, payer, son, 10_000), "USE_NOT_ALLOWED")


def test_n_5_more_than_the_balance_is_refused(world):
    payer = world.person("李建国", current_fen=20_000, prior_fen=19_999)
    son = world.person("李小明", born=date(2005, 5, 5), scheme="resident")
    world.bind(payer, son, "child")
    error = refused(world, contribute(world, payer, son, 40_000), "INSUFFICIENT_BALANCE")
    assert (error.params["available"], error.params["amount"]) == (39_999, 40_000)
    world.run(lambda s, env: people.credit(s, env, id_number=payer.id_number, amount_fen=1, actor=STAFF,
                                           idempotency_key="top-up"))
    contribute(world, payer, son, 40_000)()
    assert funds(world, payer) == (0, 0)


def test_n_5_the_amount_is_the_regions_yearly_contribution(world, harbin):
    """N-5: the resident contribution is a set yearly amount (400 yuan here), not whatever is typed."""
    payer, daughter, _ = harbin
    error = refused(world, contribute(world, payer, daughter, 38_000), "CONTRIBUTION_AMOUNT")
    assert (error.params["due"], error.params["amount"]) == (40_000, 38_000)
    assert "400.00" in error.message_zh and "380.00" in error.message_en


def test_n_5_a_suspended_resident_may_be_paid_for_a_terminated_one_not(world, harbin):
    """N-5, HN-2: paying a lapsed resident's contribution is what restores him; a terminated one has none due."""
    payer, daughter, _ = harbin
    world.run(lambda s, env: people.change_status(s, env, id_number=daughter.id_number, status="suspended",
                                                  actor=STAFF))
    contribute(world, payer, daughter, 40_000)()
    world.run(lambda s, env: people.change_status(s, env, id_number=daughter.id_number, status="terminated",
                                                  actor=STAFF))
    refused(world, contribute(world, payer, daughter, 40_000, year=2026), "NOT_ENROLLED")


@pytest.mark.parametrize("year", [2023, 2027, "2025", 2025.0, True])
def test_n_5_contribution_year_is_last_this_or_next(world, harbin, year):
    payer, daughter, _ = harbin
    error = refused(world, contribute(world, payer, daughter, 10_000, year=year, key="y"), "INVALID_FIELD")
    assert error.params["field"] == "year"


@pytest.mark.parametrize("amount", [380.0, 0, -38_000])
def test_n_5_amount_must_be_positive_whole_fen(world, harbin, amount):
    payer, daughter, _ = harbin
    refused(world, contribute(world, payer, daughter, amount, key="a"), "INVALID_AMOUNT")


def test_n_5_only_the_payer_or_staff_may_pay(world, harbin):
    payer, daughter, _ = harbin
    refused(world, contribute(world, payer, daughter, 40_000, actor=daughter.actor), "ACTOR_NOT_ALLOWED")
    contribute(world, payer, daughter, 40_000, actor=STAFF)()


def test_n_5_hlj_4_suspended_payer_may_not_pay(world, harbin):
    payer, daughter, _ = harbin
    world.run(lambda s, env: people.change_status(s, env, id_number=payer.id_number, status="suspended",
                                                  actor=STAFF))
    refused(world, contribute(world, payer, daughter, 40_000), "PAYER_NOT_NORMAL")


def test_n_5_wl_5_suspended_payer_may_still_pay_in_ulanqab(world):
    """WL-5: the personal account balance can still be spent after contributions lapse."""
    payer = world.person("巴特尔", city="ulanqab", current_fen=50_000)
    son = world.person("巴图", city="ulanqab", born=date(2001, 1, 1), scheme="resident")
    world.bind(payer, son, "child", priority=1)
    world.run(lambda s, env: people.change_status(s, env, id_number=payer.id_number, status="suspended",
                                                  actor=STAFF))
    contribute(world, payer, son, 40_000)()
    assert system_balance(world, "resident_fund:150900") == 40_000


@pytest.fixture
def shenzhen_like(db, env):
    """A world whose Shenzhen policy also lets mutual aid pay resident contributions (N-5), reserve line kept."""
    book = env.policies
    shenzhen = book.for_region("440300")
    changed = shenzhen.model_copy(update={"uses_for_relatives": [*shenzhen.uses_for_relatives,
                                                                 Use.RESIDENT_CONTRIBUTION]})
    policies = PolicyBook(by_prefix={k: changed if v is shenzhen else v for k, v in book.by_prefix.items()},
                          files=book.files)
    return World(db=db, env=Env(clock=env.clock, policies=policies))


def test_n_5_sz_1_only_the_balance_above_the_reserve_line_pays(shenzhen_like):
    """SZ-1: with a 4,200-yuan reserve line, only what is above it pays a relative's 400-yuan contribution."""
    world = shenzhen_like
    assert world.env.policy("440300").reserve_line_fen == 420_000
    payer = world.person("陈志强", city="shenzhen", current_fen=409_999, prior_fen=50_000)
    son = world.person("陈小明", city="shenzhen", born=date(2010, 1, 1), scheme="resident")
    world.bind(payer, son, "child")
    error = refused(world, contribute(world, payer, son, 40_000), "INSUFFICIENT_BALANCE")
    assert (error.params["available"], error.params["amount"]) == (39_999, 40_000)
    world.run(lambda s, env: people.credit(s, env, id_number=payer.id_number, amount_fen=1, actor=STAFF,
                                           idempotency_key="top-up"))
    contribute(world, payer, son, 40_000)()
    assert funds(world, payer) == (370_000, 50_000)
    assert world.total(payer) == 420_000
    assert system_balance(world, "resident_fund:440300") == 40_000
    refused(world, contribute(world, payer, son, 40_000, year=2026), "INSUFFICIENT_BALANCE")
    ledger_ok(world)
