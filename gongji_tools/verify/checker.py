"""The checker: the clients' logs against what the database holds once the run is over.

It reads every client's log into operations (each ok, failed or unknown, with its key and what its answer said)
and then asks the database, with nothing of the service's code in between but its tables:

- **applied exactly once**: an acknowledged operation made exactly one row (a settlement, refund, binding,
  transfer or credit), the one its answer named, with the amount it named; an unknown one made at most one; a
  refused one made none. A row the run's keys made that no logged operation accounts for is a duplicate;
- **money**: the ledger check (all accounts sum to zero, no personal balance below zero, every balance equal to
  its postings, every entry balanced); every settlement's parts add up to its amount and its refunds to no more
  than was paid, part by part and in cash; and the personal accounts hold exactly what they held before the run,
  plus the credits, less what settlements took from them, plus what refunds gave back, computed from the
  settlement and refund rows rather than from the postings.

Every finding is a :class:`Violation` naming the rows involved. Nothing is a violation merely because the service
refused something: refusals are the rules at work (a rebind too soon, a balance too low to transfer).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gongji.api.models import StoredResponse
from gongji.authorizations.models import Binding
from gongji.institutions.models import Institution
from gongji.ledger import service as ledger
from gongji.ledger.models import Account, LedgerEntry
from gongji.settlement.models import Refund, RefundPart, Settlement, SettlementPart
from gongji.transfers.models import Transfer
from gongji_tools.verify.client import AID, BIND, CANCEL, CREDIT, REFUND, SETTLE, TRANSFER, UNBIND


@dataclass
class Op:
    client: int
    op: int
    kind: str
    key: str
    scope: str
    path: str
    body: dict | None
    outcome: str = "unknown"  # ok | fail | unknown
    status: int | None = None
    code: str | None = None
    result: dict = field(default_factory=dict)
    retries: int = 0
    replayed: bool = False


def read_logs(folder: Path) -> list[Op]:
    ops: dict[tuple[int, int], Op] = {}
    for path in sorted(folder.glob("client-*.jsonl")):
        client = int(path.stem.split("-")[1])
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            ident = (client, record["op"])
            if record["event"] == "invoke":
                ops[ident] = Op(client, record["op"], record["kind"], record["key"], record["scope"], record["path"],
                                record["body"])
                continue
            op = ops[ident]
            if record["event"] == "retry":
                op.retries += 1
            elif record["event"] == "ok":
                op.outcome, op.status, op.result = "ok", record["status"], record["result"]
                op.replayed = record.get("replayed", False)
            elif record["event"] == "fail":
                op.outcome, op.status, op.code = "fail", record["status"], record.get("code")
    return list(ops.values())


@dataclass
class Violation:
    check: str
    detail: str

    def __str__(self) -> str:
        return f"[{self.check}] {self.detail}"


@dataclass
class Verdict:
    operations: Counter  # (kind, outcome) -> count
    retries: int
    replayed: int
    checks: dict[str, int]  # check -> rows looked at
    violations: list[Violation]

    @property
    def ok(self) -> bool:
        return not self.violations


def _once(check: str, ops: list[Op], rows: dict[tuple[str, str], list[int]], result_key: str,
          violations: list[Violation]) -> None:
    """Each op's (scope, key) against the ids of the rows it made."""
    logged = set()
    for op in ops:
        logged.add((op.scope, op.key))
        made = rows.get((op.scope, op.key), [])
        if op.outcome == "ok":
            if len(made) != 1:
                violations.append(Violation(check, f"{op.kind} {op.key} was acknowledged ({op.result}) but made "
                                                   f"{len(made)} rows: {made}"))
            elif result_key in op.result and made[0] != op.result[result_key]:
                violations.append(Violation(check, f"{op.kind} {op.key} acknowledged {result_key} "
                                                   f"{op.result[result_key]}, the database has {made[0]}"))
        elif op.outcome == "fail" and made:
            violations.append(Violation(check, f"{op.kind} {op.key} was refused ({op.status} {op.code}) yet made "
                                               f"rows {made}"))
        elif op.outcome == "unknown" and len(made) > 1:
            violations.append(Violation(check, f"{op.kind} {op.key} (unknown) made {len(made)} rows: {made}"))
    for ident, made in rows.items():
        if ident not in logged:
            violations.append(Violation(check, f"rows {made} were made with key {ident[1]} that no client sent"))


def check(session: Session, ops: list[Op], *, run_id: str, admin_id: str, baseline_fen: int,
          since_entry_id: int) -> Verdict:
    violations: list[Violation] = []
    checks: dict[str, int] = {}
    prefix = f"verify-{run_id}-%"
    by_kind: dict[str, list[Op]] = defaultdict(list)
    for op in ops:
        by_kind[op.kind].append(op)
    for op in ops:
        if op.code == "IDEMPOTENCY_KEY_REUSED":
            violations.append(Violation("keys", f"{op.key} was refused as reused, though sent with one body"))

    # -- applied exactly once ---------------------------------------------------------------------
    settlements: dict[tuple[str, str], list[int]] = defaultdict(list)
    for sid, code, key in session.execute(
            select(Settlement.id, Institution.code, Settlement.idempotency_key)
            .join(Institution, Institution.id == Settlement.institution_id)
            .where(Settlement.idempotency_key.like(prefix))):
        settlements[(f"institution:{code}", key)].append(sid)
    _once("settlements once", by_kind[SETTLE] + by_kind[AID], settlements, "settlement_id", violations)
    checks["settlements once"] = len(by_kind[SETTLE]) + len(by_kind[AID])

    refunds: dict[tuple[str, str], list[int]] = defaultdict(list)
    for rid, code, key in session.execute(
            select(Refund.id, Institution.code, Refund.idempotency_key)
            .join(Settlement, Settlement.id == Refund.settlement_id)
            .join(Institution, Institution.id == Settlement.institution_id)
            .where(Refund.idempotency_key.like(prefix))):
        refunds[(f"institution:{code}", key)].append(rid)
    _once("refunds once", by_kind[REFUND] + by_kind[CANCEL], refunds, "refund_id", violations)
    checks["refunds once"] = len(by_kind[REFUND]) + len(by_kind[CANCEL])

    # Staff operations: the stored answer is written in the transaction of the change it reports, so an answer
    # stands for exactly one change; the rows of each kind made by the run's administrator must number the same.
    stored = {(row.scope, row.key): row for row in session.execute(
        select(StoredResponse.scope, StoredResponse.key, StoredResponse.status_code, StoredResponse.body)
        .where(StoredResponse.scope == f"admin:{admin_id}", StoredResponse.key.like(prefix)))}
    kind_of = {(op.scope, op.key): op.kind for kind in (BIND, UNBIND, TRANSFER, CREDIT) for op in by_kind[kind]}
    for kind, id_key in ((BIND, "binding_id"), (UNBIND, "binding_id"), (TRANSFER, "transfer_id"),
                         (CREDIT, "entry_id")):
        rows = {ident: [row.body.get(id_key)] for ident, row in stored.items() if kind_of.get(ident) == kind}
        _once(f"{kind} once", by_kind[kind], rows, id_key, violations)
        checks[f"{kind} once"] = len(by_kind[kind])
    for ident in stored:
        if ident not in kind_of:
            violations.append(Violation("staff once", f"a stored answer for key {ident[1]} that no client sent"))

    def answered(kind: str) -> list[dict]:
        return [row.body for ident, row in stored.items() if kind_of.get(ident) == kind and 200 <= row.status_code < 300]

    made = {
        BIND: session.execute(select(func.count()).select_from(Binding).where(Binding.operator_id == admin_id))
        .scalar_one(),
        TRANSFER: session.execute(select(func.count()).select_from(Transfer)
                                  .where(Transfer.operator_id == admin_id)).scalar_one(),
        CREDIT: session.execute(select(func.count()).select_from(LedgerEntry)
                                .where(LedgerEntry.kind == "credit", LedgerEntry.memo == "verify",
                                       LedgerEntry.id > since_entry_id)).scalar_one(),
    }
    for kind, count in made.items():
        if count != len(answered(kind)):
            violations.append(Violation(f"{kind} once", f"{count} rows made by the run's {kind} operations, "
                                                        f"{len(answered(kind))} answers stored"))
    for op in by_kind[UNBIND]:
        if op.outcome == "ok":
            ended = session.execute(select(Binding.ended_on).where(Binding.id == op.result["binding_id"])).scalar()
            if ended is None:
                violations.append(Violation("unbind once", f"binding {op.result['binding_id']} was acknowledged as "
                                                           f"ended ({op.key}) but is not"))

    # -- money ------------------------------------------------------------------------------------
    found = ledger.check(session)
    checks["ledger"] = session.execute(select(func.count()).select_from(Account)).scalar_one()
    if found.total_fen != 0:
        violations.append(Violation("ledger", f"all accounts sum to {found.total_fen} fen, not 0"))
    for account_id in found.negative_accounts:
        violations.append(Violation("ledger", f"account {account_id} is below zero"))
    for account_id, kept, summed in found.balance_mismatches:
        violations.append(Violation("ledger", f"account {account_id} holds {kept} fen, its postings sum to {summed}"))
    for entry_id, total in found.unbalanced_entries:
        violations.append(Violation("ledger", f"entry {entry_id} sums to {total} fen"))

    part_sums = (select(SettlementPart.settlement_id, func.sum(SettlementPart.amount_fen).label("paid"))
                 .group_by(SettlementPart.settlement_id).subquery())
    refund_sums = (select(Refund.settlement_id, func.sum(Refund.amount_fen).label("amount"),
                          func.sum(Refund.cash_fen).label("cash")).group_by(Refund.settlement_id).subquery())
    rows = session.execute(
        select(Settlement.id, Settlement.amount_fen, Settlement.own_fen, Settlement.mutual_aid_fen, Settlement.cash_fen,
               Settlement.refunded_fen, Settlement.cash_refunded_fen, part_sums.c.paid, refund_sums.c.amount,
               refund_sums.c.cash)
        .outerjoin(part_sums, part_sums.c.settlement_id == Settlement.id)
        .outerjoin(refund_sums, refund_sums.c.settlement_id == Settlement.id)).all()
    checks["settlement parts"] = len(rows)
    for r in rows:
        problems = []
        if r.own_fen + r.mutual_aid_fen + r.cash_fen != r.amount_fen:
            problems.append(f"own {r.own_fen} + aid {r.mutual_aid_fen} + cash {r.cash_fen} != {r.amount_fen}")
        if (r.paid or 0) != r.own_fen + r.mutual_aid_fen:
            problems.append(f"its parts sum to {r.paid or 0}, not own + aid {r.own_fen + r.mutual_aid_fen}")
        if (r.amount or 0) != r.refunded_fen or r.refunded_fen > r.amount_fen:
            problems.append(f"refunds sum to {r.amount or 0}, refunded_fen {r.refunded_fen}, paid {r.amount_fen}")
        if (r.cash or 0) != r.cash_refunded_fen or r.cash_refunded_fen > r.cash_fen:
            problems.append(f"cash refunds sum to {r.cash or 0}, cash_refunded_fen {r.cash_refunded_fen}, "
                            f"cash paid {r.cash_fen}")
        if problems:
            violations.append(Violation("settlement parts", f"settlement {r.id}: " + "; ".join(problems)))
    over = session.execute(
        select(SettlementPart.id, SettlementPart.amount_fen, func.sum(RefundPart.amount_fen))
        .join(RefundPart, RefundPart.settlement_part_id == SettlementPart.id)
        .group_by(SettlementPart.id, SettlementPart.amount_fen)
        .having(func.sum(RefundPart.amount_fen) > SettlementPart.amount_fen)).all()
    for part_id, paid, back in over:
        violations.append(Violation("refund parts", f"settlement part {part_id} paid {paid} fen, got back {back}"))

    # Conservation from the business rows, not the postings.
    now_fen = session.execute(select(func.coalesce(func.sum(Account.balance_fen), 0))
                              .where(Account.person_id.is_not(None))).scalar_one()
    taken = session.execute(select(func.coalesce(func.sum(Settlement.own_fen + Settlement.mutual_aid_fen), 0))
                            .where(Settlement.idempotency_key.like(prefix))).scalar_one()
    given_back = session.execute(select(func.coalesce(func.sum(Refund.amount_fen - Refund.cash_fen), 0))
                                 .join(Settlement, Settlement.id == Refund.settlement_id)
                                 .where(Settlement.idempotency_key.like(prefix))).scalar_one()
    credited = sum(body.get("amount_fen", 0) for body in answered(CREDIT))
    expected = baseline_fen + credited - taken + given_back
    checks["conservation"] = 1
    if now_fen != expected:
        violations.append(Violation("conservation", f"personal accounts hold {now_fen} fen; before the run "
                                                    f"{baseline_fen}, + credits {credited}, - settlements {taken}, "
                                                    f"+ refunds {given_back} = {expected}"))
    return Verdict(operations=Counter((op.kind, op.outcome) for op in ops), retries=sum(op.retries for op in ops),
                   replayed=sum(op.replayed for op in ops), checks=checks, violations=violations)
