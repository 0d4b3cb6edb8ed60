"""The portal's payments by month (N-9), notifications, privacy (masked ID numbers), language and drafts.

Through the real application on both databases, as test_portal.py does: log in through the form, post each
form with the CSRF token of its page, read the answer. Malformed input is told next to its field.
"""

from __future__ import annotations

import re
from html import unescape

from gongji.people.ids import mask
from tests.web.helpers import by_testid, field_error, notice, page_error
from tests.web.test_portal import bind_form, text_of

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
