"""Every change is recorded: a broad scenario (the demo's synthetic population and its whole story, settlements and
a cancellation over the national interface, the monthly credit and the expiry job, logins and a refused access),
after which every ledger entry, binding, family change, settlement, refund, transfer, contribution, person,
institution, staff member and password is named by some event, every event says who did it and through which
channel (N-8), and the whole trail seals into a chain that verifies (N-9: what people query can be trusted).
"""

from __future__ import annotations

import io
from collections import Counter
from datetime import date
from typing import Any

from rich.console import Console
from sqlalchemy import select

from gongji.auth.models import PersonCredential, StaffMember
from gongji.authorizations.models import Binding, Family, FamilyMember
from gongji.batch.crediting import credit_month
from gongji.batch.expiry import close_expired_bindings
from gongji.cli.audit import KINDS
from gongji.clock import FixedClock
from gongji.events import audit
from gongji.events.models import Event
from gongji.institutions.models import Institution
from gongji.ledger.models import LedgerEntry
from gongji.national.models import NiSettlement
from gongji.people.models import Person
from gongji.settlement.models import Refund, Settlement
from gongji.terms import ActorKind, Channel
from gongji.transfers import service as transfers
from gongji.transfers.models import ContributionPayment, Transfer
from gongji_tools.demo import story
from gongji_tools.demo.population import load_population
from tests.national.conftest import cancel_input, institution, open_visit, settle_input

#: Event data that names another record: key → the record's type.
DATA_REFERENCES = {"entry_id": "entry", "fund_entry_id": "entry", "refund_id": "refund", "settlement_id": "settlement",
                   "member_id": "person", "staff_id": "staff"}
#: Ledger entries whose reference (ref_type, ref_id) is an event's subject or named in its data.
REFERENCED_BY_SUBJECT = {"settlement", "refund", "transfer", "contribution", "ni_settlement"}


def references(events: list[Any]) -> set[tuple[str, Any]]:
    found: set[tuple[str, Any]] = set()
    for event in events:
        found.add((event.subject_type, event.subject_id))
        for key, kind in DATA_REFERENCES.items():
            if event.data.get(key) is not None:
                found.add((kind, event.data[key]))
        found.update(("entry", entry_id) for entry_id in event.data.get("entry_ids", ()))
    return found


def rows(world, model) -> list[Any]:
    return world.db.read(lambda s: list(s.execute(select(model)).unique().scalars()))


def broad_scenario(api) -> None:
    world = api.world
    clock = world.env.clock
    clock.set(FixedClock.on(story.START).now())
    population = load_population(world.db, world.env, seed=7, people_count=40)
    told = story.tell(world.db, world.env, clock, population, Console(file=io.StringIO(), width=200))
    assert told.ledger.ok
    # The national interface: an outpatient bill the pooled fund shares in, settled and cancelled (NI-3, NI-5).
    hospital = institution(api, "H23010100099", "哈尔滨市第九十九医院")
    patient = world.person("赵建华", current_fen=20_000)
    mdtrt_id = open_visit(hospital, patient, ["500.00"])
    setl_id = hospital.ok("2207", settle_input(patient, mdtrt_id, "500.00"), psn=patient)["setlinfo"]["setl_id"]
    hospital.ok("2208", cancel_input(patient, setl_id, mdtrt_id), psn=patient)
    # A resident contribution paid for a bound daughter (N-5).
    payer = world.person("孙建国", current_fen=30_000, prior_fen=70_000)
    daughter = world.person("孙小红", born=date(2003, 3, 3), sex="F", scheme="resident")
    world.bind(payer, daughter, "child")
    world.run(lambda s, env: transfers.pay_resident_contribution(
        s, env, payer_id_number=payer.id_number, beneficiary_id_number=daughter.id_number, year=env.today().year,
        amount_fen=40_000, idempotency_key="contribution-1", actor=payer.actor))
    # The batch jobs: this month's credit, and the bindings past their end date.
    credit_month(world.db, world.env, world.env.today().strftime("%Y-%m"))
    clock.advance(days=400)
    close_expired_bindings(world.db, world.env)
    # Logins and a refused look at another person's data.
    other = world.person("钱秀英", sex="F")
    api.staff("S2301", region_prefix="2301")
    assert api.client.get(f"/v1/people/{other.id}", headers=api.person(patient)).status_code == 403


def test_n_8_n_9_every_change_is_named_by_an_event_that_says_who_and_through_which_channel(api):
    broad_scenario(api)
    world = api.world
    events = rows(world, Event)
    kinds = Counter(e.kind for e in events)
    for kind in ("binding.created", "binding.ended", "family.created", "family.member_added", "settlement.settled",
                 "mutual_aid.paid", "settlement.refunded", "transfer.made", "contribution.paid", "ni.settled",
                 "ni.cancelled", "enrollment.status_changed", "account.credited", "account.opening_balances",
                 "batch.chunk_done", "person.password_set", "staff.added", "access.refused"):
        assert kinds[kind], f"the scenario made no {kind} event"
    assert set(kinds) <= set(KINDS), set(kinds) - set(KINDS)  # each shows readably in `gongji audit show`

    for event in events:  # N-8: who, and through which channel
        assert event.actor_kind in {k.value for k in ActorKind} and event.actor_id, event
        assert event.channel in {c.value for c in Channel}, event

    named = references(events)
    unnamed: dict[str, list[Any]] = {}

    def expect(label: str, things: list[Any], key) -> None:
        missing = [thing for thing in things if key(thing) not in named]
        if missing:
            unnamed[label] = missing[:5]

    entries = rows(world, LedgerEntry)
    assert len(entries) > 20
    unnamed_entries = [e for e in entries if ("entry", e.id) not in named
                       and not (e.ref_type in REFERENCED_BY_SUBJECT and (e.ref_type, e.ref_id) in named)]
    if unnamed_entries:
        unnamed["ledger entries"] = [(e.id, e.kind, e.ref_type, e.ref_id) for e in unnamed_entries[:5]]
    expect("bindings", rows(world, Binding), lambda b: ("binding", b.id))
    expect("families", rows(world, Family), lambda f: ("family", f.id))
    expect("family members", rows(world, FamilyMember), lambda m: ("person", m.person_id))
    expect("settlements", rows(world, Settlement), lambda s: ("settlement", s.id))
    expect("refunds", rows(world, Refund), lambda r: ("refund", r.id))
    expect("transfers", rows(world, Transfer), lambda t: ("transfer", t.id))
    expect("contributions", rows(world, ContributionPayment), lambda c: ("contribution", c.id))
    expect("people", rows(world, Person), lambda p: ("person", p.id))
    expect("institutions", rows(world, Institution), lambda i: ("institution", i.id))
    expect("staff", rows(world, StaffMember), lambda m: ("staff", m.staff_id))
    expect("passwords", rows(world, PersonCredential), lambda c: ("person", c.person_id))
    expect("national settlements", rows(world, NiSettlement), lambda n: ("ni_settlement", n.id))
    assert not unnamed, unnamed

    # Each kind of change names what it changed precisely, not just somebody involved.
    by_subject = Counter((e.kind, e.subject_type, e.subject_id) for e in events)
    for binding in rows(world, Binding):
        assert by_subject[("binding.created", "binding", binding.id)] == 1
        assert by_subject[("binding.ended", "binding", binding.id)] == (binding.ended_on is not None)
    added = Counter((e.subject_id, e.data["member_id"]) for e in events if e.kind == "family.member_added")
    for member in rows(world, FamilyMember):
        assert added[(member.family_id, member.person_id)] >= 1
    for settlement in rows(world, Settlement):
        assert by_subject[("settlement.settled", "settlement", settlement.id)] == 1
    refunded = {e.data["refund_id"] for e in events if e.kind == "settlement.refunded"}
    assert refunded == {r.id for r in rows(world, Refund)}

    result = audit.seal(world.db, world.env)
    assert result.sealed == len(events)
    assert audit.verify(world.db, world.env).ok
