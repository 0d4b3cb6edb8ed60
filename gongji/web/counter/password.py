"""Password reset at the counter: staff set a new portal password after checking the person's ID card (the portal
sends people who forgot theirs here). Setting it ends the person's open logins."""

from __future__ import annotations

from fastapi.responses import HTMLResponse

from gongji.auth import service as auth
from gongji.auth.service import Principal
from gongji.people import service as people
from gongji.terms import Channel
from gongji.web import forms
from gongji.web.counter.common import P, not_shown, person_row, render, require_person, router
from gongji.web.pages import FLASHES, Page

FLASHES.setdefault("password_set", ("新密码已设置，本人原有的登录已全部退出。",
                                    "The new password is set; the person's open logins have ended."))
FIELDS = ("id_checked", "password", "password_again")


def _person(p: Page, staff: Principal, person_id: int):
    def work(s):
        person = people.get(s, person_id)
        require_person(staff, person)
        return person_row(person)

    return work


async def _page(p: Page, person_id: int, *, errors: dict[str, str] | None = None,
                status_code: int = 200) -> HTMLResponse:
    done = await forms.attempt(p, p.read(_person(p, p.staff(), person_id)))
    if done.failed:
        return await not_shown(p, done.failed)
    return render(p, "counter/password.html", status_code=status_code, nav="find", person=done.value,
                  errors=errors or {})


@router.get("/people/{person_id}/password", response_class=HTMLResponse)
async def password_form(p: P, person_id: int) -> HTMLResponse:
    return await _page(p, person_id)


@router.post("/people/{person_id}/password", response_class=HTMLResponse)
async def set_password(p: P, person_id: int) -> HTMLResponse:
    """Only after the ID card was checked (ticked); the two entries the same; the strength rule of gongji.auth."""
    form = await p.form()
    staff = p.staff()
    c = forms.Checks(p, {k: form.get(k, "") for k in FIELDS})
    if c.values["id_checked"] != "yes":
        c.refuse("id_checked", "请先核验本人的居民身份证原件，再勾选此项。",
                 "Check the person's own ID card first, then tick this.")
    c.required("password", "请填写新密码。", "Enter the new password.")
    if c.values["password"] and c.values["password"] != c.values["password_again"]:
        c.refuse("password_again", "两次填写的密码不一致。", "The two entries differ.")
    if c.errors:
        return await _page(p, person_id, errors=c.errors, status_code=400)

    def work(s) -> None:
        person = people.get(s, person_id)
        require_person(staff, person)
        auth.set_person_password(s, p.env, person_id=person.id, password=c.values["password"],
                                 actor=staff.actor(Channel.COUNTER))

    done = await forms.attempt(p, p.write(work), fields=FIELDS)
    if done.failed:
        return await _page(p, person_id, errors=done.failed.errors, status_code=done.failed.status)
    return p.redirect(f"/counter/people/{person_id}", flash="password_set")
