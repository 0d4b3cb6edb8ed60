"""Loading and looking up region policies.

``load_policies()`` reads every ``*.toml`` in a folder, validates each against
:class:`~gongji.policy.settings.RegionPolicy` and returns a :class:`PolicyBook`. A file that does
not validate stops start-up with a :class:`PolicyFileError` naming the file, the key and what is
allowed. Look-up is by the longest matching division-code prefix: a district's own file, else its
city's, else its province's, else the national default.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from gongji.policy.settings import RegionPolicy

BUILT_IN = Path(__file__).parent / "regions"


class PolicyFileError(Exception):
    """A region settings file is unreadable or breaks the schema. Raised at start-up only."""


@dataclass(frozen=True)
class PolicyBook:
    by_prefix: dict[str, RegionPolicy]
    files: dict[str, Path]

    def for_region(self, region_code: str) -> RegionPolicy:
        for width in (6, 4, 2):
            policy = self.by_prefix.get(region_code[:width])
            if policy is not None:
                return policy
        return self.by_prefix["*"]

    def __iter__(self):
        seen: set[int] = set()
        for policy in self.by_prefix.values():
            if id(policy) not in seen:
                seen.add(id(policy))
                yield policy


def _describe(error: dict) -> str:
    key = ".".join(str(part) for part in error["loc"]) or "(whole file)"
    message = error["msg"]
    if error["type"] == "extra_forbidden":
        allowed = ", ".join(sorted(RegionPolicy.model_fields))
        message = f"unknown key; allowed keys are: {allowed}"
    elif error["type"] == "missing":
        message = "this key is required"
    got = error.get("input")
    suffix = f" (got {got!r})" if got is not None and error["type"] not in ("missing",) and not isinstance(got, dict) else ""
    return f"key '{key}': {message}{suffix}"


def load_policy_file(path: Path) -> RegionPolicy:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise PolicyFileError(f"{path}: cannot be read as TOML: {exc}") from exc
    try:
        return RegionPolicy.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(_describe(e) for e in exc.errors())
        raise PolicyFileError(f"{path}: {problems}") from None


def load_policies(folder: Path | str | None = None) -> PolicyBook:
    """Read and validate all region files. ``folder`` defaults to ``GONGJI_POLICY_DIR`` or the built-in set."""
    folder = Path(folder or os.environ.get("GONGJI_POLICY_DIR") or BUILT_IN)
    paths = sorted(folder.glob("*.toml"))
    if not paths:
        raise PolicyFileError(f"{folder}: no region settings files (*.toml) found")
    by_prefix: dict[str, RegionPolicy] = {}
    files: dict[str, Path] = {}
    for path in paths:
        policy = load_policy_file(path)
        for prefix in policy.applies_to:
            if prefix in by_prefix:
                raise PolicyFileError(
                    f"{path}: key 'applies_to': prefix {prefix!r} is already governed by {files[prefix].name}; "
                    "each region prefix belongs to one file"
                )
            by_prefix[prefix] = policy
            files[prefix] = path
    if "*" not in by_prefix:
        raise PolicyFileError(f"{folder}: no national default; one file needs applies_to = [\"*\"]")
    return PolicyBook(by_prefix=by_prefix, files=files)
