"""The standard's input tables, field by field (``docs/national-interface-fields.md`` gives their sources).

Only what the project reads is listed; fields a table has and the project does not use (``dev_no``,
``exp_content``, the diagnosis doctor's name …) are accepted and ignored. Required flags follow the
standard; where the sources disagree, the choice is the one that document records.
"""

from __future__ import annotations

from gongji.national.codes import CERT_TYPES, SETTLEMENT_WAYS
from gongji.national.wire import amount, day, moment, number, text

CERT_TYPE = text("mdtrt_cert_type", "就诊凭证类型", 3, required=True, choices=tuple(CERT_TYPES))
CERT_NO = text("mdtrt_cert_no", "就诊凭证编号", 50, required=True)
PSN_NO = text("psn_no", "人员编号", 30, required=True)
MDTRT_ID = text("mdtrt_id", "就诊ID", 30, required=True)
INSUTYPE = text("insutype", "险种类型", 6, required=True)
ACCT_USED = text("acct_used_flag", "个人账户使用标志", 1, required=True, choices=("0", "1"))
MED_TYPE = text("med_type", "医疗类别", 6, required=True)

#: NI-1 the envelope (InputPost).
ENVELOPE = (
    text("infno", "交易编号", 6, required=True),
    text("msgid", "发送方报文ID", 30, required=True),
    text("mdtrtarea_admvs", "就医地医保区划", 6, required=True),
    text("insuplc_admdvs", "参保地医保区划", 6),
    text("recer_sys_code", "接收方系统代码", 10, required=True),
    text("dev_no", "设备编号", 100),
    text("dev_safe_info", "设备安全信息", 2000),
    text("cainfo", "数字签名信息", 1024),
    text("signtype", "签名类型", 10),
    text("infver", "接口版本号", 6, required=True),
    text("opter_type", "经办人类别", 3, required=True, choices=("1", "2", "3")),
    text("opter", "经办人", 30, required=True),
    text("opter_name", "经办人姓名", 50, required=True),
    moment("inf_time", "交易时间", required=True),
    text("fixmedins_code", "定点医药机构编号", 30, required=True),
    text("fixmedins_name", "定点医药机构名称", 200, required=True),
    text("sign_no", "交易签到流水号", 30),
)

SIGN_IN = (
    text("opter_no", "操作员编号", 20, required=True),
    text("mac", "签到MAC地址", 20),
    text("ip", "签到IP地址", 20, required=True),
)

SIGN_OUT = (
    text("sign_no", "签到编号", 30),
    text("opter_no", "操作员编号", 20, required=True),
)

#: NI-2 1101 input ``data``.
PERSON_QUERY = (
    CERT_TYPE,
    CERT_NO,
    text("card_sn", "卡识别码", 32),
    moment("begntime", "开始时间"),
    text("psn_cert_type", "人员证件类型", 6),
    text("certno", "证件号码", 50),
    text("psn_name", "人员姓名", 50),
)

#: NI-3 2201 input ``data``.
REGISTRATION = (
    PSN_NO,
    INSUTYPE,
    moment("begntime", "开始时间", required=True),
    CERT_TYPE,
    CERT_NO,
    text("ipt_otp_no", "住院/门诊号", 30, required=True),
    text("atddr_no", "医师编码", 30, required=True),
    text("dr_name", "医师姓名", 50, required=True),
    text("dept_code", "科室编码", 30, required=True),
    text("dept_name", "科室名称", 100, required=True),
    text("caty", "科别", 6, required=True),
)

REGISTRATION_CANCEL = (PSN_NO, MDTRT_ID, text("ipt_otp_no", "住院/门诊号", 30, required=True))

#: 2203 / 2203A ``mdtrtinfo`` and ``diseinfo[]``.
VISIT_INFO = (
    MDTRT_ID,
    PSN_NO,
    MED_TYPE,
    moment("begntime", "开始时间", required=True),
    text("main_cond_dscr", "主要病情描述", 1000),
    text("dise_codg", "病种编码", 30),
    text("dise_name", "病种名称", 500),
)
DIAGNOSIS = (
    text("diag_type", "诊断类别", 3, required=True),
    number("diag_srt_no", "诊断排序号", 2, 0, required=True),
    text("diag_code", "诊断代码", 20, required=True),
    text("diag_name", "诊断名称", 100, required=True),
    text("diag_dept", "诊断科室", 50, required=True),
    text("dise_dor_no", "诊断医生编码", 30, required=True),
    text("dise_dor_name", "诊断医生姓名", 50, required=True),
    moment("diag_time", "诊断时间", required=True),
    text("vali_flag", "有效标志", 3, required=True),
)

_FEE_LINE = (
    text("feedetl_sn", "费用明细流水号", 30, required=True),
    text("rxno", "处方号", 30),
    text("rx_circ_flag", "外购处方标志", 3, required=True),
    moment("fee_ocur_time", "费用发生时间", required=True),
    text("med_list_codg", "医疗目录编码", 50, required=True),
    text("medins_list_codg", "医药机构目录编码", 150, required=True),
    amount("det_item_fee_sumamt", "明细项目费用总额", required=True),
    number("cnt", "数量", 16, 4, required=True),
    number("pric", "单价", 16, 6, required=True),
)

#: 2204 ``feedetail[]``.
FEE_DETAIL = (
    *_FEE_LINE[:1],
    MDTRT_ID,
    PSN_NO,
    text("chrg_bchno", "收费批次号", 30, required=True),
    *_FEE_LINE[1:],
    text("bilg_dept_codg", "开单科室编码", 30, required=True),
    text("bilg_dept_name", "开单科室名称", 100, required=True),
    text("bilg_dr_codg", "开单医生编码", 30, required=True),
    text("bilg_dr_name", "开单医师姓名", 50, required=True),
    text("hosp_appr_flag", "医院审批标志", 3, required=True),
)

FEE_CANCEL = (MDTRT_ID, text("chrg_bchno", "收费批次号", 30, required=True), PSN_NO)

#: NI-3 2206 input ``data``; 2207 adds the invoice number and the four self-paid amounts.
PRE_SETTLEMENT = (
    PSN_NO,
    CERT_TYPE,
    CERT_NO,
    MED_TYPE,
    amount("medfee_sumamt", "医疗费总额", required=True),
    text("psn_setlway", "个人结算方式", 6, required=True, choices=SETTLEMENT_WAYS),
    MDTRT_ID,
    text("chrg_bchno", "收费批次号", 30, required=True),
    ACCT_USED,
    INSUTYPE,
)
SCOPE_AMOUNTS = (
    amount("fulamt_ownpay_amt", "全自费金额", required=True),
    amount("overlmt_selfpay", "超限价金额", required=True),
    amount("preselfpay_amt", "先行自付金额", required=True),
    amount("inscp_scp_amt", "符合政策范围金额", required=True),
)
SETTLEMENT = (*PRE_SETTLEMENT, text("invono", "发票号", 20), *SCOPE_AMOUNTS)

#: NI-5 2208 / 2103 input ``data``.
CANCELLATION = (text("setl_id", "结算ID", 30, required=True), MDTRT_ID, PSN_NO)

#: 2101 / 2102 header (``druginfo``) and ``drugdetail[]``.
DRUG_PURCHASE = (
    PSN_NO,
    CERT_TYPE,
    CERT_NO,
    moment("begntime", "开始时间", required=True),
    amount("medfee_sumamt", "医疗费总额", required=True),
    text("invono", "发票号", 20),
    INSUTYPE,
    text("dise_codg", "病种编码", 30),
    text("dise_name", "病种名称", 500),
    ACCT_USED,
    MED_TYPE,
)
DRUG_DETAIL = (
    *_FEE_LINE,
    text("sin_dos_dscr", "单次剂量描述", 200),
    text("used_frqu_dscr", "使用频次描述", 200),
    number("prd_days", "周期天数", 4, 2),
    text("medc_way_dscr", "用药途径描述", 200),
    text("bilg_dr_codg", "开单医生编码", 30),
    text("bilg_dr_name", "开单医师姓名", 50),
    text("tcmdrug_used_way", "中药使用方式", 6),
)

#: NI-5 2601 input ``data``.
REVERSAL = (
    PSN_NO,
    text("omsgid", "原发送方报文ID", 30, required=True),
    text("oinfno", "原交易编号", 6, required=True),
)

#: 5203 input ``data``.
SETTLEMENT_QUERY = (PSN_NO, text("setl_id", "结算ID", 30, required=True), text("mdtrt_id", "就诊ID", 30))

#: 5204 费用明细查询 input ``data``: the fee details of one settlement.
FEE_QUERY = (PSN_NO, text("setl_id", "结算ID", 30, required=True), text("mdtrt_id", "就诊ID", 30, required=True))

#: NI-6 3201 input ``data``.
RECONCILIATION = (
    INSUTYPE,
    text("clr_type", "清算类别", 6, required=True),
    text("setl_optins", "结算经办机构", 6, required=True),
    day("stmt_begndate", "对账开始日期", required=True),
    day("stmt_enddate", "对账结束日期", required=True),
    amount("medfee_sumamt", "医疗费总额", required=True),
    amount("fund_pay_sumamt", "基金支付总额", required=True),
    amount("acct_pay", "个人账户支付金额", required=True),
    number("fixmedins_setl_cnt", "定点医药机构结算笔数", 10, 0, required=True),
    text("refd_setl_flag", "退费结算标志", 3, choices=("0", "1")),
)

#: 5201 就诊信息查询 input ``data``: the person's visits at the institution in a period.
VISIT_QUERY = (
    PSN_NO,
    moment("begntime", "开始时间", required=True),
    moment("endtime", "结束时间"),
    text("med_type", "医疗类别", 6),
    text("mdtrt_id", "就诊ID", 30),
)

#: 5206 人员累计信息查询 input ``data``: the person's accumulated figures of a year (``cum_ym`` yyyyMM).
ACCUMULATION_QUERY = (PSN_NO, text("cum_ym", "累计年月", 6))

#: 5202 诊断信息查询 input ``data``: the diagnoses of one visit.
DIAGNOSIS_QUERY = (MDTRT_ID, PSN_NO)
