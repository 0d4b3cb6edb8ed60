"""`gongji notify`, the notification worker as a process (HZ-4, N-9), on both databases.

The crash test: a real HTTP receiver records every request's Idempotency-Key; the worker is killed
with SIGKILL in the middle of its batches several times and started again, then left to finish.
Every notification must end up delivered in the database and at the receiver, each once after
deduplicating by key; the raw repeats are at most one per kill (the message that was in flight).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gongji.cli.main import app
from gongji.notifications import service as notifications
from gongji.settlement import service as settlement
from tests.notifications.conftest import HOSPITAL, Receiver, outbox

ROOT = Path(__file__).resolve().parents[2]
KILLS = 3


def many_notifications(world, couple) -> list[int]:
    """A binding and 29 bills paid partly from the payer's account: 60 notifications."""
    payer, wife = couple
    world.bind(payer, wife)

    def bills(s, env):  # one transaction: quick to set up on both databases
        for n in range(29):  # the first takes her own 1000 fen, then 100 from him; the others are all his
            settlement.settle(s, env, institution_code=HOSPITAL, patient_id_number=wife.id_number,
                              amount_fen=1_100 if n == 0 else 100 + n, use="outpatient", idempotency_key=f"bill-{n}")

    world.run(bills)
    ids = [n.id for n in outbox(world)]
    assert len(ids) == 60
    return ids


#: ``gongji notify`` with its arguments, started once a line arrives on stdin: the processes of the crash test
#: are started (and import Gongji) ahead of time, and each runs the command only when its turn comes.
LAUNCH = "import sys; from gongji.cli.main import app; sys.stdin.readline(); app(sys.argv[1:], prog_name='gongji')"


def worker(db_url: str, receiver: Receiver, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "GONGJI_DATABASE_URL": db_url, "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1",
           "PYTHONPATH": str(ROOT)}
    env.pop("GONGJI_NOTIFY_WEBHOOK_SECRET", None)
    return subprocess.Popen(
        [sys.executable, "-c", LAUNCH, "notify", "--sender", f"webhook:{receiver.url}", "--batch", "10",
         "--lease", "1", "--poll", "0.1", *extra],
        env=env, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def go(process: subprocess.Popen) -> None:
    process.stdin.write("go\n")
    process.stdin.flush()


def wait_for(condition, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.005)


def test_hz_4_n_9_a_killed_worker_repeats_at_most_the_message_in_flight(world, couple, db):
    """HZ-4, N-9: at least once, exactly once after deduplication by key; a crash repeats one message at most."""
    with Receiver(delay=0.02) as receiver:
        processes = [worker(db.url, receiver) for _ in range(KILLS + 1)]
        try:
            ids = many_notifications(world, couple)
            for process in processes[:KILLS]:
                arrived = len(receiver.keys())
                go(process)
                try:
                    wait_for(lambda arrived=arrived: len(receiver.keys()) >= arrived + 6, timeout=30,
                             what="the worker to send")
                finally:
                    process.send_signal(signal.SIGKILL)
                    _, stderr = process.communicate(timeout=10)
                assert process.returncode == -signal.SIGKILL, stderr
                assert len(set(receiver.keys())) < len(ids), "killed mid-way, not after the end"

            last = processes[KILLS]
            go(last)
            try:
                wait_for(lambda: world.db.read(notifications.pending_count) == 0, timeout=30,
                         what="every notification to be delivered")
            finally:
                last.send_signal(signal.SIGINT)
                stdout, stderr = last.communicate(timeout=15)
            assert last.returncode == 0, stderr
            assert "pending 0" in stdout
        finally:
            for process in processes:
                if process.poll() is None:
                    process.kill()
                    process.communicate()
        keys = receiver.keys()

    expected = {f"gongji-notification-{i}" for i in ids}
    rows = outbox(world)
    assert {n.status for n in rows} == {"delivered"}
    assert set(keys) == expected, "the receiver got every notification"
    repeated = {k: keys.count(k) for k in expected if keys.count(k) > 1}
    # each kill may repeat the one message in flight (the same one twice, if it was in flight at two kills)
    assert len(keys) - len(set(keys)) <= KILLS, f"repeated after {KILLS} kills: {repeated}"


def test_n_9_notify_once_delivers_what_is_due_and_says_so(world, couple, db, tmp_path):
    payer, wife = couple
    world.bind(payer, wife)
    world.settle(wife, 5_000)
    path = tmp_path / "notifications.jsonl"
    result = CliRunner().invoke(app, ["notify", "--once", "--batch", "3", "--sender", f"log:{path}"],
                                env={"GONGJI_DATABASE_URL": db.url, "COLUMNS": "200"}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "delivered 4, failed 0, pending 0" in result.output
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert sorted(line["notification_id"] for line in lines) == [n.id for n in outbox(world)]
    assert {line["phone"] for line in lines} == {"138****5678", None}
    assert {n.status for n in outbox(world)} == {"delivered"}


@pytest.mark.parametrize("spec", ["carrier-pigeon", "smtp://mail.example.org"])
def test_n_9_notify_refuses_an_unknown_sender(spec, tmp_path):
    result = CliRunner().invoke(app, ["notify", "--once", "--sender", spec],
                                env={"GONGJI_DATABASE_URL": f"sqlite:///{tmp_path}/none.sqlite3"})
    assert result.exit_code == 2
    assert "sender" in result.output
