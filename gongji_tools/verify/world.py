"""The verification run's world: a small population, its institutions' secrets, an administrator, and what the
clients may do to it (the cast), written to a JSON file the client processes read.

The population is the demo's (:func:`gongji_tools.demo.population.load_population`): households in every seed region,
registered through the services, so its bindings, families and transfers obey each region's rules. What the run
adds is an administrator whose bearer token the clients use for bindings, unbindings, transfers and credits, and a
secret for every institution, which signs the settlements and refunds.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import func, select

from gongji.actors import Actor
from gongji.auth import service as auth
from gongji.authorizations.models import Binding
from gongji.db import Database
from gongji.env import Env
from gongji.ledger.models import Account
from gongji.people.models import Person
from gongji.policy import PayerOrder, ProofPolicy
from gongji.terms import Status
from gongji.transfers.models import Transfer
from gongji_tools.demo.population import load_population

ADMIN_ID = "VERIFY-ADMIN"
SETUP = Actor.system("verify")


@dataclass
class BindingSpec:
    """A binding the clients may end and make again: the body of ``POST /v1/bindings`` and its current id."""

    binding_id: int
    body: dict


@dataclass
class Cast:
    institutions: dict[str, dict[str, str]]  # code -> {"secret", "region_code", "kind"}
    patients: list[dict]  # own-account patients: {"id_number", "region_code"}
    aided: list[dict]  # beneficiaries of a binding: {"id_number", "region_code"}
    bindings: list[BindingSpec]
    transfers: list[dict]  # bodies of POST /v1/transfers (amount left out)
    people: list[int]  # ids of people an administrator may credit
    admin_id: str = ADMIN_ID
    admin_password: str = ""
    baseline_fen: int = 0  # all personal balances when the run began

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), ensure_ascii=False))

    @classmethod
    def load(cls, path: Path) -> Cast:
        data = json.loads(Path(path).read_text())
        data["bindings"] = [BindingSpec(**b) for b in data["bindings"]]
        return cls(**data)

    def institution_for(self, region_code: str, rng) -> str:
        codes = [code for code, i in self.institutions.items() if i["region_code"] == region_code]
        return rng.choice(codes)


def personal_total(db: Database) -> int:
    return int(db.read(lambda s: s.execute(
        select(func.coalesce(func.sum(Account.balance_fen), 0)).where(Account.person_id.is_not(None))).scalar_one()))


def build(db: Database, env: Env, *, people: int, seed: int, server_key: bytes) -> Cast:
    """Load the population and make the cast (the database is migrated and empty)."""
    population = load_population(db, env, seed=seed, people_count=people)
    password = f"Vr{secrets.token_hex(10)}#9x"
    db.run(lambda s: auth.add_staff(s, env, staff_id=ADMIN_ID, name="核对员", role="admin", region_prefix="",
                                    password=password, actor=SETUP))
    institutions = {}
    for region_code, refs in population.institutions.items():
        for ref in refs:
            secret = db.run(lambda s, code=ref.code: auth.issue_institution_secret(
                s, env, server_key=server_key, code=code, actor=SETUP))
            institutions[ref.code] = {"secret": secret, "region_code": region_code, "kind": ref.kind}
    members = population.people
    by_id = {m.id: m for m in members}
    patients = [{"id_number": m.id_number, "region_code": m.region_code} for m in members
                if m.is_employee and m.status == Status.NORMAL.value and m.region_code in population.institutions]

    def read(session):
        bindings = session.execute(select(Binding.id, Binding.payer_id, Binding.beneficiary_id, Binding.relationship,
                                          Binding.region_code, Binding.priority)
                                   .where(Binding.ended_on.is_(None))).all()
        transfers = session.execute(select(Transfer.payer_id, Transfer.beneficiary_id, Transfer.relationship,
                                           Transfer.region_code)).all()
        names = dict(session.execute(select(Person.id, Person.name).where(
            Person.id.in_({b.beneficiary_id for b in bindings}))).all()) if bindings else {}
        return bindings, transfers, names

    bindings, transfers, names = db.read(read)
    credited = [m.id for m in members if m.is_employee]
    specs, aided = [], {}
    for b in bindings:
        payer, beneficiary = by_id[b.payer_id], by_id[b.beneficiary_id]
        policy = env.policy(b.region_code)
        body = {"payer_id_number": payer.id_number, "beneficiary_id_number": beneficiary.id_number,
                "beneficiary_name": names[b.beneficiary_id], "relationship": b.relationship,
                "agreement_version": policy.agreement_version}
        # The administrator binds at a counter: every document of the region's list is checked (N-8), and proof
        # of the relationship is among them where the region asks for it (HN-3).
        kinds = [kind.value for kind in policy.counter_documents]
        if policy.proof_documents is ProofPolicy.REQUIRED and "household_register" not in kinds:
            kinds.append("household_register")
        if kinds:
            body["documents"] = [{"kind": kind} for kind in kinds]
        if policy.payer_order is PayerOrder.PRIORITY:
            body["priority"] = b.priority or 1
        specs.append(BindingSpec(binding_id=b.id, body=body))
        if beneficiary.region_code in population.institutions:
            aided[beneficiary.id_number] = {"id_number": beneficiary.id_number, "region_code": beneficiary.region_code}
    transfer_bodies = [
        {"payer_id_number": by_id[t.payer_id].id_number, "beneficiary_id_number": by_id[t.beneficiary_id].id_number,
         "relationship": t.relationship, "agreement_version": env.policy(t.region_code).agreement_version}
        for t in transfers
    ]
    return Cast(institutions=institutions, patients=patients, aided=list(aided.values()), bindings=specs,
                transfers=transfer_bodies, people=list(credited), admin_password=password,
                baseline_fen=personal_total(db))
