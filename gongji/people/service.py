"""People and their enrollment (N-1, N-2, HN-2, WL-5), and credits to their accounts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gongji import idempotency
from gongji.actors import Actor
from gongji.db.dialect import for_update, is_postgresql
from gongji.env import Env
from gongji.errors import GongjiError
from gongji.events.service import record as record_event
from gongji.inputs import check_id, check_optional_date, check_text
from gongji.ledger import service as ledger
from gongji.money import require_fen
from gongji.people.ids import check_region_code, parse_id_number
from gongji.people.models import Enrollment, Person
from gongji.terms import Fund, Scheme, Status, parse_enum

#: Surnames read differently from the everyday reading of their characters (单 is Shàn as a surname, not dān).
SURNAME_READINGS: dict[str, str] = {
    "尉迟": "yu4 chi2", "万俟": "mo4 qi2", "长孙": "zhang3 sun1", "澹台": "tan2 tai2", "令狐": "ling2 hu2",
    "单": "shan4", "曾": "zeng1", "解": "xie4", "仇": "qiu2", "朴": "piao2", "区": "ou1", "查": "zha1",
    "盖": "ge3", "覃": "qin2", "缪": "miao4", "乐": "yue4", "召": "shao4", "翟": "zhai2", "种": "chong2",
    "秘": "bi4", "折": "she2", "黑": "he4", "员": "yun4", "繁": "po2", "冼": "xian3", "过": "guo1",
}


def name_sort_key(name: str) -> str:
    """Pinyin with tone numbers, syllable by syllable: 李 (li3) sorts before 张 (zhang1), as people expect (HN-4).

    The surname is read as a surname (单田 is shan4 tian2, so it sorts after 丁一, ding1 yi1). pypinyin and its
    dictionaries (some 40 MB) load on the first call: a server that only settles never needs them.
    """
    from pypinyin import Style, lazy_pinyin

    for surname in (name[:2], name[:1]):
        if surname in SURNAME_READINGS and name != surname:
            rest = lazy_pinyin(name[len(surname):], style=Style.TONE3, neutral_tone_with_five=True)
            return " ".join([SURNAME_READINGS[surname], *rest]).lower()
    return " ".join(lazy_pinyin(name, style=Style.TONE3, neutral_tone_with_five=True)).lower()


def check_name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise GongjiError("INVALID_FIELD", field="name", reason_zh="请填写姓名", reason_en="the name is missing")
    value = value.strip()
    if len(value) > 50 or not value.isprintable() or any(ch in value for ch in "<>;\"'\\"):
        raise GongjiError(
            "INVALID_FIELD", field="name",
            reason_zh="姓名最多50个字，不能包含特殊符号",
            reason_en="a name has at most 50 characters and no special symbols",
        )
    return value


def check_phone(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if (not isinstance(value, str) or len(value) != 11 or not value.isascii() or not value.isdigit()
            or not value.startswith("1")):
        raise GongjiError(
            "INVALID_FIELD", field="phone",
            reason_zh="手机号码应为1开头的11位数字",
            reason_en="a mobile number has 11 digits and starts with 1",
        )
    return value


def check_card_no(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not (6 <= len(value) <= 20) or not value.isalnum() or not value.isascii():
        raise GongjiError(
            "INVALID_FIELD", field="card_no",
            reason_zh="社会保障卡号应为6至20位字母或数字",
            reason_en="a social security card number has 6 to 20 letters or digits",
        )
    return value.upper()


def register(
    session: Session,
    env: Env,
    *,
    id_number: str,
    name: str,
    scheme: str,
    region_code: str,
    actor: Actor,
    phone: str | None = None,
    card_no: str | None = None,
    card_sn: str | None = None,
    status: str = Status.NORMAL,
    enrolled_on: date | None = None,
    retired: bool = False,
    contribution_base_fen: int | None = None,
) -> Person:
    """Register an insured person with their enrollment; employees get a personal account (N-1)."""
    parsed = parse_id_number(id_number, today=env.today())
    name = check_name(name)
    scheme_ = parse_enum(Scheme, scheme, field="scheme")
    status_ = parse_enum(Status, status, field="status")
    region_code = check_region_code(region_code)
    phone = check_phone(phone)
    card_no = check_card_no(card_no)
    card_sn = check_text(card_sn, field="card_sn", max_length=32)
    if card_sn is not None and card_no is None:
        raise GongjiError("INVALID_FIELD", field="card_sn", reason_zh="卡识别码须与社会保障卡号一起登记",
                          reason_en="a card identification code is registered with its card number")
    if contribution_base_fen is not None:
        require_fen(contribution_base_fen, field="contribution_base_fen", allow_zero=True)
    enrolled_on = check_optional_date(enrolled_on, field="enrolled_on")
    if not isinstance(retired, bool):
        raise GongjiError("INVALID_FIELD", field="retired", reason_zh="须为是或否", reason_en="it is true or false")
    if session.execute(select(Person.id).where(Person.id_number == parsed.number)).first():
        raise GongjiError("PERSON_EXISTS", id_number=parsed.number)
    if card_no and session.execute(select(Enrollment.person_id).where(Enrollment.card_no == card_no)).first():
        raise GongjiError("INVALID_FIELD", field="card_no", reason_zh=f"社会保障卡号 {card_no} 已属于另一位参保人，请核对卡号",
                          reason_en=f"the card number {card_no} belongs to another insured person; check the number")
    now = env.now()
    person = Person(
        id_number=parsed.number, name=name, name_sort_key=name_sort_key(name), birth_date=parsed.birth_date,
        sex=parsed.sex, phone=phone, created_at=now,
    )
    session.add(person)
    session.flush()
    session.add(
        Enrollment(
            person_id=person.id, scheme=scheme_.value, region_code=region_code, status=status_.value,
            status_since=enrolled_on or env.today(), enrolled_on=enrolled_on or env.today(), card_no=card_no,
            card_sn=card_sn.upper() if card_sn else None, retired=retired,
            contribution_base_fen=contribution_base_fen, recorded_status=status_.value, status_cause="registered",
        )
    )
    if scheme_ is Scheme.EMPLOYEE:
        ledger.open_personal_accounts(session, person_id=person.id, region_code=region_code, at=now)
    record_event(
        session, env, kind="person.registered", actor=actor, subject_type="person", subject_id=person.id,
        concerns=[person.id], data={"scheme": scheme_.value, "region_code": region_code, "status": status_.value},
    )
    session.flush()
    session.refresh(person)
    return person


def find(session: Session, id_number: str, *, lock: bool = False) -> Person:
    """The person with this ID number; INVALID_ID_NUMBER if malformed, PERSON_NOT_FOUND if unknown."""
    parsed = parse_id_number(id_number)
    query = select(Person).where(Person.id_number == parsed.number)
    if lock:
        query = for_update(session, query, of=Person)
    person = session.execute(query).unique().scalar_one_or_none()
    if person is None:
        raise GongjiError("PERSON_NOT_FOUND", id_number=parsed.number)
    return person


def get(session: Session, person_id: int) -> Person:
    person = session.get(Person, check_id(person_id, field="person_id"))
    if person is None:
        raise GongjiError("PERSON_NOT_FOUND", id_number=f"#{person_id}")
    return person


def lock_people(session: Session, person_ids: list[int]) -> None:
    """Serialize changes that concern these people (binding caps, families): lock their rows in id order.

    What was read of them before (their enrollment, say) is read again under the lock.
    """
    ids = sorted(set(person_ids))
    if is_postgresql(session):
        session.execute(select(Person.id).where(Person.id.in_(ids)).order_by(Person.id).with_for_update()).all()
    for person_id in ids:
        enrollment = session.get(Enrollment, person_id)
        if enrollment is not None:
            session.refresh(enrollment)


def enrollment_of(person: Person) -> Enrollment:
    if person.enrollment is None:
        raise GongjiError("NOT_ENROLLED", name=person.name, status_zh="未参保", status_en="not enrolled")
    return person.enrollment


def change_status(session: Session, env: Env, *, id_number: str, status: str, actor: Actor,
                  on: date | None = None, reason: str | None = None) -> Enrollment:
    """Record a status as staff see it (HN-2, WL-5, LC-1): normal, suspended or terminated, with a reason.

    The recorded status is what the rules read while no contribution of the person is known. Once contributions
    decide it (``status_cause == 'contributions'``), recording ``normal`` or ``suspended`` is kept with its reason
    but changes nothing the rules read; ``terminated`` (death, leaving the scheme) always applies.
    """
    new = parse_enum(Status, status, field="status")
    on = check_optional_date(on, field="on")
    reason = check_text(reason, field="reason", max_length=200)
    person = find(session, id_number, lock=True)
    enrollment = enrollment_of(person)
    old = enrollment.status
    enrollment.recorded_status = new.value
    enrollment.status_reason = reason
    applies = enrollment.status_cause != "contributions" or new is Status.TERMINATED
    if applies:
        enrollment.status = new.value
        enrollment.status_since = on or env.today()
        enrollment.status_cause = "staff"
    record_event(
        session, env, kind="enrollment.status_changed" if applies else "enrollment.status_recorded", actor=actor,
        subject_type="person", subject_id=person.id, concerns=[person.id],
        data={"from": old, "to": enrollment.status, "recorded": new.value, "on": (on or env.today()).isoformat(),
              "cause": "staff", "reason": reason},
    )
    session.flush()
    return enrollment


@dataclass(frozen=True)
class Balances:
    current_year_fen: int
    prior_years_fen: int

    @property
    def total_fen(self) -> int:
        return self.current_year_fen + self.prior_years_fen


def balances(session: Session, person_id: int) -> Balances | None:
    accounts = ledger.personal_accounts(session, person_id)
    if Fund.CURRENT_YEAR not in accounts and Fund.PRIOR_YEARS not in accounts:
        return None  # no personal account (a resident may still hold a wallet, WAL-1)
    return Balances(
        current_year_fen=accounts[Fund.CURRENT_YEAR].balance_fen if Fund.CURRENT_YEAR in accounts else 0,
        prior_years_fen=accounts[Fund.PRIOR_YEARS].balance_fen if Fund.PRIOR_YEARS in accounts else 0,
    )


def credit(
    session: Session,
    env: Env,
    *,
    id_number: str,
    amount_fen: int,
    actor: Actor,
    idempotency_key: str,
    fund: str = Fund.CURRENT_YEAR,
    memo: str = "monthly credit",
) -> int:
    """Credit a person's account (a monthly amount or a correction): a posting from the region's credits account.

    Idempotent by key per person (a monthly job uses e.g. ``monthly:2025-06``), so a rerun or a retry credits
    once. A terminated enrollment receives no credits. Returns the ledger entry's id.
    """
    key = idempotency.check_key(idempotency_key)
    require_fen(amount_fen, field="amount_fen")
    fund_ = parse_enum(Fund, fund, field="fund")
    if fund_ is Fund.WALLET:  # WAL-1: a wallet receives only what relatives send
        raise GongjiError("INVALID_FIELD", field="fund", reason_zh="医保钱包只接收亲属转入，不能记入；可选：current_year、"
                          "prior_years", reason_en="a wallet receives only what relatives send; one of: current_year, "
                          "prior_years")
    if not isinstance(memo, str) or len(memo) > 200:
        raise GongjiError("INVALID_FIELD", field="memo", reason_zh="备注为最多200字的文字",
                          reason_en="a memo is text of at most 200 characters")
    person = find(session, id_number)
    scope = f"credit:{person.id}"
    content = {"amount_fen": amount_fen, "fund": fund_.value, "memo": memo}
    earlier = idempotency.find(session, scope=scope, key=key, content=content)
    if earlier is not None:
        return earlier.result_id
    enrollment = enrollment_of(person)
    if enrollment.status == Status.TERMINATED.value:
        raise GongjiError("NOT_ENROLLED", name=person.name, status_zh=Status.TERMINATED.zh,
                          status_en=Status.TERMINATED.en)
    accounts = ledger.personal_accounts(session, person.id)
    if fund_ not in accounts:
        raise GongjiError("ACCOUNT_NOT_FOUND", name=person.name)
    region = enrollment.region_code
    source = ledger.system_account(session, kind=ledger.CREDITS, key=region, region_code=region, at=env.now())
    entry_id = ledger.post(
        session, kind="credit", at=env.now(), on=env.today(), ref_type="person", ref_id=person.id, memo=memo,
        legs=[ledger.Leg(source, -amount_fen), ledger.Leg(accounts[fund_].id, amount_fen)],
    )
    idempotency.remember(session, scope=scope, key=key, content=content, result_type="entry", result_id=entry_id,
                         at=env.now())
    record_event(
        session, env, kind="account.credited", actor=actor, subject_type="person", subject_id=person.id,
        concerns=[person.id], data={"amount_fen": amount_fen, "fund": fund_.value, "entry_id": entry_id},
    )
    return entry_id


def search(session: Session, *, id_number: str | None = None, card_no: str | None = None, name: str | None = None,
           birth_date: date | None = None, limit: int = 50) -> list[Person]:
    """Find people the way a counter does (N-8): by ID number, by social security card number, or by name and
    birth date. Exactly one way is given; an ID number that is malformed or unknown is refused as :func:`find`
    refuses it, the other ways answer an empty list when nobody matches. Who may see whom is the caller's check.
    """
    by_name = name is not None or birth_date is not None
    if (id_number is not None) + (card_no is not None) + by_name != 1 or (by_name and (not name or not birth_date)):
        raise GongjiError("INVALID_REQUEST", summary_zh="请只用一种方式查找：身份证号码；社会保障卡号；姓名加出生日期",
                          summary_en="find by one of: the ID number; the card number; the name with the birth date")
    if id_number is not None:
        return [find(session, id_number)]
    if card_no is not None:
        return list(session.execute(
            select(Person).join(Enrollment).where(Enrollment.card_no == card_no.strip().upper())
        ).unique().scalars())
    return list(session.execute(
        select(Person).where(Person.name == name.strip(), Person.birth_date == birth_date)
        .order_by(Person.id).limit(limit)
    ).unique().scalars())
