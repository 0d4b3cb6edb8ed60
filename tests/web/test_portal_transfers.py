"""The portal's transfers between family accounts where the region moves funds (HZ-1..HZ-4).

Through the real application on both databases, as test_portal.py does: log in through the form, post each
form with the CSRF token of its page, read the answer. Every refused form is checked for having
changed nothing.
"""

from __future__ import annotations

import re

import pytest

from gongji.people.ids import mask
from tests.factories import Person, snapshot
from tests.web.helpers import by_testid, field_error, notice, page_error

# -- transfers (HZ-1..HZ-4) ------------------------------------------------------------------------


@pytest.fixture
def hangzhou(world) -> tuple[Person, Person]:
    """A Hangzhou payer with 500 yuan current-year and 1,000 yuan prior-years funds, and his wife."""
    return (world.person("周建华", city="hangzhou", current_fen=50_000, prior_fen=100_000),
            world.person("吴敏", city="hangzhou", sex="F"))


def transfer_form(relative: Person, **changes: str) -> dict[str, str]:
    form = {"relationship": "spouse", "name": relative.name, "id_number": relative.id_number, "amount": "300.00",
            "agreement": "yes", "step": "review"}
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def test_hz_4_a_transfer_is_checked_confirmed_and_told(portal, hangzhou, world):
    """HZ-4: the notice first; the payer's name, ID and prior-years balance are read from his login; he enters the
    relative and the amount, sees it checked, confirms; HZ-1: the money is hers; the text message is shown.
    Sending the confirmation twice moves the money once."""
    payer, wife = hangzhou
    portal.log_in(payer)
    page = portal.get("/portal/transfers")
    found = by_testid(page.text)
    assert found["own-id"] == [payer.id_number] and found["prior-years"] == ["1000.00 元"]
    assert "办理须知" in page.text and "HZ-2020.01" in page.text and "个人账户历年资金统筹区内近亲属绑定承诺书" in page.text

    r = portal.post("/portal/transfers", transfer_form(wife))
    assert r.status_code == 200
    [check] = by_testid(r.text)["transfer-confirm"]
    assert wife.name in check and mask(wife.id_number) in check and "300.00" in check and "700.00" in check
    assert world.balances(payer).prior_years_fen == 100_000  # nothing moved before the confirmation
    confirmation = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', r.text))
    confirmation["step"] = "confirm"

    r = portal.client.post("/portal/transfers", data=confirmation, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/portal/transfers?done=")
    again = portal.client.post("/portal/transfers", data=confirmation, follow_redirects=False)
    assert again.headers["location"] == r.headers["location"]
    assert world.balances(payer).prior_years_fen == 70_000 and world.balances(wife).prior_years_fen == 30_000

    page = portal.follow(r)
    assert notice(page.text) == "划转成功。"
    found = by_testid(page.text)
    assert "300.00" in found["transfer-done"][0]
    assert "历年账户家庭共济划转" in found["transfer-notice"][0] and wife.name in found["transfer-notice"][0]
    assert len(found["transfer-row"]) == 1

    portal.log_in(wife)
    [row] = by_testid(portal.get("/portal/transfers").text)["transfer-row"]
    assert "对方划给我" in row and payer.name in row and "300.00" in row


def test_hz_4_going_back_from_the_confirmation_keeps_what_was_typed(portal, hangzhou, world):
    payer, wife = hangzhou
    portal.log_in(payer)
    r = portal.post("/portal/transfers", transfer_form(wife, amount="120.50"))
    confirmation = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', r.text))
    r = portal.client.post("/portal/transfers", data=confirmation | {"step": "edit"}, follow_redirects=False)
    assert r.status_code == 200 and 'value="120.50"' in r.text and f'value="{wife.name}"' in r.text
    assert world.balances(payer).prior_years_fen == 100_000


@pytest.mark.parametrize(("changes", "field", "words"), [
    ({"amount": "1000.01"}, "amount", "超过 周建华 当前历年账户余额 1000.00 元"),  # HZ-2
    ({"amount": "12.345"}, "amount", "最多两位小数"),
    ({"amount": "0"}, "amount", "大于零"),
    ({"relationship": "sibling"}, "relationship", "不包括“兄弟姐妹”"),  # HZ-1: spouse, child, parent
    ({"agreement": None}, "agreement", "个人账户历年资金统筹区内近亲属绑定承诺书"),
    ({"name": "吴芳"}, "name", "姓名与身份证号码不一致"),
])
def test_hz_a_refused_transfer_is_told_next_to_its_field(portal, hangzhou, world, changes, field, words):
    """HZ-1, HZ-2, HZ-4: refusals come at the checking step, next to their field, before anything moves."""
    payer, wife = hangzhou
    portal.log_in(payer)
    before = snapshot(world)
    r = portal.post("/portal/transfers", transfer_form(wife, **changes))
    assert r.status_code == 400
    assert words in (field_error(r.text, field) or ""), (field_error(r.text, field), page_error(r.text))
    assert snapshot(world) == before


def test_hz_1_transfers_only_where_the_region_moves_funds(portal, harbin, hangzhou):
    """HZ-1: Hangzhou transfers instead of binding, Heilongjiang binds instead of transferring: each menu offers
    its own way, and the other page says why it is not offered."""
    payer, _ = harbin
    portal.log_in(payer)
    assert 'href="/portal/transfers"' not in portal.get("/portal").text
    page = portal.get("/portal/transfers").text
    assert "不办理历年资金划转" in page and 'name="amount"' not in page

    hz_payer, _ = hangzhou
    portal.log_in(hz_payer)
    home = portal.get("/portal").text
    assert 'href="/portal/transfers"' in home and 'href="/portal/bind"' not in home
    page = portal.get("/portal/bind").text
    assert "不办理共济绑定" in page and 'name="id_number"' not in page
