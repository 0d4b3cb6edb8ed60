"""Bindings on both databases: who may bind whom (scheme, status, relationship, scope, balance, actor).

Heilongjiang (230100 Harbin) unless a test says otherwise. Every refusal is checked for its stable code and
for having changed nothing.

Rules: N-1, N-2, N-6, HLJ-4, HLJ-5, HLJ-7, HN-1, HN-2, SZ-2, HZ-1, WL-2, WL-5.
"""

from __future__ import annotations

from datetime import date

from gongji.actors import Actor
from gongji.authorizations import service as authorizations
from gongji.people import service as people
from tests.authorizations.binding_world import (
    HENAN_PROOF,
    binding,
    bindings,
    records_of,
    suspend,
)
from tests.factories import STAFF, refused

# -- who may bind (N-1, N-2, N-6, HLJ-4, HN-2, WL-5, SZ-2, HZ-1) -----------------------------------


def test_n_1_resident_cannot_be_a_payer(world):
    resident = world.person("刘大海", scheme="resident")
    wife = world.person("王秀英", sex="F")
    error = refused(world, lambda: world.bind(resident, wife), "PAYER_NOT_EMPLOYEE")
    assert error.params["name"] == "刘大海"


def test_n_2_resident_can_be_a_beneficiary(world):
    payer = world.person("张建国", current_fen=1_000)
    child = world.person("张小红", born=date(2005, 1, 1), sex="F", scheme="resident")
    world.bind(payer, child, "child")
    assert [r.role for r in records_of(world, child).items] == ["beneficiary"]


def test_n_2_terminated_beneficiary_is_not_enrolled(world, pair):
    payer, wife = pair
    world.run(lambda s, env: people.change_status(s, env, id_number=wife.id_number, status="terminated",
                                                  actor=STAFF))
    refused(world, lambda: world.bind(payer, wife), "NOT_ENROLLED")


def test_n_2_sz_2_sibling_not_allowed_in_shenzhen(world):
    """N-2, SZ-2: a region may allow fewer relatives: Shenzhen takes spouse and direct relatives only."""
    payer = world.person("陈志强", city="shenzhen", current_fen=500_000)
    sister = world.person("陈丽", city="shenzhen", sex="F")
    error = refused(world, lambda: world.bind(payer, sister, "sibling"), "RELATIONSHIP_NOT_ALLOWED")
    assert error.params["region_name"] == "深圳市"
    world.bind(payer, world.person("林小梅", city="shenzhen", sex="F"), "spouse")


def test_hz_1_hangzhou_offers_no_bindings(world):
    """HZ-1: Hangzhou moves prior-years funds instead; a binding request is refused."""
    payer = world.person("周杰", city="hangzhou", prior_fen=100_000)
    wife = world.person("吴敏", city="hangzhou", sex="F")
    error = refused(world, lambda: world.bind(payer, wife), "BINDING_NOT_OFFERED")
    assert error.params["region_name"] == "杭州市"


def test_n_6_same_province_different_city_is_fine_in_heilongjiang(world):
    """N-6, HLJ-5: Harbin payer, Qiqihar relative: same province suffices."""
    payer = world.person("张建国", city="harbin", current_fen=10_000)
    mother = world.person("李桂兰", city="qiqihar", born=date(1948, 2, 2), sex="F")
    binding_id = world.bind(payer, mother, "parent")
    assert binding(world, binding_id).region_code == "230100"


def test_n_6_other_province_is_out_of_scope(world):
    payer = world.person("张建国", city="harbin", current_fen=10_000)
    wife = world.person("王秀英", city="zhengzhou", sex="F")
    refused(world, lambda: world.bind(payer, wife), "OUT_OF_SCOPE")


def test_sz_2_shenzhen_payer_with_guangzhou_relative_is_out_of_scope(world):
    """SZ-2: Shenzhen requires the same city, not just Guangdong."""
    payer = world.person("陈志强", city="shenzhen", current_fen=500_000)
    mother = world.person("黄桂芳", city="guangzhou", born=date(1945, 1, 1), sex="F")
    error = refused(world, lambda: world.bind(payer, mother, "parent"), "OUT_OF_SCOPE")
    assert error.params["scope_en"] == "same city"


def test_hlj_4_suspended_payer_is_refused_in_heilongjiang(world, pair):
    payer, wife = pair
    suspend(world, payer)
    refused(world, lambda: world.bind(payer, wife), "PAYER_NOT_NORMAL")


def henan_couple(world):
    """A Zhengzhou payer and his wife, in one family (HN-1), ready to bind."""
    payer = world.person("王建军", city="zhengzhou", current_fen=10_000)
    wife = world.person("刘红", city="zhengzhou", sex="F")
    family = world.run(lambda s, env: authorizations.create_family(
        s, env, householder_id_number=payer.id_number, name="王家", actor=payer.actor))
    world.run(lambda s, env: authorizations.add_member(
        s, env, family_id=family.id, member_id_number=wife.id_number, relationship="spouse", actor=payer.actor))
    return payer, wife


def test_hn_2_suspended_payer_is_refused_in_henan(world):
    """HN-2: in Henan both sides must be in normal status."""
    payer, wife = henan_couple(world)
    suspend(world, payer)
    error = refused(world, lambda: world.bind(payer, wife, documents=HENAN_PROOF), "PAYER_NOT_NORMAL")
    assert error.params["status_en"] == "suspended"


def test_hn_2_suspended_beneficiary_is_refused_in_henan(world):
    payer, wife = henan_couple(world)
    suspend(world, wife)
    refused(world, lambda: world.bind(payer, wife, documents=HENAN_PROOF), "BENEFICIARY_NOT_NORMAL")


def test_wl_5_suspended_payer_may_bind_in_ulanqab(world):
    """WL-5: in Ulanqab a payer with lapsed contributions can still spend, so may still bind."""
    payer = world.person("巴特尔", city="ulanqab", current_fen=10_000)
    wife = world.person("其其格", city="ulanqab", sex="F")
    suspend(world, payer)
    binding_id = world.bind(payer, wife, priority=1)
    assert binding(world, binding_id).priority == 1


def test_wl_2_ulanqab_payer_may_bind_a_hohhot_relative(world):
    """WL-2: same province is enough."""
    payer = world.person("巴特尔", city="ulanqab", current_fen=10_000)
    mother = world.person("乌云", city="hohhot", born=date(1940, 1, 1), sex="F")
    world.bind(payer, mother, "parent")


def test_hlj_4_payer_with_zero_balance_is_refused(world):
    """HLJ-4: the payer's balance must be above zero."""
    payer = world.person("张建国")
    wife = world.person("王秀英", sex="F")
    error = refused(world, lambda: world.bind(payer, wife), "PAYER_NO_BALANCE")
    assert error.params["name"] == "张建国"


def test_hlj_4_prior_years_balance_counts_as_balance(world):
    payer = world.person("张建国", prior_fen=1)
    world.bind(payer, world.person("王秀英", sex="F"))


def test_only_the_payer_or_staff_may_bind(world, pair):
    """HLJ-7: the payer binds from his own login; a relative or stranger may not act for him."""
    payer, wife = pair
    stranger = world.person("陌生人")
    for actor in (wife.actor, stranger.actor, Actor.institution("H23010100001"), Actor.system()):
        error = refused(world, lambda a=actor: world.bind(payer, wife, actor=a), "ACTOR_NOT_ALLOWED")
        assert error.params["name"] == "张建国"
    assert bindings(world) == []
