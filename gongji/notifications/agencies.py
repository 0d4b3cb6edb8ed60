"""What the notices of agencies say (AG-1): granted, ended, an agent starting to act, and each thing he did.

In the facts, ``payer_id`` is the principal and ``beneficiary_id`` the agent (:func:`messages.load_facts`)."""

from __future__ import annotations

from collections.abc import Callable

from gongji.notifications.words import CHECK_TIP, MessageText, Words

#: What an agent did, by the kind of its event (a notice of :data:`outbox.AGENT_ACTED`).
DID = {
    "binding.created": ("办理了共济绑定", "made a mutual-aid binding"),
    "binding.ended": ("解除了共济绑定", "ended a mutual-aid binding"),
    "family.created": ("建立了家庭共济网", "created a family"),
    "family.member_added": ("添加了家庭成员", "added a family member"),
    "family.member_updated": ("修改了家庭成员关系", "corrected a family member's relationship"),
    "family.member_removed": ("移出了家庭成员", "removed a family member"),
    "family.member_left": ("退出了家庭共济网", "left the family"),
    "family.dissolved": ("解散了家庭共济网", "dissolved the family"),
    "transfer.made": ("办理了历年账户划转", "made a transfer of prior-years funds"),
    "contribution.paid": ("代缴了居民医保", "paid a resident contribution"),
    "wallet.opened": ("开通了医保钱包", "opened the medical insurance wallet"),
    "wallet.closed": ("关闭了医保钱包", "closed the medical insurance wallet"),
    "wallet.transfer_sent": ("向医保钱包转入资金", "sent money to a wallet"),
    "wallet.transfer_accepted": ("接收了医保钱包转入", "accepted a wallet transfer"),
}


def _actions(w: Words) -> str:
    from gongji.agents.rules import Action

    values = str(w.facts.data.get("actions") or "").split(",")
    labels = [w.pick(a.zh, a.en) for a in Action if a.value in values]
    return w.pick("、", ", ").join(labels)


def _granted(w: Words) -> MessageText:
    data = w.facts.data
    period = (f"{w.day(data.get('start_on'))} 至 {w.day(data.get('end_on'))}",
              f"from {w.day(data.get('start_on'))} to {w.day(data.get('end_on'))}")
    title = ("代办委托已生效", "Agency granted")
    if w.reader_is_payer:
        return w.text(title, (
            f"您已委托 {w.beneficiary} 代您办理：{_actions(w)}，期限 {period[0]}。您可随时终止委托。{CHECK_TIP[0]}",
            f"You authorized {w.beneficiary} to act for you ({_actions(w)}) {period[1]}. You can end it at any "
            f"time. {CHECK_TIP[1]}",
        ))
    return w.text(title, (
        f"{w.payer} 已委托您代其办理：{_actions(w)}，期限 {period[0]}。请以您本人身份登录，选择“代他人办理”。",
        f"{w.payer} authorized you to act for them ({_actions(w)}) {period[1]}. Log in as yourself and choose "
        f"'act for someone'.",
    ))


def _ended(w: Words) -> MessageText:
    title = ("代办委托已终止", "Agency ended")
    if w.reader_is_payer:
        return w.text(title, (f"{w.beneficiary} 今后不再代您办理任何事项。",
                              f"{w.beneficiary} can no longer do anything for you."))
    return w.text(title, (f"您今后不再代 {w.payer} 办理任何事项。",
                          f"You can no longer do anything for {w.payer}."))


def _acting(w: Words) -> MessageText:
    if not w.reader_is_payer:
        return w.text(("您正在代他人办理", "You are acting for someone"), (
            f"您已开始代 {w.payer} 办理业务，对方会收到提醒。",
            f"You started acting for {w.payer}; they are told.",
        ))
    return w.text(("代办人正在代您办理", "Your agent is acting for you"), (
        f"{w.beneficiary} 已开始代您办理业务。{CHECK_TIP[0]}",
        f"{w.beneficiary} started acting for you. {CHECK_TIP[1]}",
    ))


def _acted(w: Words) -> MessageText:
    did = DID.get(str(w.facts.data.get("did")), ("为您办理了一项业务", "did something for you"))
    return w.text(("代办提醒", "Done by your agent"), (
        f"您的代办人 {w.beneficiary} 代您{did[0]}。{CHECK_TIP[0]}",
        f"Your agent {w.beneficiary} {did[1]} for you. {CHECK_TIP[1]}",
    ))


COMPOSERS: dict[str, Callable[[Words], MessageText]] = {
    "agency.granted": _granted,
    "agency.ended": _ended,
    "agency.acting": _acting,
    "agency.acted": _acted,
}
