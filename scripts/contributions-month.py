"""A month of contributions to measure ``gongji import contributions`` with (docs/contributions.md).

``python scripts/contributions-month.py DATABASE_URL N FILE``: registers about N people (the demo's households) and
writes FILE, one contribution for November 2026 for every employee among them.
"""

import csv
import sys

from sqlalchemy import select

from gongji.db import Database
from gongji.env import Env
from gongji.people.models import Enrollment, Person
from gongji_tools.demo.population import load_population


def main(url: str, count: int, out: str) -> None:
    db = Database(url)
    load_population(db, Env.from_environ(), people_count=count)
    numbers = db.read(lambda s: s.execute(select(Person.id_number).join(Enrollment)
                                          .where(Enrollment.scheme == "employee")).scalars().all())
    with open(out, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id_number", "month", "payer_kind", "employer_fen", "individual_fen", "base_fen", "paid_on"])
        for number in numbers:
            writer.writerow([number, "2026-11", "employer", 64000, 16000, 800000, "2026-11-05"])
    print(len(numbers), "employees")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3])
