"""转移接续 (LC-7): moving to another province carries the personal-account balance to the new insurer, once.

Each province is its own instance; messages go through the federation outbox and the hub (HN-9), as the wallet's do
(:mod:`gongji.wallet.across`). A person of province 23 moves to Zhengzhou (41):

1. **the move**, in 23 (:func:`send_out`, in the transaction of :func:`gongji.life.service.record`): his enrollment
   here ends; the balance of both his funds goes from his personal account to ``account_transit_out:41`` in one
   balanced entry; the row (``out``, ``sent``) and an ``account.transfer`` message are written with it. A move
   recorded again is the same life event and sends nothing again.
2. **the arrival**, in 41 (:func:`arrive`, once per message; a message delivered again finds the row): he must be
   enrolled there as an employee enrollee with a personal account. Then the money goes from
   ``account_transit_in:23`` into his funds there (current-year to current-year, prior-years to prior-years) and
   ``account.arrived`` goes back; otherwise the row is ``refused``, nothing moves there, and ``account.refused``
   goes back with the reason.
3. **the answer**, in 23 (:func:`settle`): arrived changes the state only; refused gives the money back from the
   transit account to the funds it came from, his account here, which stays his (LC-5): never lost.

A refund that reaches his account here after the move (HN-5) follows him the same way when his region says so
(:func:`after_refund`, LC-5: ``[closed_accounts] refunds_to``).

Either side or the hub being down only delays a message: the outbox sends it again until it is acknowledged. At
every moment the money of both instances plus the two transit accounts is what it was.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gongji.actors import Actor
from gongji.db.dialect import for_update
from gongji.env import Env
from gongji.errors import GongjiError
from gongji.events.service import record as record_event
from gongji.federation import service as federation
from gongji.federation.config import HUB_NAME
from gongji.federation.wire import Envelope
from gongji.ledger import service as ledger
from gongji.life.models import AccountTransfer, LifeEvent
from gongji.money import require_fen
from gongji.people import service as people
from gongji.people.ids import parse_id_number
from gongji.people.models import Person
from gongji.policy.settings import ClosedAccountRefunds
from gongji.terms import Fund, Scheme, Status

#: Who the arrival and the answers are recorded as having been made by.
ACTOR = Actor.system("federation")
#: The message kinds: the transfer, and the two answers to it.
TRANSFER, ARRIVED, REFUSED = "account.transfer", "account.arrived", "account.refused"
KINDS = (TRANSFER, ARRIVED, REFUSED)
OUT, IN = "out", "in"
SENT, DONE, REFUSED_STATE = "sent", "arrived", "refused"
#: The ledger accounts of money on its way between two instances, named from this side (as the wallet's).
TRANSIT_OUT, TRANSIT_IN = "account_transit_out", "account_transit_in"
OUT_ENTRY, ARRIVE_ENTRY, RETURN_ENTRY = "account_carry_out", "account_carry_in", "account_carry_back"


def transit_account(session: Session, kind: str, province: str, *, at: datetime) -> int:
    return ledger.system_account(session, kind=kind, key=province, region_code=f"{province}0000", at=at)


def _funds(session: Session, person_id: int) -> dict[Fund, Any]:
    accounts = {fund: account for fund, account in ledger.personal_accounts(session, person_id).items()
                if fund in (Fund.CURRENT_YEAR, Fund.PRIOR_YEARS)}
    ledger.lock(session, [a.id for a in accounts.values()])
    for account in accounts.values():
        session.refresh(account)
    return accounts


# -- in the province he leaves ---------------------------------------------------------------------


def send_out(session: Session, env: Env, *, person: Person, event: LifeEvent, from_region_code: str,
             actor: Actor) -> AccountTransfer | None:
    """Step 1, in the move's transaction: carry his personal-account balance towards the new province; None when
    there is nothing to carry (no personal account, or nothing on it)."""
    return _carry(session, env, person=person, from_region_code=from_region_code,
                  to_region_code=event.to_region_code, moved_on=event.occurred_on, life_event_id=event.id,
                  actor=actor)


def _carry(session: Session, env: Env, *, person: Person, from_region_code: str, to_region_code: str,
           moved_on: date, life_event_id: int | None, actor: Actor) -> AccountTransfer | None:
    province = to_region_code[:2]
    accounts = _funds(session, person.id)
    current = accounts[Fund.CURRENT_YEAR].balance_fen if Fund.CURRENT_YEAR in accounts else 0
    prior = accounts[Fund.PRIOR_YEARS].balance_fen if Fund.PRIOR_YEARS in accounts else 0
    if current + prior == 0:
        return None
    now = env.now()
    row = AccountTransfer(
        transfer_no=f"{from_region_code}-{uuid.uuid4().hex}", direction=OUT, counterpart_province=province,
        life_event_id=life_event_id, person_id=person.id, id_number=person.id_number, name=person.name,
        from_region_code=from_region_code, to_region_code=to_region_code, current_year_fen=current,
        prior_years_fen=prior, amount_fen=current + prior, state=SENT, moved_on=moved_on, sent_at=now)
    session.add(row)
    session.flush()
    legs = [ledger.Leg(accounts[fund].id, -amount) for fund, amount in
            ((Fund.CURRENT_YEAR, current), (Fund.PRIOR_YEARS, prior)) if amount]
    row.out_entry_id = ledger.post(
        session, kind=OUT_ENTRY, at=now, on=env.today(), ref_type="account_transfer", ref_id=row.id,
        legs=[*legs, ledger.Leg(transit_account(session, TRANSIT_OUT, province, at=now), row.amount_fen)])
    session.flush()
    federation.enqueue(session, env, kind=TRANSFER, destination=province, body={
        "transfer_no": row.transfer_no, "id_number": row.id_number, "name": row.name,
        "from_region_code": row.from_region_code, "to_region_code": row.to_region_code,
        "current_year_fen": current, "prior_years_fen": prior, "moved_on": row.moved_on.isoformat(),
        "sent_at": now.isoformat()})
    record_event(session, env, kind="account.carried_out", actor=actor, subject_type="account_transfer",
                 subject_id=row.id, concerns=[person.id],
                 data={"transfer_no": row.transfer_no, "amount_fen": row.amount_fen, "province": province,
                       "to_region_code": row.to_region_code})
    return row


def after_refund(session: Session, env: Env, *, person_id: int, amount_fen: int, actor: Actor) -> str | None:
    """A refund (HN-5) has just put ``amount_fen`` back on the account of ``person_id``: if that account is closed
    (his enrollment here ended), send it where his region says (LC-5): on to his new insurer after a move to
    another province (``new_account``), or keep it there for him or his estate (``estate``; always after a death).
    The choice is an event either way. Returns ``new_account``, ``estate``, or None for an open account."""
    person = people.get(session, person_id)
    enrollment = person.enrollment
    if enrollment is None or enrollment.status != Status.TERMINATED.value:
        return None
    moved = session.execute(select(AccountTransfer).where(
        AccountTransfer.person_id == person_id, AccountTransfer.direction == OUT,
        AccountTransfer.life_event_id.is_not(None)).order_by(AccountTransfer.id.desc()).limit(1)).scalar_one_or_none()
    where = ClosedAccountRefunds.ESTATE
    region_code = moved.from_region_code if moved is not None else enrollment.region_code
    carried = None
    if (moved is not None and env.federation is not None and not env.federation.is_hub
            and env.policy(region_code).closed_accounts.refunds_to is ClosedAccountRefunds.NEW_ACCOUNT):
        where = ClosedAccountRefunds.NEW_ACCOUNT
        carried = _carry(session, env, person=person, from_region_code=moved.from_region_code,
                         to_region_code=moved.to_region_code, moved_on=moved.moved_on, life_event_id=None,
                         actor=actor)
    record_event(session, env, kind="account.refund_to_closed", actor=actor, subject_type="person",
                 subject_id=person.id, concerns=[person.id],
                 data={"amount_fen": amount_fen, "to": where.value, "region_code": region_code,
                       "transfer_no": carried.transfer_no if carried is not None else None})
    return where.value


def _transfer_no(value: Any) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= 60:
        raise GongjiError("FEDERATION_MESSAGE_INVALID", reason="'transfer_no' must be a string of 1 to 60 characters")
    return value


def apply(session: Session, env: Env, envelope: Envelope) -> str:
    """Apply one ``account.*`` message for this province (in the inbox's transaction); a few words on what it did."""
    if envelope.kind == TRANSFER:
        return arrive(session, env, envelope.body, source=envelope.source)
    if envelope.kind in (ARRIVED, REFUSED):
        return settle(session, env, envelope.kind, envelope.body, source=envelope.source)
    raise GongjiError("FEDERATION_MESSAGE_INVALID", reason=f"unknown kind {envelope.kind[:40]}")


def _region(value: Any, province: str, field: str) -> str:
    if not (isinstance(value, str) and len(value) == 6 and value.isascii() and value.isdigit()
            and value[:2] == province):
        raise ValueError(f"'{field}' must be a six-digit region in province {province[:8]}")
    return value


# -- in the province he moves to -------------------------------------------------------------------


def arrive(session: Session, env: Env, body: dict[str, Any], *, source: str) -> str:
    """Step 2: take in a balance carried from province ``source``, or refuse it and say why."""
    transfer_no = _transfer_no(body.get("transfer_no"))
    here = env.federation.province if env.federation is not None else None
    try:
        if not (len(source) == 2 and source.isdigit()):
            raise ValueError(f"an account transfer comes from a province, not from {source[:8]}")
        current = require_fen(body["current_year_fen"], field="current_year_fen", allow_zero=True)
        prior = require_fen(body["prior_years_fen"], field="prior_years_fen", allow_zero=True)
        if current + prior <= 0:
            raise ValueError("nothing to carry")
        id_number = parse_id_number(body["id_number"]).number
        from_region = _region(body["from_region_code"], source, "from_region_code")
        to_region = _region(body["to_region_code"], here or str(body["to_region_code"])[:2], "to_region_code")
        moved_on = date.fromisoformat(body["moved_on"])
        name = str(body["name"])[:50]
    except (GongjiError, KeyError, TypeError, ValueError) as exc:
        raise GongjiError("FEDERATION_MESSAGE_INVALID", reason=f"account.transfer {transfer_no}: {exc}") from None
    existing = session.execute(select(AccountTransfer).where(AccountTransfer.transfer_no == transfer_no)
                               ).scalar_one_or_none()
    if existing is not None:
        return f"{transfer_no} already here ({existing.state})"
    now = env.now()
    row = AccountTransfer(
        transfer_no=transfer_no, direction=IN, counterpart_province=source, id_number=id_number, name=name,
        from_region_code=from_region, to_region_code=to_region, current_year_fen=current, prior_years_fen=prior,
        amount_fen=current + prior, state=DONE, moved_on=moved_on, sent_at=now, settled_at=now)
    try:
        person = people.find(session, id_number)
        row.person_id = person.id
        enrollment = people.enrollment_of(person)
        accounts = _funds(session, person.id)
        if (enrollment.scheme != Scheme.EMPLOYEE.value or enrollment.status == Status.TERMINATED.value
                or set(accounts) != {Fund.CURRENT_YEAR, Fund.PRIOR_YEARS}):
            raise GongjiError("ACCOUNT_TRANSFER_NO_ACCOUNT")
    except GongjiError as refusal:
        row.state = REFUSED_STATE
        row.refusal_code, row.refusal_zh, row.refusal_en = (refusal.code, refusal.message_zh[:400],
                                                            refusal.message_en[:400])
        session.add(row)
        session.flush()
        federation.enqueue(session, env, kind=REFUSED, destination=source, body={
            "transfer_no": transfer_no, "refused_at": now.isoformat(), "code": refusal.code,
            "message_zh": row.refusal_zh, "message_en": row.refusal_en})
        return f"refused {refusal.code}"
    session.add(row)
    session.flush()
    legs = [ledger.Leg(accounts[fund].id, amount) for fund, amount in
            ((Fund.CURRENT_YEAR, current), (Fund.PRIOR_YEARS, prior)) if amount]
    row.arrive_entry_id = ledger.post(
        session, kind=ARRIVE_ENTRY, at=now, on=env.today(), ref_type="account_transfer", ref_id=row.id,
        legs=[ledger.Leg(transit_account(session, TRANSIT_IN, source, at=now), -row.amount_fen), *legs])
    session.flush()
    federation.enqueue(session, env, kind=ARRIVED, destination=source,
                       body={"transfer_no": transfer_no, "arrived_at": now.isoformat()})
    record_event(session, env, kind="account.carried_in", actor=ACTOR, subject_type="account_transfer",
                 subject_id=row.id, concerns=[person.id],
                 data={"transfer_no": transfer_no, "amount_fen": row.amount_fen, "province": source,
                       "from_region_code": from_region})
    return f"{transfer_no} arrived"


# -- back in the province he left ------------------------------------------------------------------


def settle(session: Session, env: Env, kind: str, body: dict[str, Any], *, source: str | None = None) -> str:
    """Step 3: what the new province says became of a balance carried from here. Only that province speaks for it
    (the hub only to refuse it: a province it does not serve); a second answer changes nothing."""
    transfer_no = _transfer_no(body.get("transfer_no"))
    row = session.execute(for_update(session, select(AccountTransfer).where(
        AccountTransfer.transfer_no == transfer_no, AccountTransfer.direction == OUT))).scalar_one_or_none()
    if row is None:
        raise GongjiError("FEDERATION_MESSAGE_INVALID", reason=f"no account transfer {transfer_no} was sent from here")
    if source is not None and source != row.counterpart_province and not (source == HUB_NAME and kind == REFUSED):
        raise GongjiError("FEDERATION_MESSAGE_INVALID",
                          reason=f"{kind} for {transfer_no} from {source[:8]}, not from province "
                                 f"{row.counterpart_province}, where it was sent")
    if row.state != SENT:
        return f"{transfer_no} already {row.state}"
    now = env.now()
    row.settled_at = now
    if kind == ARRIVED:
        row.state = DONE
        event, data = "account.carry_arrived", {}
    else:
        accounts = _funds(session, row.person_id)
        legs = [ledger.Leg(accounts[fund].id, amount) for fund, amount in
                ((Fund.CURRENT_YEAR, row.current_year_fen), (Fund.PRIOR_YEARS, row.prior_years_fen)) if amount]
        row.return_entry_id = ledger.post(
            session, kind=RETURN_ENTRY, at=now, on=env.today(), ref_type="account_transfer", ref_id=row.id,
            legs=[ledger.Leg(transit_account(session, TRANSIT_OUT, row.counterpart_province, at=now),
                             -row.amount_fen), *legs])
        row.state = REFUSED_STATE
        row.refusal_code = str(body.get("code"))[:40]
        row.refusal_zh, row.refusal_en = str(body.get("message_zh"))[:400], str(body.get("message_en"))[:400]
        event = "account.carry_refused"
        data = {"code": row.refusal_code, "message_zh": row.refusal_zh, "message_en": row.refusal_en}
    session.flush()
    record_event(session, env, kind=event, actor=ACTOR, subject_type="account_transfer", subject_id=row.id,
                 concerns=[row.person_id], data={"transfer_no": transfer_no, "amount_fen": row.amount_fen,
                                                 "province": row.counterpart_province, **data})
    return f"{transfer_no} {row.state}"


def transfers_of(session: Session, person_id: int) -> list[AccountTransfer]:
    return list(session.execute(select(AccountTransfer).where(AccountTransfer.person_id == person_id)
                                .order_by(AccountTransfer.id)).scalars())
