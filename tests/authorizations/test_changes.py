"""Changing a standing binding on both databases: a relationship the householder corrects in the family is
followed by the bindings resting on it (HN-7), both ways round; a corrected relationship keeps the consent it
replaces (N-7); an ended binding cannot be changed (D-3).

Rules: HN-1, HN-7, N-7, D-3, WL-1.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from gongji.authorizations import changes
from gongji.authorizations import service as authorizations
from gongji.authorizations.models import Binding
from gongji.events.models import Event
from tests.factories import refused
from tests.national.conftest import bind_in_family, henan_family


def _binding(world, binding_id) -> Binding:
    return world.db.read(lambda s: s.get(Binding, binding_id))


def test_hn_7_the_bindings_follow_a_relationship_the_householder_corrects(world):
    """HN-7: the householder says the member is his parent, not his sibling: his binding for her follows, an event
    both sides are told of (a binding the member made for him would take the inverse, :data:`changes.INVERSE`)."""
    holder = world.person("张建国", city="zhengzhou", born=date(1970, 1, 1), current_fen=50_000)
    mother = world.person("王秀英", city="zhengzhou", sex="F", born=date(1948, 1, 1), current_fen=50_000)
    family_id = henan_family(world, holder, (mother, "sibling"))
    for_her = bind_in_family(world, holder, mother, "sibling")
    world.run(lambda s, env: authorizations.update_member(s, env, family_id=family_id,
                                                          member_id_number=mother.id_number, relationship="parent",
                                                          actor=holder.actor))
    assert _binding(world, for_her).relationship == "parent"
    events = world.db.read(lambda s: s.execute(select(Event.kind, Event.data).where(
        Event.subject_type == "binding", Event.subject_id == for_her).order_by(Event.id)).all())
    assert events[-1].kind == "binding.relationship_corrected"
    assert events[-1].data["from"] == "sibling" and events[-1].data["family_id"] == family_id
    assert changes.INVERSE[changes.INVERSE[changes.Relationship.PATERNAL_GRANDPARENT]].value == "paternal_grandparent"


def test_n_7_a_correction_keeps_the_earlier_consent_and_an_ended_binding_is_not_changed(world):
    payer = world.person("李建国", born=date(1960, 3, 1), current_fen=50_000)
    brother = world.person("李建军", born=date(1962, 3, 1))
    binding_id = world.bind(payer, brother, "sibling")
    agreement = world.env.policy(payer.region_code).agreement_version
    world.run(lambda s, env: changes.correct_relationship(s, env, binding_id=binding_id, relationship="spouse",
                                                          agreement_version=agreement, actor=payer.actor))
    data = world.db.read(lambda s: s.execute(select(Event.data).where(
        Event.kind == "binding.relationship_corrected", Event.subject_id == binding_id)).scalar_one())
    assert data["earlier_consent"]["relationship"] == "sibling" and data["agreement_version"] == agreement
    refused(world, lambda: world.run(lambda s, env: changes.correct_relationship(
        s, env, binding_id=binding_id, relationship="spouse", agreement_version=agreement, actor=payer.actor)),
        "RELATIONSHIP_UNCHANGED")
    world.run(lambda s, env: authorizations.unbind(s, env, binding_id=binding_id, actor=payer.actor))
    refused(world, lambda: world.run(lambda s, env: changes.set_priority(s, env, binding_id=binding_id, priority=1,
                                                                         actor=payer.actor)), "BINDING_ENDED")
