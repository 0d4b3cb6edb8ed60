"""The failover group's URLs and the monitor's states as the nemesis reads them; ``gongji cluster`` on the command
line. The group itself runs in tests/tools/verify/test_failover_run.py."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from gongji.cli.main import app
from gongji.db.connect import hosts_of
from gongji_tools.cluster.autofailover import AutoFailoverCluster, NodeState
from gongji_tools.verify.cluster import ClusterError


@pytest.fixture
def group(tmp_path):
    try:
        return AutoFailoverCluster(tmp_path / "c", port=7000)
    except ClusterError as error:
        pytest.skip(str(error))


def test_gongji_connects_to_every_data_node_and_keeps_the_one_that_takes_writes(group):
    assert hosts_of(group.url) == ["127.0.0.1:7001", "127.0.0.1:7002"]
    assert "target_session_attrs=read-write" in group.url
    assert "target_session_attrs=prefer-standby" in group.standby_url
    assert group.node_port("monitor") == 7000 and group.node_port("node2") == 7002


def test_healthy_means_one_settled_primary_and_one_settled_secondary():
    primary, secondary = NodeState("node1", 1, "primary", "primary"), NodeState("node2", 2, "secondary", "secondary")
    assert AutoFailoverCluster.healthy([primary, secondary])
    assert not AutoFailoverCluster.healthy([primary, NodeState("node2", 2, "catchingup", "secondary")])
    assert not AutoFailoverCluster.healthy([NodeState("node1", 1, "primary", "demoted"),
                                            NodeState("node2", 2, "wait_primary", "wait_primary")])


def test_the_cluster_command_has_up_status_and_down():
    result = CliRunner().invoke(app, ["cluster", "--help"])
    assert result.exit_code == 0
    for command in ("up", "status", "down"):
        assert command in result.output
