"""The portal for insured people over HTTP (/portal), through the real application on both databases.

A test logs in through the login form, fetches each form's CSRF token from the page, posts the form as a
browser would (no JavaScript) and reads the answer: the redirect, the notice, the message next to a field,
the rows marked with ``data-testid``. Every refused form is checked for having changed nothing.

Here: logging in, binding a relative, the records and unbinding; families in test_portal_families.py,
transfers in test_portal_transfers.py, payments, notifications, privacy and language in test_portal_account.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from gongji.actors import Actor
from gongji.api.app import create_app
from gongji.api.settings import ApiSettings
from gongji.auth import service as auth
from gongji.authorizations.models import Binding
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
