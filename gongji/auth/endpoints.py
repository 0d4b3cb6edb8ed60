"""Logging in and out: people with ID number and password, staff with staff id and password."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from pydantic import Field

from gongji.api.calls import ANYONE, Call, allow
from gongji.api.schemas import IdNumber, Input, Output
from gongji.auth import service as auth
from gongji.auth.service import Role

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


@router.post("/person", response_model=Token, summary="参保人登录 · an insured person logs in")
def login_person(body: PersonLogin, call: Annotated[Call, Depends(allow(*ANYONE))]) -> Token:
    minutes = call.settings.person_session_minutes
    login = call.write(lambda s: auth.login_person(s, call.env, id_number=body.id_number, password=body.password,
                                                   minutes=minutes))
    return _token(login)


@router.post("/staff", response_model=Token, summary="经办人员登录 · a staff member logs in")
def login_staff(body: StaffLogin, call: Annotated[Call, Depends(allow(*ANYONE))]) -> Token:
    minutes = call.settings.staff_session_minutes
    login = call.write(lambda s: auth.login_staff(s, call.env, staff_id=body.staff_id, password=body.password,
                                                  minutes=minutes))
    return _token(login)


@router.delete("/session", status_code=204, summary="退出登录 · log out (the token stops working)")
def logout(call: Annotated[Call, Depends(allow(Role.PERSON, Role.STAFF, Role.ADMIN))]) -> Response:
    token = call.request.headers["authorization"].partition(" ")[2].strip()
    call.write(lambda s: auth.logout(s, call.env, token))
    return Response(status_code=204)
