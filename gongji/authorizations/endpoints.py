"""Bindings (N-2, N-7, HLJ-1..HLJ-9, WL-1) and families (HN-1, HN-7) over HTTP.

A payer binds for himself through an app or the portal; staff bind for people of their region at a
counter, ticking the region's document checklist (N-8). Either side of a binding may end it
(HLJ-8). Each side sees the other's name and masked ID number, never the other's balance.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import Field
from sqlalchemy.orm import Session

from gongji.api import problems
from gongji.api.calls import Call, IdempotencyKey, allow
from gongji.api.schemas import Id, IdNumber, Input, Limit, Offset, Output, Page, shown_id
from gongji.auth.service import Role
from gongji.authorizations import attempts, rules
from gongji.authorizations import service as authorizations
from gongji.authorizations.models import Binding, Family
from gongji.errors import GongjiError
from gongji.people import service as people
from gongji.people.endpoints import PartyView, load_person, party_view
from gongji.records import service as records
from gongji.terms import Channel, DocumentKind, EndReason, Relationship

router = APIRouter(prefix="/v1")

PersonOrStaff = Annotated[Call, Depends(allow(Role.PERSON, Role.STAFF, Role.ADMIN))]



# -- shapes ---------------------------------------------------------------------------------------

class DocumentView(Output):
    kind: DocumentKind
    checked_by: str | None


class BindingView(Output):
    binding_id: int
    payer: PartyView
    beneficiary: PartyView
    relationship: Relationship
    start_on: date
    end_on: date | None
    priority: int | None
    state: Literal["pending", "active", "ended", "expired"]
    family_id: int | None
    channel: Channel
    agreement_version: str
    agreement_accepted_at: datetime
    created_at: datetime
    ended_on: date | None
    end_reason: EndReason | None
    rebind_possible_from: date | None = Field(
        description="解除后可再次绑定的日期（HLJ-2）· from when the pair may bind again after unbinding")
    documents: list[DocumentView] | None = Field(description="经办人员可见 · shown to staff")
    paused: bool = Field(False, description="已暂停：暂停期间不支付（D-3）· paused: it pays nothing until resumed")
    limited: bool = Field(False, description="共济人设有每月限额（PP-1）· the payer set a monthly limit")
    monthly_limit_fen: int | None = Field(
        None, description="每月限额（分），仅共济人和经办人员可见（PP-1）· the monthly limit in fen, shown to the payer "
                          "and staff only")


def binding_view(call: Call, session: Session, binding: Binding) -> BindingView:
    today = call.env.today()
    payer, beneficiary = people.get(session, binding.payer_id), people.get(session, binding.beneficiary_id)
    rebind = None
    if binding.ended_on is not None and binding.end_reason != EndReason.EXPIRED.value:
        rebind = rules.rebind_possible_from(binding.ended_on, call.env.policy(binding.region_code))
    return BindingView(
        binding_id=binding.id, payer=party_view(call, payer), beneficiary=party_view(call, beneficiary),
        relationship=binding.relationship, start_on=binding.start_on, end_on=binding.end_on,
        priority=binding.priority,
        state=rules.state(start_on=binding.start_on, end_on=binding.end_on, ended_on=binding.ended_on,
                          end_reason=binding.end_reason, today=today),
        family_id=binding.family_id, channel=binding.channel, agreement_version=binding.agreement_version,
        agreement_accepted_at=binding.agreement_accepted_at, created_at=binding.created_at,
        ended_on=binding.ended_on, end_reason=binding.end_reason, rebind_possible_from=rebind,
        documents=[DocumentView(kind=d.kind, checked_by=d.checked_by) for d in binding.documents]
        if call.who.is_staff else None,
        paused=binding.paused_at is not None, limited=binding.monthly_limit_fen is not None,
        monthly_limit_fen=binding.monthly_limit_fen
        if call.who.is_staff or call.who.person_id == binding.payer_id else None,
    )


# -- bindings -------------------------------------------------------------------------------------

class DocumentIn(Input):
    kind: DocumentKind
    file_ref: Annotated[str | None, Field(max_length=500)] = None


class NewBinding(Input):
    payer_id_number: IdNumber | None = Field(None, description="本人办理可不填 · leave out when binding for yourself")
    beneficiary_id_number: IdNumber
    beneficiary_name: Annotated[str, Field(min_length=1, max_length=50)] = Field(
        description="亲属姓名，须与身份证号码登记的一致（HLJ-7）· the relative's name, as registered with the ID number")
    relationship: Relationship
    start_on: date | None = Field(None, description="生效日期，默认今天（HLJ-6）· first day, today if left out")
    end_on: date | None = Field(None, description="截止日期，不填为长期（HLJ-6）· last day; open-ended if left out")
    priority: Annotated[int | None, Field(ge=1, le=99)] = Field(None, description="支付顺序（WL-1）· payer order")
    agreement_version: Annotated[str | None, Field(max_length=40)] = Field(
        None, description="已阅读同意的授权协议版本（N-7）· the agreement version accepted")
    documents: Annotated[list[DocumentIn], Field(max_length=20)] = Field(
        default_factory=list, description="证明材料（HN-3）或窗口核验材料（N-8）· proof or checked documents")
    channel: Channel | None = None


def count_binding_attempt(call: Call, payer_id_number: str | None) -> None:
    """Every binding request counts against its payer, in a transaction of its own (so a refused one counts too);
    past ``binding_attempts_per_person`` within ``binding_window_hours`` BINDING_ATTEMPTS_THROTTLED (429): the
    name and ID number of someone's relatives cannot be found by trying many (HLJ-7)."""
    settings = call.settings

    def admit(s: Session) -> None:
        if call.who.role is Role.PERSON:
            payer_id = call.who.person_id
        else:
            try:
                payer_id = people.find(s, payer_id_number).id if payer_id_number is not None else None
            except GongjiError:
                payer_id = None
            if payer_id is None:  # the request itself is refused, in its own words
                return
        attempts.count(s, call.env, payer_id=payer_id, limit=settings.binding_attempts_per_person,
                       window_hours=settings.binding_window_hours)

    call.db.run(admit)


@router.post("/bindings", response_model=BindingView, status_code=201, tags=["bindings"],
             responses={429: {**problems.THROTTLED_RESPONSE[429],
                              "description": "绑定申请过于频繁 · too many binding attempts; try again later"}},
             summary="办理共济绑定 · bind a relative (the payer, or staff at a counter)")
def create_binding(body: NewBinding, call: PersonOrStaff, idempotency_key: IdempotencyKey = None):
    """The relative is named by ID number and name (HLJ-7): a name that is not the registered one and an ID number
    that is not registered get the same RELATIVE_NOT_MATCHED. Binding requests are counted per payer
    (BINDING_ATTEMPTS_THROTTLED)."""
    count_binding_attempt(call, body.payer_id_number)

    def work(s: Session) -> BindingView:
        payer = call.acting_for(s, body.payer_id_number, field="payer_id_number", who_zh="共济人",
                                who_en="the payer", action_zh="以他人身份作为共济人办理",
                                action_en="act as the payer for someone else")
        binding = authorizations.bind(
            s, call.env, payer_id_number=payer.id_number, beneficiary_id_number=body.beneficiary_id_number,
            relationship=body.relationship, actor=call.who.actor(call.channel(body.channel)),
            agreement_version=body.agreement_version, start_on=body.start_on, end_on=body.end_on,
            priority=body.priority, documents=[d.model_dump() for d in body.documents],
            beneficiary_name=body.beneficiary_name)
        return binding_view(call, s, binding)

    return call.once(work, body=body, status_code=201)


def binding_for(call: Call, s: Session, binding_id: int) -> Binding:
    binding = authorizations.get(s, binding_id)
    who = call.who
    if who.role is Role.PERSON:
        if who.person_id not in (binding.payer_id, binding.beneficiary_id):
            raise call.forbid("查看或办理他人的共济绑定", "see or change other people's bindings")
    elif not who.covers(binding.region_code):
        raise GongjiError("OUTSIDE_YOUR_REGION", what_zh="该共济绑定", what_en="This binding",
                          region=who.region_prefix or "-")
    return binding


@router.get("/bindings/{binding_id}", response_model=BindingView, tags=["bindings"],
            summary="共济绑定详情 · a binding (its payer, its beneficiary, staff of its region)")
def get_binding(binding_id: Id, call: PersonOrStaff) -> BindingView:
    return call.read(lambda s: binding_view(call, s, binding_for(call, s, binding_id)))


class Unbind(Input):
    note: Annotated[str | None, Field(max_length=200)] = Field(None, description="解除原因 · why")
    channel: Channel | None = None


@router.post("/bindings/{binding_id}/unbind", response_model=BindingView, tags=["bindings"],
             summary="解除共济绑定 · end a binding (HLJ-8; payer, beneficiary or staff)")
def unbind(binding_id: Id, body: Unbind, call: PersonOrStaff, idempotency_key: IdempotencyKey = None):
    def work(s: Session) -> BindingView:
        binding_for(call, s, binding_id)
        binding = authorizations.unbind(s, call.env, binding_id=binding_id,
                                        actor=call.who.actor(call.channel(body.channel)), note=body.note)
        return binding_view(call, s, binding)

    return call.once(work, body=body)


class AuthorizationView(Output):
    binding_id: int
    role: Literal["payer", "beneficiary"]
    other_name: str
    other_id_number: str = Field(description="脱敏 · masked")
    relationship: Relationship
    start_on: date
    end_on: date | None
    priority: int | None
    state: Literal["pending", "active", "ended", "expired"]
    ended_on: date | None
    end_reason: EndReason | None
    channel: Channel
    paused: bool = Field(False, description="已暂停：暂停期间不支付（D-3）· paused: it pays nothing until resumed")
    limited: bool = Field(False, description="共济人设有每月限额（PP-1）· the payer set a monthly limit")
    monthly_limit_fen: int | None = Field(
        None, description="每月限额（分），仅共济人和经办人员可见（PP-1）· the monthly limit in fen, shown to the payer "
                          "and staff only")


@router.get("/people/{person_id}/bindings", response_model=Page[AuthorizationView], tags=["bindings"],
            summary="授权记录 · a person's bindings as payer and as beneficiary (HLJ-8, N-9)")
def person_bindings(person_id: Id, call: PersonOrStaff,
                    role: Annotated[Literal["payer", "beneficiary", "both"], Query()] = "both",
                    include_ended: bool = True, limit: Limit = 50, offset: Offset = 0) -> Page[AuthorizationView]:
    def work(s: Session):
        load_person(call, s, person_id)
        page = records.authorization_records(s, person_id=person_id, today=call.env.today(), role=role,
                                             include_ended=include_ended, limit=limit, offset=offset)
        # PP-1: as the single binding shows it: the amount to the payer and staff, to the relative only that it is
        shown = [AuthorizationView.model_validate(item, from_attributes=True).model_copy(update=dict(
            limited=item.monthly_limit_fen is not None,
            monthly_limit_fen=item.monthly_limit_fen
            if call.who.is_staff or (item.role == "payer" and call.who.person_id == person_id) else None))
            for item in page.items]
        return Page[AuthorizationView](items=shown, total=page.total, limit=page.limit, offset=page.offset)

    return call.read(work)


# -- families -------------------------------------------------------------------------------------

class MemberView(Output):
    person_id: int
    name: str
    id_number: str
    relationship: Relationship | Literal["householder"]
    joined_at: datetime


class FamilyView(Output):
    family_id: int
    name: str
    region_code: str
    householder: PartyView
    members: list[MemberView]
    created_at: datetime


def family_view(call: Call, s: Session, family: Family) -> FamilyView:
    holder = people.get(s, family.householder_id)
    members = []
    for row in authorizations.family_members(s, family.id):
        person = people.get(s, row.person_id)
        members.append(MemberView(person_id=person.id, name=person.name,
                                  id_number=shown_id(person.id_number, owner=call.is_self(person.id)),
                                  relationship=row.relationship, joined_at=row.joined_at))
    return FamilyView(family_id=family.id, name=family.name, region_code=family.region_code,
                      householder=party_view(call, holder), members=members, created_at=family.created_at)


def _family_for(call: Call, s: Session, family_id: int) -> Family:
    family = authorizations.get_family(s, family_id)
    who = call.who
    if who.role is Role.PERSON:
        if authorizations.family_of(s, who.person_id) != family.id:
            raise call.forbid("查看或办理其他家庭的事务", "see or change another family")
    elif not who.covers(family.region_code):
        raise GongjiError("OUTSIDE_YOUR_REGION", what_zh="该家庭", what_en="This family",
                          region=who.region_prefix or "-")
    return family


class NewFamily(Input):
    householder_id_number: IdNumber | None = Field(None, description="本人办理可不填 · leave out for yourself")
    name: Annotated[str, Field(min_length=1, max_length=50)]


@router.post("/families", response_model=FamilyView, status_code=201, tags=["families"],
             summary="建立共济家庭 · create a family, its householder the payer (HN-1)")
def create_family(body: NewFamily, call: PersonOrStaff, idempotency_key: IdempotencyKey = None):
    def work(s: Session) -> FamilyView:
        holder = call.acting_for(s, body.householder_id_number, field="householder_id_number", who_zh="户主",
                                 who_en="the householder", action_zh="以他人身份作为户主办理",
                                 action_en="act as the householder for someone else")
        family = authorizations.create_family(s, call.env, householder_id_number=holder.id_number, name=body.name,
                                              actor=call.who.actor())
        return family_view(call, s, family)

    return call.once(work, body=body, status_code=201, required=False)


@router.get("/families/{family_id}", response_model=FamilyView, tags=["families"],
            summary="共济家庭 · a family (its members, staff of its region)")
def get_family(family_id: Id, call: PersonOrStaff) -> FamilyView:
    return call.read(lambda s: family_view(call, s, _family_for(call, s, family_id)))


@router.get("/people/{person_id}/family", response_model=FamilyView | None, tags=["families"],
            summary="所在家庭 · the family a person belongs to (null if none)")
def person_family(person_id: Id, call: PersonOrStaff) -> FamilyView | None:
    def work(s: Session) -> FamilyView | None:
        load_person(call, s, person_id)
        family_id = authorizations.family_of(s, person_id)
        return None if family_id is None else family_view(call, s, authorizations.get_family(s, family_id))

    return call.read(work)


class NewMember(Input):
    member_id_number: IdNumber
    relationship: Relationship = Field(description="与户主的关系 · what the member is to the householder")


@router.post("/families/{family_id}/members", response_model=FamilyView, status_code=201, tags=["families"],
             summary="添加家庭成员 · the householder (or staff) adds a close relative (HN-1)")
def add_member(family_id: Id, body: NewMember, call: PersonOrStaff, idempotency_key: IdempotencyKey = None):
    def work(s: Session) -> FamilyView:
        family = _family_for(call, s, family_id)
        authorizations.add_member(s, call.env, family_id=family.id, member_id_number=body.member_id_number,
                                  relationship=body.relationship, actor=call.who.actor())
        return family_view(call, s, family)

    return call.once(work, body=body, status_code=201, required=False)


class MemberChange(Input):
    relationship: Relationship


@router.put("/families/{family_id}/members/{person_id}", response_model=FamilyView, tags=["families"],
            summary="修改成员关系 · correct a member's relationship (HN-7)")
def update_member(family_id: Id, person_id: Id, body: MemberChange, call: PersonOrStaff,
                  idempotency_key: IdempotencyKey = None):
    def work(s: Session) -> FamilyView:
        family = _family_for(call, s, family_id)
        member = people.get(s, person_id)
        authorizations.update_member(s, call.env, family_id=family.id, member_id_number=member.id_number,
                                     relationship=body.relationship, actor=call.who.actor())
        return family_view(call, s, family)

    return call.once(work, body=body, required=False)


class MembershipEnded(Output):
    family_id: int
    person_id: int
    bindings_ended: int


@router.delete("/families/{family_id}/members/{person_id}", response_model=MembershipEnded, tags=["families"],
               summary="删除家庭成员 · the householder (or staff) removes a member; his bindings end (HN-7)")
def remove_member(family_id: Id, person_id: Id, call: PersonOrStaff, idempotency_key: IdempotencyKey = None):
    def work(s: Session) -> MembershipEnded:
        family = _family_for(call, s, family_id)
        member = people.get(s, person_id)
        ended = authorizations.remove_member(s, call.env, family_id=family.id, member_id_number=member.id_number,
                                             actor=call.who.actor())
        return MembershipEnded(family_id=family.id, person_id=member.id, bindings_ended=ended)

    return call.once(work)


class Leave(Input):
    member_person_id: Id | None = Field(None, description="经办人员办理时填写 · staff name the member")


@router.post("/families/{family_id}/leave", response_model=MembershipEnded, tags=["families"],
             summary="退出家庭 · a member leaves; his bindings in the family end (HN-7)")
def leave(family_id: Id, body: Leave, call: PersonOrStaff, idempotency_key: IdempotencyKey = None):
    def work(s: Session) -> MembershipEnded:
        family = _family_for(call, s, family_id)
        if call.who.role is Role.PERSON:
            if body.member_person_id not in (None, call.who.person_id):
                raise call.forbid("替他人退出家庭", "make someone else leave a family")
            member_id = call.who.person_id
        elif body.member_person_id is None:
            raise GongjiError("INVALID_REQUEST", summary_zh="经办人员办理时须填写 member_person_id",
                              summary_en="staff must give member_person_id")
        else:
            member_id = body.member_person_id
        member = people.get(s, member_id)
        ended = authorizations.leave_family(s, call.env, family_id=family.id, member_id_number=member.id_number,
                                            actor=call.who.actor())
        return MembershipEnded(family_id=family.id, person_id=member.id, bindings_ended=ended)

    return call.once(work, body=body)
