"""A throwaway PostgreSQL cluster of the verification run's own, which the nemesis may stop in immediate mode.

Stopping a server in immediate mode is what a power cut does to it: no checkpoint, the next start replays the
write-ahead log. Doing that to a shared server would break everyone else's work, so the run makes a cluster of its
own (``initdb`` in a temporary folder, on a free port, fsync on) and removes it afterwards. PostgreSQL refuses to
run as root; when the run is root, the cluster's commands run as the ``postgres`` user.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


class ClusterError(RuntimeError):
    """The throwaway cluster could not be made, started or stopped; the message says what PostgreSQL printed."""


def find_bindir(explicit: str | None = None) -> Path:
    """Where ``initdb`` and ``pg_ctl`` live: ``explicit``, ``pg_config --bindir``, or the newest Debian install."""
    candidates = [explicit] if explicit else []
    pg_config = shutil.which("pg_config")
    if pg_config and not explicit:
        with contextlib.suppress(OSError, subprocess.CalledProcessError):
            candidates.append(subprocess.run([pg_config, "--bindir"], capture_output=True, text=True,
                                             check=True).stdout.strip())
    if not explicit:
        candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]),
                             reverse=True)
    for candidate in candidates:
        if candidate and (Path(candidate) / "initdb").exists() and (Path(candidate) / "pg_ctl").exists():
            return Path(candidate)
    raise ClusterError("initdb and pg_ctl not found: install PostgreSQL's server package "
                       "(Debian: postgresql) or pass --pg-bin")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ThrowawayCluster:
    """``initdb``, ``start``, ``stop_immediately``, ``remove``: one PostgreSQL cluster in a temporary folder."""

    def __init__(self, bindir: str | None = None) -> None:
        self.bindir = find_bindir(bindir)
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="gongji-verify-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            shutil.chown(self.root, user="postgres")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, timeout: float = 120) -> str:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise ClusterError(f"{args[0]} failed ({done.returncode}): {(done.stderr or done.stdout)[-1500:]}")
        return done.stdout

    def create(self) -> None:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8")

    def start(self) -> None:
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=on "
                   f"-c synchronous_commit=on -c max_connections=100")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60", "start")

    def stop_immediately(self) -> None:
        """What a power cut does: no checkpoint; the next start replays the write-ahead log."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def stop(self) -> None:
        with contextlib.suppress(ClusterError):
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", timeout=60)

    def is_ready(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return True
        except OSError:
            return False

    def remove(self) -> None:
        if self.data.exists() and (self.data / "postmaster.pid").exists():
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> ThrowawayCluster:
        try:
            self.create()
            self.start()
        except BaseException:
            self.remove()
            raise
        deadline = time.time() + 30
        while not self.is_ready() and time.time() < deadline:
            time.sleep(0.1)
        return self

    def __exit__(self, *exc) -> None:
        self.remove()
