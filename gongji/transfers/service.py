"""Transfers of prior-years funds to relatives (HZ-1..HZ-4) and resident contributions paid for relatives (N-5)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from gongji import idempotency
from gongji.actors import Actor
from gongji.authorizations import rules as binding_rules
from gongji.authorizations import service as authorizations
from gongji.authorizations.service import party
from gongji.env import Env
from gongji.errors import GongjiError
from gongji.events.service import record as record_event
from gongji.ledger import service as ledger
from gongji.ledger.models import Account
from gongji.money import require_fen
from gongji.people import service as people
from gongji.people.ids import parse_id_number
from gongji.people.models import Person
from gongji.policy import AidModel
from gongji.settlement import rules as settlement_rules
from gongji.terms import Fund, Relationship, Scheme, Use, parse_enum
from gongji.transfers.models import ContributionPayment, Transfer


@dataclass(frozen=True)
class Sending:
    """A request to send money to a relative, read and checked alike for a transfer (HZ-1) and a wallet transfer
    (WAL-1): the key, the relationship, both people, who may ask, and an earlier request with the same key."""

    key: str
    scope: str
    content: dict  # what the key's fingerprint covers
    relationship: Relationship
    payer: Person
    beneficiary: Person | None  # None: in another province's instance, known here by his ID number
    earlier_id: int | None  # what an earlier request with the same key and content made
    beneficiary_id_number: str = ""


def read_sending(session: Session, *, scope: str, payer_id_number: str, beneficiary_id_number: str,
                 relationship: str, amount_fen: int, idempotency_key: str, actor: Actor, who_zh: str,
                 who_en: str, beneficiary_province: str | None = None) -> Sending:
    """Check the request's form and its sender (the payer himself, or staff), then look its key up in the payer's
    ``scope``; the caller returns the earlier result when there is one.

    With ``beneficiary_province`` the relative is insured in that other province's instance: his ID number is
    checked, not looked up (:attr:`Sending.beneficiary` is None)."""
    key = idempotency.check_key(idempotency_key)
    require_fen(amount_fen, field="amount_fen")
    relationship_ = parse_enum(Relationship, relationship, field="relationship", error="UNKNOWN_RELATIONSHIP")
    payer = people.find(session, payer_id_number)
    if beneficiary_province is None:
        beneficiary = people.find(session, beneficiary_id_number)
        beneficiary_number = beneficiary.id_number
    else:
        beneficiary, beneficiary_number = None, parse_id_number(beneficiary_id_number).number
    if not (actor.is_person(payer.id) or actor.is_staff):
        raise GongjiError("ACTOR_NOT_ALLOWED", name=payer.name, who_zh=who_zh, who_en=who_en)
    scoped = f"{scope}:{payer.id}"
    content = {"beneficiary": beneficiary_number, "relationship": relationship_.value, "amount_fen": amount_fen}
    if beneficiary_province is not None:
        content["province"] = beneficiary_province
    earlier = idempotency.find(session, scope=scoped, key=key, content=content)
    return Sending(key, scoped, content, relationship_, payer, beneficiary,
                   None if earlier is None else earlier.result_id, beneficiary_number)


def transfer(
    session: Session,
    env: Env,
    *,
    payer_id_number: str,
    beneficiary_id_number: str,
    relationship: str,
    amount_fen: int,
    agreement_version: str | None,
    idempotency_key: str,
    actor: Actor,
) -> Transfer:
    """HZ-1: move prior-years funds to a close relative, who then owns and spends them with his own card.

    HZ-2: not more than the payer's current prior-years balance. HZ-3: one payer to many relatives
    and many payers to one relative are both fine. HZ-4: the commitment is accepted first.
    """
    sending = read_sending(session, scope="transfer", payer_id_number=payer_id_number,
                           beneficiary_id_number=beneficiary_id_number, relationship=relationship,
                           amount_fen=amount_fen, idempotency_key=idempotency_key, actor=actor, who_zh="授权人",
                           who_en="the payer")
    if sending.earlier_id is not None:
        return session.get(Transfer, sending.earlier_id)
    key, scope, content = sending.key, sending.scope, sending.content
    relationship_, payer, beneficiary = sending.relationship, sending.payer, sending.beneficiary

    payer_party, beneficiary_party = party(payer), party(beneficiary)
    policy = env.policy(payer_party.region_code)
    binding_rules.check_not_self(payer_party, beneficiary_party)
    if policy.aid_model is not AidModel.TRANSFER:
        raise GongjiError("TRANSFER_NOT_OFFERED", region_name=policy.name)
    binding_rules.check_relationship_allowed(relationship_, policy)
    binding_rules.check_relationship_plausible(relationship_, payer_party, beneficiary_party)
    binding_rules.check_consent(agreement_version, policy)
    binding_rules.check_enrolled(payer_party)
    binding_rules.check_payer_scheme(payer_party)
    binding_rules.check_enrolled(beneficiary_party)
    binding_rules.check_payer_status(payer_party, policy)
    binding_rules.check_beneficiary_status(beneficiary_party, policy)
    binding_rules.check_scope(payer_party, beneficiary_party, policy)

    now, today = env.now(), env.today()
    source = ledger.personal_accounts(session, payer.id)[Fund.PRIOR_YEARS]
    target = ledger.personal_accounts(session, beneficiary.id).get(Fund.PRIOR_YEARS)
    balances = ledger.lock(session, [source.id] + ([target.id] if target else []))
    if amount_fen > balances[source.id]:
        raise GongjiError("INSUFFICIENT_PRIOR_YEARS", amount=amount_fen, name=payer.name, balance=balances[source.id])
    if target is None:  # a resident relative gets an account to hold what he receives (refusals come before this)
        ledger.open_personal_accounts(session, person_id=beneficiary.id, region_code=beneficiary_party.region_code,
                                      at=now)
        target = ledger.personal_accounts(session, beneficiary.id)[Fund.PRIOR_YEARS]
    row = Transfer(
        payer_id=payer.id, beneficiary_id=beneficiary.id, relationship=relationship_.value, amount_fen=amount_fen,
        region_code=payer_party.region_code, channel=actor.channel.value, agreement_version=policy.agreement_version,
        agreement_accepted_at=now, operator_kind=actor.kind.value, operator_id=actor.id, at=now, on=today,
    )
    session.add(row)
    session.flush()
    row.entry_id = ledger.post(session, kind="transfer", at=now, on=today, ref_type="transfer", ref_id=row.id,
                               legs=[ledger.Leg(source.id, -amount_fen), ledger.Leg(target.id, amount_fen)])
    idempotency.remember(session, scope=scope, key=key, content=content, result_type="transfer", result_id=row.id,
                         at=now)
    record_event(session, env, kind="transfer.made", actor=actor, subject_type="transfer", subject_id=row.id,
                 concerns=[payer.id, beneficiary.id], data={"amount_fen": amount_fen, "relationship": relationship_.value})
    return row


def pay_resident_contribution(
    session: Session,
    env: Env,
    *,
    payer_id_number: str,
    beneficiary_id_number: str,
    year: int,
    amount_fen: int,
    idempotency_key: str,
    actor: Actor,
) -> ContributionPayment:
    """N-5: pay a bound relative's resident-insurance personal contribution from the payer's account.

    Paid like mutual aid: only through an active binding, only where the region allows the use,
    only from the funds allowed for relatives and above the reserve line (SZ-1).
    """
    key = idempotency.check_key(idempotency_key)
    require_fen(amount_fen, field="amount_fen")
    today = env.today()
    if isinstance(year, bool) or not isinstance(year, int) or not today.year - 1 <= year <= today.year + 1:
        raise GongjiError("INVALID_FIELD", field="year", reason_zh=f"缴费年度须为 {today.year - 1} 至 {today.year + 1}",
                          reason_en=f"the contribution year is {today.year - 1} to {today.year + 1}")
    payer = people.find(session, payer_id_number)
    beneficiary = people.find(session, beneficiary_id_number)
    if not (actor.is_person(payer.id) or actor.is_staff):
        raise GongjiError("ACTOR_NOT_ALLOWED", name=payer.name, who_zh="共济人", who_en="the payer")
    scope = f"contribution:{payer.id}"
    content = {"beneficiary": beneficiary.id_number, "year": year, "amount_fen": amount_fen}
    earlier = idempotency.find(session, scope=scope, key=key, content=content)
    if earlier is not None:
        return session.get(ContributionPayment, earlier.result_id)

    payer_party, beneficiary_party = party(payer), party(beneficiary)
    if beneficiary_party.scheme is not Scheme.RESIDENT:
        raise GongjiError("NOT_RESIDENT_ENROLLEE", name=beneficiary.name)
    binding = next(
        (b for b in authorizations.active_payer_bindings(session, beneficiary_id=beneficiary.id, on=today)
         if b.payer_id == payer.id),
        None,
    )
    if binding is None:
        raise GongjiError("NOT_BOUND", payer_name=payer.name, beneficiary_name=beneficiary.name)
    payer_policy = env.policy(payer_party.region_code)
    binding_rules.check_enrolled(payer_party)
    binding_rules.check_payer_scheme(payer_party)
    binding_rules.check_payer_status(payer_party, payer_policy)
    # A suspended resident is the very relative whose contribution is due; a terminated one has none to pay.
    binding_rules.check_enrolled(beneficiary_party)
    binding_rules.check_scope(payer_party, beneficiary_party, payer_policy)
    if Use.RESIDENT_CONTRIBUTION not in payer_policy.uses_for_relatives:
        use = Use.RESIDENT_CONTRIBUTION
        raise GongjiError("USE_NOT_ALLOWED", region_name=payer_policy.name, use_zh=use.zh, use_en=use.en)
    due = env.policy(beneficiary_party.region_code).resident_contribution_fen
    if due is None or amount_fen != due:
        raise GongjiError("CONTRIBUTION_AMOUNT", name=beneficiary.name, year=year, amount=amount_fen,
                          due=due if due is not None else 0)
    if session.execute(select(ContributionPayment.id).where(ContributionPayment.beneficiary_id == beneficiary.id,
                                                            ContributionPayment.year == year)).first():
        raise GongjiError("CONTRIBUTION_ALREADY_PAID", name=beneficiary.name, year=year)

    accounts = list(session.execute(select(Account).where(Account.person_id == payer.id)).scalars())
    balances = ledger.lock(session, [a.id for a in accounts])
    candidate = settlement_rules.PayerCandidate(
        payer_id=payer.id, binding_id=binding.id, name=payer.name, name_sort_key=payer.name_sort_key,
        id_number=payer.id_number, priority=binding.priority,
        funds=tuple(settlement_rules.FundBalance(a.id, Fund(a.fund), balances[a.id]) for a in accounts),
        reserve_line_fen=payer_policy.reserve_line_fen, funds_for_relatives=frozenset(payer_policy.funds_for_relatives),
    )
    if candidate.available_fen < amount_fen:
        raise GongjiError("INSUFFICIENT_BALANCE", name=payer.name, available=candidate.available_fen, amount=amount_fen)
    plan = settlement_rules.allocate(amount_fen=amount_fen, patient_id=beneficiary.id, own_funds=(), payers=[candidate])
    now = env.now()
    fund_account = ledger.system_account(session, kind=ledger.RESIDENT_FUND, key=beneficiary_party.region_code,
                                         region_code=beneficiary_party.region_code, at=now)
    row = ContributionPayment(payer_id=payer.id, beneficiary_id=beneficiary.id, binding_id=binding.id, year=year,
                              amount_fen=amount_fen, channel=actor.channel.value, at=now, on=today)
    session.add(row)
    session.flush()
    row.entry_id = ledger.post(session, kind="resident_contribution", at=now, on=today, ref_type="contribution",
                               ref_id=row.id, legs=[ledger.Leg(p.account_id, -p.amount_fen) for p in plan.parts]
                               + [ledger.Leg(fund_account, amount_fen)])
    idempotency.remember(session, scope=scope, key=key, content=content, result_type="contribution",
                         result_id=row.id, at=now)
    record_event(session, env, kind="contribution.paid", actor=actor, subject_type="contribution", subject_id=row.id,
                 concerns=[payer.id, beneficiary.id], data={"year": year, "amount_fen": amount_fen})
    return row
