"""Inside the wallet, the service and its part between provinces import in one direction (HN-9).

``gongji.wallet.service`` sends a transfer to another province through ``gongji.wallet.across``; ``across`` uses the
states, the entry kinds and the reading of a transfer from ``gongji.wallet.shared``, never the service. The modules are
read from the source (see tests/test_imports.py), each a node of its own here, so a circle between two of them fails.
"""

from __future__ import annotations

from tests.test_imports import circles, product_graph

WALLET = "gongji.wallet"


def wallet_graph() -> dict[str, set[str]]:
    graph = product_graph()
    return {name: {other for other in imports if other.startswith(WALLET + ".")}
            for name, imports in graph.items() if name.startswith(WALLET + ".")}


def test_no_import_circle_between_the_wallet_modules():
    graph = wallet_graph()
    assert "gongji.wallet.across" in graph["gongji.wallet.service"]  # the service sends through across ...
    assert "gongji.wallet.service" not in graph["gongji.wallet.across"]  # ... which does not reach back
    assert circles(graph) == []


def test_across_and_the_service_share_one_module():
    graph = wallet_graph()
    assert "gongji.wallet.shared" in graph["gongji.wallet.across"]
    assert "gongji.wallet.shared" in graph["gongji.wallet.service"]
