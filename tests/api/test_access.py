"""Who may do what: every cell of the table in docs/api.md, called for real, on SQLite and PostgreSQL.

The table is read from the documentation, so the page and the service cannot drift apart. A ✓ cell must
get past access control (any answer but 401 and 403); a ✗ cell must be refused with 401 or 403.

One scene per database serves every cell (building it per cell would take minutes): it has its own
database, so that other tests emptying theirs cannot disturb it. Cells run in the table's order, and
callers log in afresh for each cell, because some cells log out, change a password or issue a new secret.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gongji.actors import Actor
from gongji.api.app import create_app
from gongji.api.settings import ApiSettings
from gongji.auth import service as auth
from gongji.auth.signing import InstitutionAuth
from gongji.clock import FixedClock
from gongji.db import Database
from gongji.env import Env
from gongji.notifications.models import Notification
from gongji.policy import load_policies
from gongji.transfers import service as transfers
from tests.conftest import TODAY, drop_postgres_database, fresh_postgres_database, worker_name
from tests.factories import Person, World

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
CALLERS = ["anonymous", "self", "relative", "stranger", "staff", "staff elsewhere", "admin", "institution",
           "institution elsewhere"]
PASSWORD = "secret-123"
SERVER_KEY = b"access-matrix-key"
SYSTEM = Actor.system("tests")


def read_matrix() -> list[tuple[str, str, str, bool]]:
    """(method, path, caller, allowed) for every cell of the table under 'Who may do what'."""
    text_ = DOC.read_text(encoding="utf-8").split("## Who may do what", 1)[1]
    rows = [line for line in text_.splitlines() if line.startswith("| `")]
    cells = []
    for line in rows:
        parts = [p.strip() for p in line.strip("|").split("|")]
        method, path = parts[0].strip("`").split(" ", 1)
        marks = parts[1:]
        assert len(marks) == len(CALLERS), line
        assert set(marks) <= {"✓", "✗"}, line
        cells += [(method, path, caller, mark == "✓") for caller, mark in zip(CALLERS, marks, strict=True)]
    return cells


MATRIX = read_matrix()


def test_the_table_names_every_endpoint_of_the_service():
    """Every route of the OpenAPI description has a row, and every row is a route."""
    app = create_app(Database("sqlite:///:memory:"), Env(clock=FixedClock.on(TODAY), policies=load_policies()),
                     ApiSettings(server_key=SERVER_KEY, notify_sender=None))
    served = {(method.upper(), path) for path, ops in app.openapi()["paths"].items() for method in ops}
    documented = {(m, p) for m, p, _, _ in MATRIX}
    assert served == documented


# -- the scene ------------------------------------------------------------------------------------

@dataclass
class Cast:
    people: dict[str, Person]
    staff: dict[str, str]          # caller → staff id
    institutions: dict[str, str]   # caller → institution code


@dataclass
class Scene:
    world: World
    client: TestClient
    ids: dict[str, Any]
    harbin: Cast
    hangzhou: Cast
    secrets: dict[str, str] = field(default_factory=dict)

    def headers(self, cast: Cast, caller: str) -> tuple[dict[str, str], Any]:
        """(headers, httpx auth) of ``caller``, freshly logged in or freshly signed."""
        if caller == "anonymous":
            return {}, None
        if caller in cast.institutions:
            code = cast.institutions[caller]
            secret = self.world.run(lambda s, env: auth.issue_institution_secret(
                s, env, server_key=SERVER_KEY, code=code, actor=SYSTEM))
            return {}, InstitutionAuth(code, secret, clock=lambda: self.world.env.now().timestamp())
        if caller in cast.staff:
            r = self.client.post("/v1/auth/staff", json={"staff_id": cast.staff[caller], "password": PASSWORD})
        else:
            r = self.client.post("/v1/auth/person", json={"id_number": cast.people[caller].id_number,
                                                          "password": PASSWORD})
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['token']}"}, None


def _database(kind: str, tmp_path_factory, request) -> Database:
    if kind == "sqlite":
        path = tmp_path_factory.mktemp("access") / "access.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return Database(f"sqlite:///{path}")
    db = Database(fresh_postgres_database(f"gongji_access_{worker_name()}"))
    return db


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def scene(request, tmp_path_factory):
    db = _database(request.param, tmp_path_factory, request)
    env = Env(clock=FixedClock.on(TODAY), policies=load_policies())
    world = World(db=db, env=env)
    app = create_app(db, env, ApiSettings(server_key=SERVER_KEY, notify_sender=None))

    def person(name: str, **kwargs) -> Person:
        p = world.person(name, **kwargs)
        world.run(lambda s, env: auth.set_person_password(s, env, person_id=p.id, password=PASSWORD, actor=SYSTEM))
        return p

    def staff(staff_id: str, prefix: str, role: str = "staff") -> str:
        world.run(lambda s, env: auth.add_staff(s, env, staff_id=staff_id, name="经办", role=role,
                                                region_prefix=prefix, password=PASSWORD, actor=SYSTEM))
        return staff_id

    harbin = Cast(
        people={"self": person("李建国", current_fen=500_000, born=date(1960, 3, 1)),
                "relative": person("王秀英", sex="F", born=date(1962, 5, 1), current_fen=10_000),
                "stranger": person("赵四", born=date(1980, 1, 1)),
                "cousin": person("李建华", born=date(1963, 1, 1)),
                "cousin2": person("李建民", born=date(1966, 1, 1))},
        staff={"staff": staff("S2301", "2301"), "staff elsewhere": staff("S4101", "4101"),
               "admin": staff("A0001", "", "admin")},
        institutions={"institution": world.institution("H23010100001"),
                      "institution elsewhere": world.institution("H41010100001", city="zhengzhou")},
    )
    hz_people = {"self": person("杭建国", city="hangzhou", prior_fen=300_000, born=date(1960, 3, 1)),
                 "relative": person("杭秀英", city="hangzhou", sex="F", born=date(1963, 5, 1)),
                 "stranger": person("钱五", city="hangzhou", born=date(1981, 1, 1))}
    hangzhou = Cast(
        people=hz_people,
        staff={"staff": staff("S3301", "3301"), "staff elsewhere": "S2301", "admin": "A0001"},
        institutions={"institution": world.institution("H33010100001", city="hangzhou"),
                      "institution elsewhere": "H23010100001"},
    )
    me, wife = harbin.people["self"], harbin.people["relative"]
    binding_id = world.bind(me, wife)
    from gongji.authorizations import service as authorizations

    def family(s, env):
        f = authorizations.create_family(s, env, householder_id_number=me.id_number, name="李家", actor=me.actor)
        for member, rel in ((wife, "spouse"), (harbin.people["cousin"], "sibling")):
            authorizations.add_member(s, env, family_id=f.id, member_id_number=member.id_number,
                                      relationship=rel, actor=me.actor)
        return f.id

    family_id = world.run(family)
    settled = world.settle(wife, 200_000)  # paid partly from his account (N-3)
    from gongji.settlement import service as settlement

    refund = world.run(lambda s, env: settlement.refund(s, env, institution_code="H23010100001",
                                                        settlement_id=settled.settlement_id,
                                                        idempotency_key="r-1", amount_fen=100))
    transfer = world.run(lambda s, env: transfers.transfer(
        s, env, payer_id_number=hz_people["self"].id_number, beneficiary_id_number=hz_people["relative"].id_number,
        relationship="spouse", amount_fen=1_000, agreement_version=env.policy("330100").agreement_version,
        idempotency_key="t-1", actor=hz_people["self"].actor))
    from gongji.wallet import service as wallets

    world.run(lambda s, env: wallets.open_wallet(s, env, id_number=wife.id_number, actor=wife.actor))
    wallet_transfer = world.run(lambda s, env: wallets.send(
        s, env, payer_id_number=me.id_number, beneficiary_id_number=wife.id_number, relationship="spouse",
        amount_fen=100, idempotency_key="w-1", actor=me.actor))
    from gongji.agents import rules as agency_rules
    from gongji.agents import service as agencies

    agency_id = world.run(lambda s, env: agencies.grant(  # AG-1: self authorizes his wife
        s, env, principal_id_number=me.id_number, agent_id_number=wife.id_number, agent_name=wife.name,
        relationship="spouse", actions=["records"], end_on="2026-06-01", actor=me.actor,
        agreement_version=agency_rules.AGREEMENT_VERSION).id)
    notification_id = db.read(lambda s: s.query(Notification.id).filter(Notification.person_id == me.id)
                              .order_by(Notification.id).first()[0])
    ids = {"person_id": me.id, "binding_id": binding_id, "family_id": family_id,
           "settlement_id": settled.settlement_id, "refund_id": refund.refund_id, "transfer_id": transfer.id,
           "notification_id": notification_id, "wallet_transfer_id": wallet_transfer.id, "agency_id": agency_id, "code": "H23010100001", "staff_id": "S2301",
           "region_code": "230100", "prefix": "2301"}
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Scene(world=world, client=client, ids=ids, harbin=harbin, hangzhou=hangzhou)
    db.dispose()
    if request.param == "postgres":
        drop_postgres_database(f"gongji_access_{worker_name()}")


# -- what each row sends --------------------------------------------------------------------------

def body_for(method: str, path: str, scene: Scene, cast: Cast) -> dict[str, Any] | None:
    p = {**scene.harbin.people, **cast.people}
    bodies: dict[str, Any] = {
        "POST /v1/auth/person": {"id_number": p["self"].id_number, "password": PASSWORD},
        "POST /v1/auth/staff": {"staff_id": "S2301", "password": PASSWORD},
        "POST /v1/people": {"id_number": "230103199001011237", "name": "新参保", "scheme": "employee",
                            "region_code": "230100"},
        "POST /v1/people/search": {"id_number": p["self"].id_number},
        "PUT /v1/people/{person_id}/status": {"status": "normal"},
        "POST /v1/people/{person_id}/life-events": {"kind": "move", "occurred_on": "2025-06-02",
                                                   "to_region_code": "230102"},
        "PUT /v1/people/{person_id}/password": {"new_password": PASSWORD, "current_password": PASSWORD},
        "POST /v1/people/{person_id}/credits": {"amount_fen": 1},
        "POST /v1/contributions": {"contributions": [{"id_number": p["self"].id_number, "month": "2025-05",
                                                      "employer_fen": 100, "paid_on": "2025-05-02"}]},
        "POST /v1/bindings": {"payer_id_number": p["self"].id_number, "beneficiary_id_number":
                              p["relative"].id_number, "beneficiary_name": p["relative"].name,
                              "relationship": "spouse", "agreement_version": "HLJ-2024.07"},
        "POST /v1/bindings/{binding_id}/unbind": {},
        "PUT /v1/bindings/{binding_id}/monthly-limit": {"monthly_limit_fen": 10_000},
        "PUT /v1/bindings/{binding_id}/priority": {"priority": 1},
        "POST /v1/bindings/{binding_id}/pause": {},
        "POST /v1/bindings/{binding_id}/resume": {},
        "PUT /v1/bindings/{binding_id}/relationship": {"relationship": "sibling", "agreement_version": "HLJ-2024.07"},
        "POST /v1/families": {"householder_id_number": p["self"].id_number, "name": "李家"},
        "POST /v1/families/{family_id}/members": {"member_id_number": p["cousin2"].id_number,
                                                  "relationship": "sibling"},
        "PUT /v1/families/{family_id}/members/{person_id}": {"relationship": "sibling"},
        "POST /v1/families/{family_id}/leave": {},
        "POST /v1/quotes": {"patient_id_number": p["relative"].id_number, "amount_fen": 1000, "use": "outpatient"},
        "POST /v1/settlements": {"patient_id_number": p["relative"].id_number, "amount_fen": 1000,
                                 "use": "outpatient"},
        "POST /v1/settlements/{settlement_id}/refunds": {"amount_fen": 1},
        "POST /v1/settlements/{settlement_id}/cancel": {},
        "POST /v1/transfers": {"payer_id_number": p["self"].id_number, "beneficiary_id_number":
                               p["relative"].id_number, "relationship": "spouse", "amount_fen": 1,
                               "agreement_version": "HZ-2020.01"},
        "POST /v1/resident-contributions": {"payer_id_number": p["self"].id_number,
                                           "beneficiary_id_number": p["relative"].id_number, "year": 2025,
                                           "amount_fen": 40_000},
        "POST /v1/wallets": {"id_number": p["self"].id_number},
        "POST /v1/wallet-transfers": {"payer_id_number": p["self"].id_number, "beneficiary_id_number":
                                      p["relative"].id_number, "relationship": "spouse", "amount_fen": 1},
        "POST /v1/institutions": {"code": "H23010100099", "name": "新医院", "kind": "hospital",
                                  "region_code": "230100"},
        "PUT /v1/institutions/{code}/active": {"active": True},
        "POST /v1/staff": {"staff_id": "S2301-new", "name": "新经办", "role": "staff", "region_prefix": "2301",
                           "password": PASSWORD},
        "PUT /v1/staff/{staff_id}/active": {"active": True},
        "PUT /v1/regions/{prefix}/policy": {},
        "POST /v1/agencies": {"principal_id_number": p["self"].id_number, "agent_id_number": p["relative"].id_number,
                              "agent_name": p["relative"].name, "relationship": "spouse", "actions": ["records"],
                              "end_on": "2026-01-01", "agreement_version": "AG-2026-1"},
        "POST /v1/agencies/{agency_id}/end": {},
    }
    return bodies.get(f"{method} {path}")


NATIONAL = "/fsi/api/rsfComIfsService/callService"
#: The national interface's one service, also at one address per transaction (NI-1).
NATIONAL_PATHS = (NATIONAL, NATIONAL + "/{infno}")


def national_message(scene: Scene, code: str) -> dict[str, Any]:
    """A 1101 person query (NI-2) from the institution ``code``: any designated institution may ask."""
    return {"infno": "1101", "msgid": f"{code}20250602100000{len(scene.secrets):04d}", "mdtrtarea_admvs":
            "410100" if code.startswith("H41") else "230100", "insuplc_admdvs": "", "recer_sys_code": "YBXT",
            "infver": "V1.0", "opter_type": "1", "opter": "01", "opter_name": "收费员",
            "inf_time": "2025-06-02 10:00:00", "fixmedins_code": code, "fixmedins_name": "医院",
            "input": {"data": {"mdtrt_cert_type": "02",
                               "mdtrt_cert_no": scene.harbin.people["relative"].id_number}}}


def path_for(path: str, scene: Scene, cast: Cast) -> str:
    ids = {**scene.ids, "infno": "1101"}
    if path == "/v1/families/{family_id}/members/{person_id}":
        ids["person_id"] = cast.people["cousin"].id  # a member who is no caller
    return re.sub(r"\{(\w+)\}", lambda m: str(ids[m.group(1)]), path)


@pytest.mark.parametrize(("method", "path", "caller", "allowed"), MATRIX,
                         ids=[f"{m} {p} as {c}" for m, p, c, _ in MATRIX])
def test_cell(scene, method, path, caller, allowed):
    cast = scene.hangzhou if "/transfers" in path else scene.harbin
    headers, signer = scene.headers(cast, caller)
    headers["Idempotency-Key"] = f"cell-{method}-{path}-{caller}"[:100]
    body = body_for(method, path, scene, cast)
    if path in NATIONAL_PATHS:
        body = national_message(scene, cast.institutions.get(caller, "H23010100001"))
    r = scene.client.request(method, path_for(path, scene, cast), json=body, headers=headers, auth=signer)
    refused = r.status_code in (401, 403)
    assert r.status_code < 500, r.text
    if path in NATIONAL_PATHS:  # answers in the standard's envelope (NI-1), refusals too
        assert (r.json()["infcode"] == 0) is allowed, r.text
        assert refused is not allowed, r.text
        return
    if allowed:
        assert not refused, f"{caller} should get past access control: {r.status_code} {r.text}"
    else:
        assert refused, f"{caller} should be refused: {r.status_code} {r.text[:300]}"
        assert r.json()["code"] in {"AUTH_REQUIRED", "FORBIDDEN", "OUTSIDE_YOUR_REGION", "REGION_NOT_MANAGED",
                                    "INSTITUTION_OUT_OF_REGION", "SETTLEMENT_OF_OTHER_INSTITUTION",
                                    "NOT_HOUSEHOLDER", "NOT_PARTY_TO_BINDING", "ACTOR_NOT_ALLOWED", "AGENCY_NOT_IN_FORCE",
                                    "FEDERATION_SIGNATURE_INVALID"}, r.text
