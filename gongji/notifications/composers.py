"""What each kind of notification says (HZ-4, N-9, PP-2): one composer per kind, pure, from
:class:`~gongji.notifications.words.Facts` to a title and body. A new kind gets a composer here and an entry
in ``_COMPOSERS``."""

from __future__ import annotations

from collections.abc import Callable

from gongji.notifications.agencies import COMPOSERS as AGENCY_COMPOSERS
from gongji.notifications.binding_changes import COMPOSERS as BINDING_CHANGES
from gongji.notifications.words import CHECK_TIP, Facts, MessageText, Words, check_language
from gongji.terms import EndReason


def compose(facts: Facts, language: str = "zh") -> MessageText:
    """The title and body of one notification in ``language`` (``zh`` or ``en``)."""
    language = check_language(language)
    composer = _COMPOSERS.get(facts.kind)
    if composer is None:
        raise KeyError(f"no message for notifications of kind {facts.kind!r}")
    words = Words(facts, language)
    text = composer(words)
    if facts.data.get("on_behalf_of") == facts.reader_id and not facts.kind.startswith("agency."):
        # AG-1: done by the reader's agent; the principal is told who did it
        agent = words.name(facts.data.get("agent_id"))
        text = MessageText(title=text.title, body=text.body + words.pick(f"（由您的代办人 {agent} 代办）",
                                                                        f" (Done for you by your agent {agent}.)"))
    return text



def _binding_created(w: Words) -> MessageText:
    data = w.facts.data
    start, end = data.get("start_on"), data.get("end_on")
    if end:
        period = (f"有效期为 {w.day(start)} 至 {w.day(end)}", f"from {w.day(start)} to {w.day(end)}")
    else:
        period = (f"自 {w.day(start)} 起长期有效", f"from {w.day(start)}, with no end date")
    title = ("家庭共济绑定成功", "Family mutual-aid binding made")
    if w.reader_is_payer:
        return w.text(title, (
            f"您已同意用您的医保个人账户为{w.relative(w.beneficiary)} 支付医疗费用，{period[0]}。{CHECK_TIP[0]}",
            f"You agreed that your medical account pays the medical bills of {w.relative(w.beneficiary)}, "
            f"{period[1]}. {CHECK_TIP[1]}",
        ))
    return w.text(title, (
        f"{w.payer} 已同意用其医保个人账户为您支付医疗费用，{period[0]}。",
        f"{w.payer} agreed that their medical account pays your medical bills, {period[1]}.",
    ))


def _binding_ended(w: Words) -> MessageText:
    try:
        reason = EndReason(w.facts.data.get("reason"))
    except ValueError:
        reason = None
    if reason is EndReason.EXPIRED:
        title = ("家庭共济绑定已到期", "Family mutual-aid binding expired")
        why = (f"授权期限已于 {w.day(w.facts.end_on)} 届满", f"its period ended on {w.day(w.facts.end_on)}") \
            if w.facts.end_on else (reason.zh, reason.en)
    else:
        title = ("家庭共济绑定已解除", "Family mutual-aid binding ended")
        why = (reason.zh, reason.en) if reason else ("绑定已解除", "the binding was ended")
    if w.reader_is_payer:
        return w.text(title, (
            f"您的医保个人账户今后不再为 {w.beneficiary} 支付医疗费用（{why[0]}）。",
            f"Your medical account no longer pays {w.beneficiary}'s medical bills ({why[1]}).",
        ))
    return w.text(title, (
        f"{w.payer} 的医保个人账户今后不再为您支付医疗费用（{why[0]}）。",
        f"{w.payer}'s medical account no longer pays your medical bills ({why[1]}).",
    ))


def _mutual_aid_paid(w: Words) -> MessageText:
    amount = w.yuan(w.facts.data["amount_fen"])
    use_zh, use_en = w.use()
    where_zh, where_en = w.at_institution()
    title = ("家庭共济支付提醒", "Family mutual-aid payment")
    if w.reader_is_payer:
        after = w.facts.data.get("balance_after_fen")  # PP-2: what his account holds after the payment
        after_zh = f"支付后账户余额 {w.yuan(after)}。" if isinstance(after, int) else ""
        after_en = f" Your account holds {w.yuan(after)} after it." if isinstance(after, int) else ""
        return w.text(title, (
            f"您的医保个人账户为 {w.beneficiary} 支付{use_zh} {amount}{where_zh}。{after_zh}",
            f"Your medical account paid {amount} for {w.beneficiary}'s {use_en}{where_en}.{after_en}",
        ))
    return w.text(title, (
        f"{w.payer} 的医保个人账户为您支付{use_zh} {amount}{where_zh}。",
        f"{w.payer}'s medical account paid {amount} for your {use_en}{where_en}.",
    ))


def _settlement_refunded(w: Words) -> MessageText:
    data = w.facts.data
    to: dict[int, int] = {int(k): int(v) for k, v in (data.get("to") or {}).items() if int(v)}
    patient = w.facts.beneficiary_id
    use_zh, use_en = w.use()
    where_zh, where_en = w.at_institution()
    title = ("退费提醒", "Refund")
    if w.facts.reader_id != patient:
        back = w.yuan(to.get(w.facts.reader_id, 0))
        return w.text(title, (
            f"{w.beneficiary} 的{use_zh}{where_zh}已退费，其中 {back}退回您的医保个人账户。",
            f"{w.beneficiary}'s bill for {use_en}{where_en} was refunded: {back} went back to your medical account.",
        ))
    parts_zh, parts_en = [], []
    if patient in to:
        parts_zh.append(f"{w.yuan(to[patient])}退回您的医保个人账户")
        parts_en.append(f"{w.yuan(to[patient])} to your medical account")
    for payer_id in sorted(p for p in to if p != patient):
        parts_zh.append(f"{w.yuan(to[payer_id])}退回 {w.name(payer_id)} 的医保个人账户")
        parts_en.append(f"{w.yuan(to[payer_id])} to {w.name(payer_id)}'s medical account")
    if int(data.get("cash_fen") or 0):
        parts_zh.append(f"{w.yuan(data['cash_fen'])}以现金退还")
        parts_en.append(f"{w.yuan(data['cash_fen'])} in cash")
    amount = w.yuan(data["amount_fen"])
    return w.text(title, (
        f"您的{use_zh}{where_zh}已退费 {amount}：" + "，".join(parts_zh) + "。",
        f"Your bill for {use_en}{where_en} was refunded {amount}: " + ", ".join(parts_en) + ".",
    ))


def _wallet(w: Words, step: str) -> MessageText:
    """WAL-1, WAL-4, N-9: a wallet transfer sent, accepted or returned, told to both sides."""
    amount = w.yuan(w.facts.data["amount_fen"])
    if step == "sent":
        title = ("医保钱包转账", "Wallet transfer sent")
        if w.reader_is_payer:
            return w.text(title, (
                f"您已从医保个人账户向{w.relative(w.beneficiary)} 的医保钱包转账 {amount}，待对方接收；"
                f"次日6:00前未接收将退回您的账户。{CHECK_TIP[0]}",
                f"you sent {amount} from your medical account to the wallet of {w.relative(w.beneficiary)}; "
                f"if not accepted by 06:00 tomorrow it comes back to your account. {CHECK_TIP[1]}",
            ))
        return w.text(title, (
            f"{w.payer} 向您的医保钱包转账 {amount}，请于次日6:00前接收，逾期将退回。",
            f"{w.payer} sent {amount} to your medical insurance wallet; accept it before 06:00 tomorrow, "
            f"or it goes back.",
        ))
    if step == "accepted":
        title = ("医保钱包转账已接收", "Wallet transfer accepted")
        if w.reader_is_payer:
            return w.text(title, (f"{w.beneficiary} 已接收您转入其医保钱包的 {amount}。",
                                  f"{w.beneficiary} accepted the {amount} you sent to their wallet."))
        return w.text(title, (f"您已接收 {w.payer} 转入的 {amount}，可用于您本人的医疗费用。",
                              f"you accepted {amount} from {w.payer}; it pays your own medical bills."))
    title = ("医保钱包转账已退回", "Wallet transfer returned")
    if w.reader_is_payer:
        return w.text(title, (f"您向 {w.beneficiary} 医保钱包转账的 {amount} 未被接收，已退回您的医保个人账户。",
                              f"the {amount} you sent to {w.beneficiary}'s wallet was not accepted and is back "
                              f"in your medical account."))
    return w.text(title, (f"{w.payer} 转入的 {amount} 未在时限内接收，已退回对方。",
                          f"the {amount} from {w.payer} was not accepted in time and went back to them."))


def _wallet_across(w: Words, step: str) -> MessageText:
    """HN-9, WAL-1: a transfer from another province arrived in the relative's wallet, or was refused (on arrival,
    or by the hub): the reason is the refusing side's own words."""
    amount = w.yuan(w.facts.data["amount_fen"])
    if step == "arrived":
        title = ("外省医保钱包转账到账", "Wallet transfer from another province")
        if w.reader_is_payer:
            return w.text(title, (
                f"您转入{w.relative(w.beneficiary)} 医保钱包的 {amount}已到达对方参保地，待对方接收。",
                f"the {amount} you sent to the wallet of {w.relative(w.beneficiary)} has reached their province "
                f"and waits to be accepted.",
            ))
        return w.text(title, (
            f"{w.payer} 从外省向您的医保钱包转账 {amount}，请于次日6:00前接收，逾期将退回。",
            f"{w.payer} sent {amount} from another province to your medical insurance wallet; accept it before "
            f"06:00 tomorrow, or it goes back.",
        ))
    title = ("医保钱包转账未能转入", "Wallet transfer refused")
    reason_zh = w.facts.data.get("message_zh") or w.facts.data.get("code", "")
    reason_en = w.facts.data.get("message_en") or w.facts.data.get("code", "")
    if w.reader_is_payer:
        return w.text(title, (
            f"您向{w.relative(w.beneficiary)} 医保钱包转账的 {amount}未能转入，已退回您的医保个人账户。原因：{reason_zh}",
            f"the {amount} you sent to the wallet of {w.relative(w.beneficiary)} could not be taken in and is back "
            f"in your medical account. Reason: {reason_en}",
        ))
    return w.text(title, (
        f"{w.payer} 向您的医保钱包转账的 {amount}未能转入，已退回对方。原因：{reason_zh}",
        f"the {amount} {w.payer} sent to your wallet could not be taken in and went back to them. "
        f"Reason: {reason_en}",
    ))


def _transfer_made(w: Words) -> MessageText:
    amount = w.yuan(w.facts.data["amount_fen"])
    title = ("历年账户家庭共济划转", "Transfer of prior-years funds")
    if w.reader_is_payer:
        return w.text(title, (
            f"您的医保个人账户历年资金已划转 {amount}给{w.relative(w.beneficiary)}。{CHECK_TIP[0]}",
            f"{amount} of prior-years funds moved from your medical account to {w.relative(w.beneficiary)}. "
            f"{CHECK_TIP[1]}",
        ))
    return w.text(title, (
        f"{w.payer} 从其医保个人账户历年资金划转 {amount}到您的医保个人账户，可用于您本人看病购药。",
        f"{w.payer} moved {amount} of prior-years funds into your medical account; you can use it for your own "
        f"medical bills.",
    ))


def _contribution_paid(w: Words) -> MessageText:
    amount = w.yuan(w.facts.data["amount_fen"])
    year = w.facts.data.get("year")
    title = ("居民医保代缴提醒", "Resident insurance contribution paid")
    if w.reader_is_payer:
        return w.text(title, (
            f"您的医保个人账户为 {w.beneficiary} 缴纳 {year} 年度城乡居民医保个人缴费 {amount}。",
            f"Your medical account paid {amount} for {w.beneficiary}'s {year} resident insurance contribution.",
        ))
    return w.text(title, (
        f"{w.payer} 的医保个人账户为您缴纳 {year} 年度城乡居民医保个人缴费 {amount}。",
        f"{w.payer}'s medical account paid {amount} for your {year} resident insurance contribution.",
    ))


def _bindings_ended(w: Words, *, yours: bool) -> tuple[str, str]:
    count = int(w.facts.data.get("bindings_ended") or 0)
    if not count:
        return "", ""
    if yours:
        return (f"，您在该家庭中的 {count} 项共济绑定同时解除",
                f"; {count} of your bindings in the family ended with it")
    bindings = "binding" if count == 1 else "bindings"
    return (f"，与其相关的 {count} 项共济绑定同时解除", f"; {count} {bindings} with them ended with it")


def _member_added(w: Words) -> MessageText:
    family_zh, family_en = w.family()
    title = ("共济家庭新增成员", "New member of a mutual-aid family")
    if w.reader_is_payer:
        member = w.relative(w.beneficiary)
        return w.text(title, (
            f"{member} 已加入您的共济家庭{family_zh}。",
            f"{member} was added to your mutual-aid family{family_en}.",
        ))
    return w.text(title, (
        f"{w.payer} 已将您加入其共济家庭{family_zh}。",
        f"{w.payer} added you to their mutual-aid family{family_en}.",
    ))


def _member_removed(w: Words) -> MessageText:
    family_zh, family_en = w.family()
    title = ("共济家庭成员移出", "Member removed from a mutual-aid family")
    if w.reader_is_payer:
        ended = _bindings_ended(w, yours=False)
        return w.text(title, (
            f"{w.beneficiary} 已移出您的共济家庭{family_zh}{ended[0]}。",
            f"{w.beneficiary} was removed from your mutual-aid family{family_en}{ended[1]}.",
        ))
    ended = _bindings_ended(w, yours=True)
    return w.text(title, (
        f"{w.payer} 已将您移出其共济家庭{family_zh}{ended[0]}。",
        f"{w.payer} removed you from their mutual-aid family{family_en}{ended[1]}.",
    ))


def _member_left(w: Words) -> MessageText:
    family_zh, family_en = w.family()
    title = ("成员离开共济家庭", "Member left a mutual-aid family")
    if w.reader_is_payer:
        ended = _bindings_ended(w, yours=False)
        return w.text(title, (
            f"{w.beneficiary} 已离开您的共济家庭{family_zh}{ended[0]}。",
            f"{w.beneficiary} left your mutual-aid family{family_en}{ended[1]}.",
        ))
    ended = _bindings_ended(w, yours=True)
    return w.text(title, (
        f"您已离开 {w.payer} 的共济家庭{family_zh}{ended[0]}。",
        f"You left {w.payer}'s mutual-aid family{family_en}{ended[1]}.",
    ))


def _dissolved(w: Words) -> MessageText:
    family_zh, family_en = w.family()
    return w.text(("共济家庭已解散", "Mutual-aid family dissolved"), (
        f"您的共济家庭{family_zh}已解散。",
        f"Your mutual-aid family{family_en} was dissolved.",
    ))


def _status_changed(w: Words) -> MessageText:
    """LC-1, LC-2, LC-4: his enrollment suspended (contributions stopped), restored, or ended."""
    data = w.facts.data
    on, to = w.day(data.get("on")), data.get("to")
    if to == "suspended":
        return w.text(("医保待遇暂停", "Insurance benefits suspended"), (
            f"自 {on} 起您的医保参保状态为暂停（断缴），统筹基金暂停支付；您本人的个人账户余额仍可使用。"
            f"补缴后可恢复，详情请咨询医保经办机构。",
            f"from {on} your enrollment is suspended (contributions stopped): the pooled fund pays nothing, but "
            f"your own personal-account balance can still be used. Paying the missed months restores it; ask "
            f"your insurance office.",
        ))
    if to == "terminated":
        return w.text(("参保关系终止", "Enrollment ended"), (
            f"您在本统筹区的医保参保关系自 {on} 起终止，共济绑定随之解除。个人账户余额不会丢失：迁往外省的随转移接续"
            f"转入新参保地。",
            f"your enrollment here ended on {on}, and your mutual-aid bindings with it. Your personal-account "
            f"balance is not lost: after a move to another province it goes to your new insurer.",
        ))
    zh, en = f"自 {on} 起您的医保参保状态恢复正常。", f"from {on} your enrollment is normal again."
    last_day = w.day(data.get("pooled_share_last_day"))
    if data.get("pooled_share") == "waiting":
        zh += f"待遇等待期至 {last_day}，其间统筹基金不支付，个人账户照常可用。"
        en += f" A waiting period runs until {last_day}: until then the pooled fund pays nothing; your personal " \
              f"account can be used as usual."
    elif data.get("pooled_share") == "reduced":
        share = int(data.get("pooled_share_permille") or 0) // 10
        zh += f"至 {last_day}，统筹基金按正常的 {share}% 支付。"
        en += f" Until {last_day} the pooled fund pays {share}% of its usual share."
    return w.text(("医保待遇恢复", "Insurance benefits restored"), (zh, en))


def _account_carried(w: Words, step: str) -> MessageText:
    """LC-7: 转移接续, his personal-account balance on its way to his new insurer, there, or back."""
    data = w.facts.data
    amount = w.yuan(data["amount_fen"])
    if step == "out":
        return w.text(("个人账户转移接续", "Personal account transferred"), (
            f"您的医保个人账户余额 {amount}已转出至新参保地（省份代码 {data.get('province')}），到账后将另行通知。",
            f"your personal-account balance of {amount} is on its way to your new insurer (province "
            f"{data.get('province')}); you will be told when it arrives.",
        ))
    if step == "in":
        return w.text(("个人账户转入到账", "Personal account balance arrived"), (
            f"您从原参保地（省份代码 {data.get('province')}）转移接续的医保个人账户余额 {amount}已转入您在本地的个人账户。",
            f"the personal-account balance of {amount} from your former insurer (province {data.get('province')}) "
            f"is now in your personal account here.",
        ))
    return w.text(("个人账户转移接续未能转入", "Personal account transfer refused"), (
        f"您的医保个人账户余额 {amount}未能转入新参保地，已退回原账户。原因：{data.get('message_zh') or data.get('code')}",
        f"your personal-account balance of {amount} could not be taken in by your new insurer and is back in your "
        f"account here. Reason: {data.get('message_en') or data.get('code')}",
    ))


_COMPOSERS: dict[str, Callable[[Words], MessageText]] = {
    "binding.created": _binding_created,
    "binding.ended": _binding_ended,
    "mutual_aid.paid": _mutual_aid_paid,
    "contribution.paid": _contribution_paid,
    "transfer.made": _transfer_made,
    "settlement.refunded": _settlement_refunded,
    "family.member_added": _member_added,
    "family.member_removed": _member_removed,
    "family.member_left": _member_left,
    "family.dissolved": _dissolved,
    "wallet.transfer_sent": lambda w: _wallet(w, "sent"),
    "wallet.transfer_accepted": lambda w: _wallet(w, "accepted"),
    "wallet.transfer_returned": lambda w: _wallet(w, "returned"),
    "wallet.transfer_arrived": lambda w: _wallet_across(w, "arrived"),
    "wallet.transfer_refused": lambda w: _wallet_across(w, "refused"),
    "enrollment.status_changed": _status_changed,
    "account.carried_out": lambda w: _account_carried(w, "out"),
    "account.carried_in": lambda w: _account_carried(w, "in"),
    "account.carry_refused": lambda w: _account_carried(w, "refused"),
    **AGENCY_COMPOSERS,  # AG-1
}

_COMPOSERS.update(BINDING_CHANGES)

#: The kinds there are words for (a test checks that every notified kind is among them).
COMPOSED_KINDS = frozenset(_COMPOSERS)
