"""The notices of a binding's changes (PP-1, WL-1, D-3, N-7): who did it is "you" for the one who did; the
limit's amount is told to the payer only."""

from __future__ import annotations

from gongji.notifications.messages import Facts, compose

PAYER, RELATIVE = 1, 2
NAMES = {PAYER: "张三", RELATIVE: "李四"}


def _facts(kind: str, reader: int, **data) -> Facts:
    return Facts(kind=kind, reader_id=reader, names=NAMES, payer_id=PAYER, beneficiary_id=RELATIVE, data=data)


def test_pp_1_the_limit_amount_is_told_to_the_payer_only():
    to_payer = compose(_facts("binding.limit_set", PAYER, to=30_000, by="payer"))
    assert to_payer.body == "您的医保个人账户每个自然月为李四 最多支付 300.00 元，超出部分由其他共济人或现金支付。"
    assert "300.00" not in compose(_facts("binding.limit_set", RELATIVE, to=30_000, by="payer")).body
    assert "no monthly limit" in compose(_facts("binding.limit_set", PAYER, to=None, by="staff"), "en").body


def test_d_3_the_pause_says_who_paused_it():
    by_relative = _facts("binding.paused", PAYER, by="beneficiary")
    assert compose(by_relative).body == "李四已将您为 李四 的共济绑定暂停支付，恢复前不再扣款。"
    assert compose(_facts("binding.paused", RELATIVE, by="beneficiary")).body.startswith("您已将 张三")
    assert compose(_facts("binding.resumed", RELATIVE, by="staff"), "en").body.startswith("A service counter:")
