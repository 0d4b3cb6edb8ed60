#!/usr/bin/env python3
"""An outpatient visit and a pharmacy purchase, sent as a hospital's and a pharmacy's systems (HIS) send them.

Against a running Gongji (``gongji demo`` serves the demo database on http://127.0.0.1:8000)::

    python examples/his_visit.py --hospital-secret <secret of H23010100001> --pharmacy-secret <secret of P23010100001>

The hospital H23010100001 signs in (9001), reads the patient's ID card (1101), registers the visit (2201),
uploads the visit's diagnosis (2203) and two fee lines (2204), asks what the bill would cost (2206), settles
it (2207), looks the settlement up (5203) and cancels it (2208). The pharmacy P23010100001 then signs in,
reads the same card, prices a purchase of two drugs (2101), settles it (2102) and cancels it (2103). Both
sign out (9002). Every request and answer is printed; at the end a table shows who paid what.

The cancellations give every account its money back, so the script can be run again and again.

The default patient is 李秀兰 (230100197403080026 in the demo, insured in Harbin): her own account is empty after
the demo's story, and her husband 王建国 is bound to pay for her, so his account pays part of her bills
(``acct_mulaid_pay``) and the rest is cash. Any other insured person's ID number may be given with ``--patient``.

Secrets come from ``--hospital-secret`` / ``--pharmacy-secret`` or the environment variables
``GONGJI_HOSPITAL_SECRET`` / ``GONGJI_PHARMACY_SECRET``. The script exits with 0 when every step was done and
the figures add up, 1 when a step was refused or failed, 2 when it was called wrongly.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx

from gongji_tools.national.client import Answer, NationalClient, NationalError, dumps, yuan

#: The demo's institutions (``gongji demo``) and the default patient.
HOSPITAL, HOSPITAL_NAME = "H23010100001", "哈尔滨市第一医院"
PHARMACY, PHARMACY_NAME = "P23010100001", "康民大药房（中央大街店）"
PATIENT = "230100197403080026"
AREA = "230100"

NAMES = {
    "9001": ("签到", "sign-in"), "9002": ("签退", "sign-out"), "1101": ("人员信息获取", "person information"),
    "2201": ("门诊挂号", "outpatient registration"), "2203": ("门诊就诊信息上传", "visit information"),
    "2204": ("门诊费用明细信息上传", "fee detail upload"), "2206": ("门诊预结算", "outpatient pre-settlement"),
    "2207": ("门诊结算", "outpatient settlement"), "5203": ("结算信息查询", "settlement query"),
    "2208": ("门诊结算撤销", "outpatient settlement cancellation"), "2101": ("药店预结算", "pharmacy pre-settlement"),
    "2102": ("药店结算", "pharmacy settlement"), "2103": ("药店结算撤销", "pharmacy settlement cancellation"),
}

#: The fields of the summary, with the names 2103 gives them where they differ.
SUMMARY = (
    ("medfee_sumamt", None, "医疗费总额 the bill"),
    ("hifp_pay", None, "统筹基金支付 pooled fund"),
    ("acct_pay", None, "个人账户支付（含共济）personal accounts, mutual aid included"),
    ("acct_mulaid_pay", None, "其中共济账户支付 of which relatives' accounts (mutual aid)"),
    ("psn_cash_pay", "cash_payamt", "现金支付 cash"),
    ("balc", None, "患者本人账户余额 the patient's own balance after"),
)


class StepFailed(Exception):
    """A step was refused, or its figures do not add up."""


class Visit:
    """Runs the steps in order and prints each message; keeps the settlements for the summary."""

    def __init__(self, out: Callable[[str], None] = print) -> None:
        self.out = out
        self.number = 0
        self.settlements: dict[str, dict[str, Any]] = {}

    def step(self, his: NationalClient, infno: str, input: dict[str, Any] | None = None, *,
             insuplc_admdvs: str = "", send: Callable[[], Answer] | None = None) -> dict[str, Any]:
        """One message: heading, request, answer. Returns ``output``; raises StepFailed on a refusal."""
        self.number += 1
        zh, en = NAMES[infno]
        self.out("")
        self.out(f"── [{self.number:02d}] {infno} {zh} · {en} — {his.name} {his.code} " + "─" * 8)
        answer = send() if send else his.call(infno, input or {}, insuplc_admdvs=insuplc_admdvs)
        self.out("→ 请求 request")
        self.out(dumps(answer.request, indent=2))
        replayed = ", replayed" if answer.replayed else ""
        self.out(f"← 应答 answer (HTTP {answer.status_code}{replayed})")
        self.out(dumps(answer.body, indent=2))
        if not answer.ok:
            hint = ""
            if answer.status_code == 401:
                hint = "\n  请核对机构编号与密钥 · check the institution's code and secret (gongji demo prints them)"
            raise StepFailed(f"{infno} 被拒绝 refused: {answer.err_msg}{hint}")
        return answer.output or {}


def adds_up(infno: str, info: dict[str, Any]) -> None:
    """NI-4: the bill is the fund's part plus the person's; the person's is accounts plus cash."""
    person = info.get("psn_part_amt", info.get("psn_pay"))
    cash = info.get("psn_cash_pay", info.get("cash_payamt"))
    hospital = info.get("hosp_part_amt", Decimal("0.00"))
    problems = []
    if info["medfee_sumamt"] != info["fund_pay_sumamt"] + person + hospital:
        problems.append("medfee_sumamt ≠ fund_pay_sumamt + psn_part_amt + hosp_part_amt")
    if person != info["acct_pay"] + cash:
        problems.append("psn_part_amt ≠ acct_pay + psn_cash_pay")
    if abs(info["acct_mulaid_pay"]) > abs(info["acct_pay"]):
        problems.append("acct_mulaid_pay is not within acct_pay")
    if problems:
        raise StepFailed(f"{infno} 数额不符 the figures do not add up: " + "; ".join(problems))


def cancels(infno: str, cancellation: dict[str, Any], settlement: dict[str, Any]) -> None:
    """NI-5: a cancellation is the settlement with every amount negated, under a setl_id of its own."""
    for field, other, _label in SUMMARY[:-1]:
        back = cancellation.get(field, cancellation.get(other or field))
        paid = settlement.get(field, settlement.get(other or field))
        if back != -paid:
            raise StepFailed(f"{infno} {field} 为 is {back}, 应为 should be {-paid}")
    if cancellation["setl_id"] == settlement["setl_id"]:
        raise StepFailed(f"{infno} 撤销应有自己的 setl_id · a cancellation has its own setl_id")


def outpatient(visit: Visit, his: NationalClient, patient: str) -> None:
    """The hospital's part: 9001 → 1101 → 2201 → 2203 → 2204 → 2206 → 2207 → 5203 → 2208 → 9002."""
    now = his.now()
    at = f"{now:%Y-%m-%d %H:%M:%S}"
    visit.step(his, "9001", send=his.sign_in)

    person = visit.step(his, "1101", {"data": {
        "mdtrt_cert_type": "02", "mdtrt_cert_no": patient, "card_sn": "", "begntime": "",
        "psn_cert_type": "01", "certno": patient, "psn_name": ""}})
    psn_no, insured = person["baseinfo"]["psn_no"], person["insuinfo"][0]
    insutype, region = insured["insutype"], insured["insuplc_admdvs"]
    card = {"mdtrt_cert_type": "02", "mdtrt_cert_no": patient}

    number = f"MZ{now:%Y%m%d%H%M%S}{secrets.randbelow(10_000):04d}"  # the hospital's own outpatient number
    registered = visit.step(his, "2201", {"data": {
        "psn_no": psn_no, "insutype": insutype, "begntime": at, **card, "ipt_otp_no": number,
        "atddr_no": "D0101", "dr_name": "张医生", "dept_code": "A03", "dept_name": "内科", "caty": "A03"}},
        insuplc_admdvs=region)
    mdtrt_id = registered["data"]["mdtrt_id"]

    visit.step(his, "2203", {
        "mdtrtinfo": {"mdtrt_id": mdtrt_id, "psn_no": psn_no, "med_type": "11", "begntime": at,
                      "main_cond_dscr": "咳嗽、发热三天", "dise_codg": "", "dise_name": ""},
        "diseinfo": [{"diag_type": "1", "diag_srt_no": 1, "diag_code": "J06.900", "diag_name": "急性上呼吸道感染",
                      "diag_dept": "内科", "dise_dor_no": "D0101", "dise_dor_name": "张医生", "diag_time": at,
                      "vali_flag": "1"}]}, insuplc_admdvs=region)

    # Two lines of one charge batch: a consultation and ten vials of an antibiotic (codes are illustrative).
    batch = "01"
    lines = [("0001", "001102000010000", "YL0001", "1", "25.00"),
             ("0002", "XJ01DDA063B001010101445", "YP0417", "10", "47.50")]
    feedetail = [{
        "feedetl_sn": sn, "mdtrt_id": mdtrt_id, "psn_no": psn_no, "chrg_bchno": batch, "dise_codg": "",
        "rxno": "RX0001", "rx_circ_flag": "0", "fee_ocur_time": at, "med_list_codg": code,
        "medins_list_codg": own_code, "det_item_fee_sumamt": yuan(Decimal(cnt) * Decimal(pric)),
        "cnt": Decimal(cnt), "pric": Decimal(pric), "sin_dos_dscr": "", "used_frqu_dscr": "",
        "prd_days": Decimal("0"), "medc_way_dscr": "", "bilg_dept_codg": "A03", "bilg_dept_name": "内科",
        "bilg_dr_codg": "D0101", "bilg_dr_name": "张医生", "hosp_appr_flag": "0"}
        for sn, code, own_code, cnt, pric in lines]
    visit.step(his, "2204", {"feedetail": feedetail}, insuplc_admdvs=region)
    medfee = sum((line["det_item_fee_sumamt"] for line in feedetail), Decimal("0.00"))

    bill = {"psn_no": psn_no, **card, "med_type": "11", "medfee_sumamt": medfee, "psn_setlway": "01",
            "mdtrt_id": mdtrt_id, "chrg_bchno": batch, "acct_used_flag": "1", "insutype": insutype}
    quoted = visit.step(his, "2206", {"data": bill}, insuplc_admdvs=region)["setlinfo"]
    adds_up("2206", quoted)

    # 2207 sends the self-paid parts the pre-settlement gave.
    scope = {key: quoted[key] for key in ("fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt")}
    settled = visit.step(his, "2207", {"data": {**bill, "invono": "", **scope}}, insuplc_admdvs=region)["setlinfo"]
    adds_up("2207", settled)
    visit.settlements["2207"] = settled

    found = visit.step(his, "5203", {"data": {"psn_no": psn_no, "setl_id": settled["setl_id"],
                                              "mdtrt_id": mdtrt_id}}, insuplc_admdvs=region)["setlinfo"]
    if found["medfee_sumamt"] != settled["medfee_sumamt"] or found["acct_pay"] != settled["acct_pay"]:
        raise StepFailed("5203 与 2207 不一致 · the query does not show the settlement")

    cancelled = visit.step(his, "2208", {"data": {"setl_id": settled["setl_id"], "mdtrt_id": mdtrt_id,
                                                  "psn_no": psn_no}}, insuplc_admdvs=region)["setlinfo"]
    adds_up("2208", cancelled)
    cancels("2208", cancelled, settled)
    visit.settlements["2208"] = cancelled
    visit.step(his, "9002", send=his.sign_out)


def pharmacy(visit: Visit, his: NationalClient, patient: str) -> None:
    """The pharmacy's part: 9001 → 1101 → 2101 → 2102 → 2103 → 9002."""
    at = f"{his.now():%Y-%m-%d %H:%M:%S}"
    visit.step(his, "9001", send=his.sign_in)
    person = visit.step(his, "1101", {"data": {
        "mdtrt_cert_type": "02", "mdtrt_cert_no": patient, "card_sn": "", "begntime": "",
        "psn_cert_type": "01", "certno": patient, "psn_name": ""}})
    psn_no, insured = person["baseinfo"]["psn_no"], person["insuinfo"][0]
    region = insured["insuplc_admdvs"]

    # Three boxes of a statin and one of a Chinese patent medicine (codes are illustrative).
    lines = [("0001", "XC10AAA051A001010101445", "YP1001", "3", "58.00"),
             ("0002", "ZA12BAD0134010103834", "YP2001", "1", "32.60")]
    drugdetail = [{
        "feedetl_sn": sn, "rxno": "", "rx_circ_flag": "0", "fee_ocur_time": at, "med_list_codg": code,
        "medins_list_codg": own_code, "det_item_fee_sumamt": yuan(Decimal(cnt) * Decimal(pric)),
        "cnt": Decimal(cnt), "pric": Decimal(pric), "sin_dos_dscr": "每次1片", "used_frqu_dscr": "每日1次",
        "prd_days": Decimal("30"), "medc_way_dscr": "口服", "bilg_dr_codg": "", "bilg_dr_name": "",
        "tcmdrug_used_way": ""} for sn, code, own_code, cnt, pric in lines]
    druginfo = {"psn_no": psn_no, "mdtrt_cert_type": "02", "mdtrt_cert_no": patient, "begntime": at,
                "medfee_sumamt": sum((d["det_item_fee_sumamt"] for d in drugdetail), Decimal("0.00")),
                "invono": "", "insutype": insured["insutype"], "dise_codg": "", "dise_name": "",
                "acct_used_flag": "1", "med_type": "41"}
    quoted = visit.step(his, "2101", {"druginfo": druginfo, "drugdetail": drugdetail},
                        insuplc_admdvs=region)["setlinfo"]
    adds_up("2101", quoted)
    settled = visit.step(his, "2102", {"druginfo": druginfo, "drugdetail": drugdetail},
                         insuplc_admdvs=region)["setlinfo"]
    adds_up("2102", settled)
    visit.settlements["2102"] = settled
    cancelled = visit.step(his, "2103", {"data": {"setl_id": settled["setl_id"], "mdtrt_id": settled["mdtrt_id"],
                                                  "psn_no": psn_no}}, insuplc_admdvs=region)["setlinfo"]
    adds_up("2103", cancelled)
    cancels("2103", cancelled, settled)
    visit.settlements["2103"] = cancelled
    visit.step(his, "9002", send=his.sign_out)


def summary(visit: Visit) -> None:
    """Who paid what, per settlement and cancellation, in yuan."""
    out, rows = visit.out, visit.settlements
    out("")
    out("══ 结算汇总 · Summary: who paid what (yuan) " + "═" * 40)
    out(f"{'infno':<17}" + "".join(f"{infno:>10}" for infno in rows) + "   交易 transaction")
    out(f"{'setl_id':<17}" + "".join(f"{info['setl_id']:>10}" for info in rows.values()) + "   结算ID settlement id")
    for field, other, label in SUMMARY:
        values = "".join(f"{format(info.get(field, info.get(other or field)), 'f'):>10}" for info in rows.values())
        out(f"{field:<17}{values}   {label}")
    out("")
    out("acct_pay 含 acct_mulaid_pay：共济部分由与患者绑定的亲属账户支付，付款人由绑定决定，HIS 不指定。")
    out("acct_pay includes acct_mulaid_pay: relatives bound to the patient paid that part; the bindings decide who, "
        "not the HIS.")
    out("撤销是另一笔结算（金额取负，setl_id 不同），款项退回原支付账户。")
    out("A cancellation is a settlement of its own (amounts negated, its own setl_id); the money goes back to the "
        "accounts that paid.")


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="门诊就诊与药店购药示例 · An outpatient visit and a pharmacy purchase over the national interface.")
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the Gongji server (default: %(default)s)")
    parser.add_argument("--hospital", default=HOSPITAL, help="the hospital's code (default: %(default)s)")
    parser.add_argument("--hospital-name", default=HOSPITAL_NAME, help="its name (default: %(default)s)")
    parser.add_argument("--hospital-secret", default=os.environ.get("GONGJI_HOSPITAL_SECRET"),
                        help="its secret (default: $GONGJI_HOSPITAL_SECRET)")
    parser.add_argument("--pharmacy", default=PHARMACY, help="the pharmacy's code (default: %(default)s)")
    parser.add_argument("--pharmacy-name", default=PHARMACY_NAME, help="its name (default: %(default)s)")
    parser.add_argument("--pharmacy-secret", default=os.environ.get("GONGJI_PHARMACY_SECRET"),
                        help="its secret (default: $GONGJI_PHARMACY_SECRET)")
    parser.add_argument("--area", default=AREA, help="where both are, mdtrtarea_admvs (default: %(default)s)")
    parser.add_argument("--patient", default=PATIENT,
                        help="the patient's resident ID number (default: %(default)s, 李秀兰 of the demo)")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of err_msg (default: zh)")
    args = parser.parse_args(argv)
    for option in ("hospital_secret", "pharmacy_secret"):
        if not getattr(args, option):
            variable = "GONGJI_" + option.upper()
            parser.error(f"--{option.replace('_', '-')} or ${variable} is needed (gongji demo prints the secrets)")
    return args


def main(argv: list[str] | None = None) -> int:
    if (sys.stdout.encoding or "").lower().replace("-", "") != "utf8":
        sys.stdout.reconfigure(encoding="utf-8")
    args = arguments(argv)
    visit = Visit()
    common = {"area": args.area, "language": args.lang}
    try:
        with NationalClient(args.url, args.hospital, args.hospital_name, args.hospital_secret, **common) as his:
            outpatient(visit, his, args.patient)
        with NationalClient(args.url, args.pharmacy, args.pharmacy_name, args.pharmacy_secret, **common) as his:
            pharmacy(visit, his, args.patient)
    except StepFailed as failure:
        print(f"\n✗ {failure}", file=sys.stderr)
        return 1
    except (httpx.HTTPError, NationalError) as error:
        print(f"\n✗ 无法完成 could not finish ({args.url}): {error}", file=sys.stderr)
        return 1
    summary(visit)
    print("\n✓ 全部交易完成，金额勾稽相符 · every step done, the figures add up")
    return 0


if __name__ == "__main__":
    sys.exit(main())
