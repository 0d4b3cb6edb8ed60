"""Fixtures of the binding tests on both databases."""

from __future__ import annotations

import pytest


@pytest.fixture
def pair(world):
    """A Harbin payer with money and his wife."""
    return world.person("张建国", current_fen=50_000), world.person("王秀英", sex="F")
