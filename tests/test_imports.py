"""The product package stands alone, and its parts import each other in one direction.

* Nothing under ``gongji/`` imports ``gongji_tools`` (the benchmark, demo, verification run, federation example and
  checker, example HIS client): a province deploys ``gongji`` without them.
* No import circles among the command line's modules (``gongji.cli.main`` and its commands, which share
  ``gongji.cli.common`` instead) and between the federation and the wallet, each taken as one package; imports
  inside functions count too: a circle hidden in a function is still a circle.

The imports are read from the source (AST), so a test here fails without importing anything.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ROOT / "gongji"

#: Packages taken as one node each when circles are looked for; the command line's modules are nodes of their own.
PACKAGES = ("gongji.federation", "gongji.wallet")
COMMAND_LINE = "gongji.cli"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported(path: Path) -> set[str]:
    """Every module ``path`` imports, anywhere in the file (``from a.b import c`` counts as a.b and a.b.c)."""
    names: set[str] = set()
    name = module_name(path) if path.is_relative_to(ROOT) else path.stem
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def product_graph() -> dict[str, set[str]]:
    modules = {module_name(path): path for path in PRODUCT.rglob("*.py")}
    return {name: {other for other in imported(path) if other in modules and other != name}
            for name, path in modules.items()}


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def node(name: str) -> str | None:
    for package in PACKAGES:
        if name == package or name.startswith(package + "."):
            return package
    return name if name == COMMAND_LINE or name.startswith(COMMAND_LINE + ".") else None


def watched(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """The graph of the watched nodes: the command line's modules, the federation and the wallet."""
    nodes: dict[str, set[str]] = {}
    for name, imports in graph.items():
        here = node(name)
        if here is not None:
            nodes.setdefault(here, set()).update(
                other for other in map(node, imports) if other is not None and other != here)
    return nodes


def test_the_product_never_imports_the_tools():
    offenders = sorted(f"{path.relative_to(ROOT)}: {name}" for path in PRODUCT.rglob("*.py")
                       for name in imported(path) if name == "gongji_tools" or name.startswith("gongji_tools."))
    assert offenders == []


def test_no_import_circles_among_the_command_line_federation_and_wallet():
    graph = watched(product_graph())
    assert {"gongji.cli.main", "gongji.cli.common", "gongji.federation", "gongji.wallet"} <= set(graph)
    assert "gongji.federation" in graph["gongji.wallet"]  # the wallet sends through the federation ...
    assert circles(graph) == []  # ... so the federation must not reach back into the wallet


def test_commands_import_the_shared_helpers_not_the_application():
    graph = product_graph()
    importers = sorted(name for name, imports in graph.items() if "gongji.cli.main" in imports)
    assert importers == []


@pytest.mark.parametrize("graph, expected", [
    ({"a": {"b"}, "b": {"a"}, "c": set()}, [["a", "b"]]),
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, [["a", "b", "c"]]),
    ({"a": {"b"}, "b": set()}, []),
])
def test_circles_are_found(graph, expected):
    """The circle finder itself can fail: a two- and a three-module circle are found, a line is not."""
    assert circles(graph) == expected


def test_imports_inside_functions_count(tmp_path):
    source = tmp_path / "m.py"
    source.write_text("def f():\n    from gongji_tools.demo import story\n    import gongji.wallet.across\n")
    assert {"gongji_tools.demo", "gongji_tools.demo.story", "gongji.wallet.across"} <= imported(source)
