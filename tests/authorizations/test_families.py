"""Families, Henan style (410100 Zhengzhou), on both databases: HN-1, HN-3, HN-7.

The payer creates a family, maintains its members and binds them one by one; removing or leaving
unbinds. Every refusal is checked for its stable code and for having changed nothing in any table.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from gongji.authorizations import service as authorizations
from gongji.authorizations.models import Binding, Family, FamilyMember
from gongji.clock import CST
from gongji.events.models import Event
from tests.factories import STAFF, refused

NOW = datetime(2025, 6, 2, 10, tzinfo=CST)
PROOF = [{"kind": "household_register", "file_ref": "upload/1.pdf"}]


def create_family(world, householder, name: str = "王家", actor=None) -> int:
    return world.run(lambda s, env: authorizations.create_family(
        s, env, householder_id_number=householder.id_number, name=name, actor=actor or householder.actor)).id


def add_member(world, family_id: int, member, relationship: str, actor) -> FamilyMember:
    return world.run(lambda s, env: authorizations.add_member(
        s, env, family_id=family_id, member_id_number=member.id_number, relationship=relationship, actor=actor))


def remove_member(world, family_id: int, member, actor) -> int:
    return world.run(lambda s, env: authorizations.remove_member(
        s, env, family_id=family_id, member_id_number=member.id_number, actor=actor))


def leave(world, family_id: int, member, actor=None) -> int:
    return world.run(lambda s, env: authorizations.leave_family(
        s, env, family_id=family_id, member_id_number=member.id_number, actor=actor or member.actor))


def update_member(world, family_id: int, member, relationship: str, actor) -> FamilyMember:
    return world.run(lambda s, env: authorizations.update_member(
        s, env, family_id=family_id, member_id_number=member.id_number, relationship=relationship, actor=actor))


def members(world, family_id: int) -> list[tuple[int, str]]:
    return [(m.person_id, m.relationship)
            for m in world.db.read(lambda s: authorizations.family_members(s, family_id))]


def family_of(world, person) -> int | None:
    return world.db.read(lambda s: authorizations.family_of(s, person.id))


def binding(world, binding_id: int) -> Binding:
    def read(s):
        row = s.get(Binding, binding_id)
        _ = row.documents
        return row

    return world.db.read(read)


def event_kinds(world) -> list[str]:
    return world.db.read(lambda s: list(s.execute(select(Event.kind).order_by(Event.id)).scalars()))


@pytest.fixture
def household(world):
    """A Zhengzhou householder with his wife and son, and a family holding both."""
    payer = world.person("王建军", city="zhengzhou", current_fen=20_000)
    wife = world.person("刘红", city="zhengzhou", sex="F")
    son = world.person("王小明", city="zhengzhou", born=date(2000, 3, 3), scheme="resident")
    family_id = create_family(world, payer)
    add_member(world, family_id, wife, "spouse", payer.actor)
    add_member(world, family_id, son, "child", payer.actor)
    return family_id, payer, wife, son


# -- creating a family and binding inside it (HN-1, HN-3) --------------------------------------------


def test_hn_1_create_family_add_members_and_bind_one_by_one(world, household):
    """HN-1: 共济家庭建立, 共济成员维护, then a binding per member, each tied to the family."""
    family_id, payer, wife, son = household
    family = world.db.read(lambda s: s.get(Family, family_id))
    assert (family.householder_id, family.name, family.region_code, family.created_at, family.dissolved_at) == (
        payer.id, "王家", "410100", NOW, None)
    assert members(world, family_id) == [(wife.id, "spouse"), (son.id, "child")]
    assert family_of(world, payer) == family_of(world, wife) == family_of(world, son) == family_id

    to_wife = world.bind(payer, wife, "spouse", documents=PROOF)
    to_son = world.bind(payer, son, "child", documents=[{"kind": "birth_certificate", "file_ref": "upload/2.pdf"}])
    for binding_id in (to_wife, to_son):
        row = binding(world, binding_id)
        assert row.family_id == family_id and row.agreement_version == "HN-2023.01"
    [doc] = binding(world, to_wife).documents
    assert (doc.kind, doc.file_ref, doc.checked_by) == ("household_register", "upload/1.pdf", None)
    assert event_kinds(world)[-5:] == ["family.created", "family.member_added", "family.member_added",
                                       "binding.created", "binding.created"]


def test_hn_1_family_name_is_trimmed_and_required(world):
    payer = world.person("王建军", city="zhengzhou")
    family_id = create_family(world, payer, name="  王家  ")
    assert world.db.read(lambda s: s.get(Family, family_id).name) == "王家"


@pytest.mark.parametrize("name", ["", "   ", "家" * 51, None])
def test_hn_1_family_without_a_proper_name_is_refused(world, name):
    payer = world.person("王建军", city="zhengzhou")
    error = refused(world, lambda: create_family(world, payer, name=name), "INVALID_FIELD")
    assert error.params["field"] == "name"


def test_hn_1_staff_may_create_a_family_at_the_counter(world):
    payer = world.person("王建军", city="zhengzhou")
    family_id = create_family(world, payer, actor=STAFF)
    assert family_of(world, payer) == family_id


def test_hn_1_only_an_employee_may_head_a_family(world):
    """N-1, HN-1: the householder is the payer, so an employee enrollee."""
    resident = world.person("王老汉", city="zhengzhou", scheme="resident")
    refused(world, lambda: create_family(world, resident), "PAYER_NOT_EMPLOYEE")


def test_hn_1_nobody_creates_a_family_for_someone_else(world):
    payer = world.person("王建军", city="zhengzhou")
    other = world.person("李四", city="zhengzhou")
    error = refused(world, lambda: create_family(world, payer, actor=other.actor), "ACTOR_NOT_ALLOWED")
    assert error.params["who_en"] == "the householder"


def test_hn_1_binding_without_a_family_is_refused(world):
    """HN-1: in Henan the beneficiary must be a member of the payer's family."""
    payer = world.person("王建军", city="zhengzhou", current_fen=20_000)
    wife = world.person("刘红", city="zhengzhou", sex="F")
    error = refused(world, lambda: world.bind(payer, wife, documents=PROOF), "FAMILY_REQUIRED")
    assert error.params["name"] == "刘红"


def test_hn_1_member_of_someone_elses_family_is_not_in_the_payers_family(world, household):
    """HN-1: the grandfather heads his own family; his grandson is in his son's, so he cannot bind him."""
    _, _, _, son = household
    grandfather = world.person("王老汉", city="zhengzhou", born=date(1945, 1, 1), current_fen=5_000)
    create_family(world, grandfather, name="王老汉家")
    refused(world, lambda: world.bind(grandfather, son, "grandchild", documents=PROOF), "FAMILY_REQUIRED")


def test_hn_3_binding_without_proof_is_refused(world, household):
    """HN-3: Henan asks for uploaded proof (marriage certificate, household register)."""
    _, payer, wife, _ = household
    refused(world, lambda: world.bind(payer, wife), "PROOF_REQUIRED")
    refused(world, lambda: world.bind(payer, wife, documents=[]), "PROOF_REQUIRED")


@pytest.mark.parametrize(("relationship", "code"), [
    ("neighbour", "UNKNOWN_RELATIONSHIP"),
    ("parent", "RELATIONSHIP_IMPLAUSIBLE"),
])
def test_hn_1_member_must_be_a_plausible_close_relative(world, relationship, code):
    payer = world.person("王建军", city="zhengzhou")
    wife = world.person("刘红", city="zhengzhou", sex="F", born=date(1975, 1, 1))
    family_id = create_family(world, payer)
    refused(world, lambda: add_member(world, family_id, wife, relationship, payer.actor), code)


def test_hn_1_member_must_be_enrolled_in_henan(world):
    """N-6: a Harbin relative is outside Henan's same-province scope."""
    payer = world.person("王建军", city="zhengzhou")
    sister = world.person("王红", city="harbin", sex="F")
    family_id = create_family(world, payer)
    refused(world, lambda: add_member(world, family_id, sister, "sibling", payer.actor), "OUT_OF_SCOPE")
    add_member(world, family_id, world.person("王丽", city="luoyang", sex="F"), "sibling", payer.actor)


def test_hn_1_householder_cannot_add_himself(world):
    payer = world.person("王建军", city="zhengzhou")
    family_id = create_family(world, payer)
    refused(world, lambda: add_member(world, family_id, payer, "spouse", payer.actor), "SELF_BINDING")


def test_already_in_family_is_refused(world, household):
    """One person, one family: as member or as householder."""
    family_id, payer, wife, son = household
    other = world.person("李强", city="zhengzhou")
    other_family = create_family(world, other, name="李家")
    error = refused(world, lambda: add_member(world, other_family, wife, "sibling", other.actor),
                    "ALREADY_IN_FAMILY")
    assert error.params == {"name": "刘红", "family_id": family_id}
    refused(world, lambda: add_member(world, family_id, other, "sibling", payer.actor), "ALREADY_IN_FAMILY")
    refused(world, lambda: create_family(world, payer, name="第二个家"), "ALREADY_IN_FAMILY")
    refused(world, lambda: create_family(world, wife, name="刘家"), "ALREADY_IN_FAMILY")


def test_unknown_family_is_not_found(world):
    payer = world.person("王建军", city="zhengzhou")
    wife = world.person("刘红", city="zhengzhou", sex="F")
    refused(world, lambda: add_member(world, 4242, wife, "spouse", payer.actor), "FAMILY_NOT_FOUND")
    refused(world, lambda: leave(world, 4242, wife), "FAMILY_NOT_FOUND")


# -- maintaining members (HN-7) ----------------------------------------------------------------------


def test_hn_7_householder_removes_a_member_and_the_binding_ends(world, household):
    """HN-7: the householder can remove a member; removal unbinds (reason member_removed)."""
    family_id, payer, wife, son = household
    to_wife = world.bind(payer, wife, documents=PROOF)
    to_son = world.bind(payer, son, "child", documents=PROOF)
    assert remove_member(world, family_id, wife, payer.actor) == 1
    row = binding(world, to_wife)
    assert (row.ended_on, row.end_reason, row.ended_by_kind, row.ended_by_id) == (
        date(2025, 6, 2), "member_removed", "person", str(payer.id))
    assert binding(world, to_son).ended_on is None
    assert members(world, family_id) == [(son.id, "child")]
    assert family_of(world, wife) is None
    membership = world.db.read(lambda s: s.execute(select(FamilyMember).where(
        FamilyMember.person_id == wife.id)).scalar_one())
    assert (membership.left_at, membership.left_reason) == (NOW, "removed")
    assert "family.member_removed" in event_kinds(world)
    # she is free to join another family, and can be re-added and bound again (Henan has no wait)
    add_member(world, family_id, wife, "spouse", payer.actor)
    world.bind(payer, wife, documents=PROOF)


def test_hn_7_staff_may_remove_a_member(world, household):
    family_id, payer, wife, _ = household
    to_wife = world.bind(payer, wife, documents=PROOF)
    assert remove_member(world, family_id, wife, STAFF) == 1
    assert (binding(world, to_wife).end_reason, binding(world, to_wife).ended_by_kind) == ("member_removed", "staff")


def test_hn_7_member_leaves_and_the_binding_ends(world, household):
    """HN-7: a member can leave the family; leaving unbinds (reason member_left)."""
    family_id, payer, wife, son = household
    to_son = world.bind(payer, son, "child", documents=PROOF)
    pending = world.bind(payer, wife, documents=PROOF, start_on="2025-07-01")
    assert leave(world, family_id, son) == 1
    row = binding(world, to_son)
    assert (row.ended_on, row.end_reason, row.ended_by_kind, row.ended_by_id) == (
        date(2025, 6, 2), "member_left", "person", str(son.id))
    assert binding(world, pending).ended_on is None
    assert members(world, family_id) == [(wife.id, "spouse")]
    assert leave(world, family_id, wife) == 1
    assert binding(world, pending).end_reason == "member_left"
    assert members(world, family_id) == []


def test_hn_7_removing_a_member_without_a_binding_ends_nothing(world, household):
    family_id, payer, wife, _ = household
    assert remove_member(world, family_id, wife, payer.actor) == 0


def test_hn_7_only_the_householder_maintains_members(world, household):
    family_id, payer, wife, son = household
    stranger = world.person("陌生人", city="zhengzhou")
    world.bind(payer, son, "child", documents=PROOF)
    for actor in (wife.actor, son.actor, stranger.actor):
        refused(world, lambda a=actor: remove_member(world, family_id, son, a), "NOT_HOUSEHOLDER")
        refused(world, lambda a=actor: add_member(world, family_id, stranger, "sibling", a), "NOT_HOUSEHOLDER")
        refused(world, lambda a=actor: update_member(world, family_id, wife, "sibling", a), "NOT_HOUSEHOLDER")
    assert members(world, family_id) == [(wife.id, "spouse"), (son.id, "child")]


def test_hn_7_nobody_leaves_for_someone_else(world, household):
    family_id, payer, wife, son = household
    error = refused(world, lambda: leave(world, family_id, son, actor=wife.actor), "ACTOR_NOT_ALLOWED")
    assert error.params["who_en"] == "the member"


def test_hn_7_removing_or_updating_a_non_member_is_refused(world, household):
    family_id, payer, _, _ = household
    stranger = world.person("陌生人", city="zhengzhou")
    refused(world, lambda: remove_member(world, family_id, stranger, payer.actor), "NOT_FAMILY_MEMBER")
    refused(world, lambda: update_member(world, family_id, stranger, "sibling", payer.actor), "NOT_FAMILY_MEMBER")
    refused(world, lambda: leave(world, family_id, stranger), "NOT_FAMILY_MEMBER")


def test_hn_7_householder_cannot_leave_while_members_remain(world, household):
    family_id, payer, wife, son = household
    refused(world, lambda: leave(world, family_id, payer), "HOUSEHOLDER_CANNOT_LEAVE")
    remove_member(world, family_id, wife, payer.actor)
    refused(world, lambda: leave(world, family_id, payer), "HOUSEHOLDER_CANNOT_LEAVE")


def test_hn_7_householder_leaving_an_empty_family_dissolves_it(world, household):
    family_id, payer, wife, son = household
    remove_member(world, family_id, wife, payer.actor)
    leave(world, family_id, son)
    assert leave(world, family_id, payer) == 0
    family = world.db.read(lambda s: s.get(Family, family_id))
    assert family.dissolved_at == NOW
    assert family_of(world, payer) is None
    assert event_kinds(world)[-1] == "family.dissolved"
    refused(world, lambda: add_member(world, family_id, wife, "spouse", payer.actor), "FAMILY_NOT_FOUND")
    refused(world, lambda: members(world, family_id), "FAMILY_NOT_FOUND")
    new_family = create_family(world, payer, name="王家新")
    assert new_family != family_id and family_of(world, payer) == new_family


def test_hn_7_householder_updates_a_members_relationship(world):
    """HN-7: the householder can edit a member: the relationship is corrected and the change kept."""
    payer = world.person("王建军", city="zhengzhou")
    mother = world.person("张桂兰", city="zhengzhou", born=date(1948, 4, 4), sex="F")
    family_id = create_family(world, payer)
    add_member(world, family_id, mother, "sibling", payer.actor)
    row = update_member(world, family_id, mother, "parent", payer.actor)
    assert row.relationship == "parent"
    assert members(world, family_id) == [(mother.id, "parent")]
    event = world.db.read(lambda s: s.execute(select(Event).where(Event.kind == "family.member_updated"))
                          .scalar_one())
    assert event.data == {"member_id": mother.id, "from": "sibling", "to": "parent"}
    update_member(world, family_id, mother, "maternal_grandparent", STAFF)
    assert members(world, family_id) == [(mother.id, "maternal_grandparent")]


@pytest.mark.parametrize(("relationship", "code"), [
    ("child", "RELATIONSHIP_IMPLAUSIBLE"),
    ("aunt", "UNKNOWN_RELATIONSHIP"),
])
def test_hn_7_update_to_a_wrong_relationship_is_refused(world, relationship, code):
    payer = world.person("王建军", city="zhengzhou")
    mother = world.person("张桂兰", city="zhengzhou", born=date(1948, 4, 4), sex="F")
    family_id = create_family(world, payer)
    add_member(world, family_id, mother, "parent", payer.actor)
    refused(world, lambda: update_member(world, family_id, mother, relationship, payer.actor), code)
    assert members(world, family_id) == [(mother.id, "parent")]
