"""Two real HIS clients run a whole outpatient visit unchanged, on both databases (NI-1..NI-6).

Each client (tests/national/his_clients.py) writes its messages as its own serializer does and authenticates with
the national gateway's ``x-tif-*`` headers. One visit per client: 9001, 1101 (an ID-card read), 2201, 2203A, 2204,
2206, 2207, 5204, 2208; then 2206 and 2207 again and 2601 of that 2207; then 3201 with the totals the HIS has in its
own books, which treat a reversed (冲正) message as void: balanced.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text

from tests.national.conftest import PATH, answer, unchanged
from tests.national.his_clients import Client, OpenHis, Zebone, jackson, newtonsoft, x_tif

HARBIN_HOSPITAL = "H23010100001"
#: Zebone's 3201 names its clearing office as the constant 442000 (Zhongshan): its hospital is there.
ZHONGSHAN, ZHONGSHAN_HOSPITAL = "442000", "H44200000001"


def client(api, cls: type[Client], code: str, name: str, area: str) -> Client:
    auth = api.institution(code, city=area, name=name)
    return cls(api=api, code=code, name=name, area=area, token=auth.secret)


@pytest.fixture
def openhis(api) -> OpenHis:
    return client(api, OpenHis, HARBIN_HOSPITAL, "哈尔滨市第一医院", "230100")


@pytest.fixture
def zebone(api) -> Zebone:
    return client(api, Zebone, ZHONGSHAN_HOSPITAL, "中山市人民医院", ZHONGSHAN)


def at(his: Client, hh_mm: str) -> str:
    return f"{his.now():%Y-%m-%d} {hh_mm}:00"


# -- openhis: what its classes (Models/Input/Input_*.cs) carry, property by property --------------


def openhis_visit(his: OpenHis, p) -> dict[str, Any]:
    out = his.ok("9001", {"signIn": {"opter_no": "0001", "mac": "00:1A:2B:3C:4D:5E", "ip": "192.168.1.20"}})
    his.sign_no = out["signinoutb"]["sign_no"]
    info = his.ok("1101", {"data": {"mdtrt_cert_type": "02", "mdtrt_cert_no": p.id_number, "card_sn": "",
                                    "begntime": at(his, "09:20"), "psn_cert_type": "01", "certno": "",
                                    "psn_name": ""}})
    psn_no, insured = info["baseinfo"]["psn_no"], info["insuinfo"][0]
    region, insutype = insured["insuplc_admdvs"], insured["insutype"]
    reg = his.ok("2201", {"data": {
        "psn_no": psn_no, "insutype": insutype, "begntime": f"{his.now():%Y-%m-%d}T09:30:00",  # a DateTime
        "mdtrt_cert_type": "02", "mdtrt_cert_no": p.id_number, "ipt_otp_no": "2506020930001", "atddr_no": "D0012",
        "dr_name": "李医生", "dept_code": "0301", "dept_name": "内科门诊", "caty": "A03"}}, insuplc=region)
    mdtrt_id = reg["data"]["mdtrt_id"]
    his.ok("2203A", {"mdtrtinfo": {
        "mdtrt_id": mdtrt_id, "psn_no": psn_no, "med_type": "11", "begntime": at(his, "09:30"),
        "main_cond_dscr": "咳嗽三天", "dise_codg": "", "dise_name": "", "birctrl_type": "", "birctrl_matn_date": None,
        "matn_type": "", "geso_val": 0},
        "diseinfo": [{"diag_type": "1", "diag_srt_no": 1, "diag_code": "J06.900", "diag_name": "急性上呼吸道感染",
                      "diag_dept": "内科门诊", "dise_dor_no": "D0012", "dise_dor_name": "李医生",
                      "diag_time": at(his, "09:35"), "vali_flag": "1"}]}, insuplc=region)

    def line(sn: str, code: str, amount: str, cnt: str, pric: str) -> dict[str, Any]:
        return {"feedetl_sn": sn, "mdtrt_id": mdtrt_id, "psn_no": psn_no, "chrg_bchno": "CB2506020001",
                "dise_codg": "", "rxno": "", "rx_circ_flag": "0", "fee_ocur_time": at(his, "09:40"),
                "med_list_codg": code, "medins_list_codg": "YP" + sn, "det_item_fee_sumamt": Decimal(amount),
                "cnt": Decimal(cnt), "pric": Decimal(pric), "sin_dos_dscr": "", "used_frqu_dscr": "",
                "prd_days": Decimal("0"), "medc_way_dscr": "", "bilg_dept_codg": "0301", "bilg_dept_name": "内科门诊",
                "bilg_dr_codg": "D0012", "bilg_dr_name": "李医生", "acord_dept_codg": "", "acord_dept_name": "",
                "orders_dr_code": "", "orders_dr_name": "", "hosp_appr_flag": "0", "tcmdrug_used_way": "",
                "etip_flag": "", "etip_hosp_code": "", "dscg_tkdrug_flag": "", "matn_fee_flag": "",
                "exp_content": None}

    his.ok("2204", {"feedetail": [line("570", "XA01", "37.50", "3", "12.50"),
                                  line("571", "F0001", "25.00", "1", "25.00")]}, insuplc=region)
    common = {"psn_no": psn_no, "mdtrt_cert_type": "02", "mdtrt_cert_no": p.id_number, "med_type": "11",
              "medfee_sumamt": Decimal("62.50"), "psn_setlway": "01", "mdtrt_id": mdtrt_id,
              "chrg_bchno": "CB2506020001"}

    def settle() -> dict[str, Any]:
        pre = his.ok("2206", {"data": {**common, "acct_used_flag": "1", "insutype": insutype}},
                     insuplc=region)["setlinfo"]
        return his.ok("2207", {"data": {
            **common, "insutype": insutype, "acct_used_flag": "1", "invono": "",
            **{k: pre[k] for k in ("fulamt_ownpay_amt", "overlmt_selfpay", "preselfpay_amt", "inscp_scp_amt")}}},
            insuplc=region)["setlinfo"]

    first = settle()
    ids = {"psn_no": psn_no, "setl_id": first["setl_id"], "mdtrt_id": mdtrt_id}
    lines = his.ok("5204", {"data": ids}, insuplc=region)
    cancel = his.ok("2208", {"data": {"setl_id": first["setl_id"], "mdtrt_id": mdtrt_id, "psn_no": psn_no}},
                    insuplc=region)["setlinfo"]
    second = settle()
    his.ok("2601", {"data": {"psn_no": psn_no, "omsgid": his.last_msgid, "oinfno": "2207"}}, insuplc=region)
    return {"first": first, "cancel": cancel, "second": second, "lines": lines, "region": region}


def test_openhis_visit_runs_unchanged(api, openhis):
    """NI-1..NI-6 with openhis's habits: indented CRLF JSON, nulls, doubles, a DateTime's T, one URL, sign_no,
    x-tif headers; 3201 with refd_setl_flag 0 (settlements only) and 1 balances against the HIS's books."""
    p = api.world.person("王建国", current_fen=100_000)
    before = api.world.total(p)
    visit = openhis_visit(openhis, p)
    first, cancel, second = visit["first"], visit["cancel"], visit["second"]
    assert first["medfee_sumamt"] == Decimal("62.50") and first["acct_pay"] > 0
    assert second["setl_id"] != first["setl_id"] and cancel["medfee_sumamt"] == -first["medfee_sumamt"]
    assert [line["feedetl_sn"] for line in visit["lines"]] == ["570", "571"]
    assert sum(line["det_item_fee_sumamt"] for line in visit["lines"]) == first["medfee_sumamt"]
    assert api.world.total(p) == before  # 2208 and 2601 gave everything back
    bodies = {infno: body for infno, _, body in openhis.sent}
    assert bodies["9001"].startswith(b'{\r\n  "infno": "9001",\r\n') and b'"dev_no": null' in bodies["9001"]
    assert b'"begntime": "2025-06-02T09:30:00"' in bodies["2201"] and b'"geso_val": 0' in bodies["2203A"]
    assert b'"cnt": 3.0' in bodies["2204"] and b'"det_item_fee_sumamt": 37.5' in bodies["2204"]
    # the HIS's books: the first settlement and its cancellation; the reversed 2207 never happened
    for flag, books in (("0", [first]), ("1", [first, cancel])):
        stmt = openhis.ok("3201", {"data": {
            "insutype": "310", "clr_type": "11", "setl_optins": first["clr_optins"],
            "stmt_begndate": "2025-06-02", "stmt_enddate": "2025-06-02",
            "medfee_sumamt": sum(b["medfee_sumamt"] for b in books),
            "fund_pay_sumamt": sum(b["fund_pay_sumamt"] for b in books),
            "acct_pay": sum(b["acct_pay"] for b in books), "fixmedins_setl_cnt": len(books),
            "refd_setl_flag": flag}})["stmtinfo"]
        assert stmt["stmt_rslt"] == "0", (flag, stmt["stmt_rslt_dscr"])


# -- Zebone: its maps as NationalInsuranceService builds them ---------------------------------------


def zebone_visit(his: Zebone, p) -> dict[str, Any]:
    his.ok("9001", {"signIn": {"opterNo": "0001", "mac": "00-1A-2B-3C-4D-5E", "ip": "10.0.0.8"}})
    info = his.ok("1101", {"data": {"mdtrtCertType": "02", "mdtrtCertNo": p.id_number, "cardSn": None,
                                    "begntime": at(his, "09:20"), "psnCertType": "01", "certno": p.id_number,
                                    "psnName": p.name}})
    psn_no, insutype = info["baseinfo"]["psn_no"], info["insuinfo"][0]["insutype"]
    reg = his.ok("2201", {"data": {
        "psnNo": psn_no, "insutype": insutype, "begntime": at(his, "09:30"), "mdtrtCertType": "02",
        "mdtrtCertNo": p.id_number, "iptOtpNo": "OP0001", "atddrNo": "0102", "drName": "陈医生",
        "deptCode": "0101", "deptName": "全科门诊", "caty": "A01"}})
    mdtrt_id = reg["data"]["mdtrt_id"]
    his.ok("2203A", {"mdtrtinfo": {
        "mainCondDscr": "头痛", "diseCodg": "", "diseName": "", "birctrlType": "", "birctrlMatnDate": "",
        "matnType": "", "gesoVal": "", "mdtrtId": mdtrt_id, "medType": "11", "psnNo": psn_no,
        "begntime": at(his, "09:30")},
        "diseinfo": [{"diagType": "1", "diagSrtNo": 1, "diagCode": "R51.x00", "diagName": "头痛",
                      "diagDept": "全科门诊", "diseDorNo": "0102", "diseDorName": "陈医生",
                      "diagTime": at(his, "09:35"), "valiFlag": "1"}]})

    def line(sn: str, code: str, amount: float, cnt: float, pric: float) -> dict[str, Any]:
        return {"feedetlSn": sn, "mdtrtId": mdtrt_id, "psnNo": psn_no, "chrgBchno": "20250602001",
                "rxCircFlag": "0", "feeOcurTime": at(his, "09:40"), "medListCodg": code,
                "medinsListCodg": "Z" + sn, "detItemFeeSumamt": amount, "cnt": cnt, "pric": pric,
                "bilgDeptCodg": "0101", "bilgDeptName": "全科门诊", "bilgDrCodg": "0102", "bilgDrName": "陈医生",
                "hospApprFlag": "0", "nameCg": "诊查费" if code.startswith("F") else "阿莫西林胶囊"}

    his.ok("2204", {"feedetail": [line("1001", "F0001", 20.0, 1.0, 20.0), line("1002", "XJ01", 16.8, 2.0, 8.4)]})
    common = {"psnNo": psn_no, "mdtrtCertType": "02", "mdtrtCertNo": p.id_number, "medType": "11",
              "medfeeSumamt": 36.8, "psnSetlway": "01", "mdtrtId": mdtrt_id, "chrgBchno": "20250602001",
              "acctUsedFlag": "1", "insutype": insutype}

    def settle() -> dict[str, Any]:
        pre = his.ok("2206", {"data": common})["setlinfo"]
        return his.ok("2207", {"data": {**common, "invono": "", "fulamtOwnpayAmt": float(pre["fulamt_ownpay_amt"]),
                                        "overlmtSelfpay": float(pre["overlmt_selfpay"]),
                                        "preselfpayAmt": float(pre["preselfpay_amt"]),
                                        "inscpScpAmt": float(pre["inscp_scp_amt"])}})["setlinfo"]

    first = settle()
    lines = his.ok("5204", {"data": {"mdtrtId": mdtrt_id, "psnNo": psn_no, "setlId": first["setl_id"]}})
    cancel = his.ok("2208", {"data": {"mdtrtId": mdtrt_id, "psnNo": psn_no, "setlId": first["setl_id"]}})["setlinfo"]
    second = settle()
    his.ok("2601", {"data": {"psn_no": psn_no, "omsgid": his.last_msgid, "oinfno": "2207"}})
    return {"first": first, "cancel": cancel, "second": second, "lines": lines}


def test_zebone_visit_runs_unchanged(api, zebone):
    """NI-1..NI-6 with Zebone's habits: compact JSON in HashMap order, nulls dropped, doubles, one URL per
    transaction, x-tif headers; 5204 after each 2207; its 3201 (no refd_setl_flag, setl_optins 442000)."""
    p = api.world.person("李秀英", city=ZHONGSHAN, sex="F", current_fen=50_000)
    before = api.world.total(p)
    visit = zebone_visit(zebone, p)
    first, cancel = visit["first"], visit["cancel"]
    assert first["medfee_sumamt"] == Decimal("36.80") and [line["feedetl_sn"] for line in visit["lines"]] == [
        "1001", "1002"]
    assert api.world.total(p) == before
    bodies = {infno: body for infno, _, body in zebone.sent}
    assert b"null" not in bodies["2201"] and b"\n" not in bodies["2204"] and b'"cnt":2.0' in bodies["2204"]
    assert b'"name_cg"' in bodies["2204"] and b'"recer_sys_code":"01"' in bodies["2207"]
    books = [first, cancel]  # the reversed 2207 is void in the HIS's books
    stmt = zebone.ok("3201", {"data": {
        "insutype": "310", "clr_type": "11", "setl_optins": "442000", "stmt_begndate": "2025-06-02",
        "stmt_enddate": "2025-06-02", "medfee_sumamt": float(sum(b["medfee_sumamt"] for b in books)),
        "fund_pay_sumamt": float(sum(b["fund_pay_sumamt"] for b in books)),
        "acct_pay": float(sum(b["acct_pay"] for b in books)), "fixmedins_setl_cnt": len(books)}})["stmtinfo"]
    assert stmt["stmt_rslt"] == "0", stmt["stmt_rslt_dscr"]


# -- the gateway's authentication and the per-transaction URL ----------------------------------------


def test_x_tif_headers_authenticate_per_institution(api, openhis, zebone):
    """NI-1: x-tif-* as the clients compute them is accepted with the institution's own code and secret only: a
    wrong token, another institution's paasid, a stale timestamp and a repeated nonce are refused with 401 and
    change nothing; Gongji's own signature still works beside it."""
    message = {"infno": "9001", "msgid": openhis.msgid(), "mdtrtarea_admvs": "230100", "insuplc_admdvs": "",
               "recer_sys_code": "YBXT", "infver": "V1.0", "opter_type": "1", "opter": "0001",
               "opter_name": "收费员", "inf_time": "2025-06-02 10:00:00", "fixmedins_code": openhis.code,
               "fixmedins_name": openhis.name, "input": {"signIn": {"opter_no": "0001", "ip": "10.0.0.1"}}}
    body = newtonsoft(message).encode()
    now = int(api.world.env.now().timestamp())

    def send(headers: dict[str, str], path: str = PATH):
        return api.client.post(path, content=body, headers={"Content-Type": "application/json", **headers})

    refusals = {
        "a wrong token": x_tif("not-the-secret", openhis.code, now, "n0nce1"),
        "another institution's id": x_tif(openhis.token, zebone.code, now, "n0nce2"),
        "a stale timestamp": x_tif(openhis.token, openhis.code, now - 3600, "n0nce4"),
        "a short nonce": x_tif(openhis.token, openhis.code, now, "abc"),
        "no paasid": {k: v for k, v in x_tif(openhis.token, openhis.code, now, "n0nce5").items()
                      if k != "x-tif-paasid"},
    }
    for why, headers in refusals.items():
        response = send(headers)
        got = answer(response)
        assert response.status_code == 401 and got["infcode"] == -1, (why, got["err_msg"])
    # Zebone's own valid pair is Zebone: a message in openhis's name is refused as every such message is
    theirs = answer(send(x_tif(zebone.token, zebone.code, now, "n0nce3")))
    assert theirs["infcode"] == -1 and theirs["err_msg"].startswith("【NI_INSTITUTION_MISMATCH】")
    assert signed_in(api) == 0  # no refused message was done
    good = x_tif(openhis.token, openhis.code, now, "goodnonce")
    assert answer(send(good))["infcode"] == 0
    replay = send(good)
    assert replay.status_code == 401 and answer(replay)["err_msg"].startswith("【SIGNATURE_REPLAYED】")
    # Gongji's own signature beside it
    signed = api.client.post(PATH, content=newtonsoft({**message, "msgid": openhis.msgid()}).encode(),
                             auth=api.institution(openhis.code), headers={"Content-Type": "application/json"})
    assert answer(signed)["infcode"] == 0


def signed_in(api) -> int:
    return api.world.db.read(lambda s: s.execute(text("SELECT count(*) FROM ni_sign_ins")).scalar_one())


def test_per_transaction_url_must_name_the_envelopes_transaction(api, zebone):
    """NI-1: .../callService/<infno> is the same service; a path naming another transaction is refused, naming
    the field, and changes nothing."""
    message = {"infno": "9001", "msgid": zebone.msgid(), "mdtrtareaAdmvs": ZHONGSHAN, "recerSysCode": "01",
               "infver": "V1.0", "opterType": "1", "opter": "0001", "opterName": "收费员",
               "infTime": "2025-06-02 10:00:00", "fixmedinsCode": zebone.code, "fixmedinsName": zebone.name,
               "input": {"signIn": {"opterNo": "0001", "ip": "10.0.0.8"}}}
    body = jackson(message).encode()
    with unchanged(api.world):
        wrong = api.client.post(f"{PATH}/2207", content=body, headers=zebone.headers())
    got = answer(wrong)
    assert wrong.status_code == 200 and got["infcode"] == -1
    assert got["err_msg"].startswith("【NI_FIELD_INVALID】") and "infno" in got["err_msg"]
    right = api.client.post(f"{PATH}/9001", content=body, headers=zebone.headers())
    assert answer(right)["infcode"] == 0
