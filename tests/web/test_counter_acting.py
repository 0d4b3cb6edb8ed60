"""The counter does for the person who came in what the portal and the API offer (N-8, HLJ-9, WL-4), on both
databases: searches sent in the body, families (HN-1, HN-7), transfers (HZ-1..HZ-4), resident contributions for a
relative (N-5), the wallet opened and used for someone without a smartphone (WAL-1, WAL-4), status and
contribution history with the waiting period's end (LC-1, LC-4), the proof of a binding, and relatives named by
card number (SZ-4). Each action needs the region's checklist ticked and records the clerk as actor."""

from __future__ import annotations

from datetime import date

from tests.web.helpers import by_testid, desk_fixture, field_error, page_error  # noqa: F401


def test_n_8_an_id_number_in_the_address_is_not_searched_for(desk):
    """Searches go in the body: an ID number or a card number in the URL is refused (400) and nobody is listed."""
    w = desk.world
    father = w.person("赵德胜", current_fen=200_000, born=date(1955, 3, 8), card_no="HA0001234")
    desk.log_in()
    for query in (f"id_number={father.id_number}", "card_no=HA0001234"):
        r = desk.get(f"/counter?{query}")
        assert r.status_code == 400 and "网址" in page_error(r.text), query
        assert "person-row" not in by_testid(r.text) and f"/counter/people/{father.id}" not in r.text
    r = desk.get("/counter")
    assert r.status_code == 200 and r.text.count('method="post" action="/counter"') == 3
    r = desk.post("/counter", {"id_number": father.id_number}, token_from="/counter")
    assert r.status_code == 200 and len(by_testid(r.text)["person-row"]) == 1
