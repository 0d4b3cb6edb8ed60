"""The real application over the test's database (SQLite or PostgreSQL), with callers of every kind."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gongji.actors import Actor
from gongji.api.app import create_app
from gongji.api.settings import ApiSettings
from gongji.auth import service as auth
from gongji.auth.signing import InstitutionAuth
from tests.factories import Person, World

SERVER_KEY = b"test-server-key-not-for-production"
ADMIN = Actor.system("tests")


@dataclass
class Api:
    """The service under test, and the callers that use it."""

    world: World
    client: TestClient
    settings: ApiSettings
    _tokens: dict[str, dict[str, str]] = field(default_factory=dict)

    def person(self, who: Person, password: str = "secret-123") -> dict[str, str]:
        """Headers of ``who`` logged in (a password is set first, as at a counter)."""
        if who.id_number not in self._tokens:
            self.world.run(lambda s, env: auth.set_person_password(s, env, person_id=who.id, password=password,
                                                                   actor=ADMIN))
            r = self.client.post("/v1/auth/person", json={"id_number": who.id_number, "password": password})
            assert r.status_code == 200, r.text
            self._tokens[who.id_number] = {"Authorization": f"Bearer {r.json()['token']}"}
        return self._tokens[who.id_number]

    def staff(self, staff_id: str = "S2301", *, region_prefix: str = "2301", role: str = "staff") -> dict[str, str]:
        """Headers of a staff member (or administrator) of ``region_prefix``, logged in."""
        if staff_id not in self._tokens:
            self.world.run(lambda s, env: auth.add_staff(s, env, staff_id=staff_id, name="王经办", role=role,
                                                         region_prefix=region_prefix, password="counter-123",
                                                         actor=ADMIN))
            r = self.client.post("/v1/auth/staff", json={"staff_id": staff_id, "password": "counter-123"})
            assert r.status_code == 200, r.text
            self._tokens[staff_id] = {"Authorization": f"Bearer {r.json()['token']}"}
        return self._tokens[staff_id]

    def advance(self, **delta: float) -> None:
        """Move the clock on; logins have expired by then, so callers log in again when next asked for."""
        self.world.env.clock.advance(**delta)
        self._tokens.clear()

    def admin(self, staff_id: str = "A0001", region_prefix: str = "") -> dict[str, str]:
        return self.staff(staff_id, region_prefix=region_prefix, role="admin")

    def institution(self, code: str = "H23010100001", **kwargs: Any) -> InstitutionAuth:
        """httpx auth that signs as the institution (registered first if it is new)."""
        exists = self.world.db.read(lambda s: s.execute(
            __import__("sqlalchemy").text("SELECT count(*) FROM institutions WHERE code = :c"), {"c": code}
        ).scalar_one())
        if not exists:
            self.world.institution(code, **kwargs)
        secret = self.world.run(lambda s, env: auth.issue_institution_secret(
            s, env, server_key=SERVER_KEY, code=code, actor=ADMIN))
        return InstitutionAuth(code, secret, clock=lambda: self.world.env.now().timestamp())


@pytest.fixture
def api(world) -> Api:
    settings = ApiSettings(server_key=SERVER_KEY, notify_sender=None)
    app = create_app(world.db, world.env, settings)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Api(world=world, client=client, settings=settings)
