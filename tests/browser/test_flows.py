"""The main flows in a real browser: a person binds, a bill is settled, both sides see it, he unbinds; a clerk
binds for someone at the counter and refunds a settlement (N-7, N-8, N-9, HLJ-2, HLJ-6, HLJ-7, HLJ-8, HLJ-9, HN-5)."""

from __future__ import annotations

from datetime import timedelta

from tests.browser.conftest import log_in
from tests.conftest import TODAY


def _submit(page) -> None:
    page.locator("main form button[type=submit]").last.click()


def test_bind_settle_see_both_sides_unbind(live, browser, phone):
    """HLJ-7 form on a phone; the bill paid by mutual aid shows for payer and beneficiary (N-9); unbinding shows the
    date from which binding again is possible (HLJ-2, D-4)."""
    w = live.world
    payer = w.person("王建国", current_fen=300_000)
    wife = w.person("李秀兰", sex="F")
    log_in(phone, payer.id_number, live.password(payer))

    phone.goto("/portal/bind")
    phone.fill("[name=name]", wife.name)
    phone.fill("[name=id_number]", wife.id_number)
    phone.fill("[name=phone]", "13800138000")
    phone.select_option("[name=relationship]", "spouse")
    _submit(phone)  # the agreement is not accepted yet: refused in place
    assert phone.locator(".field-error").count() >= 1
    phone.check("[name=agreement]")
    _submit(phone)
    phone.wait_for_url("**/portal/records")
    assert wife.name in phone.locator("main").inner_text()

    with live.institution() as hospital:  # the wife's bill, settled by the hospital through the API
        r = hospital.post("/v1/settlements", json={"patient_id_number": wife.id_number, "amount_fen": 45_600,
                                                   "use": "outpatient"}, headers={"Idempotency-Key": "bill-1"})
        assert r.status_code in (200, 201), r.text

    phone.goto("/portal/payments")
    assert "456.00" in phone.locator("main").inner_text()
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", base_url=live.url)
    her = context.new_page()
    log_in(her, wife.id_number, live.password(wife))
    her.goto("/portal/payments")
    text = her.locator("main").inner_text()
    assert "456.00" in text and payer.name in text
    context.close()

    phone.goto("/portal/records")
    phone.once("dialog", lambda dialog: dialog.accept())
    phone.get_by_role("button", name="解除绑定").first.click()
    phone.wait_for_url("**/portal/records")
    again = (TODAY + timedelta(days=30)).isoformat()  # HLJ-2: Heilongjiang waits 30 days
    body = phone.locator("main").inner_text()
    assert "可再次绑定" in body and again in body


def test_counter_binds_with_the_checklist_and_refunds(live, desktop):
    """A clerk binds for a payer at the counter with the region's documents (N-8, HLJ-9), then refunds part of a
    settlement and sees where the money went back (HN-5)."""
    w = live.world
    payer = w.person("赵德胜", current_fen=200_000, born=TODAY.replace(year=1955))
    son = w.person("赵小明", born=TODAY.replace(year=1985))
    password = live.staff()
    desktop.goto("/counter/login")
    desktop.fill("[name=staff_id]", "S2301")
    desktop.fill("[name=password]", password)
    desktop.locator("main button[type=submit]").click()
    desktop.wait_for_url("**/counter")

    desktop.goto("/counter")
    desktop.fill("#f-id_number", payer.id_number)
    desktop.locator("form[aria-labelledby=way-id] button").click()
    desktop.get_by_role("link", name=payer.name).first.click()
    desktop.wait_for_url(f"**/counter/people/{payer.id}")
    desktop.goto(f"/counter/people/{payer.id}/bind")
    desktop.fill("[name=name]", son.name)
    desktop.fill("[name=id_number]", son.id_number)
    desktop.select_option("[name=relationship]", "child")
    desktop.check("[name=agreement]")
    boxes = desktop.locator("input[type=checkbox][name^=doc_]")
    assert boxes.count() >= 1
    _submit(desktop)  # documents not ticked: refused
    assert desktop.locator(".field-error, .error").count() >= 1
    for i in range(boxes.count()):
        boxes.nth(i).check()
    if desktop.locator("[name=agreement]").count():
        desktop.check("[name=agreement]")
    _submit(desktop)
    desktop.wait_for_url(f"**/counter/people/{payer.id}")
    assert son.name in desktop.locator("main").inner_text()

    w.institution("H23010100001")
    settled = w.settle(son, 80_000)  # his own account is empty: his father pays (N-3)
    desktop.goto(f"/counter/settlements/{settled.settlement_id}")
    desktop.fill("[name=amount]", "100.00")
    desktop.fill("[name=reason]", "退药")
    desktop.locator("form[action$='/refund'] button[type=submit]").click()
    desktop.wait_for_url(f"**/counter/settlements/{settled.settlement_id}")
    text = desktop.locator("main").inner_text()
    assert "100.00" in text and payer.name in text
    assert w.total(payer) == 200_000 - 80_000 + 10_000
