"""The medical insurance wallet in a real browser on a small phone (WAL-1..WAL-4): she opens her wallet, her husband
sends (closing the page halfway loses nothing), she accepts with one tap, twice tapped."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from gongji.wallet.models import WalletTransfer
from tests.browser.conftest import log_in

#: A small phone's screen (an older 5-inch one), smaller than the suite's usual phone.
SMALL_PHONE = {"width": 360, "height": 640}


def _fits(page) -> None:
    """Nothing wider than the screen: no sideways scrolling on a phone."""
    assert page.evaluate("document.documentElement.scrollWidth") <= SMALL_PHONE["width"], page.url


def _tall_enough(locator) -> None:
    """A thumb's touch target: 44 CSS pixels or more."""
    box = locator.bounding_box()
    assert box is not None and box["height"] >= 44, box


def test_wal_1_to_wal_4_open_send_accept_on_a_small_phone(live, browser):
    """WAL-1: the wife opens her wallet; WAL-2, WAL-3, WAL-4: the husband reads the limits, the quiet hours and the
    return at 06:00 next day, fills in the form, leaves it halfway and finds it filled in again, checks and confirms;
    she sees the money waiting with the time it goes back and accepts it with a double tap: it is accepted once."""
    w = live.world
    payer = w.person("王建国", current_fen=100_000, prior_fen=300_000)
    wife = w.person("李秀兰", sex="F", born=date(1972, 3, 8))

    hers = browser.new_context(viewport=SMALL_PHONE, locale="zh-CN", base_url=live.url, device_scale_factor=1)
    his = browser.new_context(viewport=SMALL_PHONE, locale="zh-CN", base_url=live.url, device_scale_factor=1)
    try:
        her = hers.new_page()
        him = his.new_page()
        for page in (her, him):
            page.set_default_timeout(15_000)

        log_in(her, wife.id_number, live.password(wife))
        her.get_by_role("link", name="医保钱包").first.click()
        her.wait_for_url("**/portal/wallet")
        open_button = her.get_by_role("button", name="开通医保钱包")
        _tall_enough(open_button)
        _fits(her)
        open_button.click()
        her.wait_for_url("**/portal/wallet")
        assert "医保钱包已开通" in her.locator("main").inner_text()
        assert her.get_by_test_id("wallet-balance").inner_text().startswith("0.00")

        log_in(him, payer.id_number, live.password(payer))
        him.goto("/portal/wallet/send")
        points = him.get_by_test_id("wallet-points").inner_text()
        assert "每天最多转出 3 笔，每笔最多 2000 元" in points and "22:00 至次日 06:00" in points
        _fits(him)
        him.select_option("[name=relationship]", "spouse")
        him.fill("[name=id_number]", wife.id_number)
        him.fill("[name=amount]", "1500")
        _tall_enough(him.locator("[name=amount]"))
        him.goto("/portal")  # the page is left halfway
        him.goto("/portal/wallet/send")
        assert him.input_value("[name=id_number]") == wife.id_number  # nothing lost
        assert him.input_value("[name=amount]") == "1500"
        assert him.input_value("[name=relationship]") == "spouse"

        him.get_by_role("button", name="下一步：核对").click()
        him.wait_for_url("**/portal/wallet/send")
        check = him.get_by_test_id("wallet-confirm").inner_text()
        assert "李秀兰" in check and "1500.00" in check and "2025-06-03 06:00" in check
        limits = him.get_by_test_id("confirm-limits").inner_text()
        assert "每笔最多 2000 元" in limits and "22:00" in limits and "次日 06:00 原路退回" in limits
        _fits(him)
        him.goto("/portal")  # closed at the confirmation: the form is still there when he comes back
        him.goto("/portal/wallet/send")
        assert him.input_value("[name=amount]") == "1500"
        assert him.input_value("[name=id_number]") == wife.id_number
        him.get_by_role("button", name="下一步：核对").click()
        confirm = him.get_by_role("button", name="确认转账")
        _tall_enough(confirm)
        confirm.click()
        him.wait_for_url("**/portal/wallet/sent?done=*")
        assert him.get_by_test_id("done-state").inner_text() == "待对方接收"
        assert him.get_by_test_id("done-number").inner_text().startswith("230100-")
        _fits(him)
        him.goto("/portal/wallet/send")  # sent: the form starts empty again
        assert him.input_value("[name=amount]") == ""

        her.goto("/portal/wallet")
        waiting = her.get_by_test_id("waiting").inner_text()
        assert "王建国" in waiting and "1500.00" in waiting
        assert her.get_by_test_id("return-due").inner_text() == "2025-06-03 06:00"
        accept = her.get_by_test_id("accept")
        _tall_enough(accept)
        _fits(her)
        accept.dblclick()  # a double tap
        her.wait_for_url("**/portal/wallet")
        her.wait_for_selector("[data-testid=wallet-balance]")
        assert her.get_by_test_id("wallet-balance").inner_text().startswith("1500.00")
        assert her.get_by_test_id("waiting").count() == 0
        assert "已接收" in her.get_by_test_id("received").first.inner_text()

        states = w.db.read(lambda s: s.execute(select(WalletTransfer.state, func.count())
                                               .group_by(WalletTransfer.state)).all())
        assert [tuple(row) for row in states] == [("accepted", 1)]
        assert w.db.read(lambda s: s.execute(select(func.count()).select_from(WalletTransfer)).scalar_one()) == 1
        him.goto("/portal/wallet/sent")
        assert "已接收" in him.get_by_test_id("sent-row").inner_text()
        her.goto("/portal")
        assert "1500.00" in her.get_by_test_id("home-wallet").inner_text()
        _fits(her)
    finally:
        hers.close()
        his.close()

