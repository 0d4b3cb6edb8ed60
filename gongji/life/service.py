"""Recording life events and what follows from them (N-6, D-5, LC-1, LC-5, LC-7).

:func:`record` takes a death, a move or a change of scheme (from staff, a file, the system), once per person, kind
and day, and in the same transaction:

* changes the enrollment: a death ends it (``terminated`` from the day of death, LC-1); a move within this
  instance keeps the person, his account and his enrollment's status and changes his pooling area; a move to a
  province this instance does not serve ends the enrollment here and carries his personal-account balance to that
  province's instance (转移接续, LC-7, :mod:`gongji.life.carry`); a change of scheme changes it (an employee gets
  his personal account's funds, N-1);
* ends by itself, with its reason, every open binding of the person that the event ends
  (:func:`gongji.life.rules.binding_after`); both sides are notified (``binding.ended``). Bindings that scope still
  allows stay.

Refunds of settlements paid before still go back to the account that paid (HN-5): the account is not deleted by
any of this, and its balance stays his (or his estate's).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from gongji.actors import Actor
from gongji.authorizations import service as authorizations
from gongji.authorizations.models import Binding
from gongji.env import Env
from gongji.errors import GongjiError
from gongji.events.service import record as record_event
from gongji.inputs import check_date, check_text
from gongji.ledger import service as ledger
from gongji.ledger.models import Account
from gongji.life import carry
from gongji.life.models import LifeEvent
from gongji.life.rules import LifeEventKind, binding_after
from gongji.people import service as people
from gongji.people.ids import check_region_code
from gongji.people.models import Enrollment, Person
from gongji.terms import Scheme, Status, parse_enum


@dataclass
class Recorded:
    event: LifeEvent
    created: bool  # False: the same event was recorded before, nothing was done again
    ended_binding_ids: list[int] = field(default_factory=list)
    kept_binding_ids: list[int] = field(default_factory=list)


def serves(env: Env, region_code: str) -> bool:
    """Whether this instance serves the region: one instance for all, or the province of its federation file."""
    config = env.federation
    if config is None:
        return True
    return not config.is_hub and region_code[:2] == config.province


def check_event(kind: str, occurred_on, to_region_code, to_scheme, enrollment: Enrollment, today: date):
    """The event's values, checked against the enrollment it changes."""
    kind_ = parse_enum(LifeEventKind, kind, field="kind") if not isinstance(kind, LifeEventKind) else kind
    occurred_on = check_date(occurred_on, field="occurred_on")
    if occurred_on > today:
        raise GongjiError("INVALID_FIELD", field="occurred_on", reason_zh=f"不能晚于今天（{today}）",
                          reason_en=f"it may not be after today ({today})")
    if occurred_on < enrollment.enrolled_on:
        raise GongjiError("INVALID_FIELD", field="occurred_on", reason_zh="不能早于参保日期",
                          reason_en="it may not be before the enrollment began")
    if kind_ is LifeEventKind.MOVE:
        to_region_code = check_region_code(to_region_code)
        if to_region_code == enrollment.region_code:
            raise GongjiError("INVALID_FIELD", field="to_region_code", reason_zh="与现参保地相同",
                              reason_en="it is the pooling area he is enrolled in now")
    elif to_region_code is not None:
        raise GongjiError("INVALID_FIELD", field="to_region_code", reason_zh="仅迁移时填写",
                          reason_en="it is given for a move only")
    if kind_ is LifeEventKind.SCHEME_CHANGE:
        scheme = parse_enum(Scheme, to_scheme, field="to_scheme")
        if scheme.value == enrollment.scheme:
            raise GongjiError("INVALID_FIELD", field="to_scheme", reason_zh="与现险种相同",
                              reason_en="it is the scheme he is enrolled in now")
        to_scheme = scheme.value
    elif to_scheme is not None:
        raise GongjiError("INVALID_FIELD", field="to_scheme", reason_zh="仅变更险种时填写",
                          reason_en="it is given for a change of scheme only")
    if enrollment.status == Status.TERMINATED.value:
        raise GongjiError("LIFE_EVENT_AFTER_END", kind_zh=kind_.zh, kind_en=kind_.en,
                          since=enrollment.status_since.isoformat())
    return kind_, occurred_on, to_region_code, to_scheme


def record(session: Session, env: Env, *, id_number: str, kind: str, occurred_on: date | str,
           actor: Actor, to_region_code: str | None = None, to_scheme: str | None = None, note: str | None = None,
           import_run_id: int | None = None) -> Recorded:
    """Record a life event and apply it (see the module's description); the same event twice changes nothing."""
    note = check_text(note, field="note", max_length=200)
    person = people.find(session, id_number, lock=True)
    day = check_date(occurred_on, field="occurred_on")
    kind_value = parse_enum(LifeEventKind, kind, field="kind")
    before = session.execute(select(LifeEvent).where(LifeEvent.person_id == person.id, LifeEvent.kind == kind_value,
                                                     LifeEvent.occurred_on == day)).scalar_one_or_none()
    if before is not None:
        return Recorded(before, created=False)
    enrollment = people.enrollment_of(person)
    kind_, day, to_region_code, to_scheme = check_event(kind_value, day, to_region_code, to_scheme, enrollment,
                                                        env.today())
    event = LifeEvent(person_id=person.id, kind=kind_.value, occurred_on=day, to_region_code=to_region_code,
                      to_scheme=to_scheme, note=note, recorded_at=env.now(), actor_kind=actor.kind.value,
                      actor_id=actor.id, channel=actor.channel.value, import_run_id=import_run_id)
    session.add(event)
    session.flush()
    left = enrollment.region_code  # a move's region before it: the policy simulator replays the days before by it
    _apply(session, env, person, enrollment, kind_, day, to_region_code, to_scheme, actor, event)
    data = {"life_event_id": event.id, "occurred_on": day.isoformat(), "to_region_code": to_region_code,
            "to_scheme": to_scheme}
    if kind_ is LifeEventKind.MOVE:
        data["from_region_code"] = left
    record_event(session, env, kind=f"life.{kind_.value}", actor=actor, subject_type="person", subject_id=person.id,
                 concerns=[person.id], data=data)
    ended, kept = _end_bindings(session, env, person, kind_, actor, event)
    session.flush()
    return Recorded(event, created=True, ended_binding_ids=ended, kept_binding_ids=kept)


def _apply(session: Session, env: Env, person: Person, enrollment: Enrollment, kind: LifeEventKind, day: date,
           to_region_code: str | None, to_scheme: str | None, actor: Actor, event: LifeEvent) -> None:
    if kind is LifeEventKind.DEATH or (kind is LifeEventKind.MOVE and not serves(env, to_region_code)):
        people.change_status(session, env, id_number=person.id_number, status=Status.TERMINATED.value, actor=actor,
                             on=day)
        if kind is LifeEventKind.MOVE:
            left = enrollment.region_code
            enrollment.region_code = to_region_code  # where he went: this instance no longer serves him
            if env.federation is not None and not env.federation.is_hub:
                # 转移接续 (LC-7): his balance goes to the new province's instance, through the outbox
                carry.send_out(session, env, person=person, event=event, from_region_code=left, actor=actor)
    elif kind is LifeEventKind.MOVE:
        enrollment.region_code = to_region_code
        session.execute(update(Account).where(Account.person_id == person.id).values(region_code=to_region_code)
                        .execution_options(synchronize_session=False))
    else:
        enrollment.scheme = to_scheme
        if to_scheme == Scheme.EMPLOYEE.value and not ledger.personal_accounts(session, person.id):
            ledger.open_personal_accounts(session, person_id=person.id, region_code=enrollment.region_code,
                                          at=env.now())
    session.flush()


def _end_bindings(session: Session, env: Env, person: Person, kind: LifeEventKind, actor: Actor,
                  event: LifeEvent) -> tuple[list[int], list[int]]:
    today = env.today()
    bindings = session.execute(select(Binding).where(
        or_(Binding.payer_id == person.id, Binding.beneficiary_id == person.id), Binding.ended_on.is_(None),
        or_(Binding.end_on.is_(None), Binding.end_on >= today)).order_by(Binding.id)).scalars().all()
    ended, kept = [], []
    for binding in bindings:
        payer = people.get(session, binding.payer_id)
        beneficiary = people.get(session, binding.beneficiary_id)
        payer_party, beneficiary_party = authorizations.party(payer), authorizations.party(beneficiary)
        outcome = binding_after(kind, payer=payer_party, beneficiary=beneficiary_party,
                                payer_policy=env.policy(payer_party.region_code))
        if outcome.ended:
            authorizations.end_by_itself(session, env, binding, reason=outcome.reason, actor=actor,
                                         note=f"life event {event.id}")
            ended.append(binding.id)
        else:
            kept.append(binding.id)
    return ended, kept


def events_of(session: Session, person_id: int) -> list[LifeEvent]:
    return list(session.execute(select(LifeEvent).where(LifeEvent.person_id == person_id)
                                .order_by(LifeEvent.occurred_on, LifeEvent.id)).scalars())
