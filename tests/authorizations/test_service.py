"""Bindings on both databases: consent, documents, the validity period, caps, the re-bind wait, unbinding.

Heilongjiang (230100 Harbin) unless a test says otherwise. Who may bind is in test_service_parties.py,
expiry and authorization records in test_service_expiry.py. Every refusal is checked for its stable code and
for having changed nothing in any table (no new binding, no document, no event, balances as before).

Rules: N-2, N-7, N-8, D-3, D-4, HLJ-1, HLJ-2, HLJ-3, HLJ-6, HLJ-7, HLJ-8, HLJ-9, HN-3, SZ-4, WL-1.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from gongji.actors import Actor
from gongji.authorizations import service as authorizations
from gongji.authorizations.service import Document
from gongji.events.models import Event
from gongji.people import service as people
from gongji.people.ids import compose_id_number
from gongji.terms import Channel
from tests.authorizations.binding_world import (
    NOW,
    TODAY,
    binding,
    bindings,
    records_of,
    unbind,
)
from tests.factories import STAFF, refused

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
