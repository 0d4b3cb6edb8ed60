"""What payers control, in a real browser at phone size (PP-1, D-3, WL-1, N-7, N-8): the payer sets a monthly
limit and pauses on the binding page, the relative sees that a limit exists but not its amount, a statement
is shown and downloaded as PDF; the counter does the same for someone without a phone and prints the statement.
``GONGJI_SCREENSHOTS=<folder>`` keeps each page in Chinese, English and large text."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from gongji.authorizations.models import Binding
from tests.browser.conftest import log_in
from tests.browser.test_counter_flows import _clerk
from tests.browser.test_pages import _shots


def test_pp_1_d_3_the_payer_limits_and_pauses_and_the_relative_sees_only_that_there_is_a_limit(live, phone):
    w = live.world
    w.institution()
    payer = w.person("李建国", born=date(1960, 3, 1), current_fen=300_000)
    daughter = w.person("李小红", sex="F", born=date(1990, 5, 1))
    binding_id = w.bind(payer, daughter, "child")
    w.settle(daughter, 4_560)
    log_in(phone, payer.id_number, live.password(payer))
    phone.goto("/portal/records")
    phone.get_by_test_id("manage").first.click()
    phone.wait_for_url(f"**/portal/bindings/{binding_id}")
    phone.fill("[name=monthly_limit]", "500")
    phone.get_by_role("button", name="保存限额").click()
    phone.wait_for_selector("text=每月限额已保存。")
    assert phone.get_by_test_id("limit").inner_text().strip() == "500.00 元"
    assert phone.get_by_test_id("paid-this-month").inner_text().strip() == "45.60 元"
    _shots(phone, f"/portal/bindings/{binding_id}", "portal-binding", ready="[data-testid=binding-facts]")
    phone.get_by_role("button", name="暂停支付").click()
    phone.wait_for_selector("[data-testid=paused]")
    assert w.db.read(lambda s: s.execute(select(Binding.monthly_limit_fen, Binding.paused_at)
                                         .where(Binding.id == binding_id)).one())[0] == 50_000

    phone.context.clear_cookies()  # the next person on this phone
    log_in(phone, daughter.id_number, live.password(daughter))
    phone.goto(f"/portal/bindings/{binding_id}")
    assert phone.get_by_test_id("limit").inner_text().strip() == "对方设有每月限额"
    body = phone.locator("main").inner_text()
    assert "500.00" not in body and "2954.40" not in body
    phone.get_by_role("button", name="恢复支付").click()
    phone.wait_for_selector("text=已恢复支付。")
    phone.goto("/portal/payments")
    phone.get_by_test_id("statements").click()
    phone.wait_for_selector("[data-testid=statement]")
    assert "45.60" in phone.locator("[data-testid=statement]").inner_text()
    _shots(phone, "/portal/statements", "portal-statement", ready="[data-testid=statement]")
    with phone.expect_download() as download:
        phone.get_by_test_id("pdf").click()
    assert download.value.suggested_filename.endswith(".pdf")


def test_n_8_the_counter_sets_a_limit_and_prints_a_statement(live, phone):
    w = live.world
    w.institution()
    payer = w.person("刘建国", born=date(1958, 3, 1), current_fen=200_000)
    wife = w.person("张秀英", sex="F", born=date(1960, 5, 1))
    binding_id = w.bind(payer, wife, "spouse")
    w.settle(wife, 1_230)
    _clerk(live, phone)
    phone.goto(f"/counter/people/{payer.id}")
    phone.get_by_test_id("manage").first.click()
    phone.wait_for_url(f"**/counter/bindings/{binding_id}")
    phone.fill("[name=monthly_limit]", "300")
    phone.get_by_role("button", name="保存限额").click()
    phone.wait_for_selector("text=每月限额已保存。")
    assert phone.get_by_test_id("limit").inner_text().strip() == "300.00 元"
    _shots(phone, f"/counter/bindings/{binding_id}", "counter-binding", ready="[data-testid=binding-facts]")
    phone.goto(f"/counter/people/{wife.id}")
    phone.get_by_test_id("statement-link").click()
    phone.wait_for_selector("[data-testid=statement]")
    assert "12.30" in phone.locator("[data-testid=statement]").inner_text()
    assert phone.get_by_test_id("print").is_visible()
    _shots(phone, f"/counter/people/{wife.id}/statement", "counter-statement", ready="[data-testid=statement]")
