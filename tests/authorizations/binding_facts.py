"""The facts the pure binding checks are tried with: a Harbin payer, his child and an elder, a situation that
passes, and helpers that build a request or run the whole check (tests/authorizations/test_rules*.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from gongji.authorizations import rules
from gongji.authorizations.rules import BindingRequest, BindingSituation, Party
from gongji.errors import GongjiError
from gongji.terms import Relationship, Scheme, Status

TODAY = date(2025, 6, 2)

PAYER = Party(
    person_id=1,
    name="张建国",
    birth_date=date(1975, 5, 1),
    scheme=Scheme.EMPLOYEE,
    region_code="230100",
    status=Status.NORMAL,
)
CHILD = Party(
    person_id=2,
    name="张丽",
    birth_date=date(2000, 5, 1),
    scheme=Scheme.RESIDENT,
    region_code="230100",
    status=Status.NORMAL,
)
ELDER = Party(
    person_id=3,
    name="张老汉",
    birth_date=date(1950, 5, 1),
    scheme=Scheme.RESIDENT,
    region_code="230100",
    status=Status.NORMAL,
)

SITUATION = BindingSituation(
    payer_balance_fen=100_000,
    payer_open_bindings=0,
    beneficiary_open_bindings=0,
    payer_is_beneficiary=False,
    beneficiary_is_payer=False,
    existing_binding_id=None,
    last_unbound_on=None,
    beneficiary_in_payers_family=True,
)


def refused(fn, *args, code: str, **kwargs) -> GongjiError:
    """Call ``fn`` and return the GongjiError it raises, after checking its stable code."""
    with pytest.raises(GongjiError) as info:
        fn(*args, **kwargs)
    assert info.value.code == code, info.value
    return info.value


def request(policy, **changes) -> BindingRequest:
    base = BindingRequest(
        relationship=Relationship.CHILD,
        start_on=TODAY,
        end_on=None,
        priority=None,
        agreement_version=policy.agreement_version,
        document_count=1,
    )
    return replace(base, **changes)


def bind(
    policy,
    *,
    payer: Party = PAYER,
    beneficiary: Party = CHILD,
    today: date = TODAY,
    situation: BindingSituation = SITUATION,
    **request_changes,
) -> None:
    rules.check_binding(
        payer=payer,
        beneficiary=beneficiary,
        request=request(policy, **request_changes),
        situation=situation,
        policy=policy,
        today=today,
    )
