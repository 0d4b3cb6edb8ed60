"""What notifications say (HZ-4, N-9): every notified kind in Chinese and English, for each side, with
amounts exact to the fen, "you" being the reader, and no ID or phone number anywhere.

The words are composed from plain facts (no database); the last tests load the facts of real
operations on both databases.
"""

from __future__ import annotations

import re
from datetime import date

import pytest

from gongji.authorizations import service as authorizations
from gongji.errors import GongjiError
from gongji.notifications.messages import COMPOSED_KINDS, Facts, check_language, compose, render_all
from gongji.notifications.outbox import NOTIFIED_KINDS
from gongji.settlement import service as settlement
from gongji.transfers import service as transfers
from tests.factories import STAFF
from tests.notifications.conftest import HOSPITAL, outbox

CJK = re.compile(r"[\u4e00-\u9fff]")
PAYER, RELATIVE, OTHER = 1, 2, 3
NAMES = {PAYER: "张三", RELATIVE: "李四", OTHER: "王五"}

#: Facts of one notification of each kind: PAYER pays for (or is householder of) RELATIVE.
SAMPLES: dict[str, dict] = {
    "binding.created": dict(data={"relationship": "spouse", "start_on": "2025-06-02", "end_on": None},
                            relationship="spouse"),
    "binding.ended": dict(data={"reason": "by_payer", "note": None}, relationship="spouse"),
    "mutual_aid.paid": dict(data={"payer_id": PAYER, "patient_id": RELATIVE, "amount_fen": 1250},
                            use="outpatient", institution_name="哈尔滨市第一医院"),
    "settlement.refunded": dict(data={"refund_id": 7, "amount_fen": 3000, "cash_fen": 500,
                                      "to": {str(PAYER): 2000, str(RELATIVE): 500}}, use="inpatient"),
    "transfer.made": dict(data={"amount_fen": 30_000, "relationship": "parent"}, relationship="parent"),
    "contribution.paid": dict(data={"year": 2025, "amount_fen": 40_000}),
    "wallet.transfer_sent": dict(data={"transfer_no": "230100-x", "amount_fen": 20_000, "relationship": "parent"},
                                 relationship="parent"),
    "wallet.transfer_accepted": dict(data={"transfer_no": "230100-x", "amount_fen": 20_000}, relationship="parent"),
    "wallet.transfer_returned": dict(data={"transfer_no": "230100-x", "amount_fen": 20_000}, relationship="parent"),
    "wallet.transfer_arrived": dict(data={"transfer_no": "230100-x", "amount_fen": 20_000, "province": "23"},
                                    relationship="parent"),
    "wallet.transfer_refused": dict(data={"transfer_no": "230100-x", "amount_fen": 20_000, "code": "WALLET_NOT_OPEN",
                                          "message_zh": "对方尚未开通医保钱包。", "message_en": "The wallet is not open."},
                                    relationship="parent"),
    "family.member_added": dict(data={"member_id": RELATIVE, "relationship": "child"}, relationship="child",
                                family_name="张家"),
    "family.member_removed": dict(data={"member_id": RELATIVE, "bindings_ended": 1}, family_name="张家"),
    "family.member_left": dict(data={"member_id": RELATIVE, "bindings_ended": 0}, family_name="张家"),
    "family.dissolved": dict(data={}, family_name="张家"),
    # PP-1, WL-1, D-3, N-7: changes of a standing binding (tests/notifications/test_binding_change_messages.py)
    "binding.limit_set": dict(data={"from": None, "to": 30_000, "by": "payer"}, relationship="child"),
    "binding.priority_set": dict(data={"from": None, "to": 2, "by": "beneficiary"}, relationship="child"),
    "binding.paused": dict(data={"note": None, "by": "beneficiary"}, relationship="child"),
    "binding.resumed": dict(data={"note": None, "by": "staff"}, relationship="child"),
    "binding.relationship_corrected": dict(data={"from": "sibling", "to": "spouse", "by": "payer"},
                                           relationship="spouse"),
    # LC-1, LC-4, LC-7: about the reader himself (tests/notifications/test_status_messages.py)
    "enrollment.status_changed": dict(data={"from": "suspended", "to": "normal", "on": "2026-10-01",
                                            "cause": "contributions", "pooled_share": "waiting",
                                            "pooled_share_permille": 0, "pooled_share_last_day": "2027-02-28"}),
    "account.carried_out": dict(data={"transfer_no": "230100-x", "amount_fen": 40_000, "province": "41"}),
    "account.carried_in": dict(data={"transfer_no": "230100-x", "amount_fen": 40_000, "province": "23"}),
    "account.carry_refused": dict(data={"transfer_no": "230100-x", "amount_fen": 40_000, "province": "41",
                                        "code": "PERSON_NOT_FOUND", "message_zh": "转入地查无此人。",
                                        "message_en": "Not known there."}),
    # AG-1: PAYER is the principal, RELATIVE the agent
    "agency.granted": dict(data={"principal_id": PAYER, "agent_id": RELATIVE, "actions": "records,bindings",
                                 "start_on": "2025-06-02", "end_on": "2025-07-02"}),
    "agency.ended": dict(data={"principal_id": PAYER, "agent_id": RELATIVE, "by": "agent"}),
    "agency.acting": dict(data={"principal_id": PAYER, "agent_id": RELATIVE}),
}
#: Kinds that tell a person about himself alone: nobody else is named.
ABOUT_HIMSELF = frozenset({"family.dissolved", "enrollment.status_changed", "account.carried_out",
                           "account.carried_in", "account.carry_refused"})


def facts(kind: str, reader: int, **overrides) -> Facts:
    sample = {**SAMPLES[kind], **overrides}
    return Facts(kind=kind, reader_id=reader, names=NAMES, payer_id=PAYER, beneficiary_id=RELATIVE, **sample)


def without_names(text: str) -> str:
    """The text without proper names (people, the family, the hospital): what is left must be English."""
    for name in (*NAMES.values(), "张家", "哈尔滨市第一医院"):
        text = text.replace(name, "")
    return text


def test_hz_4_n_9_every_notified_kind_has_words():
    assert set(NOTIFIED_KINDS) <= COMPOSED_KINDS
    assert set(SAMPLES) == set(NOTIFIED_KINDS)


@pytest.mark.parametrize("kind", sorted(NOTIFIED_KINDS))
@pytest.mark.parametrize("reader", [PAYER, RELATIVE])
def test_hz_4_n_9_every_kind_reads_in_chinese_and_english(kind, reader):
    """HZ-4, N-9: a title and a body in both languages; the Chinese is Chinese, the English English."""
    zh, en = compose(facts(kind, reader), "zh"), compose(facts(kind, reader), "en")
    for text in (zh, en):
        assert text.title.strip() and text.body.strip()
        assert "{" not in text.body and "None" not in text.body
    assert CJK.search(zh.title) and CJK.search(zh.body)
    assert not CJK.search(en.title) and not CJK.search(without_names(en.body)), en.body
    assert not en.body[0].islower()


@pytest.mark.parametrize("kind", sorted(NOTIFIED_KINDS - ABOUT_HIMSELF))
def test_n_9_who_is_you_depends_on_the_reader(kind):
    """The payer (householder) and the relative read different sentences, each naming only the other."""
    for language in ("zh", "en"):
        to_payer, to_relative = compose(facts(kind, PAYER), language), compose(facts(kind, RELATIVE), language)
        assert to_payer.body != to_relative.body
        assert NAMES[RELATIVE] in to_payer.body and NAMES[PAYER] not in to_payer.body
        if kind != "settlement.refunded":  # the patient also reads where each payer's money went
            assert NAMES[PAYER] in to_relative.body and NAMES[RELATIVE] not in to_relative.body


def test_pp_2_the_payer_is_told_the_balance_after_each_payment():
    data = {**SAMPLES["mutual_aid.paid"]["data"], "balance_after_fen": 98_765}
    paid = facts("mutual_aid.paid", PAYER, institution_name=None, data=data)
    assert compose(paid, "zh").body == "您的医保个人账户为 李四 支付门诊费用 12.50 元。支付后账户余额 987.65 元。"
    assert compose(paid, "en").body.endswith("Your account holds 987.65 yuan after it.")
    relative = facts("mutual_aid.paid", RELATIVE, data=data)
    assert "987.65" not in compose(relative, "zh").body  # the relative is never told the payer's balance


def test_n_9_the_example_sentences():
    paid = facts("mutual_aid.paid", PAYER, institution_name=None)
    assert compose(paid, "zh").body == "您的医保个人账户为 李四 支付门诊费用 12.50 元。"
    assert compose(paid, "en").body == "Your medical account paid 12.50 yuan for 李四's outpatient care."
    patient = facts("mutual_aid.paid", RELATIVE)
    assert compose(patient, "zh").body == "张三 的医保个人账户为您支付门诊费用 12.50 元（哈尔滨市第一医院）。"
    assert compose(patient, "en").body == (
        "张三's medical account paid 12.50 yuan for your outpatient care at 哈尔滨市第一医院.")
    assert compose(patient, "zh").title == "家庭共济支付提醒"


@pytest.mark.parametrize(("fen", "yuan"), [(1, "0.01"), (10, "0.10"), (99, "0.99"), (100, "1.00"), (1250, "12.50"),
                                           (100_000_001, "1000000.01"), (10_000_000_000, "100000000.00")])
@pytest.mark.parametrize("kind", ["mutual_aid.paid", "transfer.made", "contribution.paid"])
def test_n_9_amounts_are_yuan_exact_to_the_fen(kind, fen, yuan):
    data = {**SAMPLES[kind]["data"], "amount_fen": fen}
    for reader in (PAYER, RELATIVE):
        assert re.search(rf"(?<![\d.]){re.escape(yuan)} 元", compose(facts(kind, reader, data=data), "zh").body)
        assert re.search(rf"(?<![\d.]){re.escape(yuan)} yuan ", compose(facts(kind, reader, data=data), "en").body)


def test_hn_5_refund_says_where_each_fen_went():
    """The patient reads the whole refund and its parts; a payer reads what came back to him."""
    assert compose(facts("settlement.refunded", RELATIVE), "zh").body == (
        "您的住院费用已退费 30.00 元：5.00 元退回您的医保个人账户，20.00 元退回 张三 的医保个人账户，5.00 元以现金退还。")
    assert compose(facts("settlement.refunded", RELATIVE), "en").body == (
        "Your bill for inpatient care was refunded 30.00 yuan: 5.00 yuan to your medical account, 20.00 yuan to "
        "张三's medical account, 5.00 yuan in cash.")
    assert compose(facts("settlement.refunded", PAYER), "zh").body == (
        "李四 的住院费用已退费，其中 20.00 元退回您的医保个人账户。")
    assert compose(facts("settlement.refunded", PAYER), "en").body == (
        "李四's bill for inpatient care was refunded: 20.00 yuan went back to your medical account.")


def test_d_3_expiry_names_the_last_day():
    expired = facts("binding.ended", RELATIVE, data={"reason": "expired"}, end_on=date(2025, 6, 5))
    assert compose(expired, "zh").title == "家庭共济绑定已到期"
    assert "2025年6月5日" in compose(expired, "zh").body
    assert "5 June 2025" in compose(expired, "en").body


def test_missing_facts_leave_words_out_but_never_break():
    """A fact the database no longer holds (a name, a use) is left out, not shown as None."""
    bare = Facts(kind="mutual_aid.paid", reader_id=RELATIVE, data={"amount_fen": 1250})
    assert compose(bare, "zh").body == "您的亲属 的医保个人账户为您支付医疗费用 12.50 元。"
    assert compose(bare, "en").body == "Your relative's medical account paid 12.50 yuan for your medical bill."


def test_language_tags_and_refusals():
    assert check_language("zh-CN") == "zh" and check_language("en-GB") == "en" and check_language("EN") == "en"
    for bad in ("fr", "", None, 1):
        with pytest.raises(GongjiError) as info:
            check_language(bad)
        assert info.value.code == "INVALID_FIELD"
    with pytest.raises(KeyError):
        compose(Facts(kind="settlement.settled", reader_id=1, data={}), "zh")


# -- from real operations, on both databases -----------------------------------------------------


def test_n_9_messages_of_real_operations_name_people_but_no_numbers(world, couple, clock):
    """Render every notification of a binding, a payment, a refund, a contribution, an unbinding and an
    expiry; no text carries an ID number, a card number or a phone number, and the reader is "you"."""
    payer, wife = couple
    daughter = world.person("张小红", born=date(2003, 3, 3), sex="F", scheme="resident", phone="13900001111",
                            card_no="HLJ0001")
    world.bind(payer, wife, end_on="2025-06-05")
    to_daughter = world.bind(payer, daughter, "child")
    result = world.settle(wife, 5_000)
    world.run(lambda s, env: settlement.refund(s, env, institution_code=HOSPITAL, settlement_id=result.settlement_id,
                                               amount_fen=1_234, idempotency_key="r-1"))
    world.run(lambda s, env: transfers.pay_resident_contribution(
        s, env, payer_id_number=payer.id_number, beneficiary_id_number=daughter.id_number, year=2025,
        amount_fen=40_000, idempotency_key="c-1", actor=payer.actor))
    clock.advance(days=4)
    assert world.run(lambda s, env: authorizations.close_expired(s, env)) == 1
    world.run(lambda s, env: authorizations.unbind(s, env, binding_id=to_daughter, actor=STAFF))

    rows = outbox(world)
    assert {n.kind for n in rows} == {"binding.created", "mutual_aid.paid", "settlement.refunded",
                                      "contribution.paid", "binding.ended"}
    people = {p.id: p for p in (payer, wife, daughter)}
    for language in ("zh", "en"):
        texts = world.db.read(lambda s, language=language: render_all(s, rows, language=language))
        for n, text in zip(rows, texts, strict=True):
            words = text.title + text.body
            for p in people.values():
                assert p.id_number not in words and p.id_number[-6:] not in words
            assert "13812345678" not in words and "13900001111" not in words and "HLJ0001" not in words
            assert people[n.person_id].name not in words, (n.kind, words)  # the reader is "you"
            if n.kind == "mutual_aid.paid":
                assert "40.00" in words and "哈尔滨市第一医院" in words
    by_kind = {(n.kind, n.person_id): t for n, t in zip(
        rows, world.db.read(lambda s: render_all(s, rows, language="zh")), strict=True)}
    assert by_kind["mutual_aid.paid", payer.id].body == (  # PP-2: the balance after (500 less 40 yuan)
        "您的医保个人账户为 王秀英 支付门诊费用 40.00 元（哈尔滨市第一医院）。支付后账户余额 460.00 元。")
    assert by_kind["settlement.refunded", wife.id].body == (
        "您的门诊费用（哈尔滨市第一医院）已退费 12.34 元：12.34 元退回 张建国 的医保个人账户。")
    assert by_kind["contribution.paid", daughter.id].body == (
        "张建国 的医保个人账户为您缴纳 2025 年度城乡居民医保个人缴费 400.00 元。")


def test_hn_9_a_payer_of_another_province_is_named_from_the_message():
    """HN-9: in the relative's instance the payer is no person of its own; the words name him as his province's
    message did, and a refusal says why in the refusing side's words."""
    arrived = Facts(kind="wallet.transfer_arrived", reader_id=RELATIVE, names=NAMES, payer_id=None,
                    beneficiary_id=RELATIVE, data={"amount_fen": 50_000, "payer_name": "黄军", "province": "23"})
    assert compose(arrived, "zh").body.startswith("黄军 从外省向您的医保钱包转账 500.00 元")
    refused = facts("wallet.transfer_refused", PAYER)
    assert compose(refused, "zh").body.endswith("原因：对方尚未开通医保钱包。")
    assert compose(refused, "en").body.endswith("Reason: The wallet is not open.")
