"""The counter's binding page (N-8: offline too): a clerk sets the payer's monthly limit (PP-1), pauses and resumes
(D-3), and corrects a relationship once the payer signed the agreement again (N-7); each change is recorded with
the clerk and the channel ``counter``."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from gongji.authorizations.models import Binding
from gongji.events.models import Event
from tests.web.helpers import by_testid, desk_fixture, notice  # noqa: F401


def test_n_8_pp_1_d_3_n_7_a_clerk_changes_a_binding_for_the_payer(desk):
    w = desk.world
    payer = w.person("刘建国", born=date(1958, 3, 1), current_fen=80_000)
    wife = w.person("张秀英", sex="F", born=date(1960, 5, 1))
    binding_id = w.bind(payer, wife, "spouse")
    desk.log_in()
    url = f"/counter/bindings/{binding_id}"
    assert by_testid(desk.get(f"/counter/people/{payer.id}").text)["manage"]
    found = by_testid(desk.get(url).text)
    assert found["limit"] == ["不限"] and found["paid-this-month"] == ["0.00 元"]
    done = desk.follow(desk.post(f"{url}/limit", {"monthly_limit": "200.50"}, token_from=url))
    assert notice(done.text) == "每月限额已保存。" and by_testid(done.text)["limit"] == ["200.50 元"]
    done = desk.follow(desk.post(f"{url}/pause", {}, token_from=url))
    assert by_testid(done.text)["paused"] == ["已暂停"]
    refused = desk.post(f"{url}/relationship", {"relationship": "sibling"}, token_from=url)
    assert refused.status_code == 400
    desk.follow(desk.post(f"{url}/relationship", {"relationship": "sibling", "agreement": "yes"}, token_from=url))
    binding = w.db.read(lambda s: s.get(Binding, binding_id))
    assert (binding.monthly_limit_fen, binding.paused_at is not None, binding.relationship) == (20_050, True, "sibling")
    kinds = w.db.read(lambda s: s.execute(select(Event.kind, Event.actor_kind, Event.channel).where(
        Event.subject_type == "binding", Event.subject_id == binding_id).order_by(Event.id)).all())
    assert [tuple(k) for k in kinds[1:]] == [("binding.limit_set", "staff", "counter"),
                                             ("binding.paused", "staff", "counter"),
                                             ("binding.relationship_corrected", "staff", "counter")]


def test_n_8_a_statement_is_shown_for_printing_and_handed_over_as_pdf_or_csv(desk):
    """N-8: the counter shows a person's statement to print, and gives it as PDF and CSV; a bad period is told."""
    w = desk.world
    w.institution()
    payer = w.person("刘建国", born=date(1958, 3, 1), current_fen=80_000)
    wife = w.person("张秀英", sex="F", born=date(1960, 5, 1))
    w.bind(payer, wife, "spouse")
    w.settle(wife, 4_321)
    desk.log_in()
    today = w.env.today()
    assert by_testid(desk.get(f"/counter/people/{wife.id}").text)["statement-link"]
    page = desk.get(f"/counter/people/{wife.id}/statement")
    assert page.status_code == 200 and by_testid(page.text)["statement-title"] == [f"家庭共济对账单 {today:%Y-%m}"]
    assert "43.21" in page.text and "刘建国" in page.text and "756.79" not in page.text
    pdf = desk.get(f"/counter/people/{wife.id}/statement/file", params={"format": "pdf"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    csv_ = desk.get(f"/counter/people/{wife.id}/statement/file", params={"format": "csv", "period": f"{today:%Y}"})
    assert "43.21" in csv_.content.decode("utf-8-sig")
    bad = desk.get(f"/counter/people/{wife.id}/statement", params={"period": "2999"})
    assert bad.status_code == 400 and "对账单的期间" in bad.text
