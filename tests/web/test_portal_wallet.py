"""The medical insurance wallet in the portal (/portal/wallet), through the real application on both databases.

WAL-1: the relative opens her wallet and accepts; the payer sends from his personal account in two steps (checked
against every rule, then confirmed with the key the confirmation page drew). WAL-2 and WAL-3: the limits and the
quiet hours, read from the payer's region, are told before sending and refusals come back in the page's language.
WAL-4: what is not accepted by 06:00 the next day goes back. HN-9: a relative insured in another province.
Every refused form is checked for having changed nothing.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from gongji.clock import CST
from gongji.federation.config import FederationConfig, Peer
from gongji.federation.models import OutboxMessage
from gongji.people.ids import compose_id_number, mask
from gongji.wallet import across
from gongji.wallet import service as wallet
from gongji.wallet.models import Wallet, WalletTransfer
from tests.conftest import TODAY
from tests.factories import snapshot
from tests.wallet.conftest import family, funds, open_wallet, send, wallet_balance  # noqa: F401
from tests.web.helpers import by_testid, field_error, notice, page_error
from tests.web.test_portal import portal, text_of  # noqa: F401


def at(hour: int, minute: int = 0, *, day: int = 2) -> datetime:
    return datetime(2025, 6, day, hour, minute, tzinfo=CST)


def send_form(relative, **changes: str | None) -> dict[str, str]:
    form = {"relationship": "spouse", "id_number": relative.id_number, "amount": "1500", "step": "review"}
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def hidden_fields(html: str) -> dict[str, str]:
    """What the confirmation page's form sends back (its CSRF token and key, and the carried fields)."""
    fields = dict(re.findall(r'<input type="(?:hidden|text)" name="(\w+)" value="([^"]*)"(?: hidden)?>', html))
    if re.search(r'<input type="checkbox" name="elsewhere" value="yes" checked hidden>', html):
        fields["elsewhere"] = "yes"
    return fields


def transfers(world) -> list[WalletTransfer]:
    return world.db.read(lambda s: list(s.execute(select(WalletTransfer).order_by(WalletTransfer.id)).scalars()))


def review_and_confirm(portal, relative, **changes):  # noqa: F811
    """Fill in, check, confirm: the answer to the confirmation (a redirect when it went through)."""
    r = portal.post("/portal/wallet/send", send_form(relative, **changes))
    assert r.status_code == 200, (field_error(r.text, "amount"), page_error(r.text), r.text[:300])
    return portal.client.post("/portal/wallet/send", data=hidden_fields(r.text) | {"step": "confirm"},
                              follow_redirects=False)


def in_english(portal) -> None:  # noqa: F811
    assert portal.get("/portal/login?lang=en").status_code in (200, 303)


# -- opening (WAL-1) -------------------------------------------------------------------------------


def test_wal_1_she_opens_her_wallet_from_the_portal(portal, family, world):  # noqa: F811
    """WAL-1: the wallet is opened by its holder, any insured person (here a resident with no personal account); the
    page says what it is for and when money must be accepted; opening twice keeps one wallet."""
    _, _, mother = family
    portal.log_in(mother)
    home = portal.get("/portal").text
    assert 'href="/portal/wallet"' in home and "尚未开通" in by_testid(home)["home-wallet"][0]
    page = portal.get("/portal/wallet")
    assert page.status_code == 200
    [card] = by_testid(page.text)["wallet-not-open"]
    assert "次日 06:00 前" in card and "开通医保钱包" in card
    assert 'href="/portal/wallet/send"' not in page.text  # a resident has no personal account to send from

    r = portal.post("/portal/wallet/open", {}, form_page="/portal/wallet")
    page = portal.follow(r)
    assert notice(page.text).startswith("医保钱包已开通")
    assert by_testid(page.text)["wallet-balance"] == ["0.00 元"]
    again = portal.post("/portal/wallet/open", {}, form_page="/portal/wallet")
    assert again.status_code == 303
    assert world.db.read(lambda s: s.execute(select(func.count()).select_from(Wallet)).scalar_one()) == 1
    assert "0.00" in by_testid(portal.get("/portal").text)["home-wallet"][0]


def test_wal_1_a_page_needs_a_login(portal):  # noqa: F811
    for url in ("/portal/wallet", "/portal/wallet/send", "/portal/wallet/sent"):
        r = portal.get(url)
        assert r.status_code == 303 and r.headers["location"] == f"/portal/login?next={url}"


# -- sending and accepting (WAL-1..WAL-4) ----------------------------------------------------------


def test_wal_1_to_wal_4_send_check_confirm_then_she_accepts_once(portal, family, world):  # noqa: F811
    """WAL-1: the payer's data come from his login; the notice tells WAL-2's limits and WAL-3's hours from his
    region's policy; the checking step shows the relative, the amount, the funds it comes from and when it comes
    back (WAL-4) before anything moves. Confirming twice (a double tap, a reload) sends once. She sees it waiting
    with the time it goes back, accepts it, and a second tap of the same form accepts nothing more."""
    payer, wife, _ = family
    open_wallet(world, wife)
    portal.log_in(payer)
    page = portal.get("/portal/wallet/send")
    found = by_testid(page.text)
    assert found["own-id"] == [payer.id_number] and found["current-year"] == ["1000.00 元"]
    [points] = found["wallet-points"]
    assert "每天最多转出 3 笔，每笔最多 2000 元" in points and "22:00 至次日 06:00" in points
    assert "次日 06:00 原路退回" in points
    assert 'data-draft="wallet-send:' in page.text  # nothing lost if the page is closed halfway

    r = portal.post("/portal/wallet/send", send_form(wife, amount="1500.50"))
    assert r.status_code == 200
    [check] = by_testid(r.text)["wallet-confirm"]
    assert wife.name in check and mask(wife.id_number) in check and wife.id_number not in text_of(r.text)
    assert "1500.50" in check and "当年账户 1000.00" in check and "历年账户 500.50" in check
    assert by_testid(r.text)["confirm-return"] == ["2025-06-03 06:00"]
    [limits] = by_testid(r.text)["confirm-limits"]
    assert "每天最多转出 3 笔，每笔最多 2000 元" in limits and "22:00 至次日 06:00" in limits
    assert "次日 06:00 原路退回" in limits
    assert funds(world, payer) == (100_000, 300_000) and transfers(world) == []  # nothing moved yet
    confirmation = hidden_fields(r.text) | {"step": "confirm"}
    assert confirmation["key"].startswith("portal-")

    r = portal.client.post("/portal/wallet/send", data=confirmation, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/portal/wallet/sent?done=")
    again = portal.client.post("/portal/wallet/send", data=confirmation, follow_redirects=False)
    assert again.headers["location"] == r.headers["location"]
    [row] = transfers(world)
    assert funds(world, payer) == (0, 300_000 - 50_050)

    page = portal.follow(r)
    assert notice(page.text) == "转账已提交。"
    found = by_testid(page.text)
    assert found["done-state"] == ["待对方接收"] and found["done-number"] == [row.transfer_no]
    assert row.transfer_no.startswith("230100-")
    assert "2025-06-03 06:00" in found["wallet-sent-done"][0]
    [listed] = found["sent-row"]
    assert "待对方接收" in listed and "1500.50" in listed and wife.name in listed

    portal.log_in(wife)
    assert by_testid(portal.get("/portal").text)["wallet-waiting"][0].startswith("1")
    page = portal.get("/portal/wallet")
    found = by_testid(page.text)
    [waiting] = found["waiting"]
    assert payer.name in waiting and mask(payer.id_number) in waiting and "1500.50" in waiting
    assert found["return-due"] == ["2025-06-03 06:00"]
    key = re.search(r'name="key" value="([^"]+)"', page.text).group(1)
    accept_url = f"/portal/wallet/transfers/{row.id}/accept"
    form = {"csrf": portal.token("/portal/wallet"), "key": key}
    first = portal.client.post(accept_url, data=form, follow_redirects=False)
    second = portal.client.post(accept_url, data=form, follow_redirects=False)  # a double tap
    assert (first.status_code, second.status_code) == (303, 303)
    assert wallet_balance(world, wife) == 150_050
    page = portal.follow(second)
    assert notice(page.text) == "已接收，钱已转入您的医保钱包。"
    found = by_testid(page.text)
    assert found["wallet-balance"] == ["1500.50 元"] and "waiting" not in found
    assert "已接收" in found["received"][0]
    assert "+1500.50" in found["wallet-change"][0]
    assert "wallet-waiting" not in found

    before = snapshot(world)
    r = portal.post(accept_url, {"key": "portal-another-tap"}, form_page="/portal/wallet")
    assert r.status_code == 400 and "已接收，不能再接收" in page_error(r.text)
    assert snapshot(world) == before

    portal.log_in(payer)
    [listed] = by_testid(portal.get("/portal/wallet/sent").text)["sent-row"]
    assert "已接收" in listed


def test_wal_1_going_back_from_the_confirmation_keeps_what_was_typed(portal, family, world):  # noqa: F811
    payer, wife, _ = family
    open_wallet(world, wife)
    portal.log_in(payer)
    r = portal.post("/portal/wallet/send", send_form(wife, amount="120.50"))
    r = portal.client.post("/portal/wallet/send", data=hidden_fields(r.text) | {"step": "edit"},
                           follow_redirects=False)
    assert r.status_code == 200 and 'value="120.50"' in r.text and f'value="{wife.id_number}"' in r.text
    assert '<option value="spouse" selected>' in r.text
    assert transfers(world) == []


def refused_form(portal, world, form, *, status=400):  # noqa: F811
    before = snapshot(world)
    r = portal.post("/portal/wallet/send", form)
    assert r.status_code == status, r.text[:500]
    assert snapshot(world) == before
    return r


@pytest.mark.parametrize(("changes", "field", "words"), [
    ({"amount": "2000.01"}, "amount", "每笔医保钱包转账最多 2000.00 元，本次为 2000.01 元"),  # WAL-2
    ({"amount": "12.345"}, "amount", "最多两位小数"),
    ({"amount": "1e3"}, "amount", "不是数字"),
    ({"amount": "0"}, "amount", "大于零"),
    ({"amount": ""}, "amount", "请填写转入金额"),
    ({"amount": "4000.01"}, "amount", "每笔医保钱包转账最多"),
    ({"relationship": ""}, "relationship", "请选择这位亲属是您的什么人"),
    ({"relationship": "parent"}, "relationship", "所填关系“父母”与双方出生日期不符"),  # WAL-1, N-2
    ({"id_number": "123"}, "id_number", "身份证号码"),
    ({"elsewhere": "yes"}, "beneficiary_province", "请选择亲属参保的省份"),
    ({"elsewhere": "yes", "beneficiary_province": "23"}, "beneficiary_province", "不用勾选"),
    ({"elsewhere": "yes", "beneficiary_province": "99"}, "beneficiary_province", "请选择亲属参保的省份"),
])
def test_wal_2_a_refused_send_is_told_next_to_its_field(portal, family, world, changes, field, words):  # noqa: F811
    """WAL-2 and the form's own checks: each refusal comes at the checking step, next to its field, with what was
    typed kept, before anything moves."""
    payer, wife, _ = family
    open_wallet(world, wife)
    portal.log_in(payer)
    r = refused_form(portal, world, send_form(wife, **changes))
    assert words in (field_error(r.text, field) or ""), (field_error(r.text, field), page_error(r.text))
    assert "data-draft-refused" in r.text


def test_wal_1_a_relative_without_a_wallet_and_a_payer_without_money(portal, family, world):  # noqa: F811
    """WAL-1: the relative opens her wallet first; the payer sends only what his account has for relatives."""
    payer, wife, _ = family
    portal.log_in(payer)
    r = refused_form(portal, world, send_form(wife))
    assert "李秀兰 尚未开通医保钱包" in field_error(r.text, "id_number")
    open_wallet(world, wife)
    poor = world.person("赵穷", current_fen=5_000)
    portal.log_in(poor)
    r = refused_form(portal, world, send_form(wife, amount="60"))
    assert "可用于亲属的个人账户余额为 50.00 元，不足 60.00 元" in field_error(r.text, "amount")


def test_wal_2_the_fourth_transfer_of_a_day_is_refused(portal, family, world):  # noqa: F811
    """WAL-2: three transfers a day per payer (his region's ``wallet_transfers_per_day``); the fourth is refused
    with when sending opens again, in the page's language."""
    payer, wife, _ = family
    open_wallet(world, wife)
    for i in range(3):
        send(world, payer, wife, 100 + i)()
    portal.log_in(payer)
    r = refused_form(portal, world, send_form(wife, amount="10"))
    assert "今天（2025-06-02）已向医保钱包转账 3 笔，每天最多 3 笔。请于 2025-06-03 06:00 后再转" in page_error(r.text)
    in_english(portal)
    r = refused_form(portal, world, send_form(wife, amount="10"))
    assert "has already sent 3 wallet transfers today (2025-06-02); at most 3 a day" in page_error(r.text)


@pytest.mark.parametrize(("hour", "minute", "allowed"), [(21, 59, True), (22, 0, False), (5, 59, False),
                                                         (6, 0, True)])
def test_wal_3_no_transfers_between_22_and_6(portal, family, world, hour, minute, allowed):  # noqa: F811
    """WAL-3: 21:59 and 06:00 are sent, 22:00 and 05:59 refused with when sending opens again."""
    payer, wife, _ = family
    open_wallet(world, wife)
    world.env.clock.set(at(hour, minute, day=3 if hour < 12 else 2))
    portal.log_in(payer)
    if allowed:
        assert review_and_confirm(portal, wife).status_code == 303
        assert len(transfers(world)) == 1
    else:
        r = refused_form(portal, world, send_form(wife))
        assert "每天 22:00 至次日 06:00（北京时间）不能向医保钱包转账" in page_error(r.text)
        assert "请于 2025-06-03 06:00 后再转" in page_error(r.text)


def test_wal_3_checked_at_21_59_confirmed_at_22_00_is_refused(portal, family, world):  # noqa: F811
    """WAL-3 at the confirmation too: the check passed a minute before the quiet hours; the confirmation, after them
    began, is refused in English with nothing sent, and the form comes back filled in."""
    payer, wife, _ = family
    open_wallet(world, wife)
    world.env.clock.set(at(21, 59))
    portal.log_in(payer)
    in_english(portal)
    r = portal.post("/portal/wallet/send", send_form(wife))
    assert r.status_code == 200 and "No transfers from 22:00 to 06:00" in by_testid(r.text)["confirm-limits"][0]
    world.env.clock.set(at(22, 0))
    before = snapshot(world)
    r = portal.client.post("/portal/wallet/send", data=hidden_fields(r.text) | {"step": "confirm"},
                           follow_redirects=False)
    assert r.status_code == 400
    assert "No wallet transfer is sent from 22:00 to 06:00" in page_error(r.text)
    assert "Send it from 2025-06-03 06:00" in page_error(r.text)
    assert 'value="1500"' in r.text
    assert snapshot(world) == before


def test_wal_1_a_resident_cannot_send(portal, family, world):  # noqa: F811
    """WAL-1, N-1: only an employee enrollee sends from a personal account; a resident is told so, and a form sent
    anyway is refused."""
    payer, _, mother = family
    open_wallet(world, payer)
    portal.log_in(mother)
    page = portal.get("/portal/wallet/send").text
    assert "只有职工医保参保人" in by_testid(page)["not-employee"][0] and 'name="amount"' not in page
    r = refused_form(portal, world, send_form(payer, relationship="child"))
    assert "陈桂芳 参加的是城乡居民医保，没有个人账户" in page_error(r.text)


# -- returned and overdue (WAL-4) ------------------------------------------------------------------


def test_wal_4_not_accepted_by_6_goes_back(portal, family, world):  # noqa: F811
    """WAL-4: at 06:00 the next day the transfer can no longer be accepted (told without an Accept button, and a
    form sent anyway is refused); the return job gives it back and both sides see it returned."""
    payer, wife, _ = family
    open_wallet(world, wife)
    row = send(world, payer, wife, 30_000)()
    world.env.clock.set(at(6, 0, day=3))
    portal.log_in(wife)
    page = portal.get("/portal/wallet").text
    [waiting] = by_testid(page)["waiting"]
    assert "已过接收时间" in waiting and 'data-testid="accept"' not in page
    assert "wallet-waiting" not in by_testid(page)  # nothing left to accept
    before = snapshot(world)
    r = portal.post(f"/portal/wallet/transfers/{row.id}/accept", {"key": "late-tap"}, form_page="/portal/wallet")
    assert r.status_code == 400
    assert f"医保钱包转账 {row.transfer_no} 须在 2025-06-03 06:00 前接收" in page_error(r.text)
    assert snapshot(world) == before

    assert wallet.return_unaccepted(world.db, world.env) == 1
    found = by_testid(portal.get("/portal/wallet").text)
    assert "waiting" not in found and "未接收，已退回转出人" in found["received"][0]
    portal.log_in(payer)
    [listed] = by_testid(portal.get("/portal/wallet/sent").text)["sent-row"]
    assert "未接收，已退回您的账户" in listed
    assert funds(world, payer) == (100_000, 300_000)


def test_someone_elses_transfer_cannot_be_accepted(portal, family, world):  # noqa: F811
    """Only the relative accepts in the portal; the payer (or anyone) is told there is no such transfer."""
    payer, wife, _ = family
    open_wallet(world, wife)
    row = send(world, payer, wife, 30_000)()
    portal.log_in(payer)
    before = snapshot(world)
    for transfer_id in (row.id, 999_999, 10**30):
        r = portal.post(f"/portal/wallet/transfers/{transfer_id}/accept", {"key": "k"}, form_page="/portal/wallet")
        assert r.status_code == 400 and f"没有编号为 {str(transfer_id)[:20]} 的医保钱包转账" in page_error(r.text)
    assert snapshot(world) == before
    r = portal.client.post(f"/portal/wallet/transfers/{row.id}/accept", data={"key": "k"}, follow_redirects=False)
    assert r.status_code == 303 and "页面已过期" in notice(portal.follow(r).text)  # without the page's CSRF token
    assert snapshot(world) == before


# -- across provinces (HN-9) -----------------------------------------------------------------------


@pytest.fixture
def province_23(world):
    """This instance is Heilongjiang's (23), linked to the others through a hub (nothing is delivered here)."""
    world.env.federation = FederationConfig(role="province", province="23",
                                            hub=Peer("hub", "http://127.0.0.1:9", b"s" * 16))
    return world


def test_hn_9_to_a_relative_insured_in_henan_on_its_way_then_refused(portal, family, province_23):  # noqa: F811
    """HN-9: the payer ticks "insured in another province" and chooses Henan (41) among the provinces (his own is
    not offered); the check shows the province; once confirmed the transfer is 在途 (on its way) with its number and
    a message for the hub is written. Refused there (WAL-1: her wallet is not open), it shows the refusal's words
    in the page's language and the money is back."""
    world = province_23
    payer, _, _ = family
    son = compose_id_number("410100", TODAY.replace(year=1995), 7, "M")
    portal.log_in(payer)
    page = portal.get("/portal/wallet/send").text
    options = dict(re.findall(r'<option value="(\d\d)"[^>]*>([^<]+)</option>', page))
    assert {"41", "44", "33", "15"} <= set(options) and "23" not in options
    assert options["41"] == "河南省（41）" and options["15"] == "内蒙古自治区（15）"
    assert len(options) == 30

    form = {"relationship": "child", "id_number": son, "amount": "800", "elsewhere": "yes",
            "beneficiary_province": "41", "step": "review"}
    r = portal.post("/portal/wallet/send", form)
    assert r.status_code == 200, page_error(r.text)
    assert by_testid(r.text)["confirm-province"][0].startswith("河南省")
    assert mask(son) in by_testid(r.text)["wallet-confirm"][0]
    r = portal.client.post("/portal/wallet/send", data=hidden_fields(r.text) | {"step": "confirm"},
                           follow_redirects=False)
    assert r.status_code == 303, page_error(r.text)
    [row] = transfers(world)
    assert (row.direction, row.counterpart_province, row.beneficiary_id_number) == ("out", "41", son)
    outbox = world.db.read(lambda s: s.execute(select(OutboxMessage.kind, OutboxMessage.destination)).all())
    assert [tuple(m) for m in outbox] == [("wallet.transfer", "41")]
    found = by_testid(portal.follow(r).text)
    assert found["done-state"] == ["在途"] and found["done-number"] == [row.transfer_no]
    assert "河南省" in found["wallet-sent-done"][0] and "在途" in found["sent-row"][0]
    assert funds(world, payer) == (20_000, 300_000)

    world.run(lambda s, env: across.settle(s, env, "wallet.refused", {
        "transfer_no": row.transfer_no, "code": "WALLET_NOT_OPEN",
        "message_zh": "张小明 尚未开通医保钱包，不能向其转账。", "message_en": "张小明 has no medical insurance wallet yet."}))
    [listed] = by_testid(portal.get("/portal/wallet/sent").text)["sent-row"]
    assert "被拒收，已退回您的账户" in listed and "张小明 尚未开通医保钱包，不能向其转账。" in listed
    in_english(portal)
    [listed] = by_testid(portal.get("/portal/wallet/sent").text)["sent-row"]
    assert "refused: back in your account" in listed and "has no medical insurance wallet yet." in listed
    assert funds(world, payer) == (100_000, 300_000)


def test_hn_9_money_from_another_province_is_accepted_here(portal, family, province_23):  # noqa: F811
    """HN-9, WAL-1, WAL-4: a transfer from a payer insured in Henan waits in the wife's wallet with where it came
    from and when it goes back; she accepts it, and the answer for Henan is written."""
    world = province_23
    _, wife, _ = family
    open_wallet(world, wife)
    sender = compose_id_number("410100", TODAY.replace(year=1968), 9, "M")
    now = world.env.now()
    world.run(lambda s, env: across.arrive(s, env, {
        "transfer_no": "410100-" + "b" * 32, "payer_id_number": sender, "payer_name": "张建军",
        "region_code": "410100", "beneficiary_id_number": wife.id_number, "relationship": "spouse",
        "amount_fen": 25_000, "sent_at": now.isoformat(), "sent_on": TODAY.isoformat(),
        "return_due_at": (now + timedelta(hours=20)).isoformat()}, source="41"))
    portal.log_in(wife)
    page = portal.get("/portal/wallet").text
    [waiting] = by_testid(page)["waiting"]
    assert "张建军" in waiting and mask(sender) in waiting and "河南省" in waiting and "250.00" in waiting
    assert by_testid(page)["return-due"] == ["2025-06-03 06:00"]
    [row] = transfers(world)
    key = re.search(r'name="key" value="([^"]+)"', page).group(1)
    r = portal.post(f"/portal/wallet/transfers/{row.id}/accept", {"key": key}, form_page="/portal/wallet")
    found = by_testid(portal.follow(r).text)
    assert found["wallet-balance"] == ["250.00 元"] and "已接收" in found["received"][0]
    kinds = world.db.read(lambda s: list(s.execute(select(OutboxMessage.kind)).scalars()))
    assert kinds == ["wallet.accepted"]


# -- language, privacy -----------------------------------------------------------------------------


def test_the_wallet_pages_in_english_and_no_one_elses_id_number(portal, family, world):  # noqa: F811
    """The pages read in English when chosen; nobody's full ID number but one's own is shown (N-9)."""
    payer, wife, _ = family
    open_wallet(world, wife)
    send(world, payer, wife, 12_300)()
    portal.log_in(payer)
    in_english(portal)
    for url in ("/portal/wallet", "/portal/wallet/send", "/portal/wallet/sent", "/portal"):
        page = portal.get(url).text
        assert wife.id_number not in page, url
    page = text_of(portal.get("/portal/wallet/send").text)
    assert "At most 3 transfers a day, at most 2000 yuan each." in page
    assert "No transfers from 22:00 to 06:00 the next morning" in page
    assert "Henan (41)" in page and "Inner Mongolia (15)" in page
    assert "waiting for the relative" in text_of(portal.get("/portal/wallet/sent").text)
    portal.log_in(wife)
    page = portal.get("/portal/wallet").text
    assert payer.id_number not in page and "My medical insurance wallet" in page and "Accept" in page
