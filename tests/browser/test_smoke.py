"""The portal's login and home page in a real browser (N-9)."""

from __future__ import annotations


def test_a_person_logs_in_and_sees_his_balances(live, phone):
    """Log in on a phone-sized screen; the home page shows both funds and whom the account pays for (N-9, D-1)."""
    w = live.world
    payer = w.person("王建国", current_fen=123_456, prior_fen=50_000)
    wife = w.person("李秀兰", sex="F")
    w.bind(payer, wife)
    password = live.password(payer)
    phone.goto("/portal")
    assert "/portal/login" in phone.url
    phone.get_by_label("身份证号码").fill(payer.id_number)
    phone.get_by_label("密码").fill("wrong-password")
    phone.get_by_role("button", name="登录").click()
    assert phone.locator(".field-error").first.is_visible()
    phone.get_by_label("密码").fill(password)
    phone.get_by_role("button", name="登录").click()
    phone.wait_for_url("**/portal")
    assert phone.get_by_test_id("current-year").inner_text().startswith("1234.56")
    assert phone.get_by_test_id("prior-years").inner_text().startswith("500.00")
    assert "李秀兰" in phone.content()
