"""Acting for the person who came to the counter: he is of the staff member's region, the region's checklist is
ticked before anything is done for him (N-8, HLJ-9, SZ-4, WL-4), and a relative is named by ID number or, as
Shenzhen's counters do, by social security card number (SZ-4)."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from gongji.auth.service import Principal
from gongji.authorizations import rules as binding_rules
from gongji.authorizations.service import same_name
from gongji.errors import GongjiError
from gongji.events.service import record as record_event
from gongji.people import service as people
from gongji.people.models import Person
from gongji.policy import RegionPolicy
from gongji.terms import Channel, DocumentKind
from gongji.web.counter.common import form_key, naming, render, require_person
from gongji.web.forms import Refused
from gongji.web.pages import Page

#: The fields that name a relative: one of the two (SZ-4).
RELATIVE_FIELDS = ("id_number", "card_no")


def acting_for(s: Session, p: Page, staff: Principal, person_id: int) -> tuple[Person, RegionPolicy]:
    """The person the clerk acts for (of the clerk's region) and his region's policy."""
    person = people.get(s, person_id)
    require_person(staff, person)
    return person, p.env.policy(people.enrollment_of(person).region_code)


def checklist(p: Page, policy: RegionPolicy) -> list[tuple[str, str]]:
    """The region's counter checklist as (value, words) for the form's tick boxes."""
    return [(d.value, p.t(d.zh, d.en)) for d in policy.counter_documents]


def ticked(form: dict[str, str], policy: RegionPolicy) -> list[DocumentKind]:
    return [kind for kind in policy.counter_documents if form.get(f"doc_{kind.value}") == "yes"]


def require_checklist(form: dict[str, str], policy: RegionPolicy) -> list[DocumentKind]:
    """N-8: every document of the region's list ticked; COUNTER_DOCUMENTS_MISSING (next to the list) otherwise."""
    checked = ticked(form, policy)
    binding_rules.check_counter_documents(True, frozenset(checked), policy)
    return checked


#: The event that keeps what the clerk checked before acting for a person (N-8).
CHECKED = "counter.documents_checked"


def checked(s: Session, p: Page, staff: Principal, person: Person, policy: RegionPolicy, form: dict[str, str], *,
            action: str) -> list[DocumentKind]:
    """:func:`require_checklist`, and the documents kept in an event naming the clerk (actor, channel ``counter``),
    the person and the action, in the transaction of the action itself (a refused action keeps none; a money form
    sent twice keeps its check twice and moves the money once)."""
    kinds = require_checklist(form, policy)
    record_event(s, p.env, kind=CHECKED, actor=staff.actor(Channel.COUNTER), subject_type="person",
                 subject_id=person.id, concerns=[person.id],
                 data={"action": action, "documents": [k.value for k in kinds]})
    return kinds


def kept_ticks(form: dict[str, str]) -> dict[str, str]:
    """The ticks of a refused form, to show it again as it was."""
    return {k: v for k, v in form.items() if k.startswith("doc_")}


def relative(s: Session, p: Page, form: dict[str, str]) -> Person:
    """The relative named on the form by his ID number (``id_number``) or his card number (``card_no``, SZ-4)."""
    number = (form.get("id_number") or "").strip()
    card = (form.get("card_no") or "").strip()
    if number and card:
        raise Refused({"card_no": p.t("身份证号码和社会保障卡号只填一项。", "Give the ID number or the card number, not both.")})
    if number:
        return naming("id_number", lambda: people.find(s, number))
    if not card:
        raise Refused({"id_number": p.t("请填写亲属的身份证号码或社会保障卡号。",
                                        "Enter the relative's ID number or card number.")})
    found = people.search(s, card_no=naming("card_no", lambda: people.check_card_no(card)))
    if len(found) != 1:
        raise Refused({"card_no": p.t("没有持此社会保障卡号的参保人，请核对社保卡。",
                                      "Nobody insured holds this card number; check the card.")})
    return found[0]


def check_relative_name(p: Page, given: Any, person: Person) -> None:
    """HLJ-7: the name given is the one registered for the relative named."""
    if not same_name(people.check_name(given), person.name):
        raise GongjiError("INVALID_FIELD", field="name", reason_zh="与该证件登记的姓名不一致，请核对亲属的证件",
                          reason_en="it is not the name registered with that document; check the relative's card")


def confirmed(form: dict[str, str]) -> bool:
    """A money form in two steps: ``step=review`` tries it and shows it to be checked; ``step=confirm`` does it."""
    return form.get("step") == "confirm"


def operation_key(form: dict[str, str]) -> str:
    """The one-time key of a money form: the confirmation carries the one drawn at review (a double tap or a
    reload does it once); a review draws a new one."""
    return form_key(form) if confirmed(form) else secrets.token_urlsafe(16)


def confirm_page(p: Page, *, person: dict[str, Any], title: tuple[str, str], action: str, rows: list[tuple[str, str]],
                 values: dict[str, str], key: str, warning: str) -> HTMLResponse:
    """What the clerk reads out to the person before confirming: the operation checked against every rule."""
    return render(p, "counter/confirm.html", nav="find", person=person, heading=p.t(*title), action=action,
                  rows=rows, hidden={k: v for k, v in values.items() if k not in ("csrf", "step", "key")}, key=key,
                  warning=warning)
