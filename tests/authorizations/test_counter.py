"""Counter handling (N-8, HLJ-9, SZ-4, WL-4): staff bind for people who cannot do it online, checking documents."""

from __future__ import annotations

from datetime import date

import pytest

from gongji.actors import Actor
from gongji.authorizations.models import Binding, BindingDocument
from gongji.errors import GongjiError
from gongji.terms import Channel

COUNTER = Actor.staff("C0042")
ELDER = date(1945, 2, 1)


def test_wl_4_staff_bind_for_an_elderly_payer_after_checking_the_region_list(world):
    """WL-4, N-8: an elderly Ulanqab payer binds at the counter; staff record each checked document."""
    grandma = world.person("赵奶奶", city="ulanqab", born=ELDER, sex="F", current_fen=20_000)
    grandson = world.person("赵孙", city="ulanqab", born=date(2001, 1, 1), scheme="resident")
    checked = [{"kind": "id_card"}, {"kind": "insurance_card"}, {"kind": "commitment_letter", "file_ref": "scan/1"}]
    binding_id = world.bind(grandma, grandson, "grandchild", actor=COUNTER, documents=checked)

    def load(s):
        return s.get(Binding, binding_id), s.query(BindingDocument).filter_by(binding_id=binding_id).all()

    binding, documents = world.db.read(load)
    assert (binding.channel, binding.operator_kind, binding.operator_id) == ("counter", "staff", "C0042")
    assert sorted((d.kind, d.checked_by) for d in documents) == [
        ("commitment_letter", "C0042"), ("id_card", "C0042"), ("insurance_card", "C0042")]


@pytest.mark.parametrize(
    ("city", "checked", "missing"),
    [
        ("harbin", ["id_card"], "insurance e-voucher, family relationship commitment letter"),  # HLJ-9
        ("shenzhen", ["id_card"], "social security card"),  # SZ-4: the payer's card is swiped
        ("ulanqab", ["id_card", "insurance_card"], "family relationship commitment letter"),  # WL-4
    ],
)
def test_hlj_9_sz_4_counter_binding_needs_every_document_of_the_region(world, city, checked, missing):
    """HLJ-9, SZ-4, WL-4: a counter binding without the region's whole checklist is refused and writes nothing."""
    payer = world.person("钱父", city=city, born=date(1970, 1, 1), current_fen=10_000)
    child = world.person("钱子", city=city, born=date(2000, 1, 1), scheme="resident")
    with pytest.raises(GongjiError) as refused:
        world.bind(payer, child, "child", actor=COUNTER, documents=[{"kind": k} for k in checked])
    assert refused.value.code == "COUNTER_DOCUMENTS_MISSING"
    assert refused.value.params["missing_en"] == missing
    assert world.db.read(lambda s: s.query(Binding).count()) == 0


def test_n_8_online_binding_needs_no_counter_documents(world):
    """N-8: online the payer's own commitment (N-7) stands in for the counter's document check."""
    payer = world.person("孙父", born=date(1970, 1, 1), current_fen=10_000)
    child = world.person("孙子", born=date(2000, 1, 1), scheme="resident")
    assert world.bind(payer, child, "child", actor=Actor.person(payer.id, Channel.WECHAT)) > 0
