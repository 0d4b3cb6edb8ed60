"""The national platform interface's transactions (NI-1..NI-6), answered by the core services.

One message is one transaction of the database: the envelope is checked, the message id is looked up
(a repeat gets the first answer back and changes nothing), the transaction's handler reads its input
node by the standard's table and calls the core (the same settlement, refund and ledger code the HTTP
API uses), and the answer is stored with the change it reports. A refused message changes nothing.

Money (NI-4): of a bill (``medfee_sumamt``) the region's pooled fund pays its outpatient share
(:mod:`gongji.national.pooling`); the rest is the person's part (``psn_part_amt``). With
``acct_used_flag`` 1 that part is settled by the core exactly as an HTTP settlement: the patient's own
account first, then the payers bound to him in the order of the region's rules, then cash. So
``acct_pay`` is everything personal accounts paid, mutual aid included (``acct_mulaid_pay``), and
``psn_cash_pay`` is what is left. The HIS names no payer: the bindings decide.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from gongji.actors import Actor
from gongji.env import Env
from gongji.errors import GongjiError
from gongji.events.service import record as record_event
from gongji.institutions import service as institutions
from gongji.institutions.models import Institution
from gongji.ledger import service as ledger
from gongji.ledger.models import Account, Posting
from gongji.national import codes, pooling, tables, wire
from gongji.national.models import NiFeeDetail, NiFundYear, NiMessage, NiSettlement, NiSignIn, NiVisit
from gongji.people import service as people
from gongji.people.models import Enrollment, Person
from gongji.settlement import service as settlement
from gongji.terms import InstitutionKind, Use

#: At most this many fee lines in one message.
MAX_LINES = 1000


# -- one message ---------------------------------------------------------------------------------


@dataclass
class Message:
    """What a handler gets: the session, the institution that sent the message, and its envelope."""

    session: Session
    env: Env
    institution: Institution
    header: dict[str, Any]
    now: datetime
    person_id: int | None = None
    visit_id: int | None = None
    settlement_id: int | None = None

    @property
    def msgid(self) -> str:
        return self.header["msgid"]

    @property
    def infno(self) -> str:
        return self.header["infno"]

    def person(self, psn_no: str) -> Person:
        """The person by ``psn_no``, insured where the envelope's ``insuplc_admdvs`` says (NI-1)."""
        found = None
        if psn_no.isdigit() and len(psn_no) <= 18:
            found = self.session.get(Person, int(psn_no))
        if found is None:
            raise GongjiError("NI_PERSON_NOT_FOUND", psn_no=psn_no)
        region = people.enrollment_of(found).region_code
        given = self.header.get("insuplc_admdvs")
        if given is None:
            raise GongjiError("NI_FIELD_REQUIRED", field="insuplc_admdvs", name_zh="参保地医保区划")
        if given != region:
            raise GongjiError("NI_WRONG_INSURED_REGION", given=given, actual=region)
        self.person_id = found.id
        return found

    def certificate(self, person: Person, cert_type: str, cert_no: str) -> settlement.Certificate:
        """N-4: the patient's own card or voucher (an e-voucher's token is recorded, not compared)."""
        cert = settlement.Certificate(type=codes.CERT_TYPES[cert_type], number=cert_no)
        settlement.check_certificate(person, cert)
        return cert

    def visit(self, mdtrt_id: str, person: Person, *, lock: bool = True) -> NiVisit:
        """This institution's visit ``mdtrt_id`` of ``person``; locked, so that one visit's messages queue."""
        visit = None
        if mdtrt_id.isdigit() and len(mdtrt_id) <= 18:
            query = select(NiVisit).where(NiVisit.id == int(mdtrt_id))
            if lock and self.session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update()
            visit = self.session.execute(query).scalar_one_or_none()
        if visit is None or visit.institution_id != self.institution.id or visit.person_id != person.id:
            raise GongjiError("NI_VISIT_NOT_FOUND", mdtrt_id=mdtrt_id, psn_no=psn_no_of(person))
        self.visit_id = visit.id
        return visit


def psn_no_of(person: Person) -> str:
    """人员编号: the person's number in Gongji (the id the HTTP API uses too)."""
    return str(person.id)


def _check_insutype(person: Person, given: str) -> None:
    actual = codes.INSUTYPE[people.enrollment_of(person).scheme]
    if given != actual:
        zh, en = codes.INSUTYPE_NAMES[actual]
        raise GongjiError("NI_INSUTYPE_MISMATCH", given=given, actual=actual, actual_zh=zh, actual_en=en)


def _own_balance(session: Session, person_id: int) -> int:
    """The patient's own balance as the database has it now (``balc``): both funds and his wallet, since what the
    wallet pays is counted in ``acct_pay`` like his own account's payments (docs/wallet.md)."""
    total = session.execute(select(func.coalesce(func.sum(Account.balance_fen), 0))
                            .where(Account.person_id == person_id)).scalar_one()
    return int(total)


def _age(born: date, today: date) -> Decimal:
    years = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return Decimal(years).quantize(Decimal("0.1"))


def _line_amount(spec_row: dict[str, Any]) -> None:
    """A fee line's total is its quantity times its price, to the fen (either rounding is accepted)."""
    exact = spec_row["cnt"] * spec_row["pric"]
    expected = int((exact * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    if abs(expected - spec_row["det_item_fee_sumamt"]) > 1:
        raise GongjiError("NI_TOTALS_DISAGREE", field="det_item_fee_sumamt", name_zh="明细项目费用总额",
                          given=wire.yuan(spec_row["det_item_fee_sumamt"]), basis_zh="数量×单价",
                          basis_en="quantity × price", expected=wire.yuan(expected))


def _chrgitm_type(med_list_codg: str) -> str:
    """医疗收费项目类别, from the first letter of the national list code (the project keeps no catalogue):
    X western medicine 09, Z Chinese patent medicine 11, T decoction pieces 10, C medical consumables 08,
    anything else (medical services) 14."""
    return {"X": "09", "Z": "11", "T": "10", "C": "08"}.get(med_list_codg[:1].upper(), "14")


def _line_split(row: dict[str, Any], *, limited: bool) -> dict[str, Any]:
    """How one fee line splits: without a drug and service catalogue every line is taken as in scope."""
    out = {
        "feedetl_sn": row["feedetl_sn"],
        "det_item_fee_sumamt": wire.yuan(row["det_item_fee_sumamt"]),
        "cnt": row["cnt"],
        "pric": row["pric"],
        "pric_uplmt_amt": row["pric"],
        "selfpay_prop": wire.ratio(0),
        "fulamt_ownpay_amt": wire.yuan(0),
        "overlmt_amt": wire.yuan(0),
        "preselfpay_amt": wire.yuan(0),
        "inscp_scp_amt": wire.yuan(row["det_item_fee_sumamt"]),
        "chrgitm_lv": "01",
        "med_chrgitm_type": _chrgitm_type(row["med_list_codg"]),
        "bas_medn_flag": "0",
        "hi_nego_drug_flag": "0",
        "chld_medc_flag": "0",
        "list_sp_item_flag": "0",
        "drt_reim_flag": "0",
        "memo": "",
    }
    if limited:
        out["lmt_used_flag"] = "0"
    return out


# -- 9001 / 9002 sign-in and sign-out --------------------------------------------------------------


def sign_in(msg: Message, data: dict[str, Any]) -> dict[str, Any]:
    node = wire.read(data.get("signIn"), tables.SIGN_IN, node_name="signIn", node_zh="签到信息")
    sign_no = msg.now.astimezone(wire.CST).strftime("%Y%m%d%H%M%S") + f"{secrets.randbelow(10**16):016d}"
    msg.session.add(NiSignIn(sign_no=sign_no, institution_code=msg.institution.code, opter_no=node["opter_no"],
                             ip=node["ip"], mac=node["mac"], signed_in_at=msg.now))
    msg.session.flush()
    return {"signinoutb": {"sign_time": wire.time_text(msg.now), "sign_no": sign_no}}


def sign_out(msg: Message, data: dict[str, Any]) -> dict[str, Any]:
    node = wire.read(data.get("signOut", data), tables.SIGN_OUT, node_name="signOut", node_zh="签退信息")
    sign_no = node["sign_no"] or msg.header.get("sign_no")
    if sign_no is None:
        raise GongjiError("NI_FIELD_REQUIRED", field="sign_no", name_zh="签到编号")
    row = _signed_in(msg, sign_no)
    row.signed_out_at = msg.now
    return {"signoutoutb": {"sign_time": wire.time_text(msg.now)}}


def _signed_in(msg: Message, sign_no: str) -> NiSignIn:
    row = msg.session.execute(select(NiSignIn).where(NiSignIn.sign_no == sign_no)).scalar_one_or_none()
    if row is None or row.institution_code != msg.institution.code or row.signed_out_at is not None:
        raise GongjiError("NI_SIGN_IN_INVALID", sign_no=sign_no)
    return row


# -- 1101 person information -----------------------------------------------------------------------


def person_info(msg: Message, data: dict[str, Any]) -> dict[str, Any]:
    """NI-2: who presents this card or voucher, and his personal-account balance (``balc``)."""
    node = wire.read(data.get("data"), tables.PERSON_QUERY, node_name="data", node_zh="人员信息")
    session, cert_type, cert_no = msg.session, node["mdtrt_cert_type"], node["mdtrt_cert_no"]
    if node["psn_cert_type"] not in (None, codes.ID_CARD):
        raise GongjiError("NI_FIELD_INVALID", field="psn_cert_type", name_zh="人员证件类型", value=node["psn_cert_type"],
                          reason_zh="本服务的参保人员以居民身份证（01）登记", reason_en="people here are registered by resident ID card (01)")
    if cert_type == "02":
        person = people.find(session, cert_no)
    elif cert_type == "03":
        if node["card_sn"] is None:
            raise GongjiError("NI_FIELD_REQUIRED", field="card_sn", name_zh="卡识别码")
        person = _by_card(session, cert_no)
    else:  # 01: an e-voucher's token is resolved by the platform that issued it; the HIS sends the ID too
        if node["certno"] is None:
            raise GongjiError("NI_FIELD_REQUIRED", field="certno", name_zh="证件号码")
        person = people.find(session, node["certno"])
    if node["certno"] is not None and node["certno"].upper() != person.id_number:
        raise GongjiError("NI_FIELD_INVALID", field="certno", name_zh="证件号码", value=node["certno"],
                          reason_zh="与就诊凭证对应的人员不符", reason_en="it is not the person the certificate belongs to")
    if node["psn_name"] is not None and node["psn_name"] != person.name:
        raise GongjiError("NI_FIELD_INVALID", field="psn_name", name_zh="人员姓名", value=node["psn_name"],
                          reason_zh="与就诊凭证对应的人员姓名不符", reason_en="it is not the name of the certificate's holder")
    msg.person_id = person.id
    enrollment = people.enrollment_of(person)
    insured = {
        "balc": wire.yuan(_own_balance(session, person.id)),
        "insutype": codes.INSUTYPE[enrollment.scheme],
        "psn_type": codes.psn_type(enrollment.scheme, enrollment.retired),
        "psn_insu_stas": codes.INSU_STATUS[enrollment.status],
        "psn_insu_date": wire.date_text(enrollment.enrolled_on),
        "cvlserv_flag": "0",
        "insuplc_admdvs": enrollment.region_code,
    }
    if enrollment.status != "normal":
        insured["paus_insu_date"] = wire.date_text(enrollment.status_since)
    return {
        "baseinfo": {
            "psn_no": psn_no_of(person),
            "psn_cert_type": codes.ID_CARD,
            "certno": person.id_number,
            "psn_name": person.name,
            "gend": codes.GENDER[person.sex],
            "brdy": wire.date_text(person.birth_date),
            "age": _age(person.birth_date, msg.env.today()),
        },
        "insuinfo": [insured],
        "idetinfo": [],
    }


def _by_card(session: Session, card_no: str) -> Person:
    person_id = session.execute(select(Enrollment.person_id).where(Enrollment.card_no == card_no.upper())
                                ).scalar_one_or_none()
    if person_id is None:
        raise GongjiError("NI_FIELD_INVALID", field="mdtrt_cert_no", name_zh="就诊凭证编号", value=card_no,
                          reason_zh="没有持此社会保障卡的参保人员", reason_en="no insured person holds this social security card")
    return session.get(Person, person_id)


# -- 2201 / 2202 registration, 2203 visit information ------------------------------------------------


def register(msg: Message, data: dict[str, Any]) -> dict[str, Any]:
    """NI-3: open an outpatient visit; its ``mdtrt_id`` keys every later message."""
    node = wire.read(data.get("data"), tables.REGISTRATION, node_name="data", node_zh="挂号信息")
    person = msg.person(node["psn_no"])
    _check_insutype(person, node["insutype"])
    cert = msg.certificate(person, node["mdtrt_cert_type"], node["mdtrt_cert_no"])
    settlement.admit(msg.session, msg.env, institution_code=msg.institution.code, patient_id_number=person.id_number,
                     use=Use.OUTPATIENT.value, cert=cert)
    taken = msg.session.execute(select(NiVisit.id).where(
        NiVisit.institution_id == msg.institution.id, NiVisit.ipt_otp_no == node["ipt_otp_no"],
        NiVisit.status == "open")).scalar_one_or_none()
    if taken is not None:
        raise GongjiError("NI_OUTPATIENT_NUMBER_TAKEN", ipt_otp_no=node["ipt_otp_no"], mdtrt_id=str(taken))
    visit = NiVisit(institution_id=msg.institution.id, person_id=person.id, kind="outpatient",
                    ipt_otp_no=node["ipt_otp_no"], insutype=node["insutype"], med_type=None,
                    mdtrt_cert_type=node["mdtrt_cert_type"], mdtrt_cert_no=node["mdtrt_cert_no"],
                    begntime=node["begntime"], dept_code=node["dept_code"], dept_name=node["dept_name"],
                    atddr_no=node["atddr_no"], dr_name=node["dr_name"], status="open", msgid=msg.msgid,
                    created_at=msg.now)
    msg.session.add(visit)
    msg.session.flush()
    msg.visit_id = visit.id
    return {"data": {"mdtrt_id": str(visit.id), "psn_no": psn_no_of(person), "ipt_otp_no": node["ipt_otp_no"]}}


def _open_visit(msg: Message, visit: NiVisit, action_zh: str, action_en: str) -> None:
    if visit.status == "cancelled":
        raise GongjiError("NI_VISIT_CANCELLED", mdtrt_id=str(visit.id), action_zh=action_zh, action_en=action_en)


def _settled_on(msg: Message, visit: NiVisit) -> NiSettlement | None:
    return msg.session.execute(select(NiSettlement).where(
        NiSettlement.visit_id == visit.id, NiSettlement.kind == "settlement", NiSettlement.status == "settled")
    ).scalars().first()


def cancel_registration(msg: Message, data: dict[str, Any]) -> dict[str, Any]:
    node = wire.read(data.get("data"), tables.REGISTRATION_CANCEL, node_name="data", node_zh="撤销挂号信息")
    person = msg.person(node["psn_no"])
    visit = msg.visit(node["mdtrt_id"], person)
    if visit.ipt_otp_no != node["ipt_otp_no"]:
        raise GongjiError("NI_FIELD_INVALID", field="ipt_otp_no", name_zh="住院/门诊号", value=node["ipt_otp_no"],
                          reason_zh=f"就诊 {visit.id} 的门诊号是 {visit.ipt_otp_no}",
                          reason_en=f"visit {visit.id} has the outpatient number {visit.ipt_otp_no}")
    _close_visit(msg, visit)
    return {}


def _close_visit(msg: Message, visit: NiVisit) -> None:
    _open_visit(msg, visit, "撤销挂号", "cancel the registration")
    settled = _settled_on(msg, visit)
    if settled is not None:
        raise GongjiError("NI_VISIT_SETTLED", mdtrt_id=str(visit.id), setl_id=str(settled.id),
                          action_zh="撤销挂号", action_en="cancel its registration")
    msg.session.execute(delete(NiFeeDetail).where(NiFeeDetail.visit_id == visit.id,
                                                  NiFeeDetail.settlement_id.is_(None)))
    visit.status = "cancelled"


def visit_info(msg: Message, data: dict[str, Any]) -> dict[str, Any]:
    """2203 / 2203A: the visit's medical type and diagnoses (kept: the medical type and the disease)."""
    node = wire.read(data.get("mdtrtinfo"), tables.VISIT_INFO, node_name="mdtrtinfo", node_zh="就诊信息")
    for row in data.get("diseinfo") or []:
        wire.read(row, tables.DIAGNOSIS, node_name="diseinfo", node_zh="诊断信息")
    if codes.is_inpatient(node["med_type"]):
        raise _inpatient(node["med_type"])
    person = msg.person(node["psn_no"])
    visit = msg.visit(node["mdtrt_id"], person)
    _open_visit(msg, visit, "上传就诊信息", "upload visit information")
    visit.med_type = node["med_type"]
    visit.dise_codg, visit.dise_name = node["dise_codg"], node["dise_name"]
    return {}


def _inpatient(med_type: str) -> GongjiError:
    return GongjiError("NI_FIELD_INVALID", field="med_type", name_zh="医疗类别", value=med_type,
                       reason_zh="住院类医疗类别须走住院交易（23xx），本服务只受理门诊与药店",
                       reason_en="inpatient kinds go through the inpatient transactions (23xx); only outpatient and "
                                 "pharmacy business is served here")


# -- 2204 / 2205 fee details -----------------------------------------------------------------------


def upload_fees(msg: Message, data: dict[str, Any]) -> dict[str, Any]:
    lines = wire.rows(data.get("feedetail"), node_name="feedetail", node_zh="费用明细", limit=MAX_LINES)
    rows = [wire.read(line, tables.FEE_DETAIL, node_name="feedetail", node_zh="费用明细") for line in lines]
    first = rows[0]
    for row in rows[1:]:
        for key, zh in (("mdtrt_id", "就诊ID"), ("psn_no", "人员编号")):
            if row[key] != first[key]:
                raise GongjiError("NI_FIELD_INVALID", field=key, name_zh=zh, value=row[key],
                                  reason_zh="一次上传的明细须属于同一就诊", reason_en="one upload belongs to one visit")
    person = msg.person(first["psn_no"])
    visit = msg.visit(first["mdtrt_id"], person)
    _open_visit(msg, visit, "上传费用明细", "upload fee details")
    if visit.kind != "outpatient":
        raise GongjiError("NI_VISIT_NOT_FOUND", mdtrt_id=first["mdtrt_id"], psn_no=first["psn_no"])
    known = set(msg.session.execute(select(NiFeeDetail.feedetl_sn).where(NiFeeDetail.visit_id == visit.id)).scalars())
    for row in rows:
        _line_amount(row)
        if row["feedetl_sn"] in known:
            raise GongjiError("NI_FEE_DETAIL_DUPLICATE", feedetl_sn=row["feedetl_sn"], mdtrt_id=str(visit.id))
        known.add(row["feedetl_sn"])
    msg.session.add_all(_details(visit, rows, msg.msgid))
    msg.session.flush()
    return {"result": [_line_split(row, limited=True) for row in rows]}


def _details(visit: NiVisit, rows: list[dict[str, Any]], msgid: str, settlement_id: int | None = None) -> list:
    return [NiFeeDetail(visit_id=visit.id, feedetl_sn=row["feedetl_sn"], chrg_bchno=row.get("chrg_bchno"),
                        rxno=row["rxno"], fee_ocur_time=row["fee_ocur_time"], med_list_codg=row["med_list_codg"],
                        medins_list_codg=row["medins_list_codg"], amount_fen=row["det_item_fee_sumamt"],
                        cnt=row["cnt"], pric=row["pric"], settlement_id=settlement_id, msgid=msgid)
            for row in rows]


def cancel_fees(msg: Message, data: dict[str, Any]) -> dict[str, Any]:
    """2205: drop a batch's fee details (``chrg_bchno`` 0000: every unsettled one of the visit)."""
    node = wire.read(data.get("data"), tables.FEE_CANCEL, node_name="data", node_zh="撤销明细信息")
    person = msg.person(node["psn_no"])
    visit = msg.visit(node["mdtrt_id"], person)
    _open_visit(msg, visit, "撤销费用明细", "cancel fee details")
    everything = node["chrg_bchno"] == "0000"
    if not everything:
        settled = msg.session.execute(select(NiFeeDetail.settlement_id).where(
            NiFeeDetail.visit_id == visit.id, NiFeeDetail.chrg_bchno == node["chrg_bchno"],
            NiFeeDetail.settlement_id.is_not(None))).scalars().first()
        if settled is not None:
            raise GongjiError("NI_VISIT_SETTLED", mdtrt_id=str(visit.id), setl_id=str(settled),
                              action_zh="撤销已结算的费用明细", action_en="cancel settled fee details")
    condition = [NiFeeDetail.visit_id == visit.id, NiFeeDetail.settlement_id.is_(None)]
    if not everything:
        condition.append(NiFeeDetail.chrg_bchno == node["chrg_bchno"])
    removed = msg.session.execute(delete(NiFeeDetail).where(*condition)).rowcount
    if not removed:
        raise GongjiError("NI_NO_FEE_DETAILS", mdtrt_id=str(visit.id), chrg_bchno=node["chrg_bchno"])
    return {}


# -- settling (2206 / 2207, 2101 / 2102) -------------------------------------------------------------


@dataclass
class _Bill:
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


def _fund_year(session: Session, person_id: int, year: int, *, lock: bool) -> NiFundYear:
    query = select(NiFundYear).where(NiFundYear.person_id == person_id, NiFundYear.year == year)
    if lock and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    row = session.execute(query).scalar_one_or_none()
    if row is None:
        row = NiFundYear(person_id=person_id, year=year, deductible_used_fen=0, fund_paid_fen=0)
        if lock:
            session.add(row)
            session.flush()  # two first settlements of a year race on the key; the loser is run again
    return row


def _price(msg: Message, bill: _Bill, *, commit: bool) -> NiSettlement:
    """Split a bill between the pooled fund, the personal accounts and cash; settle it if ``commit``."""
    session, env, person = msg.session, msg.env, bill.person
    enrollment = people.enrollment_of(person)
    rule = env.policy(enrollment.region_code).outpatient_pooling(enrollment.scheme) if bill.pooled else None
    today = env.today()
    year = _fund_year(session, person.id, today.year, lock=commit)
    share = pooling.share(rule, in_scope_fen=bill.medfee_fen, deductible_used_fen=year.deductible_used_fen,
                          fund_paid_fen=year.fund_paid_fen)
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
    balance = _own_balance(session, person.id) - (0 if commit else own)
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
        row.fund_entry_id = _post_fund(session, msg, row, share.fund_fen, enrollment.region_code, kind="pooled_fund")
    year.deductible_used_fen += share.deductible_applied_fen
    year.fund_paid_fen += share.fund_fen
    for detail in bill.details:
        detail.settlement_id = row.id
    msg.settlement_id = row.id
    _record(msg, "ni.settled", row)
    session.flush()
    return row


def _record(msg: Message, kind: str, row: NiSettlement) -> None:
    """The event of a settlement or cancellation of the interface, in its transaction: the institution did it
    (N-8), and it names the pooled fund's entry and the core settlement or refund that moved the accounts."""
    record_event(msg.session, msg.env, kind=kind, actor=Actor.institution(msg.institution.code),
                 subject_type="ni_settlement", subject_id=row.id, concerns=[row.person_id],
                 data={"msgid": msg.msgid, "infno": msg.infno, "medfee_fen": row.medfee_fen,
                       "fund_fen": row.fund_pay_fen, "fund_entry_id": row.fund_entry_id,
                       "settlement_id": row.core_settlement_id, "refund_id": row.core_refund_id,
                       "cancels": row.cancels_id})


def _post_fund(session: Session, msg: Message, row: NiSettlement, fund_fen: int, region_code: str, *,
               kind: str) -> int:
    """The pooled fund's share, as one balanced entry: from the region's fund to what the institution is owed."""
    fund = ledger.system_account(session, kind=ledger.POOLED_FUND, key=region_code, region_code=region_code,
                                 at=msg.now)
    owed = ledger.system_account(session, kind=ledger.INSTITUTION, key=msg.institution.code,
                                 region_code=msg.institution.region_code, at=msg.now)
    return ledger.post(session, kind=kind, at=msg.now, on=msg.env.today(), ref_type="ni_settlement", ref_id=row.id,
                       legs=[ledger.Leg(fund, -fund_fen), ledger.Leg(owed, fund_fen)])


def _outpatient_bill(msg: Message, data: dict[str, Any], *, commit: bool) -> _Bill:
    node = wire.read(data.get("data"), tables.SETTLEMENT if commit else tables.PRE_SETTLEMENT, node_name="data",
                     node_zh="结算信息")
    if codes.is_inpatient(node["med_type"]):
        raise _inpatient(node["med_type"])
    person = msg.person(node["psn_no"])
    _check_insutype(person, node["insutype"])
    cert = msg.certificate(person, node["mdtrt_cert_type"], node["mdtrt_cert_no"])
    visit = msg.visit(node["mdtrt_id"], person)
    _open_visit(msg, visit, "结算", "settle it")
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
    return _Bill(person=person, visit=visit, cert=cert, use=Use.OUTPATIENT, medfee_fen=total,
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
    row = _price(msg, bill, commit=False)
    return {"setlinfo": _setlinfo(msg, row, bill.person, settled=False), "setldetail": _setldetail(row)}


def settle(msg: Message, data: dict[str, Any]) -> dict[str, Any]:
    """2207 (NI-3, NI-4): settle the batch; the personal part through the core, own account first."""
    bill = _outpatient_bill(msg, data, commit=True)
    row = _price(msg, bill, commit=True)
    return {"setlinfo": _setlinfo(msg, row, bill.person, settled=True), "setldetail": _setldetail(row)}


def _drug_bill(msg: Message, data: dict[str, Any]) -> tuple[_Bill, list[dict[str, Any]]]:
    header = data.get("druginfo", data.get("data"))
    node = wire.read(header, tables.DRUG_PURCHASE, node_name="druginfo", node_zh="购药信息")
    lines = wire.rows(data.get("drugdetail"), node_name="drugdetail", node_zh="药品明细", limit=MAX_LINES)
    rows = [wire.read(line, tables.DRUG_DETAIL, node_name="drugdetail", node_zh="药品明细") for line in lines]
    if node["med_type"] != codes.PHARMACY_MED_TYPE:
        raise GongjiError("NI_FIELD_INVALID", field="med_type", name_zh="医疗类别", value=node["med_type"],
                          reason_zh="定点药店购药的医疗类别为 41", reason_en="a pharmacy purchase has the medical type 41")
    person = msg.person(node["psn_no"])
    _check_insutype(person, node["insutype"])
    cert = msg.certificate(person, node["mdtrt_cert_type"], node["mdtrt_cert_no"])
    seen: set[str] = set()
    for row in rows:
        _line_amount(row)
        if row["feedetl_sn"] in seen:
            raise GongjiError("NI_FEE_DETAIL_DUPLICATE", feedetl_sn=row["feedetl_sn"], mdtrt_id="-")
        seen.add(row["feedetl_sn"])
    total = sum(row["det_item_fee_sumamt"] for row in rows)
    if node["medfee_sumamt"] != total:
        raise GongjiError("NI_TOTALS_DISAGREE", field="medfee_sumamt", name_zh="医疗费总额",
                          given=wire.yuan(node["medfee_sumamt"]), basis_zh="药品明细合计",
                          basis_en="the sum of the drug lines", expected=wire.yuan(total))
    bill = _Bill(person=person, visit=None, cert=cert, use=Use.PHARMACY, medfee_fen=total, med_type=node["med_type"],
                 insutype=node["insutype"], cert_type=node["mdtrt_cert_type"], acct_used_flag=node["acct_used_flag"],
                 clr_type=codes.CLEARING_PHARMACY, pooled=False, invono=node["invono"], begntime=node["begntime"],
                 dise_codg=node["dise_codg"], dise_name=node["dise_name"])
    return bill, rows


def pharmacy_pre_settle(msg: Message, data: dict[str, Any]) -> dict[str, Any]:
    """2101: what 2102 would do now. Writes nothing."""
    bill, rows = _drug_bill(msg, data)
    row = _price(msg, bill, commit=False)
    return {"setlinfo": _setlinfo(msg, row, bill.person, settled=False, hospital=False),
            "setldetail": _setldetail(row), "detlcutinfo": [_line_split(r, limited=False) for r in rows]}


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
    bill.details = _details(visit, rows, msg.msgid)
    msg.session.add_all(bill.details)
    msg.session.flush()
    row = _price(msg, bill, commit=True)
    return {"setlinfo": _setlinfo(msg, row, person, settled=True, hospital=False),
            "setldetail": _setldetail(row), "detlcutinfo": [_line_split(r, limited=False) for r in rows]}


# -- cancelling (2208, 2103) and reversing (2601) ----------------------------------------------------


def _settlement_of(msg: Message, setl_id: str, person: Person, mdtrt_id: str | None) -> NiSettlement:
    row = None
    if setl_id.isdigit() and len(setl_id) <= 18:
        query = select(NiSettlement).where(NiSettlement.id == int(setl_id))
        if msg.session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update()
        row = msg.session.execute(query).scalar_one_or_none()
    if (row is None or row.institution_id != msg.institution.id or row.person_id != person.id
            or (mdtrt_id is not None and str(row.visit_id) != mdtrt_id)):
        raise GongjiError("NI_SETTLEMENT_NOT_FOUND", setl_id=setl_id, mdtrt_id=mdtrt_id or "-",
                          psn_no=psn_no_of(person))
    return row


def _cancel(msg: Message, original: NiSettlement, person: Person, *, how_zh: str, how_en: str) -> NiSettlement:
    """NI-5, HN-5: give every account that paid its money back, and the pooled fund its share."""
    session, env = msg.session, msg.env
    if original.kind != "settlement":
        raise GongjiError("NI_SETTLEMENT_NOT_FOUND", setl_id=str(original.id), mdtrt_id=str(original.visit_id),
                          psn_no=psn_no_of(person))
    if original.status == "cancelled":
        raise GongjiError("NI_SETTLEMENT_CANCELLED", setl_id=str(original.id), how_zh=how_zh, how_en=how_en)
    account_back = mutual_back = 0
    refund_id = None
    if original.core_settlement_id is not None:
        core = settlement.get(session, original.core_settlement_id)
        if core.refunded_fen < core.amount_fen:  # what the HTTP API refunded already is back already
            result = settlement.cancel(session, env, institution_code=msg.institution.code,
                                       settlement_id=core.id, idempotency_key=f"ni:{msg.msgid}",
                                       reason=f"national interface {msg.infno} {msg.msgid}")
            refund_id = result.refund_id
            account_back = result.amount_fen - result.cash_fen
            mutual_back = sum(line.amount_fen for line in result.lines if not line.is_own)
    now, today = msg.now, env.today()
    row = NiSettlement(
        institution_id=original.institution_id, visit_id=original.visit_id, person_id=original.person_id,
        kind="cancellation", cancels_id=original.id, status="settled", msgid=msg.msgid, insutype=original.insutype,
        med_type=original.med_type, clr_type=original.clr_type, clr_optins=original.clr_optins,
        psn_setlway=original.psn_setlway, acct_used_flag=original.acct_used_flag,
        mdtrt_cert_type=original.mdtrt_cert_type, chrg_bchno=original.chrg_bchno, invono=original.invono,
        medfee_fen=-original.medfee_fen, fulamt_ownpay_fen=-original.fulamt_ownpay_fen,
        overlmt_selfpay_fen=-original.overlmt_selfpay_fen, preselfpay_fen=-original.preselfpay_fen,
        inscp_scp_fen=-original.inscp_scp_fen, act_pay_dedc_fen=-original.act_pay_dedc_fen,
        hifp_pay_fen=-original.hifp_pay_fen, pool_ratio_permille=original.pool_ratio_permille,
        fund_cap_left_fen=original.fund_cap_left_fen, fund_pay_fen=-original.fund_pay_fen,
        psn_part_fen=-original.psn_part_fen, acct_pay_fen=-account_back, acct_mulaid_fen=-mutual_back,
        psn_cash_fen=-(original.psn_part_fen - account_back), hosp_part_fen=-original.hosp_part_fen,
        balc_fen=_own_balance(session, person.id), core_refund_id=refund_id, setl_time=now, setl_on=today,
    )
    session.add(row)
    session.flush()
    if original.fund_pay_fen:
        # Back to the fund that paid (the person may be insured elsewhere by now).
        fund = msg.session.execute(select(Posting.account_id).where(
            Posting.entry_id == original.fund_entry_id, Posting.amount_fen < 0)).scalar_one()
        owed = ledger.system_account(session, kind=ledger.INSTITUTION, key=msg.institution.code,
                                     region_code=msg.institution.region_code, at=now)
        row.fund_entry_id = ledger.post(
            session, kind="pooled_fund_back", at=now, on=today, ref_type="ni_settlement", ref_id=row.id,
            legs=[ledger.Leg(owed, -original.fund_pay_fen), ledger.Leg(fund, original.fund_pay_fen)])
    year = _fund_year(session, person.id, original.setl_on.year, lock=True)
    year.deductible_used_fen = max(0, year.deductible_used_fen - original.act_pay_dedc_fen)
    year.fund_paid_fen = max(0, year.fund_paid_fen - original.fund_pay_fen)
    original.status, original.cancelled_by_id = "cancelled", row.id
    visit = session.get(NiVisit, original.visit_id)
    if visit.kind == "outpatient":  # the lines wait for a new settlement (or 2205)
        for detail in session.execute(select(NiFeeDetail).where(NiFeeDetail.settlement_id == original.id)).scalars():
            detail.settlement_id = None
    else:
        visit.status = "cancelled"
    msg.settlement_id = row.id
    msg.visit_id = visit.id
    _record(msg, "ni.cancelled", row)
    session.flush()
    return row


def cancel_settlement(msg: Message, data: dict[str, Any]) -> dict[str, Any]:
    """2208: undo an outpatient settlement; the output is the cancellation, with the amounts negated."""
    node = wire.read(data.get("data"), tables.CANCELLATION, node_name="data", node_zh="撤销结算信息")
    person = msg.person(node["psn_no"])
    original = _settlement_of(msg, node["setl_id"], person, node["mdtrt_id"])
    row = _cancel(msg, original, person, how_zh="门诊结算撤销", how_en="outpatient settlement cancelled")
    info = _short_setlinfo(msg, row)
    return {"setlinfo": info, "setldetail": _setldetail(row)}


def cancel_pharmacy(msg: Message, data: dict[str, Any]) -> dict[str, Any]:
    """2103: undo a pharmacy settlement."""
    node = wire.read(data.get("data"), tables.CANCELLATION, node_name="data", node_zh="撤销结算信息")
    person = msg.person(node["psn_no"])
    original = _settlement_of(msg, node["setl_id"], person, node["mdtrt_id"])
    row = _cancel(msg, original, person, how_zh="药店结算撤销", how_en="pharmacy settlement cancelled")
    return {"setlinfo": _pharmacy_cancel_setlinfo(msg, row), "setldetail": _setldetail(row)}


#: What 2601 can undo, and how.
REVERSIBLE = ("2201", "2204", "2207", "2102")


def reverse(msg: Message, data: dict[str, Any]) -> dict[str, Any]:
    """2601 冲正: undo a message by its ``omsgid``, e.g. when the HIS never saw the answer (NI-5).

    A settlement's money goes back to every account that paid it. A message that never arrived is
    remembered as reversed, so that it is refused if it arrives late.
    """
    node = wire.read(data.get("data"), tables.REVERSAL, node_name="data", node_zh="冲正信息")
    person = msg.person(node["psn_no"])
    omsgid, oinfno = node["omsgid"], node["oinfno"]
    if omsgid == msg.msgid:
        raise GongjiError("NI_FIELD_INVALID", field="omsgid", name_zh="原发送方报文ID", value=omsgid,
                          reason_zh="不能冲正本报文自身", reason_en="a message cannot reverse itself")
    original = _message(msg.session, msg.institution.code, omsgid, lock=True)
    if original is None:
        msg.session.add(NiMessage(institution_code=msg.institution.code, msgid=omsgid, infno=oinfno,
                                  fingerprint=None, person_id=person.id, answer=None, status="reversed",
                                  received_at=msg.now, reversed_at=msg.now, reversed_by=msg.msgid))
        msg.session.flush()
        return {}
    if original.infno != oinfno:
        raise GongjiError("NI_FIELD_INVALID", field="oinfno", name_zh="原交易编号", value=oinfno,
                          reason_zh=f"报文 {omsgid} 的交易编号是 {original.infno}",
                          reason_en=f"the message {omsgid} is a {original.infno}")
    if original.person_id is not None and original.person_id != person.id:
        raise GongjiError("NI_PERSON_MISMATCH", field="psn_no", name_zh="人员编号", psn_no=node["psn_no"])
    if original.status == "reversed":
        return {}
    if oinfno not in REVERSIBLE:
        raise GongjiError("NI_NOT_REVERSIBLE", omsgid=omsgid, oinfno=oinfno,
                          reason_zh=f"可冲正的交易为 {'、'.join(REVERSIBLE)}；撤销类交易请重新办理原业务",
                          reason_en=f"the reversible transactions are {', '.join(REVERSIBLE)}; a cancellation is "
                                    "undone by doing the business again")
    if oinfno in ("2207", "2102"):
        settled = msg.session.get(NiSettlement, original.settlement_id)
        if settled.status == "settled":
            _cancel(msg, _settlement_of(msg, str(settled.id), person, None), person, how_zh="冲正",
                    how_en="reversed")
    elif oinfno == "2201":
        visit = msg.visit(str(original.visit_id), person)
        if visit.status == "open":
            _not_settled(msg, visit, omsgid, oinfno)
            _close_visit(msg, visit)
    else:  # 2204: the lines that message uploaded
        visit = msg.visit(str(original.visit_id), person)
        lines = list(msg.session.execute(select(NiFeeDetail).where(
            NiFeeDetail.visit_id == visit.id, NiFeeDetail.msgid == omsgid)).scalars())
        if any(line.settlement_id is not None for line in lines):
            raise GongjiError("NI_NOT_REVERSIBLE", omsgid=omsgid, oinfno=oinfno,
                              reason_zh="这些费用明细已结算，请先撤销结算（2208）",
                              reason_en="those fee details are settled; cancel the settlement first (2208)")
        for line in lines:
            msg.session.delete(line)
    original.status, original.reversed_at, original.reversed_by = "reversed", msg.now, msg.msgid
    msg.session.flush()
    return {}


def _not_settled(msg: Message, visit: NiVisit, omsgid: str, oinfno: str) -> None:
    if _settled_on(msg, visit) is not None:
        raise GongjiError("NI_NOT_REVERSIBLE", omsgid=omsgid, oinfno=oinfno,
                          reason_zh="该就诊已结算，请先撤销结算（2208）",
                          reason_en="the visit is settled; cancel the settlement first (2208)")


# -- 5203 settlement query, 3201 reconciliation ------------------------------------------------------


def query_settlement(msg: Message, data: dict[str, Any]) -> dict[str, Any]:
    node = wire.read(data.get("data"), tables.SETTLEMENT_QUERY, node_name="data", node_zh="结算查询信息")
    person = msg.person(node["psn_no"])
    row = _settlement_of(msg, node["setl_id"], person, node["mdtrt_id"])
    return {"setlinfo": _query_setlinfo(msg, row, person), "setldetail": _setldetail(row)}


STATEMENT_RESULTS = {"0": ("对平", "balanced"), "1": ("中心多", "the insurer has more"),
                     "2": ("医药机构多", "the institution has more"), "3": ("数据不一致", "the figures differ")}


def reconcile(msg: Message, data: dict[str, Any]) -> dict[str, Any]:
    """NI-6 3201: the institution's totals for a period against the insurer's."""
    node_in = data.get("data")
    if isinstance(node_in, dict) and "refd_setl_flag" not in node_in and "REFD_SETL_FLAG" in node_in:
        node_in = {**node_in, "refd_setl_flag": node_in["REFD_SETL_FLAG"]}
    node = wire.read(node_in, tables.RECONCILIATION, node_name="data", node_zh="对账信息")
    if node["stmt_enddate"] < node["stmt_begndate"]:
        raise GongjiError("NI_FIELD_INVALID", field="stmt_enddate", name_zh="对账结束日期",
                          value=wire.date_text(node["stmt_enddate"]), reason_zh="不能早于对账开始日期",
                          reason_en="it may not be before the start date")
    with_refunds = node["refd_setl_flag"] != "0"
    query = select(func.count(NiSettlement.id), func.coalesce(func.sum(NiSettlement.medfee_fen), 0),
                   func.coalesce(func.sum(NiSettlement.fund_pay_fen), 0),
                   func.coalesce(func.sum(NiSettlement.acct_pay_fen), 0)).where(
        NiSettlement.institution_id == msg.institution.id, NiSettlement.setl_on >= node["stmt_begndate"],
        NiSettlement.setl_on <= node["stmt_enddate"], NiSettlement.insutype == node["insutype"],
        NiSettlement.clr_type == node["clr_type"], NiSettlement.clr_optins == node["setl_optins"])
    if not with_refunds:
        query = query.where(NiSettlement.kind == "settlement")
    count, medfee, fund, acct = (int(v) for v in msg.session.execute(query).one())
    theirs = (int(node["fixmedins_setl_cnt"]), node["medfee_sumamt"], node["fund_pay_sumamt"], node["acct_pay"])
    ours = (count, medfee, fund, acct)
    if theirs == ours:
        result = "0"
    elif count > theirs[0]:
        result = "1"
    elif count < theirs[0]:
        result = "2"
    else:
        result = "3"
    zh, en = STATEMENT_RESULTS[result]
    detail = (f"{zh}：中心 {count} 笔，医疗费 {wire.yuan(medfee)}，基金 {wire.yuan(fund)}，个人账户 {wire.yuan(acct)}；"
              f"机构 {theirs[0]} 笔，医疗费 {wire.yuan(theirs[1])}，基金 {wire.yuan(theirs[2])}，个人账户 {wire.yuan(theirs[3])}")
    return {"stmtinfo": {"setl_optins": node["setl_optins"], "stmt_rslt": result, "stmt_rslt_dscr": detail[:200]}}


# -- answers -------------------------------------------------------------------------------------


def _people_fields(person: Person) -> dict[str, Any]:
    enrollment = people.enrollment_of(person)
    return {"psn_no": psn_no_of(person), "psn_name": person.name, "psn_cert_type": codes.ID_CARD,
            "certno": person.id_number, "gend": codes.GENDER[person.sex], "brdy": wire.date_text(person.birth_date),
            "psn_type": codes.psn_type(enrollment.scheme, enrollment.retired), "cvlserv_flag": "0"}


def _fund_fields(row: NiSettlement) -> dict[str, Any]:
    y = wire.yuan
    return {"medfee_sumamt": y(row.medfee_fen), "fulamt_ownpay_amt": y(row.fulamt_ownpay_fen),
            "overlmt_selfpay": y(row.overlmt_selfpay_fen), "preselfpay_amt": y(row.preselfpay_fen),
            "inscp_scp_amt": y(row.inscp_scp_fen), "act_pay_dedc": y(row.act_pay_dedc_fen),
            "hifp_pay": y(row.hifp_pay_fen), "pool_prop_selfpay": wire.ratio(row.pool_ratio_permille),
            "cvlserv_pay": y(0), "hifes_pay": y(0), "hifmi_pay": y(0), "hifob_pay": y(0), "maf_pay": y(0),
            "oth_pay": y(0), "fund_pay_sumamt": y(row.fund_pay_fen)}


def _setlinfo(msg: Message, row: NiSettlement, person: Person, *, settled: bool,
              hospital: bool = True) -> dict[str, Any]:
    """NI-4 ``setlinfo`` of 2206/2207 (and 2101/2102 without ``hosp_part_amt``)."""
    y = wire.yuan
    base = _people_fields(person)
    info: dict[str, Any] = {}
    if settled:
        info["setl_id"] = str(row.id)
    if row.visit_id is not None:
        info["mdtrt_id"] = str(row.visit_id)
    info.update({
        "psn_no": base["psn_no"], "psn_name": base["psn_name"], "psn_cert_type": base["psn_cert_type"],
        "certno": base["certno"], "gend": base["gend"], "brdy": base["brdy"],
        "age": _age(person.birth_date, row.setl_on), "insutype": row.insutype, "psn_type": base["psn_type"],
        "cvlserv_flag": "0", "setl_time": wire.time_text(row.setl_time), "mdtrt_cert_type": row.mdtrt_cert_type,
        "med_type": row.med_type,
    })
    info.update(_fund_fields(row))
    info.update({"psn_part_amt": y(row.psn_part_fen), "acct_pay": y(row.acct_pay_fen),
                 "psn_cash_pay": y(row.psn_cash_fen)})
    if hospital:
        info["hosp_part_amt"] = y(row.hosp_part_fen)
    info.update({"balc": y(row.balc_fen), "acct_mulaid_pay": y(row.acct_mulaid_fen), "medins_setl_id": row.msgid,
                 "clr_optins": row.clr_optins, "clr_type": row.clr_type})
    return info


def _short_setlinfo(msg: Message, row: NiSettlement) -> dict[str, Any]:
    """2208's ``setlinfo``: the short list (with both spellings of the cash field, see the field reference)."""
    y = wire.yuan
    info = {"mdtrt_id": str(row.visit_id), "setl_id": str(row.id), "clr_optins": row.clr_optins,
            "setl_time": wire.time_text(row.setl_time)}
    info.update(_fund_fields(row))
    info.update({"psn_part_amt": y(row.psn_part_fen), "acct_pay": y(row.acct_pay_fen), "balc": y(row.balc_fen),
                 "acct_mulaid_pay": y(row.acct_mulaid_fen), "hosp_part_amt": y(row.hosp_part_fen),
                 "medins_setl_id": row.msgid, "psn_cash_pay": y(row.psn_cash_fen),
                 "pdn_cash_pay": y(row.psn_cash_fen)})
    return info


def _pharmacy_cancel_setlinfo(msg: Message, row: NiSettlement) -> dict[str, Any]:
    """2103's ``setlinfo``: ``psn_pay`` and ``cash_payamt`` are that transaction's names."""
    y = wire.yuan
    info = {"mdtrt_id": str(row.visit_id), "setl_id": str(row.id), "clr_optins": row.clr_optins}
    fund = _fund_fields(row)
    info["medfee_sumamt"] = fund.pop("medfee_sumamt")
    info["setl_time"] = wire.time_text(row.setl_time)
    info.update(fund)
    info.update({"psn_pay": y(row.psn_part_fen), "acct_pay": y(row.acct_pay_fen), "cash_payamt": y(row.psn_cash_fen),
                 "balc": y(row.balc_fen), "acct_mulaid_pay": y(row.acct_mulaid_fen), "medins_setl_id": row.msgid})
    return info


def _query_setlinfo(msg: Message, row: NiSettlement, person: Person) -> dict[str, Any]:
    """5203's ``setlinfo`` (``psn_pay`` / ``cash_payamt``; ``refd_setl_flag`` 1 for a cancellation)."""
    y = wire.yuan
    enrollment = people.enrollment_of(person)
    visit = msg.session.get(NiVisit, row.visit_id)
    base = _people_fields(person)
    info = {"setl_id": str(row.id), "mdtrt_id": str(row.visit_id), **{k: base[k] for k in (
        "psn_no", "psn_name", "psn_cert_type", "certno", "gend", "brdy")},
        "age": _age(person.birth_date, row.setl_on), "insutype": row.insutype, "psn_type": base["psn_type"],
        "cvlserv_flag": "0", "insu_optins": enrollment.region_code, "pay_loc": "2",
        "fixmedins_code": msg.institution.code, "fixmedins_name": msg.institution.name,
        "begndate": wire.date_text(visit.begntime.astimezone(wire.CST).date()),
        "enddate": wire.date_text(row.setl_on), "setl_time": wire.time_text(row.setl_time),
        "mdtrt_cert_type": row.mdtrt_cert_type, "med_type": row.med_type, "clr_type": row.clr_type,
        "clr_optins": row.clr_optins}
    info.update(_fund_fields(row))
    info.update({"psn_pay": y(row.psn_part_fen), "acct_pay": y(row.acct_pay_fen), "cash_payamt": y(row.psn_cash_fen),
                 "balc": y(row.balc_fen), "acct_mulaid_pay": y(row.acct_mulaid_fen), "medins_setl_id": row.msgid,
                 "refd_setl_flag": "1" if row.kind == "cancellation" else "0", "year": str(row.setl_on.year)})
    if visit.dise_codg:
        info["dise_codg"], info["dise_name"] = visit.dise_codg, visit.dise_name
    if row.invono:
        info["invono"] = row.invono
    return info


def _setldetail(row: NiSettlement) -> list[dict[str, Any]]:
    """The pooled fund's line of the settlement (none when the fund had no part to play)."""
    if row.fund_pay_fen == 0 and row.act_pay_dedc_fen == 0:
        return []
    code, name = codes.fund_pay_type(row.insutype)
    return [{"fund_pay_type": code, "inscp_scp_amt": wire.yuan(row.inscp_scp_fen),
             "crt_payb_lmt_amt": wire.yuan(row.fund_cap_left_fen), "fund_payamt": wire.yuan(row.fund_pay_fen),
             "fund_pay_type_name": name,
             "setl_proc_info": f"起付线 {wire.yuan(row.act_pay_dedc_fen)}，支付比例 {wire.ratio(row.pool_ratio_permille)}"}]


# -- the transactions ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Transaction:
    infno: str
    zh: str
    en: str
    handler: Callable[[Message, dict[str, Any]], dict[str, Any]]
    writes: bool
    kind: InstitutionKind | None = None  # who may send it (None: any institution)


_H, _P = InstitutionKind.HOSPITAL, InstitutionKind.PHARMACY

TRANSACTIONS: dict[str, Transaction] = {t.infno: t for t in (
    Transaction("9001", "签到", "sign-in", sign_in, True),
    Transaction("9002", "签退", "sign-out", sign_out, True),
    Transaction("1101", "人员信息获取", "person information", person_info, False),
    Transaction("2201", "门诊挂号", "outpatient registration", register, True, _H),
    Transaction("2202", "门诊挂号撤销", "registration cancellation", cancel_registration, True, _H),
    Transaction("2203", "门诊就诊信息上传", "visit information", visit_info, True, _H),
    Transaction("2203A", "门诊就诊信息上传", "visit information", visit_info, True, _H),
    Transaction("2204", "门诊费用明细信息上传", "fee detail upload", upload_fees, True, _H),
    Transaction("2205", "门诊费用明细信息撤销", "fee detail cancellation", cancel_fees, True, _H),
    Transaction("2206", "门诊预结算", "outpatient pre-settlement", pre_settle, False, _H),
    Transaction("2207", "门诊结算", "outpatient settlement", settle, True, _H),
    Transaction("2208", "门诊结算撤销", "outpatient settlement cancellation", cancel_settlement, True, _H),
    Transaction("2101", "药店预结算", "pharmacy pre-settlement", pharmacy_pre_settle, False, _P),
    Transaction("2102", "药店结算", "pharmacy settlement", pharmacy_settle, True, _P),
    Transaction("2103", "药店结算撤销", "pharmacy settlement cancellation", cancel_pharmacy, True, _P),
    Transaction("2601", "冲正交易", "reversal", reverse, True),
    Transaction("5203", "结算信息查询", "settlement query", query_settlement, False),
    Transaction("3201", "医药机构费用结算对总账", "reconciliation of totals", reconcile, False),
)}


# -- the envelope ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """What goes back: the envelope's fields besides ``infcode`` and ``err_msg``, and whether it is a repeat."""

    output: str  # JSON text of the output object
    inf_refmsgid: str
    refmsg_time: str
    respond_time: str
    replayed: bool = False


def _message(session: Session, code: str, msgid: str, *, lock: bool) -> NiMessage | None:
    if lock and session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": f"ni\x1f{code}\x1f{msgid}"})
    return session.execute(select(NiMessage).where(NiMessage.institution_code == code, NiMessage.msgid == msgid)
                           ).scalar_one_or_none()


def fingerprint(infno: str, data: Any) -> str:
    return hashlib.sha256(f"{infno}\x1f{wire.canonical(data)}".encode()).hexdigest()


def reference(area: str, serial: int | None, at: datetime) -> str:
    """``inf_refmsgid``: the receiver's area (6), the time (14) and a serial (10)."""
    number = serial if serial is not None else secrets.randbelow(10**10)
    return f"{area}{at.astimezone(wire.CST):%Y%m%d%H%M%S}{number % 10**10:010d}"


def check_envelope(header: dict[str, Any], caller: str) -> Transaction:
    """NI-1: the envelope's own rules, before anything is looked up."""
    if header["fixmedins_code"] != caller:
        raise GongjiError("NI_INSTITUTION_MISMATCH", given=header["fixmedins_code"], caller=caller)
    for key, zh in (("mdtrtarea_admvs", "就医地医保区划"), ("insuplc_admdvs", "参保地医保区划")):
        value = header.get(key)
        if value is not None and not (len(value) == 6 and value.isascii() and value.isdigit()):
            raise GongjiError("NI_FIELD_INVALID", field=key, name_zh=zh, value=value, reason_zh="须为6位数字的区划代码",
                              reason_en="it is a 6-digit division code")
    if not header["msgid"].startswith(caller[:12]):
        raise GongjiError("NI_FIELD_INVALID", field="msgid", name_zh="发送方报文ID", value=header["msgid"],
                          reason_zh="须以本机构编号开头（机构编号+时间+顺序号）",
                          reason_en="it begins with the institution's code (code + time + sequence)")
    transaction = TRANSACTIONS.get(header["infno"])
    if transaction is None:
        raise GongjiError("NI_UNKNOWN_TRANSACTION", infno=header["infno"], supported="、".join(TRANSACTIONS))
    return transaction


def run(session: Session, env: Env, *, header: dict[str, Any], data: Any, received: datetime) -> Answer:
    """One message, in the caller's transaction: replay, or check and do it and keep the answer."""
    transaction = TRANSACTIONS[header["infno"]]
    institution = institutions.find(session, header["fixmedins_code"])
    if header["mdtrtarea_admvs"][:4] != institution.region_code[:4]:
        raise GongjiError("NI_FIELD_INVALID", field="mdtrtarea_admvs", name_zh="就医地医保区划",
                          value=header["mdtrtarea_admvs"], reason_zh=f"本机构位于 {institution.region_code}",
                          reason_en=f"the institution is in {institution.region_code}")
    if transaction.kind is not None and institution.kind != transaction.kind.value:
        own = InstitutionKind(institution.kind)
        hint = ("药店请使用 2101、2102、2103。", "Pharmacies use 2101, 2102 and 2103.") if own is _P else (
            "医疗机构请使用 2201 至 2208。", "Hospitals use 2201 to 2208.")
        raise GongjiError("NI_WRONG_INSTITUTION_KIND", infno=transaction.infno, kind_zh=transaction.kind.zh,
                          kind_en=transaction.kind.en, name=institution.name, own_zh=own.zh, own_en=own.en,
                          hint_zh=hint[0], hint_en=hint[1])
    if not isinstance(data, dict):
        raise GongjiError("NI_FIELD_REQUIRED" if wire.is_missing(data) else "NI_FIELD_INVALID", field="input",
                          name_zh="交易输入", value=type(data).__name__, reason_zh="须为 JSON 对象",
                          reason_en="it must be a JSON object")
    area = institution.region_code
    print_ = fingerprint(transaction.infno, data)
    if transaction.writes:
        earlier = _message(session, institution.code, header["msgid"], lock=True)
        if earlier is not None:
            if earlier.status == "reversed":
                raise GongjiError("NI_MESSAGE_REVERSED", msgid=header["msgid"])
            if earlier.fingerprint != print_:
                raise GongjiError("NI_MSGID_REUSED", msgid=header["msgid"], infno=earlier.infno)
            return Answer(output=earlier.answer, inf_refmsgid=earlier.inf_refmsgid, refmsg_time=earlier.refmsg_time,
                          respond_time=earlier.respond_time, replayed=True)
    msg = Message(session=session, env=env, institution=institution, header=header, now=env.now())
    if header.get("sign_no") and transaction.infno not in ("9001", "9002"):
        _signed_in(msg, header["sign_no"])
    output = wire.dumps(transaction.handler(msg, data))
    refmsg_time = wire.stamp(received)
    if not transaction.writes:
        return Answer(output=output, inf_refmsgid=reference(area, None, received), refmsg_time=refmsg_time,
                      respond_time=wire.stamp(env.now()))
    row = NiMessage(institution_code=institution.code, msgid=header["msgid"], infno=transaction.infno,
                    fingerprint=print_, person_id=msg.person_id, answer=output, status="answered",
                    received_at=received, visit_id=msg.visit_id, settlement_id=msg.settlement_id,
                    refmsg_time=refmsg_time)
    session.add(row)
    session.flush()
    row.inf_refmsgid = reference(area, row.id, received)
    row.respond_time = wire.stamp(env.now())
    session.flush()
    return Answer(output=output, inf_refmsgid=row.inf_refmsgid, refmsg_time=refmsg_time,
                  respond_time=row.respond_time)
