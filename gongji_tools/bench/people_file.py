"""A people file of N synthetic people for ``gongji import people`` (docs/import.md's format), for the benchmark.

Households of one to six people in five cities under their regions' rules: the householder is an employee with a
personal account who binds every other member; where a region binds only inside a family (HN-1) the household is a
family led by him. Spouses, grown children and parents are employees (parents mostly retired) or residents. Every
row is valid, so that the whole file loads; written as a stream (constant memory, but for the ID numbers' counters).
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from datetime import date, timedelta
from functools import cache
from pathlib import Path

from gongji.people.ids import issuing_region
from gongji.policy import load_policies

CITIES = (("230100", 0.25), ("410100", 0.25), ("440300", 0.20), ("150900", 0.10), ("110100", 0.20))
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = ("伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
         "秀兰", "霞", "平", "刚", "桂英", "建国", "建华", "文", "华", "红梅", "志强", "海燕", "玉兰", "国庆")
HEADER = ("id_number", "name", "scheme", "region_code", "status", "enrolled_on", "retired", "contribution_base",
          "current_year_balance", "prior_years_balance", "family_householder", "family_relationship",
          "payer_id_number", "relationship", "binding_start_on")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _check(body: str) -> str:
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True)) % 11]


@cache
def _issuer(region: str, year: int) -> str:
    return issuing_region(region, date(year, 7, 1))


class _Numbers:
    def __init__(self) -> None:
        self.used: dict[tuple[str, date, str], int] = {}

    def next(self, region: str, birth: date, sex: str) -> str:
        while True:
            key = (_issuer(region, birth.year), birth, sex)
            k = self.used.get(key, 0)
            if k < 500:
                self.used[key] = k + 1
                return _check(f"{key[0]}{birth:%Y%m%d}{2 * k + 1 if sex == 'M' else 2 * k:03d}")
            birth += timedelta(days=1)


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def households(people: int, *, seed: int, today: date) -> Iterator[list[tuple]]:
    rng = random.Random(seed)
    policies = load_policies()
    family = {code: policies.for_region(code).family_required for code, _ in CITIES}
    regions, weights = [c for c, _ in CITIES], [w for _, w in CITIES]
    numbers = _Numbers()
    made = 0

    def birth(age: int) -> date:
        return today - timedelta(days=rng.randint(age * 365 + 1, age * 365 + 364))

    while made < people:
        region = rng.choices(regions, weights)[0]
        surname = rng.choice(SURNAMES)
        age = rng.randint(28, 58)
        sex = rng.choice("MF")
        members = [("employee", birth(age), sex, None, False)]
        if rng.random() < 0.7:
            members.append(("employee" if rng.random() < 0.6 else "resident", birth(max(22, age + rng.randint(-4, 4))),
                            "F" if sex == "M" else "M", "spouse", False))
        for _ in range(rng.choice((0, 0, 1, 1, 1, 2))):
            members.append(("resident", birth(max(1, age - rng.randint(24, 34))), rng.choice("MF"), "child", False))
        for parent_sex in "MF":
            if rng.random() < 0.35:
                parent_age = min(98, age + rng.randint(24, 34))
                scheme = "employee" if rng.random() < 0.6 else "resident"
                members.append((scheme, birth(parent_age), parent_sex, "parent", scheme == "employee"))
        members = members[:people - made]
        rows, head = [], None
        enrolled_on = (today - timedelta(days=rng.randint(400, 9000))).isoformat()
        start = (today - timedelta(days=rng.randint(31, 700))).isoformat()
        for scheme, born, sex_, relationship, retired in members:
            number = numbers.next(region, born, sex_)
            name = (surname if relationship in (None, "child") else rng.choice(SURNAMES)) + rng.choice(GIVEN)
            employee = scheme == "employee"
            current = rng.randrange(20_000, 600_000) if employee else 0
            prior = rng.randrange(0, 2_000_000) if employee else 0
            base = _yuan(rng.randrange(400_000, 1_500_000, 100)) if employee and not retired else ""
            in_family = family[region] and len(members) > 1
            rows.append((number, name, scheme, region, "normal", max(enrolled_on, born.isoformat()),
                         "是" if retired else "否" if employee else "", base,
                         _yuan(current) if employee else "", _yuan(prior) if employee else "",
                         (head or number) if in_family else "", relationship if in_family and head else "",
                         head or "", relationship or "", start if head else ""))
            head = head or number
        made += len(rows)
        yield rows


def write_people_file(path: Path, people: int, *, seed: int = 2025, today: date) -> int:
    """Write ``people`` rows to ``path`` (CSV, UTF-8); return how many."""
    count = 0
    with Path(path).open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for rows in households(people, seed=seed, today=today):
            writer.writerows(rows)
            count += len(rows)
    return count
