"""A family holds one spouse of the householder, on both databases (HN-1, HN-7), as a person has one spouse bound
(N-7, SPOUSE_ALREADY_BOUND): adding a second spouse, or correcting another member to spouse, is refused with
FAMILY_SPOUSE_EXISTS and changes nothing; once the first spouse has left, another may be added.

Rules: HN-1, HN-7, N-7.
"""

from __future__ import annotations

from datetime import date

from tests.authorizations.test_families import (
    add_member,
    create_family,
    members,
    remove_member,
    update_member,
)
from tests.factories import STAFF, refused


def test_hn_1_hn_7_a_family_refuses_a_second_spouse(world):
    payer = world.person("王建军", city="zhengzhou", current_fen=20_000)
    wife = world.person("刘红", city="zhengzhou", sex="F")
    other = world.person("张丽", city="zhengzhou", sex="F")
    sister = world.person("王芳", city="zhengzhou", sex="F", born=date(1978, 3, 3))
    family_id = create_family(world, payer)
    add_member(world, family_id, wife, "spouse", payer.actor)
    add_member(world, family_id, sister, "sibling", payer.actor)

    error = refused(world, lambda: add_member(world, family_id, other, "spouse", payer.actor), "FAMILY_SPOUSE_EXISTS")
    assert error.status == 409 and error.params == {}
    refused(world, lambda: add_member(world, family_id, other, "spouse", STAFF), "FAMILY_SPOUSE_EXISTS")
    refused(world, lambda: update_member(world, family_id, sister, "spouse", payer.actor), "FAMILY_SPOUSE_EXISTS")
    for language in ("zh", "en"):  # says what was wrong and what to do, and names nobody
        text = error.message(language)
        assert "spouse" in text or "配偶" in text
        assert not any(p.name in text or p.id_number in text for p in (payer, wife, other, sister))
    update_member(world, family_id, wife, "spouse", payer.actor)  # the spouse herself: still the one spouse
    assert members(world, family_id) == [(wife.id, "spouse"), (sister.id, "sibling")]

    remove_member(world, family_id, wife, payer.actor)
    add_member(world, family_id, other, "spouse", payer.actor)
    assert members(world, family_id) == [(sister.id, "sibling"), (other.id, "spouse")]
