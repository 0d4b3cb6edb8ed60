"""Families at the counter (HN-1, HN-7): create one for the person who came in, add, correct and remove members,
leave; the region's checklist ticked each time, the staff member recorded as actor (N-8)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from gongji.authorizations import service as authorizations
from gongji.people import service as people
from gongji.terms import Channel, Scheme
from gongji.web import forms
from gongji.web.counter import desk
from gongji.web.counter.common import P, not_shown, person_row, render, router
from gongji.web.forms import Refused
from gongji.web.pages import FLASHES, Page

FLASHES.setdefault("counter_family_left", ("已为其办理退出家庭。", "The person has left the family."))
FIELDS = ("name", "id_number", "card_no", "relationship", "documents")


def _context(p: Page, person_id: int):
    staff = p.staff()

    def work(s: Session) -> dict[str, Any]:
        person, policy = desk.acting_for(s, p, staff, person_id)
        family = None
        family_id = authorizations.family_of(s, person.id)
        if family_id is not None:
            row = authorizations.get_family(s, family_id)
            members = [{"person_id": m.person_id, "relationship": m.relationship, "joined_at": m.joined_at,
                        **person_row(people.get(s, m.person_id))} for m in authorizations.family_members(s, row.id)]
            family = {"id": row.id, "name": row.name, "householder": person_row(people.get(s, row.householder_id)),
                      "leads": row.householder_id == person.id, "members": members}
        return {"person": person_row(person), "policy": policy, "family": family,
                "employee": people.enrollment_of(person).scheme == Scheme.EMPLOYEE.value,
                "documents": desk.checklist(p, policy),
                "relationships": [(r.value, p.t(r.zh, r.en)) for r in policy.allowed_relationships]}

    return work


async def _page(p: Page, person_id: int, *, values: dict[str, str] | None = None,
                errors: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    done = await forms.attempt(p, p.read(_context(p, person_id)))
    if done.failed:
        return await not_shown(p, done.failed)
    if values is None and done.value["family"] is None:
        values = {"name": p.t(f"{done.value['person']['name']}的家庭", f"{done.value['person']['name']}'s family")}
    return render(p, "counter/family.html", status_code=status_code, nav="find", values=values or {},
                  errors=errors or {}, **done.value)


@router.get("/people/{person_id}/family", response_class=HTMLResponse)
async def family_page(p: P, person_id: int) -> HTMLResponse:
    """共济家庭 (HN-1, HN-7) of the person at the counter: his family and what can be done with it."""
    return await _page(p, person_id)


def _family_of(s: Session, p: Page, person_id: int, *, householder: bool):
    family_id = authorizations.family_of(s, person_id)
    if family_id is None:
        raise Refused({"": p.t("此人目前不在任何共济家庭中。", "This person is not in a mutual-aid family.")})
    family = authorizations.get_family(s, family_id)
    if householder and family.householder_id != person_id:
        raise Refused({"": p.t("只有户主可以添加、修改或移出家庭成员。", "Only the householder adds, corrects or removes members.")})
    return family


def _member(s: Session, p: Page, family_id: int, member_id: int):
    if not any(m.person_id == member_id for m in authorizations.family_members(s, family_id)):
        raise Refused({"": p.t("该成员不在此家庭中，请刷新页面后再试。",
                               "That member is not in this family; reload the page and try again.")})
    return people.get(s, member_id)


async def _act(p: Page, person_id: int, work: Callable[[Session, Any], str], *, flash: str,
               action: str) -> HTMLResponse:
    """Run ``work(session, actor)`` for the person once the checklist is ticked; the family page again, with the
    refusal next to its field, or with the notice."""
    form = await p.form()
    staff = p.staff()
    values = {k: form.get(k, "").strip() for k in FIELDS if k != "documents"} | desk.kept_ticks(form)

    def run(s: Session) -> str:
        person, policy = desk.acting_for(s, p, staff, person_id)
        desk.checked(s, p, staff, person, policy, form, action=action)
        return work(s, form) or flash

    done = await forms.attempt(p, p.write(run), fields=FIELDS)
    if done.failed:
        return await _page(p, person_id, values=values, errors=done.failed.errors, status_code=done.failed.status)
    return p.redirect(f"/counter/people/{person_id}/family", flash=done.value)


@router.post("/people/{person_id}/family", response_class=HTMLResponse)
async def create_family(p: P, person_id: int) -> HTMLResponse:
    """HN-1: the employee at the counter creates a family and becomes its householder."""
    staff = p.staff()

    def work(s: Session, form: dict[str, str]) -> str:
        person = people.get(s, person_id)
        name = form.get("name", "").strip()
        if not name:
            raise Refused({"name": p.t("请填写家庭名称。", "Give the family a name.")})
        authorizations.create_family(s, p.env, householder_id_number=person.id_number, name=name,
                                     actor=staff.actor(Channel.COUNTER))
        return "family_created"

    return await _act(p, person_id, work, flash="family_created", action="family.create")


@router.post("/people/{person_id}/family/members", response_class=HTMLResponse)
async def add_member(p: P, person_id: int) -> HTMLResponse:
    """HN-1: the householder adds a close relative, named by ID number or card number (SZ-4) and his name."""
    staff = p.staff()

    def work(s: Session, form: dict[str, str]) -> str:
        family = _family_of(s, p, person_id, householder=True)
        relative = desk.relative(s, p, form)
        desk.check_relative_name(p, form.get("name"), relative)
        authorizations.add_member(s, p.env, family_id=family.id, member_id_number=relative.id_number,
                                  relationship=form.get("relationship", ""), actor=staff.actor(Channel.COUNTER))
        return "member_added"

    return await _act(p, person_id, work, flash="member_added", action="family.add_member")


@router.post("/people/{person_id}/family/members/{member_id}/relationship", response_class=HTMLResponse)
async def update_member(p: P, person_id: int, member_id: int) -> HTMLResponse:
    """HN-7: the householder corrects what a member is to him."""
    staff = p.staff()

    def work(s: Session, form: dict[str, str]) -> str:
        family = _family_of(s, p, person_id, householder=True)
        member = _member(s, p, family.id, member_id)
        authorizations.update_member(s, p.env, family_id=family.id, member_id_number=member.id_number,
                                     relationship=form.get(f"relationship_{member_id}", ""),
                                     actor=staff.actor(Channel.COUNTER))
        return "member_updated"

    return await _act(p, person_id, work, flash="member_updated", action="family.update_member")


@router.post("/people/{person_id}/family/members/{member_id}/remove", response_class=HTMLResponse)
async def remove_member(p: P, person_id: int, member_id: int) -> HTMLResponse:
    """HN-7: the householder removes a member; the bindings in the family with him end."""
    staff = p.staff()

    def work(s: Session, form: dict[str, str]) -> str:
        family = _family_of(s, p, person_id, householder=True)
        member = _member(s, p, family.id, member_id)
        authorizations.remove_member(s, p.env, family_id=family.id, member_id_number=member.id_number,
                                     actor=staff.actor(Channel.COUNTER))
        return "member_removed"

    return await _act(p, person_id, work, flash="member_removed", action="family.remove_member")


@router.post("/people/{person_id}/family/leave", response_class=HTMLResponse)
async def leave_family(p: P, person_id: int) -> HTMLResponse:
    """HN-7: a member leaves (his bindings in the family end); a householder without members dissolves it."""
    staff = p.staff()

    def work(s: Session, form: dict[str, str]) -> str:
        family = _family_of(s, p, person_id, householder=False)
        person = people.get(s, person_id)
        authorizations.leave_family(s, p.env, family_id=family.id, member_id_number=person.id_number,
                                    actor=staff.actor(Channel.COUNTER))
        return "family_dissolved" if family.householder_id == person.id else "counter_family_left"

    return await _act(p, person_id, work, flash="counter_family_left", action="family.leave")
