"""Bindings on both databases: who may bind whom, when, and how a binding ends.

Heilongjiang (230100 Harbin) unless a test says otherwise. Rules: N-1, N-2, N-6, N-7, N-8, D-3, D-4,
HLJ-1..HLJ-9, HN-2, HN-3, SZ-2, HZ-1, WL-1, WL-5. Every refusal is checked for its stable code and
for having changed nothing in any table (no new binding, no document, no event, balances as before).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from gongji.actors import Actor
from gongji.authorizations import service as authorizations
from gongji.authorizations.models import Binding, BindingDocument
from gongji.authorizations.service import Document
from gongji.clock import CST
from gongji.events.models import Event
from gongji.people import service as people
from gongji.people.ids import compose_id_number, mask
from gongji.records import service as records
from gongji.terms import Channel
from tests.factories import STAFF, refused

TODAY = date(2025, 6, 2)
NOW = datetime(2025, 6, 2, 10, tzinfo=CST)
HENAN_PROOF = [{"kind": "household_register", "file_ref": "upload/1.pdf"}]


def binding(world, binding_id: int) -> Binding:
    def read(s):
        row = s.get(Binding, binding_id)
        _ = row.documents  # load while the session is open
        return row

    return world.db.read(read)


def bindings(world) -> list[Binding]:
    return world.db.read(lambda s: list(s.execute(select(Binding).order_by(Binding.id)).scalars()))


def unbind(world, binding_id: int, actor: Actor, note: str | None = None) -> Binding:
    return world.run(lambda s, env: authorizations.unbind(s, env, binding_id=binding_id, actor=actor, note=note))


def suspend(world, person) -> None:
    world.run(lambda s, env: people.change_status(s, env, id_number=person.id_number, status="suspended",
                                                  actor=STAFF))


def records_of(world, person, **kwargs) -> records.Page:
    return world.db.read(lambda s: records.authorization_records(
        s, person_id=person.id, today=world.env.today(), **kwargs))


@pytest.fixture
def pair(world):
    """A Harbin payer with money and his wife."""
    return world.person("张建国", current_fen=50_000), world.person("王秀英", sex="F")


# -- the happy path: consent, channel, operator, documents (N-7, N-8, HN-3, HLJ-7, HLJ-9) ------------


def test_n_7_binding_keeps_consent_channel_and_operator(world, pair):
    """N-7: the accepted agreement version, when and through which channel, and who did it, are kept."""
    payer, wife = pair
    binding_id = world.bind(payer, wife, "spouse", actor=Actor.person(payer.id, Channel.WECHAT))
    row = binding(world, binding_id)
    assert (row.payer_id, row.beneficiary_id, row.relationship) == (payer.id, wife.id, "spouse")
    assert row.agreement_version == "HLJ-2024.07"
    assert row.agreement_accepted_at == NOW and row.created_at == NOW
    assert (row.channel, row.operator_kind, row.operator_id) == ("wechat", "person", str(payer.id))
    assert (row.start_on, row.end_on, row.priority, row.family_id) == (TODAY, None, None, None)
    assert row.region_code == "230100" and row.ended_on is None and row.documents == []
    [event] = world.db.read(lambda s: list(s.execute(select(Event).where(Event.kind == "binding.created")).scalars()))
    assert event.subject_id == binding_id and event.concerns == sorted([payer.id, wife.id])
    assert event.channel == "wechat"
    assert [r.state for r in records_of(world, payer).items] == ["active"]


@pytest.mark.parametrize("version", [None, "", "HLJ-2020.01", "HN-2023.01"])
def test_n_7_binding_without_accepting_the_current_agreement_is_refused(world, pair, version):
    payer, wife = pair
    error = refused(world, lambda: world.bind(payer, wife, agreement_version=version), "CONSENT_REQUIRED")
    assert error.params["version"] == "HLJ-2024.07"


def test_n_8_hlj_9_counter_documents_are_checked_by_staff(world, pair):
    """N-8, HLJ-9: at the counter staff check the voucher, the relative's ID and the commitment letter."""
    payer, wife = pair
    documents = [{"kind": "e_voucher"}, {"kind": "id_card"},
                 Document(kind="commitment_letter", file_ref="scan/2025/06/02/letter.pdf")]
    binding_id = world.bind(payer, wife, actor=Actor.staff("C0042"), documents=documents)
    row = binding(world, binding_id)
    assert (row.channel, row.operator_kind, row.operator_id) == ("counter", "staff", "C0042")
    assert [(d.kind, d.file_ref, d.checked_by) for d in row.documents] == [
        ("e_voucher", None, "C0042"), ("id_card", None, "C0042"),
        ("commitment_letter", "scan/2025/06/02/letter.pdf", "C0042")]
    assert all(d.added_at == NOW for d in row.documents)


def test_hn_3_proof_uploaded_online_is_stored_unchecked(world, pair):
    """HN-3: proof uploaded by the payer himself is stored; nobody has checked it yet."""
    payer, wife = pair
    binding_id = world.bind(payer, wife, documents=[{"kind": "marriage_certificate", "file_ref": "upload/7.jpg"}])
    [doc] = binding(world, binding_id).documents
    assert (doc.kind, doc.file_ref, doc.checked_by) == ("marriage_certificate", "upload/7.jpg", None)


@pytest.mark.parametrize(("documents", "code"), [
    ([{"kind": "passport"}], "UNKNOWN_DOCUMENT_KIND"),
    ([{"kind": "id_card", "file_ref": "x" * 501}], "INVALID_FIELD"),
    ([{"kind": "id_card", "file_ref": 12}], "INVALID_FIELD"),
])
def test_bad_documents_are_refused(world, pair, documents, code):
    payer, wife = pair
    refused(world, lambda: world.bind(payer, wife, documents=documents), code)


@pytest.mark.parametrize(("relationship", "code"), [("cousin", "UNKNOWN_RELATIONSHIP"), ("parent",
                                                                                       "RELATIONSHIP_IMPLAUSIBLE")])
def test_unknown_or_implausible_relationship_is_refused(world, pair, relationship, code):
    """N-2: a close relative; a 'parent' born on the payer's birthday is a relationship chosen wrongly."""
    payer, wife = pair
    refused(world, lambda: world.bind(payer, wife, relationship), code)


def test_n_2_hlj_5_grandchild_and_parent_with_fitting_birth_dates(world):
    payer = world.person("张建国", born=date(1970, 1, 1), current_fen=10_000)
    mother = world.person("李桂兰", born=date(1945, 3, 3), sex="F")
    grandson = world.person("张小宝", born=date(2018, 8, 8))
    world.bind(payer, mother, "parent")
    world.bind(payer, grandson, "grandchild")
    assert [b.relationship for b in bindings(world)] == ["parent", "grandchild"]


def test_self_binding_is_refused(world, pair):
    payer, _ = pair
    refused(world, lambda: world.bind(payer, payer), "SELF_BINDING")


def test_binding_an_unknown_or_malformed_person_is_refused(world, pair):
    payer, _ = pair
    unknown = compose_id_number("230100", date(1972, 2, 2), 555, "F")

    def bind_to(id_number: str):
        return lambda: world.run(lambda s, env: authorizations.bind(
            s, env, payer_id_number=payer.id_number, beneficiary_id_number=id_number, relationship="spouse",
            actor=payer.actor, agreement_version="HLJ-2024.07"))

    refused(world, bind_to(unknown), "PERSON_NOT_FOUND")
    refused(world, bind_to(unknown[:17] + ("0" if unknown[17] != "0" else "1")), "INVALID_ID_NUMBER")


# -- the validity period (HLJ-6, D-3) -------------------------------------------------------------


def test_hlj_6_start_in_the_past_is_refused(world, pair):
    payer, wife = pair
    error = refused(world, lambda: world.bind(payer, wife, start_on=TODAY - timedelta(days=1)), "DATE_IN_PAST")
    assert error.params == {"field": "start_on", "today": "2025-06-02"}


@pytest.mark.parametrize(("start_on", "end_on"), [
    (TODAY, TODAY),
    ("2025-06-10", "2025-06-10"),
    ("2025-06-10", "2025-06-09"),
])
def test_hlj_6_end_equal_to_or_before_start_is_refused(world, pair, start_on, end_on):
    payer, wife = pair
    error = refused(world, lambda: world.bind(payer, wife, start_on=start_on, end_on=end_on), "INVALID_PERIOD")
    assert error.params["end_on"] == str(end_on)


@pytest.mark.parametrize("value", ["2025/06/10", "tomorrow", 20250610])
def test_hlj_6_badly_written_date_is_refused(world, pair, value):
    payer, wife = pair
    error = refused(world, lambda: world.bind(payer, wife, start_on=value), "INVALID_FIELD")
    assert error.params["field"] == "start_on"


def test_hlj_6_future_start_is_pending_until_its_day(world, clock, pair):
    """HLJ-6, D-3: a binding starting later exists now (state pending) and pays from its start date."""
    payer, wife = pair
    binding_id = world.bind(payer, wife, start_on="2025-06-10", end_on="2025-12-31")
    row = binding(world, binding_id)
    assert (row.start_on, row.end_on) == (date(2025, 6, 10), date(2025, 12, 31))
    assert [r.state for r in records_of(world, payer).items] == ["pending"]
    assert world.db.read(lambda s: authorizations.active_payer_bindings(s, beneficiary_id=wife.id, on=TODAY)) == []
    clock.advance(days=8)
    assert [r.state for r in records_of(world, wife).items] == ["active"]
    active = world.db.read(lambda s: authorizations.active_payer_bindings(
        s, beneficiary_id=wife.id, on=world.env.today()))
    assert [b.id for b in active] == [binding_id]


@pytest.mark.parametrize("priority", [0, -1, 100, 1.0, "1", True])
def test_wl_1_priority_must_be_a_whole_number_from_1(world, pair, priority):
    payer, wife = pair
    error = refused(world, lambda: world.bind(payer, wife, priority=priority), "INVALID_FIELD")
    assert error.params["field"] == "priority"


# -- caps and roles (HLJ-1, HLJ-3) -----------------------------------------------------------------


def test_hlj_1_eleventh_beneficiary_is_refused(world):
    """HLJ-1: at most 10 bound beneficiaries at the same time; unbinding one frees a place."""
    payer = world.person("张建国", current_fen=10_000)
    relatives = [world.person(f"张{i}", born=date(1971, 1, 1) + timedelta(days=i)) for i in range(11)]
    ids = [world.bind(payer, r, "sibling") for r in relatives[:10]]
    error = refused(world, lambda: world.bind(payer, relatives[10], "sibling"), "TOO_MANY_BENEFICIARIES")
    assert (error.params["count"], error.params["limit"]) == (10, 10)
    unbind(world, ids[0], payer.actor)
    world.bind(payer, relatives[10], "sibling")
    assert len([b for b in bindings(world) if b.ended_on is None]) == 10


def test_hlj_1_future_bindings_count_toward_the_cap(world):
    payer = world.person("张建国", current_fen=10_000)
    relatives = [world.person(f"李{i}") for i in range(11)]
    for r in relatives[:10]:
        world.bind(payer, r, "sibling", start_on="2025-09-01")
    refused(world, lambda: world.bind(payer, relatives[10], "sibling"), "TOO_MANY_BENEFICIARIES")


def test_hlj_3_second_payer_for_one_beneficiary_is_refused(world, pair):
    """HLJ-3: a person is bound once at a time: at most one active payer per beneficiary."""
    payer, wife = pair
    son = world.person("张伟", born=date(1995, 5, 5), current_fen=8_000)
    world.bind(payer, wife)
    error = refused(world, lambda: world.bind(son, wife, "parent"), "TOO_MANY_PAYERS")
    assert (error.params["count"], error.params["limit"]) == (1, 1)


def test_hlj_3_one_way_a_beneficiary_cannot_pay_and_a_payer_cannot_be_paid_for(world, pair):
    """HLJ-3: binding is one-way, and one person holds one role at a time (ROLE_CONFLICT)."""
    payer, wife = pair
    son = world.person("张伟", born=date(1995, 5, 5), current_fen=8_000)
    world.run(lambda s, env: people.credit(s, env, id_number=wife.id_number, amount_fen=5_000, actor=STAFF,
                                           idempotency_key="c1"))
    world.bind(payer, wife)
    # the wife (a beneficiary) may not become a payer, not even for her husband
    error = refused(world, lambda: world.bind(wife, payer), "ROLE_CONFLICT")
    assert error.params["role_en"] == "beneficiary"
    refused(world, lambda: world.bind(wife, son, "child"), "ROLE_CONFLICT")
    # the payer may not become a beneficiary
    error = refused(world, lambda: world.bind(son, payer, "parent"), "ROLE_CONFLICT")
    assert error.params["role_en"] == "payer"


def test_same_pair_twice_is_refused(world, pair):
    payer, wife = pair
    first = world.bind(payer, wife)
    error = refused(world, lambda: world.bind(payer, wife), "ALREADY_BOUND")
    assert error.params["binding_id"] == first


# -- the re-bind wait (HLJ-2, D-4) -----------------------------------------------------------------


def test_hlj_2_d_4_rebind_refused_on_day_29_and_possible_on_day_30(world, clock, pair):
    """HLJ-2, D-4: unbound on day D, the same pair binds again from D + 30."""
    payer, wife = pair
    first = world.bind(payer, wife)
    clock.advance(days=5)
    unbound_on = TODAY + timedelta(days=5)
    unbind(world, first, payer.actor)
    refused(world, lambda: world.bind(payer, wife), "REBIND_TOO_SOON")
    clock.advance(days=29)
    error = refused(world, lambda: world.bind(payer, wife), "REBIND_TOO_SOON")
    assert error.params == {"unbound_on": unbound_on.isoformat(),
                            "rebind_from": (unbound_on + timedelta(days=30)).isoformat(), "wait_days": 30}
    assert error.params["rebind_from"] == "2025-07-07"
    clock.advance(days=1)
    second = world.bind(payer, wife)
    assert second != first and binding(world, second).start_on == date(2025, 7, 7)


def test_hlj_2_wait_applies_to_the_pair_only(world, pair):
    payer, wife = pair
    son = world.person("张伟", born=date(1995, 5, 5))
    unbind(world, world.bind(payer, wife), wife.actor)
    world.bind(payer, son, "child")
    refused(world, lambda: world.bind(payer, wife), "REBIND_TOO_SOON")


def test_d_4_an_expired_binding_starts_no_wait(world, clock, pair):
    """D-3, D-4: the wait counts from an unbinding; a binding that ran out may be renewed at once."""
    payer, wife = pair
    world.bind(payer, wife, end_on="2025-06-05")
    clock.advance(days=4)
    assert world.run(lambda s, env: authorizations.close_expired(s, env)) == 1
    renewed = world.bind(payer, wife)
    assert binding(world, renewed).start_on == date(2025, 6, 6)


# -- unbinding (HLJ-8, SZ-4) ------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "reason", "kind"), [
    ("payer", "by_payer", "person"),
    ("beneficiary", "by_beneficiary", "person"),
    ("staff", "by_staff", "staff"),
])
def test_unbind_keeps_who_and_why(world, clock, pair, who, reason, kind):
    payer, wife = pair
    binding_id = world.bind(payer, wife)
    clock.advance(days=3)
    actor = {"payer": payer.actor, "beneficiary": wife.actor, "staff": STAFF}[who]
    refused(world, lambda: unbind(world, binding_id, actor, note="家庭原因" * 60), "INVALID_FIELD")  # 240 > 200
    unbind(world, binding_id, actor, note="家庭原因" * 50)
    row = binding(world, binding_id)
    assert (row.ended_on, row.end_reason, row.ended_by_kind, row.ended_by_id) == (
        date(2025, 6, 5), reason, kind, actor.id)
    assert row.ended_at == NOW + timedelta(days=3)
    assert row.end_note == "家庭原因" * 50
    assert [(r.state, r.end_reason) for r in records_of(world, wife).items] == [("ended", reason)]
    assert world.db.read(lambda s: authorizations.active_payer_bindings(
        s, beneficiary_id=wife.id, on=world.env.today())) == []


def test_unbind_by_a_stranger_is_refused(world, pair):
    payer, wife = pair
    binding_id = world.bind(payer, wife)
    stranger = world.person("陌生人")
    refused(world, lambda: unbind(world, binding_id, stranger.actor), "NOT_PARTY_TO_BINDING")
    refused(world, lambda: unbind(world, binding_id, Actor.institution("H23010100001")), "NOT_PARTY_TO_BINDING")
    assert binding(world, binding_id).ended_on is None


def test_unbind_twice_is_refused(world, pair):
    payer, wife = pair
    binding_id = world.bind(payer, wife)
    unbind(world, binding_id, payer.actor)
    error = refused(world, lambda: unbind(world, binding_id, wife.actor), "BINDING_ENDED")
    assert error.params["ended_on"] == "2025-06-02"
    assert binding(world, binding_id).end_reason == "by_payer"


def test_unbind_unknown_binding_is_refused(world):
    refused(world, lambda: unbind(world, 424242, STAFF), "BINDING_NOT_FOUND")
    for not_a_number in ("1", True, 2**63, 0):
        error = refused(world, lambda n=not_a_number: unbind(world, n, STAFF), "INVALID_FIELD")
        assert error.params["field"] == "binding_id"


def test_a_pending_binding_can_be_withdrawn(world, pair):
    payer, wife = pair
    binding_id = world.bind(payer, wife, start_on="2025-07-01")
    unbind(world, binding_id, payer.actor)
    assert [r.state for r in records_of(world, payer).items] == ["ended"]


# -- who may bind (N-1, N-2, N-6, HLJ-4, HN-2, WL-5, SZ-2, HZ-1) -----------------------------------


def test_n_1_resident_cannot_be_a_payer(world):
    resident = world.person("刘大海", scheme="resident")
    wife = world.person("王秀英", sex="F")
    error = refused(world, lambda: world.bind(resident, wife), "PAYER_NOT_EMPLOYEE")
    assert error.params["name"] == "刘大海"


def test_n_2_resident_can_be_a_beneficiary(world):
    payer = world.person("张建国", current_fen=1_000)
    child = world.person("张小红", born=date(2005, 1, 1), sex="F", scheme="resident")
    world.bind(payer, child, "child")
    assert [r.role for r in records_of(world, child).items] == ["beneficiary"]


def test_n_2_terminated_beneficiary_is_not_enrolled(world, pair):
    payer, wife = pair
    world.run(lambda s, env: people.change_status(s, env, id_number=wife.id_number, status="terminated",
                                                  actor=STAFF))
    refused(world, lambda: world.bind(payer, wife), "NOT_ENROLLED")


def test_n_2_sz_2_sibling_not_allowed_in_shenzhen(world):
    """N-2, SZ-2: a region may allow fewer relatives: Shenzhen takes spouse and direct relatives only."""
    payer = world.person("陈志强", city="shenzhen", current_fen=500_000)
    sister = world.person("陈丽", city="shenzhen", sex="F")
    error = refused(world, lambda: world.bind(payer, sister, "sibling"), "RELATIONSHIP_NOT_ALLOWED")
    assert error.params["region_name"] == "深圳市"
    world.bind(payer, world.person("林小梅", city="shenzhen", sex="F"), "spouse")


def test_hz_1_hangzhou_offers_no_bindings(world):
    """HZ-1: Hangzhou moves prior-years funds instead; a binding request is refused."""
    payer = world.person("周杰", city="hangzhou", prior_fen=100_000)
    wife = world.person("吴敏", city="hangzhou", sex="F")
    error = refused(world, lambda: world.bind(payer, wife), "BINDING_NOT_OFFERED")
    assert error.params["region_name"] == "杭州市"


def test_n_6_same_province_different_city_is_fine_in_heilongjiang(world):
    """N-6, HLJ-5: Harbin payer, Qiqihar relative: same province suffices."""
    payer = world.person("张建国", city="harbin", current_fen=10_000)
    mother = world.person("李桂兰", city="qiqihar", born=date(1948, 2, 2), sex="F")
    binding_id = world.bind(payer, mother, "parent")
    assert binding(world, binding_id).region_code == "230100"


def test_n_6_other_province_is_out_of_scope(world):
    payer = world.person("张建国", city="harbin", current_fen=10_000)
    wife = world.person("王秀英", city="zhengzhou", sex="F")
    refused(world, lambda: world.bind(payer, wife), "OUT_OF_SCOPE")


def test_sz_2_shenzhen_payer_with_guangzhou_relative_is_out_of_scope(world):
    """SZ-2: Shenzhen requires the same city, not just Guangdong."""
    payer = world.person("陈志强", city="shenzhen", current_fen=500_000)
    mother = world.person("黄桂芳", city="guangzhou", born=date(1945, 1, 1), sex="F")
    error = refused(world, lambda: world.bind(payer, mother, "parent"), "OUT_OF_SCOPE")
    assert error.params["scope_en"] == "same city"


def test_hlj_4_suspended_payer_is_refused_in_heilongjiang(world, pair):
    payer, wife = pair
    suspend(world, payer)
    refused(world, lambda: world.bind(payer, wife), "PAYER_NOT_NORMAL")


def henan_couple(world):
    """A Zhengzhou payer and his wife, in one family (HN-1), ready to bind."""
    payer = world.person("王建军", city="zhengzhou", current_fen=10_000)
    wife = world.person("刘红", city="zhengzhou", sex="F")
    family = world.run(lambda s, env: authorizations.create_family(
        s, env, householder_id_number=payer.id_number, name="王家", actor=payer.actor))
    world.run(lambda s, env: authorizations.add_member(
        s, env, family_id=family.id, member_id_number=wife.id_number, relationship="spouse", actor=payer.actor))
    return payer, wife


def test_hn_2_suspended_payer_is_refused_in_henan(world):
    """HN-2: in Henan both sides must be in normal status."""
    payer, wife = henan_couple(world)
    suspend(world, payer)
    error = refused(world, lambda: world.bind(payer, wife, documents=HENAN_PROOF), "PAYER_NOT_NORMAL")
    assert error.params["status_en"] == "suspended"


def test_hn_2_suspended_beneficiary_is_refused_in_henan(world):
    payer, wife = henan_couple(world)
    suspend(world, wife)
    refused(world, lambda: world.bind(payer, wife, documents=HENAN_PROOF), "BENEFICIARY_NOT_NORMAL")


def test_wl_5_suspended_payer_may_bind_in_ulanqab(world):
    """WL-5: in Ulanqab a payer with lapsed contributions can still spend, so may still bind."""
    payer = world.person("巴特尔", city="ulanqab", current_fen=10_000)
    wife = world.person("其其格", city="ulanqab", sex="F")
    suspend(world, payer)
    binding_id = world.bind(payer, wife, priority=1)
    assert binding(world, binding_id).priority == 1


def test_wl_2_ulanqab_payer_may_bind_a_hohhot_relative(world):
    """WL-2: same province is enough."""
    payer = world.person("巴特尔", city="ulanqab", current_fen=10_000)
    mother = world.person("乌云", city="hohhot", born=date(1940, 1, 1), sex="F")
    world.bind(payer, mother, "parent")


def test_hlj_4_payer_with_zero_balance_is_refused(world):
    """HLJ-4: the payer's balance must be above zero."""
    payer = world.person("张建国")
    wife = world.person("王秀英", sex="F")
    error = refused(world, lambda: world.bind(payer, wife), "PAYER_NO_BALANCE")
    assert error.params["name"] == "张建国"


def test_hlj_4_prior_years_balance_counts_as_balance(world):
    payer = world.person("张建国", prior_fen=1)
    world.bind(payer, world.person("王秀英", sex="F"))


def test_only_the_payer_or_staff_may_bind(world, pair):
    """HLJ-7: the payer binds from his own login; a relative or stranger may not act for him."""
    payer, wife = pair
    stranger = world.person("陌生人")
    for actor in (wife.actor, stranger.actor, Actor.institution("H23010100001"), Actor.system()):
        error = refused(world, lambda a=actor: world.bind(payer, wife, actor=a), "ACTOR_NOT_ALLOWED")
        assert error.params["name"] == "张建国"
    assert bindings(world) == []


# -- expiry (D-3) -----------------------------------------------------------------------------------


def test_d_3_close_expired_ends_bindings_the_day_after_end_on(world, clock):
    """D-3: active through the end date inclusive; on the day after, ended with reason ``expired``."""
    payer = world.person("张建国", current_fen=10_000)
    wife, brother, sister = world.person("王秀英", sex="F"), world.person("张建民"), world.person("张建华", sex="F")
    expiring = world.bind(payer, wife, end_on="2025-06-12")
    open_ended = world.bind(payer, brother, "sibling")
    later = world.bind(payer, sister, "sibling", end_on="2025-08-01")
    close = lambda: world.run(lambda s, env: authorizations.close_expired(s, env))  # noqa: E731

    clock.advance(days=10)  # 2025-06-12: the last day
    assert close() == 0
    assert [b.id for b in world.db.read(lambda s: authorizations.active_payer_bindings(
        s, beneficiary_id=wife.id, on=date(2025, 6, 12)))] == [expiring]

    clock.advance(days=1)  # 2025-06-13
    assert close() == 1
    row = binding(world, expiring)
    assert (row.ended_on, row.end_reason, row.ended_by_kind, row.ended_by_id) == (
        date(2025, 6, 13), "expired", "system", "expiry")
    assert binding(world, open_ended).ended_on is None and binding(world, later).ended_on is None
    assert close() == 0
    assert binding(world, expiring).ended_on == date(2025, 6, 13)
    states = {r.binding_id: r.state for r in records_of(world, payer).items}
    assert states == {expiring: "expired", open_ended: "active", later: "active"}


def test_d_3_days_are_china_standard_time_days(world, clock, pair):
    """D-3: dates are CST dates: at 00:30 CST it is already the next day (16:30 UTC the day before)."""
    payer, wife = pair
    binding_id = world.bind(payer, wife, end_on="2025-06-05")
    close = lambda: world.run(lambda s, env: authorizations.close_expired(s, env))  # noqa: E731
    clock.set(datetime(2025, 6, 5, 23, 59, tzinfo=CST))
    assert close() == 0
    assert [r.state for r in records_of(world, payer).items] == ["active"]
    clock.set(datetime(2025, 6, 6, 0, 30, tzinfo=CST))
    assert close() == 1
    assert binding(world, binding_id).ended_on == date(2025, 6, 6)
    son = world.person("张伟", born=date(1995, 5, 5))
    refused(world, lambda: world.bind(payer, son, "child", start_on="2025-06-05"), "DATE_IN_PAST")
    assert binding(world, world.bind(payer, son, "child", start_on="2025-06-06")).start_on == date(2025, 6, 6)


def test_d_3_closing_late_still_ends_on_the_day_after_end_on(world, clock, pair):
    payer, wife = pair
    binding_id = world.bind(payer, wife, end_on="2025-06-03")
    clock.advance(days=40)
    assert world.run(lambda s, env: authorizations.close_expired(s, env)) == 1
    assert binding(world, binding_id).ended_on == date(2025, 6, 4)
    error = refused(world, lambda: unbind(world, binding_id, payer.actor), "BINDING_ENDED")
    assert error.params["ended_on"] == "2025-06-04"


def test_d_3_expired_but_not_yet_closed_binding_is_no_longer_open(world, clock, pair):
    """D-3: expiry is by date; until the job runs, the binding neither pays nor blocks a new one."""
    payer, wife = pair
    world.bind(payer, wife, end_on="2025-06-03")
    clock.advance(days=2)
    assert [r.state for r in records_of(world, payer).items] == ["expired"]
    assert records_of(world, payer, include_ended=False).items == []
    world.bind(payer, wife)


# -- authorization records (HLJ-8, N-9) ------------------------------------------------------------


def test_hlj_8_authorization_records_from_both_sides(world, clock):
    """HLJ-8, N-9: both sides see the binding, its state and the other side's masked ID number."""
    payer = world.person("张建国", current_fen=10_000)
    wife = world.person("王秀英", sex="F")
    son = world.person("张伟", born=date(1995, 5, 5))
    first = world.bind(payer, wife, end_on="2026-06-01", actor=Actor.person(payer.id, Channel.ALIPAY))
    second = world.bind(payer, son, "child", start_on="2025-06-20", priority=2)

    seen_by_payer = records_of(world, payer)
    assert seen_by_payer.total == 2
    assert [(r.binding_id, r.role, r.other_name, r.other_id_number, r.relationship, r.state, r.channel)
            for r in seen_by_payer.items] == [
        (second, "payer", "张伟", mask(son.id_number), "child", "pending", "portal"),
        (first, "payer", "王秀英", mask(wife.id_number), "spouse", "active", "alipay")]
    assert seen_by_payer.items[0].priority == 2 and seen_by_payer.items[1].end_on == date(2026, 6, 1)
    assert all("*" * 10 in r.other_id_number and r.other_id_number[-4:] == o.id_number[-4:]
               for r, o in zip(seen_by_payer.items, (son, wife), strict=True))

    [seen_by_wife] = records_of(world, wife).items
    assert (seen_by_wife.binding_id, seen_by_wife.role, seen_by_wife.other_name, seen_by_wife.other_id_number) == (
        first, "beneficiary", "张建国", mask(payer.id_number))
    assert payer.id_number not in repr(seen_by_wife)

    unbind(world, first, wife.actor)
    assert [(r.binding_id, r.state, r.end_reason) for r in records_of(world, payer).items] == [
        (second, "pending", None), (first, "ended", "by_beneficiary")]
    assert [r.binding_id for r in records_of(world, payer, include_ended=False).items] == [second]
    assert records_of(world, payer, role="beneficiary").total == 0
    assert records_of(world, wife, role="payer").total == 0
    page = records_of(world, payer, limit=1, offset=1)
    assert (page.total, [r.binding_id for r in page.items]) == (2, [first])


def test_hlj_8_unknown_role_is_refused(world, pair):
    payer, _ = pair
    error = refused(world, lambda: records_of(world, payer, role="owner"), "INVALID_FIELD")
    assert error.params["field"] == "role"


def test_a_refused_binding_does_not_write_its_documents(world, pair):
    """A refused request changes nothing: neither binding nor documents nor event."""
    payer, wife = pair
    world.bind(payer, wife)
    checked = [{"kind": k} for k in ("e_voucher", "id_card", "commitment_letter")]  # HLJ-9's counter list
    refused(world, lambda: world.bind(payer, wife, actor=STAFF, documents=checked), "ALREADY_BOUND")
    assert world.db.read(lambda s: s.execute(select(BindingDocument)).all()) == []


def test_d_3_binding_ended_gives_the_same_day_before_and_after_the_expiry_job(world, clock, pair):
    """D-3: a binding is active through its end date and has ended on the day after; the refusal says so."""
    payer, wife = pair
    binding_id = world.bind(payer, wife, end_on="2025-06-03")
    clock.advance(days=2)
    error = refused(world, lambda: unbind(world, binding_id, payer.actor), "BINDING_ENDED")
    assert error.params["ended_on"] == "2025-06-04"


def test_d_3_the_one_sql_expression_agrees_with_the_rule(world):
    """D-3: ``active_on`` and ``open_on`` (the SQL the settlement, the payer bindings and the records use) say what
    rules.is_active and rules.is_open say, day by day, for a binding not yet ended, one with an end date, and one
    ended by an unbinding."""
    from gongji.authorizations import rules

    payer = world.person("张建国", current_fen=10_000)
    wife, brother, sister = world.person("王秀英", sex="F"), world.person("张建民"), world.person("张建华", sex="F")
    ids = [world.bind(payer, wife, end_on="2025-06-12"), world.bind(payer, brother, "sibling"),
           world.bind(payer, sister, "sibling", end_on="2025-08-01")]
    world.run(lambda s, env: s.get(Binding, ids[1]).__setattr__("ended_on", date(2025, 6, 5)))
    days = [date(2025, 6, 1) + timedelta(days=n) for n in range(0, 70, 3)]

    def read(s):
        rows = {b.id: b for b in s.execute(select(Binding).where(Binding.id.in_(ids))).scalars()}
        found = []
        for on in days:
            active = set(s.execute(select(Binding.id).where(Binding.id.in_(ids), authorizations.active_on(on)))
                         .scalars())
            open_ = set(s.execute(select(Binding.id).where(Binding.id.in_(ids), authorizations.open_on(on)))
                        .scalars())
            for binding_id, b in rows.items():
                if b.ended_on is not None and b.ended_on <= on:  # the SQL reads days not before an unbinding
                    expected_active = expected_open = False
                elif b.ended_on is not None:
                    continue  # a day before the unbinding is in the past: the SQL is not asked about it
                else:
                    expected_active = rules.is_active(start_on=b.start_on, end_on=b.end_on, ended_on=None, on=on)
                    expected_open = rules.is_open(end_on=b.end_on, ended_on=None, today=on)
                found.append((on, binding_id, binding_id in active, expected_active,
                              binding_id in open_, expected_open))
        return found

    found = world.db.read(read)
    assert found and all(got == expected and got_open == expected_open
                         for _, _, got, expected, got_open, expected_open in found), found
    assert any(got for _, _, got, *_ in found) and any(not got for _, _, got, *_ in found)
