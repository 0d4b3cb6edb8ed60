"""What a notification says (HZ-4, N-9): a title and a body in plain words, in Chinese or English.

Two steps, as everywhere in Gongji. :func:`load_facts` reads what a message needs from the database
(the names of the people involved, the binding, bill, transfer or family the event was about);
:func:`compose` is pure and turns those facts into words. Who "you" is depends on the reader: the
payer reads "your account paid for 李四", the beneficiary reads "张三's account paid for you".

Amounts are shown as yuan with two decimals, computed from integer fen. Messages name people by
name only: never an ID number, a card number or a phone number.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gongji.authorizations.models import Binding, Family
from gongji.events.models import Event
from gongji.institutions.models import Institution
from gongji.notifications.composers import COMPOSED_KINDS, compose
from gongji.notifications.models import Notification
from gongji.notifications.words import LANGUAGES, Facts, MessageText, check_language
from gongji.people.models import Person
from gongji.settlement.models import Settlement
from gongji.transfers.models import ContributionPayment, Transfer
from gongji.wallet.models import WalletTransfer

__all__ = ["COMPOSED_KINDS", "LANGUAGES", "Facts", "MessageText", "check_language", "compose", "load_facts",
           "render", "render_all"]


# -- loading: the facts of many notifications at once ----------------------------------------------


def _by_id(session: Session, ids: Iterable[int], *columns) -> dict[int, Any]:
    ids = sorted(set(ids))
    if not ids:
        return {}
    key = columns[0]
    return {row[0]: row for row in session.execute(select(*columns).where(key.in_(ids))).all()}


def load_facts(session: Session, notifications: Sequence[Notification]) -> list[Facts]:
    """The facts of each notification, in the same order, with a fixed number of queries for the whole lot."""
    subjects = dict(session.execute(
        select(Event.id, Event.subject_id).where(Event.id.in_({n.event_id for n in notifications}))
    ).all()) if notifications else {}
    wanted: dict[str, set[int]] = {}
    for n in notifications:
        wanted.setdefault(n.kind.split(".")[0], set()).add(subjects.get(n.event_id, 0))
    bindings = _by_id(session, wanted.get("binding", ()), Binding.id, Binding.payer_id, Binding.beneficiary_id,
                      Binding.relationship, Binding.end_on)
    settlements = _by_id(session, wanted.get("mutual_aid", set()) | wanted.get("settlement", set()), Settlement.id,
                         Settlement.patient_id, Settlement.use, Settlement.institution_id)
    institutions = dict(_by_id(session, (s.institution_id for s in settlements.values()), Institution.id,
                               Institution.name).values())
    transfers = _by_id(session, wanted.get("transfer", ()), Transfer.id, Transfer.payer_id, Transfer.beneficiary_id,
                       Transfer.relationship)
    contributions = _by_id(session, wanted.get("contribution", ()), ContributionPayment.id,
                           ContributionPayment.payer_id, ContributionPayment.beneficiary_id)
    families = _by_id(session, wanted.get("family", ()), Family.id, Family.householder_id, Family.name)
    wallet_transfers = _by_id(session, wanted.get("wallet", ()), WalletTransfer.id, WalletTransfer.payer_id,
                              WalletTransfer.beneficiary_id, WalletTransfer.relationship)

    drafts = []
    for n in notifications:
        subject_id = subjects.get(n.event_id)
        data = n.data or {}
        facts: dict[str, Any] = {}
        area = n.kind.split(".")[0]
        if area == "binding" and (row := bindings.get(subject_id)):
            facts = dict(payer_id=row.payer_id, beneficiary_id=row.beneficiary_id, relationship=row.relationship,
                         end_on=row.end_on)
        elif area in ("mutual_aid", "settlement") and (row := settlements.get(subject_id)):
            facts = dict(beneficiary_id=row.patient_id, use=row.use,
                         institution_name=institutions.get(row.institution_id))
            if area == "mutual_aid":
                facts["payer_id"] = data.get("payer_id")
        elif area in ("transfer", "wallet") and (
                row := (transfers if area == "transfer" else wallet_transfers).get(subject_id)):
            facts = dict(payer_id=row.payer_id, beneficiary_id=row.beneficiary_id, relationship=row.relationship)
        elif area == "contribution" and (row := contributions.get(subject_id)):
            facts = dict(payer_id=row.payer_id, beneficiary_id=row.beneficiary_id)
        elif area == "family" and (row := families.get(subject_id)):
            facts = dict(payer_id=row.householder_id, beneficiary_id=data.get("member_id"), family_name=row.name,
                         relationship=data.get("relationship"))
        elif area == "agency":  # AG-1: the principal as payer_id, the agent as beneficiary_id
            facts = dict(payer_id=data.get("principal_id", n.person_id), beneficiary_id=data.get("agent_id"))
        drafts.append((n, data, facts))

    people: set[int] = set()
    for n, data, facts in drafts:
        people.update(p for p in (n.person_id, facts.get("payer_id"), facts.get("beneficiary_id")) if p)
        if isinstance(data.get("to"), dict):  # a refund's accounts (a status change's ``to`` is a status)
            people.update(int(p) for p in data["to"])
        if isinstance(data.get("agent_id"), int):  # AG-1: the agent who did it
            people.add(data["agent_id"])
    names = dict(_by_id(session, people, Person.id, Person.name).values())
    return [
        Facts(kind=n.kind, reader_id=n.person_id, data=data, names=names, **facts)
        for n, data, facts in drafts
    ]


def render_all(session: Session, notifications: Sequence[Notification], *, language: str = "zh") -> list[MessageText]:
    """The words of each notification for the person it is for, in the same order."""
    language = check_language(language)
    return [compose(facts, language) for facts in load_facts(session, notifications)]


def render(session: Session, notification: Notification, *, language: str = "zh") -> MessageText:
    """The words of one notification for the person it is for."""
    return render_all(session, [notification], language=language)[0]
