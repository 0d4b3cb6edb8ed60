"""The counter console over HTTP, on both databases: staff log in, find a person, bind and unbind for him with
the region's document checklist, refund and cancel settlements, record a paper attestation, read the day report.

Rules: N-8 (offline at a counter, documents checked, the staff member recorded), HLJ-9 and SZ-4 (the regions'
checklists), HLJ-2 and D-4 (the re-bind date), HLJ-7 (the relative's name and ID number), HLJ-8 (unbinding),
HN-1 (families), N-9 (records both ways), HN-5 (a refund goes back where the money came from, also after the
binding ended), SZ-5 (the paper attestation), N-1 (only employees pay). Staff act only for people insured in
their region.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import select

from gongji.actors import Actor
from gongji.authorizations import service as authorizations
from gongji.authorizations.models import Binding
from gongji.events.models import Event
from gongji.people.ids import compose_id_number, mask
from gongji.settlement import service as settlements
from gongji.settlement.models import Refund
from tests.conftest import TODAY
from tests.factories import snapshot
from tests.web.helpers import by_testid, desk_fixture, field_error, notice, page_error  # noqa: F401

HARBIN_DOCS = {"doc_e_voucher": "yes", "doc_id_card": "yes", "doc_commitment_letter": "yes"}  # HLJ-9
HENAN_DOCS = {"doc_id_card": "yes", "doc_insurance_card": "yes", "doc_marriage_certificate": "yes",
              "doc_household_register": "yes"}
HOSPITAL = "H23010100001"


def bindings(world) -> list[Binding]:
    return world.db.read(lambda s: list(s.execute(select(Binding).order_by(Binding.id)).scalars()))


def binding_form(relative, relationship: str = "child", **extra: str) -> dict[str, str]:
    return {"name": relative.name, "id_number": relative.id_number, "phone": "13800138000",
            "relationship": relationship, "start_on": TODAY.isoformat(), "agreement": "yes", **extra}


def family_of_three(desk):
    """A father with 2,000 yuan and his son, Harbin; the staff member of Harbin logged in."""
    w = desk.world
    father = w.person("赵德胜", current_fen=200_000, born=date(1955, 3, 8), card_no="HA0001234")
    son = w.person("赵小明", born=date(1985, 7, 1), phone="13912345678")
    desk.log_in()
    return father, son


# -- logging in -------------------------------------------------------------------------------------

def test_staff_log_in_with_the_form_and_pages_need_a_login(desk):
    """Pages send a visitor to the login form; a wrong password is refused next to the field; the right one
    opens the console with the staff member's name; logging out ends it."""
    r = desk.get("/counter/report")
    assert r.status_code == 303 and r.headers["location"] == "/counter/login?next=/counter/report"
    desk.api.staff("S2301")
    r = desk.post("/counter/login", {"staff_id": "S2301", "password": "wrong-password"})
    assert r.status_code == 400 and field_error(r.text, "password")
    r = desk.post("/counter/login", {"staff_id": "S2301", "password": "counter-123", "next": "/counter/report"})
    assert r.status_code == 303 and r.headers["location"] == "/counter/report"
    page = desk.follow(r)
    assert page.status_code == 200 and "王经办（S2301）" in page.text
    r = desk.post("/counter/logout", token_from="/counter")
    assert r.status_code == 303 and r.headers["location"] == "/counter/login"
    assert desk.get("/counter").status_code == 303


def test_a_person_cannot_use_the_counter(desk):
    """Only staff: a person's login is not a staff login."""
    w = desk.world
    person = w.person("李秀兰", sex="F")
    desk.client.cookies.set("gongji_session", desk.api.person(person)["Authorization"].split()[1])
    r = desk.get("/counter")
    assert r.status_code == 303 and r.headers["location"].startswith("/counter/login")


# -- finding a person (N-8) ---------------------------------------------------------------------------

def test_find_by_id_number_card_number_and_name_with_birth_date(desk):
    """Each way finds the person; the page shows his ID number masked, never in full."""
    father, _ = family_of_three(desk)
    for query in ({"id_number": father.id_number}, {"card_no": "ha0001234"},
                  {"name": "赵德胜", "birth_date": "1955-03-08"}):
        r = desk.post("/counter", query, token_from="/counter")
        assert r.status_code == 200, (query, r.text)
        rows = by_testid(r.text)["person-row"]
        assert len(rows) == 1 and father.name in rows[0] and mask(father.id_number) in rows[0], query
        assert father.id_number not in r.text.replace(f"value=\"{father.id_number}\"", "")
        assert f'href="/counter/people/{father.id}"' in r.text


def test_find_refusals_are_shown_next_to_the_field(desk):
    """A malformed ID number, an unknown one, a name without a birth date: each told where it belongs."""
    desk.log_in()
    r = desk.post("/counter", {"id_number": "123"}, token_from="/counter")
    assert r.status_code == 400 and "身份证号码" in field_error(r.text, "id_number")
    unknown = compose_id_number("230102", date(1990, 1, 1), 999, "M")  # well formed, nobody's
    r = desk.post("/counter", {"id_number": unknown}, token_from="/counter")
    assert r.status_code == 400 and "未找到" in field_error(r.text, "id_number")
    r = desk.post("/counter", {"name": "赵德胜"}, token_from="/counter")
    assert r.status_code == 400 and field_error(r.text, "birth_date")
    r = desk.post("/counter", {"name": "没有这个人", "birth_date": "1955-03-08"}, token_from="/counter")
    assert r.status_code == 200 and by_testid(r.text)["no-results"]


def test_people_insured_outside_the_staff_members_region_are_refused(desk):
    """Staff of Harbin (2301) act only for people insured there: someone of Qiqihar (2302, same province) is
    refused by ID number and by card number (OUTSIDE_YOUR_REGION), left out of a search by name, and his page
    and his binding form are refused; nothing changes."""
    w = desk.world
    local = w.person("钱守业", born=date(1960, 1, 1))
    far = w.person("钱守业", city="qiqihar", born=date(1960, 1, 1), card_no="QQ0009876", current_fen=50_000)
    relative = w.person("钱小燕", city="qiqihar", sex="F", born=date(1988, 1, 1))
    desk.log_in()
    for query in ({"id_number": far.id_number}, {"card_no": "QQ0009876"}):
        r = desk.post("/counter", query, token_from="/counter")
        assert r.status_code == 403 and "不在您的管辖区域" in page_error(r.text), query
    r = desk.post("/counter", {"name": "钱守业", "birth_date": "1960-01-01"}, token_from="/counter")
    rows = by_testid(r.text)["person-row"]
    assert len(rows) == 1 and mask(local.id_number) in rows[0]
    assert desk.get(f"/counter/people/{far.id}").status_code == 403
    assert desk.get(f"/counter/people/{far.id}/bind").status_code == 403
    before = snapshot(w)
    r = desk.post(f"/counter/people/{far.id}/bind", binding_form(relative, "child", **HARBIN_DOCS))
    assert r.status_code == 403 and "不在您的管辖区域" in page_error(r.text)
    assert snapshot(w) == before


# -- the person's page (N-9, HN-1) --------------------------------------------------------------------

def test_the_person_page_shows_enrollment_balances_bindings_family_and_payments(desk):
    """A Henan householder: his family (HN-1), his binding as payer, a bill of his wife paid by him (N-9); her
    page shows the same payment from her side."""
    w = desk.world
    w.institution("H41010100001", city="zhengzhou")
    husband = w.person("孙建业", city="zhengzhou", current_fen=100_000, prior_fen=20_000, born=date(1970, 1, 1))
    wife = w.person("周桂芳", city="zhengzhou", sex="F", born=date(1972, 1, 1))
    staff = Actor.staff("T4101")

    def family(s, env):
        f = authorizations.create_family(s, env, householder_id_number=husband.id_number, name="孙家", actor=staff)
        authorizations.add_member(s, env, family_id=f.id, member_id_number=wife.id_number, relationship="spouse",
                                  actor=staff)

    w.run(family)
    desk.log_in("S4101", region_prefix="4101")
    r = desk.post(f"/counter/people/{husband.id}/bind", binding_form(wife, "spouse", **HENAN_DOCS))
    assert r.status_code == 303, page_error(r.text) or r.text
    w.settle(wife, 30_000, institution="H41010100001")

    page = desk.follow(r)
    assert notice(page.text) == "绑定成功，共济关系已生效。"
    shown = by_testid(page.text)
    assert shown["id-number"] == [mask(husband.id_number)] and husband.id_number not in page.text
    assert shown["current-year"] == ["700.00 元"] and shown["prior-years"] == ["200.00 元"]  # 1,000 less her 300
    assert shown["scheme"] == ["职工医保"] and shown["status"][0].startswith("正常参保")
    assert wife.name in shown["binding-payer"][0] and "生效中" in shown["binding-payer"][0]
    assert "孙家" in shown["family"][0] and wife.name in shown["family"][0] and "户主" in shown["family"][0]
    r = desk.get(f"/counter/people/{husband.id}")
    assert wife.name in by_testid(r.text)["paid-by-me"][0] and "300.00" in by_testid(r.text)["paid-by-me"][0]

    r = desk.get(f"/counter/people/{wife.id}")
    shown = by_testid(r.text)
    assert husband.name in shown["binding-beneficiary"][0]
    assert husband.name in shown["paid-for-me"][0] and "300.00" in shown["paid-for-me"][0]
    assert "300.00" in shown["bill"][0]


def test_english_switch(desk):
    father, _ = family_of_three(desk)
    r = desk.get(f"/counter/people/{father.id}?lang=en")
    assert "Personal account" in r.text and "employee insurance" in r.text


# -- assisted binding (N-8, HLJ-9, SZ-4) --------------------------------------------------------------

def test_assisted_binding_needs_every_document_of_the_checklist_and_records_the_staff_member(desk):
    """HLJ-9: the Heilongjiang checklist (e-voucher, ID card, commitment letter) shows as checkboxes; one not ticked
    is refused next to the checklist, naming it, and nothing is written; all ticked binds, with channel
    ``counter``, the staff member as operator, each document recorded as checked by him (N-8), the agreement of
    the region accepted (N-7)."""
    father, son = family_of_three(desk)
    w = desk.world
    r = desk.get(f"/counter/people/{father.id}/bind")
    assert r.status_code == 200
    for kind in ("e_voucher", "id_card", "commitment_letter"):
        assert f'name="doc_{kind}"' in r.text
    assert "共济账户授权协议" in r.text and "HLJ-2024.07" in r.text

    before = snapshot(w)
    partial = {k: v for k, v in HARBIN_DOCS.items() if k != "doc_commitment_letter"}
    r = desk.post(f"/counter/people/{father.id}/bind", binding_form(son, **partial),
                  token_from=f"/counter/people/{father.id}/bind")
    assert r.status_code == 400
    assert "家庭关系承诺书" in field_error(r.text, "documents")
    assert 'name="doc_id_card" value="yes" checked' in r.text  # what was ticked stays ticked
    assert snapshot(w) == before

    r = desk.post(f"/counter/people/{father.id}/bind", binding_form(son, **HARBIN_DOCS))
    assert r.status_code == 303 and r.headers["location"] == f"/counter/people/{father.id}"
    [binding] = bindings(w)
    assert (binding.payer_id, binding.beneficiary_id, binding.relationship) == (father.id, son.id, "child")
    assert (binding.channel, binding.operator_kind, binding.operator_id) == ("counter", "staff", "S2301")
    assert binding.agreement_version == "HLJ-2024.07"
    assert sorted((d.kind, d.checked_by) for d in w.db.read(
        lambda s: list(s.get(Binding, binding.id).documents))) == [
        ("commitment_letter", "S2301"), ("e_voucher", "S2301"), ("id_card", "S2301")]
    event = w.db.read(lambda s: s.execute(select(Event).where(Event.kind == "binding.created")).scalar_one())
    assert (event.actor_kind, event.actor_id, event.channel) == ("staff", "S2301", "counter")
    assert sorted(event.data["documents"]) == ["commitment_letter", "e_voucher", "id_card"]
    assert "经办窗口" in by_testid(desk.follow(r).text)["binding-payer"][0]


def test_assisted_binding_refusals_in_place(desk):
    """HLJ-7: the relative's name must be the one registered with the ID number; the agreement must be accepted
    (N-7); a bad phone number; an unknown ID number: each shown next to its field, nothing written."""
    father, son = family_of_three(desk)
    w = desk.world
    before = snapshot(w)
    url = f"/counter/people/{father.id}/bind"
    cases = [
        (binding_form(son, name="赵大明", **HARBIN_DOCS), "name", "姓名不一致"),
        (binding_form(son, agreement="", **HARBIN_DOCS), "agreement", "共济账户授权协议"),
        (binding_form(son, phone="12345", **HARBIN_DOCS), "phone", "11位"),
        (binding_form(son, relationship="", **HARBIN_DOCS), "relationship", ""),
        (binding_form(son, end_on=TODAY.isoformat(), **HARBIN_DOCS), "end_on", ""),
    ]
    for form, field, words in cases:
        r = desk.post(url, form)
        assert r.status_code == 400, (field, r.text)
        message = field_error(r.text, field)
        assert message and words in message, (field, message, page_error(r.text))
    assert snapshot(w) == before


def test_a_resident_enrollee_cannot_be_a_payer_at_the_counter(desk):
    """N-1: the page offers no binding for a resident enrollee, and a posted form is refused."""
    w = desk.world
    grandma = w.person("吴玉珍", scheme="resident", sex="F", born=date(1945, 1, 1))
    grandson = w.person("吴浩", born=date(2000, 1, 1))
    desk.log_in()
    r = desk.get(f"/counter/people/{grandma.id}")
    assert f"/counter/people/{grandma.id}/bind" not in r.text
    r = desk.post(f"/counter/people/{grandma.id}/bind", binding_form(grandson, "grandchild", **HARBIN_DOCS))
    assert r.status_code == 400 and "职工" in page_error(r.text)


def test_shenzhen_counter_checklist_is_its_own(desk):
    """SZ-4: the Shenzhen counter swipes the insurance card and checks the ID card; the form asks for those."""
    w = desk.world
    payer = w.person("黄志强", city="shenzhen", current_fen=600_000, born=date(1975, 1, 1))
    desk.log_in("S4403", region_prefix="4403")
    r = desk.get(f"/counter/people/{payer.id}/bind")
    boxes = sorted(set(re.findall(r'name="(doc_[a-z_]+)"', r.text)))
    assert boxes == ["doc_id_card", "doc_insurance_card"]


# -- unbinding (HLJ-8, HLJ-2) ---------------------------------------------------------------------------

def test_staff_unbind_and_the_page_shows_when_binding_again_is_possible(desk):
    """HLJ-8: staff end a binding from the person's page, for the beneficiary here; the reason is ``by_staff``
    with the staff member and the channel ``counter``; HLJ-2 and D-4: the page shows the re-bind date, today +
    30 days in Heilongjiang."""
    father, son = family_of_three(desk)
    w = desk.world
    binding_id = w.bind(father, son, "child")
    r = desk.post(f"/counter/bindings/{binding_id}/unbind", {"person_id": str(son.id), "note": "本人申请"})
    assert r.status_code == 303 and r.headers["location"] == f"/counter/people/{son.id}"
    page = desk.follow(r)
    assert notice(page.text) == "已解除绑定。"
    assert by_testid(page.text)["rebind-date"] == [f"可再次绑定日期：{(TODAY + timedelta(days=30)).isoformat()}"]
    [binding] = bindings(w)
    assert (binding.ended_on, binding.end_reason, binding.ended_by_kind, binding.ended_by_id, binding.end_note) == (
        TODAY, "by_staff", "staff", "S2301", "本人申请")
    event = w.db.read(lambda s: s.execute(select(Event).where(Event.kind == "binding.ended")).scalar_one())
    assert (event.actor_id, event.channel) == ("S2301", "counter")

    r = desk.post(f"/counter/bindings/{binding_id}/unbind", {"person_id": str(son.id)})
    assert r.status_code == 400 and "已" in page_error(r.text)  # BINDING_ENDED, shown on the person's page
    r = desk.post(f"/counter/people/{father.id}/bind", binding_form(son, **HARBIN_DOCS))
    assert r.status_code == 400 and (TODAY + timedelta(days=30)).isoformat() in field_error(r.text, "id_number")


def test_a_binding_of_another_region_cannot_be_ended_here(desk):
    w = desk.world
    payer = w.person("郑国强", city="zhengzhou", current_fen=10_000, born=date(1970, 1, 1))
    wife = w.person("郑丽", city="zhengzhou", sex="F", born=date(1972, 1, 1))
    binding_id = w.db.run(lambda s: _henan_binding(s, w.env, payer, wife))
    desk.log_in()
    before = snapshot(w)
    r = desk.post(f"/counter/bindings/{binding_id}/unbind", {"person_id": str(payer.id)})
    assert r.status_code == 403
    assert snapshot(w) == before


def _henan_binding(s, env, payer, wife) -> int:
    staff = Actor.staff("T4101")
    family = authorizations.create_family(s, env, householder_id_number=payer.id_number, name="郑家", actor=staff)
    authorizations.add_member(s, env, family_id=family.id, member_id_number=wife.id_number, relationship="spouse",
                              actor=staff)
    return authorizations.bind(s, env, payer_id_number=payer.id_number, beneficiary_id_number=wife.id_number,
                               relationship="spouse", actor=payer.actor, agreement_version="HN-2023.01",
                               documents=[{"kind": "marriage_certificate", "file_ref": "proof-1.jpg"}]).id


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


# -- CSRF -----------------------------------------------------------------------------------------------

def test_a_form_without_the_pages_csrf_token_is_refused_before_anything_is_done(desk):
    """A form from another site (no token, or a wrong one) binds, unbinds and refunds nothing; the browser is
    sent back to the page with a notice to submit again."""
    father, son = family_of_three(desk)
    w = desk.world
    w.institution(HOSPITAL)
    binding_id = w.bind(father, son, "child")
    settled = w.settle(son, 10_000)
    other = w.person("赵小红", sex="F", born=date(1988, 1, 1))
    before = snapshot(w)
    attempts = [
        (f"/counter/people/{father.id}/bind", binding_form(other, **HARBIN_DOCS), f"/counter/people/{father.id}/bind"),
        (f"/counter/bindings/{binding_id}/unbind", {"person_id": str(father.id)}, f"/counter/people/{father.id}"),
        (f"/counter/settlements/{settled.settlement_id}/refund", {"amount": "1.00"},
         f"/counter/settlements/{settled.settlement_id}"),
        (f"/counter/settlements/{settled.settlement_id}/cancel", {}, f"/counter/settlements/{settled.settlement_id}"),
        ("/counter/attestation", {"signed": "yes"}, "/counter/attestation"),
    ]
    for url, form, lands in attempts:
        for token in ({}, {"csrf": "0" * 32}):
            r = desk.client.post(url, data={**form, **token}, follow_redirects=False)
            assert r.status_code == 303 and r.headers["location"] == url, (url, r.status_code)
            page = desk.client.get(url)  # the browser follows: the stale form's page, with the notice
            assert page.url.path == lands
            assert notice(page.text) == "页面已过期，请重新提交。", url
    assert snapshot(w) == before
    desk.client.cookies.delete("gongji_session")
    r = desk.client.post("/counter/login", data={"staff_id": "S2301", "password": "counter-123"},
                         follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/counter/login" and "gongji_session" not in r.cookies
