"""The audit trail on the command line: ``gongji audit seal``, ``verify``, ``head`` and ``show`` (docs/audit.md).

``verify`` exits 1 when it finds anything: a changed or removed record, a chain cut short or rewritten (against a
head kept with ``--expect-head``), or events older than the grace period still unsealed. ``head`` prints only
``SEQ:HASH`` on standard output, for a script to keep somewhere else. :func:`register` adds the ``audit`` group to
the ``gongji`` application (:mod:`gongji.cli.main`).
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from gongji.clock import CST
from gongji.events import audit
from gongji.terms import ActorKind, Channel

audit_app = typer.Typer(help="审计轨迹：封存、校验、链头、查阅 · The audit trail: seal, verify, head, show.",
                        no_args_is_help=True)

#: What an event kind means, for ``show``; other kinds are shown as they are.
KINDS: dict[str, tuple[str, str]] = {
    "person.registered": ("参保登记", "person registered"),
    "enrollment.status_changed": ("参保状态变更", "enrollment status changed"),
    "enrollment.status_recorded": ("记录参保状态（以缴费记录为准）", "status recorded (contributions decide)"),
    "person.password_set": ("设置登录密码", "password set"),
    "account.credited": ("个人账户记入", "account credited"),
    "account.opening_balances": ("期初余额记入", "opening balances credited"),
    "binding.created": ("建立共济绑定", "binding created"),
    "binding.ended": ("解除共济绑定", "binding ended"),
    "family.created": ("建立共济家庭", "family created"),
    "family.member_added": ("添加家庭成员", "family member added"),
    "family.member_updated": ("修改成员关系", "member's relationship changed"),
    "family.member_removed": ("移出家庭成员", "family member removed"),
    "family.member_left": ("成员退出家庭", "member left the family"),
    "family.dissolved": ("解散共济家庭", "family dissolved"),
    "settlement.settled": ("结算", "settled"),
    "mutual_aid.paid": ("共济支付", "mutual aid paid"),
    "settlement.refunded": ("退费", "refunded"),
    "settlement.attested": ("纸质承诺结算", "settled on a paper attestation"),
    "transfer.made": ("历年账户划转", "transfer made"),
    "contribution.paid": ("代缴居民医保", "resident contribution paid"),
    "ni.settled": ("国家平台结算", "settled over the national interface"),
    "ni.cancelled": ("国家平台撤销结算", "cancelled over the national interface"),
    "institution.registered": ("登记定点机构", "institution registered"),
    "institution.suspended": ("暂停定点机构", "institution suspended"),
    "institution.reactivated": ("恢复定点机构", "institution reactivated"),
    "institution.secret_issued": ("签发机构密钥", "institution secret issued"),
    "staff.added": ("新增经办人员", "staff member added"),
    "staff.activated": ("启用经办人员", "staff member activated"),
    "staff.deactivated": ("停用经办人员", "staff member deactivated"),
    "policy.changed": ("修改地区政策", "region policy changed"),
    "batch.chunk_done": ("批处理完成一段", "batch chunk done"),
    "access.refused": ("拒绝访问", "access refused"),
    "person.read": ("读取人员信息（1101）", "person information read (1101)"),
    "import.people": ("导入参保人员", "people imported"),
    "life.death": ("死亡", "death recorded"),
    "life.move": ("迁移（转移接续）", "move to another pooling area"),
    "life.scheme_change": ("变更险种", "change of scheme"),
    "account.carried_out": ("个人账户转出（转移接续）", "balance carried out to another province"),
    "account.carried_in": ("个人账户转入（转移接续）", "balance carried in from another province"),
    "account.refund_to_closed": ("退费至已关闭账户", "refund to a closed account"),
    "binding.paused": ("暂停共济绑定", "binding paused"),
    "binding.resumed": ("恢复共济绑定", "binding resumed"),
    "binding.limit_set": ("设置每月限额", "monthly limit set"),
    "binding.priority_set": ("调整支付顺序", "payer order changed"),
    "binding.relationship_corrected": ("更正亲属关系", "relationship corrected"),
    "agency.granted": ("授权代办", "agency granted"),
    "agency.acting": ("开始代办", "agent began acting"),
    "agency.acted": ("代办事项", "action done by an agent"),
    "agency.ended": ("终止代办", "agency ended"),
    "counter.documents_checked": ("窗口核验材料", "documents checked at the counter"),
    "wallet.opened": ("开通医保钱包", "wallet opened"),
    "wallet.closed": ("关闭医保钱包", "wallet closed"),
    "wallet.transfer_sent": ("钱包转入（发出）", "wallet transfer sent"),
    "wallet.transfer_accepted": ("钱包转入（接收）", "wallet transfer accepted"),
    "wallet.transfer_returned": ("钱包转入（退回）", "wallet transfer returned"),
    "wallet.transfer_arrived": ("跨省钱包转入到达", "wallet transfer arrived from another province"),
    "wallet.transfer_refused": ("跨省钱包转入被拒", "wallet transfer refused on arrival"),
}


def _labelled(enum: Any, value: str) -> str:
    try:
        member = enum(value)
    except ValueError:
        return value
    return f"{member.zh} {member.en}"


def _what(event: Any) -> Text:
    zh, en = KINDS.get(event.kind, ("", ""))
    text = Text(f"{zh} {en} " if zh else "", style="bold")
    text.append(event.kind, style="dim")
    if event.data:
        text.append("\n" + json.dumps(event.data, ensure_ascii=False, sort_keys=True, separators=(", ", ": ")))
    return text


def _pair(value: str, option: str, *, numeric: bool) -> tuple[str, Any]:
    kind, _, ident = value.partition(":")
    if not kind or not ident or (numeric and not ident.isdigit()):
        example = "person:12" if numeric else "staff:T0001"
        raise typer.BadParameter(f"{option}: TYPE:ID, e.g. {example}")
    return kind, int(ident) if numeric else ident


def _print_report(out: Console, report: audit.AuditReport) -> None:
    out.print(Text(f"链头 head: {report.head}"))
    out.print(Text(f"已校验链节 links checked: {report.links}"))
    labels = {
        audit.ALTERED: "被改动 altered",
        audit.REMOVED: "被删除 removed",
        audit.EVENT_MISSING: "事件缺失 event missing",
        audit.HEAD_MISMATCH: "链头不符 head mismatch",
        audit.TRUNCATED: "链被截短 truncated",
    }
    for problem, label in labels.items():
        found = report.of(problem)
        out.print(Text(f"{label}: {len(found)}"))
        for finding in found[:20]:
            where = f"seq {finding.seq}" + (f", event {finding.event_id}" if finding.event_id is not None else "")
            out.print(Text(f"  {where}: {finding.detail}"))
    minutes = int(report.grace.total_seconds() // 60)
    out.print(Text(f"超过 {minutes} 分钟未封存的事件 events unsealed after {minutes} min: {report.unsealed}"))
    if report.unsealed:
        out.print(Text(f"  oldest {report.oldest_unsealed_at.isoformat()}; ids "
                       + ", ".join(map(str, report.unsealed_ids)) + ("…" if report.unsealed > 20 else "")))


@audit_app.command("seal")
def seal_command(
    ctx: typer.Context,
    batch: Annotated[int, typer.Option("--batch", min=1, max=100_000, help="events sealed per transaction")]
    = audit.SEAL_BATCH,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="seal at most this many (default: all)")]
    = None,
    full: Annotated[bool, typer.Option("--full", help="look at every event, not only the recent ones")] = False,
) -> None:
    """把尚未封存的事件封存入哈希链 · Seal the events not yet in the hash chain."""
    from gongji.cli.common import open_database, reported_errors, stdout
    from gongji.env import Env

    out = stdout()
    with reported_errors():
        db = open_database(ctx)
        result = audit.seal(db, Env(), batch=batch, limit=limit, full=full)
        db.dispose()
    out.print(Text(f"已封存 {result.sealed} 条事件 · sealed {result.sealed} events"))
    out.print(Text(f"链头 head: {result.head}"))


@audit_app.command("verify")
def verify_command(
    ctx: typer.Context,
    expect_head: Annotated[str | None, typer.Option(
        "--expect-head", metavar="SEQ:HASH",
        help="a head kept outside the database (gongji audit head): finds a chain cut short or rewritten")] = None,
    grace: Annotated[float, typer.Option("--grace", min=0, help="minutes an event may wait to be sealed")]
    = audit.GRACE.total_seconds() / 60,
) -> None:
    """校验审计哈希链：改动、删除、截短、未封存 · Verify the audit chain: altered, removed, cut short, unsealed."""
    from gongji.cli.common import EXIT_REFUSED, fail, open_database, reported_errors, stdout
    from gongji.env import Env

    out = stdout()
    try:
        expected = audit.Head.parse(expect_head) if expect_head is not None else None
    except ValueError as error:
        raise fail(f"--expect-head 无效 · is not valid: {error}", EXIT_REFUSED) from None
    with reported_errors():
        db = open_database(ctx)
        report = audit.verify(db, Env(), grace=timedelta(minutes=grace), expect=expected)
        db.dispose()
    _print_report(out, report)
    if not report.ok:
        raise fail("✗ 审计轨迹校验未通过 · audit trail verification FAILED")
    out.print(Text("✓ 审计轨迹校验通过 · audit trail ok" + (f" (kept head {expected} found)" if expected else ""),
                   style="green"))


@audit_app.command("head")
def head_command(ctx: typer.Context) -> None:
    """打印链头 SEQ:HASH，请保存在数据库之外 · Print the chain's head as SEQ:HASH; keep it outside the database."""
    from gongji.cli.common import open_database, reported_errors

    with reported_errors():
        db = open_database(ctx)
        head = db.read(audit.head)
        db.dispose()
    typer.echo(str(head))
    Console(stderr=True, highlight=False).print(Text(
        "请把链头保存在数据库之外，之后用 gongji audit verify --expect-head 核对。\n"
        "Keep the head outside the database; check it later with gongji audit verify --expect-head.", style="dim"))


@audit_app.command("show")
def show_command(
    ctx: typer.Context,
    subject: Annotated[str | None, typer.Option("--subject", metavar="TYPE:ID",
                                                help="person:12, binding:3, settlement:40, family:2, …")] = None,
    actor: Annotated[str | None, typer.Option("--actor", metavar="KIND:ID",
                                              help="person:12, staff:T0001, institution:H23010100001, system:expiry")]
    = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=10_000, help="the newest this many")] = 200,
) -> None:
    """查阅某一对象或办理人的审计轨迹 · Show the trail of one subject or one actor: when, who, channel, what."""
    from gongji.cli.common import EXIT_REFUSED, fail, open_database, reported_errors, stdout

    if (subject is None) == (actor is None):
        raise fail("请给出 --subject 或 --actor 之一 · give one of --subject or --actor", EXIT_REFUSED)
    try:
        about = _pair(subject, "--subject", numeric=True) if subject else None
        by = _pair(actor, "--actor", numeric=False) if actor else None
    except typer.BadParameter as error:
        raise fail(str(error), EXIT_REFUSED) from None
    out = stdout()
    with reported_errors():
        db = open_database(ctx)
        entries = db.read(lambda s: audit.trail(s, subject=about, actor=by, limit=limit))
        db.dispose()
    title = f"审计轨迹 audit trail · {subject or actor}"
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, expand=True)
    table.add_column("时间 when (CST)", no_wrap=True)
    table.add_column("办理人 who", max_width=28, overflow="fold")
    table.add_column("渠道 channel", max_width=24, overflow="fold")
    table.add_column("事项 what", ratio=1, overflow="fold")
    table.add_column("链 seq", no_wrap=True, justify="right")
    for entry in entries:
        event = entry.event
        table.add_row(event.at.astimezone(CST).strftime("%Y-%m-%d %H:%M:%S"),
                      f"{_labelled(ActorKind, event.actor_kind)} {event.actor_id}",
                      _labelled(Channel, event.channel), _what(event),
                      str(entry.seq) if entry.seq is not None else "–")
    out.print(table)
    unsealed = sum(1 for e in entries if e.seq is None)
    out.print(Text(f"{len(entries)} 条事件 events, {unsealed} 条尚未封存 not yet sealed (–)", style="dim"))


def register(app: typer.Typer) -> None:
    """Add the ``audit`` group to the ``gongji`` application."""
    app.add_typer(audit_app, name="audit")
