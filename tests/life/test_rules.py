"""What a life event ends (N-6, D-5, LC-5, N-1, HZ-1): pure, no database."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from gongji.authorizations.rules import Party
from gongji.life.rules import KEEPS, LifeEventKind, binding_after
from gongji.policy import load_policies
from gongji.terms import EndReason, Scheme, Status

POLICIES = load_policies()
PAYER = Party(1, "张三", date(1970, 1, 1), Scheme.EMPLOYEE, "230100", Status.NORMAL)
RELATIVE = Party(2, "李四", date(1972, 1, 1), Scheme.RESIDENT, "230100", Status.NORMAL)


def after(kind, payer=PAYER, beneficiary=RELATIVE):
    return binding_after(kind, payer=payer, beneficiary=beneficiary, payer_policy=POLICIES.for_region(payer.region_code))


def test_a_death_ends_every_binding_of_the_person():
    assert after(LifeEventKind.DEATH).reason is EndReason.DEATH


def test_a_move_within_the_payers_scope_keeps_the_binding():
    """N-6: the same province suffices (Harbin to Qiqihar)."""
    assert after(LifeEventKind.MOVE, beneficiary=replace(RELATIVE, region_code="230200")) == KEEPS
    assert after(LifeEventKind.MOVE, payer=replace(PAYER, region_code="230200")) == KEEPS


@pytest.mark.parametrize("moved", ["payer", "beneficiary"])
def test_a_move_out_of_the_payers_scope_ends_it(moved):
    """D-5: both enrollments in the payer's scope, not only at binding time."""
    payer = replace(PAYER, region_code="410100") if moved == "payer" else PAYER
    beneficiary = replace(RELATIVE, region_code="410100") if moved == "beneficiary" else RELATIVE
    assert after(LifeEventKind.MOVE, payer, beneficiary).reason is EndReason.MOVED


def test_a_payer_moving_where_no_bindings_are_made_ends_it():
    """HZ-1: Hangzhou moves funds instead of binding."""
    outcome = after(LifeEventKind.MOVE, replace(PAYER, region_code="330100"), replace(RELATIVE, region_code="330100"))
    assert outcome.reason is EndReason.MOVED


def test_leaving_the_instance_ends_it():
    gone = replace(RELATIVE, status=Status.TERMINATED, region_code="230200")
    assert after(LifeEventKind.MOVE, beneficiary=gone).reason is EndReason.MOVED


def test_a_payer_who_is_no_longer_an_employee_stops_paying_but_a_beneficiary_may_change_scheme():
    """N-1: only an employee enrollee pays; a beneficiary may be of either scheme (N-2)."""
    assert after(LifeEventKind.SCHEME_CHANGE, replace(PAYER, scheme=Scheme.RESIDENT)).reason is EndReason.SCHEME_CHANGED
    assert after(LifeEventKind.SCHEME_CHANGE, beneficiary=replace(RELATIVE, scheme=Scheme.EMPLOYEE)) == KEEPS


def test_automatic_endings_are_no_unbinding():
    """HLJ-2's wait follows an unbinding by someone, not an ending by itself."""
    assert {r for r in EndReason if r.by_itself} == {EndReason.EXPIRED, EndReason.DEATH, EndReason.MOVED,
                                                     EndReason.SCHEME_CHANGED}
