"""Contributions over the API (LC-1..LC-4): staff (or the collecting authority's system, as staff of the whole
instance) post a month's contributions; a person, staff of his region and institutions of it read what the
contributions decide: the status, the last paid month, and the pooled fund's share today with the end of a waiting
period or a reduced share."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import Field
from sqlalchemy.orm import Session

from gongji.api.calls import STAFF, Call, allow
from gongji.api.schemas import Id, Input, Output
from gongji.auth.service import Role
from gongji.contributions import importer, service
from gongji.errors import GongjiError
from gongji.people.endpoints import load_person
from gongji.people.service import enrollment_of
from gongji.terms import Status

router = APIRouter(prefix="/v1", tags=["people"])

Staff = Annotated[Call, Depends(allow(*STAFF))]
Anyone = Annotated[Call, Depends(allow(Role.PERSON, Role.STAFF, Role.ADMIN, Role.INSTITUTION))]


class ContributionIn(Input):
    id_number: str = Field(max_length=18)
    month: str = Field(max_length=7, description="所属月份 · the month it covers, YYYY-MM")
    payer_kind: Literal["employer", "individual"] = "employer"
    employer_fen: int = Field(0, ge=0)
    individual_fen: int = Field(0, ge=0)
    base_fen: int = Field(0, ge=0, description="缴费基数 · the contribution base, in fen")
    paid_on: date = Field(description="缴费日期；晚于所属月份月末即为补缴 · the day paid; after the month's end: a back-payment")


class ContributionsIn(Input):
    contributions: list[ContributionIn] = Field(min_length=1, max_length=1000)


class ContributionsOut(Output):
    inserted: int
    updated: int
    unchanged: int
    status_changes: int


@router.post("/contributions", response_model=ContributionsOut,
             summary="登记缴费记录（经办人员）· record contributions (staff; LC-1)")
def post_contributions(body: ContributionsIn, call: Staff) -> ContributionsOut:
    """All or nothing: a row that fails refuses the request (naming ``contributions[i].field``) and changes
    nothing; the same rows again change nothing."""

    def work(s: Session) -> ContributionsOut:
        rows: list[tuple[int, Any]] = [(i, item.model_dump(mode="json")) for i, item in enumerate(body.contributions)]
        for person_id, _ in service.people_by_id_number(s, [item.id_number for item in body.contributions]).values():
            load_person(call, s, person_id)  # staff of the person's region only
        summary = importer.Summary()
        importer.load_chunk(s, call.env, rows, source=f"api:{call.who.id}"[:80], actor=call.who.actor(),
                            summary=summary)
        if summary.rejections:
            first = min(summary.rejections, key=lambda r: r.row)
            error = first.error
            if error is not None and "field" in error.params:
                raise GongjiError(error.code, **{**error.params, "field": f"contributions[{first.row}].{first.field}"})
            raise error or GongjiError("INVALID_REQUEST", summary_zh=first.zh, summary_en=first.en)
        return ContributionsOut(inserted=summary.inserted, updated=summary.updated, unchanged=summary.unchanged,
                                status_changes=summary.status_changes)

    return call.write(work)


class MonthView(Output):
    month: str
    payer_kind: str
    employer_fen: int
    individual_fen: int
    base_fen: int
    paid_on: date
    backpayment: bool


class ContributionsView(Output):
    person_id: int
    status: Status
    status_since: date
    status_cause: str = Field(description="registered 登记 · staff 经办人员 · contributions 缴费记录")
    recorded_status: Status
    status_reason: str | None
    last_paid_month: str | None
    pooled_share_permille: int = Field(description="今日统筹基金支付比例（千分比）· the pooled fund's share today, in permille")
    pooled_share_reason: str = Field(description="normal, suspended, terminated, waiting, reduced, unknown")
    waiting_until: date | None = Field(description="待遇等待期最后一天 · the last day of the waiting period (LC-4)")
    reduced_until: date | None = Field(description="降低支付比例的最后一天 · the last day of the reduced share")
    months: list[MonthView]


@router.get("/people/{person_id}/contributions", response_model=ContributionsView,
            summary="缴费记录与待遇状态 · contributions and what they decide (LC-1..LC-4)")
def get_contributions(person_id: Id, call: Anyone) -> ContributionsView:
    def work(s: Session) -> ContributionsView:
        person = load_person(call, s, person_id, institutions=True)
        e = enrollment_of(person)
        share = service.pooled_share(s, call.env, e)
        months = service.months_of(s, person.id) if call.who.role is not Role.INSTITUTION else []
        return ContributionsView(
            person_id=person.id, status=e.status, status_since=e.status_since, status_cause=e.status_cause,
            recorded_status=e.recorded_status, status_reason=e.status_reason, last_paid_month=e.last_paid_month,
            pooled_share_permille=share.permille, pooled_share_reason=share.reason, waiting_until=share.waiting_until,
            reduced_until=share.last_day if share.reason == "reduced" else None,
            months=[MonthView(month=m.month, payer_kind=m.payer_kind, employer_fen=m.employer_fen,
                              individual_fen=m.individual_fen, base_fen=m.base_fen, paid_on=m.paid_on,
                              backpayment=service.rules.Paid(m.month, m.paid_on).backpayment) for m in months])

    return call.read(work)
