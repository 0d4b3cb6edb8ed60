"""A pharmacy purchase (2101, 2102, 2103) as a real client's field tables write it, on both databases (NI-3, NI-4).

The two HIS clients read for issue 15 serve hospitals only (neither sends 2101-2103). The one public client found
with the pharmacy's tables is a C# one (namespace ``OnlineBusHos244_GJYB``, ``Models/T2102``): its ``druginfo`` and
``drugdetail`` classes carry every field as a ``string`` (amounts, counts and prices too), unset ones ``null``, plus
an ``expContent`` of its own; its ``RT2102`` classes name the output fields it reads. Gongji's tables (gongji/national/
tables.py ``DRUG_PURCHASE``, ``DRUG_DETAIL``) list exactly those input fields; this test sends them as that client
does and checks that every output field it reads is answered.
"""

from __future__ import annotations

from decimal import Decimal

from tests.national.conftest import totals


def names(text: str) -> list[str]:
    return text.split()


#: The output fields ``RT2102`` reads, node by node (``setlinfo``, ``detlcutinfo[]``).
SETLINFO = names("setl_id mdtrt_id psn_no psn_name psn_cert_type certno gend brdy age insutype psn_type cvlserv_flag "
            "setl_time mdtrt_cert_type med_type medfee_sumamt fulamt_ownpay_amt overlmt_selfpay preselfpay_amt "
            "inscp_scp_amt act_pay_dedc hifp_pay pool_prop_selfpay cvlserv_pay hifes_pay hifmi_pay hifob_pay maf_pay "
            "oth_pay fund_pay_sumamt psn_part_amt acct_pay psn_cash_pay balc acct_mulaid_pay medins_setl_id "
            "clr_optins clr_way clr_type")
DETLCUTINFO = names("feedetl_sn det_item_fee_sumamt cnt pric pric_uplmt_amt selfpay_prop fulamt_ownpay_amt overlmt_amt "
               "preselfpay_amt inscp_scp_amt chrgitm_lv med_chrgitm_type bas_medn_flag hi_nego_drug_flag "
               "chld_medc_flag list_sp_item_flag drt_reim_flag memo")


def purchase(p) -> dict:
    """``T2102.Root`` as that client fills it: strings throughout, ``null`` where it sets nothing."""
    def line(sn: str, cnt: str, pric: str, amount: str) -> dict:
        return {"feedetl_sn": sn, "rxno": None, "rx_circ_flag": "0", "fee_ocur_time": "2025-06-02 10:00:00",
                "med_list_codg": "XA01BAA001", "medins_list_codg": "YP" + sn, "det_item_fee_sumamt": amount,
                "cnt": cnt, "pric": pric, "sin_dos_dscr": None, "used_frqu_dscr": None, "prd_days": None,
                "medc_way_dscr": None, "bilg_dr_codg": None, "bilg_dr_name": None, "tcmdrug_used_way": None}

    return {"druginfo": {"psn_no": str(p.id), "mdtrt_cert_type": "02", "mdtrt_cert_no": p.id_number,
                         "begntime": "2025-06-02 10:00:00", "medfee_sumamt": "62.50", "invono": None,
                         "insutype": "310", "dise_codg": None, "dise_name": None, "acct_used_flag": "1",
                         "med_type": "41", "expContent": None},
            "drugdetail": [line("1", "2", "12.50", "25.00"), line("2", "3", "12.5", "37.50")]}


def test_ni_3_a_pharmacy_client_that_writes_every_field_as_text(api, pharmacy, family):
    """2101 and 2102 of that client's shape are taken; every field it reads is answered; 2103 gives it back."""
    patient, father = family
    before = totals(api, patient, father)
    pre = pharmacy.ok("2101", purchase(patient), psn=patient)
    out = pharmacy.ok("2102", purchase(patient), psn=patient)
    assert set(SETLINFO) - {"setl_id", "mdtrt_id"} <= set(pre["setlinfo"])  # 2101 settles nothing, opens no visit
    assert set(SETLINFO) <= set(out["setlinfo"]), sorted(set(SETLINFO) - set(out["setlinfo"]))
    for cut in out["detlcutinfo"]:
        assert set(DETLCUTINFO) <= set(cut), sorted(set(DETLCUTINFO) - set(cut))
    assert [c["feedetl_sn"] for c in out["detlcutinfo"]] == ["1", "2"]
    info = out["setlinfo"]
    assert info["medfee_sumamt"] == Decimal("62.50") and info["fund_pay_sumamt"] == Decimal("0.00")
    assert info["acct_pay"] + info["psn_cash_pay"] == Decimal("62.50")
    assert totals(api, patient, father) != before
    pharmacy.ok("2103", {"data": {"setl_id": info["setl_id"], "mdtrt_id": info["mdtrt_id"],
                                  "psn_no": str(patient.id)}}, psn=patient)
    assert totals(api, patient, father) == before
