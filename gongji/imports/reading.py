"""Reading an insurer's files: CSV or JSON lines, in whatever encoding and with whatever column names they come.

* Encoding: a byte-order mark (UTF-8, UTF-16) decides; otherwise the first megabyte is read as UTF-8 unless it is
  mostly not (then GB 18030, the superset of GBK and GB 2312 that Chinese systems export). ``encoding=`` overrides.
  A row with bytes that are not in the encoding is rejected by itself.
* Format: ``.jsonl``, ``.ndjson`` and ``.json`` are JSON lines (one object per line); anything else whose first
  character is ``{`` too; the rest is CSV, its delimiter (``,``, tab, ``;`` or ``|``) sniffed from the header.
* Columns: each :class:`Field` has a canonical name and aliases; names are compared without case, spaces,
  underscores, hyphens and brackets, so ``身份证号码``, ``公民身份号码``, ``ID Number`` and ``id_number`` can all mean
  ``id_number``. Unknown columns are reported once and ignored.

Rows come out as :class:`SourceRow`: the row's number as a person looking at the file counts it (the header is row 1
of a CSV file; a JSON lines file counts lines) and its values by canonical name, empty text as ``None``.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from gongji.errors import GongjiError

SNIFF_BYTES = 1 << 20
JSON_SUFFIXES = (".jsonl", ".ndjson", ".json")
DELIMITERS = ",\t;|"
_BAD = "\ufffd"  # what a byte that is not in the file's encoding reads as
_BAD_BYTES_ZH = "该行含有不符合文件编码的字节，请检查文件编码（UTF-8 或 GBK）"
_BAD_BYTES_EN = "the row has bytes that are not in the file's encoding; check the encoding (UTF-8 or GBK)"
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_FOLD = re.compile(r"[\s_\-()（）\[\]【】/·.:：]+")


def fold(name: str) -> str:
    """A column name as it is compared: lower case, without spaces, underscores, hyphens, brackets."""
    return _FOLD.sub("", name.strip().lstrip("\ufeff")).lower()


@dataclass(frozen=True)
class Field:
    """A column a kind of file knows: its canonical name, the other names it goes by, whether every file has it."""

    name: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    zh: str = ""

    def names(self) -> set[str]:
        return {fold(self.name), *(fold(a) for a in self.aliases)}


@dataclass(frozen=True)
class SourceRow:
    number: int  # the row as the file's reader counts it (CSV: the header is row 1)
    values: dict[str, Any]
    problem: tuple[str, str] | None = None  # (zh, en): the row could not be read at all


@dataclass
class Source:
    """An opened file: its format, encoding, the columns found, and its rows (an iterator, read once)."""

    path: Path
    format: str  # "csv" | "jsonl"
    encoding: str
    columns: dict[str, str]  # the file's column -> canonical name
    unknown: list[str] = field(default_factory=list)
    rows: Iterator[SourceRow] = field(default_factory=lambda: iter(()))
    handle: IO[str] | None = None

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()

    def position(self) -> int:
        """How far into the file reading has come, in bytes (for a progress bar; approximate for text)."""
        try:
            return self.handle.buffer.tell() if self.handle is not None else 0
        except (AttributeError, OSError, ValueError):
            return 0


def detect_encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    text = decoder.decode(head, final=False)  # a character cut at the end of the sample is not an error
    bad = text.count(_BAD)
    valid = len(_NON_ASCII.findall(text)) - bad
    # GBK read as UTF-8 is almost all bad sequences; UTF-8 with a stray bad byte is mostly good characters
    return "utf-8" if bad == 0 or valid > bad else "gb18030"


def _resolve(names: Sequence[str], fields: Sequence[Field]) -> tuple[dict[str, str], list[str]]:
    lookup: dict[str, str] = {}
    for f in fields:
        for folded in f.names():
            lookup.setdefault(folded, f.name)
    columns, unknown, seen = {}, [], set()
    for name in names:
        canonical = lookup.get(fold(name))
        if canonical is None or canonical in seen:
            unknown.append(name)
            continue
        columns[name] = canonical
        seen.add(canonical)
    missing = [f for f in fields if f.required and f.name not in seen]
    if missing:
        raise GongjiError("IMPORT_MISSING_COLUMNS", missing=", ".join(f.name for f in missing),
                          missing_zh="、".join(f.zh or f.name for f in missing))
    return columns, unknown


def _clean(value: Any) -> Any:
    """Text stripped (empty: ``None``); JSON numbers as text, so that an ID number or an amount stays exact."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    return value


def open_source(path: Path, fields: Sequence[Field], *, encoding: str | None = None) -> Source:
    """Open ``path`` and read its header (or first object); raise IMPORT_UNREADABLE or IMPORT_MISSING_COLUMNS."""
    path = Path(path)
    try:
        with path.open("rb") as raw:
            head = raw.read(SNIFF_BYTES)
    except OSError as exc:
        raise GongjiError("IMPORT_UNREADABLE", file=path.name, reason_zh="无法打开文件",
                          reason_en=f"it cannot be opened ({type(exc).__name__})") from None
    encoding = encoding or detect_encoding(head)
    try:
        text = head.decode(encoding, errors="ignore")
    except LookupError:
        raise GongjiError("IMPORT_UNREADABLE", file=path.name, reason_zh=f"不认识的编码 {encoding[:20]}",
                          reason_en=f"the encoding {encoding[:20]} is not known") from None
    first = text.lstrip("\ufeff \t\r\n")[:1]
    is_json = path.suffix.lower() in JSON_SUFFIXES or first == "{"
    handle = path.open(encoding=encoding, newline="", errors="replace")  # a bad byte rejects its row only
    if is_json:
        source = _open_jsonl(path, handle, encoding, fields, text)
    else:
        source = _open_csv(path, handle, encoding, fields)
    return source


def _open_csv(path: Path, handle: IO[str], encoding: str, fields: Sequence[Field]) -> Source:
    header_line = handle.readline()
    if not header_line.strip():
        handle.close()
        raise GongjiError("IMPORT_UNREADABLE", file=path.name, reason_zh="文件为空或第一行没有列名",
                          reason_en="it is empty or its first line has no column names")
    counts = {d: header_line.count(d) for d in DELIMITERS}
    delimiter = max(counts, key=counts.get) if max(counts.values()) else ","
    header = next(csv.reader(io.StringIO(header_line), delimiter=delimiter))
    try:
        columns, unknown = _resolve(header, fields)
    except GongjiError:
        handle.close()
        raise
    order = [columns.get(name) for name in header]
    reader = csv.reader(handle, delimiter=delimiter)

    def rows() -> Iterator[SourceRow]:
        line = 1  # the header
        while True:
            start = line + 1
            try:
                record = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                line = 1 + reader.line_num
                yield SourceRow(start, {}, ("该行无法读取（引号或字段有误）", f"the row cannot be read ({str(exc)[:60]})"))
                continue
            line = 1 + reader.line_num
            joined = "".join(record)  # one pass over the row's text, not one per cell
            if not joined.strip():
                continue
            if _BAD in joined:
                yield SourceRow(start, {}, (_BAD_BYTES_ZH, _BAD_BYTES_EN))
                continue
            if len(record) > len(order):
                yield SourceRow(start, {}, (f"该行有 {len(record)} 列，多于表头的 {len(order)} 列",
                                            f"the row has {len(record)} fields, more than the header's {len(order)}"))
                continue
            # a CSV cell is text: stripped, and empty is None (what _clean does, without asking its type)
            values = {name: cell.strip() or None for name, cell in zip(order, record, strict=False)
                      if name is not None}
            yield SourceRow(start, values)

    return Source(path, "csv", encoding, columns, unknown, rows(), handle)


def _open_jsonl(path: Path, handle: IO[str], encoding: str, fields: Sequence[Field], head: str) -> Source:
    keys: list[str] = []
    for line in head.splitlines():
        line = line.strip().lstrip("\ufeff")
        if line:
            try:
                first = json.loads(line)
            except ValueError:
                first = None
            if isinstance(first, dict):
                keys = list(first)
            break
    try:
        columns, unknown = _resolve(keys, fields) if keys else ({}, [])
    except GongjiError:
        handle.close()
        raise
    lookup: dict[str, str] = {}
    for f in fields:
        for folded in f.names():
            lookup.setdefault(folded, f.name)

    def rows() -> Iterator[SourceRow]:
        number = 0
        while True:
            line = handle.readline()
            if not line:
                return
            number += 1
            line = line.strip().lstrip("\ufeff")
            if not line:
                continue
            if _BAD in line:
                yield SourceRow(number, {}, (_BAD_BYTES_ZH, _BAD_BYTES_EN))
                continue
            try:
                data = json.loads(line)
            except ValueError:
                data = None
            if not isinstance(data, dict):
                yield SourceRow(number, {}, ("该行不是一个 JSON 对象", "the line is not a JSON object"))
                continue
            values = {}
            for key, value in data.items():
                canonical = lookup.get(fold(str(key)))
                if canonical is not None and canonical not in values:
                    values[canonical] = _clean(value)
            yield SourceRow(number, values)

    return Source(path, "jsonl", encoding, columns, unknown, rows(), handle)
