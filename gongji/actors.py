"""Who does something, and through which channel (N-8). Every service that changes state takes one."""

from __future__ import annotations

from dataclasses import dataclass

from gongji.errors import GongjiError
from gongji.terms import ActorKind, Channel


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    id: str
    channel: Channel

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
        return self.kind is ActorKind.PERSON and self.id == str(person_id)
