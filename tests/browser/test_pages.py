"""Pages that do not fail the people using them, in a real browser at phone size: the start page, a login that
ends while a form is being filled, a large photo of a household register, large text. ``GONGJI_SCREENSHOTS=<folder>``
keeps a screenshot of each page in Chinese, in English and in large text.

Rules: HLJ-7, HN-3, N-8.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from gongji.authorizations.models import Binding
from tests.browser.conftest import log_in

VARIANTS = (("lang=zh&size=normal", "zh"), ("lang=en&size=normal", "en"), ("lang=zh&size=large", "zh-large"),
            ("lang=en&size=large", "en-large"))


def _shots(page, path: str, name: str, *, ready: str = "main") -> None:
    """The page in each language and size: never wider than the phone; kept when GONGJI_SCREENSHOTS is set."""
    folder = os.environ.get("GONGJI_SCREENSHOTS")
    for query, variant in VARIANTS:
        page.goto(path + ("&" if "?" in path else "?") + query)
        page.wait_for_selector(ready)
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= 390, f"{name}-{variant}: the page is {wide}px wide on a 390px screen"
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=f"{folder}/{name}-{variant}.png", full_page=True)
    page.goto(path + ("&" if "?" in path else "?") + "lang=zh&size=normal")


def test_the_start_page_leads_to_the_portal_the_counter_and_the_api(live, phone):
    phone.goto("/")
    links = phone.locator("[data-testid=start] a")
    assert [links.nth(i).get_attribute("href") for i in range(links.count())] == ["/portal", "/counter", "/docs"]
    _shots(phone, "/", "start", ready="[data-testid=start]")
    phone.get_by_role("link", name="参保人登录").click()
    phone.wait_for_url("**/portal/login**")


def test_a_login_that_ends_while_the_bind_form_is_filled_keeps_what_was_typed(live, phone):
    """The session ends (30 minutes) before the form is sent: the login page says so, and after logging in again
    the bind form is back with everything typed in it (HLJ-7)."""
    w = live.world
    payer = w.person("王建国", current_fen=300_000)
    wife = w.person("李秀兰", sex="F")
    password = live.password(payer)
    log_in(phone, payer.id_number, password)
    phone.goto("/portal/bind")
    phone.fill("[name=name]", wife.name)
    phone.fill("[name=id_number]", wife.id_number)
    phone.fill("[name=phone]", "13800138000")
    phone.select_option("[name=relationship]", "spouse")
    w.env.clock.set(w.env.now() + timedelta(minutes=31))  # the login ends behind the browser's back
    phone.check("[name=agreement]")
    phone.locator("main form button[type=submit]").last.click()
    phone.wait_for_url("**/portal/login**")
    assert "登录已超时" in phone.locator("main .notice").inner_text()
    folder = os.environ.get("GONGJI_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        phone.screenshot(path=f"{folder}/portal-login-expired-zh.png", full_page=True)
    phone.fill("[name=id_number]", payer.id_number)
    phone.fill("[name=password]", password)
    phone.locator("main button[type=submit]").click()
    phone.wait_for_url("**/portal/bind")
    assert phone.input_value("[name=name]") == wife.name
    assert phone.input_value("[name=id_number]") == wife.id_number
    assert phone.input_value("[name=phone]") == "13800138000"
    assert phone.input_value("[name=relationship]") == "spouse"
    assert not phone.is_checked("[name=agreement]")  # the agreement is accepted anew (N-7)
    assert not w.db.read(lambda s: s.execute(select(Binding)).scalars().all())


def _big_photo(page) -> None:
    """A 4000×3000 photo of about 4 MB, made in the page and chosen in the proof field as a phone would."""
    page.evaluate("""() => new Promise(resolve => {
        const canvas = document.createElement('canvas');
        canvas.width = 4000; canvas.height = 3000;
        const ctx = canvas.getContext('2d');
        const image = ctx.createImageData(4000, 3000);
        let seed = 7;
        for (let i = 0; i < image.data.length; i += 4) {
            seed = (seed * 1103515245 + 12345) & 0x7fffffff;
            image.data[i] = seed & 255; image.data[i + 1] = (seed >> 8) & 255; image.data[i + 2] = (seed >> 16) & 255;
            image.data[i + 3] = 255;
        }
        ctx.putImageData(image, 0, 0);
        ctx.fillStyle = '#000'; ctx.font = '200px sans-serif'; ctx.fillText('居民户口簿', 400, 1500);
        canvas.toBlob(blob => {
            const input = document.querySelector('[name=proof]');
            const list = new DataTransfer();
            list.items.add(new File([blob], 'hukou.jpg', {type: 'image/jpeg'}));
            input.files = list.files;
            input.dispatchEvent(new Event('change', {bubbles: true}));
            window.__original = blob.size;
            resolve(blob.size);
        }, 'image/jpeg', 0.95);
    })""")


def test_a_large_phone_photo_is_made_smaller_before_it_is_sent(live, phone, tmp_path, monkeypatch):
    """HN-3: a 4000×3000 photo of the household register is shrunk in the browser and the binding keeps it."""
    monkeypatch.setenv("GONGJI_UPLOAD_DIR", str(tmp_path))
    w = live.world
    payer = w.person("王建国", current_fen=300_000)
    wife = w.person("李秀兰", sex="F")
    log_in(phone, payer.id_number, live.password(payer))
    phone.goto("/portal/bind")
    phone.fill("[name=name]", wife.name)
    phone.fill("[name=id_number]", wife.id_number)
    phone.select_option("[name=relationship]", "spouse")
    phone.check("[name=agreement]")
    _big_photo(phone)
    phone.wait_for_selector("[data-testid=shrink-note]:not([hidden])")
    original = phone.evaluate("window.__original")
    assert original > 1024 * 1024
    sent = phone.evaluate("document.querySelector('[name=proof]').files[0].size")
    assert sent < original / 2
    assert "照片已压缩" in phone.locator("[data-testid=shrink-note]").inner_text()
    phone.locator("main form button[type=submit]").last.click()
    phone.wait_for_url("**/portal/records")
    kept = list(tmp_path.rglob("*.jpg"))
    assert len(kept) == 1 and kept[0].stat().st_size == sent


def test_a_file_over_the_limit_is_answered_with_a_page(live, phone, monkeypatch):
    """A file too large even for the upload limit (a PDF is not made smaller) gets a page saying so, not JSON."""
    w = live.world
    payer = w.person("王建国", current_fen=300_000)
    wife = w.person("李秀兰", sex="F")
    log_in(phone, payer.id_number, live.password(payer))
    phone.goto("/portal/bind")
    phone.fill("[name=name]", wife.name)
    phone.fill("[name=id_number]", wife.id_number)
    phone.select_option("[name=relationship]", "spouse")
    phone.check("[name=agreement]")
    phone.set_input_files("[name=proof]", files=[{"name": "hukou.pdf", "mimeType": "application/pdf",
                                                   "buffer": b"%PDF-1.4\n" + b"0" * (11 * 1024 * 1024)}])
    phone.locator("main form button[type=submit]").last.click()
    phone.wait_for_selector("[data-testid=too-large]")
    assert "文件太大" in phone.locator("main h1").inner_text()
    assert phone.locator("main a.button").get_attribute("href") == "/portal/bind"
    assert not w.db.read(lambda s: s.execute(select(Binding)).scalars().all())
    folder = os.environ.get("GONGJI_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        phone.screenshot(path=f"{folder}/portal-too-large-zh.png", full_page=True)


def test_large_text_keeps_labels_whole_and_the_bind_form_on_the_first_screen(live, phone):
    """In the large-text mode the records' labels are not broken one character a line, and the bind form's first
    field shows without scrolling (HLJ-7)."""
    w = live.world
    payer = w.person("王建国", current_fen=300_000)
    wife = w.person("李秀兰", sex="F")
    w.bind(payer, wife)
    log_in(phone, payer.id_number, live.password(payer))
    phone.goto("/portal/bind?size=large")
    top = phone.locator("[name=name]").bounding_box()
    assert top["y"] + top["height"] <= 844, f"the first field is at {top['y']}px, below the first screen"
    _shots(phone, "/portal/bind", "portal-bind", ready="[name=name]")
    phone.goto("/portal/records?size=large")
    narrow = phone.evaluate("""() => [...document.querySelectorAll('table.stack td[data-label]')].filter(cell => {
        const style = getComputedStyle(cell, '::before');
        const label = cell.getAttribute('data-label');
        return label && parseFloat(style.width) < label.length * parseFloat(style.fontSize) * 0.9;
    }).map(cell => cell.getAttribute('data-label'))""")
    assert not narrow, f"labels broken over several lines: {narrow}"
    _shots(phone, "/portal/records", "portal-records", ready="table.stack")


def test_pp_2_the_payer_and_the_relative_see_what_they_need_on_their_home_pages(live, browser, phone):
    """The Shenzhen payer sees what his relatives may use next to his balance (SZ-1); his son sees that his father
    can pay for him, not how much he holds."""
    from datetime import date

    w = live.world
    father = w.person("陈伟", city="shenzhen", born=date(1975, 1, 1), current_fen=500_000, prior_fen=100_000)
    son = w.person("陈小明", city="shenzhen", born=date(2000, 1, 1), scheme="resident")
    w.bind(father, son, "child")
    log_in(phone, father.id_number, live.password(father))
    assert phone.get_by_test_id("for-relatives").inner_text().startswith("1800.00")
    _shots(phone, "/portal", "portal-home-payer", ready="[data-testid=for-relatives]")
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", base_url=live.url)
    page = context.new_page()
    log_in(page, son.id_number, live.password(son))
    assert page.get_by_test_id("can-pay").inner_text() == "可以为您支付"
    assert "5000.00" not in page.locator("main").inner_text()
    _shots(page, "/portal", "portal-home-relative", ready="[data-testid=can-pay]")
    context.close()


def test_n_8_a_clerk_resets_a_password_on_a_phone_sized_screen(live, phone):
    w = live.world
    person = w.person("王建国", current_fen=300_000)
    password = live.staff()
    phone.goto("/counter/login")
    phone.fill("[name=staff_id]", "S2301")
    phone.fill("[name=password]", password)
    phone.locator("main button[type=submit]").click()
    phone.wait_for_url("**/counter")
    _shots(phone, f"/counter/people/{person.id}/password", "counter-password", ready="[name=password]")
    phone.check("[name=id_checked]")
    phone.fill("[name=password]", "new-pass-123")
    phone.fill("[name=password_again]", "new-pass-123")
    phone.locator("main form button[type=submit]").click()
    phone.wait_for_url(f"**/counter/people/{person.id}")
    assert "新密码已设置" in phone.locator("main .notice").inner_text()
