"""Logging in and out: people with ID number and password, staff with staff id and password; managing staff."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Response
from pydantic import Field
from sqlalchemy.orm import Session

from gongji.api.calls import ANYONE, Call, allow
from gongji.api.problems import THROTTLED_RESPONSE
from gongji.api.schemas import IdNumber, Input, Limit, Offset, Output, Page
from gongji.auth import service as auth
from gongji.auth import throttle
from gongji.auth.models import StaffMember
from gongji.auth.service import Role
from gongji.errors import GongjiError

router = APIRouter(prefix="/v1/auth", tags=["auth"])

Password = Annotated[str, Field(min_length=1, max_length=128)]


class PersonLogin(Input):
    id_number: IdNumber
    password: Password


class StaffLogin(Input):
    staff_id: Annotated[str, Field(min_length=1, max_length=40)]
    password: Password


class Token(Output):
    token: str = Field(description="放在 Authorization: Bearer 之后 · send as Authorization: Bearer <token>")
    expires_at: datetime
    role: Role
    person_id: int | None = None
    staff_id: str | None = None
    name: str


def _token(login: auth.Login) -> Token:
    p = login.principal
    return Token(token=login.token, expires_at=login.expires_at, role=p.role, person_id=p.person_id,
                 staff_id=None if p.role is Role.PERSON else p.id, name=p.name)


@router.post("/person", response_model=Token, summary="参保人登录 · an insured person logs in",
             responses=THROTTLED_RESPONSE)
def login_person(body: PersonLogin, call: Annotated[Call, Depends(allow(*ANYONE))]) -> Token:
    """After repeated failures the account (and a client address with many) is paused: LOGIN_THROTTLED, 429."""
    minutes = call.settings.person_session_minutes
    login = throttle.guarded_login(
        call.db, call.env, throttle.Limits.of(call.settings), kind=throttle.PERSON, identifier=body.id_number,
        client=throttle.client_of(call.request),
        login=lambda s: auth.login_person(s, call.env, id_number=body.id_number, password=body.password,
                                          minutes=minutes))
    return _token(login)


@router.post("/staff", response_model=Token, summary="经办人员登录 · a staff member logs in",
             responses=THROTTLED_RESPONSE)
def login_staff(body: StaffLogin, call: Annotated[Call, Depends(allow(*ANYONE))]) -> Token:
    """After repeated failures the account (and a client address with many) is paused: LOGIN_THROTTLED, 429."""
    minutes = call.settings.staff_session_minutes
    login = throttle.guarded_login(
        call.db, call.env, throttle.Limits.of(call.settings), kind=throttle.STAFF, identifier=body.staff_id,
        client=throttle.client_of(call.request),
        login=lambda s: auth.login_staff(s, call.env, staff_id=body.staff_id, password=body.password,
                                         minutes=minutes))
    return _token(login)


@router.delete("/session", status_code=204, summary="退出登录 · log out (the token stops working)")
def logout(call: Annotated[Call, Depends(allow(Role.PERSON, Role.STAFF, Role.ADMIN))]) -> Response:
    token = call.request.headers["authorization"].partition(" ")[2].strip()
    call.write(lambda s: auth.logout(s, call.env, token))
    return Response(status_code=204)


# -- staff (administration) ----------------------------------------------------------------------
#
# An administrator manages the staff of his own region: he adds counter staff and administrators
# whose region prefix lies inside his own ('23' may add '23' or '2301', not '41' nor ''), lists them,
# and deactivates or reactivates them. Only an administrator of all regions ('') adds one of all regions.

staff_router = APIRouter(prefix="/v1/staff", tags=["administration"])

Admin = Annotated[Call, Depends(allow(Role.ADMIN))]


class NewStaff(Input):
    staff_id: Annotated[str, Field(min_length=2, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")]
    name: Annotated[str, Field(min_length=1, max_length=50)]
    role: Literal["staff", "admin"] = Field(description="staff 经办人员，admin 管理员 · counter staff or administrator")
    region_prefix: Annotated[str, Field(pattern=r"^(\d{2}){0,3}$", description=(
        "管辖区划前缀，须在本人的范围内（23 黑龙江省，2301 哈尔滨市）· the region prefix they act for, inside the "
        "administrator's own (23 Heilongjiang, 2301 Harbin)"))]
    password: Annotated[str, Field(min_length=1, max_length=128, description="初始密码 · the first password")]


class StaffView(Output):
    staff_id: str
    name: str
    role: Literal["staff", "admin"]
    region_prefix: str
    active: bool
    created_at: datetime


class StaffActivity(Input):
    active: bool = Field(description="false 停用（其登录立即失效），true 恢复 · false deactivates (their logins end), "
                                     "true reactivates")


def _require_staff_region(call: Call, region_prefix: str, action_zh: str, action_en: str) -> None:
    if not call.who.covers(region_prefix):
        raise GongjiError("REGION_NOT_MANAGED", region=region_prefix or "*", yours=call.who.region_prefix or "*",
                          action_zh=action_zh, action_en=action_en)


@staff_router.post("", response_model=StaffView, status_code=201,
                   summary="添加经办人员或管理员（管理员）· add a staff member or administrator (administrators)")
def add_staff(body: NewStaff, call: Admin) -> StaffView:
    """The new member's region prefix lies inside the administrator's own. The password is never shown again."""
    _require_staff_region(call, body.region_prefix, "为该地区添加经办人员", "add staff for that region")

    def work(s: Session) -> StaffView:
        member = auth.add_staff(s, call.env, staff_id=body.staff_id, name=body.name, role=body.role,
                                region_prefix=body.region_prefix, password=body.password, actor=call.who.actor())
        s.refresh(member)  # as stored, the way every later read shows it
        return StaffView.model_validate(member)

    return call.write(work)


@staff_router.get("", response_model=Page[StaffView],
                  summary="经办人员列表（管理员）· the staff of the administrator's region")
def list_staff(call: Admin, limit: Limit = 50, offset: Offset = 0) -> Page[StaffView]:
    def work(s: Session) -> Page[StaffView]:
        members = auth.list_staff(s, region_prefix=call.who.region_prefix)
        return Page[StaffView](items=[StaffView.model_validate(m) for m in members[offset:offset + limit]],
                               total=len(members), limit=limit, offset=offset)

    return call.read(work)


@staff_router.put("/{staff_id}/active", response_model=StaffView,
                  summary="停用或恢复经办人员（管理员）· deactivate or reactivate a staff member (administrators)")
def set_staff_active(staff_id: Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")],
                     body: StaffActivity, call: Admin) -> StaffView:
    """Deactivating ends the member's logins at once and refuses new ones; an administrator cannot
    deactivate himself."""

    def work(s: Session) -> StaffView:
        member = s.get(StaffMember, staff_id)
        if member is None:
            raise GongjiError("STAFF_NOT_FOUND", staff_id=staff_id)
        _require_staff_region(call, member.region_prefix, "管理该经办人员", "manage this staff member")
        if member.staff_id == call.who.id and not body.active:
            raise call.forbid("停用自己的账号", "deactivate your own account")
        return StaffView.model_validate(auth.set_staff_active(s, call.env, staff_id=member.staff_id,
                                                              active=body.active, actor=call.who.actor()))

    return call.write(work)


#: Served by the application: the logins above (/v1/auth) and the staff administration (/v1/staff).
logins_router = router
router = APIRouter()
router.include_router(logins_router)
router.include_router(staff_router)
