"""``gongji import people`` keeps the social security card's identification code (卡识别码, ``card_sn``) with its
number, on both databases: what 1101 checks a card read (03) against (NI-2)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from gongji.actors import Actor
from gongji.imports import runner
from gongji.imports.people import PeopleLoader
from gongji.people.models import Enrollment, Person
from tests.imports.helpers import person_number, row, write_csv

HEADER = ("id_number", "name", "scheme", "region_code", "card_no", "card_sn")


def test_ni_2_card_sn_is_loaded_with_the_card_number(db, env, tmp_path):
    """Loaded in capitals beside the card number; a code without a card number is refused naming card_sn."""
    with_card = person_number("230100", date(1970, 1, 1), 11)
    no_code = person_number("230100", date(1970, 1, 2), 11)
    no_card = person_number("230100", date(1970, 1, 3), 11)
    path = write_csv(tmp_path / "people.csv", [
        row(with_card, "张一", region="230100", card_no="H230100001", card_sn="1a2b3c4d5e6f"),
        row(no_code, "张二", region="230100", card_no="H230100002", card_sn=""),
        row(no_card, "张三", region="230100", card_no="", card_sn="99887766"),
    ], header=HEADER)
    summary = runner.run_import(db, env, loader=PeopleLoader(), path=path, actor=Actor.system("import"))
    assert (summary.rows_loaded, summary.rows_rejected) == (2, 1)
    rejections = db.read(lambda s: [(r.row, r.field, r.code) for r in runner.rejections(s, summary.run_id)])
    assert rejections == [(4, "card_sn", "INVALID_FIELD")]

    def cards(s):
        return dict(s.execute(select(Person.id_number, Enrollment.card_sn).join(
            Enrollment, Enrollment.person_id == Person.id)).all())

    assert db.read(cards) == {with_card: "1A2B3C4D5E6F", no_code: None}


def test_ni_2_a_card_sn_header_is_the_code_not_the_card_number(db, env, tmp_path):
    """Before, a column ``card_sn`` was read as the card number; now it is the code, and the number stays empty."""
    number = person_number("110100", date(1980, 5, 5), 21)
    path = write_csv(tmp_path / "people.csv", [row(number, "李四", card_sn="ABCDEF12")],
                     header=("id_number", "name", "scheme", "region_code", "card_sn"))
    summary = runner.run_import(db, env, loader=PeopleLoader(), path=path, actor=Actor.system("import"))
    assert (summary.rows_loaded, summary.rows_rejected) == (0, 1)
