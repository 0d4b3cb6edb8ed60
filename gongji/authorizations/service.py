"""Bindings and families: load the facts, let :mod:`gongji.authorizations.rules` decide, write the result."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, insert, or_, select, update
from sqlalchemy.orm import Session

from gongji.actors import Actor
from gongji.authorizations import rules
from gongji.authorizations.models import Binding, BindingDocument, Family, FamilyMember
from gongji.db import dialect
from gongji.env import Env
from gongji.errors import GongjiError
from gongji.events.models import Event
from gongji.events.service import record as record_event
from gongji.inputs import check_date, check_id, check_optional_date, check_sequence, check_text
from gongji.notifications import outbox
from gongji.people import service as people
from gongji.people.models import Person
from gongji.terms import Channel, DocumentKind, EndReason, Relationship, Scheme, Status, parse_enum

#: Where staff handle a person's request face to face and check documents (N-8, SZ-4).
COUNTER_CHANNELS = frozenset({Channel.COUNTER, Channel.HOSPITAL_OFFICE})


@dataclass(frozen=True)
class Document:
    """A proof document (HN-3) or a document checked at the counter (N-8)."""

    kind: str
    file_ref: str | None = None


def party(person: Person) -> rules.Party:
    enrollment = people.enrollment_of(person)
    return rules.Party(
        person_id=person.id, name=person.name, birth_date=person.birth_date, scheme=Scheme(enrollment.scheme),
        region_code=enrollment.region_code, status=Status(enrollment.status),
    )


def open_on(today, bindings=None):
    """SQL: a binding not ended and not expired on ``today`` (rules.is_open); ``bindings`` is the bindings table or
    an alias of it (default: the table), ``today`` a date or a bound parameter. Pending bindings are open too."""
    c = Binding.__table__.c if bindings is None else bindings.c
    return and_(c.ended_on.is_(None), or_(c.end_on.is_(None), c.end_on >= today))


def active_on(on, bindings=None):
    """SQL, D-3: a binding active on the day ``on`` (today or later: one not ended yet), from its start date through
    its end date inclusive, whether or not the expiry job has run (rules.is_active). The one place this is written:
    the settlement's statement, the payer bindings and the records all use it."""
    c = Binding.__table__.c if bindings is None else bindings.c
    return and_(c.ended_on.is_(None), c.start_on <= on, or_(c.end_on.is_(None), c.end_on >= on))



def _count_open(session: Session, today: date, *conditions) -> int:
    return session.execute(select(func.count()).select_from(Binding).where(open_on(today), *conditions)).scalar_one()


def other_spouse(session: Session, today: date, person_id: int, partner_id: int) -> bool:
    """N-7: an open spouse binding of the person, either way round, with someone other than ``partner_id``."""
    return _count_open(session, today, Binding.relationship == Relationship.SPOUSE.value, or_(
        and_(Binding.payer_id == person_id, Binding.beneficiary_id != partner_id),
        and_(Binding.beneficiary_id == person_id, Binding.payer_id != partner_id))) > 0


def _documents(documents: Sequence[Document | dict]) -> list[Document]:
    parsed = []
    for doc in documents:
        if isinstance(doc, dict):
            doc = Document(kind=doc.get("kind"), file_ref=doc.get("file_ref"))
        if not isinstance(doc, Document):
            raise GongjiError("INVALID_FIELD", field="documents", reason_zh="每份材料须注明类型（kind）",
                              reason_en="each document names its kind")
        parse_enum(DocumentKind, doc.kind, field="documents.kind", error="UNKNOWN_DOCUMENT_KIND")
        if doc.file_ref is not None and (not isinstance(doc.file_ref, str) or len(doc.file_ref) > 500):
            raise GongjiError("INVALID_FIELD", field="documents.file_ref", reason_zh="文件引用最多500个字符",
                              reason_en="a file reference has at most 500 characters")
        parsed.append(doc)
    return parsed


def _shared_family(session: Session, person_a: int, person_b: int) -> int | None:
    """HN-1: the family both people belong to now (the householder counts as a member), if any."""
    family_a = family_of(session, person_a)
    return family_a if family_a is not None and family_a == family_of(session, person_b) else None


def bind(
    session: Session,
    env: Env,
    *,
    payer_id_number: str,
    beneficiary_id_number: str,
    relationship: str,
    actor: Actor,
    agreement_version: str | None,
    start_on: date | str | None = None,
    end_on: date | str | None = None,
    priority: int | None = None,
    documents: Sequence[Document | dict] = (),
    beneficiary_phone: str | None = None,
    beneficiary_name: str | None = None,
) -> Binding:
    """The payer authorizes his account to pay for a close relative (N-2, N-7, HLJ-1..HLJ-7, HN-1..HN-3, WL-1).

    ``beneficiary_phone``: the relative's mobile number as the bind form asks for it (HLJ-7); kept as his number
    for notices when none is on record (a number on record is not replaced by what someone else typed).

    With ``beneficiary_name`` (HLJ-7: the payer types the relative's name and ID number), a name that is not the
    one registered with the ID number and an ID number that is not registered get the same refusal
    (RELATIVE_NOT_MATCHED): the answer does not tell whether the number belongs to someone.
    """
    today = env.today()
    relationship_ = parse_enum(Relationship, relationship, field="relationship", error="UNKNOWN_RELATIONSHIP")
    start = check_date(start_on, field="start_on") if start_on is not None else today
    end = check_optional_date(end_on, field="end_on")
    docs = _documents(check_sequence(documents, field="documents"))
    phone = people.check_phone(beneficiary_phone)
    payer = people.find(session, payer_id_number)
    if beneficiary_name is None:
        beneficiary = people.find(session, beneficiary_id_number)
    else:
        beneficiary = _named_relative(session, beneficiary_id_number, beneficiary_name)
    if not (actor.is_person(payer.id) or actor.is_staff):
        raise GongjiError("ACTOR_NOT_ALLOWED", name=payer.name, who_zh="共济人", who_en="the payer")
    people.lock_people(session, [payer.id, beneficiary.id])  # caps and waits are decided under these locks
    payer_party, beneficiary_party = party(payer), party(beneficiary)
    policy = env.policy(payer_party.region_code)

    balance = people.balances(session, payer.id)
    pair = (Binding.payer_id == payer.id, Binding.beneficiary_id == beneficiary.id)
    existing = session.execute(select(Binding.id).where(open_on(today), *pair)).scalars().first()
    last_unbound_on = session.execute(
        select(func.max(Binding.ended_on)).where(
            *pair, Binding.end_reason.notin_([r.value for r in EndReason if r.by_itself]))
    ).scalar_one()
    family_id = _shared_family(session, payer.id, beneficiary.id)
    situation = rules.BindingSituation(
        payer_balance_fen=balance.total_fen if balance else 0,
        payer_open_bindings=_count_open(session, today, Binding.payer_id == payer.id),
        beneficiary_open_bindings=_count_open(session, today, Binding.beneficiary_id == beneficiary.id),
        payer_is_beneficiary=_count_open(session, today, Binding.beneficiary_id == payer.id) > 0,
        beneficiary_is_payer=_count_open(session, today, Binding.payer_id == beneficiary.id) > 0,
        existing_binding_id=existing,
        last_unbound_on=last_unbound_on,
        beneficiary_in_payers_family=family_id is not None,
        payer_has_other_spouse=other_spouse(session, today, payer.id, beneficiary.id),
        beneficiary_has_other_spouse=other_spouse(session, today, beneficiary.id, payer.id),
    )
    request = rules.BindingRequest(
        relationship=relationship_, start_on=start, end_on=end, priority=priority,
        agreement_version=agreement_version, document_count=len(docs),
        at_counter=actor.is_staff and actor.channel in COUNTER_CHANNELS,
        checked_documents=frozenset(DocumentKind(d.kind) for d in docs),
    )
    rules.check_binding(payer=payer_party, beneficiary=beneficiary_party, request=request, situation=situation,
                        policy=policy, today=today)

    now = env.now()
    phone_kept = phone is not None and not beneficiary.phone
    if phone_kept:
        beneficiary.phone = phone  # HLJ-7: the number the notices go to
    binding = Binding(
        payer_id=payer.id, beneficiary_id=beneficiary.id, relationship=relationship_.value, start_on=start,
        end_on=end, priority=priority, family_id=family_id, region_code=payer_party.region_code,
        channel=actor.channel.value, agreement_version=policy.agreement_version, agreement_accepted_at=now,
        operator_kind=actor.kind.value, operator_id=actor.id, created_at=now,
    )
    session.add(binding)
    session.flush()
    for doc in docs:
        session.add(BindingDocument(binding_id=binding.id, kind=doc.kind, file_ref=doc.file_ref,
                                    checked_by=actor.id if actor.is_staff else None, added_at=now))
    record_event(
        session, env, kind="binding.created", actor=actor, subject_type="binding", subject_id=binding.id,
        concerns=[payer.id, beneficiary.id],
        data={"relationship": relationship_.value, "start_on": start.isoformat(),
              "end_on": end.isoformat() if end else None, "priority": priority,
              "documents": [d.kind for d in docs], "phone_kept": phone_kept},
    )
    session.flush()
    return binding


def same_name(given: str, registered: str) -> bool:
    """HLJ-7: a name as typed is the registered one, spaces aside (``王 秀英`` is ``王秀英``)."""
    return "".join(given.split()) == "".join(registered.split())


def _named_relative(session: Session, id_number: str, name: Any) -> Person:
    """The person registered with ``id_number`` under ``name``; RELATIVE_NOT_MATCHED for a wrong name or number."""
    given = check_text(name, field="beneficiary_name", max_length=50, required=True)
    try:
        person = people.find(session, id_number)
    except GongjiError as error:
        if error.code != "PERSON_NOT_FOUND":
            raise
        raise GongjiError("RELATIVE_NOT_MATCHED") from None
    if not same_name(given, person.name):
        raise GongjiError("RELATIVE_NOT_MATCHED")
    return person


def get(session: Session, binding_id: int) -> Binding:
    binding = session.get(Binding, check_id(binding_id, field="binding_id"))
    if binding is None:
        raise GongjiError("BINDING_NOT_FOUND", binding_id=str(binding_id)[:20])
    return binding


def _end(session: Session, env: Env, binding: Binding, *, reason: EndReason, actor: Actor, note: str | None) -> None:
    binding.ended_at = env.now()
    binding.ended_on = env.today()
    binding.end_reason = reason.value
    binding.end_note = note
    binding.ended_by_kind = actor.kind.value
    binding.ended_by_id = actor.id
    record_event(
        session, env, kind="binding.ended", actor=actor, subject_type="binding", subject_id=binding.id,
        concerns=[binding.payer_id, binding.beneficiary_id], data={"reason": reason.value, "note": binding.end_note},
    )


def end_by_itself(session: Session, env: Env, binding: Binding, *, reason: EndReason, actor: Actor,
                  note: str | None = None) -> None:
    """End an open binding that a life event ended (N-6, D-5, LC-5): a death, a move out of scope, a change of
    scheme. Both sides are notified, as for any ending (``binding.ended``)."""
    _end(session, env, binding, reason=reason, actor=actor, note=note)


def unbind(session: Session, env: Env, *, binding_id: int, actor: Actor, note: str | None = None) -> Binding:
    """End a binding: by the payer, by the beneficiary, or by staff, with the reason kept (HLJ-8, SZ-4)."""
    note = check_text(note, field="note", max_length=200)
    binding = get(session, binding_id)
    people.lock_people(session, [binding.payer_id, binding.beneficiary_id])
    session.refresh(binding)
    today = env.today()
    if not rules.is_open(end_on=binding.end_on, ended_on=binding.ended_on, today=today):
        # D-3: an expired binding has ended on the day after its end date, whether or not the expiry job has run.
        ended_on = binding.ended_on or binding.end_on + timedelta(days=1)
        raise GongjiError("BINDING_ENDED", ended_on=ended_on.isoformat())
    if actor.is_person(binding.payer_id):
        reason = EndReason.BY_PAYER
    elif actor.is_person(binding.beneficiary_id):
        reason = EndReason.BY_BENEFICIARY
    elif actor.is_staff:
        reason = EndReason.BY_STAFF
    else:
        raise GongjiError("NOT_PARTY_TO_BINDING")
    _end(session, env, binding, reason=reason, actor=actor, note=note)
    session.flush()
    return binding


def close_expired(session: Session, env: Env, *, first_id: int | None = None, last_id: int | None = None) -> int:
    """D-3: bindings whose end date has passed end by themselves, with reason ``expired``. Set-based; safe to rerun.

    Each one gets a ``binding.ended`` event like any other ending, written in the same transaction. ``first_id``
    and ``last_id`` limit it to a range of binding ids (the batch job's chunks, :mod:`gongji.batch.expiry`).
    """
    today = env.today()
    due = [Binding.ended_on.is_(None), Binding.end_on < today]
    if first_id is not None:
        due.append(Binding.id >= first_id)
    if last_id is not None:
        due.append(Binding.id <= last_id)
    expired = session.execute(select(Binding.id, Binding.payer_id, Binding.beneficiary_id).where(*due)).all()
    if not expired:
        return 0
    actor = Actor.system("expiry")
    now, data = env.now(), {"reason": EndReason.EXPIRED.value}
    events = session.execute(insert(Event).returning(Event.id, Event.concerns), [
        {"at": now, "kind": "binding.ended", "actor_kind": actor.kind.value, "actor_id": actor.id,
         "channel": actor.channel.value, "subject_type": "binding", "subject_id": row.id,
         "concerns": sorted({row.payer_id, row.beneficiary_id}), "data": data}
        for row in expired
    ]).all()
    outbox.enqueue_many(session, at=now, events=[(e.id, "binding.ended", e.concerns, data) for e in events])
    day_after_end = dialect.day_after(session, Binding.end_on)
    result = session.execute(
        update(Binding)
        .where(*due)
        .values(ended_at=env.now(), ended_on=day_after_end, end_reason=EndReason.EXPIRED.value,
                ended_by_kind="system", ended_by_id="expiry")
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def active_payer_bindings(session: Session, *, beneficiary_id: int, on: date) -> list[Binding]:
    """Bindings through which someone pays for the beneficiary on this day (D-3)."""
    return list(
        session.execute(
            select(Binding).where(Binding.beneficiary_id == beneficiary_id, active_on(on)).order_by(Binding.id)
        ).scalars()
    )


# -- families (HN-1, HN-7) ---------------------------------------------------------------------


def _family(session: Session, family_id: int) -> Family:
    family = session.get(Family, check_id(family_id, field="family_id"))
    if family is None or family.dissolved_at is not None:
        raise GongjiError("FAMILY_NOT_FOUND", family_id=str(family_id)[:20])
    return family


def get_family(session: Session, family_id: int) -> Family:
    """A family that exists and is not dissolved, or FAMILY_NOT_FOUND."""
    return _family(session, family_id)


def family_of(session: Session, person_id: int) -> int | None:
    """The family a person belongs to now, as householder or member."""
    as_householder = session.execute(
        select(Family.id).where(Family.householder_id == person_id, Family.dissolved_at.is_(None))
    ).scalar_one_or_none()
    if as_householder is not None:
        return as_householder
    return session.execute(
        select(FamilyMember.family_id).join(Family, Family.id == FamilyMember.family_id)
        .where(FamilyMember.person_id == person_id, FamilyMember.left_at.is_(None), Family.dissolved_at.is_(None))
    ).scalar_one_or_none()


def _require_not_in_family(session: Session, person: Person) -> None:
    family_id = family_of(session, person.id)
    if family_id is not None:
        raise GongjiError("ALREADY_IN_FAMILY", name=person.name, family_id=family_id)


def create_family(session: Session, env: Env, *, householder_id_number: str, name: str, actor: Actor) -> Family:
    """共济家庭建立 (HN-1): the payer creates a family and becomes its householder."""
    householder = people.find(session, householder_id_number)
    if not (actor.is_person(householder.id) or actor.is_staff):
        raise GongjiError("ACTOR_NOT_ALLOWED", name=householder.name, who_zh="户主", who_en="the householder")
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > 50:
        raise GongjiError("INVALID_FIELD", field="name", reason_zh="请填写家庭名称（最多50字）",
                          reason_en="give the family a name of at most 50 characters")
    people.lock_people(session, [householder.id])
    holder = party(householder)
    rules.check_enrolled(holder)
    rules.check_payer_scheme(holder)
    _require_not_in_family(session, householder)
    family = Family(householder_id=householder.id, name=name.strip(), region_code=holder.region_code,
                    created_at=env.now())
    session.add(family)
    session.flush()
    record_event(session, env, kind="family.created", actor=actor, subject_type="family", subject_id=family.id,
                 concerns=[householder.id], data={"name": family.name})
    return family


def _require_one_spouse(session: Session, family: Family, member_id: int, relationship: Relationship) -> None:
    """HN-1, HN-7: the householder has one spouse in the family, as a person has one spouse bound (N-7)."""
    if relationship is not Relationship.SPOUSE:
        return
    other = session.execute(select(FamilyMember.id).where(
        FamilyMember.family_id == family.id, FamilyMember.left_at.is_(None), FamilyMember.person_id != member_id,
        FamilyMember.relationship == Relationship.SPOUSE.value).limit(1)).first()
    if other is not None:
        raise GongjiError("FAMILY_SPOUSE_EXISTS")


def add_member(session: Session, env: Env, *, family_id: int, member_id_number: str, relationship: str,
               actor: Actor) -> FamilyMember:
    """共济成员维护 (HN-1): the householder adds a close relative to the family."""
    family = _family(session, family_id)
    householder = people.get(session, family.householder_id)
    if not (actor.is_person(householder.id) or actor.is_staff):
        raise GongjiError("NOT_HOUSEHOLDER")
    relationship_ = parse_enum(Relationship, relationship, field="relationship", error="UNKNOWN_RELATIONSHIP")
    member = people.find(session, member_id_number)
    if member.id == householder.id:
        raise GongjiError("SELF_BINDING")
    people.lock_people(session, [householder.id, member.id])
    policy = env.policy(family.region_code)
    holder, member_party = party(householder), party(member)
    rules.check_relationship_allowed(relationship_, policy)
    rules.check_relationship_plausible(relationship_, holder, member_party)
    rules.check_enrolled(member_party)
    rules.check_scope(holder, member_party, policy)
    _require_not_in_family(session, member)
    _require_one_spouse(session, family, member.id, relationship_)
    row = FamilyMember(family_id=family.id, person_id=member.id, relationship=relationship_.value,
                       joined_at=env.now())
    session.add(row)
    session.flush()
    record_event(session, env, kind="family.member_added", actor=actor, subject_type="family", subject_id=family.id,
                 concerns=[householder.id, member.id], data={"member_id": member.id, "relationship": relationship_.value})
    return row


def _membership(session: Session, family: Family, person: Person) -> FamilyMember:
    row = session.execute(
        select(FamilyMember).where(FamilyMember.family_id == family.id, FamilyMember.person_id == person.id,
                                   FamilyMember.left_at.is_(None))
    ).scalar_one_or_none()
    if row is None:
        raise GongjiError("NOT_FAMILY_MEMBER", name=person.name)
    return row


def update_member(session: Session, env: Env, *, family_id: int, member_id_number: str, relationship: str,
                  actor: Actor) -> FamilyMember:
    """HN-7: the householder corrects a member's relationship."""
    family = _family(session, family_id)
    if not (actor.is_person(family.householder_id) or actor.is_staff):
        raise GongjiError("NOT_HOUSEHOLDER")
    relationship_ = parse_enum(Relationship, relationship, field="relationship", error="UNKNOWN_RELATIONSHIP")
    member = people.find(session, member_id_number)
    people.lock_people(session, [family.householder_id, member.id])  # one spouse: edits of the family queue
    row = _membership(session, family, member)
    holder = party(people.get(session, family.householder_id))
    rules.check_relationship_allowed(relationship_, env.policy(family.region_code))
    rules.check_relationship_plausible(relationship_, holder, party(member))
    _require_one_spouse(session, family, member.id, relationship_)
    old, row.relationship = row.relationship, relationship_.value
    record_event(session, env, kind="family.member_updated", actor=actor, subject_type="family", subject_id=family.id,
                 concerns=[family.householder_id, member.id], data={"member_id": member.id, "from": old,
                                                                    "to": relationship_.value})
    from gongji.authorizations.changes import follow_family_change  # changes builds on this module

    follow_family_change(session, env, family=family, member_id=member.id, relationship=relationship_, actor=actor)
    session.flush()
    return row


def _leave(session: Session, env: Env, family: Family, member: Person, *, reason: EndReason, actor: Actor) -> int:
    """Take a member out of the family and end the family's bindings that involve him (HN-7). Returns how many."""
    row = _membership(session, family, member)
    row.left_at = env.now()
    row.left_reason = "removed" if reason is EndReason.MEMBER_REMOVED else "left"
    today = env.today()
    ended = 0
    bindings = session.execute(
        select(Binding).where(Binding.family_id == family.id, open_on(today),
                              or_(Binding.payer_id == member.id, Binding.beneficiary_id == member.id))
    ).scalars()
    for binding in bindings:
        _end(session, env, binding, reason=reason, actor=actor, note=None)
        ended += 1
    record_event(session, env, kind=f"family.member_{row.left_reason}", actor=actor, subject_type="family",
                 subject_id=family.id, concerns=[family.householder_id, member.id],
                 data={"member_id": member.id, "bindings_ended": ended})
    session.flush()
    return ended


def remove_member(session: Session, env: Env, *, family_id: int, member_id_number: str, actor: Actor) -> int:
    """HN-7: the householder removes a member; the member's bindings in the family end."""
    family = _family(session, family_id)
    if not (actor.is_person(family.householder_id) or actor.is_staff):
        raise GongjiError("NOT_HOUSEHOLDER")
    member = people.find(session, member_id_number)
    people.lock_people(session, [family.householder_id, member.id])
    return _leave(session, env, family, member, reason=EndReason.MEMBER_REMOVED, actor=actor)


def leave_family(session: Session, env: Env, *, family_id: int, member_id_number: str, actor: Actor) -> int:
    """HN-7: a member leaves the family; the member's bindings in the family end.

    The householder may leave only a family without members, which dissolves it.
    """
    family = _family(session, family_id)
    member = people.find(session, member_id_number)
    if not (actor.is_person(member.id) or actor.is_staff):
        raise GongjiError("ACTOR_NOT_ALLOWED", name=member.name, who_zh="家庭成员", who_en="the member")
    people.lock_people(session, [family.householder_id, member.id])
    if member.id == family.householder_id:
        has_members = session.execute(
            select(exists().where(FamilyMember.family_id == family.id, FamilyMember.left_at.is_(None)))
        ).scalar_one()
        if has_members:
            raise GongjiError("HOUSEHOLDER_CANNOT_LEAVE")
        family.dissolved_at = env.now()
        record_event(session, env, kind="family.dissolved", actor=actor, subject_type="family", subject_id=family.id,
                     concerns=[member.id], data={})
        session.flush()
        return 0
    return _leave(session, env, family, member, reason=EndReason.MEMBER_LEFT, actor=actor)


def family_members(session: Session, family_id: int) -> list[FamilyMember]:
    family = _family(session, family_id)
    return list(session.execute(
        select(FamilyMember).where(FamilyMember.family_id == family.id, FamilyMember.left_at.is_(None))
        .order_by(FamilyMember.id)
    ).scalars())
