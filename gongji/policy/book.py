"""Loading and looking up region policies.

``load_policies()`` reads every ``*.toml`` in a folder, validates each against
:class:`~gongji.policy.settings.RegionPolicy` and returns a :class:`PolicyBook`. A file that does
not validate stops start-up with a :class:`PolicyFileError` naming the file, the key and what is
allowed. Look-up is by the longest matching division-code prefix: a district's own file, else its
city's, else its province's, else the national default.
"""

from __future__ import annotations

import json
import os
import threading
import tomllib
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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

    def governing_prefix(self, region_code: str) -> str:
        """The prefix whose policy :meth:`for_region` answers with ('*' for the national default)."""
        for width in (6, 4, 2):
            if region_code[:width] in self.by_prefix:
                return region_code[:width]
        return "*"

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


# -- changing a region's policy while the server runs ----------------------------------------------------

#: Changes made by this process follow one another (another process's change is a rename like ours).
_changing = threading.Lock()


class PolicyInvalid(ValueError):
    """Settings sent to replace a region's policy: ``problems`` lists (key, what is wrong), first the first."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"key '{key}': {message}" for key, message in problems))

    @property
    def key(self) -> str:
        return self.problems[0][0]


def _problem(error: dict[str, Any]) -> tuple[str, str]:
    key = ".".join(str(part) for part in error["loc"])
    message = str(error["msg"]).removeprefix("Value error, ")
    if not key:  # a rule across keys names its first key first (settings.py, _consistent)
        first = message.split(" ", 1)[0]
        key = first if first in RegionPolicy.model_fields else "(policy)"
    if error["type"] == "extra_forbidden":
        message = "unknown key; allowed keys are: " + ", ".join(RegionPolicy.model_fields)
    elif error["type"] == "missing":
        message = "this key is required"
    return key, message


def validate_policy(data: Any) -> RegionPolicy:
    """Settings as JSON values (a decoded JSON object), checked strictly: ``"30"`` is not the number 30."""
    if not isinstance(data, dict):
        raise PolicyInvalid([("(policy)", "the policy is a JSON object of settings")])
    try:
        return RegionPolicy.model_validate_json(json.dumps(data), strict=True)
    except ValidationError as exc:
        raise PolicyInvalid([_problem(e) for e in exc.errors()]) from None


def writable_folder() -> Path | None:
    """``GONGJI_POLICY_DIR`` if it is set (and is not the built-in folder): the only place policies are changed."""
    value = os.environ.get("GONGJI_POLICY_DIR")
    if not value or Path(value).resolve() == BUILT_IN.resolve():
        return None
    return Path(value)


def _toml_string(value: str) -> str:
    out = []
    for char in value:
        if char in ('"', "\\"):
            out.append("\\" + char)
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{key} = {_toml_value(item)}" for key, item in value.items()) + " }"
    raise TypeError(f"no TOML form for {value!r}")


def policy_toml(policy: RegionPolicy, *, comment: str = "") -> str:
    """The policy as a settings file that :func:`load_policy_file` reads back as the same policy.

    Unset limits (``None``: no cap) are left out, as in the hand-written files.
    """
    lines = [f"# {line}" for line in comment.splitlines()]
    for key, value in policy.model_dump(mode="json", exclude_none=True).items():
        lines.append(f"{key} = {_toml_value(value)}")
    text = "\n".join(lines) + "\n"
    if RegionPolicy.model_validate(tomllib.loads(text)) != policy:
        raise AssertionError("the policy file would not read back as the policy")
    return text


@dataclass(frozen=True)
class PolicyChange:
    """A region's policy about to be replaced: the file, the policy in effect before, and the new one."""

    prefix: str
    path: Path
    new_file: bool
    previous: RegionPolicy
    replaced: RegionPolicy | None
    policy: RegionPolicy

    @property
    def changes(self) -> dict[str, list[Any]]:
        """The settings that differ from the policy in effect before: key → [before, after]."""
        before = self.previous.model_dump(mode="json")
        after = self.policy.model_dump(mode="json")
        return {key: [before.get(key), after[key]] for key in after if before.get(key) != after[key]}


def _file_for(folder: Path, book: PolicyBook, prefix: str) -> tuple[Path, bool]:
    if prefix in book.files:
        return book.files[prefix], False
    stem = prefix if prefix != "*" else "default"
    path, n = folder / f"{stem}.toml", 1
    while path.exists():
        n += 1
        path = folder / f"{stem}-{n}.toml"
    return path, True


@contextmanager
def changing_policy(folder: Path, *, prefix: str, policy: RegionPolicy,
                    install: Callable[[PolicyBook], None], comment: str = "") -> Iterator[PolicyChange]:
    """Replace the policy governing ``prefix`` in ``folder`` with ``policy``, when the block ends without error.

    The new file is checked against the others (each prefix belongs to one file; the national default
    stays) and written next to its place before the block runs; the caller records the change inside
    the block, and only then is the file renamed over the old one, atomically: whoever reads the folder
    sees the old file or the new one, never a part. The folder is then read again and the new book
    handed to ``install`` (still under the lock, so that changes in this process are installed in the
    order they were made). A block that fails leaves the folder as it was.
    """
    with _changing:
        book = load_policies(folder)
        if prefix not in policy.applies_to:
            raise PolicyInvalid([("applies_to", f"must include the region prefix {prefix!r} being changed")])
        path, new_file = _file_for(folder, book, prefix)
        replaced = None if new_file else book.by_prefix[prefix]
        for other in policy.applies_to:
            owner = book.files.get(other)
            if owner is not None and owner != path:
                raise PolicyInvalid([("applies_to", f"prefix {other!r} is governed by another policy "
                                                    f"({book.by_prefix[other].name_en}); change that one instead")])
        if replaced is not None and replaced.is_default and not policy.is_default:
            raise PolicyInvalid([("applies_to", "the national default keeps '*'")])
        change = PolicyChange(prefix=prefix, path=path, new_file=new_file, previous=book.for_region(prefix),
                              replaced=replaced, policy=policy)
        staged = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        try:
            with open(staged, "w", encoding="utf-8") as handle:
                handle.write(policy_toml(policy, comment=comment))
                handle.flush()
                os.fsync(handle.fileno())
            yield change
            os.replace(staged, path)
            install(load_policies(folder))
        finally:
            staged.unlink(missing_ok=True)
