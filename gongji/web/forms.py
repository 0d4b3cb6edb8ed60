"""Forms of the portal and the counter: checked, and their refusals put next to their fields, in this one place.

A form is checked in two steps. First what the page itself can tell (a field left empty, a malformed ID number,
a file of the wrong kind), all at once, with :class:`Checks`. Then the service, run by :func:`attempt`: a
:class:`~gongji.errors.GongjiError` it raises, or a :class:`Refused` the page raises itself, comes back as
``{field: message}`` for the form to be shown again with what was typed in it; a field the form does not have
gets the message above the form (key ``""``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gongji.errors import GongjiError
from gongji.people.ids import parse_id_number
from gongji.web.pages import Page


class Refused(Exception):
    """A refusal a page makes itself (the name does not match the ID number, a file of the wrong kind)."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


class DryRun(Exception):
    """Ends a transaction that tried an operation to show it for confirmation, so that nothing of it is kept.
    Its one argument is what the confirmation page shows."""


def worded(p: Page, error: GongjiError) -> str:
    """The error's message; for a malformed field only its reason, worded for a form rather than a program."""
    params = error.params
    if error.code in ("INVALID_FIELD", "INVALID_AMOUNT") and isinstance(params.get("reason_zh"), str):
        reason = p.t(params["reason_zh"], params.get("reason_en", ""))
        if error.code == "INVALID_AMOUNT":
            return p.t(f"金额有误：{reason}。请以“元”填写，最多两位小数，例如 100.50。",
                       f"The amount is not right: {reason}. Write it in yuan with at most two decimals, e.g. 100.50.")
        return p.t(f"{reason}。", f"{reason[:1].upper()}{reason[1:]}.")
    if error.code == "DATE_IN_PAST":
        return p.t(f"开始日期不能早于今天（{params.get('today')}），请选择今天或以后的日期。",
                   f"The first day may not be before today ({params.get('today')}); choose today or later.")
    return p.message(error)


@dataclass(frozen=True)
class Wording:
    """How an area words refusals: codes that concern one of its fields beyond
    :data:`gongji.web.pages.FIELD_OF`, and whether a malformed field is told by its reason only (:func:`worded`)."""

    field_of: Mapping[str, str] = field(default_factory=dict)
    plain: bool = False

    def message(self, p: Page, error: GongjiError) -> str:
        return worded(p, error) if self.plain else p.message(error)


#: The counter's: the service's own messages, next to the field the error names.
STAFF = Wording()


def field_errors(p: Page, error: GongjiError, fields: Any = (), wording: Wording = STAFF) -> dict[str, str]:
    """``{field: message}`` for a refused form; a field the form does not have gets the message on top."""
    name = wording.field_of.get(error.code)
    if name is None:
        ((name, _),) = p.field_errors(error).items()
    return {name if name in fields else "": wording.message(p, error)}


@dataclass(frozen=True)
class Failed:
    """A refused form: the messages by field, and the status to answer with."""

    errors: dict[str, str]
    status: int  # 403 when the caller may not do it, 429 when too many tries; 400 otherwise
    error: GongjiError | None = None


@dataclass(frozen=True)
class Outcome:
    value: Any = None
    failed: Failed | None = None
    tried: dict[str, Any] | None = None  # what a :class:`DryRun` carried


async def attempt(p: Page, run: Awaitable[Any] | Callable[[], Awaitable[Any]], *, fields: Any = (),
                  wording: Wording = STAFF) -> Outcome:
    """Run a form's work (``p.write(work)``, ``p.read(work)``, or any awaitable) and tell how it went: its value,
    or the refusal mapped to the form's ``fields``, or what a :class:`DryRun` carried."""
    try:
        value = await (run() if callable(run) else run)
    except GongjiError as error:
        status = error.status if error.status in (403, 429) else 400
        return Outcome(failed=Failed(field_errors(p, error, fields, wording), status, error))
    except Refused as refused:
        return Outcome(failed=Failed(dict(refused.errors), 400))
    except DryRun as tried:
        return Outcome(tried=tried.args[0])
    return Outcome(value=value)


class Checks:
    """What the page itself can tell about a form's ``values``, noted in ``errors`` all at once."""

    def __init__(self, p: Page, values: dict[str, str], wording: Wording = STAFF) -> None:
        self.p, self.values, self.wording = p, values, wording
        self.errors: dict[str, str] = {}

    def required(self, name: str, zh: str, en: str) -> str:
        if not self.values.get(name):
            self.errors[name] = self.p.t(zh, en)
        return self.values.get(name, "")

    def parse(self, name: str, parse: Callable[[str], Any], *, given: str | None = None) -> Any:
        """``parse(value)``, or None with its refusal noted next to the field."""
        try:
            return parse(self.values.get(name, "") if given is None else given)
        except GongjiError as error:
            self.errors[name] = self.wording.message(self.p, error)
            return None

    def id_number(self, *, who_zh: str, who_en: str, name: str = "id_number") -> None:
        """A required ID number, kept in its normal form (18 characters, capital X)."""
        number = self.required(name, f"请填写{who_zh}的身份证号码。", f"Enter {who_en}'s ID number.")
        if number:
            parsed = self.parse(name, parse_id_number)
            if parsed is not None:
                self.values[name] = parsed.number

    def refuse(self, name: str, zh: str, en: str) -> None:
        self.errors[name] = self.p.t(zh, en)
