"""What the notices of a binding's changes say (PP-1, WL-1, D-3, N-7): pure, from facts to words.

The monthly limit is told to the payer only (the relative's notices never carry his payer's figures)."""

from __future__ import annotations

from collections.abc import Callable

from gongji.notifications.words import MessageText, Words
from gongji.terms import Relationship


def _by(w: Words) -> tuple[str, str]:
    by = w.facts.data.get("by")
    if by == "staff":
        return "经办窗口", "a service counter"
    if (by == "payer") == w.reader_is_payer:
        return "您", "you"
    return (w.payer, w.payer) if by == "payer" else (w.beneficiary, w.beneficiary)


def _limit_set(w: Words) -> MessageText:
    limit = w.facts.data.get("to")
    title = ("共济每月限额已更新", "Monthly mutual-aid limit changed")
    if not w.reader_is_payer:  # the relative is not told the amount (PP-1)
        return w.text(title, (f"{w.payer} 调整了为您支付的每月限额。", f"{w.payer} changed the monthly limit of paying for you."))
    if limit is None:
        return w.text(title, (
            f"您的医保个人账户为{w.relative(w.beneficiary)} 支付不再设每月限额。",
            f"Your medical account pays for {w.relative(w.beneficiary)} with no monthly limit now.",
        ))
    return w.text(title, (
        f"您的医保个人账户每个自然月为{w.relative(w.beneficiary)} 最多支付 {w.yuan(limit)}，超出部分由其他共济人或现金支付。",
        f"Your medical account pays at most {w.yuan(limit)} a calendar month for {w.relative(w.beneficiary)}; "
        "the rest is paid by other payers or in cash.",
    ))


def _priority_set(w: Words) -> MessageText:
    to = w.facts.data.get("to")
    by = _by(w)
    place = (f"第{to}顺位", f"place {to}") if to else ("未设顺位（排在设有顺位的共济人之后）",
                                                     "no place (after the payers who have one)")
    title = ("共济支付顺序已调整", "Payer order changed")
    if w.reader_is_payer:
        return w.text(title, (f"{by[0]}已将您为 {w.beneficiary} 支付的顺序调整为{place[0]}。",
                              f"{by[1]} set your place in paying for {w.beneficiary} to {place[1]}."))
    return w.text(title, (f"{by[0]}已将 {w.payer} 为您支付的顺序调整为{place[0]}。",
                          f"{by[1]} set {w.payer}'s place in paying for you to {place[1]}."))


def _paused(w: Words, resumed: bool) -> MessageText:
    by = _by(w)
    if resumed:
        title = ("家庭共济绑定已恢复", "Family mutual-aid binding resumed")
        what = ("恢复支付", "resumed")
    else:
        title = ("家庭共济绑定已暂停", "Family mutual-aid binding paused")
        what = ("暂停支付，恢复前不再扣款", "paused: it pays nothing until resumed")
    if w.reader_is_payer:
        return w.text(title, (f"{by[0]}已将您为 {w.beneficiary} 的共济绑定{what[0]}。",
                              f"{by[1]}: your binding for {w.beneficiary} is {what[1]}."))
    return w.text(title, (f"{by[0]}已将 {w.payer} 为您的共济绑定{what[0]}。",
                          f"{by[1]}: {w.payer}'s binding for you is {what[1]}."))


def _label(value: object) -> tuple[str, str]:
    try:
        relationship = Relationship(value)
    except ValueError:
        return str(value), str(value)
    return relationship.zh, relationship.en


def _relationship_corrected(w: Words) -> MessageText:
    old, new = _label(w.facts.data.get("from")), _label(w.facts.data.get("to"))
    title = ("共济绑定关系已更正", "Binding relationship corrected")
    why = ("（随家庭成员关系更正）", " (following the family's correction)") if w.facts.data.get("family_id") else ("", "")
    if w.reader_is_payer:
        return w.text(title, (f"您与 {w.beneficiary} 的共济绑定关系由“{old[0]}”更正为“{new[0]}”{why[0]}。",
                              f"Your binding for {w.beneficiary} now records “{new[1]}” instead of “{old[1]}”{why[1]}."))
    return w.text(title, (f"{w.payer} 与您的共济绑定关系由“{old[0]}”更正为“{new[0]}”{why[0]}。",
                          f"{w.payer}'s binding for you now records “{new[1]}” instead of “{old[1]}”{why[1]}."))


COMPOSERS: dict[str, Callable[[Words], MessageText]] = {
    "binding.limit_set": _limit_set,
    "binding.priority_set": _priority_set,
    "binding.paused": lambda w: _paused(w, resumed=False),
    "binding.resumed": lambda w: _paused(w, resumed=True),
    "binding.relationship_corrected": _relationship_corrected,
}
