"""Changing a binding that stands, over HTTP (PP-1, WL-1, D-3, N-7): the payer's monthly limit, the payer order, a
pause and its resumption, a corrected relationship. The payer and the relative act for themselves; staff of the
binding's region act for them at a counter (N-8). Each answer is the binding as its reader may see it: the limit's
amount only to the payer and staff."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import Field
from sqlalchemy.orm import Session

from gongji.api.calls import IdempotencyKey
from gongji.api.schemas import Id, Input
from gongji.authorizations import changes
from gongji.authorizations.endpoints import BindingView, PersonOrStaff, binding_for, binding_view
from gongji.terms import Channel, Relationship

router = APIRouter(prefix="/v1")


class MonthlyLimit(Input):
    monthly_limit_fen: Annotated[int | None, Field(ge=0)] = Field(
        description="每自然月最多为该亲属支付（分），null 为取消限额（PP-1）· at most this many fen a calendar month "
                    "for this relative; null clears the limit")
    channel: Channel | None = None


@router.put("/bindings/{binding_id}/monthly-limit", response_model=BindingView, tags=["bindings"],
            summary="设定每月限额 · set or clear the payer's monthly limit for this relative (PP-1; payer or staff)")
def set_monthly_limit(binding_id: Id, body: MonthlyLimit, call: PersonOrStaff,
                      idempotency_key: IdempotencyKey = None):
    """Settlement then pays from the payer's account at most the limit less what it paid for this relative this
    calendar month (China time), refunds given back; the rest falls to the next payer or to cash."""
    def work(s: Session) -> BindingView:
        if binding_for(call, s, binding_id).beneficiary_id == call.who.person_id:
            raise call.forbid("设定共济人为您支付的每月限额", "set your payer's monthly limit")
        binding = changes.set_monthly_limit(s, call.env, binding_id=binding_id,
                                            monthly_limit_fen=body.monthly_limit_fen,
                                            actor=call.who.actor(call.channel(body.channel)))
        return binding_view(call, s, binding)

    return call.once(work, body=body, required=False)


class Priority(Input):
    priority: Annotated[int | None, Field(ge=1, le=99)] = Field(
        description="支付顺序，1最先；null 为不设顺位（WL-1, D-2）· place in the payer order, 1 first; null: none")
    channel: Channel | None = None


@router.put("/bindings/{binding_id}/priority", response_model=BindingView, tags=["bindings"],
            summary="调整支付顺序 · change this payer's place in the order (WL-1; either side or staff)")
def set_priority(binding_id: Id, body: Priority, call: PersonOrStaff, idempotency_key: IdempotencyKey = None):
    def work(s: Session) -> BindingView:
        binding_for(call, s, binding_id)
        binding = changes.set_priority(s, call.env, binding_id=binding_id, priority=body.priority,
                                       actor=call.who.actor(call.channel(body.channel)))
        return binding_view(call, s, binding)

    return call.once(work, body=body, required=False)


class PauseOrResume(Input):
    note: Annotated[str | None, Field(max_length=200)] = Field(None, description="原因 · why")
    channel: Channel | None = None


@router.post("/bindings/{binding_id}/pause", response_model=BindingView, tags=["bindings"],
             summary="暂停共济绑定 · pause a binding: it pays nothing until resumed (D-3; either side or staff)")
def pause(binding_id: Id, body: PauseOrResume, call: PersonOrStaff, idempotency_key: IdempotencyKey = None):
    def work(s: Session) -> BindingView:
        binding_for(call, s, binding_id)
        binding = changes.pause(s, call.env, binding_id=binding_id, note=body.note,
                                actor=call.who.actor(call.channel(body.channel)))
        return binding_view(call, s, binding)

    return call.once(work, body=body, required=False)


@router.post("/bindings/{binding_id}/resume", response_model=BindingView, tags=["bindings"],
             summary="恢复共济绑定 · resume a paused binding (either side or staff)")
def resume(binding_id: Id, body: PauseOrResume, call: PersonOrStaff, idempotency_key: IdempotencyKey = None):
    def work(s: Session) -> BindingView:
        binding_for(call, s, binding_id)
        binding = changes.resume(s, call.env, binding_id=binding_id, note=body.note,
                                 actor=call.who.actor(call.channel(body.channel)))
        return binding_view(call, s, binding)

    return call.once(work, body=body, required=False)


class RelationshipCorrection(Input):
    relationship: Relationship
    agreement_version: Annotated[str | None, Field(max_length=40)] = Field(
        None, description="重新同意的授权协议版本（N-7）· the agreement version the payer accepts again")
    channel: Channel | None = None


@router.put("/bindings/{binding_id}/relationship", response_model=BindingView, tags=["bindings"],
            summary="更正绑定关系 · correct the relationship, with a new consent (N-7; the payer, or staff at a "
                    "counter)")
def correct_relationship(binding_id: Id, body: RelationshipCorrection, call: PersonOrStaff,
                         idempotency_key: IdempotencyKey = None):
    def work(s: Session) -> BindingView:
        if binding_for(call, s, binding_id).beneficiary_id == call.who.person_id:
            raise call.forbid("更正共济人的授权关系", "correct the payer's authorization")
        binding = changes.correct_relationship(s, call.env, binding_id=binding_id, relationship=body.relationship,
                                               agreement_version=body.agreement_version,
                                               actor=call.who.actor(call.channel(body.channel)))
        return binding_view(call, s, binding)

    return call.once(work, body=body, required=False)
