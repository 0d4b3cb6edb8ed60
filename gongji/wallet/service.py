"""The medical insurance wallet (医保钱包): open, send, accept, and the return of what was not accepted.

WAL-1: an employee payer (N-1) sends personal-account money to a close relative's wallet, which the relative opened;
the relative may be insured in another province. WAL-2: at most ``wallet_transfers_per_day`` transfers a payer sends
a day, at most ``wallet_transfer_max_fen`` each. WAL-3: none during the quiet hours (22:00–06:00 CST). WAL-4: what
the relative has not accepted goes back to the payer at 06:00 the next day (:func:`return_unaccepted`).

A transfer is two steps joined by a system account, ``wallet_pending:<payer's region>``
(:data:`gongji.ledger.service.WALLET_PENDING`):

* **send** (entry ``wallet_send``): out of the payer's personal account (D-1: current-year funds first, then
  prior-years, only the funds his region lets pay for relatives and only above its reserve line, SZ-1: the same
  rules as any money paid for a relative) into the pending account;
* **arrival**, either **accept** (``wallet_accept``: pending into the relative's wallet) or **return**
  (``wallet_return``: pending back into the funds it came from).

A relative insured in another province (HN-9) is reached through the hub: the send then holds the money on the
transit account towards that province and a message carries the transfer (:mod:`gongji.wallet.across`); each instance
keeps one row of it (``direction`` ``out`` and ``in``) under one ``transfer_no`` (``<region>-<uuid>``).
Every step is one transaction of the caller's (services flush, never commit), with an event that concerns both
sides (N-9).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gongji import idempotency
from gongji.actors import Actor
from gongji.authorizations import rules as binding_rules
from gongji.authorizations.service import party
from gongji.clock import CST
from gongji.db import Database
from gongji.env import Env
from gongji.errors import GongjiError
from gongji.events.service import record as record_event
from gongji.inputs import check_id
from gongji.ledger import service as ledger
from gongji.ledger.models import Account
from gongji.people import service as people
from gongji.people.ids import parse_id_number
from gongji.records import service as records
from gongji.settlement import rules as settlement_rules
from gongji.terms import Fund
from gongji.transfers.service import read_sending
from gongji.wallet import across, rules
from gongji.wallet.models import Wallet, WalletTransfer
from gongji.wallet.shared import (  # noqa: F401 - the states and kinds are this service's words too
    ACCEPT_ENTRY,
    ACCEPTED,
    ARRIVE_ENTRY,
    CLOSED,
    IN,
    LOCAL,
    OPEN,
    OUT,
    REFUSED,
    RETURN_ENTRY,
    RETURNED,
    SEND_ENTRY,
    SENT,
    STATES_ZH,
    concerned,
    get_transfer,
    payer_legs,
    wallet_of,
)

#: Transfers returned per transaction by :func:`return_unaccepted`.
RETURN_CHUNK = 500


def new_transfer_no(region_code: str) -> str:
    """A transfer's id, unique across instances: the payer's region and a random UUID (``230100-<32 hex>``)."""
    return f"{region_code}-{uuid.uuid4().hex}"


# -- open ------------------------------------------------------------------------------------------


def open_wallet(session: Session, env: Env, *, id_number: str, actor: Actor) -> tuple[Wallet, bool]:
    """WAL-1: the holder (or staff for him) opens his wallet; any insured person, employee or resident.

    Opening is idempotent: an open wallet is returned as it is (``False``: not newly opened); a closed one is
    refused. Returns (wallet, newly opened).
    """
    person = people.find(session, id_number, lock=True)
    if not (actor.is_person(person.id) or actor.is_staff):
        raise GongjiError("ACTOR_NOT_ALLOWED", name=person.name, who_zh="钱包持有人", who_en="the wallet's holder")
    holder = party(person)
    binding_rules.check_enrolled(holder)
    existing = wallet_of(session, person.id)
    if existing is not None:
        if existing.status == CLOSED:
            raise GongjiError("WALLET_CLOSED", name=person.name)
        return existing, False
    now = env.now()
    account = Account(person_id=person.id, fund=Fund.WALLET.value, region_code=holder.region_code, balance_fen=0,
                      created_at=now)
    session.add(account)
    session.flush()
    wallet = Wallet(person_id=person.id, account_id=account.id, region_code=holder.region_code, status=OPEN,
                    opened_at=now, channel=actor.channel.value)
    session.add(wallet)
    session.flush()
    record_event(session, env, kind="wallet.opened", actor=actor, subject_type="wallet", subject_id=wallet.id,
                 concerns=[person.id], data={"region_code": holder.region_code})
    return wallet, True


def close_wallet(session: Session, env: Env, *, id_number: str, actor: Actor) -> Wallet:
    """WAL-1: the holder (or staff for him) closes his wallet; from then on transfers to it are refused
    (WALLET_CLOSED, also on arrival from another province). Only an empty wallet with no transfer waiting for him
    closes: its money is his and is spent first (WALLET_NOT_EMPTY). Closing a closed wallet returns it as it is."""
    person = people.find(session, id_number, lock=True)
    if not (actor.is_person(person.id) or actor.is_staff):
        raise GongjiError("ACTOR_NOT_ALLOWED", name=person.name, who_zh="钱包持有人", who_en="the wallet's holder")
    wallet = wallet_of(session, person.id)
    if wallet is None:
        raise GongjiError("WALLET_NOT_FOUND", name=person.name)
    if wallet.status == CLOSED:
        return wallet
    balance = ledger.lock(session, [wallet.account_id])[wallet.account_id]
    waiting = session.execute(select(func.count()).select_from(WalletTransfer).where(
        WalletTransfer.beneficiary_id == person.id, WalletTransfer.state == SENT,
        WalletTransfer.direction != OUT)).scalar_one()
    if balance or waiting:
        raise GongjiError("WALLET_NOT_EMPTY", name=person.name, balance=balance, waiting=waiting)
    wallet.status, wallet.closed_at = CLOSED, env.now()
    session.flush()
    record_event(session, env, kind="wallet.closed", actor=actor, subject_type="wallet", subject_id=wallet.id,
                 concerns=[person.id], data={"region_code": wallet.region_code})
    return wallet


# -- send ------------------------------------------------------------------------------------------


def send(
    session: Session,
    env: Env,
    *,
    payer_id_number: str,
    beneficiary_id_number: str,
    relationship: str,
    amount_fen: int,
    idempotency_key: str,
    actor: Actor,
    beneficiary_province: str | None = None,
) -> WalletTransfer:
    """WAL-1..WAL-3: send ``amount_fen`` from the payer's personal account towards a close relative's wallet.

    The money waits on the pending account until the relative accepts it (:func:`accept`) or it goes back
    (:func:`return_unaccepted`). With ``beneficiary_province`` naming another province's instance (HN-9), the
    relative is there: the money waits on the transit account and a message carries the transfer
    (:mod:`gongji.wallet.across`). A retry with the same idempotency key returns the first transfer.
    """
    province = across.remote_province(env, beneficiary_province)
    sending = read_sending(session, scope="wallet_send", payer_id_number=payer_id_number,
                           beneficiary_id_number=beneficiary_id_number, relationship=relationship,
                           amount_fen=amount_fen, idempotency_key=idempotency_key, actor=actor, who_zh="转出人",
                           who_en="the sender", beneficiary_province=province)
    if sending.earlier_id is not None:
        return session.get(WalletTransfer, sending.earlier_id)
    relationship_, payer, beneficiary = sending.relationship, sending.payer, sending.beneficiary

    payer_party = party(payer)
    policy = env.policy(payer_party.region_code)
    now, today = env.now(), env.today()
    if beneficiary is None:  # in another province: what his ID number tells
        if sending.beneficiary_id_number == payer.id_number:
            raise GongjiError("SELF_BINDING")
        binding_rules.check_relationship_allowed(relationship_, policy)
        binding_rules.check_birth_order(relationship_, payer_party.birth_date,
                                        parse_id_number(sending.beneficiary_id_number).birth_date)
    else:
        beneficiary_party = party(beneficiary)
        binding_rules.check_not_self(payer_party, beneficiary_party)
        binding_rules.check_relationship_allowed(relationship_, policy)
        binding_rules.check_relationship_plausible(relationship_, payer_party, beneficiary_party)
    binding_rules.check_enrolled(payer_party)
    binding_rules.check_payer_scheme(payer_party)  # N-1
    binding_rules.check_payer_status(payer_party, policy)
    wallet = None
    if beneficiary is not None:
        binding_rules.check_enrolled(beneficiary_party)  # WAL-1: any insured relative
    rules.check_amount(amount_fen, policy)  # WAL-2
    rules.check_send_window(now, policy)  # WAL-3
    if beneficiary is not None:
        wallet = wallet_of(session, beneficiary.id)
        if wallet is None:
            raise GongjiError("WALLET_NOT_OPEN", name=beneficiary.name)
        if wallet.status != OPEN:
            raise GongjiError("WALLET_CLOSED", name=beneficiary.name)

    # The payer's accounts are locked before the day's transfers are counted: two sends of one payer queue here.
    accounts = list(session.execute(
        select(Account).where(Account.person_id == payer.id, Account.fund.in_([f.value for f in
                                                                                  settlement_rules.FUND_ORDER]))
    ).scalars())
    balances = ledger.lock(session, [a.id for a in accounts])
    sent_today = session.execute(select(func.count()).select_from(WalletTransfer).where(
        WalletTransfer.payer_id == payer.id, WalletTransfer.sent_on == today)).scalar_one()
    rules.check_daily_count(name=payer.name, sent_today=sent_today, today=today, policy=policy)  # WAL-2
    candidate = settlement_rules.PayerCandidate(
        payer_id=payer.id, binding_id=None, name=payer.name, name_sort_key=payer.name_sort_key,
        id_number=payer.id_number, priority=None,
        funds=tuple(settlement_rules.FundBalance(a.id, Fund(a.fund), balances[a.id]) for a in accounts),
        reserve_line_fen=policy.reserve_line_fen, funds_for_relatives=frozenset(policy.funds_for_relatives),
    )
    if candidate.available_fen < amount_fen:
        raise GongjiError("INSUFFICIENT_BALANCE", name=payer.name, available=candidate.available_fen,
                          amount=amount_fen)
    plan = settlement_rules.allocate(amount_fen=amount_fen, patient_id=beneficiary.id if beneficiary else 0,
                                     own_funds=(), payers=[candidate])
    by_fund = {fund: sum(p.amount_fen for p in plan.parts if p.fund is fund) for fund in settlement_rules.FUND_ORDER}
    if province is None:
        holding = ledger.system_account(session, kind=ledger.WALLET_PENDING, key=payer_party.region_code,
                                        region_code=payer_party.region_code, at=now)
    else:
        holding = across.transit_account(session, ledger.WALLET_TRANSIT_OUT, province, at=now)
    row = WalletTransfer(
        transfer_no=new_transfer_no(payer_party.region_code), direction=LOCAL if province is None else OUT,
        counterpart_province=province, payer_id=payer.id, payer_id_number=payer.id_number, payer_name=payer.name,
        beneficiary_id=beneficiary.id if beneficiary else None, beneficiary_id_number=sending.beneficiary_id_number,
        beneficiary_region_code=wallet.region_code if wallet else None, wallet_id=wallet.id if wallet else None,
        relationship=relationship_.value, amount_fen=amount_fen,
        current_year_fen=by_fund[Fund.CURRENT_YEAR], prior_years_fen=by_fund[Fund.PRIOR_YEARS],
        region_code=payer_party.region_code, state=SENT, sent_at=now, sent_on=today,
        return_due_at=rules.return_due_at(today, policy), channel=actor.channel.value,
        operator_kind=actor.kind.value, operator_id=actor.id,
    )
    session.add(row)
    session.flush()
    row.send_entry_id = ledger.post(
        session, kind=SEND_ENTRY, at=now, on=today, ref_type="wallet_transfer", ref_id=row.id,
        legs=[ledger.Leg(p.account_id, -p.amount_fen) for p in plan.parts] + [ledger.Leg(holding, amount_fen)])
    idempotency.remember(session, scope=sending.scope, key=sending.key, content=sending.content,
                         result_type="wallet_transfer", result_id=row.id, at=now)
    data = {"transfer_no": row.transfer_no, "amount_fen": amount_fen, "relationship": relationship_.value,
            "return_due_at": row.return_due_at.isoformat()}
    if province is not None:
        data["province"] = province
        across.send_out(session, env, row)
    record_event(session, env, kind="wallet.transfer_sent", actor=actor, subject_type="wallet_transfer",
                 subject_id=row.id, concerns=concerned(row), data=data)
    return row


def _payer_elsewhere(row: WalletTransfer) -> dict[str, str]:
    """The payer's name for the words of a notification, when he is a person of another province (HN-9)."""
    return {"payer_name": row.payer_name} if row.direction == IN else {}


# -- the arrival: accept, or return ----------------------------------------------------------------


def accept(session: Session, env: Env, *, transfer_id: int, idempotency_key: str, actor: Actor) -> WalletTransfer:
    """WAL-1, WAL-4: the relative takes the money into his wallet, before it is due to go back.

    A retry with the same idempotency key returns the accepted transfer.
    """
    key = idempotency.check_key(idempotency_key)
    if isinstance(transfer_id, bool) or not isinstance(transfer_id, int) or transfer_id <= 0:
        raise GongjiError("INVALID_FIELD", field="transfer_id", reason_zh="须为正整数", reason_en="a positive integer")
    row = get_transfer(session, transfer_id, lock=True)
    if row.direction == OUT:
        raise GongjiError("WALLET_TRANSFER_ELSEWHERE", transfer_no=row.transfer_no,
                          province=row.counterpart_province)
    if row.beneficiary_id is None:  # refused on arrival: its relative is not known here
        zh, en = STATES_ZH[row.state]
        raise GongjiError("WALLET_TRANSFER_NOT_PENDING", transfer_no=row.transfer_no, state_zh=zh, state_en=en)
    beneficiary = people.get(session, row.beneficiary_id)
    if not (actor.is_person(beneficiary.id) or actor.is_staff):
        raise GongjiError("ACTOR_NOT_ALLOWED", name=beneficiary.name, who_zh="收款亲属",
                          who_en="the receiving relative").about("person", beneficiary.id)
    scope = f"wallet_accept:{beneficiary.id}"
    content = {"transfer_id": transfer_id}
    earlier = idempotency.find(session, scope=scope, key=key, content=content)
    if earlier is not None:
        return session.get(WalletTransfer, earlier.result_id)
    now = env.now()
    if row.state != SENT:
        zh, en = STATES_ZH[row.state]
        raise GongjiError("WALLET_TRANSFER_NOT_PENDING", transfer_no=row.transfer_no, state_zh=zh, state_en=en)
    if now >= row.return_due_at:
        raise GongjiError("WALLET_TRANSFER_EXPIRED", transfer_no=row.transfer_no,
                          due=row.return_due_at.astimezone(CST).strftime("%Y-%m-%d %H:%M"))
    wallet = session.get(Wallet, row.wallet_id)
    if wallet.status != OPEN:
        raise GongjiError("WALLET_CLOSED", name=beneficiary.name)
    ledger.lock(session, [wallet.account_id])
    pending = ledger.system_account(session, kind=ledger.WALLET_PENDING, key=row.region_code,
                                    region_code=row.region_code, at=now)
    row.accept_entry_id = ledger.post(
        session, kind=ACCEPT_ENTRY, at=now, on=env.today(), ref_type="wallet_transfer", ref_id=row.id,
        legs=[ledger.Leg(pending, -row.amount_fen), ledger.Leg(wallet.account_id, row.amount_fen)])
    row.state, row.accepted_at = ACCEPTED, now
    idempotency.remember(session, scope=scope, key=key, content=content, result_type="wallet_transfer",
                         result_id=row.id, at=now)
    if row.direction == IN:
        across.report(session, env, row, "wallet.accepted", accepted_at=now.isoformat())
    record_event(session, env, kind="wallet.transfer_accepted", actor=actor, subject_type="wallet_transfer",
                 subject_id=row.id, concerns=concerned(row),
                 data={"transfer_no": row.transfer_no, "amount_fen": row.amount_fen, **_payer_elsewhere(row)})
    session.flush()
    return row


def _return(session: Session, env: Env, row: WalletTransfer, *, actor: Actor) -> None:
    """Give a sent transfer back (WAL-4); the caller holds its row.

    A local one goes back into the funds it came from; one that came from another province goes back to the
    transit account, and a message tells the payer's instance, which gives it back to him (:mod:`.across`).
    """
    now = env.now()
    pending = ledger.system_account(session, kind=ledger.WALLET_PENDING, key=row.region_code,
                                    region_code=row.region_code, at=now)
    if row.direction == IN:
        legs = [ledger.Leg(pending, -row.amount_fen),
                ledger.Leg(across.transit_account(session, ledger.WALLET_TRANSIT_IN, row.counterpart_province,
                                                  at=now), row.amount_fen)]
    else:
        legs = [ledger.Leg(pending, -row.amount_fen)] + payer_legs(session, row)
    row.return_entry_id = ledger.post(session, kind=RETURN_ENTRY, at=now, on=env.today(),
                                      ref_type="wallet_transfer", ref_id=row.id, legs=legs)
    row.state, row.returned_at = RETURNED, now
    if row.direction == IN:
        across.report(session, env, row, "wallet.returned", returned_at=now.isoformat())
    record_event(session, env, kind="wallet.transfer_returned", actor=actor, subject_type="wallet_transfer",
                 subject_id=row.id, concerns=concerned(row),
                 data={"transfer_no": row.transfer_no, "amount_fen": row.amount_fen,
                       "current_year_fen": row.current_year_fen, "prior_years_fen": row.prior_years_fen,
                       **_payer_elsewhere(row)})


def _due_ids(session: Session, now: datetime, after_id: int, limit: int) -> list[int]:
    return list(session.execute(
        select(WalletTransfer.id).where(WalletTransfer.state == SENT, WalletTransfer.return_due_at <= now,
                                        WalletTransfer.direction != OUT, WalletTransfer.id > after_id)
        .order_by(WalletTransfer.id).limit(limit)).scalars())


def return_unaccepted(db: Database, env: Env, *, chunk_size: int = RETURN_CHUNK,
                      progress: Callable[[int], None] | None = None) -> int:
    """WAL-4, the scheduled job (``gongji wallet-return``, at 06:00 CST): return every transfer not accepted by its
    ``return_due_at``; how many were returned by this run.

    Safe to run twice or late: each transfer is taken under its row lock and returned only while it is still
    ``sent``, so one run or a concurrent accept that got there first leaves nothing for the other; a run at 09:00
    returns what fell due at 06:00. One transaction per chunk of transfers.
    """
    now = env.now()
    actor = Actor.system("wallet-return")
    returned, after_id = 0, 0
    while True:
        def chunk(s: Session, after_id=after_id) -> tuple[int, int | None]:
            ids = _due_ids(s, now, after_id, chunk_size)
            done = 0
            for transfer_id in ids:
                row = get_transfer(s, transfer_id, lock=True)
                if row.state == SENT and row.return_due_at <= now and row.direction != OUT:
                    _return(s, env, row, actor=actor)
                    done += 1
            s.flush()
            return done, (ids[-1] if len(ids) == chunk_size else None)

        done, last = db.run(chunk)
        returned += done
        if progress is not None:
            progress(done)
        if last is None:
            return returned
        after_id = last


# -- records (N-9) ---------------------------------------------------------------------------------

#: Whose transfers :func:`transfers_of` lists: those the person sent, or those sent to him.
PAYER, BENEFICIARY = "payer", "beneficiary"


def transfers_of(session: Session, *, person_id: int, role: str, states: Collection[str] | None = None,
                 limit: int = 50, offset: int = 0) -> records.Page[WalletTransfer]:
    """N-9: the wallet transfers a person of this instance sent (``role`` payer) or that were sent to him
    (beneficiary), newest first; only those in ``states`` when given.

    Across provinces (HN-9) a transfer he sent to another province is listed on his side as ``out``, one sent to him
    from there as ``in``; one refused on arrival here names no relative of this instance and is not his to see.
    """
    check_id(person_id, field="person_id")
    if role not in (PAYER, BENEFICIARY):
        raise GongjiError("INVALID_FIELD", field="role", reason_zh="可选：payer、beneficiary",
                          reason_en="one of: payer, beneficiary")
    limit, offset = records.check_paging(limit, offset)
    column = WalletTransfer.payer_id if role == PAYER else WalletTransfer.beneficiary_id
    where = [column == person_id]
    if states is not None:
        where.append(WalletTransfer.state.in_(list(states)))
    total = session.execute(select(func.count()).select_from(WalletTransfer).where(*where)).scalar_one()
    rows = session.execute(select(WalletTransfer).where(*where)
                           .order_by(WalletTransfer.sent_at.desc(), WalletTransfer.id.desc())
                           .limit(limit).offset(offset)).scalars().all()
    return records.Page(items=list(rows), total=int(total), limit=limit, offset=offset)
