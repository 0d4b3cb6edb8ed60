"""What a settlement and a refund give back, and the facts a settlement is made of (plain values)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from gongji.authorizations import rules as binding_rules
from gongji.settlement import rules
from gongji.terms import (
    Fund,
    Use,
)

CERT_TYPES = {"e_voucher", "id_card", "insurance_card"}


@dataclass(frozen=True)
class Certificate:
    """N-4: the card or voucher the patient presented (mdtrt_cert_type / mdtrt_cert_no)."""

    type: str
    number: str


@dataclass(frozen=True)
class Agent:
    """N-4: the person who buys for the patient in a proxy purchase (代买药)."""

    name: str
    id_number: str


@dataclass(frozen=True)
class Attestation:
    """SZ-5: before a binding exists, the payer attests on the prescription: his card, the relationship, a phone
    number and his signature. The institution records it and the payer's account pays once."""

    payer_id_number: str
    relationship: str
    phone: str
    signed: bool


@dataclass(frozen=True)
class PaymentLine:
    payer_id: int
    payer_name: str
    is_own: bool
    fund: Fund
    amount_fen: int
    binding_id: int | None
    payer_id_number: str = ""


@dataclass(frozen=True)
class SkippedPayer:
    payer_id: int
    payer_name: str
    binding_id: int | None  # None: a payer attested on paper (SZ-5)
    reason: str

    @property
    def reason_zh(self) -> str:
        return rules.SKIP_REASONS[self.reason][0]

    @property
    def reason_en(self) -> str:
        return rules.SKIP_REASONS[self.reason][1]


@dataclass(frozen=True)
class SettlementResult:
    settlement_id: int | None  # None for a quote
    institution_code: str
    patient_id: int
    patient_name: str
    use: Use
    amount_fen: int
    own_fen: int
    mutual_aid_fen: int
    cash_fen: int
    lines: tuple[PaymentLine, ...]
    skipped: tuple[SkippedPayer, ...] = ()
    settled_at: datetime | None = None
    status: str = "quote"
    refunded_fen: int = 0
    replayed: bool = False  # True: the answer to an earlier request with the same idempotency key
    patient_id_number: str = ""

    @property
    def account_fen(self) -> int:
        """NI-4 ``acct_pay``: everything personal accounts paid, mutual aid included."""
        return self.own_fen + self.mutual_aid_fen


@dataclass(frozen=True)
class RefundLine:
    payer_id: int
    payer_name: str
    is_own: bool
    fund: Fund
    amount_fen: int


@dataclass(frozen=True)
class RefundResult:
    refund_id: int
    settlement_id: int
    amount_fen: int
    cash_fen: int
    lines: tuple[RefundLine, ...]
    settlement_status: str
    settlement_refunded_fen: int
    replayed: bool = False


@dataclass(frozen=True)
class _Binding:
    """A binding through which a payer pays today; ``id`` None: a payer who pays once on a paper attestation (SZ-5),
    after the bound payers."""

    id: int | None
    priority: int | None
    payer_id: int
    monthly_limit_fen: int | None = None  # PP-1
    paused: bool = False


@dataclass(frozen=True)
class InstitutionFacts:
    """The settling institution as a settlement reads it."""

    id: int
    code: str
    name: str
    kind: str
    region_code: str


@dataclass(frozen=True)
class PatientFacts:
    """The patient as the rules see him (:class:`~gongji.authorizations.rules.Party`), with his ID and card."""

    party: binding_rules.Party
    id_number: str
    card_no: str | None

    @property
    def id(self) -> int:
        return self.party.person_id

    @property
    def name(self) -> str:
        return self.party.name


@dataclass
class _Facts:
    institution: InstitutionFacts
    patient: PatientFacts
    use: Use
    receivable_id: int | None  # the institution's system account, None until its first settlement
    bindings: list[Any] = field(default_factory=list)  # rows of the facts query, one per binding
    own_funds: list[rules.FundBalance] = field(default_factory=list)
    candidates: list[rules.PayerCandidate] = field(default_factory=list)
    skipped: list[SkippedPayer] = field(default_factory=list)
    names: dict[int, str] = field(default_factory=dict)
    id_numbers: dict[int, str] = field(default_factory=dict)



def _lines(plan_parts, names: dict[int, str], patient_id: int,
           id_numbers: dict[int, str] | None = None) -> tuple[PaymentLine, ...]:
    return tuple(
        PaymentLine(payer_id=p.payer_id, payer_name=names.get(p.payer_id, ""), is_own=p.payer_id == patient_id,
                    fund=Fund(p.fund), amount_fen=p.amount_fen, binding_id=p.binding_id,
                    payer_id_number=(id_numbers or {}).get(p.payer_id, ""))
        for p in plan_parts
    )
