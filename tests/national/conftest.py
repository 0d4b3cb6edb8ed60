"""A hospital's or pharmacy's system (HIS) talking to the real application in the standard's envelope (NI-1).

Messages are built here by hand from the standard's field tables (``docs/national-interface-fields.md``),
not from anything the server says; answers are parsed with every number as a Decimal, so that ``12.30``
is checked as written.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from gongji.authorizations import service as authorizations
from tests.api import conftest as _api_fixtures
from tests.api.conftest import Api
from tests.factories import CITY, Person, World, snapshot

api = _api_fixtures.api  # the application over the test database, shared with the HTTP API tests

PATH = "/fsi/api/rsfComIfsService/callService"

HOSPITAL = "H23010100001"
PHARMACY = "P23010100001"
ZHENGZHOU_HOSPITAL = "H41010100001"

#: Tables a refused message may still touch: the signature's nonce is recorded before the message is read.
NOT_BUSINESS = ("seen_nonces",)


@dataclass
class His:
    """One institution's system: it signs, numbers its messages and keeps the envelope's constant fields."""

    api: Api
    code: str
    name: str
    area: str
    auth: Any
    _seq: itertools.count = field(default_factory=lambda: itertools.count(1))
    _otp: itertools.count = field(default_factory=lambda: itertools.count(1))
    last_msgid: str = ""

    def otp_no(self) -> str:
        """A new outpatient number (ipt_otp_no, 院内唯一流水)."""
        return f"MZ{next(self._otp):06d}"

    def msgid(self) -> str:
        """NI-1: institution code (12) + yyyyMMddHHmmss + a 4-digit sequence."""
        at = self.api.world.env.now().astimezone(__import__("gongji.clock", fromlist=["CST"]).CST)
        return f"{self.code}{at:%Y%m%d%H%M%S}{next(self._seq) % 10000:04d}"

    def envelope(self, infno: str, data: Any, *, psn: Person | None = None, **overrides: Any) -> dict[str, Any]:
        at = self.api.world.env.now().astimezone(__import__("gongji.clock", fromlist=["CST"]).CST)
        message = {
            "infno": infno, "msgid": self.msgid(), "mdtrtarea_admvs": self.area,
            "insuplc_admdvs": psn.region_code if psn else "", "recer_sys_code": "YBXT", "dev_no": "",
            "dev_safe_info": "", "cainfo": "", "signtype": "", "infver": "V1.0", "opter_type": "1",
            "opter": "0001", "opter_name": "收费员", "inf_time": f"{at:%Y-%m-%d %H:%M:%S}",
            "fixmedins_code": self.code, "fixmedins_name": self.name, "sign_no": "", "input": data,
        }
        message.update(overrides)
        return message

    def post(self, message: dict[str, Any] | bytes, *, headers: dict[str, str] | None = None, auth: Any = None):
        body = message if isinstance(message, bytes) else encode(message).encode()
        if isinstance(message, dict):
            self.last_msgid = message.get("msgid", "")
        return self.api.client.post(PATH, content=body, auth=auth if auth is not None else self.auth,
                                    headers={"Content-Type": "application/json", **(headers or {})})

    def exchange(self, infno: str, data: Any, *, psn: Person | None = None, headers: dict[str, str] | None = None,
                 **overrides: Any):
        """Send one message; return the message as sent and the raw HTTP response."""
        message = self.envelope(infno, data, psn=psn, **overrides)
        return message, self.post(message, headers=headers)

    def send(self, infno: str, data: Any, *, psn: Person | None = None, **overrides: Any) -> dict[str, Any]:
        """Send one message; return the answer with numbers as Decimals."""
        response = self.post(self.envelope(infno, data, psn=psn, **overrides))
        return answer(response)

    def ok(self, infno: str, data: Any, *, psn: Person | None = None, **overrides: Any) -> dict[str, Any]:
        """Send, expect infcode 0, return ``output``."""
        got = self.send(infno, data, psn=psn, **overrides)
        assert got["infcode"] == 0, got["err_msg"]
        return got["output"]

    def refused(self, infno: str, data: Any, code: str, *, psn: Person | None = None, **overrides: Any) -> str:
        """Send, expect HTTP 200, infcode -1 with the error ``code`` in err_msg and no change to any table;
        return err_msg."""
        with unchanged(self.api.world):
            _, response = self.exchange(infno, data, psn=psn, **overrides)
        assert response.status_code == 200, response.text
        got = answer(response)
        assert got["infcode"] == -1, got
        assert got["err_msg"].startswith(f"【{code}】"), got["err_msg"]
        assert got["output"] is None
        return got["err_msg"]


def encode(value: Any) -> str:
    """JSON with Decimals written exactly as given (``Decimal('12.30')`` → ``12.30``), as HIS clients send them."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{encode(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(encode(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def answer(response) -> dict[str, Any]:
    assert response.headers["content-type"].startswith("application/json"), response.text
    return json.loads(response.content, parse_float=Decimal)


def business(world: World) -> dict[str, list[str]]:
    """Every row of every table the interface's business keeps (all but :data:`NOT_BUSINESS`)."""
    rows = snapshot(world)
    for name in NOT_BUSINESS:
        rows.pop(name, None)
    return rows


@contextmanager
def unchanged(world: World) -> Iterator[None]:
    """The block changes no row of any business table (a refused message changes nothing)."""
    before = business(world)
    yield
    assert business(world) == before


def yuan(fen: int) -> Decimal:
    """Whole fen as yuan (数值型 16,2); compares equal to the answer's amount however it is written."""
    return Decimal(fen).scaleb(-2)


def fen(amount: str | Decimal) -> int:
    """A yuan amount as written in a message, in whole fen."""
    return int(Decimal(amount) * 100)


def institution(api: Api, code: str, name: str, *, city: str = "harbin", kind: str = "hospital") -> His:
    """The system of an institution in ``city`` (registered first if it is new)."""
    auth = api.institution(code, city=city, kind=kind, name=name)
    return His(api=api, code=code, name=name, area=CITY[city], auth=auth)


@pytest.fixture
def hospital(api: Api) -> His:
    auth = api.institution(HOSPITAL, name="哈尔滨市第一医院")
    return His(api=api, code=HOSPITAL, name="哈尔滨市第一医院", area="230100", auth=auth)


@pytest.fixture
def pharmacy(api: Api) -> His:
    auth = api.institution(PHARMACY, kind="pharmacy", name="哈尔滨市大药房")
    return His(api=api, code=PHARMACY, name="哈尔滨市大药房", area="230100", auth=auth)


@pytest.fixture
def zz_hospital(api: Api) -> His:
    """A Zhengzhou (Henan, 410100) hospital."""
    return institution(api, ZHENGZHOU_HOSPITAL, "郑州市第一人民医院", city="zhengzhou")


@pytest.fixture
def family(api: Api) -> tuple[Person, Person]:
    """A Harbin patient with 100.00 of her own and her father bound to her with 200.00: (patient, father)."""
    father = api.world.person("张建国", born=date(1960, 1, 1), current_fen=20_000)
    patient = api.world.person("张丽", sex="F", born=date(1990, 2, 2), current_fen=10_000)
    api.world.bind(father, patient, "child")
    return patient, father


def totals(api: Api, *people: Person) -> list[int]:
    """Each person's money, all his accounts together."""
    return [api.world.total(p) for p in people]


# -- Henan families (HN-1, HN-3): bindings only inside a family, with proof ---------------------------


def henan_family(world: World, householder: Person, *members: tuple[Person, str]) -> int:
    """HN-1: a family led by ``householder`` with ``members`` (person, relationship to the householder)."""

    def make(s, env):
        family = authorizations.create_family(s, env, householder_id_number=householder.id_number,
                                              name=f"{householder.name}家", actor=householder.actor)
        for member, relationship in members:
            authorizations.add_member(s, env, family_id=family.id, member_id_number=member.id_number,
                                      relationship=relationship, actor=householder.actor)
        return family.id

    return world.run(make)


def bind_in_family(world: World, payer: Person, beneficiary: Person, relationship: str) -> int:
    """HN-3: a binding inside the family, with the proof Henan asks for."""
    return world.bind(payer, beneficiary, relationship,
                      documents=[{"kind": "household_register", "file_ref": "upload/hukou.pdf"}])


# -- the standard's input nodes, filled with plausible values --------------------------------------


def person_query(p: Person | None = None, *, cert_type: str = "02", cert_no: str | None = None,
                 **extra: str) -> dict[str, Any]:
    """1101 ``data``: the card or voucher presented, and optionally the person's certificate number and name."""
    data = {"mdtrt_cert_type": cert_type, "mdtrt_cert_no": cert_no or (p.id_number if p else ""), "card_sn": "",
            "begntime": "", "psn_cert_type": "", "certno": "", "psn_name": ""}
    data.update(extra)
    return {"data": data}


def register_input(p: Person, *, ipt_otp_no: str = "MZ0001", cert_type: str = "02", cert_no: str | None = None,
                   insutype: str = "310") -> dict[str, Any]:
    return {"data": {"psn_no": str(p.id), "insutype": insutype, "begntime": "2025-06-02 09:30:00",
                     "mdtrt_cert_type": cert_type, "mdtrt_cert_no": cert_no or p.id_number,
                     "ipt_otp_no": ipt_otp_no, "atddr_no": "D001", "dr_name": "李医生", "dept_code": "K01",
                     "dept_name": "内科", "caty": "A03"}}


def fee_line(p: Person, mdtrt_id: str, sn: str, amount: str, *, cnt: str = "1", pric: str | None = None,
             batch: str = "B001", code: str = "XA01BAA001") -> dict[str, Any]:
    return {"feedetl_sn": sn, "mdtrt_id": mdtrt_id, "psn_no": str(p.id), "chrg_bchno": batch, "dise_codg": "",
            "rxno": "RX001", "rx_circ_flag": "0", "fee_ocur_time": "2025-06-02 09:40:00",
            "med_list_codg": code, "medins_list_codg": "YP0001", "det_item_fee_sumamt": Decimal(amount),
            "cnt": Decimal(cnt), "pric": Decimal(pric or amount), "sin_dos_dscr": "", "used_frqu_dscr": "",
            "prd_days": Decimal("0"), "medc_way_dscr": "", "bilg_dept_codg": "K01", "bilg_dept_name": "内科",
            "bilg_dr_codg": "D001", "bilg_dr_name": "李医生", "acord_dept_codg": "", "acord_dept_name": "",
            "orders_dr_code": "", "orders_dr_name": "", "hosp_appr_flag": "0", "tcmdrug_used_way": "",
            "etip_flag": "", "etip_hosp_code": "", "dscg_tkdrug_flag": "", "matn_fee_flag": ""}


def settle_input(p: Person, mdtrt_id: str, medfee: str, *, acct_used_flag: str = "1", batch: str = "B001",
                 final: bool = True, insutype: str = "310", scope: dict[str, str] | None = None) -> dict[str, Any]:
    data = {"psn_no": str(p.id), "mdtrt_cert_type": "02", "mdtrt_cert_no": p.id_number, "med_type": "11",
            "medfee_sumamt": Decimal(medfee), "psn_setlway": "01", "mdtrt_id": mdtrt_id, "chrg_bchno": batch,
            "acct_used_flag": acct_used_flag, "insutype": insutype}
    if final:
        data.update({"invono": "", "fulamt_ownpay_amt": Decimal("0"), "overlmt_selfpay": Decimal("0"),
                     "preselfpay_amt": Decimal("0"), "inscp_scp_amt": Decimal(medfee)})
        data.update({k: Decimal(v) for k, v in (scope or {}).items()})
    return {"data": data}


def drug_input(p: Person, lines: list[tuple[str, str, str]], *, medfee: str | None = None,
               acct_used_flag: str = "1", node: str = "druginfo") -> dict[str, Any]:
    """A pharmacy purchase: ``lines`` are (feedetl_sn, cnt, pric)."""
    detail = []
    total = Decimal("0")
    for sn, cnt, pric in lines:
        amount = (Decimal(cnt) * Decimal(pric)).quantize(Decimal("0.01"))
        total += amount
        detail.append({"feedetl_sn": sn, "rxno": "", "rx_circ_flag": "0", "fee_ocur_time": "2025-06-02 10:00:00",
                       "med_list_codg": "XA01BAA001", "medins_list_codg": "YP" + sn,
                       "det_item_fee_sumamt": amount, "cnt": Decimal(cnt), "pric": Decimal(pric),
                       "sin_dos_dscr": "", "used_frqu_dscr": "", "prd_days": Decimal("0"), "medc_way_dscr": "",
                       "bilg_dr_codg": "", "bilg_dr_name": "", "tcmdrug_used_way": ""})
    header = {"psn_no": str(p.id), "mdtrt_cert_type": "02", "mdtrt_cert_no": p.id_number,
              "begntime": "2025-06-02 10:00:00", "medfee_sumamt": Decimal(medfee) if medfee else total,
              "invono": "", "insutype": "310", "dise_codg": "", "dise_name": "", "acct_used_flag": acct_used_flag,
              "med_type": "41"}
    return {node: header, "drugdetail": detail}


def open_visit(his: His, p: Person, amounts: list[str] | tuple[str, ...] = ("300.00",), *, batch: str = "B001",
               ipt_otp_no: str | None = None) -> str:
    """2201 then 2204: a registered visit with one fee line per amount in ``batch``; its mdtrt_id."""
    mdtrt_id = his.ok("2201", register_input(p, ipt_otp_no=ipt_otp_no or his.otp_no()), psn=p)["data"]["mdtrt_id"]
    upload_fees(his, p, mdtrt_id, amounts, batch=batch)
    return mdtrt_id


def upload_fees(his: His, p: Person, mdtrt_id: str, amounts: list[str] | tuple[str, ...], *,
                batch: str = "B001") -> list[dict[str, Any]]:
    """2204: one line per amount, numbered ``{batch}-1``, ``{batch}-2`` …; the output's ``result``."""
    lines = [fee_line(p, mdtrt_id, f"{batch}-{i}", amount, batch=batch) for i, amount in enumerate(amounts, 1)]
    return his.ok("2204", {"feedetail": lines}, psn=p)["result"]


def cancel_input(p: Person, setl_id: str, mdtrt_id: str) -> dict[str, Any]:
    """2208 / 2103 ``data``."""
    return {"data": {"setl_id": setl_id, "mdtrt_id": mdtrt_id, "psn_no": str(p.id)}}


def reversal_input(p: Person, omsgid: str, oinfno: str) -> dict[str, Any]:
    """2601 ``data``."""
    return {"data": {"psn_no": str(p.id), "omsgid": omsgid, "oinfno": oinfno}}


def query_input(p: Person, setl_id: str, mdtrt_id: str | None = None) -> dict[str, Any]:
    """5203 ``data``."""
    return {"data": {"psn_no": str(p.id), "setl_id": setl_id, "mdtrt_id": mdtrt_id or ""}}


def pooled_fund(rule: Any, medfee_fen: int, *, deductible_met_fen: int = 0,
                fund_paid_fen: int = 0) -> tuple[int, int]:
    """NI-4, the region's outpatient pooling as the field reference states it: (act_pay_dedc, hifp_pay) in fen.

    The part of the bill above the deductible still unmet this year is paid at the ratio, floored to the fen,
    and never beyond what the annual cap leaves.
    """
    deductible = min(medfee_fen, max(0, rule.deductible_fen - deductible_met_fen))
    fund = (medfee_fen - deductible) * rule.ratio_permille // 1000
    return deductible, min(fund, max(0, rule.annual_cap_fen - fund_paid_fen))
