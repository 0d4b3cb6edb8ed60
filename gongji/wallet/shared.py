"""What the wallet's service (:mod:`gongji.wallet.service`) and its part between provinces
(:mod:`gongji.wallet.across`) both use: a transfer's states, directions and ledger entry kinds, and reading a wallet
or a transfer. Both import this; neither imports the other's back (the service calls ``across``, never the reverse).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from gongji.db.dialect import for_update
from gongji.errors import GongjiError
from gongji.ledger import service as ledger
from gongji.terms import Fund
from gongji.wallet.models import Wallet, WalletTransfer

OPEN, CLOSED = "open", "closed"
SENT, ACCEPTED, RETURNED, REFUSED = "sent", "accepted", "returned", "refused"
#: Where the other side of a transfer is: here too, or (HN-9) in another province's instance.
LOCAL, OUT, IN = "local", "out", "in"
STATES_ZH = {ACCEPTED: ("接收", "accepted"), RETURNED: ("退回转出人", "returned to the sender"),
             REFUSED: ("被拒收并退回", "refused and returned"), SENT: ("转出", "sent")}
#: The ledger entry kinds of a wallet transfer, each owned by its row (gongji.reconcile).
SEND_ENTRY, ACCEPT_ENTRY, RETURN_ENTRY = "wallet_send", "wallet_accept", "wallet_return"
#: In the relative's instance, a transfer from another province arriving: transit into the pending account.
ARRIVE_ENTRY = "wallet_arrive"


def wallet_of(session: Session, person_id: int) -> Wallet | None:
    return session.execute(select(Wallet).where(Wallet.person_id == person_id)).scalar_one_or_none()


def concerned(row: WalletTransfer) -> list[int]:
    """The people of this instance a transfer concerns (N-9): its payer and its relative, those who are here."""
    return [person_id for person_id in (row.payer_id, row.beneficiary_id) if person_id is not None]


def get_transfer(session: Session, transfer_id: int, *, lock: bool = False) -> WalletTransfer:
    query = select(WalletTransfer).where(WalletTransfer.id == transfer_id)
    if lock:
        query = for_update(session, query)
    row = session.execute(query).scalar_one_or_none()
    if row is None:
        raise GongjiError("WALLET_TRANSFER_NOT_FOUND", transfer_id=transfer_id)
    if lock:
        session.refresh(row)  # as it is under the lock
    return row


def payer_legs(session: Session, row: WalletTransfer) -> list[ledger.Leg]:
    """The legs that give a transfer back to the payer's funds as it was split (D-1), those accounts locked."""
    accounts = ledger.personal_accounts(session, row.payer_id)
    legs = [ledger.Leg(accounts[fund].id, amount)
            for fund, amount in ((Fund.CURRENT_YEAR, row.current_year_fen), (Fund.PRIOR_YEARS, row.prior_years_fen))
            if amount]
    ledger.lock(session, [leg.account_id for leg in legs])
    return legs
