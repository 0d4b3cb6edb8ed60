"""What every counter page shares: its router, words for stored values, what staff see of a person, the region
check, and the one-time keys of forms that change money."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse

from gongji.auth.service import Principal
from gongji.errors import GongjiError
from gongji.money import yuan_to_fen
from gongji.people import service as people
from gongji.people.ids import mask, region_name
from gongji.people.models import Person
from gongji.terms import (
    Channel,
    DocumentKind,
    EndReason,
    Fund,
    InstitutionKind,
    Relationship,
    Scheme,
    Status,
    Use,
)
from gongji.web import forms
from gongji.web.pages import Page, page, safe_next

T = TypeVar("T")

router = APIRouter(prefix="/counter", include_in_schema=False)

P = Annotated[Page, Depends(page)]

#: How many rows of each record the person's page shows.
RECENT = 10

_ENUMS: dict[str, Any] = {
    "relationship": Relationship, "channel": Channel, "use": Use, "fund": Fund, "status": Status, "scheme": Scheme,
    "end_reason": EndReason, "document": DocumentKind, "institution_kind": InstitutionKind,
}
_WORDS: dict[str, dict[str, tuple[str, str]]] = {
    "state": {"pending": ("待生效", "not started yet"), "active": ("生效中", "active"),
              "ended": ("已解除", "ended"), "expired": ("已到期", "expired")},
    "settlement_status": {"settled": ("已结算", "settled"), "partially_refunded": ("部分退费", "partly refunded"),
                          "refunded": ("已全部退费", "fully refunded")},
    "relationship": {"householder": ("户主", "householder")},
}


def safe_next_(value: str | None) -> str:
    return safe_next(value, "/counter")


def labels(p: Page) -> Callable[[str, Any], str]:
    """``label(kind, value)`` for templates: the Chinese or English word of a stored value."""

    def label(kind: str, value: Any) -> str:
        if value is None:
            return ""
        words = _WORDS.get(kind, {}).get(str(value))
        if words:
            return p.t(*words)
        try:
            member = _ENUMS[kind](value)
        except (KeyError, ValueError):
            return str(value)
        return p.t(member.zh, member.en)

    return label


def render(p: Page, template: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    return p.render(template, status_code=status_code, label=labels(p), **context)


def naming(field: str, fn: Callable[[], T]) -> T:
    """``fn()``; its refusal said to be about ``field`` of the form (two ID numbers on one form)."""
    try:
        return fn()
    except GongjiError as error:
        raise GongjiError(error.code, **{**error.params, "field": field}) from None


def outside(staff: Principal, what_zh: str = "此人", what_en: str = "This person") -> GongjiError:
    """OUTSIDE_YOUR_REGION, naming nobody: the staff member may not see who is insured elsewhere."""
    return GongjiError("OUTSIDE_YOUR_REGION", what_zh=what_zh, what_en=what_en, region=staff.region_prefix or "-")


def require_person(staff: Principal, person: Person) -> None:
    """Staff act only for people insured in their region (as the API's ``Call.require_region``)."""
    if not staff.covers(people.enrollment_of(person).region_code):
        raise outside(staff)


def form_key(form: dict[str, str]) -> str:
    key = form.get("key", "")
    return key if 8 <= len(key) <= 64 and key.isascii() and key.isprintable() and key.strip() == key else (
        secrets.token_urlsafe(16))


def yuan_fen(value: str | None, *, field: str) -> int:
    """A positive amount typed in yuan (``12.50``) as fen."""
    refusal = GongjiError("INVALID_FIELD", field=field, reason_zh="请填写以元为单位的金额，最多两位小数，例如 12.50",
                          reason_en="give an amount in yuan with at most two decimals, e.g. 12.50")
    try:
        fen = yuan_to_fen((value or "").strip(), field=field)
    except GongjiError:
        raise refusal from None
    if fen <= 0:
        raise refusal
    return fen


def masked_phone(value: str | None) -> str | None:
    return value[:3] + "****" + value[-4:] if value and len(value) >= 11 else (value and "****")


def person_row(person: Person) -> dict[str, Any]:
    """What staff see of a person: the ID number masked, the card number and birth date shown (N-8)."""
    e = person.enrollment
    return {
        "person_id": person.id, "name": person.name, "id_number": mask(person.id_number), "sex": person.sex,
        "birth_date": person.birth_date, "phone": masked_phone(person.phone),
        "scheme": e.scheme if e else None, "region_code": e.region_code if e else None,
        "region_name": (region_name(e.region_code) or e.region_code) if e else "", "status": e.status if e else None,
        "status_since": e.status_since if e else None, "enrolled_on": e.enrolled_on if e else None,
        "card_no": e.card_no if e else None, "retired": e.retired if e else None,
    }


def lookup_status(failed: forms.Failed) -> int:
    """The status of a page that cannot be shown: not found (404), not of the staff member's region (403)."""
    status = failed.error.status if failed.error is not None else 400
    return status if status in (403, 404) else 400


async def not_shown(p: Page, failed: forms.Failed) -> HTMLResponse:
    """A person's page that cannot be shown: the find page, saying why."""
    return render(p, "counter/find.html", status_code=lookup_status(failed), nav="find", results=None,
                  errors=failed.errors)
