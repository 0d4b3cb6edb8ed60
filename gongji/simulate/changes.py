"""A proposed change to a region's settings: ``--set key=value`` and a changes file, typed against the policy model.

Any key of a region settings file may change (``gongji/policy/settings.py``). A value is read as TOML
(``300000``, ``true``, ``["spouse", "child"]``, ``"22:00"``); for a list a bare ``spouse,child`` is enough, and
``none`` empties a setting that may be empty (a cap). The proposed policy is the current one with the changes, checked
by the same model the region files are checked by: what it refuses is refused here, with the key.
"""

from __future__ import annotations

import tomllib
import typing
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from gongji.errors import GongjiError
from gongji.policy import RegionPolicy
from gongji.policy.book import _problem

#: Keys that name the file rather than a rule: a simulation does not change them.
FIXED = ("name", "name_en", "applies_to", "source")


def _allowed() -> str:
    return ", ".join(k for k in RegionPolicy.model_fields if k not in FIXED)


def _is_list(key: str) -> bool:
    return typing.get_origin(RegionPolicy.model_fields[key].annotation) is list


def _may_be_empty(key: str) -> bool:
    return type(None) in typing.get_args(RegionPolicy.model_fields[key].annotation)


def check_key(key: str) -> str:
    key = key.strip()
    if key not in RegionPolicy.model_fields or key in FIXED:
        raise GongjiError("SIMULATION_UNKNOWN_KEY", key=key[:60], allowed=_allowed())
    return key


def parse_value(key: str, raw: str) -> Any:
    raw = raw.strip()
    if raw.lower() in ("none", "null", "") and _may_be_empty(key):
        return None
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        pass
    if _is_list(key):
        return [item.strip() for item in raw.strip("[]").split(",") if item.strip()]
    return raw


def parse_set(items: list[str]) -> dict[str, Any]:
    """``["reserve_line_fen=300000", ...]`` as settings (a key given twice: the last wins)."""
    changes: dict[str, Any] = {}
    for item in items:
        if "=" not in item:
            raise GongjiError("SIMULATION_BAD_CHANGE", change=item[:80], reason_zh="缺少“=”",
                              reason_en="there is no '='")
        key, raw = item.split("=", 1)
        key = check_key(key)
        changes[key] = parse_value(key, raw)
    return changes


def read_changes_file(path: Path | str) -> dict[str, Any]:
    """A TOML file of the keys to change (the same form as a region file, only the changed keys)."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise GongjiError("SIMULATION_BAD_CHANGE", change=str(path)[-80:], reason_zh=f"文件无法读取（{exc}）",
                          reason_en=f"the file cannot be read as TOML ({exc})") from None
    for key in data:
        check_key(key)
    return data


def proposed(current: RegionPolicy, changes: dict[str, Any]) -> RegionPolicy:
    """The current policy with ``changes``, checked as a region file is."""
    for key in changes:
        check_key(key)
    data = current.model_dump(mode="json")
    data.update(changes)
    try:
        return RegionPolicy.model_validate(data)
    except ValidationError as exc:
        problems = [_problem(e) for e in exc.errors()]
        key = problems[0][0]
        raise GongjiError("SIMULATION_BAD_VALUE", key=key,
                          problems="; ".join(f"{k}: {m}" for k, m in problems)[:400]) from None


def differences(current: RegionPolicy, proposal: RegionPolicy) -> dict[str, list[Any]]:
    """key → [current, proposed], for the settings that differ."""
    before, after = current.model_dump(mode="json"), proposal.model_dump(mode="json")
    return {key: [before[key], after[key]] for key in after if before[key] != after[key]}
