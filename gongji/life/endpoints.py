"""Life events over the API, for staff: record a death, a move or a change of scheme; list a person's."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import Field
from sqlalchemy.orm import Session

from gongji.api.calls import STAFF, Call, allow
from gongji.api.schemas import Id, Input, Output
from gongji.life import service as life
from gongji.life.rules import LifeEventKind
from gongji.people.endpoints import load_person
from gongji.terms import Scheme

router = APIRouter(prefix="/v1", tags=["people"])
Staff = Annotated[Call, Depends(allow(*STAFF))]


class NewLifeEvent(Input):
    kind: LifeEventKind = Field(description="death 死亡 · move 迁移 · scheme_change 变更险种")
    occurred_on: date = Field(description="发生日期 · the day it happened")
    to_region_code: Annotated[str | None, Field(min_length=6, max_length=6)] = Field(
        None, description="迁入地统筹区代码（仅迁移）· the pooling area moved to (a move only)")
    to_scheme: Scheme | None = Field(None, description="新险种（仅变更险种）· the new scheme (a change only)")
    note: Annotated[str | None, Field(max_length=200)] = None


class LifeEventView(Output):
    id: int
    person_id: int
    kind: LifeEventKind
    occurred_on: date
    to_region_code: str | None
    to_scheme: Scheme | None
    note: str | None
    recorded_at: datetime
    channel: str


class RecordedView(Output):
    event: LifeEventView
    created: bool = Field(description="false：此前已登记，本次未再处理 · recorded before; nothing done again")
    ended_binding_ids: list[int]
    kept_binding_ids: list[int]


@router.post("/people/{person_id}/life-events", response_model=RecordedView, status_code=201,
             summary="登记死亡、迁移或变更险种（经办人员）· record a death, move or change of scheme (staff; LC-5)")
def record_life_event(person_id: Id, body: NewLifeEvent, call: Staff) -> RecordedView:
    def work(s: Session) -> RecordedView:
        person = load_person(call, s, person_id)
        done = life.record(s, call.env, id_number=person.id_number, kind=body.kind, occurred_on=body.occurred_on,
                           to_region_code=body.to_region_code,
                           to_scheme=body.to_scheme.value if body.to_scheme else None, note=body.note,
                           actor=call.who.actor())
        return RecordedView(event=LifeEventView.model_validate(done.event), created=done.created,
                            ended_binding_ids=done.ended_binding_ids, kept_binding_ids=done.kept_binding_ids)

    return call.write(work)


@router.get("/people/{person_id}/life-events", response_model=list[LifeEventView],
            summary="参保人的死亡、迁移与变更险种记录（经办人员）· a person's life events (staff)")
def list_life_events(person_id: Id, call: Staff) -> list[LifeEventView]:
    def work(s: Session) -> list[LifeEventView]:
        person = load_person(call, s, person_id)
        return [LifeEventView.model_validate(e) for e in life.events_of(s, person.id)]

    return call.read(work)
