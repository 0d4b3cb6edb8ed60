"""Who may pay and be paid for, scope, balance, open bindings, the re-bind wait, caps, roles and families: the
pure checks of gongji/authorizations/rules.py (no database, no clock), under the real region files.

Rules: N-1, N-2, N-6, HLJ-1..HLJ-5, HN-1, HN-2, SZ-2, HZ-3, WL-2, WL-5, D-4.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from gongji.authorizations import rules
from gongji.policy import Scope
from gongji.terms import Relationship, Scheme, Status
from tests.authorizations.binding_facts import CHILD, ELDER, PAYER, SITUATION, TODAY, bind, refused
from tests.regions import HEILONGJIANG, HENAN, NATIONAL, SHENZHEN, ULANQAB

# -- who may pay and be paid for (N-1, HN-2, HLJ-4, WL-5) -----------------------------------------------


def test_n_1_a_resident_enrollee_cannot_be_a_payer():
    """N-1: only an employee enrollee has a personal account and can pay."""
    error = refused(
        rules.check_payer_scheme, replace(PAYER, scheme=Scheme.RESIDENT), code="PAYER_NOT_EMPLOYEE"
    )
    assert error.params == {"name": "张建国"}
    rules.check_payer_scheme(PAYER)
    refused(bind, NATIONAL, payer=replace(PAYER, scheme=Scheme.RESIDENT), code="PAYER_NOT_EMPLOYEE")


def test_n_2_a_resident_beneficiary_is_fine():
    """N-2: the beneficiary may be enrolled in employee or resident insurance."""
    bind(NATIONAL, beneficiary=replace(CHILD, scheme=Scheme.RESIDENT))
    bind(NATIONAL, beneficiary=replace(CHILD, scheme=Scheme.EMPLOYEE))


@pytest.mark.parametrize("who", ["payer", "beneficiary"])
def test_n_2_a_terminated_enrollment_cannot_take_part(who):
    """N-2: both sides must be enrolled; a terminated enrollment is refused in every region."""
    payer = replace(PAYER, status=Status.TERMINATED) if who == "payer" else PAYER
    beneficiary = replace(CHILD, status=Status.TERMINATED) if who == "beneficiary" else CHILD
    party = payer if who == "payer" else beneficiary
    error = refused(rules.check_enrolled, party, code="NOT_ENROLLED")
    assert error.params["name"] == party.name
    refused(bind, ULANQAB, payer=payer, beneficiary=beneficiary, code="NOT_ENROLLED")


@pytest.mark.parametrize("status", [Status.NORMAL, Status.SUSPENDED])
def test_n_2_normal_or_suspended_counts_as_enrolled(status):
    rules.check_enrolled(replace(PAYER, status=status))


@pytest.mark.parametrize("policy", [HENAN, HEILONGJIANG, SHENZHEN, NATIONAL], ids=lambda p: p.name_en)
def test_hn_2_hlj_4_suspended_payer_is_refused_where_the_region_says_so(policy):
    """HN-2, HLJ-4: the payer must be in normal status."""
    suspended = replace(PAYER, status=Status.SUSPENDED)
    error = refused(rules.check_payer_status, suspended, policy, code="PAYER_NOT_NORMAL")
    assert error.params["status_zh"] == "暂停参保"


def test_wl_5_ulanqab_lets_a_suspended_payer_pay():
    """WL-5: in Ulanqab the personal account balance can still be spent after contributions stop."""
    rules.check_payer_status(replace(PAYER, status=Status.SUSPENDED), ULANQAB)


def test_hn_2_a_variant_with_the_setting_on_lets_a_suspended_payer_pay():
    """HN-2, WL-5: the difference is the setting, not the region."""
    lenient = HENAN.model_copy(update={"suspended_payer_may_pay": True})
    rules.check_payer_status(replace(PAYER, status=Status.SUSPENDED), lenient)


@pytest.mark.parametrize("policy", [HENAN, HEILONGJIANG, NATIONAL, ULANQAB], ids=lambda p: p.name_en)
def test_hn_2_a_normal_payer_always_passes_the_status_check(policy):
    rules.check_payer_status(PAYER, policy)


def test_hn_2_henan_refuses_a_suspended_beneficiary():
    """HN-2: while the beneficiary is suspended, Henan's mutual aid does not pay."""
    suspended = replace(CHILD, status=Status.SUSPENDED)
    error = refused(rules.check_beneficiary_status, suspended, HENAN, code="BENEFICIARY_NOT_NORMAL")
    assert error.params["name"] == "张丽"
    rules.check_beneficiary_status(CHILD, HENAN)


def test_wl_5_ulanqab_accepts_a_suspended_beneficiary():
    rules.check_beneficiary_status(replace(CHILD, status=Status.SUSPENDED), ULANQAB)


# -- scope (N-6, SZ-2, WL-2, HLJ-5) ---------------------------------------------------------------------


def test_n_6_hlj_5_province_scope_accepts_another_city_of_the_province():
    """N-6, HLJ-5: Harbin payer, Qiqihar beneficiary: both in Heilongjiang."""
    rules.check_scope(PAYER, replace(CHILD, region_code="230200"), HEILONGJIANG)


def test_n_6_hlj_5_province_scope_refuses_another_province():
    error = refused(
        rules.check_scope, PAYER, replace(CHILD, region_code="410100"), HEILONGJIANG, code="OUT_OF_SCOPE"
    )
    assert error.params == {"scope_zh": "同一省份", "scope_en": "same province"}  # naming nobody, nor his region


def test_sz_2_shenzhen_refuses_another_city_of_guangdong():
    """SZ-2: same city only: a Shenzhen payer cannot bind a relative enrolled in Guangzhou."""
    error = refused(
        rules.check_scope,
        replace(PAYER, region_code="440300"),
        replace(CHILD, region_code="440100"),
        SHENZHEN,
        code="OUT_OF_SCOPE",
    )
    assert error.params["scope_en"] == "same city"


def test_sz_2_shenzhen_accepts_two_districts_of_the_city():
    rules.check_scope(replace(PAYER, region_code="440305"), replace(CHILD, region_code="440303"), SHENZHEN)


def test_wl_2_ulanqab_accepts_another_city_of_inner_mongolia():
    """WL-2: same province is enough: Ulanqab payer, Hohhot beneficiary."""
    rules.check_scope(replace(PAYER, region_code="150900"), replace(CHILD, region_code="150100"), ULANQAB)
    refused(
        rules.check_scope,
        replace(PAYER, region_code="150900"),
        replace(CHILD, region_code="110100"),
        ULANQAB,
        code="OUT_OF_SCOPE",
    )


def test_n_6_city_scope_variant_refuses_what_province_scope_accepts():
    """N-6: 'a region may require the same city' is a setting."""
    city = HEILONGJIANG.model_copy(update={"geographic_scope": Scope.CITY})
    refused(rules.check_scope, PAYER, replace(CHILD, region_code="230200"), city, code="OUT_OF_SCOPE")


# -- balance (HLJ-4) ---------------------------------------------------------------------------------------


def test_hlj_4_heilongjiang_payer_with_zero_balance_is_refused():
    """HLJ-4: account balance above zero."""
    error = refused(rules.check_payer_balance, PAYER, 0, HEILONGJIANG, code="PAYER_NO_BALANCE")
    assert error.params == {"name": "张建国"}
    refused(bind, HEILONGJIANG, situation=replace(SITUATION, payer_balance_fen=0), code="PAYER_NO_BALANCE")


def test_hlj_4_one_fen_is_above_zero():
    rules.check_payer_balance(PAYER, 1, HEILONGJIANG)


@pytest.mark.parametrize("policy", [HENAN, SHENZHEN, ULANQAB, NATIONAL], ids=lambda p: p.name_en)
def test_hlj_4_other_regions_bind_a_payer_with_no_balance(policy):
    rules.check_payer_balance(PAYER, 0, policy)


# -- already bound, re-bind wait (HLJ-2, D-4) -----------------------------------------------------------


def test_a_pair_with_an_open_binding_is_refused():
    error = refused(rules.check_not_bound_already, PAYER, CHILD, 77, code="ALREADY_BOUND")
    assert error.params == {"payer_name": "张建国", "beneficiary_name": "张丽", "binding_id": 77}
    rules.check_not_bound_already(PAYER, CHILD, None)


UNBOUND_ON = date(2025, 5, 1)


def test_d_4_rebind_possible_from_is_unbinding_day_plus_30():
    """D-4: unbound on day D, binding again is possible on D + 30 (HLJ-2)."""
    assert rules.rebind_possible_from(UNBOUND_ON, HEILONGJIANG) == date(2025, 5, 31)
    assert rules.rebind_possible_from(None, HEILONGJIANG) is None
    assert rules.rebind_possible_from(UNBOUND_ON, NATIONAL) is None


def test_hlj_2_d_4_rebinding_on_the_unbinding_day_is_refused():
    error = refused(rules.check_rebind_wait, UNBOUND_ON, UNBOUND_ON, HEILONGJIANG, code="REBIND_TOO_SOON")
    assert error.params == {"unbound_on": "2025-05-01", "rebind_from": "2025-05-31", "wait_days": 30}
    assert "2025-05-31" in error.message_zh


def test_hlj_2_d_4_rebinding_on_day_29_is_refused():
    refused(
        rules.check_rebind_wait,
        UNBOUND_ON,
        UNBOUND_ON + timedelta(days=29),
        HEILONGJIANG,
        code="REBIND_TOO_SOON",
    )


def test_hlj_2_d_4_rebinding_on_day_30_is_possible():
    rules.check_rebind_wait(UNBOUND_ON, UNBOUND_ON + timedelta(days=30), HEILONGJIANG)
    rules.check_rebind_wait(UNBOUND_ON, UNBOUND_ON + timedelta(days=31), HEILONGJIANG)


def test_hlj_2_never_unbound_pair_has_no_wait():
    rules.check_rebind_wait(None, TODAY, HEILONGJIANG)


def test_hlj_2_regions_without_a_wait_rebind_the_same_day():
    rules.check_rebind_wait(UNBOUND_ON, UNBOUND_ON, NATIONAL)
    rules.check_rebind_wait(UNBOUND_ON, UNBOUND_ON, HENAN)


def test_hlj_2_check_binding_applies_the_wait():
    situation = replace(SITUATION, last_unbound_on=TODAY - timedelta(days=29))
    refused(bind, HEILONGJIANG, situation=situation, code="REBIND_TOO_SOON")
    bind(HEILONGJIANG, situation=replace(SITUATION, last_unbound_on=TODAY - timedelta(days=30)))


# -- caps and roles (HLJ-1, HLJ-3) ------------------------------------------------------------------------


def test_hlj_1_ninth_to_tenth_beneficiary_is_allowed():
    """HLJ-1: at most 10 at the same time: with 9 bound, a 10th is fine."""
    rules.check_caps(PAYER, CHILD, replace(SITUATION, payer_open_bindings=9), HEILONGJIANG)


def test_hlj_1_eleventh_beneficiary_is_refused():
    error = refused(
        rules.check_caps,
        PAYER,
        CHILD,
        replace(SITUATION, payer_open_bindings=10),
        HEILONGJIANG,
        code="TOO_MANY_BENEFICIARIES",
    )
    assert error.params == {"name": "张建国", "count": 10, "limit": 10}


def test_hlj_1_regions_without_a_cap_allow_many():
    rules.check_caps(PAYER, CHILD, replace(SITUATION, payer_open_bindings=50), NATIONAL)
    rules.check_caps(PAYER, CHILD, replace(SITUATION, payer_open_bindings=50), HENAN)


def test_hlj_3_a_beneficiary_with_a_payer_cannot_get_a_second():
    """HLJ-3: a person is bound once at a time: at most one active payer per beneficiary."""
    error = refused(
        rules.check_caps,
        PAYER,
        CHILD,
        replace(SITUATION, beneficiary_open_bindings=1),
        HEILONGJIANG,
        code="TOO_MANY_PAYERS",
    )
    assert error.params == {"name": "张丽", "count": 1, "limit": 1}


def test_hlj_3_hz_3_other_regions_allow_several_payers_per_beneficiary():
    """HLJ-3 is Heilongjiang's setting; elsewhere many payers to one relative are allowed (HZ-3)."""
    rules.check_caps(PAYER, CHILD, replace(SITUATION, beneficiary_open_bindings=3), NATIONAL)
    rules.check_caps(PAYER, CHILD, replace(SITUATION, beneficiary_open_bindings=3), ULANQAB)


def test_hlj_3_a_payer_who_is_a_beneficiary_cannot_pay_in_heilongjiang():
    error = refused(
        rules.check_caps,
        PAYER,
        CHILD,
        replace(SITUATION, payer_is_beneficiary=True),
        HEILONGJIANG,
        code="ROLE_CONFLICT",
    )
    assert error.params["name"] == "张建国"
    assert error.params["role_en"] == "beneficiary"


def test_hlj_3_a_beneficiary_who_is_a_payer_cannot_be_paid_for_in_heilongjiang():
    error = refused(
        rules.check_caps,
        PAYER,
        CHILD,
        replace(SITUATION, beneficiary_is_payer=True),
        HEILONGJIANG,
        code="ROLE_CONFLICT",
    )
    assert error.params["name"] == "张丽"
    assert error.params["role_en"] == "payer"


def test_hlj_3_binding_is_one_way_where_both_roles_are_allowed():
    """HLJ-3: A paying for B says nothing of B paying for A: the reverse binding passes the national rules."""
    reverse = replace(SITUATION, payer_is_beneficiary=True, beneficiary_is_payer=True)
    rules.check_caps(PAYER, ELDER, reverse, NATIONAL)
    bind(NATIONAL, beneficiary=ELDER, relationship=Relationship.PARENT, situation=reverse)


# -- families (HN-1) ---------------------------------------------------------------------------------------


def test_hn_1_henan_refuses_a_beneficiary_outside_the_family():
    """HN-1: Henan binds members of the payer's family only."""
    error = refused(rules.check_family, CHILD, False, HENAN, code="FAMILY_REQUIRED")
    assert error.params == {"name": "张丽"}
    rules.check_family(CHILD, True, HENAN)
    refused(
        bind, HENAN, situation=replace(SITUATION, beneficiary_in_payers_family=False), code="FAMILY_REQUIRED"
    )


@pytest.mark.parametrize("policy", [HEILONGJIANG, SHENZHEN, ULANQAB, NATIONAL], ids=lambda p: p.name_en)
def test_hn_1_other_regions_need_no_family(policy):
    rules.check_family(CHILD, False, policy)
