"""Recording contributions and bringing the status they decide up to date (LC-1..LC-4), with an event per change.

The one place that writes the ``contributions`` table. Services flush; the caller's transaction commits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from gongji.actors import Actor
from gongji.contributions import rules
from gongji.contributions.models import Contribution
from gongji.env import Env
from gongji.errors import GongjiError
from gongji.events.service import record as record_event
from gongji.inputs import check_date
from gongji.people.ids import parse_id_number
from gongji.people.models import Enrollment, Person
from gongji.terms import Status

PAYER_KINDS = ("employer", "individual")
MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
#: The largest monthly amount a row may carry, in fen (1,000,000 yuan): beyond it a figure is a typing error.
MAX_FEN = 100_000_000


@dataclass(frozen=True)
class Row:
    """One checked contribution, as it came in (by ID number)."""

    id_number: str
    month: str
    payer_kind: str
    employer_fen: int
    individual_fen: int
    base_fen: int
    paid_on: date

    def paid(self) -> rules.Paid:
        return rules.Paid(self.month, self.paid_on, self.payer_kind)


def _invalid(field_: str, zh: str, en: str) -> GongjiError:
    return GongjiError("INVALID_FIELD", field=field_, reason_zh=zh, reason_en=en)


def _fen(value: Any, field_: str) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_FEN:
        raise _invalid(field_, "须为0至100000000之间的整数（单位：分）",
                       "it is a whole number of fen from 0 to 100000000")
    return value


def check_row(data: Any, *, today: date) -> Row:
    """A contribution as a mapping of fields (a CSV row, a JSON object), checked field by field (LC-1)."""
    if not isinstance(data, dict):
        raise GongjiError("INVALID_REQUEST", summary_zh="每条缴费记录应为一个对象",
                          summary_en="each contribution is an object of fields")
    known = {"id_number", "month", "payer_kind", "employer_fen", "individual_fen", "base_fen", "paid_on"}
    extra = sorted(set(data) - known)
    if extra:
        raise _invalid(str(extra[0])[:40], "未知字段，可用字段：" + "、".join(sorted(known)),
                       "an unknown field; the fields are: " + ", ".join(sorted(known)))
    id_number = parse_id_number(str(data.get("id_number") or "")).number
    month = data.get("month")
    if not isinstance(month, str) or not MONTH.match(month.strip()):
        raise _invalid("month", "应为“年-月”，如2026-09", "it is a year and month, like 2026-09")
    month = month.strip()
    payer_kind = data.get("payer_kind") or "employer"
    if payer_kind not in PAYER_KINDS:
        raise _invalid("payer_kind", "可选：employer（单位缴费）、individual（个人缴费）",
                       "one of: employer, individual")
    employer_fen = _fen(data.get("employer_fen", 0), "employer_fen")
    individual_fen = _fen(data.get("individual_fen", 0), "individual_fen")
    base_fen = _fen(data.get("base_fen", 0), "base_fen")
    if employer_fen + individual_fen == 0:
        raise _invalid("individual_fen", "单位和个人缴费合计应大于0；未缴费的月份不要列出",
                       "the employer and individual parts add up to more than 0; leave unpaid months out")
    if payer_kind == "individual" and employer_fen:
        raise _invalid("employer_fen", "个人缴费没有单位部分，应为0", "an individual's contribution has no employer part")
    paid_on = check_date(data.get("paid_on"), field="paid_on")
    if paid_on > today:
        raise _invalid("paid_on", f"缴费日期不能晚于今天（{today.isoformat()}）",
                       f"the day of payment cannot be after today ({today.isoformat()})")
    index = rules.month_index(month)
    if index > rules.of_day(paid_on) + 12:
        raise _invalid("month", "预缴最多提前12个月", "a payment in advance covers at most the next 12 months")
    return Row(id_number, month, payer_kind, employer_fen, individual_fen, base_fen, paid_on)


@dataclass
class Recorded:
    """What :func:`record` did: rows new, changed and already there, and the people they concern."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    person_ids: set[int] = field(default_factory=set)


def people_by_id_number(session: Session, id_numbers: Iterable[str]) -> dict[str, tuple[int, str]]:
    """ID number → (person id, scheme) of those enrolled here."""
    numbers = sorted(set(id_numbers))
    found: dict[str, tuple[int, str]] = {}
    for start in range(0, len(numbers), 500):
        for number, person_id, scheme in session.execute(
                select(Person.id_number, Person.id, Enrollment.scheme).join(Enrollment)
                .where(Person.id_number.in_(numbers[start:start + 500]))):
            found[number] = (person_id, scheme)
    return found


def unknown_person(row: Row) -> GongjiError:
    return GongjiError("PERSON_NOT_FOUND", id_number=row.id_number)


def record(session: Session, env: Env, *, rows: Sequence[Row], people: dict[str, tuple[int, str]],
           source: str) -> Recorded:
    """Store checked rows of known people, once per person and month: a row already there unchanged is left
    alone, a different one for the same month (a correction) replaces it. Re-recording a file changes nothing."""
    result = Recorded()
    keys = [(people[r.id_number][0], r.month) for r in rows]
    existing = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        for row in session.execute(select(Contribution).where(
                tuple_(Contribution.person_id, Contribution.month).in_(chunk))).scalars():
            existing[(row.person_id, row.month)] = row
    now = env.now()
    for row, key in zip(rows, keys, strict=True):
        values = {"payer_kind": row.payer_kind, "employer_fen": row.employer_fen,
                  "individual_fen": row.individual_fen, "base_fen": row.base_fen, "paid_on": row.paid_on}
        stored = existing.get(key)
        if stored is None:
            stored = Contribution(person_id=key[0], month=row.month, source=source[:80], recorded_at=now, **values)
            session.add(stored)
            existing[key] = stored
            result.inserted += 1
        elif all(getattr(stored, name) == value for name, value in values.items()):
            result.unchanged += 1
            continue
        else:
            for name, value in values.items():
                setattr(stored, name, value)
            stored.source, stored.recorded_at = source[:80], now
            result.updated += 1
        result.person_ids.add(key[0])
    session.flush()
    return result


def paid_of(session: Session, person_id: int) -> list[rules.Paid]:
    return [rules.Paid(month, paid_on, kind) for month, paid_on, kind in session.execute(
        select(Contribution.month, Contribution.paid_on, Contribution.payer_kind)
        .where(Contribution.person_id == person_id).order_by(Contribution.month))]


def months_of(session: Session, person_id: int) -> list[Contribution]:
    return list(session.execute(select(Contribution).where(Contribution.person_id == person_id)
                                .order_by(Contribution.month)).scalars())


def refresh(session: Session, env: Env, *, person_ids: Iterable[int], actor: Actor) -> int:
    """Bring the status the rules read up to date with the contributions, today (LC-1): one event per change,
    with its cause (the last covered month). Returns how many changed."""
    changed = 0
    today = env.today()
    ids = sorted(set(person_ids))
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        paid: dict[int, list[rules.Paid]] = {person_id: [] for person_id in chunk}
        for person_id, month, paid_on, kind in session.execute(
                select(Contribution.person_id, Contribution.month, Contribution.paid_on, Contribution.payer_kind)
                .where(Contribution.person_id.in_(chunk))):
            paid[person_id].append(rules.Paid(month, paid_on, kind))
        for enrollment in session.execute(select(Enrollment).where(Enrollment.person_id.in_(chunk))).scalars():
            if _apply(session, env, enrollment, paid[enrollment.person_id], today=today, actor=actor):
                changed += 1
    session.flush()
    return changed


def _apply(session: Session, env: Env, enrollment: Enrollment, paid: list[rules.Paid], *, today: date,
           actor: Actor) -> bool:
    policy = env.policy(enrollment.region_code).contributions
    derived = rules.status_on(paid, policy, on=today)
    if derived is None:
        return False
    recorded = Status(enrollment.recorded_status)
    status = rules.combined_status(recorded=recorded, derived=derived)
    since = derived.since if status is derived.status else enrollment.status_since
    enrollment.last_paid_month = derived.last_paid_month
    if recorded is Status.TERMINATED:
        return False
    if (enrollment.status, enrollment.status_since, enrollment.status_cause) == (status.value, since, "contributions"):
        return False
    old = enrollment.status
    enrollment.status, enrollment.status_since, enrollment.status_cause = status.value, since, "contributions"
    if old != status.value:
        data = {"from": old, "to": status.value, "on": since.isoformat(), "cause": "contributions",
                "last_paid_month": derived.last_paid_month}
        if status is Status.NORMAL:  # LC-4: restored into a waiting period or a reduced share: its last day
            share = rules.pooled_share(paid, policy, on=today, recorded=recorded)
            if share.reason in ("waiting", "reduced"):
                data.update(pooled_share=share.reason, pooled_share_permille=share.permille,
                            pooled_share_last_day=share.last_day.isoformat())
        record_event(
            session, env, kind="enrollment.status_changed", actor=actor, subject_type="person",
            subject_id=enrollment.person_id, concerns=[enrollment.person_id], data=data,
        )
        return True
    return False


def pooled_share(session: Session, env: Env, enrollment: Enrollment, *, on: date | None = None) -> rules.Share:
    """LC-2, LC-4: the pooled fund's share for this enrollment today (or ``on``), from its contributions."""
    policy = env.policy(enrollment.region_code).contributions
    day = on or env.today()
    recorded = Status(enrollment.recorded_status)  # with no contribution known, the status the rules read
    return rules.pooled_share(paid_of(session, enrollment.person_id), policy, on=day, recorded=recorded)

