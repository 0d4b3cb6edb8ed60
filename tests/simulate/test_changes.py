"""Reading a proposed change: ``--set key=value`` typed against the policy model, refusals with their keys."""

from __future__ import annotations

import pytest

from gongji.errors import GongjiError
from gongji.policy import load_policies
from gongji.simulate import changes

SHENZHEN = load_policies().for_region("440300")


def test_values_are_typed_against_the_model():
    parsed = changes.parse_set(["reserve_line_fen=300000", "allowed_relationships=spouse,child",
                                "max_payers_per_beneficiary=none", "suspended_payer_may_pay=true",
                                "uses_for_relatives=[\"outpatient\"]"])
    assert parsed == {"reserve_line_fen": 300000, "allowed_relationships": ["spouse", "child"],
                      "max_payers_per_beneficiary": None, "suspended_payer_may_pay": True,
                      "uses_for_relatives": ["outpatient"]}
    proposal = changes.proposed(SHENZHEN, parsed)
    assert proposal.reserve_line_fen == 300000 and proposal.max_payers_per_beneficiary is None
    assert set(changes.differences(SHENZHEN, proposal)) == {"reserve_line_fen", "allowed_relationships",
                                                            "suspended_payer_may_pay", "uses_for_relatives"}


@pytest.mark.parametrize(("items", "code"), [
    (["reserve_line"], "SIMULATION_BAD_CHANGE"),
    (["reserve_line=1"], "SIMULATION_UNKNOWN_KEY"),
    (["applies_to=23"], "SIMULATION_UNKNOWN_KEY"),
])
def test_bad_set_items(items, code):
    with pytest.raises(GongjiError) as info:
        changes.parse_set(items)
    assert info.value.code == code and info.value.message_zh and info.value.message_en


def test_bad_value_names_its_key():
    with pytest.raises(GongjiError) as info:
        changes.proposed(SHENZHEN, changes.parse_set(["payer_order=alphabet"]))
    assert info.value.code == "SIMULATION_BAD_VALUE" and info.value.params["key"] == "payer_order"


def test_changes_file(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("reserve_line_fen = 0\nrebind_wait_days = 7\n", encoding="utf-8")
    assert changes.read_changes_file(path) == {"reserve_line_fen": 0, "rebind_wait_days": 7}
    path.write_text("reserve_line_fen = \n", encoding="utf-8")
    with pytest.raises(GongjiError) as info:
        changes.read_changes_file(path)
    assert info.value.code == "SIMULATION_BAD_CHANGE"
