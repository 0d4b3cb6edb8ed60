"""PP-1 through the national interface: 2207 settles with the same code as the service, so a payer's monthly limit
holds for a hospital's HIS too, on both databases."""

from __future__ import annotations

from datetime import date

from gongji.authorizations import changes
from tests.national.conftest import fen, open_visit, settle_input


def test_pp_1_2207_pays_from_the_payer_at_most_his_monthly_limit(api, hospital):
    w = api.world
    payer = w.person("张建国", born=date(1960, 3, 1), current_fen=100_000)
    patient = w.person("张丽", born=date(1990, 5, 1), sex="F")
    binding_id = w.bind(payer, patient, "child")
    w.run(lambda s, env: changes.set_monthly_limit(s, env, binding_id=binding_id, monthly_limit_fen=1_500,
                                                   actor=payer.actor))
    paid = []
    for n, amount in enumerate(("100.00", "100.00", "100.00")):
        mdtrt_id = open_visit(hospital, patient, [amount], ipt_otp_no=f"MZ10{n}")
        info = hospital.ok("2207", settle_input(patient, mdtrt_id, amount), psn=patient)["setlinfo"]
        borne = fen(info["acct_pay"]) + fen(info["psn_cash_pay"])
        room = 1_500 - sum(paid)
        assert fen(info["acct_mulaid_pay"]) == min(borne, room)
        paid.append(fen(info["acct_mulaid_pay"]))
    assert sum(paid) == 1_500 and paid[-1] == 0
    assert w.total(payer) == 100_000 - 1_500
