"""The verification run in this process, on SQLite and PostgreSQL: clients over a lossy link, then the checker.

A run with lost requests and lost answers must come out clean: every acknowledged operation applied exactly once,
the ledger whole (N-10: settlements pay own account, then bound payers, then cash; HN-5: refunds go back to whoever
paid; HZ-1: transfers). Then the checker must be shown to see what it is there to see: each test below breaks one
thing, the way a bug or a lost write would, inside a transaction that is rolled back afterwards, and the checker
has to name it. A checker that passes everything would fail these tests.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from gongji_tools.verify import checker
from gongji_tools.verify.run import InProcessRun, run_in_process


@pytest.fixture
def done(db, tmp_path) -> InProcessRun:
    # As many operations however busy the machine: each client sends 60, and goes on for 3 s if it is quicker.
    return run_in_process(db, tmp_path / "logs", clients=3, seconds=3.0, loss=0.25, people=90, seed=5, operations=60)


def test_a_run_with_lost_requests_and_answers_comes_out_clean(done):
    """N-10, HN-5, HZ-1, HLJ-2: ok or refused, never twice; unknown answers resolved by retrying with the key."""
    verdict = done.verdict
    assert verdict.violations == []
    kinds = {kind for kind, outcome in verdict.operations if outcome == "ok"}
    assert {"settle", "aid", "refund", "unbind", "transfer", "credit"} <= kinds
    assert verdict.retries > 0  # the link lost requests or answers, and the clients sent them again
    assert verdict.replayed > 0  # some retries found their first answer stored, and got it back
    assert not any(outcome == "unknown" for _, outcome in verdict.operations)
    assert verdict.checks["settlements once"] > 20 and verdict.checks["conservation"] == 1


def tampered(db, done: InProcessRun, *statements: str, ops=None) -> list[str]:
    """The checker's findings with ``statements`` applied in a transaction that is then rolled back."""
    with db.engine.connect() as conn:
        transaction = conn.begin()
        try:
            for statement in statements:
                conn.execute(text(statement))
            with Session(bind=conn) as session:
                return [str(v) for v in done.check(session, ops).violations]
        finally:
            transaction.rollback()


def one(db, sql: str) -> int:
    with db.engine.connect() as conn:
        return conn.execute(text(sql)).scalar_one()


def test_the_untouched_run_checks_clean_again(db, done):
    assert tampered(db, done) == []


def test_a_settlement_made_twice_is_found(db, done):
    """A second settlement with the key of an acknowledged one: paid twice for one bill."""
    sid = one(db, "SELECT min(id) FROM settlements WHERE idempotency_key LIKE 'verify-%'")
    columns = ("institution_id, patient_id, region_code, use, amount_fen, own_fen, mutual_aid_fen, cash_fen, "
               "refunded_fen, cash_refunded_fen, status, settled_at, settled_on, idempotency_key")
    found = tampered(db, done, f"INSERT INTO settlements ({columns}) SELECT {columns} FROM settlements WHERE id = {sid}")
    assert any(f.startswith("[settlements once]") and "made 2 rows" in f for f in found), found


def test_an_acknowledged_refund_that_is_not_there_is_found(db, done):
    """A refund acknowledged to the hospital but missing from the database: an acknowledged operation lost."""
    rid = one(db, "SELECT min(id) FROM refunds WHERE idempotency_key LIKE 'verify-%'")
    found = tampered(db, done, f"UPDATE refunds SET idempotency_key = 'lost' WHERE id = {rid}")
    assert any(f.startswith("[refunds once]") and "was acknowledged" in f and "made 0 rows" in f for f in found), found


def test_a_balance_that_moved_without_postings_is_found(db, done):
    """One fen more in a personal account than its postings say: both the ledger and conservation see it."""
    account = one(db, "SELECT min(id) FROM accounts WHERE person_id IS NOT NULL AND balance_fen > 0")
    found = tampered(db, done, f"UPDATE accounts SET balance_fen = balance_fen + 1 WHERE id = {account}")
    assert any(f.startswith("[ledger]") and f"account {account} holds" in f for f in found), found
    assert any(f.startswith("[conservation]") for f in found), found


def test_parts_that_do_not_add_up_are_found(db, done):
    """N-10: the accounts' parts of a settlement add up to what its own and mutual-aid amounts say."""
    part, settlement = (one(db, "SELECT min(id) FROM settlement_parts"),
                        one(db, "SELECT settlement_id FROM settlement_parts ORDER BY id LIMIT 1"))
    found = tampered(db, done, f"UPDATE settlement_parts SET amount_fen = amount_fen + 5 WHERE id = {part}")
    assert any(f.startswith("[settlement parts]") and f"settlement {settlement}:" in f for f in found), found


def test_a_refund_beyond_what_a_part_paid_is_found(db, done):
    """HN-5: money goes back to the account that paid it, never more than it paid."""
    part = one(db, "SELECT min(id) FROM refund_parts")
    found = tampered(db, done, f"UPDATE refund_parts SET amount_fen = amount_fen + 1000000 WHERE id = {part}")
    assert any(f.startswith("[refund parts]") for f in found), found


def test_a_credit_made_twice_is_found(db, done):
    """A credit entry no stored answer accounts for: more entries than answers."""
    entry = one(db, "SELECT min(id) FROM ledger_entries WHERE kind = 'credit' AND memo = 'verify'")
    found = tampered(db, done, f'INSERT INTO ledger_entries (kind, at, "on", memo) '
                               f'SELECT kind, at, "on", memo FROM ledger_entries WHERE id = {entry}')
    assert any(f.startswith("[credit once]") and "rows made" in f for f in found), found


def _edit(done: InProcessRun, pick: Callable[[checker.Op], bool], **changes) -> list[checker.Op]:
    ops = checker.read_logs(done.folder)
    index = next(i for i, op in enumerate(ops) if pick(op))
    ops[index] = dataclasses.replace(ops[index], **changes)
    return ops


def test_an_acknowledgement_for_nothing_is_found(db, done):
    """A client was told "ok" for a key that made nothing: the acknowledged operation was lost."""
    ops = checker.read_logs(done.folder)
    ops.append(dataclasses.replace(next(op for op in ops if op.kind == "settle" and op.outcome == "ok"),
                                   key=f"verify-{done.run_id}-9-1", op=1, client=9))
    assert any("verify-" in f and "made 0 rows" in f for f in tampered(db, done, ops=ops))


def test_a_refusal_that_changed_something_is_found(db, done):
    """A client was refused, yet the database holds what the request would have made."""
    ops = _edit(done, lambda op: op.kind == "transfer" and op.outcome == "ok", outcome="fail", status=409,
                code="SOMETHING")
    assert any(f.startswith("[transfer once]") and "was refused" in f for f in tampered(db, done, ops=ops))


def test_an_answer_naming_another_row_is_found(db, done):
    """The answer named settlement n, the key made settlement m."""
    ops = _edit(done, lambda op: op.kind == "settle" and op.outcome == "ok",
                result={"settlement_id": 10**9, "amount_fen": 1})
    assert any("acknowledged settlement_id 1000000000" in f for f in tampered(db, done, ops=ops))


def test_rows_no_client_asked_for_are_found(db, done):
    """A row made with the run's keys that no client's log accounts for: the logs and the database disagree."""
    ops = [op for op in checker.read_logs(done.folder) if op.kind != "credit"]
    found = tampered(db, done, ops=ops)
    assert any("that no client sent" in f for f in found), found
