"""2601 of a cancellation (2208, 2103): the cancelled settlement put back as it was, or a refusal saying why (NI-5).

For the HIS a reversed cancellation never happened, so its settlement stands again, with the same amounts and
``setl_id``. That holds only while nothing has moved since the cancellation: every account still holds what it got
back (and each relative still pays through an active binding, D-3), the person has had no settlement or
cancellation since (the fund's deductible and yearly cap are as the cancellation left them), and an outpatient
visit's charge batch is as it was (the same unsettled lines, the registration still open). Then the accounts pay
their parts again (:func:`gongji.settlement.again.settle_again`), the pooled fund its share, the year's fund use
and deductible are taken again and the lines belong to the settlement again, once: the cancelling message is then
reversed, and a repeat of the 2601 changes nothing. For 3201 the cancellation is void and the settlement counts as
if it had never been cancelled.
"""

from __future__ import annotations

from sqlalchemy import func, select

from gongji.errors import GongjiError
from gongji.ledger import service as ledger
from gongji.ledger.models import Posting
from gongji.national.models import NiFeeDetail, NiMessage, NiSettlement, NiVisit
from gongji.national.service.message import Message
from gongji.national.service.settling import fund_year, record_settlement
from gongji.people.models import Person
from gongji.settlement.again import NotAgain, settle_again

AGAIN = {"2208": "2206、2207", "2103": "2101、2102"}


def restore(msg: Message, message: NiMessage, person: Person) -> None:
    """Put back the settlement the cancelling ``message`` cancelled, or raise NI_NOT_REVERSIBLE."""
    session = msg.session
    cancellation = session.get(NiSettlement, message.settlement_id)
    settled = session.get(NiSettlement, cancellation.cancels_id)

    def refuse(reason_zh: str, reason_en: str) -> GongjiError:
        again = AGAIN[message.infno]
        return GongjiError("NI_NOT_REVERSIBLE", omsgid=message.msgid, oinfno=message.infno,
                           reason_zh=f"{reason_zh}；如需恢复结算，请重新办理（{again}）",
                           reason_en=f"{reason_en}; to settle again, send {again.replace('、', ' and ')}")

    if settled.status != "cancelled" or settled.cancelled_by_id != cancellation.id:
        raise refuse("该结算已不处于被此报文撤销的状态", "the settlement is no longer as this message cancelled it")
    later = session.execute(select(func.count()).select_from(NiSettlement).where(
        NiSettlement.person_id == person.id, NiSettlement.id > cancellation.id)).scalar_one()
    if later:
        raise refuse("撤销后该参保人又有结算或撤销，原结算的基金分担已不再成立",
                     "the person has had a settlement or cancellation since, so the fund's share of the "
                     "settlement no longer holds")
    visit = session.get(NiVisit, settled.visit_id)
    lines: list[NiFeeDetail] = []
    if visit.kind == "outpatient":
        lines = list(session.execute(select(NiFeeDetail).where(
            NiFeeDetail.visit_id == visit.id, NiFeeDetail.chrg_bchno == settled.chrg_bchno,
            NiFeeDetail.settlement_id.is_(None)).order_by(NiFeeDetail.id)).scalars())
        if visit.status == "cancelled" or not lines or sum(d.amount_fen for d in lines) != settled.medfee_fen:
            raise refuse("撤销后该就诊的挂号或收费批次已变更", "the visit's registration or charge batch has changed "
                         "since the cancellation")
    if cancellation.core_refund_id is not None:
        try:
            settled.core_settlement_id = settle_again(session, msg.env, refund_id=cancellation.core_refund_id,
                                                      idempotency_key=f"ni:{msg.msgid}")
        except NotAgain as why:
            raise refuse(why.reason_zh, why.reason_en) from None
    if settled.fund_pay_fen:  # from the fund the cancellation gave the share back to
        fund = session.execute(select(Posting.account_id).where(
            Posting.entry_id == cancellation.fund_entry_id, Posting.amount_fen > 0)).scalar_one()
        owed = ledger.system_account(session, kind=ledger.INSTITUTION, key=msg.institution.code,
                                     region_code=msg.institution.region_code, at=msg.now)
        settled.fund_entry_id = ledger.post(
            session, kind="pooled_fund", at=msg.now, on=msg.env.today(), ref_type="ni_settlement", ref_id=settled.id,
            legs=[ledger.Leg(fund, -settled.fund_pay_fen), ledger.Leg(owed, settled.fund_pay_fen)])
    year = fund_year(session, person.id, settled.setl_on.year, lock=True)
    year.deductible_used_fen += settled.act_pay_dedc_fen
    year.fund_paid_fen += settled.fund_pay_fen
    settled.status, settled.cancelled_by_id = "settled", None
    for line in lines:
        line.settlement_id = settled.id
    visit.status = "settled" if visit.kind == "outpatient" else "open"
    msg.settlement_id, msg.visit_id = settled.id, visit.id
    record_settlement(msg, "ni.settled", settled)
    session.flush()
