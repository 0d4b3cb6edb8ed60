"""Find a person (by ID number, card number, or name and birth date) and his page: enrollment, balances,
bindings both ways, family, payments (N-8, N-9)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi.responses import HTMLResponse

from gongji.auth.service import Principal
from gongji.authorizations import rules as binding_rules
from gongji.authorizations import service as authorizations
from gongji.contributions import service as contributions
from gongji.errors import GongjiError
from gongji.inputs import check_date
from gongji.people import service as people
from gongji.policy.settings import AidModel
from gongji.records import service as records
from gongji.terms import EndReason, Scheme
from gongji.web import forms
from gongji.web.counter.common import RECENT, P, not_shown, person_row, render, require_person, router
from gongji.web.pages import Page

SEARCH_FIELDS = {"id_number", "card_no", "name", "birth_date"}


@router.get("", response_class=HTMLResponse)
async def find_page(p: P, id_number: str | None = None, card_no: str | None = None, name: str | None = None,
                    birth_date: str | None = None) -> HTMLResponse:
    """The search forms. They are sent by POST: an ID number or a card number never travels in an address, where
    browsers, proxies and logs keep it. One given in the address is not searched for (400)."""
    p.staff()
    if (id_number or "").strip() or (card_no or "").strip():
        return render(p, "counter/find.html", status_code=400, nav="find", results=None, errors={"": p.t(
            "身份证号码和社会保障卡号不能放在网址中查找，请在下面的表格中填写后查找。",
            "ID numbers and card numbers are not searched from the address; enter them in a form below.")})
    if name is not None or birth_date is not None:
        return await _search(p, {"name": name, "birth_date": birth_date})
    return render(p, "counter/find.html", nav="find", results=None)


@router.post("", response_class=HTMLResponse)
async def find(p: P) -> HTMLResponse:
    """查找参保人: by ID number, by card number, or by name and birth date (the ways of POST /v1/people/search),
    the search sent in the body.

    An ID number or a card number of someone insured elsewhere is refused (OUTSIDE_YOUR_REGION); a search by
    name lists only the people of the staff member's region.
    """
    form = await p.form()
    return await _search(p, {k: form.get(k) for k in SEARCH_FIELDS})


async def _search(p: Page, given: dict[str, str | None]) -> HTMLResponse:
    staff = p.staff()
    values = {k: v.strip() for k, v in given.items() if v is not None and v.strip()}
    if not values:
        return render(p, "counter/find.html", nav="find", results=None)

    def work(s) -> list[dict[str, Any]]:
        if "id_number" in values:
            found = people.search(s, id_number=values["id_number"])
        elif "card_no" in values:
            found = people.search(s, card_no=people.check_card_no(values["card_no"]))
        else:
            for field in ("name", "birth_date"):
                if field not in values:
                    raise GongjiError("INVALID_FIELD", field=field, reason_zh="按姓名查找须同时填写姓名和出生日期",
                                      reason_en="a search by name needs both the name and the birth date")
            found = people.search(s, name=people.check_name(values["name"]),
                                  birth_date=check_date(values["birth_date"], field="birth_date"))
            found = [person for person in found if staff.covers(people.enrollment_of(person).region_code)]
        for person in found:
            require_person(staff, person)
        return [person_row(person) for person in found]

    done = await forms.attempt(p, p.read(work), fields=SEARCH_FIELDS)
    if done.failed:
        return render(p, "counter/find.html", status_code=done.failed.status, nav="find", results=None,
                      values=values, errors=done.failed.errors)
    return render(p, "counter/find.html", nav="find", results=done.value, values=values)


# -- a person's page ------------------------------------------------------------------------------

def _person_facts(p: Page, staff: Principal, person_id: int):
    today = p.env.today()

    def work(s) -> dict[str, Any]:
        person = people.get(s, person_id)
        require_person(staff, person)
        enrollment = people.enrollment_of(person)
        policy = p.env.policy(enrollment.region_code)
        bindings = records.authorization_records(s, person_id=person.id, today=today, limit=50).items
        rebind: dict[int, date] = {}
        for b in bindings:
            if b.ended_on is not None and b.end_reason != EndReason.EXPIRED.value:
                region = authorizations.get(s, b.binding_id).region_code
                again = binding_rules.rebind_possible_from(b.ended_on, p.env.policy(region))
                if again is not None:
                    rebind[b.binding_id] = again
        family = None
        family_id = authorizations.family_of(s, person.id)
        if family_id is not None:
            row = authorizations.get_family(s, family_id)
            holder = people.get(s, row.householder_id)
            members = [{"relationship": "householder", **person_row(holder)}]
            for member in authorizations.family_members(s, row.id):
                members.append({"relationship": member.relationship, **person_row(people.get(s, member.person_id))})
            family = {"family_id": row.id, "name": row.name, "members": members}
        return {
            "person": person_row(person),
            "pooled": contributions.pooled_share(s, p.env, enrollment),  # LC-2, LC-4
            "balances": people.balances(s, person.id),
            "policy": policy,
            "can_bind": enrollment.scheme == Scheme.EMPLOYEE.value and policy.aid_model is AidModel.BINDING,
            "bindings": bindings,
            "rebind": rebind,
            "family": family,
            "consumption": records.consumption_as_patient(s, person_id=person.id, limit=RECENT).items,
            "paid_by_me": records.payments_as_payer(s, person_id=person.id, limit=RECENT).items,
            "paid_for_me": records.paid_for_me(s, person_id=person.id, limit=RECENT).items,
        }

    return work


async def show_person(p: P, person_id: int, *, errors: dict[str, str] | None = None,
                      status_code: int = 200) -> HTMLResponse:
    staff = p.staff()
    done = await forms.attempt(p, p.read(_person_facts(p, staff, person_id)))
    if done.failed:
        return await not_shown(p, done.failed)
    return render(p, "counter/person.html", status_code=status_code, nav="find", errors=errors or {}, **done.value)


@router.get("/people/{person_id}", response_class=HTMLResponse)
async def person_page(p: P, person_id: int) -> HTMLResponse:
    """参保人: enrollment, balances, bindings both ways with unbinding (HLJ-8), family (HN-1), payments (N-9)."""
    return await show_person(p, person_id)
