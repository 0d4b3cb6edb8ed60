"""Who may bind whom, and when: pure rules over plain facts (no session, no clock, no I/O).

The service loads the facts, :func:`check_binding` decides, the service writes. Each check is a
small function of its own, named after the rule it enforces, so a test can aim at one rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from gongji.errors import GongjiError
from gongji.policy import AidModel, ProofPolicy, RegionPolicy
from gongji.terms import DocumentKind, Relationship, Scheme, Status


@dataclass(frozen=True)
class Party:
    """What the rules need to know about one person."""

    person_id: int
    name: str
    birth_date: date
    scheme: Scheme
    region_code: str
    status: Status


@dataclass(frozen=True)
class BindingRequest:
    relationship: Relationship
    start_on: date
    end_on: date | None
    priority: int | None
    agreement_version: str | None  # the version the payer accepted; None if not accepted
    document_count: int = 0
    at_counter: bool = False  # staff handle it in person (N-8, WL-4)
    checked_documents: frozenset[DocumentKind] = frozenset()


@dataclass(frozen=True)
class BindingSituation:
    """What the database says about the two people right now."""

    payer_balance_fen: int
    payer_open_bindings: int  # bindings where the payer pays, not ended (future ones included)
    beneficiary_open_bindings: int  # bindings where the beneficiary is paid for, not ended
    payer_is_beneficiary: bool  # someone pays for the payer
    beneficiary_is_payer: bool  # the beneficiary pays for someone
    existing_binding_id: int | None  # an open binding of the same pair
    last_unbound_on: date | None  # the latest explicit unbinding of the same pair
    beneficiary_in_payers_family: bool  # HN-1: both are members of one family
    #: N-7: an open spouse binding of the payer, or of the beneficiary, with a third person.
    payer_has_other_spouse: bool = False
    beneficiary_has_other_spouse: bool = False


# -- the checks, in the order they are applied ------------------------------------------------------


def check_not_self(payer: Party, beneficiary: Party) -> None:
    if payer.person_id == beneficiary.person_id:
        raise GongjiError("SELF_BINDING")


def check_binding_model(policy: RegionPolicy) -> None:
    """HZ-1: regions of the transfer model make no bindings."""
    if policy.aid_model is not AidModel.BINDING:
        raise GongjiError("BINDING_NOT_OFFERED", region_name=policy.name)


def check_period(start_on: date, end_on: date | None, today: date) -> None:
    """HLJ-6: start not before today; end optional, after the start (so never equal to it)."""
    if start_on < today:
        raise GongjiError("DATE_IN_PAST", field="start_on", today=today.isoformat())
    if end_on is not None and end_on <= start_on:
        raise GongjiError("INVALID_PERIOD", start_on=start_on.isoformat(), end_on=end_on.isoformat())


def check_priority(priority: int | None) -> None:
    """WL-1: the payer's place in the order is a whole number from 1."""
    if priority is None:
        return
    if isinstance(priority, bool) or not isinstance(priority, int) or not 1 <= priority <= 99:
        raise GongjiError(
            "INVALID_FIELD", field="priority",
            reason_zh="扣款顺位须为1至99的整数（1最先扣款）",
            reason_en="the payment order is a whole number from 1 to 99 (1 pays first)",
        )


def check_relationship_allowed(relationship: Relationship, policy: RegionPolicy) -> None:
    """N-2, SZ-2, HZ-1: only the close relatives the region allows."""
    if not policy.allows_relationship(relationship):
        raise GongjiError(
            "RELATIONSHIP_NOT_ALLOWED", region_name=policy.name, relationship_zh=relationship.zh,
            relationship_en=relationship.en, allowed_zh=policy.relationships_zh(), allowed_en=policy.relationships_en(),
        )


def check_relationship_plausible(relationship: Relationship, payer: Party, beneficiary: Party) -> None:
    """A parent is born before the payer, a child after: catches a relationship chosen the wrong way round."""
    check_birth_order(relationship, payer.birth_date, beneficiary.birth_date)


#: Siblings born further apart than this are not believed (N-2): a parent or a grandparent given as a sibling, or
#: someone else's ID number. Children of one parent born 40 years apart are not seen in practice.
SIBLING_MAX_YEARS_APART = 40


def _years_apart(a: date, b: date) -> int:
    """Whole years from the earlier date to the later (a birthday not yet reached does not count)."""
    first, last = sorted((a, b))
    return last.year - first.year - ((last.month, last.day) < (first.month, first.day))


def check_birth_order(relationship: Relationship, payer_birth: date, beneficiary_birth: date) -> None:
    """:func:`check_relationship_plausible` from the two birth dates alone (a relative in another province is known
    here only by his ID number, which carries his birth date). A sibling (N-2) is of the payer's generation: born
    at most :data:`SIBLING_MAX_YEARS_APART` years before or after him (twins on the same day)."""
    generation = relationship.generation
    if relationship is Relationship.SIBLING and _years_apart(payer_birth, beneficiary_birth) >= SIBLING_MAX_YEARS_APART:
        raise GongjiError(
            "RELATIONSHIP_IMPLAUSIBLE", relationship_zh=relationship.zh, relationship_en=relationship.en,
            payer_birth=payer_birth.isoformat(), beneficiary_birth=beneficiary_birth.isoformat(),
        )
    if (generation > 0 and beneficiary_birth >= payer_birth) or (generation < 0 and beneficiary_birth <= payer_birth):
        raise GongjiError(
            "RELATIONSHIP_IMPLAUSIBLE", relationship_zh=relationship.zh, relationship_en=relationship.en,
            payer_birth=payer_birth.isoformat(), beneficiary_birth=beneficiary_birth.isoformat(),
        )


def check_one_spouse(relationship: Relationship, situation: BindingSituation) -> None:
    """N-7's plausibility: a person has one spouse, so two open spouse bindings with two people are refused."""
    if relationship is not Relationship.SPOUSE:
        return
    if situation.payer_has_other_spouse:
        raise GongjiError("SPOUSE_ALREADY_BOUND", side_zh="共济人", side_en="the payer")
    if situation.beneficiary_has_other_spouse:
        raise GongjiError("SPOUSE_ALREADY_BOUND", side_zh="被共济的亲属", side_en="the relative")


def check_consent(agreement_version: str | None, policy: RegionPolicy) -> None:
    """N-7: the payer accepts the region's current authorization agreement."""
    if agreement_version != policy.agreement_version:
        raise GongjiError("CONSENT_REQUIRED", agreement=policy.agreement_title, version=policy.agreement_version)


def check_proof(document_count: int, policy: RegionPolicy) -> None:
    """HN-3: some regions ask for proof of the relationship."""
    if policy.proof_documents is ProofPolicy.REQUIRED and document_count == 0:
        raise GongjiError("PROOF_REQUIRED")


def check_counter_documents(at_counter: bool, checked: frozenset[DocumentKind], policy: RegionPolicy) -> None:
    """N-8, HLJ-9, SZ-4, WL-4: at a counter, staff check every document of the region's list before binding."""
    if not at_counter:
        return
    missing = [kind for kind in policy.counter_documents if kind not in checked]
    if missing:
        raise GongjiError("COUNTER_DOCUMENTS_MISSING", missing_zh="、".join(k.zh for k in missing),
                          missing_en=", ".join(k.en for k in missing))


def check_enrolled(party: Party) -> None:
    """N-2: both sides must be enrolled in basic medical insurance."""
    if party.status is Status.TERMINATED:
        raise GongjiError("NOT_ENROLLED", name=party.name, status_zh=party.status.zh, status_en=party.status.en)


def check_payer_scheme(payer: Party) -> None:
    """N-1: only an employee enrollee has a personal account and can pay."""
    if payer.scheme is not Scheme.EMPLOYEE:
        raise GongjiError("PAYER_NOT_EMPLOYEE", name=payer.name)


def check_payer_status(payer: Party, policy: RegionPolicy) -> None:
    """HN-2, HLJ-4, WL-5: whether a suspended payer may take part is the region's setting."""
    if payer.status is Status.SUSPENDED and not policy.suspended_payer_may_pay:
        raise GongjiError("PAYER_NOT_NORMAL", name=payer.name, status_zh=payer.status.zh, status_en=payer.status.en)


def check_beneficiary_status(beneficiary: Party, policy: RegionPolicy) -> None:
    """HN-2: whether a suspended beneficiary may use mutual aid is the region's setting."""
    if beneficiary.status is Status.SUSPENDED and not policy.suspended_beneficiary_may_use:
        raise GongjiError(
            "BENEFICIARY_NOT_NORMAL", name=beneficiary.name, status_zh=beneficiary.status.zh,
            status_en=beneficiary.status.en,
        )


def check_scope(payer: Party, beneficiary: Party, policy: RegionPolicy) -> None:
    """N-6, SZ-2, WL-2, HLJ-5: both enrolled within the region's geographic scope."""
    if not policy.geographic_scope.contains(payer.region_code, beneficiary.region_code):
        raise GongjiError(
            "OUT_OF_SCOPE", scope_zh=policy.geographic_scope.zh, scope_en=policy.geographic_scope.en,
        )


def check_payer_balance(payer: Party, balance_fen: int, policy: RegionPolicy) -> None:
    """HLJ-4: some regions bind only payers whose balance is above zero."""
    if policy.payer_needs_balance_to_bind and balance_fen <= 0:
        raise GongjiError("PAYER_NO_BALANCE", name=payer.name)


def check_not_bound_already(payer: Party, beneficiary: Party, existing_binding_id: int | None) -> None:
    if existing_binding_id is not None:
        raise GongjiError(
            "ALREADY_BOUND", payer_name=payer.name, beneficiary_name=beneficiary.name, binding_id=existing_binding_id
        )


def rebind_possible_from(last_unbound_on: date | None, policy: RegionPolicy) -> date | None:
    """D-4: unbound on day D, binding again is possible on D + wait days."""
    if last_unbound_on is None or policy.rebind_wait_days == 0:
        return None
    return last_unbound_on + timedelta(days=policy.rebind_wait_days)


def check_rebind_wait(last_unbound_on: date | None, today: date, policy: RegionPolicy) -> None:
    """HLJ-2: after unbinding, the same pair binds again only after the region's waiting days."""
    possible_from = rebind_possible_from(last_unbound_on, policy)
    if possible_from is not None and today < possible_from:
        raise GongjiError(
            "REBIND_TOO_SOON", unbound_on=last_unbound_on.isoformat(), rebind_from=possible_from.isoformat(),
            wait_days=policy.rebind_wait_days,
        )


def check_caps(payer: Party, beneficiary: Party, situation: BindingSituation, policy: RegionPolicy) -> None:
    """HLJ-1 (beneficiaries per payer) and HLJ-3 (payers per beneficiary; one role at a time)."""
    cap = policy.max_beneficiaries_per_payer
    if cap is not None and situation.payer_open_bindings >= cap:
        raise GongjiError("TOO_MANY_BENEFICIARIES", name=payer.name, count=situation.payer_open_bindings, limit=cap)
    cap = policy.max_payers_per_beneficiary
    if cap is not None and situation.beneficiary_open_bindings >= cap:
        raise GongjiError("TOO_MANY_PAYERS", name=beneficiary.name, count=situation.beneficiary_open_bindings, limit=cap)
    if not policy.payer_may_also_be_beneficiary:
        if situation.payer_is_beneficiary:
            raise GongjiError("ROLE_CONFLICT", name=payer.name, role_zh="被共济的使用人", role_en="beneficiary")
        if situation.beneficiary_is_payer:
            raise GongjiError("ROLE_CONFLICT", name=beneficiary.name, role_zh="共济人", role_en="payer")


def check_family(beneficiary: Party, in_family: bool, policy: RegionPolicy) -> None:
    """HN-1: where families are required, payer and beneficiary must be members of one family."""
    if policy.family_required and not in_family:
        raise GongjiError("FAMILY_REQUIRED", name=beneficiary.name)


def check_binding(
    *,
    payer: Party,
    beneficiary: Party,
    request: BindingRequest,
    situation: BindingSituation,
    policy: RegionPolicy,
    today: date,
) -> None:
    """Every rule a new binding must pass, under the payer's region policy. Raises the first refusal."""
    check_not_self(payer, beneficiary)
    check_binding_model(policy)
    check_period(request.start_on, request.end_on, today)
    check_priority(request.priority)
    check_relationship_allowed(request.relationship, policy)
    check_relationship_plausible(request.relationship, payer, beneficiary)
    check_one_spouse(request.relationship, situation)
    check_consent(request.agreement_version, policy)
    check_proof(request.document_count, policy)
    check_counter_documents(request.at_counter, request.checked_documents, policy)
    check_enrolled(payer)
    check_payer_scheme(payer)
    check_enrolled(beneficiary)
    check_payer_status(payer, policy)
    check_beneficiary_status(beneficiary, policy)
    check_scope(payer, beneficiary, policy)
    check_payer_balance(payer, situation.payer_balance_fen, policy)
    check_not_bound_already(payer, beneficiary, situation.existing_binding_id)
    check_rebind_wait(situation.last_unbound_on, today, policy)
    check_caps(payer, beneficiary, situation, policy)
    check_family(beneficiary, situation.beneficiary_in_payers_family, policy)


# -- the life of a binding ------------------------------------------------------------------------


def is_open(*, end_on: date | None, ended_on: date | None, today: date) -> bool:
    """Not ended and not expired: counts toward the caps (HLJ-1, HLJ-3), future starts included."""
    return ended_on is None and (end_on is None or end_on >= today)


def is_active(*, start_on: date, end_on: date | None, ended_on: date | None, on: date) -> bool:
    """D-3: active from the start date through the end date, inclusive, unless ended before."""
    if ended_on is not None and ended_on <= on:
        return False
    return start_on <= on and (end_on is None or on <= end_on)


def state(*, start_on: date, end_on: date | None, ended_on: date | None, end_reason: str | None = None,
          today: date) -> str:
    """``pending``, ``active``, ``ended`` (by someone) or ``expired`` (D-3)."""
    if ended_on is not None and ended_on <= today:
        return "expired" if end_reason == "expired" else "ended"
    if end_on is not None and end_on < today:
        return "expired"
    return "pending" if start_on > today else "active"


def check_existing_binding(
    *,
    payer: Party,
    beneficiary: Party,
    request: BindingRequest,
    situation: BindingSituation,
    policy: RegionPolicy,
) -> None:
    """A binding an insurer already has, loaded from its files (``gongji import people``): the rules of a binding
    as it stands, under the payer's region policy. Not those of the act of binding, which happened elsewhere: a
    start date in the past is fine, the acceptance of the agreement, proof documents, a counter's checklist and the
    re-bind wait were the old system's to check."""
    check_not_self(payer, beneficiary)
    check_binding_model(policy)
    if request.end_on is not None and request.end_on <= request.start_on:
        raise GongjiError("INVALID_PERIOD", start_on=request.start_on.isoformat(), end_on=request.end_on.isoformat())
    check_priority(request.priority)
    check_relationship_allowed(request.relationship, policy)
    check_relationship_plausible(request.relationship, payer, beneficiary)
    check_enrolled(payer)
    check_payer_scheme(payer)
    check_enrolled(beneficiary)
    check_payer_status(payer, policy)
    check_beneficiary_status(beneficiary, policy)
    check_scope(payer, beneficiary, policy)
    check_payer_balance(payer, situation.payer_balance_fen, policy)
    check_not_bound_already(payer, beneficiary, situation.existing_binding_id)
    check_caps(payer, beneficiary, situation, policy)
    check_family(beneficiary, situation.beneficiary_in_payers_family, policy)
