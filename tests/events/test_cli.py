"""`gongji audit seal`, `verify`, `head` and `show` (gongji/cli/audit.py), and the sealer that runs by itself in
`gongji serve` and `gongji notify`. Exit status: 0 when the trail is whole, 1 when verify finds anything, 2 for
options that cannot work. N-8: ``show`` says who did what through which channel; N-9: the trail of one person.
"""

from __future__ import annotations

import time

from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from gongji.api.app import create_app
from gongji.api.settings import ApiSettings
from gongji.cli.main import app
from gongji.events import audit
from gongji.events.models import ChainLink
from tests.events.conftest import tampering

ENV = {"COLUMNS": "200", "GONGJI_POLICY_DIR": None, "GONGJI_DATABASE_URL": None}
runner = CliRunner()


def gongji(world, *args: str) -> Result:
    return runner.invoke(app, ["--database-url", world.db.url, *args], env=ENV, catch_exceptions=False)


def links(world) -> int:
    return world.db.read(lambda s: s.execute(select(func.count()).select_from(ChainLink)).scalar_one())


def scene(world):
    """Two people, a binding and a settlement: some ten events."""
    wife, husband = world.person("李秀兰", sex="F", current_fen=5_000), world.person("王建国", current_fen=50_000)
    world.institution()
    world.bind(husband, wife)
    world.settle(wife, 8_000)
    return wife, husband


def test_seal_then_verify_and_head(world):
    scene(world)
    sealed = gongji(world, "audit", "seal")
    assert sealed.exit_code == 0, sealed.output
    head = world.db.read(audit.head)
    assert f"sealed {head.seq} events" in sealed.stdout and str(head) in sealed.stdout
    verified = gongji(world, "audit", "verify")
    assert verified.exit_code == 0, verified.output
    assert "审计轨迹校验通过 · audit trail ok" in verified.stdout and f"links checked: {head.seq}" in verified.stdout
    printed = gongji(world, "audit", "head")
    assert printed.exit_code == 0 and printed.stdout == f"{head}\n"  # nothing else: a script keeps it as it is
    assert "--expect-head" in printed.stderr
    kept = gongji(world, "audit", "verify", "--expect-head", printed.stdout.strip())
    assert kept.exit_code == 0 and "kept head" in kept.stdout


def test_verify_exits_1_and_names_the_altered_record(world):
    scene(world)
    gongji(world, "audit", "seal")
    with tampering(world.db, "events") as run:
        run("UPDATE events SET data = :data WHERE id = (SELECT event_id FROM audit_chain WHERE seq = 2)", data="{}")
    result = gongji(world, "audit", "verify")
    assert result.exit_code == 1
    assert "被改动 altered: 1" in result.stdout and "seq 2, event" in result.stdout
    assert "audit trail verification FAILED" in result.stderr


def test_verify_exits_1_for_a_chain_cut_short_of_the_kept_head(world):
    scene(world)
    gongji(world, "audit", "seal")
    kept = gongji(world, "audit", "head").stdout.strip()
    with tampering(world.db, "events", "audit_chain", foreign_keys=False) as run:
        run("DELETE FROM audit_chain WHERE seq = (SELECT MAX(seq) FROM audit_chain)")
    assert gongji(world, "audit", "verify").exit_code == 1  # its event is now unsealed, and old by the system clock
    result = gongji(world, "audit", "verify", "--expect-head", kept, "--grace", "1000000000")
    assert result.exit_code == 1 and "链被截短 truncated: 1" in result.stdout


def test_verify_exits_1_for_events_left_unsealed(world):
    """The command runs on the system clock: the test's events (2025) are long past the grace period."""
    scene(world)
    result = gongji(world, "audit", "verify")
    assert result.exit_code == 1 and "events unsealed after 10 min: " in result.stdout
    assert "events unsealed after 10 min: 0" not in result.stdout


def test_options_that_cannot_work_exit_2(world):
    bad_head = gongji(world, "audit", "verify", "--expect-head", "12:not-a-hash")
    assert bad_head.exit_code == 2 and "--expect-head" in bad_head.stderr
    neither = gongji(world, "audit", "show")
    assert neither.exit_code == 2 and "--subject" in neither.stderr
    bad_subject = gongji(world, "audit", "show", "--subject", "person")
    assert bad_subject.exit_code == 2 and "TYPE:ID" in bad_subject.stderr


def test_n_8_show_tells_when_who_through_which_channel_and_what(world):
    wife, husband = scene(world)
    gongji(world, "audit", "seal", "--limit", "3")
    result = gongji(world, "audit", "show", "--subject", f"person:{wife.id}")
    assert result.exit_code == 0, result.output
    assert "2025-06-02 10:00:00" in result.stdout and "参保登记 person registered" in result.stdout
    assert "经办人员 staff member T0001" in result.stdout and "系统 system" not in result.stdout
    by_husband = gongji(world, "audit", "show", "--actor", f"person:{husband.id}")
    assert "建立共济绑定 binding created" in by_husband.stdout
    assert "网上服务大厅 web portal" in by_husband.stdout and "未封存" in by_husband.stdout


def test_notify_once_seals_the_trail_unless_told_not_to(world, tmp_path):
    scene(world)
    quiet = gongji(world, "notify", "--once", "--no-seal", "--sender", f"log:{tmp_path / 'sent.jsonl'}")
    assert quiet.exit_code == 0, quiet.output
    assert links(world) == 0
    result = gongji(world, "notify", "--once", "--sender", f"log:{tmp_path / 'sent.jsonl'}")
    assert result.exit_code == 0, result.output
    assert links(world) > 0 and audit.verify(world.db, world.env).ok


def test_the_server_seals_by_itself(world):
    """`gongji serve` runs the sealer beside the notification worker (GONGJI_AUDIT_SEAL_S seconds apart)."""
    from fastapi.testclient import TestClient

    scene(world)
    settings = ApiSettings(server_key=b"k", notify_sender=None, audit_seal_s=1)
    with TestClient(create_app(world.db, world.env, settings, run_worker=True)):
        deadline = time.monotonic() + 20
        while links(world) == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
    assert links(world) > 0 and audit.verify(world.db, world.env).ok
