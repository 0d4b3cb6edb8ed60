"""The one error type of Gongji, and the catalogue of its codes.

Every refusal is a :class:`GongjiError` carrying

* ``code``   – stable, upper-case, never renamed (clients switch on it);
* ``status`` – the HTTP status the API answers with;
* ``message_zh`` / ``message_en`` – what was wrong and what to do, in plain words;
* ``params`` – the values the messages were built from (safe to show the caller).

A refused request changes nothing: services raise before they write, and the one place that
commits (:meth:`gongji.db.Database.run`) rolls the whole transaction back on any error.

The catalogue is the single list of codes, kept a module per area in this package
(``input``, ``bindings``, ``settlement``, ``national``, …); a new code goes into its area's module, and a
code named twice stops the import. ``docs/errors.md`` is generated from it by ``gongji errors``. ``{amount:yuan}`` in a template shows fen as yuan.
"""

from __future__ import annotations

import string
from typing import Any

from gongji.errors import (
    agents,
    api,
    batch,
    bindings,
    database,
    families,
    imports,
    inputs,
    life,
    national,
    payers,
    settlement,
    simulate,
    transfers,
    wallet,
)
from gongji.errors.spec import ErrorSpec

_AREAS = (inputs, bindings, families, settlement, transfers, wallet, api, national, batch, simulate, imports, life, database,
          agents, payers)


def _merged() -> dict[str, ErrorSpec]:
    catalogue: dict[str, ErrorSpec] = {}
    for area in _AREAS:
        for code, spec in area.CODES.items():
            if code in catalogue:
                raise RuntimeError(f"error code {code!r} is defined twice (again in {area.__name__})")
            catalogue[code] = spec
    return catalogue


CATALOGUE: dict[str, ErrorSpec] = _merged()


class _MessageFormatter(string.Formatter):
    """``{amount:yuan}`` shows an amount of fen as yuan (``1250`` → ``12.50``): people read yuan, params stay fen."""

    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec == "yuan":
            if isinstance(value, int) and not isinstance(value, bool):
                sign = "-" if value < 0 else ""
                return f"{sign}{abs(value) // 100}.{abs(value) % 100:02d}"
            return str(value)
        return super().format_field(value, format_spec)


_FORMATTER = _MessageFormatter()


class GongjiError(Exception):
    """A refusal with a stable code, an HTTP status and a bilingual message.

    >>> GongjiError("SELF_BINDING").code
    'SELF_BINDING'
    """

    def __init__(self, code: str, /, **params: Any) -> None:
        if code not in CATALOGUE:
            raise KeyError(f"unknown error code {code!r}; add it to gongji.errors.CATALOGUE")
        spec = CATALOGUE[code]
        self.code = code
        self.status = spec.status
        self.params = params
        self.message_zh = _FORMATTER.format(spec.zh, **params)
        self.message_en = _FORMATTER.format(spec.en, **params)
        self.subject: tuple[str, int] | None = None
        super().__init__(f"{code}: {self.message_en}")

    def about(self, subject_type: str, subject_id: int) -> GongjiError:
        """Note what the refusal was about (``"person", 12``) for the record of refused access
        (:mod:`gongji.api.refusals`). Not a param: the caller is not told."""
        self.subject = (subject_type, subject_id)
        return self

    def message(self, language: str = "zh") -> str:
        return self.message_en if language.startswith("en") else self.message_zh

    def as_dict(self, language: str = "zh") -> dict[str, Any]:
        return {"code": self.code, "status": self.status, "message": self.message(language), "params": self.params}


def catalogue_markdown() -> str:
    """The catalogue as a Markdown table, for ``docs/errors.md`` (``gongji errors``)."""
    lines = [
        "# Error codes",
        "",
        "Every refusal carries one of these stable codes, an HTTP status, and a message in Chinese and English",
        "that says what was wrong and what to do. Codes are never renamed; clients may switch on them.",
        "Placeholders such as `{name}` are filled from the error's `params`; `{amount:yuan}` shows fen as yuan.",
        "This page is generated from `gongji/errors/` by `gongji errors`.",
        "",
        "| code | status | 中文 | English |",
        "| --- | --- | --- | --- |",
    ]
    for code in sorted(CATALOGUE):
        spec = CATALOGUE[code]
        zh, en = (text.replace("|", "\\|") for text in (spec.zh, spec.en))
        lines.append(f"| `{code}` | {spec.status} | {zh} | {en} |")
    return "\n".join(lines) + "\n"
