"""AG-1, pure: what an agency authorizes, when, and which request needs which action."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from gongji.agents import rules
from gongji.agents.rules import Action, Terms
from gongji.errors import GongjiError

TODAY = date(2026, 12, 8)


def terms(**kw) -> Terms:
    base = dict(principal_id=1, agent_id=2, actions=frozenset({Action.RECORDS, Action.BINDINGS}),
                start_on=TODAY, end_on=TODAY + timedelta(days=30))
    base.update(kw)
    return Terms(**base)


def test_ag1_authorizes_exactly_the_chosen_actions_within_the_period():
    t = terms()
    assert rules.authorizes(t, Action.RECORDS, TODAY)
    assert rules.authorizes(t, Action.BINDINGS, TODAY + timedelta(days=30))  # the last day counts
    assert not rules.authorizes(t, Action.WALLET, TODAY)
    assert not rules.authorizes(t, Action.RECORDS, TODAY - timedelta(days=1))  # not yet
    assert rules.state(t, TODAY - timedelta(days=1)) == "pending"


def test_ag1_an_expired_agency_authorizes_nothing():
    t = terms()
    later = TODAY + timedelta(days=31)
    assert rules.state(t, later) == "expired"
    assert not any(rules.authorizes(t, a, later) for a in Action)


def test_ag1_an_ended_agency_authorizes_nothing():
    t = terms(ended_on=TODAY)
    assert rules.state(t, TODAY) == "ended"
    assert not any(rules.authorizes(t, a, TODAY) for a in Action)


def test_ag1_grant_checks_self_and_period():
    with pytest.raises(GongjiError) as e:
        rules.check_grant(principal_id=1, agent_id=1, start_on=TODAY, end_on=TODAY + timedelta(days=1), today=TODAY)
    assert e.value.code == "AGENCY_SELF"
    for start, end in [(TODAY - timedelta(days=1), TODAY + timedelta(days=5)), (TODAY, TODAY),
                       (TODAY, TODAY + timedelta(days=rules.MAX_DAYS + 1))]:
        with pytest.raises(GongjiError) as e:
            rules.check_grant(principal_id=1, agent_id=2, start_on=start, end_on=end, today=TODAY)
        assert e.value.code == "AGENCY_PERIOD_INVALID"
    rules.check_grant(principal_id=1, agent_id=2, start_on=TODAY, end_on=TODAY + timedelta(days=rules.MAX_DAYS),
                      today=TODAY)


def test_ag1_actions_parsed_and_stored_in_order():
    assert rules.parse_actions("wallet, records") == {Action.WALLET, Action.RECORDS}
    assert rules.actions_text({Action.WALLET, Action.RECORDS}) == "records,wallet"
    for bad, code in [("", "AGENCY_NO_ACTIONS"), (["password"], "UNKNOWN_AGENCY_ACTION")]:
        with pytest.raises(GongjiError) as e:
            rules.parse_actions(bad)
        assert e.value.code == code


def test_ag1_routes_and_pages_map_to_actions_and_the_rest_is_refused_to_agents():
    assert rules.api_action("POST", "/v1/bindings") is Action.BINDINGS
    assert rules.api_action("get", "/v1/people/{person_id}/consumption") is Action.RECORDS
    assert rules.api_action("GET", "/v1/people/{person_id}/statement") is Action.RECORDS
    assert rules.portal_action("/portal/statements/file") is Action.RECORDS
    # never for an agent: passwords, agencies, logins, settlements
    for method, path in [("PUT", "/v1/people/{person_id}/password"), ("POST", "/v1/agencies"),
                         ("POST", "/v1/agencies/{agency_id}/end"), ("POST", "/v1/auth/person"),
                         ("POST", "/v1/settlements")]:
        assert rules.api_action(method, path) is None
    assert rules.portal_action("/portal") is Action.RECORDS
    assert rules.portal_action("/portal/bindings/3/unbind") is Action.BINDINGS
    assert rules.portal_action("/portal/wallet/send") is Action.WALLET
    assert rules.portal_action("/portal/agents") is None
    assert rules.portal_action("/portalx") is None
