"""Errors speak to people: every code has a status and a message in Chinese and English (gongji/errors/).

The call sites are read from the source (every ``GongjiError("CODE", ...)`` in gongji/), so a template
that asks for a value its callers do not pass fails here, not in front of a user.
"""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

import gongji
from gongji.errors import CATALOGUE, GongjiError
from gongji.terms import Relationship, Use, parse_enum

SOURCE = Path(gongji.__file__).parent
CJK = re.compile(r"[\u4e00-\u9fff]")


def placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


def needed(code: str) -> set[str]:
    spec = CATALOGUE[code]
    return placeholders(spec.zh) | placeholders(spec.en)


def call_sites() -> list[tuple[str, int, str, frozenset[str] | None]]:
    """(file, line, code, keyword names) of each GongjiError call with a literal code; None: ``**kwargs``."""
    sites = []
    for path in sorted(SOURCE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name != "GongjiError" or not node.args or not isinstance(node.args[0], ast.Constant):
                continue
            keywords = [k.arg for k in node.keywords]
            names = None if None in keywords else frozenset(keywords)
            sites.append((str(path.relative_to(SOURCE.parent)), node.lineno, node.args[0].value, names))
    return sites


SITES = call_sites()


def test_the_code_base_raises_catalogued_errors():
    assert len(SITES) > 50
    unknown = [(f, line, code) for f, line, code, _ in SITES if code not in CATALOGUE]
    assert unknown == []


# -- the catalogue -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_every_code_has_a_4xx_status_and_both_messages(code):
    """A refusal is the caller's to fix (4xx). The only 5xx: the answer to a bug, a service not ready, and a
    database that cannot be reached (failover) or was lost during a commit (outcome unknown)."""
    spec = CATALOGUE[code]
    assert re.fullmatch(r"[A-Z][A-Z_]*[A-Z]", code)
    assert 400 <= spec.status < 500 or (code, spec.status) in {("INTERNAL_ERROR", 500), ("NI_INTERNAL_ERROR", 500),
                                                            ("NOT_READY", 503), ("DATABASE_UNAVAILABLE", 503),
                                                            ("DATABASE_OUTCOME_UNKNOWN", 503)}
    assert CJK.search(spec.zh), "the Chinese message has Chinese text"
    assert spec.en.strip() and not CJK.search(spec.en), "the English message is English"


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_every_template_formats_with_dummy_values(code):
    params = {name: f"<{name}>" for name in needed(code)}
    error = GongjiError(code, **params)
    assert error.code == code
    assert error.status == CATALOGUE[code].status
    for name, value in params.items():
        assert value in error.message_zh or value in error.message_en, name
    assert "{" not in error.message_zh and "{" not in error.message_en


@pytest.mark.parametrize(
    ("path", "line", "code", "names"),
    [site for site in SITES if site[3] is not None],
    ids=[f"{s[0]}:{s[1]}:{s[2]}" for s in SITES if s[3] is not None],
)
def test_every_call_site_passes_the_params_its_template_needs(path, line, code, names):
    """A call passes every value the zh and en templates name, and nothing they do not use."""
    assert needed(code) <= names, f"{path}:{line} does not pass {sorted(needed(code) - names)}"
    assert names <= needed(code), f"{path}:{line} passes unused {sorted(names - needed(code))}"
    error = GongjiError(code, **{name: "x" for name in names})
    assert error.code == code


@pytest.mark.parametrize(
    ("enum", "code"),
    [(Relationship, "UNKNOWN_RELATIONSHIP"), (Use, "UNKNOWN_USE")],
)
def test_parse_enum_formats_the_unknown_value_codes(enum, code):
    """parse_enum raises these codes with ``value`` and ``allowed`` (its call site is not a literal)."""
    with pytest.raises(GongjiError) as info:
        parse_enum(enum, "cousin", field="x", error=code)
    assert info.value.code == code
    assert info.value.params["value"] == "cousin"
    assert all(m.value in info.value.params["allowed"] for m in enum)
    assert "cousin" in info.value.message_zh and "cousin" in info.value.message_en


def test_unknown_document_kind_formats_with_value_and_allowed():
    assert needed("UNKNOWN_DOCUMENT_KIND") == {"value", "allowed"}


def test_parse_enum_default_is_invalid_field():
    with pytest.raises(GongjiError) as info:
        parse_enum(Use, "massage", field="use")
    assert info.value.code == "INVALID_FIELD"
    assert info.value.params["field"] == "use"


# -- GongjiError ---------------------------------------------------------------------------------------------


def test_unknown_code_raises_key_error():
    with pytest.raises(KeyError, match="NO_SUCH_CODE"):
        GongjiError("NO_SUCH_CODE")


def test_missing_param_raises_key_error():
    with pytest.raises(KeyError):
        GongjiError("PAYER_NO_BALANCE")


def test_hlj_2_message_says_what_to_do_in_both_languages():
    """HLJ-2, D-4: the refusal says when binding again is possible."""
    error = GongjiError("REBIND_TOO_SOON", unbound_on="2026-11-20", rebind_from="2026-12-20", wait_days=30)
    assert error.message("zh") == error.message_zh
    assert "2026-12-20" in error.message_zh and "30" in error.message_zh
    assert "2026-12-20" in error.message_en
    assert str(error).startswith("REBIND_TOO_SOON: ")


def test_message_picks_the_language():
    error = GongjiError("SELF_BINDING")
    assert error.message() == error.message_zh
    assert error.message("zh") == error.message_zh
    assert error.message("zh-CN") == error.message_zh
    assert error.message("en") == error.message_en
    assert error.message("en-US") == error.message_en
    assert error.message_zh != error.message_en


def test_as_dict():
    error = GongjiError("PAYER_NO_BALANCE", name="张建国")
    assert error.as_dict() == {
        "code": "PAYER_NO_BALANCE",
        "status": 409,
        "message": error.message_zh,
        "params": {"name": "张建国"},
    }
    assert error.as_dict("en")["message"] == error.message_en
    assert "张建国" in error.as_dict("en")["message"]


def test_docs_errors_md_is_the_current_catalogue():
    """docs/errors.md is what integrators read; regenerate it with `gongji errors > docs/errors.md`."""
    from pathlib import Path

    from gongji.errors import catalogue_markdown

    docs = Path(__file__).resolve().parent.parent / "docs" / "errors.md"
    assert docs.read_text(encoding="utf-8") == catalogue_markdown()
