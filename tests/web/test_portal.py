"""The portal for insured people over HTTP (/portal), through the real application on both databases.

A test logs in through the login form, fetches each form's CSRF token from the page, posts the form as a
browser would (no JavaScript) and reads the answer: the redirect, the notice, the message next to a field,
the rows marked with ``data-testid``. Every refused form is checked for having changed nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from html import unescape
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from gongji.actors import Actor
from gongji.api.app import create_app
from gongji.api.settings import ApiSettings
from gongji.auth import service as auth
from gongji.authorizations import service as authorizations
from gongji.authorizations.models import Binding, BindingDocument
from gongji.people.ids import mask
from tests.conftest import TODAY
from tests.factories import Person, World, snapshot
from tests.web.helpers import by_testid, csrf_of, field_error, notice, page_error

SERVER_KEY = b"portal-test-server-key"
PASSWORD = "secret-123"
#: The smallest PNG there is: what a phone photo of a household register starts like.
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@dataclass
class Visitor:
    """One browser on the portal: cookies kept, forms posted with the CSRF token of the page they are on."""

    world: World
    client: TestClient
    uploads: Path

    def get(self, url: str, **kwargs) -> httpx.Response:
        return self.client.get(url, follow_redirects=False, **kwargs)

    def token(self, url: str) -> str:
        r = self.get(url)
        assert r.status_code == 200, (url, r.status_code, r.text[:500])
        return csrf_of(r.text)

    def post(self, url: str, data: dict[str, str] | None = None, *, form_page: str | None = None,
             files: dict | None = None) -> httpx.Response:
        """POST a form with the CSRF token from ``form_page`` (the page that shows the form; ``url`` if not told)."""
        fields = {"csrf": self.token(form_page or url), **(data or {})}
        return self.client.post(url, data=fields, files=files, follow_redirects=False)

    def log_in(self, person: Person, password: str = PASSWORD) -> None:
        """Set the person's password (as a counter does), then log in through the form."""
        self.world.run(lambda s, env: auth.set_person_password(s, env, person_id=person.id, password=password,
                                                               actor=Actor.system("tests")))
        self.client.cookies.delete("gongji_session")
        r = self.post("/portal/login", {"id_number": person.id_number, "password": password, "next": "/portal"})
        assert r.status_code == 303 and r.headers["location"] == "/portal", r.text[:500]

    def follow(self, response: httpx.Response) -> httpx.Response:
        assert response.status_code == 303, response.text[:1000]
        return self.get(response.headers["location"])


@pytest.fixture
def portal(world, tmp_path, monkeypatch) -> Iterator[Visitor]:
    """The real application over the test's database, and a browser on its portal. Uploads go to a temp folder."""
    monkeypatch.setenv("GONGJI_UPLOAD_DIR", str(tmp_path / "uploads"))
    monkeypatch.delenv("GONGJI_PORTAL_IDENTITY", raising=False)
    app = create_app(world.db, world.env, ApiSettings(server_key=SERVER_KEY, notify_sender=None))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Visitor(world=world, client=client, uploads=tmp_path / "uploads")


@pytest.fixture
def harbin(world) -> tuple[Person, Person]:
    """A Harbin payer with 3,000 yuan and his wife, who has no account of her own (Heilongjiang: HLJ-1..HLJ-9)."""
    return world.person("王建国", current_fen=300_000), world.person("李秀兰", sex="F")


def bind_form(relative: Person, **changes: str) -> dict[str, str]:
    form = {"name": relative.name, "id_number": relative.id_number, "phone": "13800138000",
            "relationship": "spouse", "start_on": TODAY.isoformat(), "end_on": "", "agreement": "yes"}
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def bindings(world: World) -> list[Binding]:
    return world.db.read(lambda s: list(s.execute(select(Binding).order_by(Binding.id)).scalars()))


def text_of(html: str) -> str:
    """The page's visible words, roughly: tags dropped, spaces folded."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# -- logging in, CSRF ------------------------------------------------------------------------------


def test_a_page_needs_a_login(portal):
    """The portal's pages send a visitor who is not logged in to the login page, and back afterwards."""
    r = portal.get("/portal/records")
    assert r.status_code == 303 and r.headers["location"] == "/portal/login?next=/portal/records"


def test_a_wrong_password_is_told_next_to_the_password(portal, harbin):
    """The login form says what was wrong next to the password field and keeps the ID number typed."""
    payer, _ = harbin
    portal.world.run(lambda s, env: auth.set_person_password(s, env, person_id=payer.id, password=PASSWORD,
                                                             actor=Actor.system("tests")))
    r = portal.post("/portal/login", {"id_number": payer.id_number, "password": "wrong-one", "next": "/portal"})
    assert r.status_code == 400
    assert "密码不正确" in field_error(r.text, "password")
    assert f'value="{payer.id_number}"' in r.text
    assert portal.get("/portal").status_code == 303  # not logged in


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(portal, harbin):
    """A POST without the page's token (another site's form) is refused before anything is read or written."""
    payer, wife = harbin
    portal.log_in(payer)
    before = snapshot(portal.world)
    for token in (None, "0" * 32):
        data = bind_form(wife) | ({"csrf": token} if token else {})
        r = portal.client.post("/portal/bind", data=data, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/portal/bind"
        assert "页面已过期" in notice(portal.follow(r).text)
    assert snapshot(portal.world) == before


# -- binding a relative (HLJ-6, HLJ-7, N-7) --------------------------------------------------------


def test_hlj_7_the_bind_form_shows_my_data_and_the_agreement(portal, harbin):
    """HLJ-7: the payer's own data come from the login (his ID in full); N-7: the region's agreement is shown with
    its title, its version and what it means; HLJ-6: the first day is today unless changed. No priority field
    where the region orders payers by balance, no proof upload where the region asks for none."""
    payer, _ = harbin
    portal.log_in(payer)
    r = portal.get("/portal/bind")
    assert r.status_code == 200
    found = by_testid(r.text)
    assert found["own-id"] == [payer.id_number]
    agreement = found["agreement"][0]
    assert "共济账户授权协议" in agreement and "HLJ-2024.07" in agreement
    assert "30 天内不能再次绑定" in agreement and "法律责任" in agreement
    assert f'name="start_on" type="date" value="{TODAY.isoformat()}"' in r.text
    assert 'name="priority"' not in r.text
    assert 'name="proof"' in r.text  # Heilongjiang takes proof, optionally
    assert '<option value="sibling"' in r.text and '<option value="daughters_child"' in r.text


def test_hlj_7_binding_a_relative_then_the_records_show_it(portal, harbin):
    """HLJ-7, N-7, HLJ-8: the payer binds his wife from the portal; the records page lists her, masked, as in
    effect, with an unbind button; the binding keeps the channel and the agreement version accepted."""
    payer, wife = harbin
    portal.log_in(payer)
    r = portal.post("/portal/bind", bind_form(wife), form_page="/portal/bind")
    assert r.status_code == 303 and r.headers["location"] == "/portal/records"
    page = portal.follow(r)
    assert notice(page.text) == "绑定成功，共济关系已生效。"
    rows = by_testid(page.text)["binding-row"]
    assert len(rows) == 1 and wife.name in rows[0] and mask(wife.id_number) in rows[0] and "生效中" in rows[0]
    assert wife.id_number not in page.text
    assert "解除绑定" in page.text
    [made] = bindings(portal.world)
    assert (made.payer_id, made.beneficiary_id, made.relationship, made.channel, made.agreement_version,
            made.start_on, made.end_on) == (payer.id, wife.id, "spouse", "portal", "HLJ-2024.07", TODAY, None)


def test_hlj_6_a_period_with_an_end_and_a_later_start(portal, harbin):
    """HLJ-6: the payer picks the first and last day; a binding starting later is listed as not yet in effect."""
    payer, wife = harbin
    portal.log_in(payer)
    start, end = TODAY + timedelta(days=3), TODAY + timedelta(days=90)
    r = portal.post("/portal/bind", bind_form(wife, start_on=start.isoformat(), end_on=end.isoformat()),
                    form_page="/portal/bind")
    assert r.status_code == 303
    [made] = bindings(portal.world)
    assert (made.start_on, made.end_on) == (start, end)
    row = by_testid(portal.get("/portal/records").text)["binding-row"][0]
    assert "待生效" in row and end.isoformat() in row


@pytest.mark.parametrize(("changes", "field", "words"), [
    ({"id_number": "a wrong check digit"}, "id_number", "校验位不正确"),
    ({"id_number": ""}, "id_number", "请填写亲属的身份证号码"),
    ({"name": "李秀英"}, "name", "姓名与身份证号码不一致"),
    ({"name": ""}, "name", "请填写亲属的姓名"),
    ({"phone": "12345"}, "phone", "11位数字"),
    ({"relationship": ""}, "relationship", "请选择"),
    ({"relationship": "parent"}, "relationship", "与双方出生日期不符"),  # she is not older than he is
    ({"agreement": None}, "agreement", "请先阅读并同意《共济账户授权协议》（版本 HLJ-2024.07）"),
    ({"start_on": (TODAY - timedelta(days=1)).isoformat()}, "start_on", "不能早于今天（2025-06-02）"),
    ({"end_on": TODAY.isoformat()}, "end_on", "须晚于开始日期"),
])
def test_each_refusal_of_the_bind_form_is_next_to_its_field(portal, harbin, changes, field, words):
    """HLJ-7, HLJ-6, N-7: a refused form comes back (400) with the message next to the field concerned, saying what
    to do, and with what was typed; nothing is written."""
    payer, wife = harbin
    portal.log_in(payer)
    if changes.get("id_number") == "a wrong check digit":
        changes = {"id_number": wife.id_number[:17] + ("0" if wife.id_number[17] != "0" else "1")}
    before = snapshot(portal.world)
    r = portal.post("/portal/bind", bind_form(wife, **changes), form_page="/portal/bind")
    assert r.status_code == 400, r.text[:500]
    message = field_error(r.text, field)
    assert message is not None and words in message, (field, message, page_error(r.text))
    assert f'<a href="#f-{field}">' in r.text  # the summary on top links to the field
    if field != "name":
        assert f'value="{wife.name}"' in r.text  # what was typed comes back
    assert snapshot(portal.world) == before


def test_n_2_a_relationship_the_region_does_not_allow_is_refused_next_to_it(portal, world):
    """N-2, SZ-2: Shenzhen binds spouse and direct relatives only; the select offers no sibling, and a sibling
    posted anyway is refused next to the relationship, listing who can be bound."""
    payer = world.person("陈志强", city="shenzhen", current_fen=900_000, born=date(1980, 3, 1))
    brother = world.person("陈志明", city="shenzhen", born=date(1983, 5, 1))
    portal.log_in(payer)
    form = portal.get("/portal/bind").text
    assert '<option value="spouse"' in form and '<option value="sibling"' not in form
    before = snapshot(world)
    r = portal.post("/portal/bind", bind_form(brother, relationship="sibling"), form_page="/portal/bind")
    assert r.status_code == 400
    message = field_error(r.text, "relationship")
    assert "本地区（深圳市）家庭共济不包括“兄弟姐妹”" in message and "配偶" in message
    assert snapshot(world) == before


def test_hlj_2_rebinding_too_soon_says_from_when_it_is_possible(portal, harbin):
    """HLJ-2, D-4: unbound today, the same relative can be bound again only 30 days later; the form says the date
    next to the relative's ID number."""
    payer, wife = harbin
    portal.log_in(payer)
    assert portal.post("/portal/bind", bind_form(wife), form_page="/portal/bind").status_code == 303
    [made] = bindings(portal.world)
    assert portal.post(f"/portal/bindings/{made.id}/unbind", form_page="/portal/records").status_code == 303
    before = snapshot(portal.world)
    r = portal.post("/portal/bind", bind_form(wife), form_page="/portal/bind")
    assert r.status_code == 400
    again = (TODAY + timedelta(days=30)).isoformat()
    message = field_error(r.text, "id_number")
    assert f"{TODAY.isoformat()} 解除绑定" in message and f"{again} 起可再次绑定" in message
    assert snapshot(portal.world) == before


def test_an_error_about_the_whole_form_is_shown_above_it(portal, world):
    """N-1: a resident enrollee has no account to pay from: the bind page says so instead of showing a form."""
    resident = world.person("刘芳", scheme="resident", sex="F")
    portal.log_in(resident)
    r = portal.get("/portal/bind")
    assert r.status_code == 200 and 'name="id_number"' not in r.text and "没有个人账户" in r.text
    assert 'href="/portal/bind"' not in r.text  # nor in the menu


def test_wl_1_the_payment_order_is_asked_where_the_region_uses_it(portal, world):
    """WL-1, D-2: Ulanqab fixes the order of payers when binding; the form asks for it and keeps it."""
    payer = world.person("巴特尔", city="ulanqab", current_fen=100_000, born=date(1975, 1, 1))
    mother = world.person("乌云", city="ulanqab", sex="F", born=date(1950, 1, 1))
    portal.log_in(payer)
    assert 'name="priority"' in portal.get("/portal/bind").text
    r = portal.post("/portal/bind", bind_form(mother, relationship="parent", priority="abc"), form_page="/portal/bind")
    assert r.status_code == 400 and "1至99" in field_error(r.text, "priority")
    r = portal.post("/portal/bind", bind_form(mother, relationship="parent", priority="2"), form_page="/portal/bind")
    assert r.status_code == 303
    assert [b.priority for b in bindings(world)] == [2]
    assert "2" in by_testid(portal.get("/portal/records").text)["binding-row"][0]


def test_hlj_7_an_optional_proof_file_of_the_wrong_kind_is_refused(portal, harbin):
    """HN-3: a file that is neither a photo nor a PDF is refused next to the upload; nothing is written."""
    payer, wife = harbin
    portal.log_in(payer)
    before = snapshot(portal.world)
    r = portal.post("/portal/bind", bind_form(wife, proof_kind="marriage_certificate"), form_page="/portal/bind",
                    files={"proof": ("letter.exe", b"MZ\x90\x00", "application/octet-stream")})
    assert r.status_code == 400 and "只能上传照片" in field_error(r.text, "proof")
    assert snapshot(portal.world) == before


# -- families and proof (HN-1, HN-3, HN-7) ---------------------------------------------------------


@pytest.fixture
def henan(world) -> tuple[Person, Person, Person]:
    """A Zhengzhou father with 800 yuan, his son and his wife (Henan: families, proof required)."""
    father = world.person("张国强", city="zhengzhou", current_fen=80_000, born=date(1965, 1, 1))
    son = world.person("张伟", city="zhengzhou", born=date(1992, 1, 1))
    wife = world.person("王丽", city="zhengzhou", sex="F", born=date(1966, 1, 1))
    return father, son, wife


def test_hn_1_hn_3_family_then_binding_with_uploaded_proof(portal, henan):
    """HN-1: the father creates a family, adds his son, then binds him; HN-3: Henan requires proof, so the bind
    form refuses without a file and takes a photo, kept with the binding."""
    father, son, _ = henan
    portal.log_in(father)
    home = portal.get("/portal").text
    assert 'href="/portal/family"' in home  # the menu offers families here

    r = portal.post("/portal/bind", bind_form(son, relationship="child"), form_page="/portal/bind")
    assert r.status_code == 400 and "证明材料" in field_error(r.text, "proof")  # HN-3 first: no file

    r = portal.post("/portal/bind", bind_form(son, relationship="child", proof_kind="household_register"),
                    form_page="/portal/bind", files={"proof": ("hukou.png", PNG, "image/png")})
    assert r.status_code == 400 and "先建立共济家庭" in field_error(r.text, "id_number")  # HN-1: not a member yet
    assert "请重新选择文件" in r.text

    r = portal.post("/portal/family", {"name": "张家"}, form_page="/portal/family")
    assert notice(portal.follow(r).text) == "家庭共济网已建立。"
    r = portal.post("/portal/family/members", {"name": "张小伟", "id_number": son.id_number, "relationship": "child"},
                    form_page="/portal/family")
    assert r.status_code == 400 and "姓名与身份证号码不一致" in field_error(r.text, "name")
    r = portal.post("/portal/family/members", {"name": son.name, "id_number": son.id_number, "relationship": "child"},
                    form_page="/portal/family")
    page = portal.follow(r)
    assert notice(page.text) == "已添加家庭成员。"
    [row] = by_testid(page.text)["member-row"]
    assert son.name in row and mask(son.id_number) in row and son.id_number not in page.text

    r = portal.post("/portal/bind", bind_form(son, relationship="child", proof_kind="household_register"),
                    form_page="/portal/bind", files={"proof": ("hukou.png", PNG, "image/png")})
    assert r.status_code == 303, field_error(r.text, "id_number") or page_error(r.text)
    [made] = bindings(portal.world)
    docs = portal.world.db.read(lambda s: [(d.kind, d.file_ref, d.checked_by) for d in
                                           s.execute(select(BindingDocument)).scalars()])
    [(kind, file_ref, checked_by)] = docs
    assert (kind, checked_by) == ("household_register", None) and made.family_id is not None
    assert (portal.uploads / file_ref).read_bytes() == PNG


def test_hn_7_removing_a_member_ends_his_binding_and_a_member_may_leave(portal, world, henan):
    """HN-7: the householder removes his son (the binding ends with it); his wife leaves by herself; with no members
    left the householder dissolves the family."""
    father, son, wife = henan
    family_id = world.run(lambda s, env: authorizations.create_family(
        s, env, householder_id_number=father.id_number, name="张家", actor=father.actor)).id
    for member, relationship in ((son, "child"), (wife, "sibling")):  # she is his wife: corrected below
        world.run(lambda s, env, m=member, r=relationship: authorizations.add_member(
            s, env, family_id=family_id, member_id_number=m.id_number, relationship=r, actor=father.actor))
    to_son = world.bind(father, son, "child", documents=[{"kind": "household_register", "file_ref": "f.pdf"}])

    portal.log_in(father)
    r = portal.post(f"/portal/family/members/{wife.id}/relationship", {"relationship": "parent"},
                    form_page="/portal/family")
    assert r.status_code == 400 and "与双方出生日期不符" in page_error(r.text)  # she is not older than he is
    r = portal.post(f"/portal/family/members/{wife.id}/relationship", {"relationship": "spouse"},
                    form_page="/portal/family")
    assert notice(portal.follow(r).text) == "已修改成员关系。"
    r = portal.post(f"/portal/family/members/{son.id}/remove", form_page="/portal/family")
    assert notice(portal.follow(r).text) == "已移出家庭成员。"
    assert world.db.read(lambda s: s.get(Binding, to_son).end_reason) == "member_removed"

    stranger = world.person("赵六", city="zhengzhou")
    before = snapshot(world)
    r = portal.post(f"/portal/family/members/{stranger.id}/remove", form_page="/portal/family")
    assert r.status_code == 400 and "不在您的家庭中" in page_error(r.text) and stranger.name not in r.text
    assert snapshot(world) == before

    portal.log_in(wife)
    page = portal.get("/portal/family").text
    assert "退出家庭" in page and father.name in page and mask(father.id_number) in page
    r = portal.post("/portal/family/leave", form_page="/portal/family")
    assert notice(portal.follow(r).text) == "您已退出该家庭。"

    portal.log_in(father)
    r = portal.post("/portal/family/leave", form_page="/portal/family")
    assert notice(portal.follow(r).text) == "家庭共济网已解散。"
    assert world.db.read(lambda s: authorizations.family_of(s, father.id)) is None


def test_hn_1_families_are_offered_only_where_the_region_has_them(portal, harbin):
    """HN-1 is Henan's way: in Heilongjiang the menu shows no family page, and the page says none is needed."""
    payer, _ = harbin
    portal.log_in(payer)
    assert 'href="/portal/family"' not in portal.get("/portal").text
    assert "不需要建立家庭" in portal.get("/portal/family").text


# -- records and unbinding (HLJ-8, HLJ-2) ----------------------------------------------------------


def test_hlj_8_either_side_unbinds_from_the_records_page(portal, harbin):
    """HLJ-8: the wife ends the binding from her own records page; HLJ-2, D-4: the payer's page then shows the date
    from which binding again is possible (unbound on D, again from D + 30)."""
    payer, wife = harbin
    binding_id = portal.world.bind(payer, wife)
    portal.log_in(wife)
    page = portal.get("/portal/records").text
    [row] = by_testid(page)["binding-row"]
    assert payer.name in row and "TA为我支付" in row and mask(payer.id_number) in row
    r = portal.post(f"/portal/bindings/{binding_id}/unbind", form_page="/portal/records")
    page = portal.follow(r).text
    assert notice(page) == "已解除绑定。"
    assert "已解除" in by_testid(page)["binding-row"][0] and "解除绑定</button>" not in page

    portal.log_in(payer)
    page = portal.get("/portal/records").text
    again = (TODAY + timedelta(days=30)).isoformat()
    assert by_testid(page)["rebind-from"] == [f"{again} 起可再次绑定"]
    assert "使用人解除" in by_testid(page)["binding-row"][0]


def test_hlj_8_nobody_unbinds_someone_elses_binding(portal, harbin, world):
    """A binding of other people is refused as if it did not exist; ending one twice says when it ended."""
    payer, wife = harbin
    binding_id = world.bind(payer, wife)
    stranger = world.person("孙强")
    portal.log_in(stranger)
    before = snapshot(world)
    r = portal.post(f"/portal/bindings/{binding_id}/unbind", form_page="/portal/records")
    assert r.status_code == 400 and f"未找到编号为 {binding_id} 的共济绑定" in page_error(r.text)
    assert payer.name not in r.text
    assert snapshot(world) == before

    portal.log_in(payer)
    token = portal.token("/portal/records")
    assert portal.post(f"/portal/bindings/{binding_id}/unbind", form_page="/portal/records").status_code == 303
    r = portal.client.post(f"/portal/bindings/{binding_id}/unbind", data={"csrf": token}, follow_redirects=False)
    assert r.status_code == 400 and "无需再次解除" in page_error(r.text)


def test_d_4_no_rebind_date_where_the_region_has_no_wait(portal, world):
    """D-4: the national default has no re-bind wait, so an ended binding shows no date."""
    payer = world.person("周明", city="beijing", current_fen=10_000)
    wife = world.person("吴红", city="beijing", sex="F")
    binding_id = world.bind(payer, wife)
    portal.log_in(payer)
    portal.post(f"/portal/bindings/{binding_id}/unbind", form_page="/portal/records")
    page = portal.get("/portal/records").text
    assert "rebind-from" not in page and "可再次绑定" not in page


# -- payments (N-9) --------------------------------------------------------------------------------


def test_n_9_payments_by_month_for_both_sides_and_the_chart(portal, harbin, world):
    """N-9, HN-6: a bill of the wife paid from the husband's account shows on both sides for its month and not in
    another; his account changes show it; the chart has one bar a month for the last twelve."""
    payer, wife = harbin
    world.institution()
    world.bind(payer, wife)
    world.settle(wife, 45_600)
    world.env.clock.advance(days=30)  # into July
    world.settle(wife, 10_000)

    portal.log_in(payer)
    june = portal.get("/portal/payments?month=2025-06")
    assert june.status_code == 200
    found = by_testid(june.text)
    [paid] = found["paid-by-me"]
    assert "2025-06-02" in paid and wife.name in paid and "456.00" in paid and mask(wife.id_number) in paid
    assert "paid-for-me" not in found and "consumption" not in found
    assert any("-456.00" in row for row in found["account-change"])
    bars = re.findall(r'data-testid="chart-bar" data-month="([0-9-]+)" data-fen="(\d+)"', june.text)
    assert len(bars) == 12 and bars[-1] == ("2025-06", "45600") and bars[0][0] == "2024-07"

    july = portal.get("/portal/payments")  # the current month unless told
    assert 'value="2025-07"' in july.text
    assert ["2025-07-02" in row and "100.00" in row for row in by_testid(july.text)["paid-by-me"]] == [True]
    bars = dict(re.findall(r'data-testid="chart-bar" data-month="([0-9-]+)" data-fen="(\d+)"', july.text))
    assert (bars["2025-06"], bars["2025-07"]) == ("45600", "10000")
    assert "paid-by-me" not in by_testid(portal.get("/portal/payments?month=2025-05").text)
    assert "latest-month" not in by_testid(july.text)

    world.env.clock.advance(days=90)  # October: nothing this month, so the page points to July
    portal.log_in(payer)  # the earlier login has expired
    october = portal.get("/portal/payments")
    [pointer] = by_testid(october.text)["latest-month"]
    assert "2025年7月" in pointer and 'href="/portal/payments?month=2025-07"' in october.text

    portal.log_in(wife)
    found = by_testid(portal.get("/portal/payments?month=2025-06").text)
    [theirs] = found["paid-for-me"]
    assert payer.name in theirs and "456.00" in theirs and mask(payer.id_number) in theirs
    [bill] = found["consumption"]
    assert "456.00" in bill


def test_n_9_a_malformed_month_is_told_next_to_the_month(portal, harbin):
    payer, _ = harbin
    portal.log_in(payer)
    r = portal.get("/portal/payments?month=2025-13")
    assert r.status_code == 400 and "2025-06" in field_error(r.text, "month")


# -- transfers (HZ-1..HZ-4) ------------------------------------------------------------------------


@pytest.fixture
def hangzhou(world) -> tuple[Person, Person]:
    """A Hangzhou payer with 500 yuan current-year and 1,000 yuan prior-years funds, and his wife."""
    return (world.person("周建华", city="hangzhou", current_fen=50_000, prior_fen=100_000),
            world.person("吴敏", city="hangzhou", sex="F"))


def transfer_form(relative: Person, **changes: str) -> dict[str, str]:
    form = {"relationship": "spouse", "name": relative.name, "id_number": relative.id_number, "amount": "300.00",
            "agreement": "yes", "step": "review"}
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def test_hz_4_a_transfer_is_checked_confirmed_and_told(portal, hangzhou, world):
    """HZ-4: the notice first; the payer's name, ID and prior-years balance are read from his login; he enters the
    relative and the amount, sees it checked, confirms; HZ-1: the money is hers; the text message is shown.
    Sending the confirmation twice moves the money once."""
    payer, wife = hangzhou
    portal.log_in(payer)
    page = portal.get("/portal/transfers")
    found = by_testid(page.text)
    assert found["own-id"] == [payer.id_number] and found["prior-years"] == ["1000.00 元"]
    assert "办理须知" in page.text and "HZ-2020.01" in page.text and "个人账户历年资金统筹区内近亲属绑定承诺书" in page.text

    r = portal.post("/portal/transfers", transfer_form(wife))
    assert r.status_code == 200
    [check] = by_testid(r.text)["transfer-confirm"]
    assert wife.name in check and mask(wife.id_number) in check and "300.00" in check and "700.00" in check
    assert world.balances(payer).prior_years_fen == 100_000  # nothing moved before the confirmation
    confirmation = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', r.text))
    confirmation["step"] = "confirm"

    r = portal.client.post("/portal/transfers", data=confirmation, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/portal/transfers?done=")
    again = portal.client.post("/portal/transfers", data=confirmation, follow_redirects=False)
    assert again.headers["location"] == r.headers["location"]
    assert world.balances(payer).prior_years_fen == 70_000 and world.balances(wife).prior_years_fen == 30_000

    page = portal.follow(r)
    assert notice(page.text) == "划转成功。"
    found = by_testid(page.text)
    assert "300.00" in found["transfer-done"][0]
    assert "历年账户家庭共济划转" in found["transfer-notice"][0] and wife.name in found["transfer-notice"][0]
    assert len(found["transfer-row"]) == 1

    portal.log_in(wife)
    [row] = by_testid(portal.get("/portal/transfers").text)["transfer-row"]
    assert "对方划给我" in row and payer.name in row and "300.00" in row


def test_hz_4_going_back_from_the_confirmation_keeps_what_was_typed(portal, hangzhou, world):
    payer, wife = hangzhou
    portal.log_in(payer)
    r = portal.post("/portal/transfers", transfer_form(wife, amount="120.50"))
    confirmation = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', r.text))
    r = portal.client.post("/portal/transfers", data=confirmation | {"step": "edit"}, follow_redirects=False)
    assert r.status_code == 200 and 'value="120.50"' in r.text and f'value="{wife.name}"' in r.text
    assert world.balances(payer).prior_years_fen == 100_000


@pytest.mark.parametrize(("changes", "field", "words"), [
    ({"amount": "1000.01"}, "amount", "超过 周建华 当前历年账户余额 1000.00 元"),  # HZ-2
    ({"amount": "12.345"}, "amount", "最多两位小数"),
    ({"amount": "0"}, "amount", "大于零"),
    ({"relationship": "sibling"}, "relationship", "不包括“兄弟姐妹”"),  # HZ-1: spouse, child, parent
    ({"agreement": None}, "agreement", "个人账户历年资金统筹区内近亲属绑定承诺书"),
    ({"name": "吴芳"}, "name", "姓名与身份证号码不一致"),
])
def test_hz_a_refused_transfer_is_told_next_to_its_field(portal, hangzhou, world, changes, field, words):
    """HZ-1, HZ-2, HZ-4: refusals come at the checking step, next to their field, before anything moves."""
    payer, wife = hangzhou
    portal.log_in(payer)
    before = snapshot(world)
    r = portal.post("/portal/transfers", transfer_form(wife, **changes))
    assert r.status_code == 400
    assert words in (field_error(r.text, field) or ""), (field_error(r.text, field), page_error(r.text))
    assert snapshot(world) == before


def test_hz_1_transfers_only_where_the_region_moves_funds(portal, harbin, hangzhou):
    """HZ-1: Hangzhou transfers instead of binding, Heilongjiang binds instead of transferring: each menu offers
    its own way, and the other page says why it is not offered."""
    payer, _ = harbin
    portal.log_in(payer)
    assert 'href="/portal/transfers"' not in portal.get("/portal").text
    page = portal.get("/portal/transfers").text
    assert "不办理历年资金划转" in page and 'name="amount"' not in page

    hz_payer, _ = hangzhou
    portal.log_in(hz_payer)
    home = portal.get("/portal").text
    assert 'href="/portal/transfers"' in home and 'href="/portal/bind"' not in home
    page = portal.get("/portal/bind").text
    assert "不办理共济绑定" in page and 'name="id_number"' not in page


# -- notifications ---------------------------------------------------------------------------------


def test_notifications_are_listed_and_marked_read(portal, harbin, world):
    """HZ-4, N-9: the wife is told of the binding; the menu counts unread messages; she marks them read."""
    payer, wife = harbin
    world.bind(payer, wife)
    world.institution()
    world.settle(wife, 20_000)
    portal.log_in(wife)
    page = portal.get("/portal/notifications")
    found = by_testid(page.text)
    assert len(found["notification"]) == 2 and found["unread"][0].startswith("2")
    assert any(payer.name in n and "200.00" in n for n in found["notification"])
    first = re.search(r'data-testid="notification" data-id="(\d+)"', page.text).group(1)
    r = portal.post("/portal/notifications/read", {"notification_id": first}, form_page="/portal/notifications")
    page = portal.follow(r)
    assert notice(page.text) == "消息已标为已读。"
    assert by_testid(page.text)["unread"][0].startswith("1")
    r = portal.post("/portal/notifications/read", form_page="/portal/notifications")
    page = portal.follow(r)
    assert "unread" not in by_testid(page.text) and 'data-read="no"' not in page.text

    r = portal.post("/portal/notifications/read", {"notification_id": "99999"}, form_page="/portal/notifications")
    assert r.status_code == 400 and "没有编号为 99999 的消息" in page_error(r.text)


# -- privacy, language, drafts ---------------------------------------------------------------------


def test_my_own_id_number_in_full_everyone_elses_masked(portal, harbin, world):
    """Quality: no ID number is shown in full except to its owner, on every page of the portal."""
    payer, wife = harbin
    world.bind(payer, wife)
    world.institution()
    world.settle(wife, 12_300)
    portal.log_in(payer)
    for url in ("/portal", "/portal/bind", "/portal/records", "/portal/payments", "/portal/notifications",
                "/portal/family", "/portal/transfers"):
        page = portal.get(url).text
        assert wife.id_number not in page, url
    assert by_testid(portal.get("/portal").text)["own-id"] == [payer.id_number]
    assert mask(wife.id_number) in portal.get("/portal/records").text

    portal.log_in(wife)
    for url in ("/portal", "/portal/records", "/portal/payments"):
        assert payer.id_number not in portal.get(url).text, url
    assert by_testid(portal.get("/portal").text)["own-id"] == [wife.id_number]


def test_the_english_switch_is_remembered_and_covers_errors(portal, harbin):
    """The language switch: ?lang=en turns the pages to English and is remembered; refusals are in English too."""
    payer, wife = harbin
    portal.log_in(payer)
    page = portal.get("/portal/records?lang=en").text
    assert "Authorization records" in page and 'lang="en"' in page
    assert "Bind a relative" in portal.get("/portal").text
    r = portal.post("/portal/bind", bind_form(wife, agreement=None), form_page="/portal/bind")
    assert r.status_code == 400
    assert "Read and accept the agreement" in field_error(r.text, "agreement")
    assert "Relative's ID number" in unescape(r.text) and "亲属" not in text_of(r.text)
    portal.get("/portal?lang=zh")
    assert "授权记录" in portal.get("/portal/records").text


def test_the_bind_form_keeps_a_draft_only_with_its_script(portal, harbin):
    """Nothing is lost if the page is closed halfway: the bind form (only it) loads the draft script, which the
    server serves; the form itself is plain HTML and works without it (the tests above post it without)."""
    payer, _ = harbin
    portal.log_in(payer)
    form = portal.get("/portal/bind").text
    assert '<script src="/static/draft.js" defer></script>' in form
    assert f'data-draft="bind:{payer.id}"' in form and "data-draft-refused" not in form
    for url in ("/portal", "/portal/records", "/portal/payments"):
        assert "draft.js" not in portal.get(url).text
    script = portal.get("/static/draft.js")
    assert script.status_code == 200 and "localStorage" in script.text and '"agreement"' in script.text
    refused = portal.post("/portal/bind", {"name": ""}, form_page="/portal/bind").text
    assert "data-draft-refused" in refused


def test_a_change_marks_the_browser_to_read_its_pages_from_the_primary(portal, harbin):
    """N-7: after binding, the answer sets the short-lived fresh-reads cookie, so the records page that follows is
    read from the primary even where stale-tolerant pages read from a standby (GONGJI_DATABASE_READ_URL); a page
    that only reads sets none."""
    from gongji.web.pages import FRESH_COOKIE, FRESH_FOR_S

    payer, wife = harbin
    portal.log_in(payer)
    assert FRESH_COOKIE not in portal.client.get("/portal/records").headers.get("set-cookie", "")
    r = portal.post("/portal/bind", bind_form(wife), form_page="/portal/bind")
    assert r.status_code == 303
    cookie = r.headers.get("set-cookie", "")
    assert f"{FRESH_COOKIE}=1" in cookie and f"Max-Age={FRESH_FOR_S}" in cookie
