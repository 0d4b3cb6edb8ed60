"""The portal's binding page: the payer's monthly limit (PP-1), pause and resume (D-3), the payer order (WL-1), a
corrected relationship with the agreement accepted again (N-7). The relative sees that a limit exists, never its
amount nor his payer's balance (PP-2)."""

from __future__ import annotations

from datetime import date

from gongji.authorizations.models import Binding
from tests.web.helpers import by_testid, field_error, notice
from tests.web.test_portal import portal  # noqa: F401


def _binding(world, binding_id) -> Binding:
    return world.db.read(lambda s: s.get(Binding, binding_id))


def test_pp_1_the_payer_sets_a_limit_and_the_relative_sees_only_that_it_exists(portal):  # noqa: F811
    w = portal.world
    w.institution()
    payer = w.person("李建国", born=date(1960, 3, 1), current_fen=80_000)
    daughter = w.person("李小红", sex="F", born=date(1990, 5, 1))
    binding_id = w.bind(payer, daughter, "child")
    w.settle(daughter, 1_250)
    portal.log_in(payer)
    url = f"/portal/bindings/{binding_id}"
    found = by_testid(portal.get(url).text)
    assert found["limit"] == ["不限"] and found["paid-this-month"] == ["12.50 元"]
    bad = portal.post(f"{url}/limit", {"monthly_limit": "12.345"}, form_page=url)
    assert bad.status_code == 400 and "两位小数" in field_error(bad.text, "monthly_limit")
    done = portal.follow(portal.post(f"{url}/limit", {"monthly_limit": "300"}, form_page=url))
    assert notice(done.text) == "每月限额已保存。" and by_testid(done.text)["limit"] == ["300.00 元"]
    assert _binding(w, binding_id).monthly_limit_fen == 30_000

    portal.log_in(daughter)
    html = portal.get(url).text
    assert by_testid(html)["limit"] == ["对方设有每月限额"] and "paid-this-month" not in html
    assert "300.00" not in html and "800.00" not in html and "787.50" not in html
    refused = portal.post(f"{url}/limit", {"monthly_limit": "9999"}, form_page=url)
    assert refused.status_code == 403 and _binding(w, binding_id).monthly_limit_fen == 30_000


def test_d_3_the_relative_pauses_and_the_payer_resumes(portal):  # noqa: F811
    w = portal.world
    payer = w.person("王强", born=date(1960, 3, 1), current_fen=80_000)
    son = w.person("王小明", born=date(1990, 5, 1))
    binding_id = w.bind(payer, son, "child")
    url = f"/portal/bindings/{binding_id}"
    portal.log_in(son)
    done = portal.follow(portal.post(f"{url}/pause", {}, form_page=url))
    assert notice(done.text).startswith("已暂停") and by_testid(done.text)["paused"] == ["已暂停"]
    assert by_testid(portal.get("/portal").text)["can-pay"] == ["目前无法为您支付"]
    assert by_testid(portal.get("/portal/records").text)["paused"] == ["已暂停"]
    portal.log_in(payer)
    done = portal.follow(portal.post(f"{url}/pause", {"resume": "yes"}, form_page=url))
    assert notice(done.text) == "已恢复支付。" and _binding(w, binding_id).paused_at is None


def test_n_7_a_corrected_relationship_needs_the_agreement_again(portal):  # noqa: F811
    w = portal.world
    payer = w.person("赵刚", born=date(1960, 3, 1), current_fen=80_000)
    brother = w.person("赵强", born=date(1962, 5, 1))
    binding_id = w.bind(payer, brother, "sibling")
    url = f"/portal/bindings/{binding_id}"
    portal.log_in(payer)
    no_consent = portal.post(f"{url}/relationship", {"relationship": "spouse"}, form_page=url)
    assert no_consent.status_code == 400 and field_error(no_consent.text, "agreement")
    assert _binding(w, binding_id).relationship == "sibling"
    done = portal.follow(portal.post(f"{url}/relationship", {"relationship": "spouse", "agreement": "yes"},
                                     form_page=url))
    assert notice(done.text) == "关系已更正。" and _binding(w, binding_id).relationship == "spouse"


def test_pp_2_the_relatives_statement_shows_what_was_paid_for_him_not_the_balance(portal):  # noqa: F811
    w = portal.world
    w.institution()
    payer = w.person("钱建国", born=date(1960, 3, 1), current_fen=80_000)
    son = w.person("钱小明", born=date(1990, 5, 1))
    w.bind(payer, son, "child")
    w.settle(son, 1_234)
    portal.log_in(son)
    assert by_testid(portal.get("/portal/payments").text)["statements"]
    page = portal.get("/portal/statements")
    assert page.status_code == 200 and "12.34" in page.text and "钱建国" in page.text and "787.66" not in page.text
    pdf = portal.get("/portal/statements/file", params={"format": "pdf"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    bad = portal.get("/portal/statements", params={"period": "2099-01"})
    assert bad.status_code == 400 and field_error(bad.text, "period")
