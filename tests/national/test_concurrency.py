"""Messages that race: the same settlement sent at once from several threads pays once (NI-1, N-10)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from gongji.errors import GongjiError
from gongji.national import service, tables, wire
from gongji.national.models import NiSettlement
from gongji.settlement.models import Settlement
from tests.national.conftest import fee_line, register_input, settle_input

THREADS = 6


def _prepared(api, hospital):
    w = api.world
    patient = w.person("李秀兰", current_fen=10_000)
    payer = w.person("王建国", current_fen=500_000)
    w.bind(payer, patient)
    mdtrt_id = hospital.ok("2201", register_input(patient), psn=patient)["data"]["mdtrt_id"]
    hospital.ok("2204", {"feedetail": [fee_line(patient, mdtrt_id, "1", "900.00")]}, psn=patient)
    return patient, payer, mdtrt_id


def _race(api, hospital, patient, mdtrt_id, msgids):
    """Run 2207 for each msgid at the same time, each in its own transaction; (answers, refusals)."""
    env = api.world.env
    data = wire.loads(__import__("tests.national.conftest", fromlist=["encode"]).encode(
        settle_input(patient, mdtrt_id, "900.00")).encode())

    def one(msgid):
        message = hospital.envelope("2207", data, psn=patient, msgid=msgid)
        header = wire.read(message, tables.ENVELOPE, node_name="message", node_zh="报文")
        try:
            return api.world.db.run(lambda s: service.run(s, env, header=header, data=data, received=env.now(),
                                                                server_key=b""))
        except GongjiError as error:
            return error

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(one, msgids))
    return [r for r in results if not isinstance(r, GongjiError)], [r for r in results if isinstance(r, GongjiError)]


def _settlements(api) -> tuple[int, int]:
    return api.world.db.read(lambda s: (s.execute(select(func.count()).select_from(Settlement)).scalar_one(),
                                        s.execute(select(func.count()).select_from(NiSettlement)).scalar_one()))


def test_one_message_sent_many_times_at_once_settles_once(api, hospital):
    """A repeated msgid is answered with the first answer, even when the repeats arrive together (NI-1, N-10)."""
    patient, payer, mdtrt_id = _prepared(api, hospital)
    before = api.world.total(patient) + api.world.total(payer)
    msgid = hospital.msgid()
    answers, refusals = _race(api, hospital, patient, mdtrt_id, [msgid] * THREADS)
    assert refusals == []
    assert len({a.output for a in answers}) == 1
    assert sum(not a.replayed for a in answers) == 1
    assert _settlements(api) == (1, 1)
    # 900.00: deductible 200.00, the fund 50% of 700.00 = 350.00; 550.00 from the accounts (HLJ policy).
    assert before - (api.world.total(patient) + api.world.total(payer)) == 55_000


def test_different_messages_for_one_batch_settle_it_once(api, hospital):
    """Two HIS terminals settling the same charge batch: one settles, the others find nothing left (N-10)."""
    patient, payer, mdtrt_id = _prepared(api, hospital)
    answers, refusals = _race(api, hospital, patient, mdtrt_id, [hospital.msgid() for _ in range(THREADS)])
    assert len(answers) == 1
    assert {e.code for e in refusals} == {"NI_NO_FEE_DETAILS"}
    assert _settlements(api) == (1, 1)
