"""The README's walk-through of two provinces and a hub (HN-9, WAL-1): ``scripts/federation-demo`` builds the example,
starts the three instances, sends a wallet transfer from province 23 to 41, accepts it there, sees it accepted in 23,
and checks the three databases together."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.federation.processes import free_ports

ROOT = Path(__file__).resolve().parents[3]


def test_hn_9_wal_1_the_walk_through_of_two_provinces_and_a_hub(tmp_path):
    hub, p23, p41 = free_ports(3)
    env = {**os.environ, "HUB_PORT": str(hub), "P23_PORT": str(p23), "P41_PORT": str(p41)}
    env.pop("GONGJI_FEDERATION", None)
    done = subprocess.run([str(ROOT / "scripts" / "federation-demo"), str(tmp_path / "demo")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "23 now sees:  accepted" in done.stdout
    assert '"balance_fen":50000' in done.stdout  # the mother's wallet in 41
    assert "✓ the instances agree" in done.stdout
