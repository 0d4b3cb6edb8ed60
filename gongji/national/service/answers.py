"""The output nodes several transactions answer with (NI-4): ``setlinfo`` in its forms, ``setldetail``, fee lines."""

from __future__ import annotations

from typing import Any

from gongji.national import codes, wire
from gongji.national.models import NiSettlement, NiVisit
from gongji.national.service.message import Message, age, psn_no_of
from gongji.people import service as people
from gongji.people.models import Person


def _chrgitm_type(med_list_codg: str) -> str:
    """医疗收费项目类别, from the first letter of the national list code (the project keeps no catalogue):
    X western medicine 09, Z Chinese patent medicine 11, T decoction pieces 10, C medical consumables 08,
    anything else (medical services) 14."""
    return {"X": "09", "Z": "11", "T": "10", "C": "08"}.get(med_list_codg[:1].upper(), "14")


def line_split(row: dict[str, Any], *, limited: bool) -> dict[str, Any]:
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


def people_fields(person: Person) -> dict[str, Any]:
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


def setlinfo(msg: Message, row: NiSettlement, person: Person, *, settled: bool,
              hospital: bool = True) -> dict[str, Any]:
    """NI-4 ``setlinfo`` of 2206/2207 (and 2101/2102 without ``hosp_part_amt``)."""
    y = wire.yuan
    base = people_fields(person)
    info: dict[str, Any] = {}
    if settled:
        info["setl_id"] = str(row.id)
    if row.visit_id is not None:
        info["mdtrt_id"] = str(row.visit_id)
    info.update({
        "psn_no": base["psn_no"], "psn_name": base["psn_name"], "psn_cert_type": base["psn_cert_type"],
        "certno": base["certno"], "gend": base["gend"], "brdy": base["brdy"],
        "age": age(person.birth_date, row.setl_on), "insutype": row.insutype, "psn_type": base["psn_type"],
        "cvlserv_flag": "0", "setl_time": wire.time_text(row.setl_time), "mdtrt_cert_type": row.mdtrt_cert_type,
        "med_type": row.med_type,
    })
    info.update(_fund_fields(row))
    info.update({"psn_part_amt": y(row.psn_part_fen), "acct_pay": y(row.acct_pay_fen),
                 "psn_cash_pay": y(row.psn_cash_fen)})
    if hospital:
        info["hosp_part_amt"] = y(row.hosp_part_fen)
    info.update({"balc": y(row.balc_fen), "acct_mulaid_pay": y(row.acct_mulaid_fen), "medins_setl_id": row.msgid,
                 "clr_optins": row.clr_optins, "clr_way": codes.CLEARING_BY_ITEM, "clr_type": row.clr_type})
    return info


def short_setlinfo(msg: Message, row: NiSettlement) -> dict[str, Any]:
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


def pharmacy_cancel_setlinfo(msg: Message, row: NiSettlement) -> dict[str, Any]:
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


def query_setlinfo(msg: Message, row: NiSettlement, person: Person) -> dict[str, Any]:
    """5203's ``setlinfo`` (``psn_pay`` / ``cash_payamt``; ``refd_setl_flag`` 1 for a cancellation)."""
    y = wire.yuan
    enrollment = people.enrollment_of(person)
    visit = msg.session.get(NiVisit, row.visit_id)
    base = people_fields(person)
    info = {"setl_id": str(row.id), "mdtrt_id": str(row.visit_id), **{k: base[k] for k in (
        "psn_no", "psn_name", "psn_cert_type", "certno", "gend", "brdy")},
        "age": age(person.birth_date, row.setl_on), "insutype": row.insutype, "psn_type": base["psn_type"],
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


def setldetail(row: NiSettlement) -> list[dict[str, Any]]:
    """The pooled fund's line of the settlement (none when the fund had no part to play)."""
    if row.fund_pay_fen == 0 and row.act_pay_dedc_fen == 0:
        return []
    code, name = codes.fund_pay_type(row.insutype)
    return [{"fund_pay_type": code, "inscp_scp_amt": wire.yuan(row.inscp_scp_fen),
             "crt_payb_lmt_amt": wire.yuan(row.fund_cap_left_fen), "fund_payamt": wire.yuan(row.fund_pay_fen),
             "fund_pay_type_name": name,
             "setl_proc_info": f"起付线 {wire.yuan(row.act_pay_dedc_fen)}，支付比例 {wire.ratio(row.pool_ratio_permille)}"}]
