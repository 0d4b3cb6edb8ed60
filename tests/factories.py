"""Small factories for test data: valid people, institutions, credits and bindings, one call each."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from gongji.actors import Actor
from gongji.authorizations import service as authorizations
from gongji.db import Database
from gongji.db.models import Base
from gongji.env import Env
from gongji.errors import GongjiError
from gongji.institutions import service as institutions
from gongji.people import service as people
from gongji.people.ids import compose_id_number, issuing_region
from gongji.settlement import service as settlement

STAFF = Actor.staff("T0001")

#: One city per seed region (division codes valid in every birth year), and a national-default one.
CITY = {
    "harbin": "230100",  # Heilongjiang
    "qiqihar": "230200",  # Heilongjiang, another city
    "zhengzhou": "410100",  # Henan
    "luoyang": "410300",  # Henan
    "shenzhen": "440300",  # Shenzhen (city policy)
    "guangzhou": "440100",  # Guangdong, national default
    "hangzhou": "330100",  # Hangzhou
    "ningbo": "330200",  # Zhejiang, national default
    "ulanqab": "150900",  # Ulanqab
    "hohhot": "150100",  # Inner Mongolia, national default
    "beijing": "110100",  # national default
}


@dataclass
class Person:
    id: int
    id_number: str
    name: str
    region_code: str

    @property
    def actor(self) -> Actor:
        return Actor.person(self.id)


@dataclass
class World:
    db: Database
    env: Env
    _seq: itertools.count = field(default_factory=lambda: itertools.count(1))

    def run(self, fn):
        return self.db.run(lambda s: fn(s, self.env))

    def person(
        self,
        name: str = "张三",
        *,
        city: str = "harbin",
        scheme: str = "employee",
        born: date = date(1970, 1, 1),
        sex: str = "M",
        status: str = "normal",
        current_fen: int = 0,
        prior_fen: int = 0,
        card_no: str | None = None,
        card_sn: str | None = None,
        phone: str | None = None,
    ) -> Person:
        """An insured person; a card (``card_no``) gets the identification code ``card_sn`` (NI-2), by default
        ``SN`` and the card number."""
        region = CITY.get(city, city)
        seq = next(self._seq)
        id_number = compose_id_number(issuing_region(region, born), born, seq * 2 + (1 if sex == "M" else 0), sex)

        def register(s, env):
            p = people.register(s, env, id_number=id_number, name=name, scheme=scheme, region_code=region,
                                status=status, actor=STAFF, card_no=card_no, phone=phone,
                                card_sn=(card_sn or f"SN{card_no}") if card_no else None)
            if current_fen:
                people.credit(s, env, id_number=id_number, amount_fen=current_fen, actor=STAFF,
                              idempotency_key="opening:current")
            if prior_fen:
                people.credit(s, env, id_number=id_number, amount_fen=prior_fen, fund="prior_years", actor=STAFF,
                              idempotency_key="opening:prior")
            return p.id

        return Person(id=self.run(register), id_number=id_number, name=name, region_code=region)

    def institution(self, code: str = "H23010100001", *, kind: str = "hospital", city: str = "harbin",
                    name: str | None = None) -> str:
        self.run(lambda s, env: institutions.register(
            s, env, code=code, name=name or f"测试医院{code[-3:]}", kind=kind, region_code=CITY.get(city, city),
            actor=STAFF))
        return code

    def bind(self, payer: Person, beneficiary: Person, relationship: str = "spouse", **kwargs: Any) -> int:
        def make(s, env):
            agreement = env.policy(payer.region_code).agreement_version
            kwargs.setdefault("agreement_version", agreement)
            kwargs.setdefault("actor", payer.actor)
            return authorizations.bind(s, env, payer_id_number=payer.id_number,
                                       beneficiary_id_number=beneficiary.id_number, relationship=relationship,
                                       **kwargs).id

        return self.run(make)

    def settle(self, patient: Person, amount_fen: int, *, institution: str = "H23010100001", use: str = "outpatient",
               key: str | None = None, **kwargs: Any) -> settlement.SettlementResult:
        key = key or f"k-{next(self._seq)}"
        return self.run(lambda s, env: settlement.settle(
            s, env, institution_code=institution, patient_id_number=patient.id_number, amount_fen=amount_fen, use=use,
            idempotency_key=key, **kwargs))

    def balances(self, person: Person) -> people.Balances | None:
        return self.db.read(lambda s: people.balances(s, person.id))

    def total(self, person: Person) -> int:
        b = self.balances(person)
        return b.total_fen if b else 0


def snapshot(world) -> dict[str, list[str]]:
    """Every row of every table, to show that a refused request changed nothing.

    Left out: the ``access.refused`` events, which record a refused request (gongji/api/refusals.py), and the
    attempts counted towards a limit (binding requests, person look-ups: ``login_attempts`` rows of client ``-``,
    gongji/auth/throttle.py): all a refused request may leave behind; tests/events/test_refusals.py and
    tests/api/test_binding_checks.py count them.
    """
    def rows(s, table):
        query = select(table)
        if table.name == "events":
            query = query.where(table.c.kind != "access.refused")
        if table.name == "login_attempts":
            query = query.where(table.c.client != "-")
        return sorted(repr(tuple(row)) for row in s.execute(query))

    return world.db.read(lambda s: {t.name: rows(s, t) for t in Base.metadata.sorted_tables})


def refused(world, thunk, code: str) -> GongjiError:
    """Run ``thunk``, expect a refusal with ``code``, and check that no table changed."""
    before = snapshot(world)
    with pytest.raises(GongjiError) as info:
        thunk()
    assert info.value.code == code, info.value
    assert snapshot(world) == before
    return info.value
