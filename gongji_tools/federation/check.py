"""The check across instances (HN-9, WAL-1..WAL-4): the provinces' databases, and the hub's, compared with each other.

Each instance reconciles itself (``gongji reconcile``); what no single instance can see is checked here, over the
databases of the provinces (and the hub's, for its outbox):

* each province's ledger holds (:func:`gongji.ledger.service.check`);
* every ``out`` transfer has its ``in`` row, of the same ``transfer_no`` and amount, in the province it went to, or
  was refused by the hub (``PROVINCE_NOT_CONNECTED``: no ``in`` row anywhere); every ``in`` row was sent;
* once nothing is in flight the two rows agree: both ``sent`` (waiting for the relative), both ``accepted``, both
  ``returned`` or both ``refused`` (for the same reason);
* the people's money (personal accounts and wallets) with the pending and transit accounts, summed over the
  provinces, is reported, and compared with a known total (``--expect-total``);
* for each pair of provinces, ``wallet_transit_out`` in the payer's plus ``wallet_transit_in`` in the relative's
  holds exactly what is on its way (sent and not yet arrived, or given back and not yet settled): 0 at rest;
* every outbox is drained (each message acknowledged), every acknowledged message is in the next hop's inbox, each
  transfer number is in one ``out`` and at most one ``in`` row, and each inbox applied one message per step of a
  transfer (one ``wallet.transfer``, one answer).

The reading (:func:`read_snapshot`) and the comparison (:func:`compare`, pure: snapshots in, a :class:`Report` out)
are apart, so that tests can compare snapshots they made themselves. ``gongji federation check`` runs both.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from gongji.db import Database, normalize_url
from gongji.federation.config import HUB_NAME
from gongji.money import fen_to_yuan
from gongji_tools.federation.snapshot import (
    ACCEPTED,
    ANSWER,
    PROVINCE_NOT_CONNECTED,
    REFUSED,
    RETURNED,
    SENT,
    CheckRefused,
    Snapshot,
    Transfer,
    read_snapshot,
)

#: Differences listed per kind before the rest are only counted.
SHOWN = 50


# -- the comparison -------------------------------------------------------------------------------------------


@dataclass
class Report:
    instances: list[dict[str, Any]]
    differences: list[str]
    notes: list[str]
    total_fen: int  # the provinces' people's money with the pending and transit accounts
    expected_total_fen: int | None
    quiet: bool  # no message waiting in any outbox given
    pairs: dict[str, dict[str, int]]  # "23>41": transit out, transit in, in flight

    @property
    def ok(self) -> bool:
        return not self.differences

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, **asdict(self)}


class _Differences(list):
    """Differences, at most :data:`SHOWN` of each kind written out, the rest counted."""

    def __init__(self) -> None:
        super().__init__()
        self.kinds: Counter[str] = Counter()

    def add(self, kind: str, text: str) -> None:
        self.kinds[kind] += 1
        if self.kinds[kind] <= SHOWN:
            self.append(text)

    def close(self) -> None:
        for kind, count in self.kinds.items():
            if count > SHOWN:
                self.append(f"… and {count - SHOWN} more of: {kind}")


def _summary(s: Snapshot) -> dict[str, Any]:
    states: Counter[str] = Counter(f"{t.direction} {t.state}" for t in s.transfers)
    refusals: Counter[str] = Counter(t.refusal_code for t in s.transfers if t.refusal_code)
    row: dict[str, Any] = {
        "name": s.name, "url": s.label, "people": s.people, "transfers": dict(sorted(states.items())),
        "refusals": dict(sorted(refusals.items())), "outbox_waiting": sum(not m.acked for m in s.outbox),
        "outbox_acknowledged": sum(m.acked for m in s.outbox), "inbox": len(s.inbox)}
    if not s.is_hub:
        row["money"] = {"personal_fen": s.money.personal_fen, "wallets_fen": s.money.wallets_fen,
                        "pending_fen": s.money.pending_fen, "transit_out": dict(s.money.transit_out),
                        "transit_in": dict(s.money.transit_in), "total_fen": s.money.total_fen}
        row["ledger_ok"] = not s.ledger_problems
    return row


def _same(out: Transfer, arrived: Transfer) -> list[str]:
    """The fields an ``out`` row and its ``in`` row must share."""
    return [name for name in ("amount_fen", "payer_id_number", "beneficiary_id_number", "relationship",
                              "region_code") if getattr(out, name) != getattr(arrived, name)]


def compare(snapshots: list[Snapshot], *, expect_total: int | None = None) -> Report:
    """Compare the snapshots of the instances (at most one per name); the report lists every difference."""
    names = Counter(s.name for s in snapshots)
    twice = [name for name, count in names.items() if count > 1]
    if twice:
        raise CheckRefused(f"instance {', '.join(twice)} given more than once")
    by_name = {s.name: s for s in snapshots}
    provinces = {name: s for name, s in by_name.items() if not s.is_hub}
    hub = by_name.get(HUB_NAME)
    diff = _Differences()
    notes: list[str] = []

    # each province's own ledger
    for name, s in provinces.items():
        for problem in s.ledger_problems:
            diff.add(f"ledger {name}", f"{name}: the ledger check fails: {problem}")

    # outboxes drained
    waiting = {s.name: [m for m in s.outbox if not m.acked] for s in snapshots}
    for name, messages in waiting.items():
        if messages:
            kinds = Counter(m.kind for m in messages)
            diff.add("outbox", f"{name}: {len(messages)} message(s) in the outbox not acknowledged "
                               f"({', '.join(f'{k} {n}' for k, n in sorted(kinds.items()))})")
    quiet = not any(waiting.values())
    if hub is None:
        notes.append("the hub's database was not given: messages it may still hold are not seen")

    # transfer numbers: one out row, at most one in row, everywhere
    outs: dict[str, list[tuple[str, Transfer]]] = defaultdict(list)
    ins: dict[str, list[tuple[str, Transfer]]] = defaultdict(list)
    for name, s in provinces.items():
        for t in s.transfers:
            if t.direction == "out":
                outs[t.transfer_no].append((name, t))
            elif t.direction == "in":
                ins[t.transfer_no].append((name, t))
    for transfer_no, rows in outs.items():
        if len(rows) > 1:
            diff.add("duplicate out", f"{transfer_no}: sent from {len(rows)} places ({', '.join(n for n, _ in rows)})")
    for transfer_no, rows in ins.items():
        if len(rows) > 1:
            diff.add("duplicate in", f"{transfer_no}: arrived {len(rows)} times ({', '.join(n for n, _ in rows)})")

    # every out row and its in row
    in_flight: Counter[tuple[str, str]] = Counter()
    for transfer_no, rows in outs.items():
        payer_province, out = rows[0]
        to = out.counterpart or ""
        arrived = next((t for name, t in ins.get(transfer_no, []) if name == to), None)
        hub_refused = out.state == REFUSED and out.refusal_code == PROVINCE_NOT_CONNECTED
        if arrived is None:
            if out.state == SENT:
                in_flight[(payer_province, to)] += out.amount_fen
                if to in provinces and quiet:
                    diff.add("lost", f"{transfer_no} ({payer_province}→{to}, {fen_to_yuan(out.amount_fen)} yuan): "
                                     f"sent, nothing in flight, and it never arrived in {to}")
            elif hub_refused:
                pass  # the hub knows no province {to}: nothing arrived anywhere
            elif to in provinces:
                diff.add("no arrival", f"{transfer_no} ({payer_province}→{to}): {out.state} in {payer_province}, "
                                       f"but no arrival in {to}")
            continue
        if hub_refused:
            diff.add("states", f"{transfer_no} ({payer_province}→{to}): refused by the hub in {payer_province}, yet "
                               f"it arrived in {to} ({arrived.state})")
        differing = _same(out, arrived)
        if differing:
            theirs = [(getattr(out, n), getattr(arrived, n)) for n in differing]
            diff.add("fields", f"{transfer_no} ({payer_province}→{to}): {', '.join(differing)} differ "
                               f"(out, in: {theirs})")
        if out.state == SENT and arrived.state in (RETURNED, REFUSED):
            in_flight[(payer_province, to)] += out.amount_fen  # on its way back
        agrees = out.state == arrived.state or (out.state == SENT and not quiet)
        if not agrees:
            diff.add("states", f"{transfer_no} ({payer_province}→{to}, {fen_to_yuan(out.amount_fen)} yuan): "
                               f"{out.state} in {payer_province}, {arrived.state} in {to}")
        elif out.state == REFUSED and out.refusal_code != arrived.refusal_code:
            diff.add("states", f"{transfer_no}: refused for {out.refusal_code} in {payer_province}, for "
                               f"{arrived.refusal_code} in {to}")
    for transfer_no, rows in ins.items():
        name, arrived = rows[0]
        sender = arrived.counterpart or ""
        if sender in provinces and not any(payer == sender for payer, _ in outs.get(transfer_no, [])):
            diff.add("never sent", f"{transfer_no}: arrived in {name} from {sender}, which never sent it")

    # money, and the transit accounts of each pair of provinces
    total = sum(s.money.total_fen for s in provinces.values())
    if expect_total is not None and total != expect_total:
        diff.add("money", f"the people's money with the pending and transit accounts is {fen_to_yuan(total)} yuan, "
                          f"expected {fen_to_yuan(expect_total)} (a difference of {fen_to_yuan(total - expect_total)})")
    pairs: dict[str, dict[str, int]] = {}
    for payer_province, s in provinces.items():
        for to in sorted(set(s.money.transit_out) | {t for p, t in in_flight if p == payer_province}):
            sent = s.money.transit_out.get(to, 0)
            if to in provinces:
                taken = provinces[to].money.transit_in.get(payer_province, 0)
                expected = in_flight[(payer_province, to)]
                pairs[f"{payer_province}>{to}"] = {"transit_out_fen": sent, "transit_in_fen": taken,
                                                   "in_flight_fen": expected}
                if sent + taken != expected:
                    diff.add("transit", f"{payer_province}→{to}: wallet_transit_out:{to} in {payer_province} "
                                        f"({fen_to_yuan(sent)}) plus wallet_transit_in:{payer_province} in {to} "
                                        f"({fen_to_yuan(taken)}) is {fen_to_yuan(sent + taken)} yuan; on its way: "
                                        f"{fen_to_yuan(expected)}")
            else:
                expected = sum(t.amount_fen for t in s.transfers
                               if t.direction == "out" and t.counterpart == to and t.state in (SENT, ACCEPTED))
                pairs[f"{payer_province}>{to}"] = {"transit_out_fen": sent, "in_flight_fen": expected}
                if sent != expected:
                    diff.add("transit", f"{payer_province}→{to} ({to} not given): wallet_transit_out:{to} holds "
                                        f"{fen_to_yuan(sent)} yuan, its transfers still out {fen_to_yuan(expected)}")

    _check_messages(provinces, hub, diff)
    diff.close()
    return Report(instances=[_summary(s) for s in snapshots], differences=list(diff), notes=notes, total_fen=total,
                  expected_total_fen=expect_total, quiet=quiet, pairs=pairs)


def _check_messages(provinces: dict[str, Snapshot], hub: Snapshot | None, diff: _Differences) -> None:
    """Each step of a transfer made one message, each applied once; each acknowledged message reached the next hop."""
    for name, s in provinces.items():
        sent_out: Counter[str] = Counter(m.transfer_no for m in s.outbox if m.kind == "wallet.transfer")
        answers_out: Counter[tuple[str, str]] = Counter((m.transfer_no, m.kind) for m in s.outbox
                                                        if m.kind in ANSWER.values())
        arrivals: Counter[str] = Counter(m.transfer_no for m in s.inbox if m.kind == "wallet.transfer" and m.applied)
        answers_in: Counter[tuple[str, str]] = Counter((m.transfer_no, m.kind) for m in s.inbox
                                                       if m.kind in ANSWER.values() and m.applied)
        for t in s.transfers:
            if t.direction == "out":
                if sent_out[t.transfer_no] != 1:
                    diff.add("messages", f"{name}: {t.transfer_no} has {sent_out[t.transfer_no]} wallet.transfer "
                                         f"message(s) in the outbox, not 1")
                got = {kind: n for (no, kind), n in answers_in.items() if no == t.transfer_no}
                wanted = {ANSWER[t.state]: 1} if t.state in ANSWER else {}
                if got != wanted:
                    diff.add("messages", f"{name}: {t.transfer_no} ({t.state}) applied answers {got or 'none'}, "
                                         f"expected {wanted or 'none'}")
            elif t.direction == "in":
                if arrivals[t.transfer_no] != 1:
                    diff.add("messages", f"{name}: {t.transfer_no} was taken in by {arrivals[t.transfer_no]} "
                                         f"wallet.transfer message(s), not 1")
                got = {kind: n for (no, kind), n in answers_out.items() if no == t.transfer_no}
                wanted = {ANSWER[t.state]: 1} if t.state in ANSWER else {}
                if got != wanted:
                    diff.add("messages", f"{name}: {t.transfer_no} ({t.state}) sent answers {got or 'none'}, "
                                         f"expected {wanted or 'none'}")
        known = {t.transfer_no for t in s.transfers}
        for m in s.inbox:
            if m.transfer_no not in known:
                diff.add("messages", f"{name}: inbox message {m.message_id} ({m.kind}) is about {m.transfer_no}, "
                                     f"which is not here")
    if hub is None:
        return
    relayed = {m.message_id for m in hub.outbox}
    refusals = Counter(m.transfer_no for m in hub.outbox if m.source == HUB_NAME and m.kind == "wallet.refused")
    for m in hub.inbox:
        if m.destination != HUB_NAME and m.message_id not in relayed and refusals[m.transfer_no] != 1:
            diff.add("relay", f"hub: message {m.message_id} ({m.kind} {m.source}→{m.destination}) was neither "
                              f"passed on nor answered")
    if len(hub.outbox) != len(hub.inbox):
        diff.add("relay", f"hub: {len(hub.inbox)} message(s) received, {len(hub.outbox)} sent on")
    hub_inbox = {m.message_id for m in hub.inbox}
    for name, s in provinces.items():
        for m in s.outbox:
            if m.acked and m.message_id not in hub_inbox:
                diff.add("delivery", f"{name}: message {m.message_id} ({m.kind}) acknowledged, not in the hub's inbox")
    for m in hub.outbox:
        to = provinces.get(m.destination)
        if to is not None and m.acked and m.message_id not in {i.message_id for i in to.inbox}:
            diff.add("delivery", f"hub: message {m.message_id} ({m.kind}) acknowledged, not in {m.destination}'s "
                                 f"inbox")


# -- from URLs --------------------------------------------------------------------------------------------------


def shown(url: str) -> str:
    return make_url(normalize_url(url)).render_as_string(hide_password=True)


def open_checked(spec: str) -> tuple[str | None, Database]:
    """``URL`` or ``NN=URL`` / ``hub=URL``: the name given (or None) and the database, migrated and reachable."""
    name = None
    head, sep, rest = spec.partition("=")
    if sep and (head == HUB_NAME or (len(head) == 2 and head.isdigit())):
        name, spec = head, rest
    if spec.startswith("sqlite:///"):
        path = Path(spec[len("sqlite:///"):])
        if not path.is_file():
            raise CheckRefused(f"{spec}: no such SQLite file")
    try:
        db = Database(spec)
    except Exception as exc:  # not a URL of a kind Gongji uses
        raise CheckRefused(f"{spec}: {exc}") from None
    try:
        if not inspect(db.engine).has_table("wallet_transfers") or not db.is_current():
            raise CheckRefused(f"{shown(spec)}: not a current Gongji database (run gongji db upgrade)")
    except CheckRefused:
        db.dispose()
        raise
    except Exception as exc:
        db.dispose()
        first = str(exc).splitlines()[0] if str(exc) else ""
        raise CheckRefused(f"{shown(spec)}: cannot be read ({type(exc).__name__}: {first})") from None
    return name, db


def check_urls(specs: list[str], *, expect_total: int | None = None) -> Report:
    """Read each database and compare them; :class:`CheckRefused` when one cannot be read."""
    snapshots = []
    for spec in specs:
        name, db = open_checked(spec)
        try:
            label = shown(db.url)
            snapshots.append(db.read(lambda s, name=name, label=label: read_snapshot(s, name=name, label=label)))
        finally:
            db.dispose()
    return compare(snapshots, expect_total=expect_total)


def format_report(report: Report) -> list[str]:
    """The report as lines of plain text."""
    lines = []
    for row in report.instances:
        states = ", ".join(f"{k} {v}" for k, v in row["transfers"].items()) or "no transfers"
        line = (f"{row['name']:>4}  {row['url']}\n      people {row['people']}; {states}; outbox waiting "
                f"{row['outbox_waiting']}, acknowledged {row['outbox_acknowledged']}; inbox {row['inbox']}")
        if "money" in row:
            money = row["money"]
            line += (f"\n      money {fen_to_yuan(money['total_fen'])} yuan (personal "
                     f"{fen_to_yuan(money['personal_fen'])}, wallets {fen_to_yuan(money['wallets_fen'])}, pending {fen_to_yuan(money['pending_fen'])}, "
                     f"transit out {money['transit_out']}, in {money['transit_in']})")
        lines.append(line)
    for pair, values in sorted(report.pairs.items()):
        lines.append(f"transit {pair.replace('>', '→')}: " + ", ".join(f"{k} {v}" for k, v in values.items()))
    total = f"money of the provinces: {fen_to_yuan(report.total_fen)} yuan ({report.total_fen} fen)"
    if report.expected_total_fen is not None:
        total += f", expected {fen_to_yuan(report.expected_total_fen)}"
    lines.append(total)
    lines += [f"note: {note}" for note in report.notes]
    lines += [f"✗ {difference}" for difference in report.differences]
    lines.append("✓ the instances agree" if report.ok else f"✗ {len(report.differences)} difference(s)")
    return lines
