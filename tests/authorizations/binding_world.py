"""Helpers of the binding tests on both databases (tests/authorizations/test_service*.py): read a binding or
all of them, unbind, suspend a person, read his authorization records."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from gongji.actors import Actor
from gongji.authorizations import service as authorizations
from gongji.authorizations.models import Binding
from gongji.clock import CST
from gongji.people import service as people
from gongji.records import service as records
from tests.factories import STAFF

TODAY = date(2025, 6, 2)
NOW = datetime(2025, 6, 2, 10, tzinfo=CST)
HENAN_PROOF = [{"kind": "household_register", "file_ref": "upload/1.pdf"}]


def binding(world, binding_id: int) -> Binding:
    def read(s):
        row = s.get(Binding, binding_id)
        _ = row.documents  # load while the session is open
        return row

    return world.db.read(read)


def bindings(world) -> list[Binding]:
    return world.db.read(lambda s: list(s.execute(select(Binding).order_by(Binding.id)).scalars()))


def unbind(world, binding_id: int, actor: Actor, note: str | None = None) -> Binding:
    return world.run(lambda s, env: authorizations.unbind(s, env, binding_id=binding_id, actor=actor, note=note))


def suspend(world, person) -> None:
    world.run(lambda s, env: people.change_status(s, env, id_number=person.id_number, status="suspended",
                                                  actor=STAFF))


def records_of(world, person, **kwargs) -> records.Page:
    return world.db.read(lambda s: records.authorization_records(
        s, person_id=person.id, today=world.env.today(), **kwargs))
