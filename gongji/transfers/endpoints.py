"""Transfers of prior-years funds (HZ-1..HZ-4) and resident contributions paid for a relative (N-5) over HTTP.

The payer acts for himself online; staff act for payers of their region at a counter (N-8). Either
way the money leaves the payer's own account only, and each side sees the other masked.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import Field, StrictInt
from sqlalchemy.orm import Session

from gongji.api.calls import Call, IdempotencyKey, allow
from gongji.api.schemas import Id, IdNumber, Input, Output, PositiveFen
from gongji.auth.service import Role
from gongji.clock import CST
from gongji.errors import GongjiError
from gongji.people import service as people
from gongji.people.endpoints import PartyView, party_view
from gongji.terms import Channel, Relationship
from gongji.transfers import service as transfers
from gongji.transfers.models import ContributionPayment, Transfer

router = APIRouter(prefix="/v1", tags=["transfers"])

PersonOrStaff = Annotated[Call, Depends(allow(Role.PERSON, Role.STAFF, Role.ADMIN))]



# -- transfers (HZ-1..HZ-4) -----------------------------------------------------------------------

class NewTransfer(Input):
    payer_id_number: IdNumber | None = Field(None, description="本人办理可不填 · leave out when it is your own money")
    beneficiary_id_number: IdNumber
    relationship: Relationship
    amount_fen: PositiveFen = Field(description="划转的历年账户资金（分）· prior-years funds to move, in fen")
    agreement_version: Annotated[str | None, Field(max_length=40)] = Field(
        None, description="已阅读同意的承诺书版本（HZ-4）· the commitment version accepted")
    channel: Channel | None = None


class TransferView(Output):
    transfer_id: int
    payer: PartyView
    beneficiary: PartyView
    relationship: Relationship
    amount_fen: int
    region_code: str
    channel: Channel
    agreement_version: str
    agreement_accepted_at: datetime
    at: datetime
    on: date


def transfer_view(call: Call, session: Session, row: Transfer) -> TransferView:
    return TransferView(
        transfer_id=row.id, payer=party_view(call, people.get(session, row.payer_id)),
        beneficiary=party_view(call, people.get(session, row.beneficiary_id)), relationship=row.relationship,
        amount_fen=row.amount_fen, region_code=row.region_code, channel=row.channel,
        agreement_version=row.agreement_version,
        agreement_accepted_at=row.agreement_accepted_at.astimezone(CST), at=row.at.astimezone(CST),
        on=row.on)


@router.post("/transfers", response_model=TransferView, status_code=201,
             summary="历年账户划转 · move prior-years funds to a relative (the payer, or staff; HZ-1..HZ-4)")
def create_transfer(body: NewTransfer, call: PersonOrStaff, idempotency_key: IdempotencyKey = None):
    def work(s: Session) -> TransferView:
        payer = call.acting_for(s, body.payer_id_number, field="payer_id_number", who_zh="共济人",
                                who_en="the payer", action_zh="动用他人的个人账户",
                                action_en="spend another person's account")
        row = transfers.transfer(
            s, call.env, payer_id_number=payer.id_number, beneficiary_id_number=body.beneficiary_id_number,
            relationship=body.relationship.value, amount_fen=body.amount_fen,
            agreement_version=body.agreement_version, idempotency_key=call.core_key(Role.PERSON),
            actor=call.who.actor(call.channel(body.channel)))
        return transfer_view(call, s, row)

    return call.once(work, body=body, status_code=201)


@router.get("/transfers/{transfer_id}", response_model=TransferView,
            summary="划转详情 · a transfer (its payer, its beneficiary, staff of their region)")
def get_transfer(transfer_id: Id, call: PersonOrStaff) -> TransferView:
    def work(s: Session) -> TransferView:
        row = s.get(Transfer, transfer_id)
        if row is None:
            raise GongjiError("TRANSFER_NOT_FOUND", transfer_id=transfer_id)
        who = call.who
        if who.role is Role.PERSON:
            if who.person_id not in (row.payer_id, row.beneficiary_id):
                raise call.forbid("查看他人的划转", "see other people's transfers")
        elif not (who.covers(row.region_code)
                  or call.covers_person(people.get(s, row.beneficiary_id))):
            raise call.forbid("查看其他地区的划转", "see transfers of another region")
        return transfer_view(call, s, row)

    return call.read(work)


# -- resident contributions (N-5) -----------------------------------------------------------------

class NewContribution(Input):
    payer_id_number: IdNumber | None = Field(None, description="本人办理可不填 · leave out when it is your own money")
    beneficiary_id_number: IdNumber
    year: Annotated[StrictInt, Field(ge=2000, le=2100, description="缴费年度 · the contribution year")]
    amount_fen: PositiveFen = Field(description="当年居民医保个人缴费标准（分）· the year's contribution, in fen")
    channel: Channel | None = None


class ContributionView(Output):
    contribution_id: int
    payer: PartyView
    beneficiary: PartyView
    binding_id: int
    year: int
    amount_fen: int
    channel: Channel
    at: datetime
    on: date


@router.post("/resident-contributions", response_model=ContributionView, status_code=201,
             summary="代缴居民医保 · pay a bound relative's resident contribution (the payer, or staff; N-5)")
def pay_contribution(body: NewContribution, call: PersonOrStaff, idempotency_key: IdempotencyKey = None):
    def work(s: Session) -> ContributionView:
        payer = call.acting_for(s, body.payer_id_number, field="payer_id_number", who_zh="共济人",
                                who_en="the payer", action_zh="动用他人的个人账户",
                                action_en="spend another person's account")
        row: ContributionPayment = transfers.pay_resident_contribution(
            s, call.env, payer_id_number=payer.id_number, beneficiary_id_number=body.beneficiary_id_number,
            year=body.year, amount_fen=body.amount_fen, idempotency_key=call.core_key(Role.PERSON),
            actor=call.who.actor(call.channel(body.channel)))
        return ContributionView(
            contribution_id=row.id, payer=party_view(call, payer),
            beneficiary=party_view(call, people.get(s, row.beneficiary_id)), binding_id=row.binding_id,
            year=row.year, amount_fen=row.amount_fen, channel=row.channel, at=row.at.astimezone(CST), on=row.on)

    return call.once(work, body=body, status_code=201)
