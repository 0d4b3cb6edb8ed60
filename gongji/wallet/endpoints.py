"""The medical insurance wallet over HTTP (WAL-1..WAL-4, HN-9).

The holder opens his own wallet (staff of his region may open it for him at a counter); a payer sends from his own
personal account (or staff for him), with an Idempotency-Key; the receiving relative accepts (or staff for him). Both
sides, and staff of either side's region, may look at a transfer; what the payer's funds gave (current-year and
prior-years) is shown to the payer and staff only.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import Field
from sqlalchemy.orm import Session

from gongji.api.calls import Call, IdempotencyKey, allow
from gongji.api.schemas import Id, IdNumber, Input, Limit, Offset, Output, Page, PositiveFen, shown_id
from gongji.auth.service import Role
from gongji.clock import CST
from gongji.errors import GongjiError
from gongji.ledger.models import Account
from gongji.people import service as people
from gongji.people.endpoints import PartyView, load_person, party_view
from gongji.terms import Channel, Relationship
from gongji.wallet import service as wallets
from gongji.wallet.models import Wallet, WalletTransfer

router = APIRouter(prefix="/v1", tags=["wallet"])

PersonOrStaff = Annotated[Call, Depends(allow(Role.PERSON, Role.STAFF, Role.ADMIN))]


# -- wallets ---------------------------------------------------------------------------------------

class NewWallet(Input):
    id_number: IdNumber | None = Field(None, description="本人开通可不填 · leave out when it is your own wallet")
    channel: Channel | None = None


class WalletView(Output):
    wallet_id: int
    holder: PartyView
    status: str = Field(description="open / closed")
    region_code: str
    balance_fen: int
    opened_at: datetime


def wallet_view(call: Call, session: Session, row: Wallet) -> WalletView:
    balance = session.get(Account, row.account_id).balance_fen
    return WalletView(wallet_id=row.id, holder=party_view(call, people.get(session, row.person_id)), status=row.status,
                      region_code=row.region_code, balance_fen=balance, opened_at=row.opened_at.astimezone(CST))


@router.post("/wallets", response_model=WalletView, status_code=201,
             summary="开通医保钱包 · open a medical insurance wallet (its holder, or staff; WAL-1)")
def open_wallet(body: NewWallet, call: PersonOrStaff, idempotency_key: IdempotencyKey = None):
    def work(s: Session) -> WalletView:
        holder = call.acting_for(s, body.id_number, field="id_number", who_zh="钱包持有人", who_en="the holder",
                                 action_zh="为他人开通医保钱包", action_en="open another person's wallet")
        row, _ = wallets.open_wallet(s, call.env, id_number=holder.id_number,
                                     actor=call.who.actor(call.channel(body.channel)))
        return wallet_view(call, s, row)

    return call.once(work, body=body, status_code=201, required=False)


@router.post("/people/{person_id}/wallet/close", response_model=WalletView,
             summary="关闭医保钱包 · close a wallet, empty and with nothing waiting (its holder, or staff; WAL-1)")
def close_wallet(person_id: Id, call: PersonOrStaff, idempotency_key: IdempotencyKey = None):
    def work(s: Session) -> WalletView:
        person = load_person(call, s, person_id)  # himself, or staff of his region
        row = wallets.close_wallet(s, call.env, id_number=person.id_number, actor=call.who.actor(call.channel(None)))
        return wallet_view(call, s, row)

    return call.once(work, required=False)


@router.get("/people/{person_id}/wallet", response_model=WalletView,
            summary="医保钱包 · a person's wallet and its balance (himself, staff of his region)")
def get_wallet(person_id: Id, call: PersonOrStaff) -> WalletView:
    def work(s: Session) -> WalletView:
        person = load_person(call, s, person_id)
        row = wallets.wallet_of(s, person.id)
        if row is None:
            raise GongjiError("WALLET_NOT_FOUND", name=person.name)
        return wallet_view(call, s, row)

    return call.read(work)


# -- transfers -------------------------------------------------------------------------------------

class NewWalletTransfer(Input):
    payer_id_number: IdNumber | None = Field(None, description="本人办理可不填 · leave out when it is your own money")
    beneficiary_id_number: IdNumber
    beneficiary_province: str | None = Field(
        None, pattern=r"^[0-9]{2}$", examples=["41"],
        description="亲属在外省参保时填其省份代码（两位），经跨省平台转入 · the province where the relative is "
                    "insured, when it is another one's instance (HN-9)")
    relationship: Relationship
    amount_fen: PositiveFen = Field(description="转入亲属医保钱包的金额（分），每笔最多 2000 元 · in fen (WAL-2)")
    channel: Channel | None = None


class SideView(Output):
    """One side of a wallet transfer; across provinces the other side is not a person of this instance."""

    person_id: int | None = Field(description="本平台的参保人编号；外省参保人为空 · None for a person of another "
                                              "province's instance")
    name: str | None = Field(description="外省收款亲属的姓名本平台不知 · not known here for a relative elsewhere")
    id_number: str = Field(description="本人可见完整号码，他人脱敏 · full for its owner, masked for others")
    province: str | None = Field(None, description="外省参保人的省份代码 · his province, when it is another one")


class WalletTransferView(Output):
    wallet_transfer_id: int
    transfer_no: str = Field(description="全局唯一的转账编号 · unique across instances: <region>-<uuid>")
    direction: str = Field(description="local：双方均在本平台；out：转往外省；in：来自外省 · local, out (to another "
                                       "province), in (from another province)")
    payer: SideView
    beneficiary: SideView
    relationship: Relationship
    amount_fen: int
    current_year_fen: int | None = Field(None, description="转出人当年账户所出（仅转出人与经办人员可见）")
    prior_years_fen: int | None = Field(None, description="转出人历年账户所出（仅转出人与经办人员可见）")
    state: str = Field(description="sent / accepted / returned / refused")
    refusal: dict[str, str] | None = Field(None, description="被拒收的原因 · why it was refused: code, message_zh, "
                                                             "message_en")
    sent_at: datetime
    sent_on: date
    return_due_at: datetime = Field(description="未接收则于此时退回转出人（WAL-4）· returned then if not accepted")
    accepted_at: datetime | None
    returned_at: datetime | None
    channel: Channel


def _cst(value: datetime | None) -> datetime | None:
    return value.astimezone(CST) if value is not None else None


def _side(call: Call, session: Session, person_id: int | None, id_number: str, name: str | None,
          province: str | None) -> SideView:
    if person_id is not None:
        return SideView(**party_view(call, people.get(session, person_id)).model_dump())
    return SideView(person_id=None, name=name, id_number=shown_id(id_number, owner=False), province=province)


def transfer_view(call: Call, session: Session, row: WalletTransfer) -> WalletTransferView:
    split = row.direction != wallets.IN and (call.who.role is not Role.PERSON or call.is_self(row.payer_id))
    refusal = None if row.refusal_code is None else {"code": row.refusal_code, "message_zh": row.refusal_zh,
                                                     "message_en": row.refusal_en}
    return WalletTransferView(
        wallet_transfer_id=row.id, transfer_no=row.transfer_no, direction=row.direction,
        payer=_side(call, session, row.payer_id, row.payer_id_number, row.payer_name, row.counterpart_province),
        beneficiary=_side(call, session, row.beneficiary_id, row.beneficiary_id_number, None,
                          row.counterpart_province),
        relationship=row.relationship, amount_fen=row.amount_fen,
        current_year_fen=row.current_year_fen if split else None,
        prior_years_fen=row.prior_years_fen if split else None, state=row.state, refusal=refusal,
        sent_at=_cst(row.sent_at), sent_on=row.sent_on, return_due_at=_cst(row.return_due_at),
        accepted_at=_cst(row.accepted_at), returned_at=_cst(row.returned_at), channel=row.channel)


def _visible(call: Call, session: Session, row: WalletTransfer) -> None:
    """Its payer, its beneficiary, staff of either one's region."""
    who = call.who
    if who.role is Role.PERSON:
        if who.person_id not in (row.payer_id, row.beneficiary_id):
            raise call.forbid("查看他人的医保钱包转账", "see other people's wallet transfers")
    elif not any(call.covers_person(people.get(session, person_id))
                 for person_id in wallets.concerned(row)):
        raise call.forbid("查看其他地区的医保钱包转账", "see wallet transfers of another region")


@router.post("/wallet-transfers", response_model=WalletTransferView, status_code=201,
             summary="转入亲属医保钱包 · send money to a relative's wallet (the payer, or staff; WAL-1..WAL-3)")
def send_transfer(body: NewWalletTransfer, call: PersonOrStaff, idempotency_key: IdempotencyKey = None):
    def work(s: Session) -> WalletTransferView:
        payer = call.acting_for(s, body.payer_id_number, field="payer_id_number", who_zh="转出人", who_en="the payer",
                                action_zh="动用他人的个人账户", action_en="spend another person's account")
        row = wallets.send(s, call.env, payer_id_number=payer.id_number,
                           beneficiary_id_number=body.beneficiary_id_number, relationship=body.relationship.value,
                           amount_fen=body.amount_fen, idempotency_key=call.core_key(Role.PERSON),
                           actor=call.who.actor(call.channel(body.channel)),
                           beneficiary_province=body.beneficiary_province)
        return transfer_view(call, s, row)

    return call.once(work, body=body, status_code=201)


@router.post("/wallet-transfers/{wallet_transfer_id}/accept", response_model=WalletTransferView,
             summary="接收转账 · accept a transfer into one's wallet (the relative, or staff; WAL-1, WAL-4)")
def accept_transfer(wallet_transfer_id: Id, call: PersonOrStaff, idempotency_key: IdempotencyKey = None):
    def work(s: Session) -> WalletTransferView:
        row = wallets.get_transfer(s, wallet_transfer_id)
        who = call.who
        if who.role is Role.PERSON:
            if row.beneficiary_id is None or who.person_id != row.beneficiary_id:
                raise call.forbid("接收他人的医保钱包转账", "accept another person's wallet transfer")
        elif row.beneficiary_id is not None:
            call.require_region(people.get(s, row.beneficiary_id))
        else:
            _visible(call, s, row)  # the service says why it cannot be accepted here
        row = wallets.accept(s, call.env, transfer_id=row.id, idempotency_key=call.core_key(Role.PERSON),
                             actor=who.actor(call.channel(None)))
        return transfer_view(call, s, row)

    return call.once(work)


@router.get("/wallet-transfers/{wallet_transfer_id}", response_model=WalletTransferView,
            summary="医保钱包转账详情 · a wallet transfer (its payer, its beneficiary, staff of their regions)")
def get_wallet_transfer(wallet_transfer_id: Id, call: PersonOrStaff) -> WalletTransferView:
    def work(s: Session) -> WalletTransferView:
        row = wallets.get_transfer(s, wallet_transfer_id)
        _visible(call, s, row)
        return transfer_view(call, s, row)

    return call.read(work)


@router.get("/people/{person_id}/wallet-transfers", response_model=Page[WalletTransferView],
            summary="医保钱包转账记录 · the wallet transfers a person sent or received, newest first (himself, "
                    "staff of his region; N-9)")
def list_wallet_transfers(
    person_id: Id, call: PersonOrStaff,
    role: Annotated[Literal["payer", "beneficiary"], Query(
        description="payer：我转出的；beneficiary：转给我的 · those I sent / those sent to me")] = "payer",
    limit: Limit = 50, offset: Offset = 0,
) -> Page[WalletTransferView]:
    def work(s: Session) -> Page[WalletTransferView]:
        load_person(call, s, person_id)
        found = wallets.transfers_of(s, person_id=person_id, role=role, limit=limit, offset=offset)
        return Page[WalletTransferView](items=[transfer_view(call, s, row) for row in found.items],
                                        total=found.total, limit=found.limit, offset=found.offset)

    return call.read(work)
