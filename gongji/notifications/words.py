"""The words of notifications: the facts a message is made from, and the helpers that say them in
Chinese or English (names, amounts as yuan, dates, labels). Pure: nothing here reads the database."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from gongji.errors import GongjiError
from gongji.money import fen_to_yuan
from gongji.terms import Relationship, Use

LANGUAGES = ("zh", "en")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")


def check_language(language: Any) -> str:
    """``zh`` or ``en`` (a tag such as ``zh-CN`` or ``en-GB`` counts as its language); anything else is refused."""
    if isinstance(language, str):
        for known in LANGUAGES:
            if language.lower().startswith(known):
                return known
    raise GongjiError("INVALID_FIELD", field="language", reason_zh="可选：zh（中文）、en（英文）",
                      reason_en="one of: zh (Chinese), en (English)")


@dataclass(frozen=True)
class MessageText:
    title: str
    body: str


@dataclass(frozen=True)
class Facts:
    """Everything one message says, loaded from the database; the input of :func:`compose`.

    ``payer_id`` and ``beneficiary_id`` are the two sides of a binding, transfer, contribution or
    mutual-aid payment; for a refund ``beneficiary_id`` is the patient. For a family event
    ``payer_id`` is the householder and ``beneficiary_id`` the member concerned. Anything the
    database no longer holds is None, and the message leaves it out.
    """

    kind: str
    reader_id: int
    data: Mapping[str, Any]
    names: Mapping[int, str] = field(default_factory=dict)
    payer_id: int | None = None
    beneficiary_id: int | None = None
    relationship: str | None = None  # what the beneficiary is to the payer (the member to the householder)
    use: str | None = None
    institution_name: str | None = None
    family_name: str | None = None
    end_on: date | None = None  # a binding's last day



class Words:
    """Helpers for one message in one language: names, amounts, dates, labels."""

    def __init__(self, facts: Facts, language: str) -> None:
        self.facts = facts
        self.zh = language == "zh"

    def pick(self, zh: str, en: str) -> str:
        return zh if self.zh else en

    def text(self, title: tuple[str, str], body: tuple[str, str]) -> MessageText:
        title_, body_ = self.pick(*title), self.pick(*body)
        return MessageText(title=title_, body=body_ if self.zh else body_[:1].upper() + body_[1:])

    @property
    def reader_is_payer(self) -> bool:
        return self.facts.reader_id == self.facts.payer_id

    def name(self, person_id: Any) -> str:
        if isinstance(person_id, str) and person_id.isdigit():
            person_id = int(person_id)
        name = self.facts.names.get(person_id) if person_id is not None else None
        return name or self.pick("您的亲属", "your relative")

    @property
    def payer(self) -> str:
        if self.facts.payer_id is None and self.facts.data.get("payer_name"):  # a payer of another province (HN-9)
            return str(self.facts.data["payer_name"])
        return self.name(self.facts.payer_id)

    @property
    def beneficiary(self) -> str:
        return self.name(self.facts.beneficiary_id)

    def yuan(self, fen: Any) -> str:
        return f"{fen_to_yuan(int(fen))} {self.pick('元', 'yuan')}"

    def day(self, value: date | str | None) -> str:
        if isinstance(value, str):
            value = date.fromisoformat(value)
        if value is None:
            return ""
        if self.zh:
            return f"{value.year}年{value.month}月{value.day}日"
        return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"

    def relative(self, name: str) -> str:
        """``您的配偶 李四`` / ``your spouse 李四``; just the name if the relationship is not known."""
        try:
            relationship = Relationship(self.facts.relationship)
        except ValueError:
            return name
        return self.pick(f"您的{relationship.zh} {name}", f"your {relationship.en} {name}")

    def use(self) -> tuple[str, str]:
        """The bill's use as ``(Chinese, English)``: ``门诊费用`` / ``outpatient care``."""
        try:
            use = Use(self.facts.use)
        except ValueError:
            return "医疗费用", "medical bill"
        return f"{use.zh}费用", use.en

    def at_institution(self) -> tuple[str, str]:
        name = self.facts.institution_name
        return (f"（{name}）", f" at {name}") if name else ("", "")

    def family(self) -> tuple[str, str]:
        name = self.facts.family_name
        return (f"“{name}”", f" '{name}'") if name else ("", "")


CHECK_TIP = ("如非本人办理，请尽快联系医保经办机构。", "If you did not ask for this, contact your insurance office soon.")
