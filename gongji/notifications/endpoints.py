"""A person's notifications (HZ-4, N-9): list them, in his language, and mark them read.

Staff of the person's region may list them too (to tell someone at a counter what he was told); only
the person marks them read.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from gongji.api.calls import Call, allow
from gongji.api.schemas import Id, Limit, Offset, Output, Page
from gongji.auth.service import Role
from gongji.notifications import service as notifications
from gongji.people.endpoints import load_person

router = APIRouter(prefix="/v1/people/{person_id}/notifications", tags=["notifications"])


class NotificationView(Output):
    id: int
    kind: str
    created_at: datetime
    read_at: datetime | None
    delivered: bool
    language: str
    title: str
    body: str


class NotificationPage(Page[NotificationView]):
    unread: int


class MarkedRead(Output):
    marked: int


@router.get("", response_model=NotificationPage, summary="我的消息 · a person's notifications, newest first")
def list_notifications(person_id: Id, call: Annotated[Call, Depends(allow(Role.PERSON, Role.STAFF, Role.ADMIN))],
                       unread_only: bool = False, limit: Limit = 20, offset: Offset = 0) -> NotificationPage:
    def work(s: Session) -> NotificationPage:
        load_person(call, s, person_id)
        page = notifications.list_for(s, person_id=person_id, language=call.language, limit=limit, offset=offset,
                                      unread_only=unread_only)
        return NotificationPage(items=[NotificationView.model_validate(v) for v in page.items], total=page.total,
                                limit=page.limit, offset=page.offset,
                                unread=notifications.unread_count(s, person_id=person_id))

    return call.read(work)


@router.post("/{notification_id}/read", response_model=NotificationView,
             summary="标记已读 · mark one notification read (the person himself)")
def mark_read(person_id: Id, notification_id: Id, call: Annotated[Call, Depends(allow(Role.PERSON))]
              ) -> NotificationView:
    def work(s: Session) -> NotificationView:
        load_person(call, s, person_id)
        view = notifications.mark_read(s, call.env, person_id=person_id, notification_id=notification_id,
                                       language=call.language)
        return NotificationView.model_validate(view)

    return call.write(work)


@router.post("/read", response_model=MarkedRead, summary="全部标记已读 · mark all read (the person himself)")
def mark_all_read(person_id: Id, call: Annotated[Call, Depends(allow(Role.PERSON))]) -> MarkedRead:
    def work(s: Session) -> MarkedRead:
        load_person(call, s, person_id)
        return MarkedRead(marked=notifications.mark_all_read(s, call.env, person_id=person_id))

    return call.write(work)
