"""AG-1, pure: what an agency allows, when it is in force, and which request is which action. No session, no clock.

A person (the *principal*, 委托人) authorizes a relative (the *agent*, 代办人) for chosen :class:`Action` values and
a period. The agent logs in as himself and acts for the principal; the agency authorizes exactly its actions on the
days ``start_on`` through ``end_on`` inclusive, and nothing once it has ended (``ended_on``) or expired. Granting an
agency, ending someone else's and passwords are never among the actions: the agent never gets the principal's
password (N-8's counter reset is for the person himself).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from gongji.errors import GongjiError
from gongji.terms import Labelled, parse_enum

#: The agreement the principal accepts (N-7: its version, the time and the channel are kept with the agency).
AGREEMENT_VERSION = "AG-2026-1"
#: The longest agency, in days (renewed by granting a new one).
MAX_DAYS = 3 * 366


class Action(Labelled):
    """What an agent may be authorized to do for the principal."""

    RECORDS = "records", "查询账户、记录和消息", "view accounts, records, statements and notices"
    BINDINGS = "bindings", "办理共济绑定和解绑", "bind and unbind relatives"
    FAMILY = "family", "管理家庭共济网", "manage the family"
    WALLET = "wallet", "使用医保钱包", "use the medical insurance wallet"
    TRANSFERS = "transfers", "办理划转和代缴", "make transfers and contributions"


@dataclass(frozen=True)
class Terms:
    """An agency as the rules see it."""

    principal_id: int
    agent_id: int
    actions: frozenset[Action]
    start_on: date
    end_on: date
    ended_on: date | None = None


def parse_actions(values: Iterable[str] | str) -> frozenset[Action]:
    """The chosen actions (a list, or text separated by commas); at least one, each known."""
    if isinstance(values, str):
        values = [v for v in re.split(r"[,\s]+", values) if v]
    chosen = frozenset(parse_enum(Action, v, field="actions", error="UNKNOWN_AGENCY_ACTION") for v in values)
    if not chosen:
        raise GongjiError("AGENCY_NO_ACTIONS")
    return chosen


def actions_text(actions: Iterable[Action]) -> str:
    """As stored: the values in the order of :class:`Action`, separated by commas."""
    chosen = set(actions)
    return ",".join(a.value for a in Action if a in chosen)


def check_grant(*, principal_id: int, agent_id: int, start_on: date, end_on: date, today: date) -> None:
    """AG-1: someone else, from today or later, for at most :data:`MAX_DAYS` days."""
    if principal_id == agent_id:
        raise GongjiError("AGENCY_SELF")
    if start_on < today or end_on <= start_on or (end_on - start_on) > timedelta(days=MAX_DAYS):
        raise GongjiError("AGENCY_PERIOD_INVALID", max_days=MAX_DAYS, start_on=start_on.isoformat(),
                          end_on=end_on.isoformat())


def in_force(terms: Terms, today: date) -> bool:
    """Not ended, and ``today`` within its period (both ends included)."""
    return terms.ended_on is None and terms.start_on <= today <= terms.end_on


def authorizes(terms: Terms, action: Action, today: date) -> bool:
    """Whether the agency lets its agent do ``action`` today: in force, and the action chosen."""
    return in_force(terms, today) and action in terms.actions


def state(terms: Terms, today: date) -> str:
    """``pending``, ``active``, ``ended`` or ``expired`` (the words the pages show, as for bindings)."""
    if terms.ended_on is not None:
        return "ended"
    if today > terms.end_on:
        return "expired"
    return "active" if terms.start_on <= today else "pending"


# -- which request is which action -----------------------------------------------------------------

#: API routes an agent may call for the principal, by method and the route's path: the action each needs. Any other
#: route (logins, passwords, agencies, staff's and institutions' routes) is refused to an agent.
API_ACTIONS: dict[tuple[str, str], Action] = {
    ("GET", "/v1/me"): Action.RECORDS,
    ("GET", "/v1/people/{person_id}"): Action.RECORDS,
    ("GET", "/v1/people/{person_id}/accounts"): Action.RECORDS,
    ("GET", "/v1/people/{person_id}/account-changes"): Action.RECORDS,
    ("GET", "/v1/people/{person_id}/consumption"): Action.RECORDS,
    ("GET", "/v1/people/{person_id}/aid-payments"): Action.RECORDS,
    ("GET", "/v1/people/{person_id}/contributions"): Action.RECORDS,
    ("GET", "/v1/people/{person_id}/notifications"): Action.RECORDS,
    ("POST", "/v1/people/{person_id}/notifications/{notification_id}/read"): Action.RECORDS,
    ("POST", "/v1/people/{person_id}/notifications/read"): Action.RECORDS,
    ("POST", "/v1/bindings"): Action.BINDINGS,
    ("GET", "/v1/bindings/{binding_id}"): Action.BINDINGS,
    ("POST", "/v1/bindings/{binding_id}/unbind"): Action.BINDINGS,
    ("GET", "/v1/people/{person_id}/bindings"): Action.BINDINGS,
    ("POST", "/v1/bindings/{binding_id}/pause"): Action.BINDINGS,
    ("POST", "/v1/bindings/{binding_id}/resume"): Action.BINDINGS,
    ("PUT", "/v1/bindings/{binding_id}/monthly-limit"): Action.BINDINGS,
    ("PUT", "/v1/bindings/{binding_id}/priority"): Action.BINDINGS,
    ("PUT", "/v1/bindings/{binding_id}/relationship"): Action.BINDINGS,
    ("POST", "/v1/families"): Action.FAMILY,
    ("GET", "/v1/families/{family_id}"): Action.FAMILY,
    ("GET", "/v1/people/{person_id}/family"): Action.FAMILY,
    ("POST", "/v1/families/{family_id}/members"): Action.FAMILY,
    ("PUT", "/v1/families/{family_id}/members/{person_id}"): Action.FAMILY,
    ("DELETE", "/v1/families/{family_id}/members/{person_id}"): Action.FAMILY,
    ("POST", "/v1/families/{family_id}/leave"): Action.FAMILY,
    ("POST", "/v1/wallets"): Action.WALLET,
    ("POST", "/v1/people/{person_id}/wallet/close"): Action.WALLET,
    ("GET", "/v1/people/{person_id}/wallet"): Action.WALLET,
    ("POST", "/v1/wallet-transfers"): Action.WALLET,
    ("POST", "/v1/wallet-transfers/{wallet_transfer_id}/accept"): Action.WALLET,
    ("GET", "/v1/wallet-transfers/{wallet_transfer_id}"): Action.WALLET,
    ("GET", "/v1/people/{person_id}/wallet-transfers"): Action.WALLET,
    ("POST", "/v1/transfers"): Action.TRANSFERS,
    ("GET", "/v1/transfers/{transfer_id}"): Action.TRANSFERS,
    ("POST", "/v1/resident-contributions"): Action.TRANSFERS,
}

#: Portal pages by the first part of their path after /portal: the action each needs. The agencies page itself is
#: not here: while acting for someone, an agent manages no agencies (he switches back first).
PORTAL_ACTIONS: dict[str, Action] = {
    "": Action.RECORDS,
    "records": Action.RECORDS,
    "payments": Action.RECORDS,
    "notifications": Action.RECORDS,
    "statements": Action.RECORDS,
    "bind": Action.BINDINGS,
    "bindings": Action.BINDINGS,
    "family": Action.FAMILY,
    "wallet": Action.WALLET,
    "transfers": Action.TRANSFERS,
}


def api_action(method: str, route_path: str) -> Action | None:
    """The action an API route needs of an agent, or None: not for agents. Statements (a person's, under his
    records) count as records."""
    found = API_ACTIONS.get((method.upper(), route_path))
    if found is None and method.upper() == "GET" and route_path.startswith("/v1/people/{person_id}/statement"):
        return Action.RECORDS
    return found


def portal_action(path: str) -> Action | None:
    """The action a portal page (``/portal/...``) needs of an agent, or None: not for agents."""
    if path != "/portal" and not path.startswith("/portal/"):
        return None
    first = path[len("/portal/"):].split("/", 1)[0] if path.startswith("/portal/") else ""
    return PORTAL_ACTIONS.get(first)
