"""The nemesis: kills the server with SIGKILL, starts it again, stops the database the way a power cut does, and
(against a pg_auto_failover group) kills the primary's whole node so that the standby is promoted, then brings the
old primary back as the new standby.

``gongji serve`` runs in a process group of its own, so that SIGKILL reaches the supervisor and every worker at
once: nothing gets to finish a request, flush a buffer or roll back politely. What was committed must survive;
what was not must leave no trace; the clients, whose answers are lost, retry with their keys.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from gongji_tools.cluster.autofailover import NODES, PRIMARY_STATES, AutoFailoverCluster
from gongji_tools.verify.cluster import ThrowawayCluster, free_port


class Server:
    """``gongji serve`` as a child process group: ``start`` waits until it answers ``/readyz``; ``kill`` is SIGKILL."""

    def __init__(self, url: str, *, workers: int, server_key: str, log_path: Path) -> None:
        self.url, self.workers, self.server_key = url, workers, server_key
        self.port = free_port()
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, *, ready_within: float = 90) -> None:
        # The run binds and unbinds the same few families hundreds of times a minute: the limit on binding attempts
        # per payer (HLJ-7, tested on its own) would answer its binds with 429s for a day, so it is off here.
        env = {**os.environ, "GONGJI_SECRET_KEY": self.server_key, "GONGJI_LOG_LEVEL": "WARNING",
               "GONGJI_BINDING_ATTEMPTS_PER_PERSON": "0"}
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gongji.cli.main", "--database-url", self.url, "serve", "--port",
                 str(self.port), "--workers", str(self.workers), "--no-notify", "--no-migrate"],
                env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + ready_within
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gongji serve stopped with {self.process.returncode}; see {self.log_path}")
            try:
                if httpx.get(f"{self.base_url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gongji serve was not ready within {ready_within:.0f} s; see {self.log_path}")

    def kill(self) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.process = None

    def stop(self) -> None:
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            self.kill()
        self.process = None


@dataclass
class Faults:
    """What the nemesis did, with times relative to the start of the load."""

    kills: int = 0
    db_restarts: int = 0
    failovers: int = 0
    log: list[str] = field(default_factory=list)
    #: Each failover: when the primary was killed (epoch seconds), seconds until the standby was promoted and until
    #: the old primary was a standby again, and the two nodes' names.
    failover_times: list[dict] = field(default_factory=list)


class Nemesis(threading.Thread):
    """Spreads ``kills`` server kills and ``db_restarts`` immediate database stops over ``seconds`` of load."""

    def __init__(self, server: Server, cluster: ThrowawayCluster | None, *, seconds: float, kills: int,
                 db_restarts: int, seed: int, down_for: tuple[float, float] = (0.3, 2.0),
                 group: AutoFailoverCluster | None = None, failovers: int = 0) -> None:
        super().__init__(name="nemesis", daemon=True)
        self.server, self.cluster, self.group = server, cluster, group
        self.rng = random.Random(seed)
        self.down_for = down_for
        self.began = time.time()
        faults = (["kill"] * kills + (["db"] * db_restarts if cluster is not None else [])
                  + (["failover"] * failovers if group is not None else []))
        self.rng.shuffle(faults)
        # Evenly spaced with some jitter, never in the first or last tenth of the run.
        step = seconds * 0.8 / max(1, len(faults))
        self.plan = [(seconds * 0.1 + step * (i + self.rng.uniform(0.2, 0.8)), f) for i, f in enumerate(faults)]
        self.faults = Faults()
        self.error: BaseException | None = None

    def note(self, text: str) -> None:
        self.faults.log.append(f"{time.time() - self.began:6.1f} s  {text}")

    def run(self) -> None:
        try:
            for at, fault in self.plan:
                time.sleep(max(0.0, self.began + at - time.time()))
                if fault == "kill":
                    self.server.kill()
                    self.faults.kills += 1
                    self.note("SIGKILL gongji serve (every process)")
                    time.sleep(self.rng.uniform(*self.down_for))
                    self.server.start()
                    self.note("gongji serve started again")
                elif fault == "failover":
                    self.failover()
                else:
                    self.cluster.stop_immediately()
                    self.faults.db_restarts += 1
                    self.note("PostgreSQL stopped in immediate mode")
                    time.sleep(self.rng.uniform(*self.down_for) + 1)
                    self.cluster.start()
                    self.note("PostgreSQL started again (recovery from the write-ahead log)")
        except BaseException as error:  # noqa: BLE001 - reported by the run, which fails
            self.error = error

    def failover(self, *, within: float = 90) -> None:
        """SIGKILL the primary's node (keeper, postmaster, backends), wait until the monitor has promoted the standby,
        then run the old primary again and wait until it has rejoined as the new standby."""
        group = self.group
        group.wait_until(group.healthy, within, "a primary and a secondary before the failover")
        old = group.primary()
        new = next(name for name in NODES if name != old)
        killed = time.time()
        group.kill(old)
        self.faults.failovers += 1
        self.note(f"SIGKILL the primary {old} (keeper, postmaster and backends)")
        group.wait_until(lambda states: any(s.name == new and s.settled and s.reported in PRIMARY_STATES
                                            for s in states), within, f"{new} to be promoted")
        promoted = time.time()
        self.note(f"{new} promoted after {promoted - killed:.1f} s")
        time.sleep(self.rng.uniform(*self.down_for))
        group.start(old)
        group.wait_until(group.healthy, within, f"{old} to rejoin as a standby")
        rejoined = time.time()
        self.note(f"{old} back as the standby after {rejoined - killed:.1f} s")
        self.faults.failover_times.append({"killed_at": killed, "promoted_s": round(promoted - killed, 2),
                                           "rejoined_s": round(rejoined - killed, 2), "old": old, "new": new})
