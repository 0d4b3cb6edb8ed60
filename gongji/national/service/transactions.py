"""The transactions served: their numbers, names, handlers and who may send them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gongji.national.service.cancelling import cancel_pharmacy, cancel_settlement, reverse
from gongji.national.service.fee_query import query_fee_details
from gongji.national.service.message import Message
from gongji.national.service.person import person_info
from gongji.national.service.person_queries import query_accumulation, query_diagnoses, query_visits
from gongji.national.service.queries import query_settlement, reconcile
from gongji.national.service.settling import pharmacy_pre_settle, pharmacy_settle, pre_settle, settle
from gongji.national.service.signin import sign_in, sign_out
from gongji.national.service.visits import cancel_fees, cancel_registration, register, upload_fees, visit_info
from gongji.terms import InstitutionKind


@dataclass(frozen=True)
class Transaction:
    infno: str
    zh: str
    en: str
    handler: Callable[[Message, dict[str, Any]], dict[str, Any] | list[dict[str, Any]]]
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
    Transaction("5201", "就诊信息查询", "visit query", query_visits, False),
    Transaction("5202", "诊断信息查询", "diagnosis query", query_diagnoses, False),
    Transaction("5203", "结算信息查询", "settlement query", query_settlement, False),
    Transaction("5204", "费用明细查询", "fee detail query", query_fee_details, False),
    Transaction("5206", "人员累计信息查询", "accumulated information", query_accumulation, False),
    Transaction("3201", "医药机构费用结算对总账", "reconciliation of totals", reconcile, False),
)}
