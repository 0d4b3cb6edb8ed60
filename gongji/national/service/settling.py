"""Settling: 2206 / 2207 outpatient, 2101 / 2102 pharmacy (NI-3, NI-4)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gongji.actors import Actor
from gongji.contributions import service as contributions
from gongji.db.dialect import for_update
from gongji.errors import GongjiError
from gongji.events.service import record as record_event
from gongji.ledger import service as ledger
from gongji.national import codes, pooling, tables, wire
from gongji.national.models import NiFeeDetail, NiFundYear, NiSettlement, NiVisit
from gongji.national.service.answers import line_split, setldetail, setlinfo
from gongji.national.service.message import MAX_LINES, Message, check_insutype, own_balance
from gongji.national.service.visits import fee_details, inpatient, line_amount, open_visit
from gongji.people import service as people
from gongji.people.models import Person
from gongji.settlement import service as settlement
from gongji.terms import Use


@dataclass
class Bill:
    person: Person
    visit: NiVisit | None
    cert: settlement.Certificate
    use: Use
    medfee_fen: int
    med_type: str
    insutype: str
    cert_type: str
    acct_used_flag: str
    clr_type: str
    pooled: bool
    psn_setlway: str | None = None
    chrg_bchno: str | None = None
    invono: str | None = None
    begntime: datetime | None = None
    dise_codg: str | None = None
    dise_name: str | None = None
    details: list[NiFeeDetail] = field(default_factory=list)


def fund_year(session: Session, person_id: int, year: int, *, lock: bool) -> NiFundYear:
    query = select(NiFundYear).where(NiFundYear.person_id == person_id, NiFundYear.year == year)
    if lock:
        query = for_update(session, query)
    row = session.execute(query).scalar_one_or_none()
    if row is None:
        row = NiFundYear(person_id=person_id, year=year, deductible_used_fen=0, fund_paid_fen=0)
        if lock:
            session.add(row)
            session.flush()  # two first settlements of a year race on the key; the loser is run again
    return row


def price(msg: Message, bill: Bill, *, commit: bool) -> NiSettlement:
    """Split a bill between the pooled fund, the personal accounts and cash; settle it if ``commit``."""
    session, env, person = msg.session, msg.env, bill.person
    enrollment = people.enrollment_of(person)
    rule = env.policy(enrollment.region_code).outpatient_pooling(enrollment.scheme) if bill.pooled else None
    today = env.today()
    year = fund_year(session, person.id, today.year, lock=commit)
    entitled = contributions.pooled_share(session, env, enrollment) if rule else None  # LC-2, LC-4
    share = pooling.share(rule, in_scope_fen=bill.medfee_fen, deductible_used_fen=year.deductible_used_fen,
                          fund_paid_fen=year.fund_paid_fen,
                          share_permille=entitled.permille if entitled else 1000)
    person_part = bill.medfee_fen - share.fund_fen
    own = mutual = 0
    core_id = None
    if bill.acct_used_flag == "1" and person_part > 0:
        common = {"institution_code": msg.institution.code, "patient_id_number": person.id_number,
                  "amount_fen": person_part, "use": bill.use.value, "cert": bill.cert}
        if commit:
            result = settlement.settle(session, env, idempotency_key=f"ni:{msg.msgid}", **common)
            core_id = result.settlement_id
        else:
            result = settlement.quote(session, env, **common)
        own, mutual = result.own_fen, result.mutual_aid_fen
    else:
        settlement.admit(session, env, institution_code=msg.institution.code, patient_id_number=person.id_number,
                         use=bill.use.value, cert=bill.cert)
    balance = own_balance(session, person.id) - (0 if commit else own)
    row = NiSettlement(
        institution_id=msg.institution.id, visit_id=bill.visit.id if bill.visit else None, person_id=person.id,
        kind="settlement", status="settled", msgid=msg.msgid, insutype=bill.insutype, med_type=bill.med_type,
        clr_type=bill.clr_type, clr_optins=msg.institution.region_code, psn_setlway=bill.psn_setlway,
        acct_used_flag=bill.acct_used_flag, mdtrt_cert_type=bill.cert_type, chrg_bchno=bill.chrg_bchno,
        invono=bill.invono, medfee_fen=bill.medfee_fen, fulamt_ownpay_fen=0, overlmt_selfpay_fen=0,
        preselfpay_fen=0, inscp_scp_fen=bill.medfee_fen, act_pay_dedc_fen=share.deductible_applied_fen,
        hifp_pay_fen=share.fund_fen, pool_ratio_permille=share.ratio_permille, fund_cap_left_fen=share.cap_left_fen,
        fund_pay_fen=share.fund_fen, psn_part_fen=person_part, acct_pay_fen=own + mutual, acct_mulaid_fen=mutual,
        psn_cash_fen=person_part - own - mutual, hosp_part_fen=0, balc_fen=balance, core_settlement_id=core_id,
        setl_time=msg.now, setl_on=today,
    )
    if not commit:
        return row
    session.add(row)
    session.flush()
    if share.fund_fen:
        row.fund_entry_id = post_fund(session, msg, row, share.fund_fen, enrollment.region_code, kind="pooled_fund")
    year.deductible_used_fen += share.deductible_applied_fen
    year.fund_paid_fen += share.fund_fen
    for detail in bill.details:
        detail.settlement_id = row.id
    if bill.visit is not None and bill.visit.kind == "outpatient":
        bill.visit.status = "settled"  # NI-3: its outpatient number is free for a later visit; mdtrt_id keys it
    msg.settlement_id = row.id
    record_settlement(msg, "ni.settled", row)
    session.flush()
    return row


def record_settlement(msg: Message, kind: str, row: NiSettlement) -> None:
    """The event of a settlement or cancellation of the interface, in its transaction: the institution did it
    (N-8), and it names the pooled fund's entry and the core settlement or refund that moved the accounts."""
    record_event(msg.session, msg.env, kind=kind, actor=Actor.institution(msg.institution.code),
                 subject_type="ni_settlement", subject_id=row.id, concerns=[row.person_id],
                 data={"msgid": msg.msgid, "infno": msg.infno, "medfee_fen": row.medfee_fen,
                       "fund_fen": row.fund_pay_fen, "fund_entry_id": row.fund_entry_id,
                       "settlement_id": row.core_settlement_id, "refund_id": row.core_refund_id,
                       "cancels": row.cancels_id})


def post_fund(session: Session, msg: Message, row: NiSettlement, fund_fen: int, region_code: str, *,
               kind: str) -> int:
    """The pooled fund's share, as one balanced entry: from the region's fund to what the institution is owed."""
    fund = ledger.system_account(session, kind=ledger.POOLED_FUND, key=region_code, region_code=region_code,
                                 at=msg.now)
    owed = ledger.system_account(session, kind=ledger.INSTITUTION, key=msg.institution.code,
                                 region_code=msg.institution.region_code, at=msg.now)
    return ledger.post(session, kind=kind, at=msg.now, on=msg.env.today(), ref_type="ni_settlement", ref_id=row.id,
                       legs=[ledger.Leg(fund, -fund_fen), ledger.Leg(owed, fund_fen)])


def _outpatient_bill(msg: Message, data: dict[str, Any], *, commit: bool) -> Bill:
    node = wire.read(data.get("data"), tables.SETTLEMENT if commit else tables.PRE_SETTLEMENT, node_name="data",
                     node_zh="结算信息")
    if codes.is_inpatient(node["med_type"]):
        raise inpatient(node["med_type"])
    person = msg.person(node["psn_no"])
    check_insutype(person, node["insutype"])
    cert = msg.certificate(person, node["mdtrt_cert_type"], node["mdtrt_cert_no"])
    visit = msg.visit(node["mdtrt_id"], person)
    open_visit(msg, visit, "结算", "settle it")
    if visit.kind != "outpatient":
        raise GongjiError("NI_VISIT_NOT_FOUND", mdtrt_id=node["mdtrt_id"], psn_no=node["psn_no"])
    details = list(msg.session.execute(select(NiFeeDetail).where(
        NiFeeDetail.visit_id == visit.id, NiFeeDetail.chrg_bchno == node["chrg_bchno"],
        NiFeeDetail.settlement_id.is_(None)).order_by(NiFeeDetail.id)).scalars())
    if not details:
        raise GongjiError("NI_NO_FEE_DETAILS", mdtrt_id=str(visit.id), chrg_bchno=node["chrg_bchno"])
    total = sum(d.amount_fen for d in details)
    if node["medfee_sumamt"] != total:
        raise GongjiError("NI_TOTALS_DISAGREE", field="medfee_sumamt", name_zh="医疗费总额",
                          given=wire.yuan(node["medfee_sumamt"]), basis_zh=f"收费批次 {node['chrg_bchno']} 的费用明细合计",
                          basis_en=f"the sum of the fee details of charge batch {node['chrg_bchno']}",
                          expected=wire.yuan(total))
    if commit:
        _check_scope(node)
    return Bill(person=person, visit=visit, cert=cert, use=Use.OUTPATIENT, medfee_fen=total,
                 med_type=node["med_type"], insutype=node["insutype"], cert_type=node["mdtrt_cert_type"],
                 acct_used_flag=node["acct_used_flag"], clr_type=codes.CLEARING_OUTPATIENT, pooled=True,
                 psn_setlway=node["psn_setlway"], chrg_bchno=node["chrg_bchno"], invono=node.get("invono"),
                 details=details)


def _check_scope(node: dict[str, Any]) -> None:
    """2207's self-paid amounts add up to the bill and are the ones 2206 gave (every line in scope)."""
    medfee = node["medfee_sumamt"]
    parts = node["fulamt_ownpay_amt"] + node["overlmt_selfpay"] + node["preselfpay_amt"] + node["inscp_scp_amt"]
    if parts != medfee:
        raise GongjiError("NI_TOTALS_DISAGREE", field="inscp_scp_amt", name_zh="符合政策范围金额",
                          given=wire.yuan(node["inscp_scp_amt"]),
                          basis_zh="医疗费总额减去全自费、超限价、先行自付金额",
                          basis_en="the bill less the fully self-paid, over-limit and first self-paid amounts",
                          expected=wire.yuan(medfee - parts + node["inscp_scp_amt"]))
    expected = {"fulamt_ownpay_amt": ("全自费金额", 0), "overlmt_selfpay": ("超限价金额", 0),
                "preselfpay_amt": ("先行自付金额", 0), "inscp_scp_amt": ("符合政策范围金额", medfee)}
    for key, (zh, value) in expected.items():
        if node[key] != value:
            raise GongjiError("NI_TOTALS_DISAGREE", field=key, name_zh=zh, given=wire.yuan(node[key]),
                              basis_zh="预结算（2206）给出的", basis_en="the pre-settlement's (2206) figure",
                              expected=wire.yuan(value))


def pre_settle(msg: Message, data: dict[str, Any]) -> dict[str, Any]:
    """2206: what 2207 would do now. Writes nothing."""
    bill = _outpatient_bill(msg, data, commit=False)
    row = price(msg, bill, commit=False)
    return {"setlinfo": setlinfo(msg, row, bill.person, settled=False), "setldetail": setldetail(row)}


def settle(msg: Message, data: dict[str, Any]) -> dict[str, Any]:
    """2207 (NI-3, NI-4): settle the batch; the personal part through the core, own account first."""
    bill = _outpatient_bill(msg, data, commit=True)
    row = price(msg, bill, commit=True)
    return {"setlinfo": setlinfo(msg, row, bill.person, settled=True), "setldetail": setldetail(row)}


def _drug_bill(msg: Message, data: dict[str, Any]) -> tuple[Bill, list[dict[str, Any]]]:
    header = data.get("druginfo", data.get("data"))
    node = wire.read(header, tables.DRUG_PURCHASE, node_name="druginfo", node_zh="购药信息")
    lines = wire.rows(data.get("drugdetail"), node_name="drugdetail", node_zh="药品明细", limit=MAX_LINES)
    rows = [wire.read(line, tables.DRUG_DETAIL, node_name="drugdetail", node_zh="药品明细") for line in lines]
    if node["med_type"] != codes.PHARMACY_MED_TYPE:
        raise GongjiError("NI_FIELD_INVALID", field="med_type", name_zh="医疗类别", value=node["med_type"],
                          reason_zh="定点药店购药的医疗类别为 41", reason_en="a pharmacy purchase has the medical type 41")
    person = msg.person(node["psn_no"])
    check_insutype(person, node["insutype"])
    cert = msg.certificate(person, node["mdtrt_cert_type"], node["mdtrt_cert_no"])
    seen: set[str] = set()
    for row in rows:
        line_amount(row)
        if row["feedetl_sn"] in seen:
            raise GongjiError("NI_FEE_DETAIL_DUPLICATE", feedetl_sn=row["feedetl_sn"], mdtrt_id="-")
        seen.add(row["feedetl_sn"])
    total = sum(row["det_item_fee_sumamt"] for row in rows)
    if node["medfee_sumamt"] != total:
        raise GongjiError("NI_TOTALS_DISAGREE", field="medfee_sumamt", name_zh="医疗费总额",
                          given=wire.yuan(node["medfee_sumamt"]), basis_zh="药品明细合计",
                          basis_en="the sum of the drug lines", expected=wire.yuan(total))
    bill = Bill(person=person, visit=None, cert=cert, use=Use.PHARMACY, medfee_fen=total, med_type=node["med_type"],
                 insutype=node["insutype"], cert_type=node["mdtrt_cert_type"], acct_used_flag=node["acct_used_flag"],
                 clr_type=codes.CLEARING_PHARMACY, pooled=False, invono=node["invono"], begntime=node["begntime"],
                 dise_codg=node["dise_codg"], dise_name=node["dise_name"])
    return bill, rows


def pharmacy_pre_settle(msg: Message, data: dict[str, Any]) -> dict[str, Any]:
    """2101: what 2102 would do now. Writes nothing."""
    bill, rows = _drug_bill(msg, data)
    row = price(msg, bill, commit=False)
    return {"setlinfo": setlinfo(msg, row, bill.person, settled=False, hospital=False),
            "setldetail": setldetail(row), "detlcutinfo": [line_split(r, limited=False) for r in rows]}


def pharmacy_settle(msg: Message, data: dict[str, Any]) -> dict[str, Any]:
    """2102: a pharmacy purchase in one message: the visit, its drug lines and the settlement."""
    bill, rows = _drug_bill(msg, data)
    person = bill.person
    visit = NiVisit(institution_id=msg.institution.id, person_id=person.id, kind="pharmacy", ipt_otp_no=None,
                    insutype=bill.insutype, med_type=bill.med_type, mdtrt_cert_type=bill.cert_type,
                    mdtrt_cert_no=bill.cert.number, begntime=bill.begntime, dise_codg=bill.dise_codg,
                    dise_name=bill.dise_name, status="open", msgid=msg.msgid, created_at=msg.now)
    msg.session.add(visit)
    msg.session.flush()
    msg.visit_id = visit.id
    bill.visit = visit
    bill.details = fee_details(visit, rows, msg.msgid)
    msg.session.add_all(bill.details)
    msg.session.flush()
    row = price(msg, bill, commit=True)
    return {"setlinfo": setlinfo(msg, row, person, settled=True, hospital=False),
            "setldetail": setldetail(row), "detlcutinfo": [line_split(r, limited=False) for r in rows]}
