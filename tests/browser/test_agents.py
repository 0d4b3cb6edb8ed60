"""Acting for someone (AG-1) in a real browser at phone size: a mother authorizes her son in the portal; he logs in
as himself, acts for her, is refused what she did not choose, switches back; a clerk records an agency at the
counter with the documents ticked. ``GONGJI_SCREENSHOTS=<folder>`` keeps each page in Chinese, in English and in
large text."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from gongji.agents.models import Agency
from tests.browser.conftest import PHONE, log_in
from tests.browser.test_pages import _shots


def _clerk(live, page) -> None:
    password = live.staff()
    page.goto("/counter/login")
    page.fill("[name=staff_id]", "S2301")
    page.fill("[name=password]", password)
    page.locator("main button[type=submit]").click()
    page.wait_for_url("**/counter")


def test_ag1_a_mother_authorizes_her_son_who_acts_for_her_within_what_she_chose(live, browser):
    w = live.world
    mother = w.person("王秀英", sex="F", born=date(1948, 3, 1), current_fen=120_000)
    son = w.person("李强", born=date(1975, 5, 5), current_fen=50_000)
    hers = browser.new_context(viewport=PHONE, locale="zh-CN", base_url=live.url, device_scale_factor=1)
    his = browser.new_context(viewport=PHONE, locale="zh-CN", base_url=live.url, device_scale_factor=1)
    try:
        her, him = hers.new_page(), his.new_page()
        for page in (her, him):
            page.set_default_timeout(15_000)
        log_in(her, mother.id_number, live.password(mother))
        her.get_by_role("link", name="代办").first.click()
        her.wait_for_url("**/portal/agents")
        her.get_by_test_id("new-agency").click()
        her.wait_for_url("**/portal/agents/new")
        _shots(her, "/portal/agents/new", "portal-agent-new", ready="[data-testid=agency-form]")
        her.fill("[name=name]", son.name)
        her.fill("[name=id_number]", son.id_number)
        her.select_option("[name=relationship]", "child")
        her.fill("[name=end_on]", (w.env.today() + timedelta(days=180)).isoformat())
        her.check("#f-action-bindings")
        her.get_by_role("button", name="提交委托").click()
        her.wait_for_url("**/portal/agents/new")  # the agreement was not ticked: refused next to it
        assert "请阅读并勾选同意" in her.locator("#e-agreement").inner_text()
        assert her.input_value("[name=id_number]") == son.id_number  # what was typed is kept
        her.check("[name=agreement]")
        her.get_by_role("button", name="提交委托").click()
        her.wait_for_url("**/portal/agents")
        assert "代办委托已生效" in her.locator("main").inner_text()
        assert son.name in her.get_by_test_id("granted-row").inner_text()
        _shots(her, "/portal/agents", "portal-agents-principal", ready="[data-testid=granted]")

        log_in(him, son.id_number, live.password(son))
        him.goto("/portal/agents")
        assert mother.name in him.get_by_test_id("held-row").inner_text()
        _shots(him, "/portal/agents", "portal-agents-agent", ready="[data-testid=held]")
        him.get_by_role("button", name="代TA办理").click()
        him.wait_for_url("**/portal")
        banner = him.get_by_test_id("acting").inner_text()
        assert mother.name in banner
        assert "1200.00" in him.locator("main").inner_text()  # her balance, not his
        menu = him.locator("nav.main").inner_text()
        assert "医保钱包" not in menu and "授权记录" in menu
        _shots(him, "/portal", "portal-acting-home", ready="[data-testid=acting]")
        him.goto("/portal/wallet")
        assert him.get_by_test_id("acting-refused").get_attribute("data-code") == "AGENCY_ACTION_NOT_GRANTED"
        _shots(him, "/portal/wallet", "portal-acting-refused", ready="[data-testid=acting-refused]")
        him.get_by_role("button", name="切换回本人").click()
        him.wait_for_url("**/portal/agents")
        him.goto("/portal")
        assert him.get_by_test_id("acting").count() == 0
        assert "500.00" in him.locator("main").inner_text()

        # she ends it: his "act for her" is gone
        her.goto("/portal/agents")
        her.once("dialog", lambda dialog: dialog.accept())
        her.get_by_role("button", name="终止委托").click()
        her.wait_for_url("**/portal/agents")
        assert "代办委托已终止" in her.locator("main").inner_text()
        him.goto("/portal/agents")
        assert him.get_by_role("button", name="代TA办理").count() == 0
    finally:
        hers.close()
        his.close()


def test_ag1_a_clerk_records_an_agency_with_the_documents_ticked(live, phone):
    w = live.world
    mother = w.person("王秀英", sex="F", born=date(1948, 3, 1))
    son = w.person("李强", born=date(1975, 5, 5))
    _clerk(live, phone)
    phone.goto(f"/counter/people/{mother.id}")
    phone.get_by_test_id("agencies-link").click()
    phone.wait_for_url(f"**/counter/people/{mother.id}/agencies")
    _shots(phone, f"/counter/people/{mother.id}/agencies", "counter-agencies", ready="[data-testid=agency-form]")
    phone.fill("[name=name]", son.name)
    phone.fill("[name=id_number]", son.id_number)
    phone.select_option("[name=relationship]", "child")
    phone.check("#f-doc_principal_id_card")
    phone.get_by_role("button", name="登记委托").click()
    assert "代办人居民身份证" in phone.locator("#e-documents").inner_text()
    phone.check("#f-doc_agent_id_card")
    phone.check("#f-doc_agency_letter")
    phone.get_by_role("button", name="登记委托").click()
    phone.wait_for_url(f"**/counter/people/{mother.id}/agencies")
    assert son.name in phone.get_by_test_id("granted-row").inner_text()
    agency = w.db.read(lambda s: s.execute(select(Agency)).scalar_one())
    assert agency.channel == "counter" and len(agency.documents) == 3
