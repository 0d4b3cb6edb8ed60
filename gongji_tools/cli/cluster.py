"""``gongji cluster up | down | status``: a monitor, a primary and a synchronous standby on this machine
(pg_auto_failover), and PgBouncer in transaction mode in front of the primary (README, docs/reliability.md)."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Annotated

import typer

cluster_app = typer.Typer(help="本机故障切换数据库组 · a pg_auto_failover group on this machine", no_args_is_help=True)

Folder = Annotated[Path, typer.Option("--folder", help="data directories, logs and cluster.json")]
Port = Annotated[int, typer.Option("--port", min=1024, max=65_000,
                                   help="the monitor's port; the nodes take the next two, PgBouncer the third")]
DEFAULT_FOLDER, DEFAULT_PORT = Path(".cluster"), 6540


def _cluster(folder: Path, port: int, pg_bin: str | None = None):
    from gongji.cli.common import fail
    from gongji_tools.cluster.autofailover import AutoFailoverCluster
    from gongji_tools.verify.cluster import ClusterError

    try:
        return AutoFailoverCluster(folder, port=port, bindir=pg_bin)
    except ClusterError as error:
        raise fail(f"找不到 PostgreSQL 服务端程序 · PostgreSQL's server programs are missing: {error}") from None


def _bouncer(folder: Path, port: int, server_port: int):
    from gongji_tools.cluster.pgbouncer import PgBouncer

    return PgBouncer(folder / "pgbouncer", port=port + 3, server_port=server_port)


@cluster_app.command("up")
def up(folder: Folder = DEFAULT_FOLDER, port: Port = DEFAULT_PORT,
       pgbouncer: Annotated[bool, typer.Option("--pgbouncer/--no-pgbouncer",
                                               help="PgBouncer (transaction mode) in front of the primary")] = True,
       pg_bin: Annotated[str | None, typer.Option("--pg-bin", help="folder of pg_ctl")] = None) -> None:
    """启动监控节点、主库与同步备库 · Start (creating on first use) the monitor, the primary and the standby."""
    import os
    import signal

    from gongji.cli.common import fail, stdout
    from gongji_tools.verify.cluster import ClusterError

    out = stdout()
    cluster = _cluster(folder, port, pg_bin)
    try:
        cluster.up(say=out.print)
        if pgbouncer:
            bouncer = _bouncer(cluster.folder, port, cluster.node_port(cluster.primary() or "node1"))
            pid = bouncer.folder / "pgbouncer.pid"
            if pid.exists():
                with contextlib.suppress(OSError, ValueError):
                    os.kill(int(pid.read_text()), signal.SIGTERM)
            bouncer.start()
    except ClusterError as error:
        raise fail(f"数据库组未能启动 · the cluster did not come up: {error}") from None
    typer.echo(cluster.show_state())
    typer.echo(f"export GONGJI_DATABASE_URL='{cluster.url}'")
    typer.echo(f"export GONGJI_DATABASE_READ_URL='{cluster.standby_url}'  # stale-tolerant pages from the standby")
    if pgbouncer:
        typer.echo(f"# through PgBouncer, to the primary of now: {bouncer.url('gongji')}")


@cluster_app.command("down")
def down(folder: Folder = DEFAULT_FOLDER, port: Port = DEFAULT_PORT,
         remove: Annotated[bool, typer.Option("--remove", help="delete the folder and all its data")] = False) -> None:
    """停止数据库组 · Stop PgBouncer, the nodes and the monitor (--remove also deletes their data)."""
    import os
    import signal

    cluster = _cluster(folder, port)
    pid = cluster.folder / "pgbouncer" / "pgbouncer.pid"
    if pid.exists():
        with contextlib.suppress(OSError, ValueError):
            os.kill(int(pid.read_text()), signal.SIGTERM)
    cluster.down(remove=remove)


@cluster_app.command("status")
def status(folder: Folder = DEFAULT_FOLDER, port: Port = DEFAULT_PORT) -> None:
    """数据库组状态 · What the monitor says of each node, and the URL to use."""
    from gongji.cli.common import fail
    from gongji_tools.verify.cluster import ClusterError

    cluster = _cluster(folder, port)
    try:
        typer.echo(cluster.show_state())
    except ClusterError as error:
        raise fail(f"监控节点无应答，请先运行 gongji cluster up · the monitor does not answer; run gongji cluster "
                   f"up first: {error}") from None
    typer.echo(f"export GONGJI_DATABASE_URL='{cluster.url}'")


def register(app: typer.Typer) -> None:
    """Add ``cluster`` to the ``gongji`` application."""
    app.add_typer(cluster_app, name="cluster")
