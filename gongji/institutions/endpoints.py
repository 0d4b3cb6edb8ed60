"""Designated hospitals and pharmacies: registration, signing secrets, suspension (administration).

Administrators manage the institutions of their region; counter staff of the region may look them
up; an institution may read its own record. A suspended institution can neither sign requests nor
settle (``institutions.find`` does not find it) until it is reactivated.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse
from pydantic import Field
from sqlalchemy.orm import Session

from gongji.api.calls import ADMIN, STAFF, Call, IdempotencyKey, allow
from gongji.api.schemas import Input, Limit, Offset, Output, Page
from gongji.auth import service as auth
from gongji.auth.service import Role
from gongji.errors import GongjiError
from gongji.institutions import service as institutions
from gongji.institutions.models import Institution
from gongji.people.ids import region_name
from gongji.terms import InstitutionKind

router = APIRouter(prefix="/v1/institutions", tags=["administration"])

Admin = Annotated[Call, Depends(allow(*ADMIN))]
Staff = Annotated[Call, Depends(allow(*STAFF))]
StaffOrInstitution = Annotated[Call, Depends(allow(*STAFF, Role.INSTITUTION))]
Code = Annotated[str, Path(min_length=1, max_length=30, pattern=r"^[A-Za-z0-9]+$",
                           description="机构编码 · the institution's code", examples=["H23010100001"])]


class NewInstitution(Input):
    code: Annotated[str, Field(min_length=4, max_length=30, pattern=r"^[A-Za-z0-9]+$",
                               description="定点医药机构编码 · the national institution code (fixmedins_code)")]
    name: Annotated[str, Field(min_length=1, max_length=100)]
    kind: InstitutionKind
    region_code: Annotated[str, Field(min_length=6, max_length=6, pattern=r"^\d{6}$",
                                      description="所在统筹区 · the division code where it is")]


class InstitutionView(Output):
    code: str
    name: str
    kind: InstitutionKind
    region_code: str
    region_name: str | None
    active: bool = Field(description="false：已暂停，不能签名请求和结算 · false: suspended, cannot sign requests or settle")
    created_at: datetime


def view(institution: Institution) -> InstitutionView:
    return InstitutionView(code=institution.code, name=institution.name, kind=institution.kind,
                           region_code=institution.region_code, region_name=region_name(institution.region_code),
                           active=institution.active, created_at=institution.created_at)


def require_region(call: Call, region_code: str, action_zh: str, action_en: str) -> None:
    if not call.who.covers(region_code):
        raise GongjiError("REGION_NOT_MANAGED", region=region_code, yours=call.who.region_prefix or "*",
                          action_zh=action_zh, action_en=action_en)


def _managed(call: Call, session: Session, code: str) -> Institution:
    institution = institutions.get(session, code=code)
    require_region(call, institution.region_code, "管理该定点机构", "manage this institution")
    return institution


@router.post("", response_model=InstitutionView, status_code=201,
             summary="登记定点医药机构（管理员）· register a designated institution (administrators of its region)")
def register(body: NewInstitution, call: Admin, idempotency_key: IdempotencyKey = None):
    """The institution is active at once; it can sign requests after a secret is issued for it
    (``POST /v1/institutions/{code}/secret``)."""
    require_region(call, body.region_code, "在该地区登记定点机构", "register an institution there")

    def work(s: Session) -> InstitutionView:
        institution = institutions.register(s, call.env, code=body.code, name=body.name, kind=body.kind,
                                            region_code=body.region_code, actor=call.who.actor())
        s.refresh(institution)  # as stored, the way every later read shows it
        return view(institution)

    return call.once(work, body=body, status_code=201, required=False)


@router.get("", response_model=Page[InstitutionView],
            summary="定点机构列表 · the institutions of the caller's region (staff)")
def list_institutions(
        call: Staff,
        region_prefix: Annotated[str | None, Query(
            pattern=r"^(\d{2}){0,3}$",
            description="区划前缀，须在本人管辖范围内；默认本人的 · a division-code prefix inside the caller's "
                        "region (default: the caller's region)")] = None,
        active: Annotated[bool | None, Query(description="只列在用（true）或已暂停（false）的 · only active or "
                                                         "only suspended ones")] = None,
        limit: Limit = 50, offset: Offset = 0) -> Page[InstitutionView]:
    prefix = call.who.region_prefix if region_prefix is None else region_prefix
    require_region(call, prefix or "*", "查看该地区的定点机构", "list that region's institutions")

    def work(s: Session) -> Page[InstitutionView]:
        items, total = institutions.list_institutions(s, region_prefix=prefix, active=active, limit=limit,
                                                      offset=offset)
        return Page[InstitutionView](items=[view(i) for i in items], total=total, limit=limit, offset=offset)

    return call.read(work)


@router.get("/{code}", response_model=InstitutionView,
            summary="定点机构信息 · an institution (staff of its region, or the institution itself)")
def get_institution(code: Code, call: StaffOrInstitution) -> InstitutionView:
    def work(s: Session) -> InstitutionView:
        if call.who.role is Role.INSTITUTION:
            if call.who.id != code:
                raise call.forbid("查看其他机构的信息", "see another institution's record")
            return view(institutions.get(s, code=code))
        institution = institutions.get(s, code=code)
        require_region(call, institution.region_code, "查看该定点机构", "see this institution")
        return view(institution)

    return call.read(work)


class IssuedSecret(Output):
    code: str
    secret: str = Field(description="签名密钥，仅显示这一次 · the signing secret, shown this once only")
    issued_at: datetime
    notice: str = Field(description="提示 · what to do with it")


NOTICE = ("此密钥仅显示这一次，服务器不保存，请立即交给机构安全保管；原密钥已停止使用。"
          " · This secret is shown once and not kept by the server: hand it to the institution now, to be kept "
          "safe. The previous secret no longer works.")


@router.post("/{code}/secret", response_model=IssuedSecret, status_code=201,
             summary="签发签名密钥（管理员）· issue a new signing secret (administrators of its region)")
def issue_secret(code: Code, call: Admin) -> JSONResponse:
    """A new secret for the institution to sign its requests with. **It is shown in this answer only**
    (it is not stored, so it cannot be shown again), and the previous secret stops working at once.
    The answer is marked not to be cached. A suspended institution gets none (``INSTITUTION_SUSPENDED``)."""

    def work(s: Session) -> IssuedSecret:
        institution = _managed(call, s, code)
        if not institution.active:
            raise GongjiError("INSTITUTION_SUSPENDED", name=institution.name, code=institution.code)
        secret = auth.issue_institution_secret(s, call.env, server_key=call.settings.server_key,
                                               code=institution.code, actor=call.who.actor())
        return IssuedSecret(code=institution.code, secret=secret, issued_at=call.env.now(), notice=NOTICE)

    issued = call.write(work)
    return JSONResponse(issued.model_dump(mode="json"), status_code=201,
                        headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


class Activity(Input):
    active: bool = Field(description="false 暂停，true 恢复 · false suspends, true reactivates")


@router.put("/{code}/active", response_model=InstitutionView,
            summary="暂停或恢复定点机构（管理员）· suspend or reactivate an institution (administrators of its region)")
def set_active(code: Code, body: Activity, call: Admin) -> InstitutionView:
    """While suspended, the institution's signed requests are refused and it cannot settle or refund;
    its records stay. Reactivating lets its current secret work again."""

    def work(s: Session) -> InstitutionView:
        institution = _managed(call, s, code)
        return view(institutions.set_active(s, call.env, code=institution.code, active=body.active,
                                            actor=call.who.actor()))

    return call.write(work)
