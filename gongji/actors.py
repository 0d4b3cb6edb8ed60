"""Who does something, and through which channel (N-8). Every service that changes state takes one."""

from __future__ import annotations

from dataclasses import dataclass

from gongji.terms import ActorKind, Channel


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    id: str
    channel: Channel

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
        return self.kind is ActorKind.PERSON and self.id == str(person_id)
