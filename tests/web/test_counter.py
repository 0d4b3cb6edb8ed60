"""The counter console over HTTP, on both databases: staff log in, find a person, bind and unbind for him with
the region's document checklist (refunds, the paper attestation and the day report: test_counter_money.py).

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
from tests.conftest import TODAY
from tests.factories import snapshot
from tests.web.counter_world import HARBIN_DOCS, HENAN_DOCS, HOSPITAL, binding_form, bindings, family_of_three
from tests.web.helpers import by_testid, desk_fixture, field_error, notice, page_error  # noqa: F401

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
