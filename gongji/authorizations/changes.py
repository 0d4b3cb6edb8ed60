"""Changing a binding that stands, without ending it: the payer's monthly limit (PP-1), the payer order (WL-1), a
pause and its resumption (D-3: a paused binding pays nothing), a corrected relationship (with a new consent, N-7),
and the bindings that follow a relationship the householder corrected in the family (HN-7).

Each change is an event; the sides it concerns are notified (:mod:`gongji.notifications.outbox`). The monthly
limit is the payer's own decision and only he is told its amount: the relative sees that a limit exists.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from gongji.actors import Actor
from gongji.authorizations import rules
from gongji.authorizations.models import Binding, Family
from gongji.authorizations.service import COUNTER_CHANNELS, get, other_spouse, party
from gongji.clock import CST
from gongji.env import Env
from gongji.errors import GongjiError
from gongji.events.service import record as record_event
from gongji.inputs import check_text
from gongji.money import require_fen
from gongji.people import service as people
from gongji.terms import Relationship, parse_enum

#: What the householder is to a member, from what the member is to the householder (HN-7's correction, seen from
#: the other side of a binding the member pays).
INVERSE = {
    Relationship.SPOUSE: Relationship.SPOUSE,
    Relationship.SIBLING: Relationship.SIBLING,
    Relationship.PARENT: Relationship.CHILD,
    Relationship.CHILD: Relationship.PARENT,
    Relationship.PATERNAL_GRANDPARENT: Relationship.GRANDCHILD,
    Relationship.MATERNAL_GRANDPARENT: Relationship.DAUGHTERS_CHILD,
    Relationship.GRANDCHILD: Relationship.PATERNAL_GRANDPARENT,
    Relationship.DAUGHTERS_CHILD: Relationship.MATERNAL_GRANDPARENT,
}


def _open_binding(session: Session, env: Env, binding_id: Any) -> Binding:
    """The binding, with both sides locked and read again; refused once it has ended (D-3)."""
    binding = get(session, binding_id)
    people.lock_people(session, [binding.payer_id, binding.beneficiary_id])
    session.refresh(binding)
    if not rules.is_open(end_on=binding.end_on, ended_on=binding.ended_on, today=env.today()):
        ended_on = binding.ended_on or binding.end_on + timedelta(days=1)
        raise GongjiError("BINDING_ENDED", ended_on=ended_on.isoformat())
    return binding


def _side(actor: Actor, binding: Binding) -> str:
    if actor.is_person(binding.payer_id):
        return "payer"
    if actor.is_person(binding.beneficiary_id):
        return "beneficiary"
    if actor.is_staff:
        return "staff"
    raise GongjiError("NOT_PARTY_TO_BINDING")


def _record(session: Session, env: Env, binding: Binding, kind: str, actor: Actor, data: dict[str, Any],
            *, payer_only: bool = False) -> None:
    concerns = [binding.payer_id] if payer_only else [binding.payer_id, binding.beneficiary_id]
    record_event(session, env, kind=kind, actor=actor, subject_type="binding", subject_id=binding.id,
                 concerns=concerns, data={**data, "by": _side(actor, binding)})


def set_monthly_limit(session: Session, env: Env, *, binding_id: Any, monthly_limit_fen: Any,
                      actor: Actor) -> Binding:
    """PP-1: the payer sets (or, with None, clears) what his account pays for this relative at most in a calendar
    month. Only the payer, or staff for him at a counter; he alone is told the amount."""
    binding = _open_binding(session, env, binding_id)
    if _side(actor, binding) == "beneficiary":
        raise GongjiError("ONLY_PAYER_SETS_LIMIT")
    limit = None if monthly_limit_fen is None else require_fen(monthly_limit_fen, field="monthly_limit_fen",
                                                                allow_zero=True)
    old, binding.monthly_limit_fen = binding.monthly_limit_fen, limit
    _record(session, env, binding, "binding.limit_set", actor, {"from": old, "to": limit}, payer_only=True)
    session.flush()
    return binding


def set_priority(session: Session, env: Env, *, binding_id: Any, priority: Any, actor: Actor) -> Binding:
    """WL-1: this payer's place in the order in which the relative's payers pay (1 first; None: after those with a
    place, D-2). Either side may change it, or staff at a counter."""
    binding = _open_binding(session, env, binding_id)
    _side(actor, binding)
    rules.check_priority(priority)
    old, binding.priority = binding.priority, priority
    _record(session, env, binding, "binding.priority_set", actor, {"from": old, "to": priority})
    session.flush()
    return binding


def pause(session: Session, env: Env, *, binding_id: Any, actor: Actor, note: str | None = None) -> Binding:
    """Pause a binding: it pays nothing until resumed (D-3), and stays as it is (its caps, its order, its limit)."""
    note = check_text(note, field="note", max_length=200)
    binding = _open_binding(session, env, binding_id)
    _side(actor, binding)
    if binding.paused_at is not None:
        raise GongjiError("BINDING_ALREADY_PAUSED", paused_on=binding.paused_at.astimezone(CST).date().isoformat())
    binding.paused_at = env.now()
    _record(session, env, binding, "binding.paused", actor, {"note": note})
    session.flush()
    return binding


def resume(session: Session, env: Env, *, binding_id: Any, actor: Actor, note: str | None = None) -> Binding:
    """Resume a paused binding: it pays again from now."""
    note = check_text(note, field="note", max_length=200)
    binding = _open_binding(session, env, binding_id)
    _side(actor, binding)
    if binding.paused_at is None:
        raise GongjiError("BINDING_NOT_PAUSED")
    binding.paused_at = None
    _record(session, env, binding, "binding.resumed", actor, {"note": note})
    session.flush()
    return binding


def correct_relationship(session: Session, env: Env, *, binding_id: Any, relationship: Any,
                         agreement_version: str | None, actor: Actor) -> Binding:
    """Correct the relationship of a binding (N-2): the payer accepts the agreement again for it (N-7), online or
    at a counter; the checks of a new binding's relationship apply (allowed, plausible, one spouse). The consent
    it replaces is kept in the event."""
    binding = _open_binding(session, env, binding_id)
    side = _side(actor, binding)
    if side == "beneficiary" or (side == "staff" and actor.channel not in COUNTER_CHANNELS):
        raise GongjiError("ONLY_PAYER_CORRECTS_RELATIONSHIP")
    relationship_ = parse_enum(Relationship, relationship, field="relationship", error="UNKNOWN_RELATIONSHIP")
    if relationship_.value == binding.relationship:
        raise GongjiError("RELATIONSHIP_UNCHANGED", relationship_zh=relationship_.zh, relationship_en=relationship_.en)
    payer, beneficiary = people.get(session, binding.payer_id), people.get(session, binding.beneficiary_id)
    policy = env.policy(binding.region_code)
    rules.check_relationship_allowed(relationship_, policy)
    rules.check_relationship_plausible(relationship_, party(payer), party(beneficiary))
    today = env.today()
    rules.check_one_spouse(relationship_, rules.BindingSituation(
        payer_balance_fen=0, payer_open_bindings=0, beneficiary_open_bindings=0, payer_is_beneficiary=False,
        beneficiary_is_payer=False, existing_binding_id=None, last_unbound_on=None,
        beneficiary_in_payers_family=False,
        payer_has_other_spouse=other_spouse(session, today, payer.id, beneficiary.id),
        beneficiary_has_other_spouse=other_spouse(session, today, beneficiary.id, payer.id)))
    rules.check_consent(agreement_version, policy)
    earlier = {"relationship": binding.relationship, "agreement_version": binding.agreement_version,
               "agreement_accepted_at": binding.agreement_accepted_at.isoformat()}
    binding.relationship = relationship_.value
    binding.agreement_version, binding.agreement_accepted_at = policy.agreement_version, env.now()
    _record(session, env, binding, "binding.relationship_corrected", actor,
            {"from": earlier["relationship"], "to": relationship_.value, "earlier_consent": earlier,
             "agreement_version": policy.agreement_version})
    session.flush()
    return binding


def follow_family_change(session: Session, env: Env, *, family: Family, member_id: int, relationship: Relationship,
                         actor: Actor) -> list[Binding]:
    """HN-7: the householder corrected what a member is to him; the open bindings between the two made in this
    family follow (the member's binding for the householder with the inverse relationship)."""
    today = env.today()
    rows = session.execute(select(Binding).where(
        Binding.family_id == family.id, Binding.ended_on.is_(None),
        or_(Binding.end_on.is_(None), Binding.end_on >= today),
        or_(and_(Binding.payer_id == family.householder_id, Binding.beneficiary_id == member_id),
            and_(Binding.payer_id == member_id, Binding.beneficiary_id == family.householder_id)),
    ).order_by(Binding.id)).scalars().all()
    changed = []
    for binding in rows:
        wanted = relationship if binding.payer_id == family.householder_id else INVERSE[relationship]
        if binding.relationship == wanted.value:
            continue
        old, binding.relationship = binding.relationship, wanted.value
        record_event(session, env, kind="binding.relationship_corrected", actor=actor, subject_type="binding",
                     subject_id=binding.id, concerns=[binding.payer_id, binding.beneficiary_id],
                     data={"from": old, "to": wanted.value, "family_id": family.id, "by": "householder"})
        changed.append(binding)
    session.flush()
    return changed
