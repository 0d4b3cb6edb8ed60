"""Ways into the demo: passwords for the story's cast, a counter clerk, an administrator, and two signed institutions.

These are demo credentials, printed on the screen and documented in the README: never use them
outside a demo database.
"""

from __future__ import annotations

from dataclasses import dataclass

from gongji.actors import Actor
from gongji.auth import service as auth
from gongji.db import Database
from gongji.env import Env
from gongji_tools.demo.population import Member, Population

PERSON_PASSWORD = "gongji2025"
STAFF_ID, STAFF_PASSWORD = "demo-counter", "counter2025"
ADMIN_ID, ADMIN_PASSWORD = "demo-admin", "admin2025"
#: The cast members whose logins are shown first.
SHOWN = ("wang", "wang_father", "wang_wife", "chen")


@dataclass(frozen=True)
class InstitutionLogin:
    code: str
    name: str
    secret: str


@dataclass(frozen=True)
class DemoAccess:
    people: list[Member]
    institutions: list[InstitutionLogin]


def open_doors(db: Database, env: Env, *, cast: dict[str, Member], population: Population,
               server_key: bytes) -> DemoAccess:
    """Give the cast a password, add a clerk and an administrator for every region, sign two Harbin institutions."""
    actor = Actor.system("demo")

    def work(session, env=env) -> DemoAccess:
        for member in cast.values():
            auth.set_person_password(session, env, person_id=member.id, password=PERSON_PASSWORD, actor=actor)
        auth.add_staff(session, env, staff_id=STAFF_ID, name="演示窗口", role="staff", region_prefix="",
                       password=STAFF_PASSWORD, actor=actor)
        auth.add_staff(session, env, staff_id=ADMIN_ID, name="演示管理员", role="admin", region_prefix="",
                       password=ADMIN_PASSWORD, actor=actor)
        logins = []
        for ref in (population.hospital("230100"), population.pharmacy("230100")):
            secret = auth.issue_institution_secret(session, env, server_key=server_key, code=ref.code, actor=actor)
            logins.append(InstitutionLogin(code=ref.code, name=ref.name, secret=secret))
        shown = [cast[k] for k in SHOWN if k in cast] + [m for k, m in cast.items() if k not in SHOWN]
        return DemoAccess(people=shown, institutions=logins)

    return db.run(work)
