"""Small people files for the import tests."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from gongji.people.ids import issuing_region

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(body: str) -> str:
    """The 18-character resident ID for a 17-digit body (GB 11643 check digit)."""
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True)) % 11]

HEADER = ("id_number", "name", "scheme", "region_code", "status", "retired", "current_year_balance",
          "prior_years_balance", "family_householder", "family_relationship", "payer_id_number", "relationship",
          "binding_start_on", "binding_end_on", "priority")


def person_number(region: str, birth: date, sequence: int) -> str:
    return id_number(f"{issuing_region(region, birth)}{birth:%Y%m%d}{sequence % 1000:03d}")


def row(number: str, name: str, scheme: str = "employee", region: str = "110100", **extra) -> dict:
    return {"id_number": number, "name": name, "scheme": scheme, "region_code": region, **extra}


def write_csv(path: Path, rows: list[dict], header=HEADER, encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as out:
        writer = csv.DictWriter(out, fieldnames=header)
        writer.writeheader()
        for r in rows:
            writer.writerow(r)
    return path


def employees(count: int, region: str = "110100", balance: str = "100.00") -> list[dict]:
    """``count`` employees born on consecutive days, each with ``balance`` yuan of current-year funds."""
    rows = []
    for i in range(count):
        birth = date(1960, 1, 1).fromordinal(date(1960, 1, 1).toordinal() + i)
        rows.append(row(person_number(region, birth, 11), f"职工{i}", region=region, current_year_balance=balance))
    return rows
