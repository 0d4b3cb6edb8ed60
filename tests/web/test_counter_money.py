"""Money at the counter, over HTTP on both databases: refunds and cancellation going back where the money came from
(HN-5, also after the binding ended), the paper attestation (SZ-5), and the day report by channel (N-8, N-9).
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from gongji.authorizations import service as authorizations
from gongji.events.models import Event
from gongji.settlement import service as settlements
from gongji.settlement.models import Refund
from tests.conftest import TODAY
from tests.factories import snapshot
from tests.web.counter_world import HARBIN_DOCS, HOSPITAL, binding_form, bindings
from tests.web.helpers import by_testid, desk_fixture, field_error, notice, page_error  # noqa: F401

# -- refunds and cancellation (HN-5) ------------------------------------------------------------------

def test_refund_part_then_cancel_shows_where_the_money_went_back(desk):
    """A bill of 800 yuan: the son's own 100, his father's 500, cash 200 (N-10). A partial refund of 250 returns
    cash first (200), then the father's account (50); after the binding has ended, cancelling returns the
    rest to the accounts that paid: the father 450, the son 100 (HN-5). The page shows each refund and where it
    went; the same form sent twice refunds once."""
    w = desk.world
    w.institution(HOSPITAL)
    father = w.person("赵德胜", current_fen=50_000, born=date(1955, 3, 8))
    son = w.person("赵小明", current_fen=10_000, born=date(1985, 7, 1))
    binding_id = w.bind(father, son, "child")
    settled = w.settle(son, 80_000)
    assert (settled.own_fen, settled.mutual_aid_fen, settled.cash_fen) == (10_000, 50_000, 20_000)
    desk.log_in()

    r = desk.get(f"/counter/settlements?settlement_id={settled.settlement_id}")
    assert r.status_code == 303 and r.headers["location"] == f"/counter/settlements/{settled.settlement_id}"
    url = f"/counter/settlements/{settled.settlement_id}"
    page = desk.get(url)
    parts = by_testid(page.text)["part"]
    assert "本人账户" in parts[0] and "100.00" in parts[0] and father.name in parts[1] and "500.00" in parts[1]
    assert "200.00" in by_testid(page.text)["part-cash"][0]

    form = {"amount": "250.00", "reason": "退药", "key": "form-key-0001"}
    r = desk.post(f"{url}/refund", form, token_from=url)
    assert r.status_code == 303 and r.headers["location"] == url
    assert desk.post(f"{url}/refund", form).status_code == 303  # sent twice: refunded once
    page = desk.follow(r)
    assert notice(page.text).startswith("退费已办理")
    shown = by_testid(page.text)
    assert shown["refund-amount"] == ["250.00"] and shown["refunded"] == ["250.00"]
    assert len(shown["refund-cash"]) == 1 and "200.00" in shown["refund-cash"][0]
    assert len(shown["refund-line"]) == 1 and father.name in shown["refund-line"][0]
    assert "50.00" in shown["refund-line"][0]
    assert shown["status"] == ["部分退费"]
    assert w.total(father) == 5_000 and w.total(son) == 0

    r = desk.post(f"/counter/bindings/{binding_id}/unbind", {"person_id": str(father.id)})
    assert r.status_code == 303
    r = desk.post(f"{url}/cancel", {"reason": "", "key": "form-key-0002"})
    assert r.status_code == 303
    page = desk.follow(r)
    assert notice(page.text).startswith("结算已撤销")
    shown = by_testid(page.text)
    assert shown["refund-amount"] == ["250.00", "550.00"] and shown["status"] == ["已全部退费"]
    second = shown["refund-line"][1:]
    assert any(father.name in line and "450.00" in line for line in second)
    assert any(son.name in line and "本人账户" in line and "100.00" in line for line in second)
    assert f'action="{url}/refund"' not in page.text  # nothing left to refund
    assert w.total(father) == 50_000 and w.total(son) == 10_000

    refunds = w.db.read(lambda s: list(s.execute(select(Refund).order_by(Refund.id)).scalars()))
    assert [(x.amount_fen, x.cash_fen, x.reason) for x in refunds] == [(25_000, 20_000, "退药"),
                                                                       (55_000, 0, "cancelled")]
    events = w.db.read(lambda s: list(s.execute(select(Event).where(Event.kind == "settlement.refunded")).scalars()))
    assert {(e.actor_kind, e.actor_id, e.channel) for e in events} == {("staff", "S2301", "counter")}


def test_refund_refusals_in_place(desk):
    """Not a yuan amount, more than is left, another region's settlement: refused, nothing changed."""
    w = desk.world
    w.institution(HOSPITAL)
    patient = w.person("钱多多", current_fen=5_000)
    settled = w.settle(patient, 10_000)
    desk.api.staff("S4101", region_prefix="4101")
    desk.log_in()
    url = f"/counter/settlements/{settled.settlement_id}"
    before = snapshot(w)
    for amount, words in (("12.345", "元"), ("abc", "元"), ("0", "元"), ("100.01", "超过可退金额")):
        r = desk.post(f"{url}/refund", {"amount": amount})
        assert r.status_code == 400 and words in field_error(r.text, "amount"), amount
    assert snapshot(w) == before
    desk.log_in("S4101", region_prefix="4101")  # Zhengzhou's staff: not their region's settlement
    before = snapshot(w)
    r = desk.get(url)
    assert r.status_code == 403
    r = desk.post(f"{url}/cancel", {})
    assert r.status_code == 403
    assert snapshot(w) == before
    r = desk.get("/counter/settlements?settlement_id=x1")
    assert r.status_code == 400 and field_error(r.text, "settlement_id")
    assert desk.get("/counter/settlements/999999").status_code == 404


# -- the paper attestation (SZ-5) ---------------------------------------------------------------------

def test_sz_5_a_paper_attestation_settles_one_bill_from_the_relatives_account(desk):
    """SZ-5: before any binding, the payer's signed attestation lets his account pay this one bill above his
    reserve line (SZ-1); unsigned is refused next to the box. The settlement is the hospital's, the staff member
    recorded as having taken the attestation at the hospital's insurance office; no binding is made."""
    w = desk.world
    w.institution("H44030100001", city="shenzhen")
    payer = w.person("黄志强", city="shenzhen", current_fen=500_000, born=date(1975, 1, 1))
    wife = w.person("林美玲", city="shenzhen", scheme="resident", sex="F", born=date(1978, 1, 1))
    desk.log_in("S4403", region_prefix="4403")
    page = desk.get("/counter/attestation")
    assert page.status_code == 200 and "深圳市" in page.text and "H44030100001" in page.text
    form = {"institution_code": "H44030100001", "patient_id_number": wife.id_number, "use": "outpatient",
            "amount": "300.00", "payer_id_number": payer.id_number, "relationship": "spouse",
            "phone": "13600000000", "key": "attest-key-0001"}
    before = snapshot(w)
    r = desk.post("/counter/attestation", form)
    assert r.status_code == 400 and "签名" in field_error(r.text, "signed")
    assert snapshot(w) == before

    r = desk.post("/counter/attestation", {**form, "signed": "yes"})
    assert r.status_code == 303, page_error(r.text) or r.text
    page = desk.follow(r)
    assert notice(page.text) == "书面承诺已登记，本次费用已结算。"
    shown = by_testid(page.text)
    assert payer.name in shown["attestation"][0] and "配偶" in shown["attestation"][0]
    assert payer.name in shown["part"][0] and "300.00" in shown["part"][0]
    assert w.total(payer) == 500_000 - 30_000 and bindings(w) == []
    event = w.db.read(lambda s: s.execute(select(Event).where(Event.kind == "settlement.attested")).scalar_one())
    assert (event.actor_kind, event.actor_id, event.channel) == ("staff", "S4403", "hospital_office")
    assert desk.post("/counter/attestation", {**form, "signed": "yes"}).status_code == 303  # sent twice: once
    assert w.total(payer) == 500_000 - 30_000

    r = desk.get(f"/counter/report?day={TODAY.isoformat()}")
    assert by_testid(r.text)["settlements-hospital_office"] == ["医院医保办 1 300.00 0.00 300.00 0.00"]


def test_attestation_is_refused_where_the_region_takes_none(desk):
    """Heilongjiang takes no paper attestations (ATTESTATION_NOT_OFFERED): bind the relative first."""
    w = desk.world
    w.institution(HOSPITAL)
    payer = w.person("赵德胜", current_fen=50_000, born=date(1955, 3, 8))
    son = w.person("赵小明", born=date(1985, 7, 1))
    desk.log_in()
    form = {"institution_code": HOSPITAL, "patient_id_number": son.id_number, "use": "outpatient",
            "amount": "10.00", "payer_id_number": payer.id_number, "relationship": "parent",
            "phone": "13600000000", "signed": "yes"}
    before = snapshot(w)
    r = desk.post("/counter/attestation", form)
    assert r.status_code == 400 and "不办理书面承诺" in page_error(r.text)
    r = desk.post("/counter/attestation", {**form, "patient_id_number": "230102199001011234"})
    assert r.status_code == 400 and field_error(r.text, "patient_id_number")
    assert snapshot(w) == before


# -- the day report -------------------------------------------------------------------------------------

def test_the_day_report_counts_bindings_settlements_and_refunds_by_channel(desk):
    """A day with known activity in Harbin: bindings made in the portal and at the counter, ended by a payer
    online and by staff; two bills; refunds at the counter and by the hospital. The day before and another
    region's activity are not counted (N-8)."""
    w = desk.world
    w.institution(HOSPITAL)
    w.institution("H41010100001", city="zhengzhou")
    a = w.person("甲", current_fen=100_000, born=date(1960, 1, 1))
    b = w.person("乙", sex="F", born=date(1962, 1, 1))
    c = w.person("丙", current_fen=100_000, born=date(1961, 1, 1))
    d = w.person("丁", sex="F", born=date(1963, 1, 1))
    e = w.person("戊", current_fen=100_000, born=date(1950, 1, 1))
    f = w.person("己", born=date(1980, 1, 1))
    g = w.person("庚", born=date(1990, 1, 1))
    henan = w.person("辛", city="zhengzhou", born=date(1990, 1, 1))

    w.env.clock.advance(days=-1)  # the day before: a binding and a bill
    yesterday_binding = w.bind(a, b)
    w.settle(b, 10_000)
    w.env.clock.advance(days=1)

    w.bind(c, d)  # today, in the portal
    desk.log_in()
    r = desk.post(f"/counter/people/{e.id}/bind", binding_form(f, "child", **HARBIN_DOCS))
    assert r.status_code == 303, page_error(r.text)
    cd = [x.id for x in bindings(w) if x.payer_id == c.id][0]
    assert desk.post(f"/counter/bindings/{cd}/unbind", {"person_id": str(c.id)}).status_code == 303
    w.run(lambda s, env: authorizations.unbind(s, env, binding_id=yesterday_binding, actor=a.actor))
    bill = w.settle(f, 80_000)  # e pays 800 for his son
    w.settle(g, 20_000)  # all cash
    w.settle(henan, 5_000, institution="H41010100001")  # another region
    r = desk.post(f"/counter/settlements/{bill.settlement_id}/refund", {"amount": "100.00"})
    assert r.status_code == 303
    w.run(lambda s, env: settlements.refund(s, env, institution_code=HOSPITAL, settlement_id=bill.settlement_id,
                                            idempotency_key="his-r-1", amount_fen=5_000))

    shown = by_testid(desk.get(f"/counter/report?day={TODAY.isoformat()}").text)
    assert shown["made-portal"] == ["网上服务大厅 1"] and shown["made-counter"] == ["经办窗口 1"]
    assert shown["made-total"] == ["2"]
    assert shown["ended-portal"] == ["网上服务大厅 1"] and shown["ended-counter"] == ["经办窗口 1"]
    assert shown["ended-total"] == ["2"]
    assert shown["settlements-institution"] == ["定点医药机构 2 1000.00 0.00 800.00 200.00"]
    assert shown["refunds-counter"] == ["经办窗口 1 100.00 100.00 0.00"]
    assert shown["refunds-institution"] == ["定点医药机构 1 50.00 50.00 0.00"]
    assert shown["refunds-total"] == ["合计 2 150.00 150.00 0.00"]

    yesterday = (TODAY - timedelta(days=1)).isoformat()
    shown = by_testid(desk.get(f"/counter/report?day={yesterday}").text)
    assert shown["made-portal"] == ["网上服务大厅 1"] and shown["ended-total"] == ["0"]
    assert shown["settlements-total"] == ["合计 1 100.00 0.00 100.00 0.00"]
    assert "refunds-counter" not in shown

    desk.log_in("A0001", region_prefix="", role="admin")  # the whole instance: Henan's bill counted too
    shown = by_testid(desk.get(f"/counter/report?day={TODAY.isoformat()}").text)
    assert shown["settlements-institution"] == ["定点医药机构 3 1050.00 0.00 800.00 250.00"]
    r = desk.get("/counter/report?day=2025-13-01")
    assert r.status_code == 400 and field_error(r.text, "day")


def test_the_day_report_defaults_to_today(desk):
    desk.log_in()
    r = desk.get("/counter/report")
    assert r.status_code == 200 and f'value="{TODAY.isoformat()}"' in r.text
    assert by_testid(r.text)["made-total"] == ["0"]
