"""Wallet transfers between provinces (HN-9, WAL-1..WAL-4): each province is its own instance, a hub between them.

A transfer from a payer of province 23 to a relative insured in province 41:

1. **send**, in 23 (:func:`gongji.wallet.service.send` with ``beneficiary_province``): the payer-side rules as for
   any transfer (limits, hours, balance); the money goes from his funds to ``wallet_transit_out:41``; the row
   (``direction`` ``out``) and a ``wallet.transfer`` message are written in that one transaction.
2. **arrival**, in 41 (:func:`arrive`, applied once per message id): the relative is looked up, his wallet must be
   open, the amount within his region's limit too and the transfer not yet due back. Then the money goes from
   ``wallet_transit_in:23`` to the pending account and waits for him like a local transfer (row ``in``, ``sent``).
   Otherwise the row is ``refused`` (no money moves here) and a ``wallet.refused`` message goes back.
3. **accept** or **return** in 41 as for a local transfer (the return gives the money back to
   ``wallet_transit_in:23``); each sends ``wallet.accepted`` / ``wallet.returned`` back.
4. **the answer**, in 23 (:func:`settle`): accepted changes the state only; returned and refused give the money back
   from ``wallet_transit_out:41`` to the funds it came from.

At every moment the people's money in both instances plus the two transit accounts is what it was: the money is in
exactly one place, and on its way it is on the transit accounts. The payer's instance never returns an ``out``
transfer by itself: only the relative's instance knows whether he accepted it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gongji.actors import Actor
from gongji.authorizations import rules as binding_rules
from gongji.authorizations.service import party
from gongji.clock import CST
from gongji.env import Env
from gongji.errors import GongjiError
from gongji.events.service import record as record_event
from gongji.federation import service as federation
from gongji.federation.config import HUB_NAME, province_name
from gongji.federation.wire import Envelope
from gongji.ledger import service as ledger
from gongji.money import require_fen
from gongji.people import service as people
from gongji.people.ids import parse_id_number
from gongji.terms import Relationship, parse_enum
from gongji.wallet import rules
from gongji.wallet import shared as wallets
from gongji.wallet.models import WalletTransfer

#: Who the arrival and the answers are recorded as having been made by.
ACTOR = Actor.system("federation")


def remote_province(env: Env, province: str | None) -> str | None:
    """The other province a transfer goes to, or None when the relative is here.

    An instance without federation settings serves every region itself: there the province is only checked. An
    instance of province 23 given 23 looks the relative up itself.
    """
    if province is None:
        return None
    if not isinstance(province, str) or len(province) != 2 or not province.isdigit() or not province_name(province):
        raise GongjiError("INVALID_FIELD", field="beneficiary_province",
                          reason_zh="须为两位省级行政区划代码，例如 41 河南省",
                          reason_en="a two-digit province code, e.g. 41 Henan")
    config = env.federation
    if config is None or config.is_hub or province == config.province:
        return None
    return province


def transit_account(session: Session, kind: str, province: str, *, at: datetime) -> int:
    """``wallet_transit_out:<province>`` or ``wallet_transit_in:<province>`` (:data:`gongji.ledger.service`)."""
    return ledger.system_account(session, kind=kind, key=province, region_code=f"{province}0000", at=at)


def send_out(session: Session, env: Env, row: WalletTransfer) -> None:
    """Step 1's message, in the send's transaction."""
    federation.enqueue(session, env, kind="wallet.transfer", destination=row.counterpart_province, body={
        "transfer_no": row.transfer_no, "payer_id_number": row.payer_id_number, "payer_name": row.payer_name,
        "region_code": row.region_code, "beneficiary_id_number": row.beneficiary_id_number,
        "relationship": row.relationship, "amount_fen": row.amount_fen, "sent_at": row.sent_at.isoformat(),
        "sent_on": row.sent_on.isoformat(), "return_due_at": row.return_due_at.isoformat()})


def report(session: Session, env: Env, row: WalletTransfer, kind: str, **body: Any) -> None:
    """Step 3's message back to the payer's instance, in the transaction that accepted or returned ``row``."""
    federation.enqueue(session, env, kind=kind, destination=row.counterpart_province,
                       body={"transfer_no": row.transfer_no, **body})


def apply(session: Session, env: Env, envelope: Envelope) -> str:
    """Apply one message for this province (in the inbox's transaction); a few words on what it did."""
    if envelope.kind == "wallet.transfer":
        return arrive(session, env, envelope.body, source=envelope.source)
    return settle(session, env, envelope.kind, envelope.body, source=envelope.source)


# -- in the relative's instance --------------------------------------------------------------------


def _instant(value: Any, field: str) -> datetime:
    try:
        at = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise GongjiError("FEDERATION_MESSAGE_INVALID", reason=f"'{field}' is not an ISO 8601 instant") from None
    if at.tzinfo is None:
        raise GongjiError("FEDERATION_MESSAGE_INVALID", reason=f"'{field}' has no time zone")
    return at


def _transfer_no(value: Any) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= 60:
        raise GongjiError("FEDERATION_MESSAGE_INVALID", reason="'transfer_no' must be a string of 1 to 60 characters")
    return value


def arrive(session: Session, env: Env, body: dict[str, Any], *, source: str) -> str:
    """Step 2: take in a transfer from province ``source``, or refuse it and say why."""
    transfer_no = _transfer_no(body["transfer_no"])
    try:
        amount = require_fen(body["amount_fen"], field="amount_fen")
        payer_number = parse_id_number(body["payer_id_number"]).number
        relationship = parse_enum(Relationship, body["relationship"], field="relationship",
                                  error="UNKNOWN_RELATIONSHIP")
        sent_at = _instant(body["sent_at"], "sent_at")
        return_due_at = _instant(body["return_due_at"], "return_due_at")
        sent_on = datetime.fromisoformat(f"{body['sent_on']}T00:00:00+08:00").date()
        region_code = body["region_code"]
        if not (isinstance(region_code, str) and len(region_code) == 6 and region_code.isascii()
                and region_code.isdigit() and region_code[:2] == source):
            raise ValueError(f"'region_code' must be the payer's six-digit region in province {source[:8]}")
        payer_name = str(body["payer_name"])[:50]
        beneficiary_number = body["beneficiary_id_number"]
        if not isinstance(beneficiary_number, str) or not 1 <= len(beneficiary_number) <= 18:
            raise ValueError("'beneficiary_id_number' must be a string of 1 to 18 characters")
        if not (len(source) == 2 and source.isdigit()):
            raise ValueError(f"a transfer comes from a province, not from {source[:8]}")
    except (GongjiError, ValueError) as exc:
        # a malformed transfer cannot be taken in nor refused by number alone: the sender must mend it
        raise GongjiError("FEDERATION_MESSAGE_INVALID", reason=f"wallet.transfer {transfer_no}: {exc}") from None
    existing = session.execute(select(WalletTransfer).where(WalletTransfer.transfer_no == transfer_no)
                               ).scalar_one_or_none()
    if existing is not None:
        return f"{transfer_no} already here ({existing.state})"
    now = env.now()
    row = WalletTransfer(
        transfer_no=transfer_no, direction=wallets.IN, counterpart_province=source, payer_id=None,
        payer_id_number=payer_number, payer_name=payer_name, beneficiary_id_number=beneficiary_number,
        relationship=relationship.value, amount_fen=amount, current_year_fen=0, prior_years_fen=0,
        region_code=region_code, state=wallets.SENT, sent_at=sent_at, sent_on=sent_on, return_due_at=return_due_at,
        channel=ACTOR.channel.value, operator_kind=ACTOR.kind.value, operator_id=ACTOR.id)
    try:
        beneficiary = people.find(session, row.beneficiary_id_number)
        row.beneficiary_id = beneficiary.id
        holder = party(beneficiary)
        binding_rules.check_enrolled(holder)  # WAL-1: an insured relative
        binding_rules.check_birth_order(relationship, parse_id_number(payer_number).birth_date, holder.birth_date)
        wallet = wallets.wallet_of(session, beneficiary.id)
        if wallet is None:
            raise GongjiError("WALLET_NOT_OPEN", name=beneficiary.name)
        if wallet.status != wallets.OPEN:
            raise GongjiError("WALLET_CLOSED", name=beneficiary.name)
        rules.check_amount(amount, env.policy(holder.region_code))  # WAL-2, as the relative's region has it too
        if now >= return_due_at:  # WAL-4: it arrived after it was due back
            raise GongjiError("WALLET_TRANSFER_EXPIRED", transfer_no=transfer_no,
                              due=return_due_at.astimezone(CST).strftime("%Y-%m-%d %H:%M"))
    except GongjiError as refusal:
        row.state, row.returned_at = wallets.REFUSED, now
        row.refusal_code, row.refusal_zh, row.refusal_en = (refusal.code, refusal.message_zh[:400],
                                                            refusal.message_en[:400])
        session.add(row)
        session.flush()
        report(session, env, row, "wallet.refused", refused_at=now.isoformat(), code=refusal.code,
               message_zh=row.refusal_zh, message_en=row.refusal_en)
        record_event(session, env, kind="wallet.transfer_refused", actor=ACTOR, subject_type="wallet_transfer",
                     subject_id=row.id, concerns=wallets.concerned(row),
                     data={"transfer_no": transfer_no, "amount_fen": amount, "code": refusal.code,
                           "payer_name": payer_name, "message_zh": row.refusal_zh, "message_en": row.refusal_en})
        return f"refused {refusal.code}"
    row.wallet_id, row.beneficiary_region_code = wallet.id, wallet.region_code
    session.add(row)
    session.flush()
    pending = ledger.system_account(session, kind=ledger.WALLET_PENDING, key=region_code,
                                    region_code=region_code, at=now)
    row.arrive_entry_id = ledger.post(
        session, kind=wallets.ARRIVE_ENTRY, at=now, on=env.today(), ref_type="wallet_transfer", ref_id=row.id,
        legs=[ledger.Leg(transit_account(session, ledger.WALLET_TRANSIT_IN, source, at=now), -amount),
              ledger.Leg(pending, amount)])
    session.flush()
    record_event(session, env, kind="wallet.transfer_arrived", actor=ACTOR, subject_type="wallet_transfer",
                 subject_id=row.id, concerns=[beneficiary.id],
                 data={"transfer_no": transfer_no, "amount_fen": amount, "province": source, "payer_name": payer_name,
                       "return_due_at": return_due_at.isoformat()})
    return f"{transfer_no} arrived"


# -- in the payer's instance -----------------------------------------------------------------------


def settle(session: Session, env: Env, kind: str, body: dict[str, Any], *, source: str | None = None) -> str:
    """Step 4: what the relative's instance says became of a transfer sent from here.

    Only the province it was sent to (``source`` of the message) speaks for it; the hub only to refuse it (a
    province it does not serve). A message from anyone else about it is refused and changes nothing.
    """
    transfer_no = _transfer_no(body["transfer_no"])
    row = session.execute(select(WalletTransfer).where(WalletTransfer.transfer_no == transfer_no,
                                                       WalletTransfer.direction == wallets.OUT)
                          ).scalar_one_or_none()
    if row is None:
        raise GongjiError("FEDERATION_MESSAGE_INVALID", reason=f"no transfer {transfer_no} was sent from here")
    if source is not None and source != row.counterpart_province and not (
            source == HUB_NAME and kind == "wallet.refused"):
        raise GongjiError("FEDERATION_MESSAGE_INVALID",
                          reason=f"{kind} for {transfer_no} from {source[:8]}, not from province "
                                 f"{row.counterpart_province}, where it was sent")
    row = wallets.get_transfer(session, row.id, lock=True)
    if row.state != wallets.SENT:
        return f"{transfer_no} already {row.state}"
    now = env.now()
    if kind == "wallet.accepted":
        row.state, row.accepted_at = wallets.ACCEPTED, _instant(body["accepted_at"], "accepted_at")
        event = "wallet.transfer_accepted"
    else:
        transit = transit_account(session, ledger.WALLET_TRANSIT_OUT, row.counterpart_province, at=now)
        row.return_entry_id = ledger.post(
            session, kind=wallets.RETURN_ENTRY, at=now, on=env.today(), ref_type="wallet_transfer", ref_id=row.id,
            legs=[ledger.Leg(transit, -row.amount_fen)] + wallets.payer_legs(session, row))
        row.returned_at = now
        if kind == "wallet.refused":
            row.state = wallets.REFUSED
            row.refusal_code = str(body["code"])[:40]
            row.refusal_zh, row.refusal_en = str(body["message_zh"])[:400], str(body["message_en"])[:400]
            event = "wallet.transfer_refused"
        else:
            row.state = wallets.RETURNED
            event = "wallet.transfer_returned"
    session.flush()
    data = {"transfer_no": transfer_no, "amount_fen": row.amount_fen, "province": row.counterpart_province}
    if row.refusal_code:
        data.update(code=row.refusal_code, message_zh=row.refusal_zh, message_en=row.refusal_en)
    record_event(session, env, kind=event, actor=ACTOR, subject_type="wallet_transfer", subject_id=row.id,
                 concerns=wallets.concerned(row), data=data)
    return f"{transfer_no} {row.state}"
