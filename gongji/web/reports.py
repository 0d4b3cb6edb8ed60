"""What the counter console reads beyond the domain services: the office's day report (N-8) and a
settlement's refunds with where each went back (HN-5).

The day report is a read-only service over the bindings, settlements, refunds and events tables, for the
counter console's ``/counter/report``. The day is a China Standard Time date; the region is the staff member's
(``region_prefix``, '' for the whole instance), taken as the region where the payer (bindings) or the
patient (settlements, refunds) is insured.

* **Bindings made**: created on the day, by the channel they were made through (portal, app, counter ...).
* **Bindings ended**: ended on the day (D-3: an expired binding ends on the day after its end date), by the
  channel of whoever ended it (``system`` for the expiry job).
* **Settlements**: settled on the day, by channel: ``institution`` for a hospital's or pharmacy's own system,
  ``hospital_office`` for a one-off payment on a paper attestation recorded by staff (SZ-5).
* **Refunds**: made on the day, by the channel of whoever made them (an institution, or staff at a counter),
  with how much went back to personal accounts and how much in cash (HN-5).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from gongji.authorizations.models import Binding
from gongji.clock import CST
from gongji.events.models import Event
from gongji.settlement import service as settlements
from gongji.settlement.models import Refund, Settlement

#: The event a staff member's paper attestation adds to a settlement (SZ-5), with the staff member as actor.
ATTESTED = "settlement.attested"


@dataclass(frozen=True)
class ChannelCount:
    channel: str
    count: int


@dataclass(frozen=True)
class SettlementTotals:
    channel: str
    count: int
    amount_fen: int
    own_fen: int
    mutual_aid_fen: int
    cash_fen: int


@dataclass(frozen=True)
class RefundTotals:
    channel: str
    count: int
    amount_fen: int
    account_fen: int  # back to personal accounts (the patient's own and the relatives' that paid)
    cash_fen: int


@dataclass(frozen=True)
class DayReport:
    day: date
    region_prefix: str
    bindings_made: list[ChannelCount]
    bindings_ended: list[ChannelCount]
    settlements: list[SettlementTotals]
    refunds: list[RefundTotals]

    @property
    def settlements_total(self) -> SettlementTotals:
        rows = self.settlements
        return SettlementTotals("", sum(r.count for r in rows), sum(r.amount_fen for r in rows),
                                sum(r.own_fen for r in rows), sum(r.mutual_aid_fen for r in rows),
                                sum(r.cash_fen for r in rows))

    @property
    def refunds_total(self) -> RefundTotals:
        rows = self.refunds
        return RefundTotals("", sum(r.count for r in rows), sum(r.amount_fen for r in rows),
                            sum(r.account_fen for r in rows), sum(r.cash_fen for r in rows))


def _in_region(column, region_prefix: str):
    return column.startswith(region_prefix, autoescape=True)


def _ordered(counts: dict[str, list[int]]) -> list[tuple[str, list[int]]]:
    return sorted(counts.items(), key=lambda item: (-item[1][0], item[0]))


def day_report(session: Session, *, day: date, region_prefix: str = "") -> DayReport:
    """What happened on ``day`` in the region: see the module's description."""
    start = datetime.combine(day, time(), tzinfo=CST)
    end = start + timedelta(days=1)

    made = session.execute(
        select(Binding.channel, func.count())
        .where(Binding.created_at >= start, Binding.created_at < end, _in_region(Binding.region_code, region_prefix))
        .group_by(Binding.channel)
    ).all()

    ended_event = aliased(Event)
    ended = session.execute(
        select(ended_event.channel, func.count())
        .select_from(Binding)
        .outerjoin(ended_event, and_(ended_event.subject_type == "binding", ended_event.subject_id == Binding.id,
                                     ended_event.kind == "binding.ended"))
        .where(Binding.ended_on == day, _in_region(Binding.region_code, region_prefix))
        .group_by(ended_event.channel)
    ).all()

    settled, attested = aliased(Event), aliased(Event)
    channel = func.coalesce(attested.channel, settled.channel)
    settlements = session.execute(
        select(channel, func.count(), func.sum(Settlement.amount_fen), func.sum(Settlement.own_fen),
               func.sum(Settlement.mutual_aid_fen), func.sum(Settlement.cash_fen))
        .select_from(Settlement)
        .outerjoin(settled, and_(settled.subject_type == "settlement", settled.subject_id == Settlement.id,
                                 settled.kind == "settlement.settled"))
        .outerjoin(attested, and_(attested.subject_type == "settlement", attested.subject_id == Settlement.id,
                                  attested.kind == ATTESTED))
        .where(Settlement.settled_on == day, _in_region(Settlement.region_code, region_prefix))
        .group_by(channel)
    ).all()

    refunds = session.execute(
        select(Refund.id, Refund.settlement_id, Refund.amount_fen, Refund.cash_fen)
        .join(Settlement, Settlement.id == Refund.settlement_id)
        .where(Refund.on == day, _in_region(Settlement.region_code, region_prefix))
    ).all()
    refund_channels: dict[int, str] = {}
    if refunds:
        for event_channel, data in session.execute(
            select(Event.channel, Event.data).where(
                Event.kind == "settlement.refunded", Event.subject_type == "settlement",
                Event.subject_id.in_({r.settlement_id for r in refunds}))
        ):
            if isinstance(data, dict) and isinstance(data.get("refund_id"), int):
                refund_channels[data["refund_id"]] = event_channel
    by_channel: dict[str, list[int]] = {}
    for r in refunds:
        totals = by_channel.setdefault(refund_channels.get(r.id, "institution"), [0, 0, 0])
        totals[0] += 1
        totals[1] += r.amount_fen
        totals[2] += r.cash_fen

    merged_ended: dict[str, int] = {}
    for event_channel, count in ended:
        key = event_channel or "system"
        merged_ended[key] = merged_ended.get(key, 0) + count

    return DayReport(
        day=day, region_prefix=region_prefix,
        bindings_made=[ChannelCount(c, n) for c, n in sorted(made, key=lambda row: (-row[1], row[0]))],
        bindings_ended=[ChannelCount(c, n) for c, n in sorted(merged_ended.items(), key=lambda x: (-x[1], x[0]))],
        settlements=[SettlementTotals(c or "institution", n, int(a or 0), int(o or 0), int(m or 0), int(k or 0))
                     for c, n, a, o, m, k in sorted(settlements, key=lambda row: (-row[1], row[0] or ""))],
        refunds=[RefundTotals(c, n, amount, amount - cash, cash) for c, (n, amount, cash) in _ordered(by_channel)],
    )


# -- a settlement's refunds (HN-5) -----------------------------------------------------------------


@dataclass(frozen=True)
class RefundShown:
    """One refund of a settlement and where its money went: each account that had paid, and cash."""

    refund_id: int
    at: datetime
    reason: str | None
    amount_fen: int
    cash_fen: int
    lines: tuple[settlements.RefundLine, ...]


def settlement_refunds(session: Session, *, settlement_id: int) -> list[RefundShown]:
    """The refunds of a settlement, oldest first, each with the accounts its money went back to (HN-5)."""
    shown = []
    for row in session.execute(
        select(Refund).where(Refund.settlement_id == settlement_id).order_by(Refund.id)
    ).scalars():
        result = settlements.refund_result_of(session, row.id)
        shown.append(RefundShown(refund_id=row.id, at=row.at, reason=row.reason, amount_fen=row.amount_fen,
                                 cash_fen=row.cash_fen, lines=result.lines))
    return shown
