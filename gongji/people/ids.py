"""The 18-character resident ID number (GB 11643): validation and what it tells.

The check digit, birth date and region part are checked by python-stdnum's ``cn.ric``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from stdnum import numdb
from stdnum.cn import ric
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError

from gongji.errors import GongjiError

_REASONS: dict[type, tuple[str, str]] = {
    InvalidLength: ("长度应为18位", "it must have 18 characters"),
    InvalidFormat: ("前17位须为数字，末位为数字或X", "the first 17 characters must be digits, the last a digit or X"),
    InvalidChecksum: ("校验位不正确，可能有数字输错", "the check digit does not match, a digit may be mistyped"),
    InvalidComponent: (
        "出生日期不存在，或地区码不存在（或在出生年份尚未启用）",
        "the birth date does not exist, or the region part does not exist (or was not in use in the birth year)",
    ),
}


@dataclass(frozen=True)
class IdNumber:
    number: str
    birth_date: date
    sex: str  # 'M' or 'F': the 17th digit is odd for men

    @property
    def region_part(self) -> str:
        return self.number[:6]


@lru_cache(maxsize=65_536)
def _birth_place_known(region_part: str, year: str) -> bool:
    """python-stdnum's check of the region part for a birth year, remembered (it searches a table of 300 kB)."""
    try:
        ric.get_birth_place(f"{region_part}{year}01010000")
    except (ValidationError, KeyError):
        return False
    return True


def _parse_quickly(value: Any) -> tuple[str, date] | None:
    """The number and birth date of a well-formed, valid ID number, checked as ``ric.validate`` checks it but with
    the region part's lookup remembered; None for anything else (the full check then says what is wrong)."""
    if not isinstance(value, str):
        return None
    number = value.strip().upper()
    if len(number) != 18 or not number.isascii() or not number[:17].isdigit():
        return None
    if number[-1] != ric.calc_check_digit(number) or not _birth_place_known(number[:6], number[6:10]):
        return None
    try:
        return number, date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def parse_id_number(value: Any, *, today: date | None = None) -> IdNumber:
    """Validate a resident ID number and derive birth date and sex; refuse it with INVALID_ID_NUMBER."""
    quick = _parse_quickly(value)
    if quick is not None and (today is None or quick[1] <= today):
        number, birth = quick
        return IdNumber(number=number, birth_date=birth, sex="M" if int(number[16]) % 2 else "F")
    shown = str(value)[:30] if value is not None else ""
    if not isinstance(value, str):
        raise GongjiError("INVALID_ID_NUMBER", value=shown, reason_zh="须为文本", reason_en="it must be text")
    try:
        number = ric.validate(value.strip().upper())
    except KeyError:  # python-stdnum knows the province but not the county
        zh, en = _REASONS[InvalidComponent]
        raise GongjiError("INVALID_ID_NUMBER", value=shown, reason_zh=zh, reason_en=en) from None
    except ValidationError as exc:
        zh, en = _REASONS.get(type(exc), ("格式不正确", "the format is wrong"))
        raise GongjiError("INVALID_ID_NUMBER", value=shown, reason_zh=zh, reason_en=en) from None
    birth = ric.get_birth_date(number)
    if today is not None and birth > today:
        raise GongjiError(
            "INVALID_ID_NUMBER", value=shown, reason_zh="出生日期晚于今天", reason_en="the birth date is in the future"
        )
    return IdNumber(number=number, birth_date=birth, sex="M" if int(number[16]) % 2 else "F")


def mask(id_number: str) -> str:
    """``230103199001011234`` → ``2301**********1234`` (for everyone but the owner)."""
    return id_number[:4] + "*" * 10 + id_number[-4:] if len(id_number) == 18 else "*" * len(id_number)


_LOC = numdb.get("cn/loc")


@lru_cache(maxsize=8_192)
def region_name(code: str) -> str:
    """The name of a division code, e.g. ``230100`` → ``黑龙江省哈尔滨市``; empty unless the whole code is known."""
    found = _LOC.info(code)
    if sum(len(prefix) for prefix, info in found if info) != 6:
        return ""
    return "".join(value.split("]")[-1] for _prefix, info in found for value in info.values())


def check_region_code(value: Any) -> str:
    if not isinstance(value, str) or len(value) != 6 or not value.isdigit() or not region_name(value):
        raise GongjiError("INVALID_REGION", value=str(value)[:20])
    return value


def compose_id_number(region_code: str, birth_date: date, sequence: int, sex: str) -> str:
    """Build a valid ID number: region, birth date, a 3-digit sequence whose last digit is odd for men, check digit.

    For synthetic populations (the demo, tests, benchmarks); never for a real person.
    """
    sequence = sequence % 1000
    if (sequence % 2 == 1) != (sex == "M"):
        sequence = (sequence + 1) % 1000
    body = f"{region_code}{birth_date:%Y%m%d}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")


def issuing_region(region_code: str, birth_date: date) -> str:
    """A division code that was in use in the birth year, for a synthetic ID number of someone enrolled in
    ``region_code``: the code itself, else its city's, else the province capital's. Codes change over time:
    Ulanqab's 150900 exists only since 2003, so a synthetic Ulanqab enrollee born earlier gets Hohhot's 150100
    (a real one would carry the old league's 152600)."""
    for code in (region_code, region_code[:4] + "00", region_code[:2] + "0100", "110100"):
        try:
            ric.get_birth_place(f"{code}{birth_date:%Y%m%d}0000")
            return code
        except ValidationError:
            continue
    return "110100"
