"""Insured people: who they are, their enrollment, their accounts and their records (N-9).

A person sees everything of his own, with his full ID number. Staff see the people of their region,
institutions the patients of theirs; both see ID numbers masked. Nobody else sees anybody.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import Field, model_validator
from sqlalchemy.orm import Session

from gongji.api.calls import ADMIN, STAFF, Call, IdempotencyKey, allow
from gongji.api.problems import THROTTLED_RESPONSE
from gongji.api.schemas import Fen, Id, IdNumber, Input, Limit, Offset, Output, Page, PositiveFen, shown_id
from gongji.auth import service as auth
from gongji.auth import throttle
from gongji.auth.service import Role
from gongji.errors import GongjiError
from gongji.national import evoucher
from gongji.people import service as people
from gongji.people.ids import region_name
from gongji.people.models import Person
from gongji.records import service as records
from gongji.terms import Fund, Scheme, Status

router = APIRouter(prefix="/v1", tags=["people"])

Anyone = Annotated[Call, Depends(allow(Role.PERSON, Role.STAFF, Role.ADMIN, Role.INSTITUTION))]
PersonOrStaff = Annotated[Call, Depends(allow(Role.PERSON, Role.STAFF, Role.ADMIN))]
Staff = Annotated[Call, Depends(allow(*STAFF))]
Admin = Annotated[Call, Depends(allow(*ADMIN))]
Person_ = Annotated[Call, Depends(allow(Role.PERSON))]
FromOn = Annotated[date | None, Query(description="起始日期 · from this date (inclusive)")]
ToOn = Annotated[date | None, Query(description="截止日期 · up to this date (inclusive)")]


def mask_phone(phone: str | None) -> str | None:
    return phone[:3] + "****" + phone[-4:] if phone and len(phone) >= 11 else (phone and "****")


class PersonView(Output):
    """A person as the caller may see him: full ID number, phone and card only for the owner."""

    person_id: int
    id_number: str = Field(description="本人可见完整号码，他人可见脱敏号码 · full for its owner, masked for others")
    name: str
    sex: Literal["M", "F"]
    birth_date: date | None
    phone: str | None
    scheme: Scheme | None
    region_code: str | None
    region_name: str | None
    status: Status | None
    status_since: date | None
    card_no: str | None
    retired: bool | None


def person_view(person: Person, *, owner: bool, staff: bool = False) -> PersonView:
    e = person.enrollment
    return PersonView(
        person_id=person.id, id_number=shown_id(person.id_number, owner=owner), name=person.name, sex=person.sex,
        birth_date=person.birth_date if owner or staff else None,
        phone=person.phone if owner else mask_phone(person.phone),
        scheme=e.scheme if e else None, region_code=e.region_code if e else None,
        region_name=region_name(e.region_code) if e else None, status=e.status if e else None,
        status_since=e.status_since if e else None,
        card_no=(e.card_no if owner or staff else None) if e else None, retired=e.retired if e else None,
    )


class PartyView(Output):
    """One side of a binding, a transfer or a family, as the caller may see him."""

    person_id: int
    name: str
    id_number: str = Field(description="本人可见完整号码，他人脱敏 · full for its owner, masked for others")


def party_view(call: Call, person: Person) -> PartyView:
    return PartyView(person_id=person.id, name=person.name,
                     id_number=shown_id(person.id_number, owner=call.is_self(person.id)))


def load_person(call: Call, session: Session, person_id: int, *, institutions: bool = False) -> Person:
    """The person, if the caller may see him: himself, staff of his region, (optionally) an institution of it."""
    who = call.who
    if who.role is Role.PERSON:
        if who.person_id != person_id:
            raise call.forbid("查看或办理他人的信息", "see or act on another person's data")
        return people.get(session, person_id)
    if who.role is Role.INSTITUTION and not institutions:
        raise call.forbid("查看参保人的此项信息", "see this part of a person's data")
    person = people.get(session, person_id)
    call.require_region(person)
    return person


def view_for(call: Call, person: Person) -> PersonView:
    return person_view(person, owner=call.is_self(person.id), staff=call.who.is_staff)


# -- who ------------------------------------------------------------------------------------------

@router.get("/me", response_model=PersonView, summary="我的信息 · my own data")
def me(call: Person_) -> PersonView:
    return call.read(lambda s: view_for(call, people.get(s, call.who.person_id)))


class NewPerson(Input):
    id_number: IdNumber
    name: Annotated[str, Field(min_length=1, max_length=50)]
    scheme: Scheme
    region_code: Annotated[str, Field(min_length=6, max_length=6, pattern=r"^\d{6}$")]
    phone: Annotated[str | None, Field(max_length=20)] = None
    card_no: Annotated[str | None, Field(max_length=20)] = None
    card_sn: Annotated[str | None, Field(max_length=32)] = Field(
        None, description="社会保障卡的卡识别码，1101 读卡时核对（NI-2）· the card's identification code, checked by 1101")
    enrolled_on: date | None = None
    retired: bool = False
    contribution_base_fen: Fen | None = None


@router.post("/people", response_model=PersonView, status_code=201,
             summary="参保登记（经办人员）· register an insured person (staff)")
def register(body: NewPerson, call: Staff) -> PersonView:
    if not call.who.covers(body.region_code):
        raise GongjiError("OUTSIDE_YOUR_REGION", what_zh="此人", what_en="This person",
                          region=call.who.region_prefix or "-")

    def work(s: Session) -> PersonView:
        person = people.register(s, call.env, actor=call.who.actor(), **body.model_dump())
        s.refresh(person)
        return view_for(call, person)

    return call.write(work)


class Search(Input):
    """Find by ID number, by card number, or by name and birth date (staff only)."""

    id_number: IdNumber | None = None
    card_no: Annotated[str | None, Field(min_length=1, max_length=20)] = None
    name: Annotated[str | None, Field(min_length=1, max_length=50)] = None
    birth_date: date | None = None

    @model_validator(mode="after")
    def _one_way(self) -> Search:
        ways = [self.id_number is not None, self.card_no is not None,
                self.name is not None and self.birth_date is not None]
        if sum(ways) != 1 or (self.name is None) != (self.birth_date is None):
            raise ValueError("give exactly one of: id_number; card_no; name with birth_date")
        return self


@router.post("/people/search", response_model=list[PersonView],
             summary="查找参保人 · find a person (staff; institutions by ID or card number)")
def search(body: Search, call: Annotated[Call, Depends(allow(Role.STAFF, Role.ADMIN, Role.INSTITUTION))]
           ) -> list[PersonView]:
    """The ID number travels in the body, never in a URL, so that it stays out of access logs."""

    def work(s: Session) -> list[PersonView]:
        if body.name is not None and call.who.role is Role.INSTITUTION:
            raise call.forbid("按姓名查找参保人", "look people up by name")
        found = people.search(s, id_number=body.id_number, card_no=body.card_no, name=body.name,
                              birth_date=body.birth_date)
        if body.name is None:
            for person in found:
                call.require_region(person)
        return [view_for(call, p) for p in found if call.covers_person(p)]

    return call.read(work)


@router.get("/people/{person_id}", response_model=PersonView, summary="参保人信息 · a person")
def get_person(person_id: Id, call: Anyone) -> PersonView:
    return call.read(lambda s: view_for(call, load_person(call, s, person_id, institutions=True)))


class StatusChange(Input):
    status: Status
    reason: str | None = Field(None, max_length=200, description="原因，如死亡、转出、单位申报有误 · why (death, moving "
                               "out, an employer's error); once contributions decide the status, only terminated "
                               "changes what the rules read (LC-1)")
    on: date | None = Field(None, description="变更日期，默认今天 · the day it takes effect (today if left out)")


class EnrollmentView(Output):
    person_id: int
    scheme: Scheme
    region_code: str
    status: Status
    status_since: date
    enrolled_on: date
    retired: bool
    recorded_status: Status = Field(description="经办人员或登记记录的状态 · the status staff or registration recorded")
    status_reason: str | None
    status_cause: str = Field(description="registered 登记 · staff 经办人员 · contributions 缴费记录 (LC-1)")


@router.put("/people/{person_id}/status", response_model=EnrollmentView,
            summary="变更参保状态（经办人员）· change enrollment status (staff; HN-2, WL-5)")
def change_status(person_id: Id, body: StatusChange, call: Staff) -> EnrollmentView:
    def work(s: Session) -> EnrollmentView:
        person = load_person(call, s, person_id)
        enrollment = people.change_status(s, call.env, id_number=person.id_number, status=body.status,
                                          actor=call.who.actor(), on=body.on, reason=body.reason)
        return EnrollmentView.model_validate(enrollment)

    return call.write(work)


class EVoucherView(Output):
    mdtrt_cert_no: str = Field(description="1101 的就诊凭证编号（凭证类型 01）· the token a HIS sends as 1101's mdtrt_cert_no (type 01)")
    expires_at: datetime


@router.post("/people/{person_id}/e-voucher", response_model=EVoucherView, status_code=201,
             summary="出示医保电子凭证（本人）· show my e-voucher to a hospital or pharmacy (the person only; NI-2)")
def show_e_voucher(person_id: Id, call: Person_) -> EVoucherView:
    """The code the person's phone shows at the window, valid for minutes: the HIS reads it and sends it in 1101
    as ``mdtrt_cert_type`` 01, and only then learns who he is (gongji/national/evoucher.py). Nothing is stored."""
    person = call.read(lambda s: load_person(call, s, person_id))
    token, expires_at = evoucher.issue(call.settings.server_key, person.id, call.env.now())
    return EVoucherView(mdtrt_cert_no=token, expires_at=expires_at)


class PasswordChange(Input):
    new_password: Annotated[str, Field(min_length=1, max_length=128)]
    current_password: Annotated[str | None, Field(max_length=128)] = Field(
        None, description="本人修改时必填 · required when a person changes his own")


@router.put("/people/{person_id}/password", status_code=204, responses=THROTTLED_RESPONSE,
            summary="设置登录密码 · set the login password (staff after checking the ID card, or the person)")
def set_password(person_id: Id, body: PasswordChange, call: PersonOrStaff) -> None:
    """A person gives his current password, checked as a login is: its failures count with his failed logins,
    and after as many the account is paused (LOGIN_THROTTLED, 429; gongji/auth/throttle.py)."""
    def work(s: Session) -> None:
        person = load_person(call, s, person_id)
        if call.who.role is Role.PERSON:
            auth.check_person_password(s, person_id=person.id, password=body.current_password or "")
        auth.set_person_password(s, call.env, person_id=person.id, password=body.new_password,
                                 actor=call.who.actor())

    if call.who.role is not Role.PERSON:
        call.write(work)
        return
    own = call.read(lambda s: people.get(s, call.who.person_id).id_number)
    throttle.guarded_login(call.db, call.env, throttle.Limits.of(call.settings), kind=throttle.PERSON,
                           identifier=own, client=throttle.client_of(call.request), login=work)


# -- accounts -------------------------------------------------------------------------------------

class AccountsView(Output):
    person_id: int
    current_year_fen: int
    prior_years_fen: int
    total_fen: int


@router.get("/people/{person_id}/accounts", response_model=AccountsView,
            summary="个人账户余额 · personal account balances (D-1)")
def accounts(person_id: Id, call: Anyone) -> AccountsView:
    def work(s: Session) -> AccountsView:
        person = load_person(call, s, person_id, institutions=True)
        b = people.balances(s, person.id)
        if b is None:
            raise GongjiError("ACCOUNT_NOT_FOUND", name=person.name)
        return AccountsView(person_id=person.id, current_year_fen=b.current_year_fen,
                            prior_years_fen=b.prior_years_fen, total_fen=b.total_fen)

    return call.read(work)


class AccountChangeView(Output):
    entry_id: int
    on: date
    kind: str
    fund: Fund
    amount_fen: int
    balance_after_fen: int


@router.get("/people/{person_id}/account-changes", response_model=Page[AccountChangeView],
            summary="账户变动 · account changes (N-9)")
def account_changes(person_id: Id, call: PersonOrStaff, from_on: FromOn = None, to_on: ToOn = None,
                    limit: Limit = 50, offset: Offset = 0) -> Page[AccountChangeView]:
    def work(s: Session):
        load_person(call, s, person_id)
        return records.account_changes(s, person_id=person_id, from_on=from_on, to_on=to_on, limit=limit,
                                       offset=offset)

    return call.read(work)


class ConsumptionView(Output):
    settlement_id: int
    on: date
    institution_name: str
    use: str
    amount_fen: int
    own_fen: int
    mutual_aid_fen: int
    cash_fen: int
    refunded_fen: int
    status: str


@router.get("/people/{person_id}/consumption", response_model=Page[ConsumptionView],
            summary="消费记录 · the person's own bills and how each was paid (N-9)")
def consumption(person_id: Id, call: PersonOrStaff, from_on: FromOn = None, to_on: ToOn = None,
                limit: Limit = 50, offset: Offset = 0) -> Page[ConsumptionView]:
    def work(s: Session):
        load_person(call, s, person_id)
        return records.consumption_as_patient(s, person_id=person_id, from_on=from_on, to_on=to_on, limit=limit,
                                              offset=offset)

    return call.read(work)


class AidPaymentView(Output):
    kind: Literal["settlement", "resident_contribution"]
    settlement_id: int | None
    on: date
    other_name: str
    other_id_number: str = Field(description="脱敏 · masked")
    institution_name: str | None
    use: str
    fund: Fund | None
    amount_fen: int
    refunded_fen: int


@router.get("/people/{person_id}/aid-payments", response_model=Page[AidPaymentView],
            summary="共济支付记录 · payments for relatives, as payer or as beneficiary (N-9)")
def aid_payments(person_id: Id, call: PersonOrStaff,
                 role: Annotated[Literal["payer", "beneficiary"], Query(
                     description="payer：我为亲属支付；beneficiary：亲属为我支付 · I paid / was paid for")] = "payer",
                 from_on: FromOn = None, to_on: ToOn = None, limit: Limit = 50, offset: Offset = 0
                 ) -> Page[AidPaymentView]:
    fn = records.payments_as_payer if role == "payer" else records.paid_for_me

    def work(s: Session):
        load_person(call, s, person_id)
        return fn(s, person_id=person_id, from_on=from_on, to_on=to_on, limit=limit, offset=offset)

    return call.read(work)


class CreditIn(Input):
    amount_fen: PositiveFen
    fund: Fund = Fund.CURRENT_YEAR
    memo: Annotated[str, Field(min_length=1, max_length=100)] = "manual credit"


class CreditOut(Output):
    person_id: int
    entry_id: int
    amount_fen: int
    fund: Fund


@router.post("/people/{person_id}/credits", response_model=CreditOut, status_code=201,
             summary="划入个人账户（管理员）· credit a personal account (administrators)")
def credit(person_id: Id, body: CreditIn, call: Admin, idempotency_key: IdempotencyKey = None):
    def work(s: Session) -> CreditOut:
        person = load_person(call, s, person_id)
        entry_id = people.credit(s, call.env, id_number=person.id_number, amount_fen=body.amount_fen,
                                 actor=call.who.actor(), idempotency_key=call.idempotency_key,
                                 fund=body.fund, memo=body.memo)
        return CreditOut(person_id=person.id, entry_id=entry_id, amount_fen=body.amount_fen, fund=body.fund)

    return call.once(work, body=body, status_code=201)
