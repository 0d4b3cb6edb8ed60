"""Agencies over HTTP (AG-1): grant, list, end; acting for someone is the ``X-Gongji-Acting-For`` header.

A person grants an agency for himself through an app or the portal; staff record one at a counter after checking
the documents (:data:`gongji.agents.service.COUNTER_DOCUMENTS`). The agent then sends his own token with
``X-Gongji-Acting-For: <agency id>`` and may call exactly the routes of the actions chosen
(:data:`gongji.agents.rules.API_ACTIONS`), within the period. Either side, or staff, may end it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from pydantic import Field
from sqlalchemy.orm import Session

from gongji.agents import rules
from gongji.agents import service as agencies
from gongji.agents.models import Agency
from gongji.api.calls import Call, IdempotencyKey, allow
from gongji.api.schemas import Id, IdNumber, Input, Output
from gongji.auth.service import Role
from gongji.errors import GongjiError
from gongji.people import service as people
from gongji.people.endpoints import PartyView, load_person, party_view
from gongji.terms import Channel, Relationship

router = APIRouter(prefix="/v1")

PersonOrStaff = Annotated[Call, Depends(allow(Role.PERSON, Role.STAFF, Role.ADMIN))]


class AgencyView(Output):
    agency_id: int
    principal: PartyView
    agent: PartyView
    relationship: Relationship
    actions: list[rules.Action]
    start_on: date
    end_on: date
    state: Literal["pending", "active", "ended", "expired"]
    channel: Channel
    agreement_version: str
    agreement_accepted_at: datetime
    documents: list[str]
    ended_on: date | None
    ended_by: str | None = Field(description="principal, agent 或 staff · who ended it")


class NewAgency(Input):
    principal_id_number: IdNumber | None = Field(
        None, description="委托人；本人办理时可省略，经办人员须填写 · the principal: left out by himself, given by staff")
    agent_id_number: IdNumber
    agent_name: Annotated[str, Field(min_length=1, max_length=50)]
    relationship: Relationship = Field(description="代办人是委托人的 · what the agent is to the principal")
    actions: Annotated[list[rules.Action], Field(min_length=1, max_length=10)]
    start_on: date | None = None
    end_on: date
    agreement_version: Annotated[str, Field(max_length=40)] | None = None
    documents: Annotated[list[Annotated[str, Field(max_length=40)]], Field(max_length=10)] = Field(
        default_factory=list, description="窗口核验的材料 · documents checked at the counter")
    channel: Channel | None = None


def _side(call: Call, agency: Agency) -> str | None:
    if agency.ended_by_kind is None:
        return None
    if agency.ended_by_kind == "staff":
        return "staff"
    return "principal" if agency.ended_by_id == str(agency.principal_id) else "agent"


def agency_view(call: Call, s: Session, agency: Agency) -> AgencyView:
    terms = agencies.terms(agency)
    return AgencyView(
        agency_id=agency.id, principal=party_view(call, people.get(s, agency.principal_id)),
        agent=party_view(call, people.get(s, agency.agent_id)), relationship=Relationship(agency.relationship),
        actions=sorted(terms.actions, key=list(rules.Action).index), start_on=agency.start_on, end_on=agency.end_on,
        state=rules.state(terms, call.env.today()), channel=Channel(agency.channel),
        agreement_version=agency.agreement_version, agreement_accepted_at=agency.agreement_accepted_at,
        documents=list(agency.documents or []), ended_on=agency.ended_on, ended_by=_side(call, agency))


def _agency_for(call: Call, s: Session, agency_id: int) -> Agency:
    """The agency, if the caller is a side of it or staff of the principal's region; AGENCY_NOT_IN_FORCE (which
    names nothing) for anyone else."""
    agency = agencies.get(s, agency_id)
    who = call.who
    if agency is None or (who.role is Role.PERSON and who.person_id not in (agency.principal_id, agency.agent_id)):
        raise GongjiError("AGENCY_NOT_IN_FORCE")
    if who.role is not Role.PERSON:
        call.require_region(people.get(s, agency.principal_id))
    return agency


@router.post("/agencies", response_model=AgencyView, status_code=201, tags=["agencies"],
             summary="委托代办人 · authorize an agent (the principal, or staff at a counter; AG-1)")
def create_agency(body: NewAgency, call: PersonOrStaff, idempotency_key: IdempotencyKey = None):
    """The agent is named by ID number and name: a wrong name and an unknown number get the same
    AGENCY_AGENT_NOT_MATCHED."""

    def work(s: Session) -> AgencyView:
        principal = call.acting_for(s, body.principal_id_number, field="principal_id_number", who_zh="委托人",
                                    who_en="the principal", action_zh="为他人委托代办人",
                                    action_en="authorize an agent for someone else")
        agency = agencies.grant(
            s, call.env, principal_id_number=principal.id_number, agent_id_number=body.agent_id_number,
            agent_name=body.agent_name, relationship=body.relationship, actions=[a.value for a in body.actions],
            start_on=body.start_on, end_on=body.end_on, actor=call.who.actor(call.channel(body.channel)),
            agreement_version=body.agreement_version, documents=body.documents)
        return agency_view(call, s, agency)

    return call.once(work, body=body, status_code=201, required=False)


class AgencyList(Output):
    granted: list[AgencyView] = Field(description="本人委托的 · agencies the person granted")
    held: list[AgencyView] = Field(description="本人受托的 · agencies through which the person acts for others")


@router.get("/people/{person_id}/agencies", response_model=AgencyList, tags=["agencies"],
            summary="代办委托 · a person's agencies, granted and held (himself or staff of his region)")
def person_agencies(person_id: Id, call: PersonOrStaff) -> AgencyList:
    def work(s: Session) -> AgencyList:
        load_person(call, s, person_id)
        granted, held = agencies.of_person(s, person_id)
        return AgencyList(granted=[agency_view(call, s, a) for a in granted],
                          held=[agency_view(call, s, a) for a in held])

    return call.read(work)


@router.get("/agencies/{agency_id}", response_model=AgencyView, tags=["agencies"],
            summary="代办委托详情 · an agency (its two sides, staff of the principal's region)")
def get_agency(agency_id: Id, call: PersonOrStaff) -> AgencyView:
    return call.read(lambda s: agency_view(call, s, _agency_for(call, s, agency_id)))


class EndAgency(Input):
    channel: Channel | None = None


@router.post("/agencies/{agency_id}/end", response_model=AgencyView, tags=["agencies"],
             summary="终止代办委托 · end an agency (either side, or staff; AG-1)")
def end_agency(agency_id: Id, body: EndAgency, call: PersonOrStaff, idempotency_key: IdempotencyKey = None):
    def work(s: Session) -> AgencyView:
        _agency_for(call, s, agency_id)
        agency = agencies.end(s, call.env, agency_id=agency_id, actor=call.who.actor(call.channel(body.channel)))
        return agency_view(call, s, agency)

    return call.once(work, body=body, required=False)
