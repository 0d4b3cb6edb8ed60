"""PgBouncer in transaction pooling mode in front of one PostgreSQL server, in a folder of its own.

Many server processes (each with its own SQLAlchemy pool) share a few PostgreSQL connections: a server connection is
lent to a client for one transaction only. Gongji keeps no session state across transactions (its locks are
``pg_advisory_xact_lock``, its settings ``SET LOCAL``), and through PgBouncer it prepares no statements on the server
(``prepare_threshold=none`` in the URL: PgBouncer before 1.21 cannot carry them from one server connection to
another; Debian 12 ships 1.18). PgBouncer refuses to run as root; as root it runs as the ``postgres`` user.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

from gongji_tools.verify.cluster import ClusterError


def find_pgbouncer() -> str:
    found = shutil.which("pgbouncer") or next((p for p in ("/usr/sbin/pgbouncer", "/usr/bin/pgbouncer")
                                               if Path(p).exists()), None)
    if not found:
        raise ClusterError("pgbouncer not found: install the Debian package pgbouncer (apt-get install pgbouncer)")
    return found


class PgBouncer:
    """``start`` (waits until it accepts connections) and ``stop``; ``url`` is Gongji's URL through it."""

    def __init__(self, folder: Path, *, port: int, server_port: int, server_host: str = "127.0.0.1",
                 pool_size: int = 8, user: str = "postgres") -> None:
        self.folder = Path(folder).resolve()
        self.port, self.server_port, self.server_host = port, server_port, server_host
        self.pool_size, self.user = pool_size, user
        self.process: subprocess.Popen | None = None
        self._as_postgres = os.geteuid() == 0

    def url(self, database: str) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}?prepare_threshold=none"

    def write_config(self) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "userlist.txt").write_text(f'"{self.user}" ""\n')
        config = self.folder / "pgbouncer.ini"
        config.write_text(f"""[databases]
* = host={self.server_host} port={self.server_port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {self.port}
unix_socket_dir =
auth_type = trust
auth_file = {self.folder / 'userlist.txt'}
pool_mode = transaction
default_pool_size = {self.pool_size}
max_client_conn = 500
server_reset_query =
ignore_startup_parameters = extra_float_digits,options
logfile = {self.folder / 'pgbouncer.log'}
pidfile = {self.folder / 'pgbouncer.pid'}
admin_users = {self.user}
""")
        if self._as_postgres:
            for path in [self.folder, *self.folder.iterdir()]:
                shutil.chown(path, user="postgres", group="postgres")
        return config

    def start(self, timeout: float = 30) -> None:
        command = [find_pgbouncer(), str(self.write_config())]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        with open(self.folder / "pgbouncer.out", "ab") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            start_new_session=True)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                log = (self.folder / "pgbouncer.log")
                raise ClusterError(f"pgbouncer stopped with {self.process.returncode}: "
                                   f"{log.read_text()[-1000:] if log.exists() else ''}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return
            time.sleep(0.1)
        raise ClusterError(f"pgbouncer did not listen on port {self.port} within {timeout:.0f} s")

    def stop(self) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, 15)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, 9)
            self.process.wait()
        self.process = None

    def __enter__(self) -> PgBouncer:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
