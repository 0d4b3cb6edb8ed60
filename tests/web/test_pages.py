"""Pages that do not fail the people using them: the start page, a login that ended while a form was filled, a
file too large, rule numbers kept from clerks (N-8, HN-3, HLJ-7)."""

from __future__ import annotations

import re
from datetime import timedelta

# The counter's fixture (desk) and the portal's (portal, harbin).
from tests.web.helpers import csrf_of, desk_fixture, notice  # noqa: F401
from tests.web.test_portal import bind_form, bindings, harbin, portal  # noqa: F401

RULE_NUMBER = re.compile(r"[（(](?:N|HLJ|HN|SZ|HZ|WL|WAL|NI|D|LC|AG|PP)-\d+")


def test_the_start_page_leads_to_the_portal_the_counter_and_the_api_documentation(portal):  # noqa: F811
    r = portal.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert all(f'href="{path}"' in r.text for path in ("/portal", "/counter", "/docs"))
    assert portal.get("/?lang=en").text.count("For counter staff") == 1


def test_a_form_sent_after_the_login_ended_goes_back_to_its_page_and_says_why(portal, harbin):  # noqa: F811
    """HLJ-7: the session ends while the bind form is filled; the answer leads to the login, which says the login
    ended, and from there back to the form (the draft is the device's: tests/browser/test_pages.py)."""
    payer, wife = harbin
    portal.log_in(payer)
    token = csrf_of(portal.get("/portal/bind").text)
    portal.world.env.clock.set(portal.world.env.now() + timedelta(minutes=31))
    r = portal.client.post("/portal/bind", data={"csrf": token, **bind_form(wife)}, follow_redirects=False,
                           headers={"referer": "http://testserver/portal/bind"})
    assert r.status_code == 303 and r.headers["location"] == "/portal/login?next=/portal/bind"
    login = portal.get(r.headers["location"])
    assert "登录已超时" in notice(login.text) and 'data-flash="expired"' in login.text
    assert bindings(portal.world) == []
    again = portal.get("/portal/login")
    assert notice(again.text) is None  # said once; the ended login's cookie is gone


def test_a_visitor_never_logged_in_is_not_told_his_login_ended(portal):  # noqa: F811
    r = portal.get("/portal/bind")
    assert r.headers["location"] == "/portal/login?next=/portal/bind"
    assert notice(portal.get(r.headers["location"]).text) is None


def test_hn_3_a_proof_file_up_to_ten_mb_is_taken_and_a_larger_one_gets_a_page(portal, harbin):  # noqa: F811
    payer, wife = harbin
    portal.log_in(payer)
    photo = b"\xff\xd8\xff\xe0" + b"1" * (3 * 1024 * 1024)  # a 3 MB phone photo, over the old 1 MB limit
    r = portal.post("/portal/bind", {**bind_form(wife), "proof_kind": "household_register"},
                    form_page="/portal/bind", files={"proof": ("hukou.jpg", photo, "image/jpeg")})
    assert r.status_code == 303, r.text[:500]
    assert [p.stat().st_size for p in portal.uploads.rglob("*.jpg")] == [len(photo)]
    pdf = b"%PDF-1.4\n" + b"0" * (11 * 1024 * 1024)
    r = portal.post("/portal/bind", bind_form(wife), form_page="/portal/bind",
                    files={"proof": ("hukou.pdf", pdf, "application/pdf")})
    assert r.status_code == 413 and r.headers["content-type"].startswith("text/html")
    assert "文件太大" in r.text and 'data-testid="too-large"' in r.text
    assert len(bindings(portal.world)) == 1


def test_an_api_body_over_the_limit_is_still_answered_as_a_problem(portal):  # noqa: F811
    r = portal.client.post("/v1/settlements", content=b"{" + b" " * 1_100_000 + b"}",
                           headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["code"] == "BODY_TOO_LARGE"


def test_n_8_counter_pages_show_clerks_no_rule_numbers(desk):
    """The clerk's pages speak of the rules in words, never by their numbers such as “（HN-3）”."""
    w = desk.world
    payer = w.person("王建国", current_fen=300_000)
    desk.log_in()
    for path in (f"/counter/people/{payer.id}", f"/counter/people/{payer.id}/bind", "/counter/attestation",
                 "/counter/report"):
        r = desk.get(path)
        assert r.status_code == 200, path
        assert not RULE_NUMBER.search(r.text), (path, RULE_NUMBER.search(r.text))
    hangzhou = w.person("周红", city="hangzhou")
    desk.log_in("S3301", region_prefix="3301")
    r = desk.get(f"/counter/people/{hangzhou.id}/bind")
    assert r.status_code == 200 and "历年账户划转" in r.text and not RULE_NUMBER.search(r.text)
