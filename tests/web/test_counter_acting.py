"""The counter does for the person who came in what the portal and the API offer (N-8, HLJ-9, WL-4), on both
databases: searches sent in the body, families (HN-1, HN-7), transfers (HZ-1..HZ-4), resident contributions for a
relative (N-5), the wallet opened and used for someone without a smartphone (WAL-1, WAL-4), status and
contribution history with the waiting period's end (LC-1, LC-4), the proof of a binding, and relatives named by
card number (SZ-4). Each action needs the region's checklist ticked and records the clerk as actor."""

from __future__ import annotations

import re
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


def _events(world, kind: str) -> list:
    from sqlalchemy import select

    from gongji.events.models import Event

    return world.db.read(lambda s: list(s.execute(select(Event).where(Event.kind == kind)).scalars()))


HENAN_DOCS = {"doc_id_card": "yes", "doc_insurance_card": "yes", "doc_marriage_certificate": "yes",
              "doc_household_register": "yes"}


def test_hn_1_hn_7_a_clerk_keeps_a_family_for_someone_at_the_counter(desk):
    """Henan: without the checklist nothing is done; with it the clerk creates the family, adds a member named by
    card number (SZ-4), corrects the relationship and removes him; another member leaves. The clerk is the actor."""
    from tests.factories import snapshot

    w = desk.world
    father = w.person("王建国", city="zhengzhou", current_fen=300_000)
    wife = w.person("李秀兰", city="zhengzhou", sex="F", card_no="HN0004321")
    son = w.person("王小明", city="zhengzhou", born=date(1995, 1, 1))
    desk.log_in("S4101", region_prefix="4101")
    url = f"/counter/people/{father.id}/family"
    assert desk.get(url).status_code == 200
    before = snapshot(w)
    r = desk.post(url, {"name": "王家"}, token_from=url)
    assert r.status_code == 400 and "户口簿" in field_error(r.text, "documents")
    assert snapshot(w) == before
    r = desk.post(url, {"name": "王家", **HENAN_DOCS}, token_from=url)
    assert desk.follow(r).status_code == 200
    r = desk.post(url + "/members", {"name": "李秀兰", "card_no": "hn0004321", "relationship": "sibling",
                                     **HENAN_DOCS}, token_from=url)
    assert r.status_code == 303, r.text
    r = desk.post(url + "/members", {"name": "王小明", "card_no": "HN0009999", "relationship": "child",
                                     **HENAN_DOCS}, token_from=url)
    assert r.status_code == 400 and "卡号" in field_error(r.text, "card_no")
    r = desk.post(url + "/members", {"name": "王大明", "id_number": son.id_number, "relationship": "child",
                                     **HENAN_DOCS}, token_from=url)
    assert r.status_code == 400 and "姓名不一致" in field_error(r.text, "name")
    r = desk.post(url + "/members", {"name": "王小明", "id_number": son.id_number, "relationship": "child",
                                     **HENAN_DOCS}, token_from=url)
    assert r.status_code == 303
    page = desk.follow(r)
    assert len(by_testid(page.text)["member-row"]) == 2
    form = page.text[page.text.index('data-testid="family"'):]
    assert "formaction" not in form[:form.index("<button")] + form[form.index("<button"):].split(">", 1)[0], \
        "Enter in the add form must add a member, not act on the first member's row"
    r = desk.post(f"{url}/members/{wife.id}/relationship", {f"relationship_{wife.id}": "spouse", **HENAN_DOCS},
                  token_from=url)
    assert r.status_code == 303, r.text
    assert 'value="spouse" selected' in desk.follow(r).text
    r = desk.post(f"{url}/members/{wife.id}/remove", HENAN_DOCS, token_from=url)
    assert r.status_code == 303
    r = desk.post(f"/counter/people/{son.id}/family/leave", HENAN_DOCS, token_from=url)
    assert r.status_code == 303
    page = desk.follow(r)
    assert "member-row" not in by_testid(page.text)
    kinds = ("family.created", "family.member_added", "family.member_updated", "family.member_removed",
             "family.member_left")
    found = [e for kind in kinds for e in _events(w, kind)]
    assert found and all(e.actor_id == "S4101" and e.channel == "counter" for e in found)
    checks = _events(w, "counter.documents_checked")  # N-8: what was checked, for each action done
    assert [e.data["action"] for e in checks] == ["family.create", "family.add_member", "family.add_member",
                                                  "family.update_member", "family.remove_member", "family.leave"]
    assert all(e.actor_id == "S4101" and e.data["documents"] == ["id_card", "insurance_card",
                                                                 "marriage_certificate", "household_register"]
               for e in checks)
    assert [e.subject_id for e in checks][-1] == son.id


def _hidden(html: str) -> dict[str, str]:
    import re
    from html import unescape

    return {k: unescape(v) for k, v in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', html)}


def _confirm(desk, url: str, html: str):
    return desk.client.post(url, data=_hidden(html) | {"step": "confirm"}, follow_redirects=False)


HANGZHOU_DOCS = {"doc_id_card": "yes", "doc_insurance_card": "yes"}


def test_hz_1_to_hz_4_a_transfer_at_the_counter_is_checked_confirmed_and_made_once(desk):
    """Hangzhou: the review moves nothing and shows the balance after; the confirmation moves the money once, also
    when sent twice; the commitment (HZ-4) and the checklist are required; more than the balance is refused
    (HZ-2); the relative may be named by card number (SZ-4). The clerk is the actor."""
    from tests.factories import snapshot

    w = desk.world
    mother = w.person("周桂芳", city="hangzhou", sex="F", born=date(1950, 2, 2), prior_fen=100_000)
    son = w.person("周强", city="hangzhou", born=date(1978, 5, 5), card_no="ZJ0001111")
    desk.log_in("S3301", region_prefix="3301")
    url = f"/counter/people/{mother.id}/transfers"
    form = {"name": "周强", "card_no": "ZJ0001111", "relationship": "child", "amount": "300.00",
            "agreement": "yes", "step": "review", **HANGZHOU_DOCS}
    before = snapshot(w)
    r = desk.post(url, {**form, "agreement": ""}, token_from=url)
    assert r.status_code == 400 and field_error(r.text, "agreement")
    r = desk.post(url, {**form, "doc_insurance_card": ""}, token_from=url)
    assert r.status_code == 400 and "社会保障卡" in field_error(r.text, "documents")
    r = desk.post(url, {**form, "amount": "1000.01"}, token_from=url)
    assert r.status_code == 400
    r = desk.post(url, form, token_from=url)
    assert r.status_code == 200 and by_testid(r.text)["confirm"], r.text[-3000:]
    assert "700.00" in r.text, re.findall(r"<dd>.*?</dd>", r.text)
    assert snapshot(w) == before
    first = _confirm(desk, url, r.text)
    again = _confirm(desk, url, r.text)
    assert first.status_code == again.status_code == 303
    assert w.balances(mother).prior_years_fen == 70_000 and w.total(son) == 30_000
    made = _events(w, "transfer.made")
    assert len(made) == 1 and made[0].actor_id == "S3301" and made[0].channel == "counter"
    page = desk.get(url)
    assert len(by_testid(page.text)["transfer-row"]) == 1


def test_n_5_a_clerk_pays_a_bound_relatives_resident_contribution(desk):
    """Harbin: the payer's bound resident daughter is offered; the set amount (400 yuan) is paid from his account
    once, a wrong amount is refused with the set one, a second payment for the year is refused."""
    w = desk.world
    father = w.person("赵德胜", current_fen=200_000)
    daughter = w.person("赵小红", sex="F", born=date(2000, 1, 1), scheme="resident")
    w.bind(father, daughter, "child")
    desk.log_in()
    url = f"/counter/people/{father.id}/contribution"
    page = desk.get(url)
    assert f'value="{daughter.id}"' in page.text
    docs = {"doc_e_voucher": "yes", "doc_id_card": "yes", "doc_commitment_letter": "yes"}
    form = {"beneficiary": str(daughter.id), "year": "2025", "amount": "300", "step": "review", **docs}
    r = desk.post(url, form, token_from=url)
    assert r.status_code == 400 and "400.00" in field_error(r.text, "amount")
    r = desk.post(url, {**form, "amount": "400"}, token_from=url)
    assert r.status_code == 200 and by_testid(r.text)["confirm"]
    assert _confirm(desk, url, r.text).status_code == 303
    assert _confirm(desk, url, r.text).status_code == 303
    assert w.total(father) == 160_000
    page = desk.get(url)
    assert len(by_testid(page.text)["contribution-row"]) == 1
    r = desk.post(url, {**form, "amount": "400"}, token_from=url)
    assert r.status_code == 400 and "2025" in (field_error(r.text, "year") or page_error(r.text) or "")
    r = desk.post(url, {**form, "beneficiary": str(father.id), "amount": "400"}, token_from=url)
    assert r.status_code == 400 and field_error(r.text, "beneficiary")


def test_wal_1_wal_4_the_wallet_is_opened_sent_into_and_accepted_at_the_counter(desk, clock):
    """Harbin: the clerk opens the wallet of a mother without a smartphone (代开通); her son sends into it at the
    counter (review, confirm once); the clerk accepts it for her; someone else's transfer is not hers to accept."""
    from datetime import datetime

    from gongji.clock import CST

    clock.set(datetime(2025, 6, 2, 10, tzinfo=CST))
    w = desk.world
    son = w.person("赵德胜", current_fen=200_000)
    mother = w.person("孙玉兰", sex="F", born=date(1945, 1, 1), card_no="HA0005678")
    other = w.person("钱多多", sex="F")
    docs = {"doc_e_voucher": "yes", "doc_id_card": "yes", "doc_commitment_letter": "yes"}
    desk.log_in()
    url = f"/counter/people/{mother.id}/wallet"
    r = desk.post(url + "/open", {}, token_from=url)
    assert r.status_code == 400 and field_error(r.text, "documents")
    r = desk.post(url + "/open", docs, token_from=url)
    assert r.status_code == 303 and by_testid(desk.follow(r).text)["wallet-balance"] == ["0.00"]
    send = f"/counter/people/{son.id}/wallet/send"
    form = {"name": "孙玉兰", "card_no": "HA0005678", "relationship": "parent", "amount": "150", "step": "review",
            **docs}
    r = desk.post(send, form, token_from=send)
    assert r.status_code == 200 and by_testid(r.text)["confirm"], field_error(r.text, "amount")
    assert _confirm(desk, send, r.text).status_code == 303
    assert _confirm(desk, send, r.text).status_code == 303
    assert w.total(son) == 185_000
    page = desk.get(url)
    rows = by_testid(page.text)["waiting-row"]
    assert len(rows) == 1 and "150.00" in rows[0]
    import re

    action, key = re.search(r'name="key" value="([^"]+)"\s+formaction="([^"]+)"', page.text).group(2, 1)
    r = desk.post(f"/counter/people/{other.id}/wallet/transfers/{action.rsplit('/', 2)[1]}/accept",
                  {"key": key, **docs}, token_from=url)
    assert r.status_code == 400
    r = desk.post(action, {"key": key, **docs}, token_from=url)
    assert r.status_code == 303
    assert desk.post(action, {"key": key, **docs}, token_from=url).status_code == 303  # sent twice: accepted once
    page = desk.follow(r)
    assert by_testid(page.text)["wallet-balance"] == ["150.00"] and "waiting-row" not in by_testid(page.text)
    opened = _events(w, "wallet.opened")
    assert opened and opened[0].actor_id == "S2301"


def test_lc_1_lc_4_the_status_and_contribution_history_with_the_waiting_periods_end(desk, clock):
    """Ulanqab: contributions stopped and resumed; the page shows each month, a back-payment as such, and the last
    day of the waiting period (LC-4)."""
    from datetime import datetime

    from gongji.actors import Actor
    from gongji.clock import CST
    from gongji.contributions import service as contributions

    clock.set(datetime(2026, 12, 8, 10, tzinfo=CST))
    w = desk.world
    person = w.person("刘军", city="ulanqab", current_fen=10_000)
    months = [f"2025-{m:02d}" for m in range(1, 13)] + ["2026-01", "2026-02", "2026-03"] + \
        [f"2026-{m:02d}" for m in range(9, 13)]

    def load(s, env):
        rows = [contributions.check_row({"id_number": person.id_number, "month": m, "employer_fen": 64_000,
                                         "base_fen": 800_000, "paid_on": "2026-10-05" if m == "2026-09" else
                                         f"{m}-01"}, today=env.today()) for m in months]
        result = contributions.record(s, env, rows=rows, people=contributions.people_by_id_number(
            s, [person.id_number]), source="test")
        contributions.refresh(s, env, person_ids=result.person_ids, actor=Actor.system("tests"))

    w.run(load)
    desk.log_in("S1509", region_prefix="1509")
    page = desk.get(f"/counter/people/{person.id}/history")
    found = by_testid(page.text)
    assert found["waiting-end"] == ["最后一天 2027-02-28"]
    assert len(found["month-row"]) == len(months) and found["month-row"][0].startswith("2026-12")
    assert "补缴" in next(row for row in found["month-row"] if row.startswith("2026-09"))
    assert 'data-testid="history"' in desk.get(f"/counter/people/{person.id}").text


def test_hn_3_the_proof_documents_of_a_binding_are_shown_to_staff_of_its_region(desk, tmp_path, monkeypatch):
    """A binding made online with an uploaded photo of the household register: its page lists it and opens the
    file (not cached); staff of another region are refused; a document without a file opens nothing."""
    from gongji.actors import Actor
    from gongji.authorizations import service as authorizations

    monkeypatch.setenv("GONGJI_UPLOAD_DIR", str(tmp_path))
    (tmp_path / "portal").mkdir()
    (tmp_path / "portal" / "proof.png").write_bytes(b"\x89PNG\r\n\x1a\nproof")
    w = desk.world
    payer = w.person("王建国", current_fen=300_000)
    wife = w.person("李秀兰", sex="F")
    binding = w.run(lambda s, env: authorizations.bind(
        s, env, payer_id_number=payer.id_number, beneficiary_id_number=wife.id_number, relationship="spouse",
        actor=Actor.person(payer.id), agreement_version=env.policy("230100").agreement_version, start_on=None, end_on=None, priority=None,
        documents=[{"kind": "household_register", "file_ref": "portal/proof.png"}]).id)
    desk.log_in()
    assert f"/counter/bindings/{binding}/documents" in desk.get(f"/counter/people/{payer.id}").text
    page = desk.get(f"/counter/bindings/{binding}/documents")
    rows = by_testid(page.text)["document-row"]
    assert len(rows) == 1 and "户口簿" in rows[0] and "网上上传" in rows[0]
    href = re.search(r'href="(/counter/bindings/\d+/documents/\d+)"', page.text).group(1)
    r = desk.get(href)
    assert r.status_code == 200 and r.content.endswith(b"proof") and r.headers["cache-control"] == "no-store"
    assert r.headers["content-type"] == "image/png"
    assert desk.get(f"/counter/bindings/{binding}/documents/999999").status_code == 404
    desk.log_in("S4101", region_prefix="4101")
    assert desk.get(f"/counter/bindings/{binding}/documents").status_code == 403
    assert desk.get(href).status_code == 403


def test_sz_4_a_relative_is_bound_at_a_shenzhen_counter_by_card_number(desk):
    """SZ-4: the clerk swipes the payer's card and enters the relative's card number instead of the ID number; a
    wrong name for that card, or both numbers at once, are refused next to their fields."""
    w = desk.world
    father = w.person("陈伟", city="shenzhen", born=date(1975, 1, 1), current_fen=500_000)
    son = w.person("陈小明", city="shenzhen", born=date(2000, 1, 1), card_no="SZ0002222")
    desk.log_in("S4403", region_prefix="4403")
    url = f"/counter/people/{father.id}/bind"
    form = {"name": "陈小明", "card_no": "sz0002222", "relationship": "child", "start_on": "2025-06-02",
            "agreement": "yes", "doc_insurance_card": "yes", "doc_id_card": "yes"}
    r = desk.post(url, {**form, "name": "陈大明"}, token_from=url)
    assert r.status_code == 400 and field_error(r.text, "name")
    r = desk.post(url, {**form, "id_number": son.id_number}, token_from=url)
    assert r.status_code == 400 and field_error(r.text, "card_no")
    r = desk.post(url, form, token_from=url)
    assert r.status_code == 303, r.text
    page = desk.follow(r)
    assert by_testid(page.text)["binding-payer"] and "陈小明" in by_testid(page.text)["binding-payer"][0]


def test_hn_9_a_clerk_sends_into_the_wallet_of_a_relative_insured_in_another_province(desk, clock):
    """Harbin, linked to the other provinces through a hub: the son's ID number and Henan (41) chosen, the review
    shows the province, the confirmed transfer is on its way with a message for the hub; the payer's own province
    and a missing province are refused next to the field."""
    from datetime import datetime

    from sqlalchemy import select

    from gongji.clock import CST
    from gongji.federation.config import FederationConfig, Peer
    from gongji.federation.models import OutboxMessage
    from gongji.people.ids import compose_id_number
    from tests.conftest import TODAY

    clock.set(datetime(2025, 6, 2, 10, tzinfo=CST))
    w = desk.world
    w.env.federation = FederationConfig(role="province", province="23", hub=Peer("hub", "http://127.0.0.1:9",
                                                                                 b"s" * 16))
    payer = w.person("赵德胜", current_fen=200_000)
    son = compose_id_number("410100", TODAY.replace(year=1995), 7, "M")
    desk.log_in()
    url = f"/counter/people/{payer.id}/wallet/send"
    docs = {"doc_e_voucher": "yes", "doc_id_card": "yes", "doc_commitment_letter": "yes"}
    form = {"id_number": son, "relationship": "child", "amount": "800", "elsewhere": "yes",
            "beneficiary_province": "41", "step": "review", **docs}
    page = desk.get(url).text
    assert 'value="41"' in page and 'value="23"' not in page
    for changes in ({"beneficiary_province": "23"}, {"beneficiary_province": ""}):
        r = desk.post(url, {**form, **changes}, token_from=url)
        assert r.status_code == 400 and field_error(r.text, "beneficiary_province"), changes
    r = desk.post(url, form, token_from=url)
    assert r.status_code == 200 and "河南省" in by_testid(r.text)["confirm"][0], page_error(r.text)
    assert _confirm(desk, url, r.text).status_code == 303
    outbox = w.db.read(lambda s: s.execute(select(OutboxMessage.kind, OutboxMessage.destination)).all())
    assert [tuple(m) for m in outbox] == [("wallet.transfer", "41")]
    [row] = by_testid(desk.get(f"/counter/people/{payer.id}/wallet").text)["sent-row"]
    assert "在途" in row and "800.00" in row


def test_n_8_the_pages_acting_for_a_person_show_clerks_no_rule_numbers(desk):
    """The new counter pages speak of the rules in words, never by numbers such as “（HZ-4）”."""
    from tests.web.test_pages import RULE_NUMBER

    w = desk.world
    payer = w.person("王建国", current_fen=300_000)
    wife = w.person("李秀兰", sex="F")
    binding = w.bind(payer, wife)
    desk.log_in()
    paths = [f"/counter/people/{payer.id}/{page}" for page in ("family", "contribution", "wallet", "wallet/send",
                                                               "history")] + [f"/counter/bindings/{binding}/documents"]
    hangzhou = w.person("周红", city="hangzhou", prior_fen=10_000)
    for path in paths:
        r = desk.get(path)
        assert r.status_code == 200 and not RULE_NUMBER.search(r.text), (path, RULE_NUMBER.search(r.text))
    desk.log_in("S3301", region_prefix="3301")
    r = desk.get(f"/counter/people/{hangzhou.id}/transfers")
    assert r.status_code == 200 and not RULE_NUMBER.search(r.text), RULE_NUMBER.search(r.text)
