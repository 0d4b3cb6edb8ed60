"""The pages that do not fail people, in English too, at phone size: a login that ends while the bind form is being
filled says so and keeps the draft, and a file over the limit is answered with a page (HLJ-7, HN-3).
``GONGJI_SCREENSHOTS=<folder>`` keeps their English screenshots beside the Chinese ones of test_pages."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from tests.browser.conftest import log_in


def _english(phone, live) -> None:
    phone.context.add_cookies([{"name": "gongji_lang", "value": "en", "url": live.url}])


def _keep(phone, name: str) -> None:
    folder = os.environ.get("GONGJI_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        phone.screenshot(path=f"{folder}/{name}.png", full_page=True)


def _fill_bind_form(phone, wife) -> None:
    phone.goto("/portal/bind")
    phone.fill("[name=name]", wife.name)
    phone.fill("[name=id_number]", wife.id_number)
    phone.select_option("[name=relationship]", "spouse")


def test_hlj_7_the_login_expired_page_in_english_keeps_the_draft(live, phone):
    w = live.world
    payer = w.person("王建国", current_fen=300_000)
    wife = w.person("李秀兰", sex="F")
    password = live.password(payer)
    _english(phone, live)
    log_in(phone, payer.id_number, password)
    _fill_bind_form(phone, wife)
    w.env.clock.set(w.env.now() + timedelta(minutes=31))
    phone.check("[name=agreement]")
    phone.locator("main form button[type=submit]").last.click()
    phone.wait_for_url("**/portal/login**")
    assert "Your login has ended" in phone.locator("main .notice").inner_text()
    assert phone.locator("html").get_attribute("lang") == "en"
    _keep(phone, "portal-login-expired-en")
    phone.fill("[name=id_number]", payer.id_number)
    phone.fill("[name=password]", password)
    phone.locator("main button[type=submit]").click()
    phone.wait_for_url("**/portal/bind")
    assert phone.input_value("[name=name]") == wife.name


def test_hn_3_the_file_too_large_page_in_english(live, phone):
    w = live.world
    payer = w.person("王建国", current_fen=300_000)
    wife = w.person("李秀兰", sex="F")
    _english(phone, live)
    log_in(phone, payer.id_number, live.password(payer))
    _fill_bind_form(phone, wife)
    phone.check("[name=agreement]")
    phone.set_input_files("[name=proof]", files=[{"name": "hukou.pdf", "mimeType": "application/pdf",
                                                   "buffer": b"%PDF-1.4\n" + b"0" * (11 * 1024 * 1024)}])
    phone.locator("main form button[type=submit]").last.click()
    phone.wait_for_selector("[data-testid=too-large]")
    assert "too large" in phone.locator("main h1").inner_text()
    assert phone.locator("main a.button").inner_text() == "Go back"
    _keep(phone, "portal-too-large-en")
