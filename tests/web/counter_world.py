"""What the counter's tests share: the regions' checklists as forms tick them, a binding form, a family to act for."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from gongji.authorizations.models import Binding
from tests.conftest import TODAY

HARBIN_DOCS = {"doc_e_voucher": "yes", "doc_id_card": "yes", "doc_commitment_letter": "yes"}  # HLJ-9
HENAN_DOCS = {"doc_id_card": "yes", "doc_insurance_card": "yes", "doc_marriage_certificate": "yes",
              "doc_household_register": "yes"}
HOSPITAL = "H23010100001"


def bindings(world) -> list[Binding]:
    return world.db.read(lambda s: list(s.execute(select(Binding).order_by(Binding.id)).scalars()))


def binding_form(relative, relationship: str = "child", **extra: str) -> dict[str, str]:
    return {"name": relative.name, "id_number": relative.id_number, "phone": "13800138000",
            "relationship": relationship, "start_on": TODAY.isoformat(), "agreement": "yes", **extra}


def family_of_three(desk):
    """A father with 2,000 yuan and his son, Harbin; the staff member of Harbin logged in."""
    w = desk.world
    father = w.person("赵德胜", current_fen=200_000, born=date(1955, 3, 8), card_no="HA0001234")
    son = w.person("赵小明", born=date(1985, 7, 1), phone="13912345678")
    desk.log_in()
    return father, son
