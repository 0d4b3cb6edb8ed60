"""Password reset at the counter (N-8): only after the ID card is checked, the two entries the same and strong
enough; the person's open logins end, and he logs in with the new password."""

from __future__ import annotations

from tests.web.helpers import desk_fixture, field_error, notice  # noqa: F401


def test_n_8_staff_reset_a_password_after_checking_the_id_card(desk):
    w = desk.world
    person = w.person("王建国", current_fen=300_000)
    desk.log_in()
    page = f"/counter/people/{person.id}/password"
    assert 'data-testid="reset-password"' in desk.get(f"/counter/people/{person.id}").text
    r = desk.post(page, {"password": "new-pass-123", "password_again": "new-pass-123"}, token_from=page)
    assert r.status_code == 400 and field_error(r.text, "id_checked")
    r = desk.post(page, {"id_checked": "yes", "password": "new-pass-123", "password_again": "other-123"},
                  token_from=page)
    assert r.status_code == 400 and field_error(r.text, "password_again")
    r = desk.post(page, {"id_checked": "yes", "password": "short", "password_again": "short"}, token_from=page)
    assert r.status_code in (400, 422) and field_error(r.text, "password")
    r = desk.post(page, {"id_checked": "yes", "password": "new-pass-123", "password_again": "new-pass-123"},
                  token_from=page)
    assert r.status_code == 303 and "新密码已设置" in notice(desk.follow(r).text)
    login = desk.client.post("/portal/login", follow_redirects=False, data={
        "csrf": desk.csrf("/portal/login"), "id_number": person.id_number, "password": "new-pass-123",
        "next": "/portal"})
    assert login.status_code == 303 and login.headers["location"] == "/portal"


def test_n_8_a_person_of_another_region_cannot_have_his_password_reset_here(desk):
    w = desk.world
    other = w.person("陈伟", city="shenzhen")
    desk.log_in()
    r = desk.get(f"/counter/people/{other.id}/password")
    assert r.status_code == 403
