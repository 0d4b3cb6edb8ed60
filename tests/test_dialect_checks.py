"""What differs between PostgreSQL and SQLite is asked of :mod:`gongji.db.dialect` only: no module outside
``gongji/db`` compares a dialect's name itself (``dialect.name == "postgresql"``, ``db.dialect != "sqlite"``).

The source is read as text and as a syntax tree: a comparison of anything with the string ``"postgresql"`` or
``"sqlite"``, or any use of ``<something>.dialect.name``, outside ``gongji/db`` fails.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = ROOT / "gongji"
NAMES = {"postgresql", "sqlite"}


def offences(source: str) -> list[int]:
    """The lines of ``source`` that compare with a database's name or read ``.dialect.name``."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            if any(isinstance(o, ast.Constant) and o.value in NAMES for o in operands):
                lines.append(node.lineno)
        elif (isinstance(node, ast.Attribute) and node.attr == "name" and isinstance(node.value, ast.Attribute)
              and node.value.attr == "dialect"):
            lines.append(node.lineno)
    return sorted(set(lines))


def test_no_dialect_checks_outside_the_storage_layer():
    found = [f"{path.relative_to(ROOT)}:{line}" for path in sorted(PRODUCT.rglob("*.py"))
             if not path.is_relative_to(PRODUCT / "db")
             for line in offences(path.read_text(encoding="utf-8"))]
    assert found == []


@pytest.mark.parametrize("source, expected", [
    ('if session.get_bind().dialect.name == "postgresql":\n    pass\n', [1]),
    ('x = db.dialect != "sqlite"\n', [1]),
    ('statement = STATEMENTS[session.get_bind().dialect.name]\n', [1]),
    ('if is_postgresql(session):\n    pass\n', []),
    ('name = "postgresql"\n', []),
])
def test_the_checker_finds_them(source, expected):
    """The checker itself can fail: a comparison and a look-up by the dialect's name are found, a helper is not."""
    assert offences(source) == expected
