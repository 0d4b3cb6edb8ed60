"""The log scan of a test run: no full resident ID number and no full mobile number in any log (issue f).

While the tests run, every process of the run (each xdist worker, or the one process) writes every log record
that reaches the root logger through the production set-up (:class:`gongji.logs.MaskingFilter` and
:class:`gongji.logs.JsonFormatter`) into ``<its basetemp>/gongji-logs/tests-<pid>.jsonl``; servers the tests
start (``gongji serve`` in tests/cli/test_serve.py and the verification run) inherit ``GONGJI_LOG_FILE`` and
write theirs beside it. Their standard error, which tests keep in ``*.log`` files under the run's basetemp, is
scanned too: it is what an operator reads, and not everything in it went through logging.

At the end of the session (``pytest_sessionfinish`` in tests/conftest.py, in the controller under xdist, after
every worker has finished) :func:`scan` reads every such file. A full ID number is 18 characters whose check
digit and birth date are valid (:func:`gongji.people.ids.parse_id_number`), so that other long numbers and the
masked form ``2301**********1234`` are not taken for one; a mobile number is ``1[3-9]`` and nine more digits,
standing alone. One of either fails the session, naming the file and the line (the number itself is shown
masked, so that the report does not leak it again).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from gongji import logs
from gongji.errors import GongjiError
from gongji.people.ids import mask, parse_id_number

#: Where each process of a test run writes its log lines, under its basetemp.
FOLDER = "gongji-logs"
_ID_NUMBER = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")
_PHONE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")


@dataclass(frozen=True)
class Leak:
    path: Path
    line: int
    kind: str  # "ID number" or "mobile number"
    shown: str  # masked

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: a full {self.kind} ({self.shown})"


def is_id_number(text: str) -> bool:
    try:
        parse_id_number(text)
    except GongjiError:
        return False
    return True


def scan_text(lines: Iterable[str], path: Path) -> Iterator[Leak]:
    for number, line in enumerate(lines, 1):
        if len(line) < 11:
            continue
        for found in _ID_NUMBER.finditer(line):
            if is_id_number(found.group()):
                yield Leak(path, number, "ID number", mask(found.group().upper()))
        for found in _PHONE.finditer(line):
            yield Leak(path, number, "mobile number", found.group()[:3] + "****" + found.group()[-4:])


def files(root: Path) -> list[Path]:
    """The files of a run to scan: the log lines of every process and server, and the ``*.log`` files tests keep."""
    return sorted({*root.rglob(f"{FOLDER}/*.jsonl"), *root.rglob("*.log")})


def scan(paths: Iterable[Path]) -> list[Leak]:
    leaks: list[Leak] = []
    for path in paths:
        try:
            with path.open(encoding="utf-8", errors="replace") as handle:
                leaks.extend(scan_text(handle, path))
        except OSError:  # removed meanwhile
            continue
    return leaks


class Capture:
    """The production handler set-up on the root logger, writing to this process's file of the run."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.path = folder / f"tests-{os.getpid()}.jsonl"
        self.handler = logging.FileHandler(self.path, encoding="utf-8")
        self.handler.addFilter(logs.QuietFilter())
        self.handler.addFilter(logs.MaskingFilter())
        self.handler.setFormatter(logs.JsonFormatter())
        self.handler.set_name("gongji-test-log-capture")

    def attach(self) -> None:
        """On the root logger, which passes INFO (a test or a ``configure()`` may have taken it off or raised it)."""
        root = logging.getLogger()
        if self.handler not in root.handlers:
            root.addHandler(self.handler)
        if root.level == logging.NOTSET or root.level > logging.INFO:
            root.setLevel(logging.INFO)

    def detach(self) -> None:
        logging.getLogger().removeHandler(self.handler)
        self.handler.close()
