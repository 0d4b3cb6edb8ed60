"""Who may bind whom, and when: the pure checks of gongji/authorizations/rules.py (no database, no clock).

Each check is aimed at with facts that differ from a passing case in one detail, under the real region
files (gongji/policy/regions/), so a broken rule or a changed region setting makes a test fail. The checks
of the two parties, scope, balance, caps and families are in test_rules_parties.py.

Rules: N-1, N-2, N-7, HLJ-1, HLJ-3, HLJ-5, HLJ-6, HN-3, SZ-2, HZ-1, WL-1, D-2, D-3.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from gongji.authorizations import rules
from gongji.terms import Relationship
from tests.authorizations.binding_facts import CHILD, ELDER, PAYER, TODAY, bind, refused
from tests.regions import HANGZHOU, HEILONGJIANG, HENAN, NATIONAL, SHENZHEN, ULANQAB

# -- the whole check passes for an ordinary request ----------------------------------------------------


@pytest.mark.parametrize("policy", [HEILONGJIANG, HENAN, ULANQAB, NATIONAL], ids=lambda p: p.name_en)
def test_an_ordinary_binding_passes_every_check(policy):
    """N-1, N-2, HLJ-6: an employee binds his child, same city, consent and proof given: no refusal."""
    bind(policy)


def test_check_binding_passes_for_shenzhen_inside_the_city():
    """SZ-2: Shenzhen binds a child enrolled in Shenzhen."""
    payer = replace(PAYER, region_code="440305")
    child = replace(CHILD, region_code="440303")
    bind(SHENZHEN, payer=payer, beneficiary=child)


def test_check_binding_raises_the_first_refusal_in_order():
    """Self binding is checked before anything else, even before the region's model (HZ-1)."""
    refused(bind, HANGZHOU, beneficiary=replace(CHILD, person_id=PAYER.person_id), code="SELF_BINDING")


# -- self, model, period, priority ---------------------------------------------------------------------


def test_self_binding_is_refused():
    refused(rules.check_not_self, PAYER, replace(CHILD, person_id=PAYER.person_id), code="SELF_BINDING")
    rules.check_not_self(PAYER, CHILD)


def test_hz_1_transfer_region_makes_no_bindings():
    """HZ-1: Hangzhou moves prior-years funds instead; a binding there is refused, naming the region."""
    error = refused(rules.check_binding_model, HANGZHOU, code="BINDING_NOT_OFFERED")
    assert error.params["region_name"] == "杭州市"
    assert "杭州市" in error.message_zh


@pytest.mark.parametrize(
    "policy", [HEILONGJIANG, HENAN, SHENZHEN, ULANQAB, NATIONAL], ids=lambda p: p.name_en
)
def test_hz_1_binding_regions_offer_bindings(policy):
    rules.check_binding_model(policy)


def test_hlj_6_start_before_today_is_refused():
    """HLJ-6: the start date is not before today."""
    error = refused(rules.check_period, TODAY - timedelta(days=1), None, TODAY, code="DATE_IN_PAST")
    assert error.params == {"field": "start_on", "today": "2025-06-02"}


def test_hlj_6_start_today_or_later_is_accepted():
    rules.check_period(TODAY, None, TODAY)
    rules.check_period(TODAY + timedelta(days=30), None, TODAY)


def test_hlj_6_end_equal_to_start_is_refused():
    """HLJ-6: the end date is not equal to the start."""
    error = refused(rules.check_period, TODAY, TODAY, TODAY, code="INVALID_PERIOD")
    assert error.params == {"start_on": "2025-06-02", "end_on": "2025-06-02"}


def test_hlj_6_end_before_start_is_refused():
    refused(
        rules.check_period, TODAY + timedelta(days=5), TODAY + timedelta(days=4), TODAY, code="INVALID_PERIOD"
    )


def test_hlj_6_end_is_optional_and_may_be_the_day_after_start():
    """HLJ-6: no end date means no end; an end one day after the start is the shortest period."""
    rules.check_period(TODAY, None, TODAY)
    rules.check_period(TODAY, TODAY + timedelta(days=1), TODAY)


def test_hlj_6_check_binding_refuses_a_past_start():
    refused(bind, HEILONGJIANG, start_on=TODAY - timedelta(days=1), code="DATE_IN_PAST")


@pytest.mark.parametrize("priority", [None, 1, 2, 99])
def test_wl_1_priority_is_empty_or_a_whole_number_from_1(priority):
    """WL-1, D-2: the payer's place in the order is 1, 2, 3 ... or none."""
    rules.check_priority(priority)


@pytest.mark.parametrize("priority", [0, -1, 100, True, False, 1.0, "1"])
def test_wl_1_priority_outside_1_to_99_or_not_an_int_is_refused(priority):
    error = refused(rules.check_priority, priority, code="INVALID_FIELD")
    assert error.params["field"] == "priority"


# -- relationships ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("relationship", list(Relationship))
def test_n_2_national_default_allows_every_close_relative(relationship):
    """N-2: since July 2024 all close relatives (spouse, parents, children, siblings, grand-relatives)."""
    rules.check_relationship_allowed(relationship, NATIONAL)


@pytest.mark.parametrize("policy", [HEILONGJIANG, HENAN, ULANQAB], ids=lambda p: p.name_en)
@pytest.mark.parametrize("relationship", list(Relationship))
def test_n_2_hlj_5_full_close_relative_regions_allow_all(policy, relationship):
    """N-2, HLJ-5: Heilongjiang, Henan and Ulanqab allow every close relative."""
    rules.check_relationship_allowed(relationship, policy)


def test_sz_2_shenzhen_refuses_a_sibling():
    """SZ-2: spouse and direct relatives only; a sibling is not a direct relative."""
    error = refused(
        rules.check_relationship_allowed, Relationship.SIBLING, SHENZHEN, code="RELATIONSHIP_NOT_ALLOWED"
    )
    assert error.params["region_name"] == "深圳市"
    assert error.params["relationship_zh"] == "兄弟姐妹"
    assert "兄弟姐妹" not in error.params["allowed_zh"]
    assert "配偶" in error.params["allowed_zh"]


@pytest.mark.parametrize(
    "relationship",
    [
        Relationship.SPOUSE,
        Relationship.PARENT,
        Relationship.CHILD,
        Relationship.PATERNAL_GRANDPARENT,
        Relationship.MATERNAL_GRANDPARENT,
        Relationship.GRANDCHILD,
        Relationship.DAUGHTERS_CHILD,
    ],
)
def test_sz_2_shenzhen_allows_spouse_and_direct_relatives(relationship):
    rules.check_relationship_allowed(relationship, SHENZHEN)


@pytest.mark.parametrize("relationship", [Relationship.SPOUSE, Relationship.CHILD, Relationship.PARENT])
def test_hz_1_hangzhou_allows_spouse_child_parent(relationship):
    rules.check_relationship_allowed(relationship, HANGZHOU)


@pytest.mark.parametrize(
    "relationship",
    [
        Relationship.SIBLING,
        Relationship.PATERNAL_GRANDPARENT,
        Relationship.MATERNAL_GRANDPARENT,
        Relationship.GRANDCHILD,
        Relationship.DAUGHTERS_CHILD,
    ],
)
def test_hz_1_hangzhou_refuses_other_relatives(relationship):
    refused(rules.check_relationship_allowed, relationship, HANGZHOU, code="RELATIONSHIP_NOT_ALLOWED")


def test_n_2_a_narrowed_region_variant_refuses_what_it_dropped():
    """N-2: 'a region may still allow fewer': the 2021 scope (spouse, parents, children) refuses a sibling."""
    narrow = NATIONAL.model_copy(
        update={"allowed_relationships": [Relationship.SPOUSE, Relationship.PARENT, Relationship.CHILD]}
    )
    refused(rules.check_relationship_allowed, Relationship.SIBLING, narrow, code="RELATIONSHIP_NOT_ALLOWED")
    rules.check_relationship_allowed(Relationship.PARENT, narrow)


def test_a_parent_born_after_the_payer_is_implausible():
    """A parent is born before the payer: a 'parent' born in 2000 for a payer born in 1975 is refused."""
    error = refused(
        rules.check_relationship_plausible, Relationship.PARENT, PAYER, CHILD, code="RELATIONSHIP_IMPLAUSIBLE"
    )
    assert error.params["payer_birth"] == "1975-05-01"
    assert error.params["beneficiary_birth"] == "2000-05-01"


def test_a_parent_born_the_same_day_as_the_payer_is_implausible():
    refused(
        rules.check_relationship_plausible,
        Relationship.PARENT,
        PAYER,
        replace(ELDER, birth_date=PAYER.birth_date),
        code="RELATIONSHIP_IMPLAUSIBLE",
    )


def test_a_child_born_before_the_payer_is_implausible():
    refused(
        rules.check_relationship_plausible, Relationship.CHILD, PAYER, ELDER, code="RELATIONSHIP_IMPLAUSIBLE"
    )


@pytest.mark.parametrize("relationship", [Relationship.GRANDCHILD, Relationship.DAUGHTERS_CHILD])
def test_a_grandchild_born_before_the_payer_is_implausible(relationship):
    refused(rules.check_relationship_plausible, relationship, PAYER, ELDER, code="RELATIONSHIP_IMPLAUSIBLE")


@pytest.mark.parametrize(
    "relationship", [Relationship.PATERNAL_GRANDPARENT, Relationship.MATERNAL_GRANDPARENT]
)
def test_a_grandparent_born_after_the_payer_is_implausible(relationship):
    refused(rules.check_relationship_plausible, relationship, PAYER, CHILD, code="RELATIONSHIP_IMPLAUSIBLE")


def test_plausible_relationships_pass():
    rules.check_relationship_plausible(Relationship.PARENT, PAYER, ELDER)
    rules.check_relationship_plausible(Relationship.PATERNAL_GRANDPARENT, PAYER, ELDER)
    rules.check_relationship_plausible(Relationship.CHILD, PAYER, CHILD)
    rules.check_relationship_plausible(Relationship.GRANDCHILD, PAYER, CHILD)


@pytest.mark.parametrize("relationship", [Relationship.SPOUSE, Relationship.SIBLING])
@pytest.mark.parametrize("beneficiary", [CHILD, ELDER, replace(CHILD, birth_date=PAYER.birth_date)])
def test_same_generation_relatives_may_be_any_age(relationship, beneficiary):
    rules.check_relationship_plausible(relationship, PAYER, beneficiary)


@pytest.mark.parametrize("born", [date(1935, 5, 1), date(2015, 5, 1), date(1920, 1, 1), date(2024, 12, 31)])
def test_a_sibling_born_forty_years_or_more_apart_is_implausible(born):
    """N-2: a sibling is of the payer's generation; 40 years apart or more is a parent, a child or a stranger."""
    error = refused(rules.check_relationship_plausible, Relationship.SIBLING, PAYER,
                    replace(CHILD, birth_date=born), code="RELATIONSHIP_IMPLAUSIBLE")
    assert error.params["beneficiary_birth"] == born.isoformat()


@pytest.mark.parametrize("born", [date(1935, 5, 2), date(2015, 4, 30), PAYER.birth_date, date(1990, 1, 1)])
def test_a_sibling_born_less_than_forty_years_apart_is_plausible(born):
    rules.check_relationship_plausible(Relationship.SIBLING, PAYER, replace(CHILD, birth_date=born))


def test_a_spouse_may_still_be_any_age():
    rules.check_relationship_plausible(Relationship.SPOUSE, PAYER, replace(CHILD, birth_date=date(2005, 1, 1)))


# -- consent (N-7) and proof (HN-3) ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "policy", [HEILONGJIANG, HENAN, SHENZHEN, ULANQAB, NATIONAL], ids=lambda p: p.name_en
)
def test_n_7_accepting_the_current_agreement_version_passes(policy):
    rules.check_consent(policy.agreement_version, policy)


def test_n_7_no_consent_is_refused_naming_the_agreement():
    """N-7: the payer accepts the region's authorization agreement; without it, no binding."""
    error = refused(rules.check_consent, None, HEILONGJIANG, code="CONSENT_REQUIRED")
    assert error.params == {"agreement": "共济账户授权协议", "version": "HLJ-2024.07"}


def test_n_7_an_outdated_or_other_regions_agreement_version_is_refused():
    refused(rules.check_consent, "HLJ-2020.01", HEILONGJIANG, code="CONSENT_REQUIRED")
    refused(rules.check_consent, HENAN.agreement_version, HEILONGJIANG, code="CONSENT_REQUIRED")
    refused(bind, HEILONGJIANG, agreement_version=None, code="CONSENT_REQUIRED")


def test_hn_3_henan_requires_proof_documents():
    """HN-3: Henan takes uploaded proof (marriage certificate, household register)."""
    refused(rules.check_proof, 0, HENAN, code="PROOF_REQUIRED")
    rules.check_proof(1, HENAN)
    refused(bind, HENAN, document_count=0, code="PROOF_REQUIRED")


@pytest.mark.parametrize("policy", [HEILONGJIANG, SHENZHEN, ULANQAB, NATIONAL], ids=lambda p: p.name_en)
def test_hn_3_other_regions_bind_without_proof(policy):
    rules.check_proof(0, policy)


# -- the life of a binding (D-3) ---------------------------------------------------------------------------

START = date(2025, 6, 10)
END = date(2025, 6, 20)


def test_d_3_active_from_start_through_end_inclusive():
    """D-3: active on the days from the start date through the end date, inclusive."""
    assert not rules.is_active(start_on=START, end_on=END, ended_on=None, on=START - timedelta(days=1))
    assert rules.is_active(start_on=START, end_on=END, ended_on=None, on=START)
    assert rules.is_active(start_on=START, end_on=END, ended_on=None, on=END)
    assert not rules.is_active(start_on=START, end_on=END, ended_on=None, on=END + timedelta(days=1))


def test_d_3_no_end_date_stays_active():
    assert rules.is_active(start_on=START, end_on=None, ended_on=None, on=date(2099, 1, 1))


def test_d_3_an_ended_binding_is_not_active_from_its_ending_day():
    assert not rules.is_active(start_on=START, end_on=None, ended_on=date(2025, 6, 15), on=date(2025, 6, 15))
    assert rules.is_active(start_on=START, end_on=None, ended_on=date(2025, 6, 15), on=date(2025, 6, 14))


def test_d_3_state_pending_active_expired():
    """D-3: on the day after the end date it has ended by itself, state ``expired``."""
    assert (
        rules.state(start_on=START, end_on=END, ended_on=None, today=START - timedelta(days=1)) == "pending"
    )
    assert rules.state(start_on=START, end_on=END, ended_on=None, today=START) == "active"
    assert rules.state(start_on=START, end_on=END, ended_on=None, today=END) == "active"
    assert rules.state(start_on=START, end_on=END, ended_on=None, today=END + timedelta(days=1)) == "expired"


def test_d_3_state_ended_by_someone_or_recorded_as_expired():
    ended = date(2025, 6, 12)
    assert (
        rules.state(start_on=START, end_on=END, ended_on=ended, end_reason="by_payer", today=ended) == "ended"
    )
    assert (
        rules.state(
            start_on=START,
            end_on=END,
            ended_on=END + timedelta(days=1),
            end_reason="expired",
            today=END + timedelta(days=1),
        )
        == "expired"
    )


def test_hlj_1_hlj_3_is_open_counts_pending_and_active_not_expired_or_ended():
    """HLJ-1, HLJ-3 count open bindings: future starts included; expired (D-3) and ended ones not."""
    assert rules.is_open(end_on=None, ended_on=None, today=TODAY)
    assert rules.is_open(end_on=TODAY, ended_on=None, today=TODAY)
    assert not rules.is_open(end_on=TODAY - timedelta(days=1), ended_on=None, today=TODAY)
    assert not rules.is_open(end_on=None, ended_on=TODAY, today=TODAY)
