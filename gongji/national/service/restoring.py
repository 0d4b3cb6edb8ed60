"""2601 of a cancellation (2208, 2103): the cancelled settlement settled again as it was, or a refusal saying why
(NI-5).

For the HIS a reversed cancellation never happened, so its settlement stands again with the same amounts. That holds
only while nothing has moved since the cancellation: every account still holds what it got back (and each relative
still pays through an active binding, D-3), the person has had no settlement or cancellation since (the fund's
deductible and yearly cap are as the cancellation left them), and an outpatient visit's charge batch is as it was
(the same unsettled lines, the registration still open).

The books keep what happened: the settlement and its cancellation stay, and the 2601 settles again in a row of its
own (``msgid`` the 2601's): the accounts pay their parts again (:func:`gongji.settlement.again.settle_again`), the
pooled fund its share, the year's fund use and deductible count it again, and the lines belong to it. The HIS's
``setl_id`` names it (:func:`live`): 5203, 5204 and a later 2208 of that ``setl_id`` answer for the settlement
standing now. For 3201 the reversed cancellation and the 2601 never happened, so the settlement counts once, as if
it had never been cancelled; ``gongji reconcile`` finds each row with its own entries.
"""

from __future__ import annotations

from sqlalchemy import func, select

from gongji.errors import GongjiError
from gongji.ledger import service as ledger
from gongji.ledger.models import Posting
from gongji.national.models import NiFeeDetail, NiMessage, NiSettlement, NiVisit
from gongji.national.service.message import Message, own_balance
from gongji.national.service.settling import fund_year, record_settlement
from gongji.people.models import Person
from gongji.settlement.again import NotAgain, settle_again
from gongji.settlement.models import Settlement

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
    again = NiSettlement(**{column: getattr(settled, column) for column in COPIED}, kind="settlement",
                         status="settled", msgid=msg.msgid, setl_time=msg.now, setl_on=msg.env.today())
    if cancellation.core_refund_id is not None:
        try:
            again.core_settlement_id = settle_again(session, msg.env, refund_id=cancellation.core_refund_id,
                                                    idempotency_key=f"ni:{msg.msgid}")
        except NotAgain as why:
            raise refuse(why.reason_zh, why.reason_en) from None
        core = session.get(Settlement, again.core_settlement_id)
        again.acct_pay_fen, again.acct_mulaid_fen = core.own_fen + core.mutual_aid_fen, core.mutual_aid_fen
    else:
        again.acct_pay_fen = again.acct_mulaid_fen = 0
    again.psn_cash_fen = again.psn_part_fen - again.acct_pay_fen
    again.balc_fen = own_balance(session, person.id)
    session.add(again)
    session.flush()
    if again.fund_pay_fen:  # from the fund the cancellation gave the share back to
        fund = session.execute(select(Posting.account_id).where(
            Posting.entry_id == cancellation.fund_entry_id, Posting.amount_fen > 0)).scalar_one()
        owed = ledger.system_account(session, kind=ledger.INSTITUTION, key=msg.institution.code,
                                     region_code=msg.institution.region_code, at=msg.now)
        again.fund_entry_id = ledger.post(
            session, kind="pooled_fund", at=msg.now, on=msg.env.today(), ref_type="ni_settlement", ref_id=again.id,
            legs=[ledger.Leg(fund, -again.fund_pay_fen), ledger.Leg(owed, again.fund_pay_fen)])
    year = fund_year(session, person.id, settled.setl_on.year, lock=True)
    year.deductible_used_fen += again.act_pay_dedc_fen
    year.fund_paid_fen += again.fund_pay_fen
    for line in lines:
        line.settlement_id = again.id
    visit.status = "settled" if visit.kind == "outpatient" else "open"
    msg.settlement_id, msg.visit_id = again.id, visit.id
    record_settlement(msg, "ni.settled", again)
    session.flush()


#: What a settlement settled again keeps of the one it puts back (its money columns are set anew where they move).
COPIED = ("institution_id", "visit_id", "person_id", "insutype", "med_type", "clr_type", "clr_optins", "psn_setlway",
          "acct_used_flag", "mdtrt_cert_type", "chrg_bchno", "invono", "medfee_fen", "fulamt_ownpay_fen",
          "overlmt_selfpay_fen", "preselfpay_fen", "inscp_scp_fen", "act_pay_dedc_fen", "hifp_pay_fen",
          "pool_ratio_permille", "fund_cap_left_fen", "fund_pay_fen", "psn_part_fen", "hosp_part_fen")


def live(msg: Message, row: NiSettlement) -> NiSettlement:
    """The settlement standing now for the HIS's ``row``: itself, or, if its cancellation was reversed by a 2601,
    the settlement that 2601 made (and so on, if that one was cancelled and the cancellation reversed too)."""
    session = msg.session
    while row.kind == "settlement" and row.status == "cancelled" and row.cancelled_by_id is not None:
        cancellation = session.get(NiSettlement, row.cancelled_by_id)
        message = session.execute(select(NiMessage).where(
            NiMessage.institution_code == msg.institution.code, NiMessage.msgid == cancellation.msgid,
            NiMessage.status == "reversed")).scalar_one_or_none()
        again = None if message is None or message.reversed_by is None else session.execute(
            select(NiSettlement).where(NiSettlement.institution_id == row.institution_id,
                                       NiSettlement.msgid == message.reversed_by, NiSettlement.kind == "settlement",
                                       NiSettlement.visit_id == row.visit_id)).scalar_one_or_none()
        if again is None:
            return row
        row = again
    return row
