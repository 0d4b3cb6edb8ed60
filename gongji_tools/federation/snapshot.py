"""What the check across instances (:mod:`gongji_tools.federation.check`) reads from one database: its transfers,
its outbox and inbox, its people's money and what its own ledger check finds (:func:`read_snapshot`), in plain
values (:class:`Snapshot`) that the comparison takes and that tests can make by hand."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gongji.federation.config import HUB_NAME
from gongji.federation.models import InboxMessage, OutboxMessage
from gongji.ledger import service as ledger
from gongji.ledger.models import Account, Posting
from gongji.money import fen_to_yuan
from gongji.people.models import Enrollment, Person
from gongji.terms import Fund
from gongji.wallet.models import WalletTransfer

PROVINCE_NOT_CONNECTED = "PROVINCE_NOT_CONNECTED"
SENT, ACCEPTED, RETURNED, REFUSED = "sent", "accepted", "returned", "refused"
#: The message the relative's instance sends back for each end of a transfer.
ANSWER = {ACCEPTED: "wallet.accepted", RETURNED: "wallet.returned", REFUSED: "wallet.refused"}
#: The system accounts that hold wallet money between a send and its end.
HOLDING = (ledger.WALLET_PENDING, ledger.WALLET_TRANSIT_OUT, ledger.WALLET_TRANSIT_IN)


class CheckRefused(ValueError):
    """A database that cannot be checked: its URL, and why."""


# -- what is read from one database -------------------------------------------------------------------------


@dataclass(frozen=True)
class Transfer:
    transfer_no: str
    direction: str  # local, out, in
    counterpart: str | None
    state: str
    amount_fen: int
    payer_id_number: str
    beneficiary_id_number: str
    relationship: str
    region_code: str
    refusal_code: str | None = None


@dataclass(frozen=True)
class Message:
    message_id: str
    kind: str
    source: str
    destination: str
    transfer_no: str | None
    acked: bool = True  # an outbox message acknowledged by the next hop (an inbox message: True)
    sender: str = ""  # an inbox message: who delivered it
    outcome: str = ""  # an inbox message: what applying it did ("… already …": nothing, it was done before)

    @property
    def applied(self) -> bool:
        """An inbox message that changed something (not one about a step done before, e.g. sent again)."""
        return " already " not in f" {self.outcome} "


@dataclass(frozen=True)
class Money:
    """People's money in one instance, and the wallet's system accounts, in fen."""

    personal_fen: int = 0  # current-year and prior-years funds
    wallets_fen: int = 0
    pending_fen: int = 0  # wallet_pending:*
    transit_out: dict[str, int] = field(default_factory=dict)  # province → wallet_transit_out:<province>
    transit_in: dict[str, int] = field(default_factory=dict)  # province → wallet_transit_in:<province>

    @property
    def total_fen(self) -> int:
        return (self.personal_fen + self.wallets_fen + self.pending_fen + sum(self.transit_out.values())
                + sum(self.transit_in.values()))


@dataclass
class Snapshot:
    """One instance as read: its name (``23``, ``41``, ``hub``), rows and money."""

    name: str
    label: str = ""  # its URL, without a password
    people: int = 0
    transfers: list[Transfer] = field(default_factory=list)
    outbox: list[Message] = field(default_factory=list)
    inbox: list[Message] = field(default_factory=list)
    money: Money = field(default_factory=Money)
    ledger_problems: list[str] = field(default_factory=list)

    @property
    def is_hub(self) -> bool:
        return self.name == HUB_NAME


def money_of(session: Session) -> Money:
    personal = session.execute(
        select(func.coalesce(func.sum(Account.balance_fen), 0))
        .where(Account.person_id.is_not(None), Account.fund.in_([Fund.CURRENT_YEAR.value, Fund.PRIOR_YEARS.value]))
    ).scalar_one()
    held_in_wallets = session.execute(
        select(func.coalesce(func.sum(Account.balance_fen), 0))
        .where(Account.person_id.is_not(None), Account.fund == Fund.WALLET.value)).scalar_one()
    pending, transit_out, transit_in = 0, {}, {}
    for key, fund, total in session.execute(
            select(Account.system_key, Account.fund, func.coalesce(func.sum(Posting.amount_fen), 0))
            .outerjoin(Posting, Posting.account_id == Account.id)
            .where(Account.fund.in_(HOLDING)).group_by(Account.system_key, Account.fund)):
        other = key.split(":", 1)[1]
        if fund == ledger.WALLET_PENDING:
            pending += int(total)
        elif fund == ledger.WALLET_TRANSIT_OUT:
            transit_out[other] = int(total)
        else:
            transit_in[other] = int(total)
    return Money(int(personal), int(held_in_wallets), pending, transit_out, transit_in)


def ledger_problems(session: Session) -> list[str]:
    found = ledger.check(session)
    if found.ok:
        return []
    problems = []
    if found.total_fen != 0:
        problems.append(f"all accounts sum to {fen_to_yuan(found.total_fen)} yuan, not 0")
    for name, rows in (("personal accounts below zero", found.negative_accounts),
                       ("balances not equal to their postings", found.balance_mismatches),
                       ("unbalanced entries", found.unbalanced_entries),
                       ("entries with fewer than two postings", found.thin_entries),
                       ("last balance-after not the balance", found.balance_after_mismatches)):
        if rows:
            problems.append(f"{len(rows)} {name}: {', '.join(str(r) for r in rows[:5])}")
    return problems


def _transfer_no(body: Any) -> str | None:
    value = body.get("transfer_no") if isinstance(body, dict) else None
    return value if isinstance(value, str) else None


def name_of(session: Session) -> str:
    """Which instance a database is: the province of its people, else what its messages say, else the hub."""
    provinces = sorted(session.execute(select(func.substr(Enrollment.region_code, 1, 2)).distinct()).scalars())
    if len(provinces) == 1:
        return provinces[0]
    if len(provinces) > 1:
        raise CheckRefused(f"holds people of several provinces ({', '.join(provinces)}): not one province's "
                           f"instance; name it as NN=URL")
    senders = set(session.execute(select(InboxMessage.sender, InboxMessage.destination).distinct()).all())
    if any(sender != HUB_NAME for sender, _ in senders):
        return HUB_NAME
    destinations = {destination for _, destination in senders}
    if len(destinations) == 1:
        return destinations.pop()
    regions = set(session.execute(select(func.substr(WalletTransfer.region_code, 1, 2))
                                  .where(WalletTransfer.direction == "out").distinct()).scalars())
    return regions.pop() if len(regions) == 1 else HUB_NAME


def read_snapshot(session: Session, *, name: str | None = None, label: str = "") -> Snapshot:
    """Everything :func:`compare` needs from one database (read in one transaction)."""
    name = name or name_of(session)
    transfers = [
        Transfer(r.transfer_no, r.direction, r.counterpart_province, r.state, int(r.amount_fen), r.payer_id_number,
                 r.beneficiary_id_number, r.relationship, r.region_code, r.refusal_code)
        for r in session.execute(select(WalletTransfer).order_by(WalletTransfer.id)).scalars()]
    outbox = [Message(m.message_id, m.kind, m.source, m.destination, _transfer_no(m.body), m.acked_at is not None)
              for m in session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars()]
    inbox = [Message(m.message_id, m.kind, m.source, m.destination, _transfer_no(m.body), True, m.sender, m.outcome)
             for m in session.execute(select(InboxMessage).order_by(InboxMessage.received_at,
                                                                    InboxMessage.message_id)).scalars()]
    people = session.execute(select(func.count()).select_from(Person)).scalar_one()
    snapshot = Snapshot(name=name, label=label, people=int(people), transfers=transfers, outbox=outbox, inbox=inbox)
    if name != HUB_NAME:
        snapshot.money = money_of(session)
        snapshot.ledger_problems = ledger_problems(session)
    return snapshot
