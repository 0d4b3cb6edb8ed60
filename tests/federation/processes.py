"""Helpers for the federation as real processes (HN-9): three ``gongji serve`` of their own, clients over HTTP.

* :class:`Timeline`: one clock for every process of a run. Each process reads ``GONGJI_CLOCK_START`` once, when it
  starts, and then runs at real speed; so a process (re)started later is told where the run's time stands then,
  and all of them keep (nearly) the same time. Moving the timeline (to the next morning, WAL-4) takes effect for
  the processes started afterwards.
* :class:`Server`: ``gongji serve`` of one instance in a process group of its own, so that SIGKILL reaches it at
  once and nothing is finished politely; ``start`` waits for ``/readyz``.
* :class:`Clerk`: the counter clerk of one instance over HTTP (``demo-counter``, every region): a request with an
  unknown outcome (no answer, a 5xx, a lost session) is sent again with the same Idempotency-Key until its outcome
  is definite.
* :func:`wait_drained`: until no instance holds a message not acknowledged (read from the databases).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from gongji.db import Database
from gongji.federation import service as federation
from gongji_tools.demo.access import STAFF_ID, STAFF_PASSWORD

GONGJI = [sys.executable, "-m", "gongji.cli.main"]


def free_ports(count: int) -> list[int]:
    """``count`` different ports free on the loopback now."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


class Timeline:
    """Where the run's time stands: set to an instant, then running at real speed."""

    def __init__(self, at: datetime) -> None:
        self.set(at)

    def set(self, at: datetime) -> None:
        self._at, self._real = at, time.monotonic()

    def now(self) -> datetime:
        return self._at + timedelta(seconds=time.monotonic() - self._real)

    def environ(self, **more: str) -> dict[str, str]:
        """The environment of a process started now: the run's time, and ``more``."""
        return {**os.environ, "GONGJI_CLOCK_START": self.now().isoformat(), "GONGJI_LOG_LEVEL": "WARNING", **more}


class Server:
    """``gongji serve`` of one instance (``hub``, ``23``, ``41``) on its database and federation file."""

    def __init__(self, name: str, *, url: str, port: int, settings: Path, folder: Path, timeline: Timeline) -> None:
        self.name, self.url, self.port, self.settings = name, url, port, settings
        self.folder, self.timeline = folder, timeline
        self.log_path = folder / f"serve-{name}.log"
        self.process: subprocess.Popen | None = None
        self.starts = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, ready_within: float = 150) -> None:
        env = self.timeline.environ(GONGJI_FEDERATION=str(self.settings),
                                    GONGJI_SECRET_FILE=str(self.folder / f"{self.name}.secret"))
        env.pop("GONGJI_DATABASE_URL", None)
        env.pop("GONGJI_SECRET_KEY", None)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [*GONGJI, "--database-url", self.url, "serve", "--port", str(self.port), "--no-notify",
                 "--no-migrate"], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=self.folder,
                start_new_session=True)
        self.starts += 1
        deadline = time.monotonic() + ready_within
        with httpx.Client(timeout=5) as http:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"{self.name}: gongji serve stopped with {self.process.returncode}:\n"
                                       + self.log_tail())
                try:
                    if http.get(f"{self.base_url}/readyz").status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                time.sleep(0.25)
        raise RuntimeError(f"{self.name}: gongji serve not ready within {ready_within:.0f} s:\n" + self.log_tail())

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def kill(self) -> None:
        """SIGKILL to the whole process group: nothing gets to finish a request or a delivery."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=60)
        self.process = None

    def terminate(self) -> None:
        """SIGTERM to the process group (a graceful stop); :meth:`stop` waits for it."""
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)

    def stop(self, *, within: float = 15) -> None:
        if self.process is None:
            return
        self.terminate()
        try:
            self.process.wait(timeout=within)
        except subprocess.TimeoutExpired:
            self.kill()
        self.process = None


def gongji(args: list[str], *, timeline: Timeline, folder: Path, settings: Path | None = None,
           timeout: float = 180) -> subprocess.CompletedProcess:
    """Run a ``gongji`` command as an operator would, at the run's time (and as an instance, given its file)."""
    env = timeline.environ(**({"GONGJI_FEDERATION": str(settings)} if settings else {}))
    if settings is None:
        env.pop("GONGJI_FEDERATION", None)
    env.pop("GONGJI_DATABASE_URL", None)
    env["COLUMNS"] = "200"
    return subprocess.run([*GONGJI, *args], env=env, cwd=folder, capture_output=True, text=True, timeout=timeout)


def gongji_together(runs: list[dict[str, Any]]) -> list[subprocess.CompletedProcess]:
    """Several :func:`gongji` commands at once (keyword arguments each), their results in the same order."""
    with ThreadPoolExecutor(max_workers=len(runs)) as pool:
        return list(pool.map(lambda kwargs: gongji(**kwargs), runs))


@dataclass
class Outcome:
    status: int | None  # None: unknown (no answer in time)
    body: Any = None
    tries: int = 0

    @property
    def code(self) -> str | None:
        return self.body.get("code") if isinstance(self.body, dict) else None


class Clerk:
    """The counter clerk (every region) of one instance; one HTTP connection, for one thread."""

    def __init__(self, base_url: str, tally: Counter, lock: threading.Lock, *, timeout: float = 20.0) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=timeout)
        self.token: str | None = None
        self.tally, self.lock = tally, lock

    def close(self) -> None:
        self.http.close()

    def _count(self, name: str) -> None:
        with self.lock:
            self.tally[name] += 1

    def _once(self, path: str, body: dict | None, key: str) -> Outcome:
        try:
            if self.token is None:
                login = self.http.post("/v1/auth/staff", json={"staff_id": STAFF_ID, "password": STAFF_PASSWORD})
                if login.status_code != 200:
                    return Outcome(None, {"login": login.status_code})
                self.token = login.json()["token"]
            response = self.http.post(path, json=body, headers={"Authorization": f"Bearer {self.token}",
                                                                "Idempotency-Key": key})
        except (httpx.HTTPError, OSError, ValueError) as error:
            return Outcome(None, {"error": type(error).__name__})
        if response.status_code == 401:
            self.token = None  # the session is gone (or the clock moved past it): log in again, send again
            return Outcome(None, {"status": 401})
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.status_code >= 500 or response.status_code in (408, 429):
            return Outcome(None, data)
        return Outcome(response.status_code, data)

    def post(self, path: str, body: dict | None, *, key: str, give_up_at: float) -> Outcome:
        """POST until the outcome is definite (a 2xx or a 4xx), always with the same key; or ``give_up_at``."""
        tries = 0
        while True:
            tries += 1
            outcome = self._once(path, body, key)
            if outcome.status is not None or time.monotonic() >= give_up_at:
                outcome.tries = tries
                return outcome
            self._count("retries")
            time.sleep(min(2.0, 0.25 * tries))


def outbox_state(dbs: dict[str, Database]) -> dict[str, tuple[int, int, int]]:
    """(waiting, acknowledged, received) of each instance's outbox and inbox."""
    found = {}
    for name, db in dbs.items():
        status = db.read(federation.status)
        found[name] = (status.waiting, status.acknowledged, status.received)
    return found


def wait_drained(dbs: dict[str, Database], *, within: float = 150.0) -> dict[str, tuple[int, int, int]]:
    """Until no outbox holds a message not acknowledged, twice in a row with nothing moved in between."""
    deadline = time.monotonic() + within
    last = None
    while True:
        state = outbox_state(dbs)
        if all(waiting == 0 for waiting, _, _ in state.values()) and state == last:
            return state
        if time.monotonic() > deadline:
            raise AssertionError(f"the outboxes were not drained within {within:.0f} s: {state}")
        last = state
        time.sleep(1.0)


@dataclass
class Faults:
    kills: Counter = field(default_factory=Counter)
    log: list[str] = field(default_factory=list)
