"""Password hashes (gongji/auth/passwords.py): OWASP's scrypt cost in production, old hashes upgraded at the next
login, and the current-password check of a password change counted as a login is (gongji/auth/throttle.py).

The suite itself hashes at a lower cost (``GONGJI_TEST_PASSWORD_COST`` in tests/conftest.py); the first test checks
what a deployment, which leaves that setting unset, gets.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from gongji.auth import passwords
from gongji.auth import service as auth
from gongji.auth.models import PersonCredential, StaffMember
from tests.api import conftest as _api_fixtures
from tests.api.conftest import ADMIN

api = _api_fixtures.api

PASSWORD = "secret-123"


def test_production_hashes_at_owasps_scrypt_parameters(monkeypatch):
    """N = 2^17, r = 8, p = 1 unless the test-only setting lowers it; the hash verifies."""
    monkeypatch.delenv(passwords.TEST_COST_SETTING, raising=False)
    assert (passwords.DEFAULT_COST, passwords.R, passwords.P) == (17, 8, 1)
    assert passwords.cost() == 17
    stored = passwords.hash_password(PASSWORD)
    assert stored.startswith("scrypt$131072$8$1$")
    assert passwords.verify_password(PASSWORD, stored) and not passwords.verify_password("wrong-123", stored)
    assert not passwords.needs_rehash(stored)
    assert passwords.needs_rehash(passwords.hash_password(PASSWORD, log2n=14))  # the former cost


def test_the_test_setting_only_lowers_the_cost(monkeypatch):
    monkeypatch.setenv(passwords.TEST_COST_SETTING, "18")
    with pytest.raises(ValueError):
        passwords.cost()


def test_a_hash_that_is_not_scrypt_or_asks_for_absurd_memory_does_not_verify():
    assert not passwords.verify_password(PASSWORD, "md5$abc")
    assert not passwords.verify_password(PASSWORD, "scrypt$1099511627776$8$1$AAAA$AAAA")


def stored_hash(api, model, key) -> str:
    return api.world.db.read(lambda s: s.get(model, key).password_hash)


def test_an_old_hash_is_stored_again_at_the_current_cost_at_the_next_login(api):
    who = api.world.person("张丽", born=date(1990, 5, 1), sex="F")
    api.world.run(lambda s, env: auth.set_person_password(s, env, person_id=who.id, password=PASSWORD, actor=ADMIN))
    old = passwords.hash_password(PASSWORD, log2n=passwords.cost() + 1)  # as made before the cost changed
    api.world.run(lambda s, env: s.execute(select(PersonCredential).where(PersonCredential.person_id == who.id))
                  .scalar_one().__setattr__("password_hash", old))
    assert passwords.needs_rehash(stored_hash(api, PersonCredential, who.id))

    r = api.client.post("/v1/auth/person", json={"id_number": who.id_number, "password": "wrong-123"})
    assert r.status_code == 401 and stored_hash(api, PersonCredential, who.id) == old  # a failure changes nothing
    r = api.client.post("/v1/auth/person", json={"id_number": who.id_number, "password": PASSWORD})
    assert r.status_code == 200, r.text
    upgraded = stored_hash(api, PersonCredential, who.id)
    assert upgraded != old and not passwords.needs_rehash(upgraded)
    assert upgraded.startswith(f"scrypt${2 ** passwords.cost()}$8$1$")
    r = api.client.post("/v1/auth/person", json={"id_number": who.id_number, "password": PASSWORD})
    assert r.status_code == 200 and stored_hash(api, PersonCredential, who.id) == upgraded


def test_a_staff_members_old_hash_is_upgraded_too(api):
    api.staff("S2301")
    old = passwords.hash_password("counter-123", log2n=passwords.cost() + 1)
    api.world.run(lambda s, env: s.get(StaffMember, "S2301").__setattr__("password_hash", old))
    r = api.client.post("/v1/auth/staff", json={"staff_id": "S2301", "password": "counter-123"})
    assert r.status_code == 200, r.text
    assert not passwords.needs_rehash(stored_hash(api, StaffMember, "S2301"))


# -- the current password of a password change ---------------------------------------------------------------


def login(api, who, password: str = PASSWORD) -> dict[str, str]:
    r = api.client.post("/v1/auth/person", json={"id_number": who.id_number, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def change(api, who, headers, current: str, new: str = "newer-456"):
    return api.client.put(f"/v1/people/{who.id}/password", headers=headers,
                          json={"current_password": current, "new_password": new})


@pytest.fixture
def person(api):
    who = api.world.person("张丽", born=date(1990, 5, 1), sex="F")
    api.world.run(lambda s, env: auth.set_person_password(s, env, person_id=who.id, password=PASSWORD, actor=ADMIN))
    return who


def test_guessing_the_current_password_is_paused_like_a_login(api, person):
    """Five wrong current passwords pause the account (429 LOGIN_THROTTLED, Retry-After), the right one too, and
    logins with it: a stolen session cannot try every password to take over the account."""
    headers = login(api, person)
    for _ in range(api.settings.login_failures_per_account):
        r = change(api, person, headers, "wrong-123")
        assert (r.status_code, r.json()["code"]) == (401, "LOGIN_FAILED"), r.text
    r = change(api, person, headers, PASSWORD)
    assert (r.status_code, r.json()["code"]) == (429, "LOGIN_THROTTLED"), r.text
    assert int(r.headers["Retry-After"]) > 0
    r = api.client.post("/v1/auth/person", json={"id_number": person.id_number, "password": PASSWORD})
    assert r.status_code == 429
    api.world.env.clock.advance(minutes=api.settings.login_window_minutes + 1)
    assert change(api, person, login(api, person), PASSWORD).status_code == 204
    login(api, person, "newer-456")


def test_a_right_current_password_clears_the_count(api, person):
    headers = login(api, person)
    for _ in range(api.settings.login_failures_per_account - 1):
        assert change(api, person, headers, "wrong-123").status_code == 401
    assert change(api, person, headers, PASSWORD).status_code == 204
    headers = login(api, person, "newer-456")
    for _ in range(api.settings.login_failures_per_account - 1):
        assert change(api, person, headers, "wrong-123", "other-789").status_code == 401
    assert change(api, person, headers, "newer-456", "other-789").status_code == 204
