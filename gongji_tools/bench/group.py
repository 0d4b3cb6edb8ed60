"""Group commit, measured and kept out of the product: concurrent callers' transactions in one transaction, one COMMIT.

``gongji bench`` runs its hot-payer phase both ways in one run with this. On the project's machine it did not pay:
the grouped phase settled fewer bills a second than a transaction each (44 against 69 a second, p50 1,019 against
366 ms; docs/performance.md), because a group runs its settlements one after another in one thread, each with a
savepoint and its own round trips, while the flush it saves was not what the time went on. So it stays here, beside
the product, where the benchmark can measure it again on a machine whose disk is the limit.

A settlement on a hot payer's account holds the row's lock from its first statement to its COMMIT, and the COMMIT
waits for the write-ahead log to reach the disk; the next settlement on that account waits for all of it. Run in one
transaction, a group of settlements pays for one flush. :class:`GroupCommit` does that for transaction functions
(the ``fn(session)`` of :meth:`Database.run`):

* the first caller to find no group running leads: it takes what is queued (at most ``max_group``) and runs it as one
  transaction, each function in a SAVEPOINT of its own; callers that arrive meanwhile queue for the next group, which
  the first of them leads. There is no waiting window: a group is what arrived while the previous one ran;
* a function that raises (a refusal, :class:`~gongji.errors.GongjiError`) is rolled back to its savepoint, and only its
  caller gets the error: what it claimed or wrote is gone, the others commit;
* a database error fails the group's transaction. A transient conflict is retried as :meth:`Database.run` retries
  (the whole group again). Any other runs each function again in a transaction of its own, so that one caller's
  failure is never another's; a connection lost during the COMMIT is raised to every caller of the group (whether it
  committed is unknown; their retries with the same idempotency keys tell);
* a caller gets its result only after the COMMIT.

The functions must be what :meth:`Database.run` asks of them already: re-runnable, with no side effect but their
writes. Locks are taken in each function's own order, so two groups can deadlock where two single transactions would
queue; PostgreSQL detects it and the group is retried.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

T = TypeVar("T")


class _Member:
    __slots__ = ("fn", "result", "error", "done", "lead", "wake")

    def __init__(self, fn: Callable[[Session], Any]) -> None:
        self.fn = fn
        self.result: Any = None
        self.error: BaseException | None = None
        self.done = False
        self.lead = False
        self.wake = threading.Event()


class GroupCommit:
    """Run transaction functions of concurrent threads of this process in shared transactions (see the module)."""

    def __init__(self, db: Any, *, max_group: int = 32) -> None:
        self.db = db
        self.max_group = max_group
        self._lock = threading.Lock()
        self._queue: list[_Member] = []
        self._running = False
        self.groups = 0  # transactions run for groups (for the benchmark's report)
        self.members = 0

    def run(self, fn: Callable[[Session], T]) -> T:
        member = _Member(fn)
        with self._lock:
            self._queue.append(member)
            if not self._running:
                self._running = member.lead = True
        while True:
            if member.lead and not member.done:
                self._lead()
            if member.done:
                break
            member.wake.wait()
            member.wake.clear()
        if member.error is not None:
            raise member.error
        return member.result

    def _lead(self) -> None:
        with self._lock:
            group, self._queue = self._queue[:self.max_group], self._queue[self.max_group:]
        try:
            self._commit(group)
        finally:
            for m in group:
                m.done = True
            with self._lock:
                if self._queue:
                    self._queue[0].lead = True  # the next group's leader
                    self._queue[0].wake.set()
                else:
                    self._running = False
            for m in group:
                m.wake.set()

    def _commit(self, group: list[_Member]) -> None:
        def work(session: Session) -> list[tuple[Any, BaseException | None]]:
            outcomes: list[tuple[Any, BaseException | None]] = []
            for m in group:
                try:
                    with session.begin_nested():
                        outcomes.append((m.fn(session), None))
                except DBAPIError:
                    raise
                except Exception as exc:  # noqa: BLE001 - this caller's own failure, given to it alone
                    outcomes.append((None, exc))
            return outcomes

        from gongji.db import in_commit

        try:
            outcomes = self.db.run(work)
        except DBAPIError as exc:
            if in_commit(exc) or len(group) == 1:
                for m in group:
                    m.error = exc
                return
            for m in group:  # each alone: one caller's failure is never another's
                try:
                    m.result = self.db.run(m.fn)
                except BaseException as alone:  # noqa: BLE001 - given to its caller
                    m.error = alone
            return
        except BaseException as exc:  # noqa: BLE001 - given to every caller of the group
            for m in group:
                m.error = exc
            return
        self.groups += 1
        self.members += len(group)
        for m, (result, error) in zip(group, outcomes, strict=True):
            m.result, m.error = result, error
