"""Agencies (AG-1): load the facts, let :mod:`gongji.agents.rules` decide, write the result and its events.

Events: ``agency.granted`` and ``agency.ended`` concern both sides (both are told); ``agency.acting`` is written
when an agent starts acting for the principal in the portal, and tells the principal. Whatever the agent then
does is recorded by the service that does it, with the agent as actor and the principal and agency in the
event's data (:meth:`gongji.actors.Actor.stamp`); the principal is told of each such event
(:data:`gongji.notifications.outbox.AGENT_ACTED`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from gongji.actors import Actor
from gongji.agents import rules
from gongji.agents.models import Agency
from gongji.authorizations.service import COUNTER_CHANNELS, same_name
from gongji.env import Env
from gongji.errors import GongjiError
from gongji.events.service import record as record_event
from gongji.inputs import check_date, check_id, check_text
from gongji.people import service as people
from gongji.people.models import Person
from gongji.terms import Relationship, parse_enum

#: What staff check at a counter before recording an agency (N-8): both people's ID cards and the principal's
#: signed letter of authorization (授权委托书).
COUNTER_DOCUMENTS: dict[str, tuple[str, str]] = {
    "principal_id_card": ("委托人居民身份证", "the principal's ID card"),
    "agent_id_card": ("代办人居民身份证", "the agent's ID card"),
    "agency_letter": ("委托人签字的代办授权书", "the letter of authorization signed by the principal"),
}


def terms(agency: Agency) -> rules.Terms:
    return rules.Terms(principal_id=agency.principal_id, agent_id=agency.agent_id,
                       actions=rules.parse_actions(agency.actions), start_on=agency.start_on, end_on=agency.end_on,
                       ended_on=agency.ended_on)


def _named_agent(session: Session, id_number: str, name: Any) -> Person:
    """The agent registered with ``id_number`` under ``name``: a wrong name and an unknown number get the same
    AGENCY_AGENT_NOT_MATCHED, so that the answer tells nobody whether a number belongs to someone."""
    given = check_text(name, field="agent_name", max_length=50, required=True)
    try:
        person = people.find(session, id_number)
    except GongjiError as error:
        if error.code != "PERSON_NOT_FOUND":
            raise
        raise GongjiError("AGENCY_AGENT_NOT_MATCHED") from None
    if not same_name(given, person.name):
        raise GongjiError("AGENCY_AGENT_NOT_MATCHED")
    return person


def _open(session: Session, today: date, *conditions) -> list[Agency]:
    return list(session.execute(select(Agency).where(Agency.ended_on.is_(None), Agency.end_on >= today,
                                                     *conditions).order_by(Agency.id)).scalars())


def grant(
    session: Session,
    env: Env,
    *,
    principal_id_number: str,
    agent_id_number: str,
    agent_name: str,
    relationship: str,
    actions: Iterable[str] | str,
    end_on: date | str,
    actor: Actor,
    agreement_version: str | None,
    start_on: date | str | None = None,
    documents: Sequence[str] = (),
) -> Agency:
    """AG-1: the principal authorizes the agent for ``actions`` from ``start_on`` (today) through ``end_on``.

    Online the principal himself grants it; at a counter staff record it after checking :data:`COUNTER_DOCUMENTS`.
    An agent acting for someone grants nothing (AGENCY_NOT_FOR_AGENTS). The consent is kept as N-7's: the
    agreement's version, the time and the channel."""
    today = env.today()
    if actor.on_behalf_of is not None:
        raise GongjiError("AGENCY_NOT_FOR_AGENTS")
    relationship_ = parse_enum(Relationship, relationship, field="relationship", error="UNKNOWN_RELATIONSHIP")
    chosen = rules.parse_actions(actions)
    start = check_date(start_on, field="start_on") if start_on is not None else today
    end = check_date(end_on, field="end_on")
    principal = people.find(session, principal_id_number)
    if not (actor.is_person(principal.id) or actor.is_staff):
        raise GongjiError("AGENCY_NOT_ALLOWED")
    agent = _named_agent(session, agent_id_number, agent_name)
    rules.check_grant(principal_id=principal.id, agent_id=agent.id, start_on=start, end_on=end, today=today)
    if actor.is_staff or actor.channel in COUNTER_CHANNELS:
        missing = [key for key in COUNTER_DOCUMENTS if key not in set(documents)]
        if missing:
            raise GongjiError("AGENCY_DOCUMENTS_MISSING",
                              missing_zh="、".join(COUNTER_DOCUMENTS[k][0] for k in missing),
                              missing_en=", ".join(COUNTER_DOCUMENTS[k][1] for k in missing))
    if agreement_version != rules.AGREEMENT_VERSION:
        raise GongjiError("AGENCY_CONSENT_REQUIRED", version=rules.AGREEMENT_VERSION)
    people.lock_people(session, [principal.id, agent.id])
    if _open(session, today, Agency.principal_id == principal.id, Agency.agent_id == agent.id):
        raise GongjiError("AGENCY_EXISTS")
    now = env.now()
    agency = Agency(principal_id=principal.id, agent_id=agent.id, relationship=relationship_.value,
                    actions=rules.actions_text(chosen), start_on=start, end_on=end, channel=actor.channel.value,
                    agreement_version=rules.AGREEMENT_VERSION, agreement_accepted_at=now,
                    operator_kind=actor.kind.value, operator_id=actor.id,
                    documents=sorted(set(documents) & set(COUNTER_DOCUMENTS)) if actor.is_staff else [],
                    created_at=now)
    session.add(agency)
    session.flush()
    record_event(session, env, kind="agency.granted", actor=actor, subject_type="agency", subject_id=agency.id,
                 concerns=[principal.id, agent.id],
                 data={"principal_id": principal.id, "agent_id": agent.id, "actions": agency.actions,
                       "start_on": start.isoformat(), "end_on": end.isoformat(),
                       "agreement_version": agency.agreement_version, "relationship": agency.relationship})
    return agency


def get(session: Session, agency_id: int) -> Agency | None:
    return session.get(Agency, check_id(agency_id, field="agency_id"))


def end(session: Session, env: Env, *, agency_id: int, actor: Actor) -> Agency:
    """Either side ends the agency, or staff do (AG-1); from then on it authorizes nothing. Someone else's agency
    and one that does not exist get the same AGENCY_NOT_IN_FORCE."""
    if actor.on_behalf_of is not None:
        raise GongjiError("AGENCY_NOT_FOR_AGENTS")
    agency = get(session, agency_id)
    if agency is None or not (actor.is_staff or actor.is_person(agency.principal_id)
                              or actor.is_person(agency.agent_id)):
        raise GongjiError("AGENCY_NOT_IN_FORCE")
    if agency.ended_on is not None:
        raise GongjiError("AGENCY_ALREADY_ENDED", ended_on=agency.ended_on.isoformat())
    now, today = env.now(), env.today()
    agency.ended_at, agency.ended_on = now, today
    agency.ended_by_kind, agency.ended_by_id = actor.kind.value, actor.id
    side = ("principal" if actor.is_person(agency.principal_id) else "agent" if actor.is_person(agency.agent_id)
            else "staff")
    record_event(session, env, kind="agency.ended", actor=actor, subject_type="agency", subject_id=agency.id,
                 concerns=[agency.principal_id, agency.agent_id],
                 data={"principal_id": agency.principal_id, "agent_id": agency.agent_id, "by": side})
    return agency


def in_force(session: Session, env: Env, *, agency_id: int, agent_id: int) -> Agency:
    """The agency through which ``agent_id`` acts, in force today; AGENCY_NOT_IN_FORCE for one that does not
    exist, is someone else's, has not started, has expired or has ended (the same answer for each)."""
    agency = get(session, agency_id)
    if agency is None or agency.agent_id != agent_id or not rules.in_force(terms(agency), env.today()):
        raise GongjiError("AGENCY_NOT_IN_FORCE")
    return agency


def require(session: Session, env: Env, *, agency_id: int, agent_id: int,
            action: rules.Action | None) -> Agency:
    """The agency in force, and ``action`` among its actions (None: a request no agent may make)."""
    agency = in_force(session, env, agency_id=agency_id, agent_id=agent_id)
    if action is None:
        raise GongjiError("AGENCY_NOT_FOR_AGENTS")
    if not rules.authorizes(terms(agency), action, env.today()):
        raise GongjiError("AGENCY_ACTION_NOT_GRANTED", action_zh=action.zh, action_en=action.en)
    return agency


def acting_principal(session: Session, env: Env, *, agent: Any, agency_id: str, action: rules.Action | None) -> Any:
    """The :class:`~gongji.auth.service.Principal` an agent (``agent``, logged in as himself) acts as through the
    agency ``agency_id`` (as sent: text), once the agency allows ``action`` today (AG-1); the refusals of
    :func:`require` otherwise. The API (``X-Gongji-Acting-For``) and the portal (its "acting for") both use it."""
    from gongji.auth.service import Principal, Role

    if agent.role is not Role.PERSON or agent.agent_id is not None:
        raise GongjiError("AGENCY_NOT_FOR_AGENTS")
    if not agency_id.isdigit() or len(agency_id) > 18:
        raise GongjiError("AGENCY_NOT_IN_FORCE")
    agency = require(session, env, agency_id=int(agency_id), agent_id=int(agent.id), action=action)
    person = people.get(session, agency.principal_id)
    return Principal(role=Role.PERSON, id=str(person.id), name=person.name, person_id=person.id,
                     agent_id=int(agent.id), agency_id=agency.id)


def start_acting(session: Session, env: Env, *, agency_id: int, agent: Actor) -> Agency:
    """The agent switches to acting for the principal (the portal's "acting for"): recorded, the principal told."""
    agency = in_force(session, env, agency_id=agency_id, agent_id=int(agent.id))
    record_event(session, env, kind="agency.acting", actor=agent, subject_type="agency", subject_id=agency.id,
                 concerns=[agency.principal_id],
                 data={"principal_id": agency.principal_id, "agent_id": agency.agent_id})
    return agency


def of_person(session: Session, person_id: int) -> tuple[list[Agency], list[Agency]]:
    """The agencies a person granted (as principal) and those he holds (as agent), newest first."""
    rows = session.execute(select(Agency).where(or_(Agency.principal_id == person_id, Agency.agent_id == person_id))
                           .order_by(Agency.id.desc()).limit(200)).scalars().all()
    return [a for a in rows if a.principal_id == person_id], [a for a in rows if a.agent_id == person_id]


def acting_for(session: Session, env: Env, *, agent_id: int) -> list[Agency]:
    """The agencies in force today through which ``agent_id`` may act."""
    today = env.today()
    return [a for a in _open(session, today, Agency.agent_id == agent_id) if a.start_on <= today]


def registered_agent(session: Session, env: Env, *, principal_id: int, agent_id_number: str) -> Agency | None:
    """N-4, AG-1: the agency in force today through which the person with this ID number acts for the principal,
    if any (a proxy purchase names a registered agent)."""
    today = env.today()
    found = session.execute(select(Agency).join(Person, Person.id == Agency.agent_id).where(
        Agency.principal_id == principal_id, Person.id_number == agent_id_number, Agency.ended_on.is_(None),
        Agency.start_on <= today, Agency.end_on >= today)).scalars().first()
    return found
