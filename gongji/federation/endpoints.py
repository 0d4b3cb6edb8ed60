"""Messages between instances over HTTP: the one door a province's hub (or the hub's provinces) knocks on.

``POST /v1/federation/messages`` takes one signed message (:mod:`gongji.federation.wire`), stores it and, in a
province, applies it, all in one transaction; its 200 is the acknowledgement the sender waits for. Administrators see
how the outbox stands at ``GET /v1/federation/status``.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import Field
from sqlalchemy.orm import Session

from gongji.api.calls import Call, allow
from gongji.api.schemas import Output
from gongji.auth.service import Role
from gongji.errors import GongjiError
from gongji.federation import service, wire

router = APIRouter(prefix="/v1/federation", tags=["federation"])


class Acknowledgement(Output):
    message_id: str
    status: str = Field(description="stored：已保存并处理 · stored and applied; duplicate：以前已收到，不再处理 · "
                                    "received before, not applied again")
    outcome: str = Field(description="处理结果 · what applying it did")


@router.post("/messages", response_model=Acknowledgement,
             summary="接收跨省消息 · receive one message from the hub or a province (signed; applied once)")
async def receive_message(request: Request) -> Acknowledgement:
    db, env = request.app.state.db, request.app.state.env
    body = await request.body()
    sender = request.headers.get(wire.SENDER, "")
    if env.federation is None:  # no sender is known: refused as any stranger is
        raise GongjiError("FEDERATION_SIGNATURE_INVALID", reason_zh="本平台未配置跨省互联（GONGJI_FEDERATION），不认识任何发送方",
                          reason_en="this instance has no federation settings (GONGJI_FEDERATION), so it knows no sender")
    wire.check_signature(env.federation.secret_of(sender), sender=sender,
                         timestamp=request.headers.get(wire.TIMESTAMP, ""),
                         signature=request.headers.get(wire.SIGNATURE, ""), body=body)
    try:
        data = json.loads(body)
    except ValueError:
        raise GongjiError("FEDERATION_MESSAGE_INVALID", reason="the body is not JSON") from None
    envelope = wire.parse_envelope(data)
    apply = request.app.state.federation_apply  # the wallet's, set by gongji.api.app: federation imports no wallet

    def work(s: Session) -> Acknowledgement:
        receipt = service.receive(s, env, envelope, sender=sender, apply=apply)
        return Acknowledgement(message_id=receipt.message_id, status=receipt.status, outcome=receipt.outcome)

    return await run_in_threadpool(db.run, work)


class FederationStatus(Output):
    role: str = Field(description="province / hub")
    name: str = Field(description="本实例：省份代码或 hub · this instance: its province, or hub")
    waiting: int = Field(description="待确认的发出消息 · messages sent and not yet acknowledged")
    oldest_waiting_at: datetime | None
    most_attempts: int
    acknowledged: int
    received: int


@router.get("/status", response_model=FederationStatus,
            summary="跨省消息状况 · the outbox and inbox of this instance (administrators)")
def federation_status(call: Annotated[Call, Depends(allow(Role.ADMIN))]) -> FederationStatus:
    config = call.env.federation
    if config is None:
        raise GongjiError("FEDERATION_NOT_CONFIGURED")
    found = call.read(service.status)
    return FederationStatus(role=config.role, name=config.name, waiting=found.waiting,
                            oldest_waiting_at=found.oldest_waiting_at, most_attempts=found.most_attempts,
                            acknowledged=found.acknowledged, received=found.received)
