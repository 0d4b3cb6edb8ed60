"""Every table, imported in one place so that migrations and tests see the whole schema."""

from gongji.agents.models import Agency
from gongji.api.models import StoredResponse
from gongji.auth.models import (
    AuthSession,
    InstitutionKey,
    LoginAttempt,
    PersonCredential,
    SeenNonce,
    StaffMember,
)
from gongji.authorizations.models import Binding, BindingDocument, Family, FamilyMember
from gongji.batch.models import BatchChunk, BatchRun
from gongji.contributions.models import Contribution
from gongji.db.base import Base
from gongji.events.models import ChainLink, Event
from gongji.federation.models import InboxMessage, OutboxMessage
from gongji.idempotency import IdempotencyRecord
from gongji.imports.models import ImportRejection, ImportRun
from gongji.institutions.models import Institution
from gongji.ledger.models import Account, LedgerEntry, Posting
from gongji.life.models import AccountTransfer, LifeEvent
from gongji.national.models import NiFeeDetail, NiFundYear, NiMessage, NiSettlement, NiSignIn, NiVisit
from gongji.notifications.models import Notification
from gongji.people.models import Enrollment, Person
from gongji.settlement.models import Refund, RefundPart, Settlement, SettlementPart
from gongji.transfers.models import ContributionPayment, Transfer
from gongji.wallet.models import Wallet, WalletTransfer

__all__ = [
    "Account", "Agency", "AuthSession", "Base", "BatchChunk", "BatchRun", "Binding", "BindingDocument", "ChainLink",
    "Contribution", "ContributionPayment", "Enrollment",
    "Event", "Family", "InboxMessage", "OutboxMessage", "FamilyMember", "IdempotencyRecord", "Institution", "InstitutionKey", "LedgerEntry", "LoginAttempt",
    "NiFeeDetail", "NiFundYear", "NiMessage", "NiSettlement", "NiSignIn", "NiVisit", "Notification", "Person", "PersonCredential", "Posting", "Refund", "RefundPart", "SeenNonce",
    "Settlement", "SettlementPart", "StaffMember", "StoredResponse", "Transfer",
    "Wallet", "WalletTransfer", "ImportRun", "ImportRejection", "LifeEvent", "AccountTransfer",
]
