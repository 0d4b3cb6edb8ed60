"""Every kind of event the code records has words in `gongji audit show` (N-9: the trail is read by people)."""

from __future__ import annotations

import re
from pathlib import Path

import gongji
from gongji.cli.audit import KINDS
from gongji.life.rules import LifeEventKind

_RECORDED = re.compile(r"record_event\([^)]*?kind=\"([a-z_]+\.[a-z_]+)\"", re.S)


def recorded_kinds() -> set[str]:
    kinds: set[str] = {f"life.{kind.value}" for kind in LifeEventKind}
    for path in Path(gongji.__file__).parent.rglob("*.py"):
        kinds.update(_RECORDED.findall(path.read_text(encoding="utf-8")))
    return kinds


def test_n_9_the_search_finds_the_kinds_recorded_in_the_code():
    kinds = recorded_kinds()
    assert {"binding.created", "agency.granted", "life.move"} <= kinds  # the search itself works


def test_n_9_every_recorded_kind_has_a_label_in_both_languages():
    missing = sorted(recorded_kinds() - set(KINDS))
    assert missing == [], f"add these to gongji.cli.audit.KINDS: {missing}"
    assert all(zh and en for zh, en in KINDS.values())
