"""The tools' commands: ``gongji demo``, ``bench``, ``verify``, ``cluster``, ``federation check`` and ``federation example``.

:func:`register` is the ``gongji.commands`` entry point (pyproject.toml) that :mod:`gongji.cli.main` loads.
"""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the tools' commands to the ``gongji`` application."""
    from gongji_tools.cli import bench, cluster, demo, federation, verify

    demo.register(app)  # demo
    bench.register(app)  # bench
    verify.register(app)  # verify
    federation.register(app)  # federation check | example
    cluster.register(app)  # cluster up | down | status
