"""A pg_auto_failover group on this machine: a monitor, a primary and a synchronous standby, in one folder.

Each node is a PostgreSQL data directory with its own port, run by its own ``pg_autoctl run`` (a keeper that
starts PostgreSQL, reports to the monitor and carries out what the monitor assigns: promotion, demotion, rejoining
as a standby with pg_rewind). Ports are ``port`` (the monitor), ``port + 1`` and ``port + 2`` (the data nodes).
PostgreSQL refuses to run as root; when this runs as root, the nodes run as the ``postgres`` user, who owns the
folder. Authentication is trust on 127.0.0.1 only: a machine of one operator, not a network.

The monitor's health checks are made faster than pg_auto_failover's defaults (a check a second, the primary deemed
unhealthy after 3 s instead of 20 s, a demotion waited for 3 s instead of 30 s): on one machine a node that does not
answer is gone, not behind a slow network. :data:`MONITOR_SETTINGS` lists them.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

from gongji_tools.verify.cluster import ClusterError, find_bindir

#: pg_auto_failover monitor settings (milliseconds) for nodes that share one machine.
MONITOR_SETTINGS = {
    "pgautofailover.health_check_period": 1000,
    "pgautofailover.health_check_timeout": 1000,
    "pgautofailover.health_check_max_retries": 1,
    "pgautofailover.health_check_retry_delay": 500,
    "pgautofailover.node_considered_unhealthy_timeout": 3000,
    "pgautofailover.primary_demote_timeout": 3000,
}
NODES = ("node1", "node2")
DATABASE = "gongji"
#: States of a node that accepts writes (wait_primary: its standby is gone, so it commits without one).
PRIMARY_STATES = {"primary", "wait_primary"}


@dataclass
class NodeState:
    name: str
    port: int
    reported: str
    assigned: str

    @property
    def settled(self) -> bool:
        return self.reported == self.assigned


class AutoFailoverCluster:
    """``up``, ``down``, ``state``, and what the nemesis does to a node: ``kill`` and ``start``."""

    def __init__(self, folder: Path, *, port: int = 6540, bindir: str | None = None) -> None:
        self.folder = Path(folder).resolve()
        self.port = port
        self.bindir = find_bindir(bindir)
        self._as_postgres = os.geteuid() == 0
        self._processes: dict[str, subprocess.Popen] = {}  # the nodes this object started: reaped when killed

    # -- where things are ---------------------------------------------------------------------------

    def data(self, name: str) -> Path:
        return self.folder / name

    def node_port(self, name: str) -> int:
        return self.port if name == "monitor" else self.port + 1 + NODES.index(name)

    @property
    def monitor_url(self) -> str:
        return f"postgresql://autoctl_node@127.0.0.1:{self.port}/pg_auto_failover?sslmode=disable"

    @property
    def url(self) -> str:
        """The URL Gongji uses: every data node, the one that accepts writes chosen at each connection."""
        hosts = ",".join(f"127.0.0.1:{self.node_port(n)}" for n in NODES)
        return f"postgresql://postgres@{hosts}/{DATABASE}?target_session_attrs=read-write&connect_timeout=2"

    @property
    def standby_url(self) -> str:
        """A URL for reads that may be a second stale: the standby when there is one, else the primary."""
        hosts = ",".join(f"127.0.0.1:{self.node_port(n)}" for n in NODES)
        return f"postgresql://postgres@{hosts}/{DATABASE}?target_session_attrs=prefer-standby&connect_timeout=2"

    def node_url(self, name: str, database: str = DATABASE) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.node_port(name)}/{database}?connect_timeout=2"

    # -- running commands as the nodes' user ----------------------------------------------------------

    def _env(self) -> dict[str, str]:
        return {"PATH": f"{self.bindir}:/usr/bin:/bin", "PG_CONFIG": str(self.bindir / "pg_config"),
                "XDG_CONFIG_HOME": str(self.folder / "config"), "XDG_DATA_HOME": str(self.folder / "share"),
                "XDG_RUNTIME_DIR": str(self.folder / "run"), "HOME": str(self.folder), "LANG": "C.UTF-8"}

    def _command(self, *args: str) -> list[str]:
        command = ["env", *(f"{k}={v}" for k, v in self._env().items()), *args]
        return ["runuser", "-u", "postgres", "--", *command] if self._as_postgres else command

    def _autoctl(self, *args: str, timeout: float = 120) -> str:
        done = subprocess.run(self._command("pg_autoctl", *args), capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise ClusterError(f"pg_autoctl {args[0]} {args[1] if len(args) > 1 else ''} failed "
                               f"({done.returncode}): {(done.stderr or done.stdout)[-1500:]}")
        return done.stdout

    def _pgid_file(self, name: str) -> Path:
        return self.folder / f"{name}.pgid"

    def _run(self, name: str) -> None:
        """``pg_autoctl run`` for one node, in a session of its own (its process group is the whole node)."""
        with open(self.folder / f"{name}.log", "ab") as log:
            process = subprocess.Popen(self._command("pg_autoctl", "run", "--pgdata", str(self.data(name))),
                                       stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                       start_new_session=True)
        self._processes[name] = process
        self._pgid_file(name).write_text(str(process.pid))

    def _running(self, name: str) -> bool:
        process = self._processes.get(name)
        if process is not None and process.poll() is not None:
            return False
        try:
            os.killpg(int(self._pgid_file(name).read_text()), 0)
            return True
        except (OSError, ValueError):
            return False

    # -- up, down, state --------------------------------------------------------------------------------

    def up(self, *, say=print, timeout: float = 120) -> None:
        """Create what is missing, start what is stopped, and wait for a primary and a synchronous standby."""
        if not shutil.which("pg_autoctl"):
            raise ClusterError("pg_autoctl not found: install the Debian packages postgresql-15-auto-failover and "
                               "pg-auto-failover-cli (apt-get install postgresql-15-auto-failover pg-auto-failover-cli)")
        self.folder.mkdir(parents=True, exist_ok=True)
        for sub in ("config", "share", "run"):
            (self.folder / sub).mkdir(exist_ok=True)
        if self._as_postgres:
            for path in [self.folder, *self.folder.rglob("*")]:
                with contextlib.suppress(OSError):
                    shutil.chown(path, user="postgres", group="postgres")
            os.chmod(self.folder / "run", 0o700)
        pgctl = str(self.bindir / "pg_ctl")
        if not (self.data("monitor") / "PG_VERSION").exists():
            say(f"monitor: creating on port {self.port}")
            self._autoctl("create", "monitor", "--pgdata", str(self.data("monitor")), "--pgport", str(self.port),
                          "--pgctl", pgctl, "--hostname", "127.0.0.1", "--auth", "trust", "--no-ssl")
            self._autoctl("config", "set", "--pgdata", str(self.data("monitor")), "postgresql.listen_addresses",
                          "127.0.0.1")
        if not self._running("monitor"):
            self._run("monitor")
        self._wait_ready(self.port, "pg_auto_failover", timeout)
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{self.port}/pg_auto_failover",
                             autocommit=True) as conn:
            for name, value in MONITOR_SETTINGS.items():
                conn.execute(f"ALTER SYSTEM SET {name} = {int(value)}")
            conn.execute("SELECT pg_reload_conf()")
        for name in NODES:
            if not (self.data(name) / "PG_VERSION").exists():
                say(f"{name}: creating on port {self.node_port(name)}")
                self._autoctl("create", "postgres", "--pgdata", str(self.data(name)), "--pgport",
                              str(self.node_port(name)), "--pgctl", pgctl, "--hostname", "127.0.0.1", "--listen",
                              "127.0.0.1", "--name", name, "--dbname", DATABASE, "--auth", "trust", "--no-ssl",
                              "--monitor", self.monitor_url, timeout=300)
            if not self._running(name):
                self._run(name)
            self.wait_until(lambda states, name=name: any(s.name == name and s.settled and s.reported in
                                                          {"primary", "single", "secondary"} for s in states),
                            timeout, f"{name} to join")
        self.wait_until(self.healthy, timeout, "a primary and a secondary")
        (self.folder / "cluster.json").write_text(json.dumps({"url": self.url, "standby_url": self.standby_url,
                                                              "monitor": self.monitor_url}, indent=1))

    def down(self, *, remove: bool = False) -> None:
        """Stop every node (standbys first, the monitor last); with ``remove``, delete the folder."""
        for name in (*reversed(NODES), "monitor"):
            if self._running(name):
                try:
                    self._autoctl("stop", "--pgdata", str(self.data(name)), timeout=60)
                    deadline = time.time() + 30
                    while self._running(name) and time.time() < deadline:
                        time.sleep(0.2)
                except (ClusterError, subprocess.TimeoutExpired):
                    pass
                if self._running(name):
                    self.kill(name)
        if remove:
            shutil.rmtree(self.folder, ignore_errors=True)

    def state(self) -> list[NodeState]:
        """What the monitor knows of each data node: its port, the state it reports and the one assigned to it."""
        with psycopg.connect(self.monitor_url, connect_timeout=2) as conn:
            rows = conn.execute("SELECT nodename, nodeport, reportedstate::text, goalstate::text "
                                "FROM pgautofailover.node ORDER BY nodeid").fetchall()
        return [NodeState(*row) for row in rows]

    def show_state(self) -> str:
        return self._autoctl("show", "state", "--pgdata", str(self.data("monitor")))

    @staticmethod
    def healthy(states: list[NodeState]) -> bool:
        """One settled primary and one settled secondary."""
        return sorted((s.reported, s.settled) for s in states) == [("primary", True), ("secondary", True)]

    def primary(self) -> str | None:
        for s in self.state():
            if s.reported in PRIMARY_STATES and s.settled:
                return s.name
        return None

    def wait_until(self, condition, timeout: float, what: str) -> list[NodeState]:
        deadline, states = time.time() + timeout, []
        while time.time() < deadline:
            with contextlib.suppress(psycopg.Error):
                states = self.state()
                if condition(states):
                    return states
            time.sleep(0.2)
        raise ClusterError(f"waited {timeout:.0f} s for {what}; the monitor says: "
                           + ", ".join(f"{s.name} {s.reported}/{s.assigned}" for s in states))

    def _wait_ready(self, port: int, database: str, timeout: float) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            with contextlib.suppress(psycopg.Error), psycopg.connect(
                    f"postgresql://postgres@127.0.0.1:{port}/{database}", connect_timeout=2):
                return
            time.sleep(0.2)
        raise ClusterError(f"PostgreSQL on port {port} did not answer within {timeout:.0f} s; see {self.folder}")

    # -- faults -----------------------------------------------------------------------------------------

    def kill(self, name: str) -> None:
        """SIGKILL the node's keeper, its postmaster and every backend at once: the machine is gone."""
        postmaster = None
        with contextlib.suppress(OSError, ValueError, IndexError):
            postmaster = int((self.data(name) / "postmaster.pid").read_text().split()[0])
        with contextlib.suppress(OSError, ValueError):
            os.killpg(int(self._pgid_file(name).read_text()), signal.SIGKILL)
        if postmaster:
            with contextlib.suppress(OSError):
                os.kill(postmaster, signal.SIGKILL)
        if name in self._processes:
            self._processes.pop(name).wait(timeout=10)
        deadline = time.time() + 10
        while self._running(name) and time.time() < deadline:
            time.sleep(0.05)

    def start(self, name: str) -> None:
        """Run a stopped node again: its keeper asks the monitor what it is now (after a failover: a standby)."""
        if not self._running(name):
            self._run(name)
