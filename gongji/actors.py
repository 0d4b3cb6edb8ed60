"""Who does something, and through which channel (N-8). Every service that changes state takes one."""

from __future__ import annotations

from dataclasses import dataclass

from gongji.errors import GongjiError
from gongji.terms import ActorKind, Channel


@dataclass(frozen=True)
class Actor:
    """``on_behalf_of``: AG-1, an agent (代办人, the person ``id``) acting under his own login for this person through
    the agency ``agency_id``. Such an actor counts as that person (:meth:`is_person`), and every event he causes
    names both (:meth:`stamp`)."""

    kind: ActorKind
    id: str
    channel: Channel
    on_behalf_of: int | None = None
    agency_id: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not 1 <= len(self.id) <= 40 or not self.id.isprintable():
            raise GongjiError("INVALID_FIELD", field="actor.id", reason_zh="办理人编号为1至40个字符",
                              reason_en="an operator id has 1 to 40 characters")

    @classmethod
    def person(cls, person_id: int, channel: Channel = Channel.PORTAL) -> Actor:
        return cls(ActorKind.PERSON, str(person_id), channel)

    @classmethod
    def staff(cls, staff_id: str, channel: Channel = Channel.COUNTER) -> Actor:
        return cls(ActorKind.STAFF, staff_id, channel)

    @classmethod
    def institution(cls, code: str) -> Actor:
        return cls(ActorKind.INSTITUTION, code, Channel.INSTITUTION)

    @classmethod
    def system(cls, job: str = "system") -> Actor:
        return cls(ActorKind.SYSTEM, job, Channel.SYSTEM)

    @property
    def is_staff(self) -> bool:
        return self.kind is ActorKind.STAFF

    def is_person(self, person_id: int) -> bool:
        """Whether the actor is this person: himself, or his agent acting for him (AG-1). An agent acting for
        someone is not himself at that moment: he does only what he does for the principal."""
        if self.kind is not ActorKind.PERSON:
            return False
        if self.on_behalf_of is not None:
            return self.on_behalf_of == person_id
        return self.id == str(person_id)

    @classmethod
    def agent(cls, agent_id: int, *, principal_id: int, agency_id: int, channel: Channel = Channel.PORTAL) -> Actor:
        """AG-1: the person ``agent_id`` acting for ``principal_id`` through the agency ``agency_id``."""
        return cls(ActorKind.PERSON, str(agent_id), channel, on_behalf_of=principal_id, agency_id=agency_id)

    def stamp(self, data: dict | None) -> dict:
        """An event's data, with the principal and the agency when an agent acts (AG-1: records show both)."""
        data = dict(data or {})
        if self.on_behalf_of is not None:
            data["on_behalf_of"] = self.on_behalf_of
            data["agent_id"] = int(self.id)
            data["agency_id"] = self.agency_id
        return data
