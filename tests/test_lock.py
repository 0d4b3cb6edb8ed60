"""requirements.lock, the versions every install uses, agrees with pyproject.toml's lower bounds.

A dependency added to or raised in pyproject.toml without ``scripts/lock`` fails here, with the command to run.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s;]+)")


def locked() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if match := PIN.match(line):
            pins[canonicalize_name(match[1])] = match[2]
    return pins


def declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = project["dependencies"] + project["optional-dependencies"]["test"]
    return [Requirement(name) for name in names]


def test_every_dependency_is_locked_within_its_bounds():
    pins = locked()
    stale = []
    for requirement in declared():
        version = pins.get(canonicalize_name(requirement.name))
        if version is None or not requirement.specifier.contains(version, prereleases=True):
            stale.append(f"{requirement} (locked: {version})")
    assert not stale, "requirements.lock is behind pyproject.toml; run scripts/lock and commit it: " + ", ".join(stale)


def test_every_line_is_an_exact_pin():
    """Nothing in the lock is left to the installer's choice: a line is a pin, a comment, or blank."""
    loose = [line for line in (ROOT / "requirements.lock").read_text().splitlines()
             if line.strip() and not line.lstrip().startswith("#") and not PIN.match(line)]
    assert not loose
    assert len(locked()) > len(declared())  # the whole tree, not only the direct dependencies


def test_the_lock_is_what_the_installs_use():
    setup = (ROOT / "scripts" / "setup").read_text()
    assert "-r requirements.lock" in setup and "--no-deps -e ." in setup
    assert "scripts/setup" in (ROOT / "scripts" / "test").read_text()
    assert "scripts/test" in (ROOT / ".ci" / "run").read_text()
