"""Login throttling (gongji/auth/throttle.py), over HTTP on both databases: a password cannot be guessed.

Five failed logins of one account within fifteen minutes pause it, the right password included, until the
oldest of them is fifteen minutes old; fifty from one client address pause that address. The count is in the
database, so two application processes over one database share it. The clock is the tests' FixedClock.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from fastapi.testclient import TestClient

from gongji.api.app import create_app
from gongji.api.settings import ApiSettings
from gongji.auth import throttle
from gongji.db import Database
from tests.api import conftest as _api_fixtures
from tests.api.conftest import SERVER_KEY, Api
from tests.web.helpers import csrf_of, field_error

api = _api_fixtures.api

PASSWORD = "secret-123"


def person_login(api: Api, person, password: str, **kwargs):
    return api.client.post("/v1/auth/person", json={"id_number": person.id_number, "password": password}, **kwargs)


def staff_login(api: Api, staff_id: str, password: str):
    return api.client.post("/v1/auth/staff", json={"staff_id": staff_id, "password": password})


def code(response) -> str:
    return response.json()["code"]


def held(api: Api, kind: str, identifier: str) -> int:
    return api.world.db.read(lambda s: throttle.count(s, kind=kind, identifier=identifier))


@pytest.fixture
def person(api):
    """A person with a password, logged in once (api.person sets the password and logs in)."""
    who = api.world.person("张丽", born=date(1990, 5, 1), sex="F")
    api.person(who, PASSWORD)
    return who


def test_five_failures_pause_the_account_even_for_the_right_password(api, person):
    """After five wrong passwords the sixth attempt is refused with 429 LOGIN_THROTTLED before the password is
    looked at: the right one too. The answer says when to try again, in Chinese and English, with Retry-After."""
    for _ in range(5):
        assert code(person_login(api, person, "wrong-123")) == "LOGIN_FAILED"
    paused = person_login(api, person, PASSWORD)
    assert paused.status_code == 429 and code(paused) == "LOGIN_THROTTLED", paused.text
    body = paused.json()
    assert body["params"]["retry_at"] == "2025-06-02 10:15"  # the clock stands at 10:00 CST
    assert "2025-06-02 10:15" in body["detail"] and "15分钟内5次" in body["detail"] and "该账号" in body["detail"]
    assert paused.headers["Retry-After"] == "900"
    english = person_login(api, person, PASSWORD, headers={"Accept-Language": "en"})
    assert "Too many failed logins for this account" in english.json()["detail"]
    assert "after 2025-06-02 10:15 China Standard Time" in english.json()["detail"]
    assert held(api, "person", person.id_number) == 5  # refused attempts are not counted


def test_the_pause_ends_when_the_window_has_passed_since_the_oldest_failure(api, person):
    """A sliding window: failures at 10:00, 10:05 (×4); at 10:14 still paused until 10:15; then one more try is
    allowed (four failures remain in the window), and the right password clears the count."""
    clock = api.world.env.clock
    assert code(person_login(api, person, "wrong-123")) == "LOGIN_FAILED"
    clock.advance(minutes=5)
    for _ in range(4):
        assert code(person_login(api, person, "wrong-123")) == "LOGIN_FAILED"
    clock.advance(minutes=9)
    paused = person_login(api, person, PASSWORD)
    assert code(paused) == "LOGIN_THROTTLED" and paused.json()["params"]["retry_at"] == "2025-06-02 10:15"
    assert paused.headers["Retry-After"] == "60"
    clock.advance(minutes=1, seconds=1)
    assert code(person_login(api, person, "wrong-123")) == "LOGIN_FAILED"  # 10:15:01, four left in the window
    assert code(person_login(api, person, PASSWORD)) == "LOGIN_THROTTLED"  # five again
    clock.advance(minutes=5)  # 10:20:01: the four of 10:05 are out
    ok = person_login(api, person, PASSWORD)
    assert ok.status_code == 200, ok.text
    assert held(api, "person", person.id_number) == 0
    for _ in range(4):  # a fresh start after a success
        assert code(person_login(api, person, "wrong-123")) == "LOGIN_FAILED"
    assert person_login(api, person, PASSWORD).status_code == 200


def test_one_account_paused_leaves_the_others_alone(api, person):
    other = api.world.person("王强", born=date(1985, 1, 1))
    api.person(other, PASSWORD)
    api._tokens.clear()
    for _ in range(5):
        person_login(api, person, "wrong-123")
    assert code(person_login(api, person, PASSWORD)) == "LOGIN_THROTTLED"
    assert person_login(api, other, PASSWORD).status_code == 200


def test_an_unknown_account_is_paused_alike_and_a_malformed_id_number_is_not_counted(api):
    """Whether the account exists is not told by throttling either; an ID number that is not valid is refused as
    such (422) and counts for nothing, since it could not log in."""
    stranger = "11010519491231002X"
    for _ in range(5):
        r = api.client.post("/v1/auth/person", json={"id_number": stranger, "password": "guess-1234"})
        assert code(r) == "LOGIN_FAILED"
    r = api.client.post("/v1/auth/person", json={"id_number": stranger.lower(), "password": "guess-1234"})
    assert code(r) == "LOGIN_THROTTLED"  # the same account however it is typed
    for _ in range(6):
        r = api.client.post("/v1/auth/person", json={"id_number": "110105194912310021", "password": "guess-1234"})
        assert code(r) == "INVALID_ID_NUMBER"


def test_staff_logins_are_throttled_too(api):
    api.staff("S2301")
    for _ in range(5):
        assert code(staff_login(api, "S2301", "wrong-1234")) == "LOGIN_FAILED"
    paused = staff_login(api, "S2301", "counter-123")
    assert paused.status_code == 429 and code(paused) == "LOGIN_THROTTLED"
    api.world.env.clock.advance(minutes=15)
    assert staff_login(api, "S2301", "counter-123").status_code == 200


def test_attempts_sent_at_once_are_each_counted_before_any_is_decided(api, person):
    """Twenty wrong passwords sent at the same time: five are checked (LOGIN_FAILED), the rest are refused;
    the count is taken before the slow password check, so concurrency does not buy more guesses."""
    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(lambda _: person_login(api, person, "wrong-123"), range(20)))
    codes = sorted(code(a) for a in answers)
    assert codes == ["LOGIN_FAILED"] * 5 + ["LOGIN_THROTTLED"] * 15, codes


@pytest.fixture
def small_limits(world):
    """The application with low limits (2 per account, 4 per client), and a client at another address."""
    settings = ApiSettings(server_key=SERVER_KEY, notify_sender=None, login_failures_per_account=2,
                           login_failures_per_client=4, login_window_minutes=10)
    app = create_app(world.db, world.env, settings)
    with TestClient(app, raise_server_exceptions=False, client=("10.0.0.7", 40000)) as near, \
            TestClient(app, raise_server_exceptions=False, client=("10.9.9.9", 40000)) as far:
        yield Api(world=world, client=near, settings=settings), far


def test_many_failures_from_one_address_pause_the_address(small_limits):
    """Guessing across many accounts from one address: after four failures the address is paused, whatever
    account it names next; another address is not."""
    api, far = small_limits
    w = api.world
    people = [w.person(name, born=date(1980 + i, 1, 1)) for i, name in enumerate(["甲一", "乙二", "丙三"])]
    for who in people:
        api.person(who, PASSWORD)
    api._tokens.clear()
    for who in people[:2]:
        for _ in range(2):
            assert code(person_login(api, who, "wrong-123")) == "LOGIN_FAILED"
    paused = person_login(api, people[2], PASSWORD)
    assert code(paused) == "LOGIN_THROTTLED" and "来自您网络地址的" in paused.json()["detail"]
    assert paused.json()["params"]["limit"] == 4
    r = far.post("/v1/auth/person", json={"id_number": people[2].id_number, "password": PASSWORD})
    assert r.status_code == 200, r.text
    r = far.post("/v1/auth/person", json={"id_number": people[0].id_number, "password": PASSWORD})
    assert code(r) == "LOGIN_THROTTLED" and "该账号" in r.json()["detail"]  # that account is paused everywhere


def test_two_processes_over_one_database_share_the_count(api, person):
    """Workers of ``gongji serve --workers N`` are processes with their own engines: the count is in the database.
    Here a second application with its own Database over the same database stands for the second worker."""
    second_db = Database(api.world.db.url)
    try:
        second = create_app(second_db, api.world.env, api.settings)
        with TestClient(second, raise_server_exceptions=False) as other:
            for client in (api.client, other, api.client, other, api.client):
                r = client.post("/v1/auth/person", json={"id_number": person.id_number, "password": "wrong-123"})
                assert code(r) == "LOGIN_FAILED"
            r = other.post("/v1/auth/person", json={"id_number": person.id_number, "password": PASSWORD})
            assert code(r) == "LOGIN_THROTTLED"
    finally:
        second_db.dispose()


def test_the_portal_and_counter_login_forms_are_throttled(api, person):
    """The pages have their own login forms; they count against the same accounts, and say when to retry next to
    the password field."""
    def form(path: str, data: dict[str, str]):
        token = csrf_of(api.client.get(path).text)
        return api.client.post(path, data={"csrf": token, **data}, follow_redirects=False)

    for _ in range(3):
        assert form("/portal/login", {"id_number": person.id_number, "password": "wrong-123"}).status_code == 400
    for _ in range(2):
        person_login(api, person, "wrong-123")
    r = form("/portal/login", {"id_number": person.id_number, "password": PASSWORD})
    assert r.status_code == 429 and "2025-06-02 10:15" in field_error(r.text, "password")
    api.staff("S2301")
    for _ in range(5):
        assert form("/counter/login", {"staff_id": "S2301", "password": "wrong-1234"}).status_code == 400
    r = form("/counter/login", {"staff_id": "S2301", "password": "counter-123"})
    assert r.status_code == 429 and re.search("登录失败次数过多", field_error(r.text, "password"))
