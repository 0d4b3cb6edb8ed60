"""What a national-interface settlement (2207) costs next to a core settlement, measured in one run.

    .venv/bin/python scripts/ni_probe.py sqlite 500      # database, settlements of each kind
    .venv/bin/python scripts/ni_probe.py postgres 500    # needs the local PostgreSQL (creates gongji_ni_probe)

Both kinds run in-process, one after the other, on the same database and the same people (Beijing, national
default; every patient has a bound payer): the core's ``settlement.settle`` of the personal part, and the
whole 2207 message through ``gongji.national.service.run`` (envelope, msgid store, visit lock, fee details,
pooled fund, core settlement, answer). Visits and fee details are made beforehand and not timed. Prints the
throughput and p50 / p99 of each and their ratio: a rough probe on a shared machine, not the benchmark harness.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gongji.clock import CST, FixedClock  # noqa: E402
from gongji.db import Database  # noqa: E402
from gongji.env import Env  # noqa: E402
from gongji.national import service, tables, wire  # noqa: E402
from gongji.policy import load_policies  # noqa: E402
from gongji.settlement import service as settlement  # noqa: E402
from tests.factories import World  # noqa: E402

POSTGRES = os.environ.get("GONGJI_PROBE_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
CODE = "H11010100001"


def database(kind: str) -> Database:
    if kind == "sqlite":
        return Database(f"sqlite:///{tempfile.mkdtemp()}/ni_probe.sqlite3")
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS gongji_ni_probe WITH (FORCE)"))
        conn.execute(text("CREATE DATABASE gongji_ni_probe"))
    return Database(POSTGRES.rsplit("/", 1)[0] + "/gongji_ni_probe")


def envelope(infno: str, seq: int, psn, data: dict) -> dict:
    return {"infno": infno, "msgid": f"{CODE}20250602100000{seq:04d}"[:30], "mdtrtarea_admvs": "110100",
            "insuplc_admdvs": psn.region_code, "recer_sys_code": "YBXT", "infver": "V1.0", "opter_type": "1",
            "opter": "01", "opter_name": "probe", "inf_time": "2025-06-02 10:00:00", "fixmedins_code": CODE,
            "fixmedins_name": "probe", "input": data}


def message(db: Database, env: Env, raw: dict) -> service.Answer:
    header = wire.read(raw, tables.ENVELOPE, node_name="message", node_zh="报文")
    service.check_envelope(header, CODE)
    return db.run(lambda s: service.run(s, env, header=header, data=raw["input"], received=env.now()))


def main() -> None:
    kind, count = sys.argv[1], int(sys.argv[2])
    db = database(kind)
    db.upgrade()
    env = Env(clock=FixedClock.on(date(2025, 6, 2)), policies=load_policies())
    world = World(db=db, env=env)
    world.institution(CODE, city="beijing")
    pairs = []
    for i in range(count):
        payer = world.person(f"付款{i}", city="beijing", current_fen=10_000_000,
                             born=date(1960, 1, 1) + timedelta(days=i))
        patient = world.person(f"病人{i}", city="beijing", current_fen=2_000, born=date(1990, 1, 1) + timedelta(days=i))
        world.bind(payer, patient)
        pairs.append(patient)
    seq = 0
    visits = []
    for patient in pairs:  # not timed: registration and fee details
        seq += 1
        reg = message(db, env, envelope("2201", seq, patient, {"data": {
            "psn_no": str(patient.id), "insutype": "310", "begntime": "2025-06-02 09:00:00",
            "mdtrt_cert_type": "02", "mdtrt_cert_no": patient.id_number, "ipt_otp_no": f"MZ{seq}",
            "atddr_no": "D1", "dr_name": "医生", "dept_code": "K1", "dept_name": "内科", "caty": "A03"}}))
        mdtrt_id = wire.loads(reg.output.encode())["data"]["mdtrt_id"]
        seq += 1
        message(db, env, envelope("2204", seq, patient, {"feedetail": [{
            "feedetl_sn": "1", "mdtrt_id": mdtrt_id, "psn_no": str(patient.id), "chrg_bchno": "B1",
            "rx_circ_flag": "0", "fee_ocur_time": "2025-06-02 09:10:00", "med_list_codg": "X1",
            "medins_list_codg": "Y1", "det_item_fee_sumamt": "600.00", "cnt": "1", "pric": "600",
            "bilg_dept_codg": "K1", "bilg_dept_name": "内科", "bilg_dr_codg": "D1", "bilg_dr_name": "医生",
            "hosp_appr_flag": "0"}]}))
        visits.append(mdtrt_id)

    core, national = [], []
    for i, patient in enumerate(pairs):
        start = time.perf_counter()
        db.run(lambda s, p=patient, i=i: settlement.settle(
            s, env, institution_code=CODE, patient_id_number=p.id_number, amount_fen=1_000, use="outpatient",
            idempotency_key=f"core-{i}"))
        core.append(time.perf_counter() - start)
    for patient, mdtrt_id in zip(pairs, visits, strict=True):
        seq += 1
        raw = envelope("2207", seq, patient, {"data": {
            "psn_no": str(patient.id), "mdtrt_cert_type": "02", "mdtrt_cert_no": patient.id_number, "med_type": "11",
            "medfee_sumamt": "600.00", "psn_setlway": "01", "mdtrt_id": mdtrt_id, "chrg_bchno": "B1",
            "acct_used_flag": "1", "insutype": "310", "fulamt_ownpay_amt": "0", "overlmt_selfpay": "0",
            "preselfpay_amt": "0", "inscp_scp_amt": "600.00"}})
        start = time.perf_counter()
        message(db, env, raw)
        national.append(time.perf_counter() - start)

    def line(name: str, samples: list[float]) -> float:
        ordered = sorted(samples)
        p50, p99 = statistics.median(ordered), ordered[int(len(ordered) * 0.99) - 1]
        rate = len(samples) / sum(samples)
        print(f"{name:<28} {rate:8.1f}/s   p50 {p50 * 1000:7.2f} ms   p99 {p99 * 1000:7.2f} ms")
        return rate

    print(f"{kind}, {count} of each, {time.strftime('%Y-%m-%d %H:%M', time.localtime())} "
          f"(clock {env.now().astimezone(CST):%Y-%m-%d})")
    core_rate = line("core settlement", core)
    ni_rate = line("2207 through the interface", national)
    print(f"ratio (2207 / core): {ni_rate / core_rate:.2f}")
    db.dispose()


if __name__ == "__main__":
    main()
