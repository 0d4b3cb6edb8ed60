"""Families (HN-1, HN-7): create one, add, correct and remove members, leave."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from gongji.authorizations import service as authorizations
from gongji.env import Env
from gongji.people import service as people
from gongji.people.ids import mask
from gongji.terms import Channel
from gongji.web.forms import Refused
from gongji.web.pages import Page
from gongji.web.portal.common import (
    P,
    attempt,
    check_name,
    checks,
    load_me,
    relationship_choices,
    router,
    show,
)

FAMILY_FIELDS = ("name", "id_number", "relationship")


def _family(s: Session, env: Env, person_id: int) -> dict[str, Any]:
    me = load_me(s, env, person_id)
    family = None
    if me.family_id is not None:
        row = authorizations.get_family(s, me.family_id)
        holder = people.get(s, row.householder_id)
        members = []
        for member in authorizations.family_members(s, row.id):
            person = people.get(s, member.person_id)
            members.append({"person_id": person.id, "name": person.name, "relationship": member.relationship,
                            "id_number": person.id_number if person.id == me.id else mask(person.id_number),
                            "joined_at": member.joined_at, "is_me": person.id == me.id})
        family = {"id": row.id, "name": row.name, "householder_name": holder.name,
                  "householder_id_number": holder.id_number if holder.id == me.id else mask(holder.id_number),
                  "i_lead": holder.id == me.id, "members": members}
    return {"me": me, "family": family}


async def _family_page(p: Page, person_id: int, *, values: dict[str, str] | None = None,
                       errors: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    data = await p.read(lambda s: _family(s, p.env, person_id))
    me = data["me"]
    if values is None:
        values = {"name": p.t(f"{me.name}的家庭", f"{me.name}'s family")} if data["family"] is None else {}
    return show(p, me, "portal/family.html", nav="family", status_code=status_code, family=data["family"],
                relationships=relationship_choices(p, me), values=values, errors=errors or {})


@router.get("/family", response_class=HTMLResponse)
async def family_page(p: P) -> HTMLResponse:
    """家庭共济网 (HN-1, HN-7): create a family, add and remove members, leave."""
    return await _family_page(p, p.person().person_id)


async def _family_action(p: Page, work: Callable[[Session], str | None], *, flash: str,
                         values: dict[str, str] | None = None) -> HTMLResponse:
    who = p.person()
    done = await attempt(p, p.write(work), FAMILY_FIELDS if values else ())
    if done.failed:
        return await _family_page(p, who.person_id, values=values or {}, errors=done.failed.errors, status_code=400)
    return p.redirect("/portal/family", flash=done.value or flash)


def _my_family(s: Session, person_id: int, p: Page):
    family_id = authorizations.family_of(s, person_id)
    if family_id is None:
        raise Refused({"": p.t("您目前不在任何共济家庭中。", "You are not in a mutual-aid family.")})
    return authorizations.get_family(s, family_id)


@router.post("/family", response_class=HTMLResponse)
async def create_family(p: P) -> HTMLResponse:
    """HN-1: the payer creates a family and becomes its householder."""
    who = p.person()
    form = await p.form()
    values = {"name": form.get("name", "").strip()}
    if not values["name"]:
        return await _family_page(p, who.person_id, values=values, status_code=400,
                                  errors={"name": p.t("请填写家庭名称。", "Give the family a name.")})

    def work(s: Session) -> None:
        me = people.get(s, who.person_id)
        authorizations.create_family(s, p.env, householder_id_number=me.id_number, name=values["name"],
                                     actor=who.actor(Channel.PORTAL))

    return await _family_action(p, work, flash="family_created", values=values)


@router.post("/family/members", response_class=HTMLResponse)
async def add_member(p: P) -> HTMLResponse:
    """HN-1: the householder adds a close relative by name, ID number and relationship."""
    who = p.person()
    form = await p.form()
    values = {k: form.get(k, "").strip() for k in FAMILY_FIELDS}
    c = checks(p, values)
    name = c.required("name", "请填写亲属的姓名。", "Enter the relative's name.")
    c.id_number(who_zh="亲属", who_en="the relative")
    relationship = c.required("relationship", "请选择这位亲属是您的什么人。", "Choose what the relative is to you.")
    if c.errors:
        return await _family_page(p, who.person_id, values=values, errors=c.errors, status_code=400)

    def work(s: Session) -> None:
        family = _my_family(s, who.person_id, p)
        relative = people.find(s, values["id_number"])
        check_name(p, name, relative.name)
        authorizations.add_member(s, p.env, family_id=family.id, member_id_number=relative.id_number,
                                  relationship=relationship, actor=who.actor(Channel.PORTAL))

    return await _family_action(p, work, flash="member_added", values=values)


def _member_of(s: Session, family_id: int, person_id: int, p: Page):
    """A member of the family, by person number; anyone else is refused without saying who he is."""
    if not any(row.person_id == person_id for row in authorizations.family_members(s, family_id)):
        raise Refused({"": p.t("该成员不在您的家庭中，请刷新页面后再试。",
                               "That member is not in your family; reload the page and try again.")})
    return people.get(s, person_id)


@router.post("/family/members/{person_id}/relationship", response_class=HTMLResponse)
async def update_member(person_id: int, p: P) -> HTMLResponse:
    """HN-7: the householder corrects what a member is to him."""
    who = p.person()
    form = await p.form()

    def work(s: Session) -> None:
        family = _my_family(s, who.person_id, p)
        member = _member_of(s, family.id, person_id, p)
        authorizations.update_member(s, p.env, family_id=family.id, member_id_number=member.id_number,
                                     relationship=form.get("relationship", ""), actor=who.actor(Channel.PORTAL))

    return await _family_action(p, work, flash="member_updated")


@router.post("/family/members/{person_id}/remove", response_class=HTMLResponse)
async def remove_member(person_id: int, p: P) -> HTMLResponse:
    """HN-7: the householder removes a member; the member's bindings in the family end with it."""
    who = p.person()
    await p.form()

    def work(s: Session) -> None:
        family = _my_family(s, who.person_id, p)
        member = _member_of(s, family.id, person_id, p)
        authorizations.remove_member(s, p.env, family_id=family.id, member_id_number=member.id_number,
                                     actor=who.actor(Channel.PORTAL))

    return await _family_action(p, work, flash="member_removed")


@router.post("/family/leave", response_class=HTMLResponse)
async def leave_family(p: P) -> HTMLResponse:
    """HN-7: a member leaves (his bindings in the family end); a householder without members dissolves it."""
    who = p.person()
    await p.form()

    def work(s: Session) -> str:
        family = _my_family(s, who.person_id, p)
        me = people.get(s, who.person_id)
        authorizations.leave_family(s, p.env, family_id=family.id, member_id_number=me.id_number,
                                    actor=who.actor(Channel.PORTAL))
        return "family_dissolved" if family.householder_id == me.id else "left_family"

    return await _family_action(p, work, flash="left_family")
