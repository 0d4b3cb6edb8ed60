"""The counter, in a real browser at phone size, does for a person what the portal does (N-8, HLJ-9, WL-4): a
family (HN-1, HN-7), the wallet opened, sent into and accepted for someone without a smartphone (WAL-1, WAL-4), a
relative's resident contribution (N-5), the status and contributions (LC-1, LC-4), a binding's documents (HN-3),
a transfer in Hangzhou (HZ-1..HZ-4), relatives named by card number (SZ-4); and no address any of these pages
produce carries an ID number. ``GONGJI_SCREENSHOTS=<folder>`` keeps each page in Chinese, English and large text.
"""

from __future__ import annotations

import os
from datetime import date, datetime
from pathlib import Path

from gongji.clock import CST
from tests.browser.test_pages import _shots

HARBIN_DOCS = ("e_voucher", "id_card", "commitment_letter")


def _clerk(live, page, staff_id: str = "S2301", region_prefix: str = "2301") -> None:
    password = live.staff(staff_id, region_prefix=region_prefix)
    page.goto("/counter/login")
    page.fill("[name=staff_id]", staff_id)
    page.fill("[name=password]", password)
    page.locator("main button[type=submit]").click()
    page.wait_for_url("**/counter")


def _tick(page, kinds) -> None:
    for kind in kinds:
        page.check(f"[name=doc_{kind}]")


def _urls(page) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url))
    return seen


def test_n_8_a_clerk_does_every_flow_for_a_person_and_no_address_carries_an_id_number(live, phone):
    live.world.env.clock.set(datetime(2025, 6, 2, 10, tzinfo=CST))
    w = live.world
    son = w.person("赵德胜", current_fen=200_000, card_no="HA0001234")
    mother = w.person("孙玉兰", sex="F", born=date(1945, 1, 1), card_no="HA0005678")
    granddaughter = w.person("赵小红", sex="F", born=date(2000, 1, 1), scheme="resident")
    w.bind(son, granddaughter, "child")
    seen = _urls(phone)
    _clerk(live, phone)
    _shots(phone, "/counter", "counter-find", ready="#f-card_no")
    phone.fill("#f-card_no", "HA0001234")
    phone.locator("form[aria-labelledby=way-card] button").click()
    phone.get_by_role("link", name="赵德胜").click()
    phone.wait_for_url(f"**/counter/people/{son.id}")
    phone.get_by_test_id("family-link").click()
    phone.fill("[name=name]", "赵家")
    _tick(phone, HARBIN_DOCS)
    phone.get_by_role("button", name="建立家庭").click()
    phone.wait_for_selector("[data-testid=family]")
    phone.fill("[name=name]", "孙玉兰")
    phone.fill("[name=card_no]", "HA0005678")
    phone.select_option("[name=relationship]", "parent")
    _tick(phone, HARBIN_DOCS)
    phone.get_by_role("button", name="添加成员").click()
    phone.wait_for_selector("[data-testid=member-row]")
    assert "已添加家庭成员" in phone.locator("main .notice").inner_text()
    _shots(phone, f"/counter/people/{son.id}/family", "counter-family", ready="[data-testid=member-row]")

    phone.goto(f"/counter/people/{mother.id}/wallet")
    _shots(phone, f"/counter/people/{mother.id}/wallet", "counter-wallet-open", ready="[data-testid=checklist]")
    _tick(phone, HARBIN_DOCS)
    phone.get_by_role("button", name="代开通").click()
    phone.wait_for_selector("[data-testid=wallet-balance]")
    phone.goto(f"/counter/people/{son.id}/wallet/send")
    phone.fill("[name=name]", "孙玉兰")
    phone.fill("[name=card_no]", "HA0005678")
    phone.select_option("[name=relationship]", "parent")
    phone.fill("[name=amount]", "150")
    _tick(phone, HARBIN_DOCS)
    _shots_kept = phone.url
    phone.get_by_role("button", name="下一步：核对").click()
    phone.wait_for_selector("[data-testid=confirm]")
    folder = os.environ.get("GONGJI_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        phone.screenshot(path=f"{folder}/counter-confirm-zh.png", full_page=True)
    phone.get_by_role("button", name="确认办理").click()
    phone.wait_for_url(f"**/counter/people/{son.id}/wallet")
    assert w.total(son) == 185_000
    _shots(phone, _shots_kept, "counter-wallet-send", ready="[name=amount]")
    phone.goto(f"/counter/people/{mother.id}/wallet")
    _shots(phone, f"/counter/people/{mother.id}/wallet", "counter-wallet", ready="[data-testid=waiting-row]")
    _tick(phone, HARBIN_DOCS)
    phone.get_by_role("button", name="代为接收").click()
    phone.wait_for_selector("main .notice")
    assert phone.get_by_test_id("wallet-balance").inner_text() == "150.00"

    phone.goto(f"/counter/people/{son.id}/contribution")
    phone.select_option("[name=beneficiary]", str(granddaughter.id))
    phone.fill("[name=amount]", "400")
    _tick(phone, HARBIN_DOCS)
    phone.get_by_role("button", name="下一步：核对").click()
    phone.get_by_role("button", name="确认办理").click()
    phone.wait_for_selector("[data-testid=contribution-row]")
    _shots(phone, f"/counter/people/{son.id}/contribution", "counter-contribution", ready="[data-testid=contribution-row]")
    assert w.total(son) == 145_000

    binding = phone.locator("[data-testid=binding-payer]").first
    phone.goto(f"/counter/people/{son.id}")
    binding.get_by_test_id("documents").click()
    phone.wait_for_url("**/counter/bindings/*/documents")
    _shots(phone, phone.url.split("?")[0], "counter-documents", ready="main h1")
    phone.goto(f"/counter/people/{son.id}/history")
    _shots(phone, f"/counter/people/{son.id}/history", "counter-history", ready="[data-testid=pooled]")
    _shots(phone, f"/counter/people/{son.id}", "counter-person", ready="[data-testid=services]")

    numbers = [p.id_number for p in (son, mother, granddaughter)] + ["HA0001234", "HA0005678"]
    carried = [url for url in seen if any(n in url.upper() for n in numbers)]
    assert seen and not carried, carried


def test_hz_1_to_hz_4_a_hangzhou_clerk_transfers_prior_years_funds_for_a_mother(live, phone):
    w = live.world
    mother = w.person("周桂芳", city="hangzhou", sex="F", born=date(1950, 2, 2), prior_fen=100_000)
    son = w.person("周强", city="hangzhou", born=date(1978, 5, 5), card_no="ZJ0001111")
    seen = _urls(phone)
    _clerk(live, phone, "S3301", "3301")
    url = f"/counter/people/{mother.id}/transfers"
    _shots(phone, url, "counter-transfers", ready="[name=amount]")
    phone.fill("[name=name]", "周强")
    phone.fill("[name=card_no]", "ZJ0001111")
    phone.select_option("[name=relationship]", "child")
    phone.fill("[name=amount]", "300")
    _tick(phone, ("id_card", "insurance_card"))
    phone.check("[name=agreement]")
    phone.get_by_role("button", name="下一步：核对").click()
    assert "700.00" in phone.get_by_test_id("confirm").inner_text()
    phone.get_by_role("button", name="确认办理").click()
    phone.wait_for_selector("[data-testid=transfer-row]")
    assert "划转成功" in phone.locator("main .notice").inner_text()
    assert w.total(son) == 30_000
    assert not [u for u in seen if mother.id_number in u or son.id_number in u or "ZJ0001111" in u]
