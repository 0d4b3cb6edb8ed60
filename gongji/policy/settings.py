"""A region's mutual-aid policy, as data.

Regions differ (rules.md: "Where regions disagree, the difference is a policy setting of the region,
never an ``if region == ...``"). Each region's differences live in one TOML file under
``gongji/policy/regions/`` (or a deployment's own folder, ``GONGJI_POLICY_DIR``); this module is
the schema those files are validated against at start-up.
"""

from __future__ import annotations

from datetime import time
from enum import StrEnum
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from gongji.terms import DocumentKind, Fund, Relationship, Use


class AidModel(StrEnum):
    BINDING = "binding"  # the payer authorizes relatives to spend from his account (most regions)
    TRANSFER = "transfer"  # the payer moves prior-years funds to a relative (HZ-1)


class Scope(StrEnum):
    """Where payer and beneficiary must both be enrolled (N-6, SZ-2, WL-2)."""

    CITY = "city"  # the same city (first four digits of the division code)
    PROVINCE = "province"  # the same province (first two digits)
    NATION = "nation"  # anywhere (the wallet, WAL-1)

    @property
    def zh(self) -> str:
        return {"city": "同一城市", "province": "同一省份", "nation": "全国范围"}[self.value]

    @property
    def en(self) -> str:
        return {"city": "same city", "province": "same province", "nation": "whole country"}[self.value]

    def contains(self, region_a: str, region_b: str) -> bool:
        width = {"city": 4, "province": 2, "nation": 0}[self.value]
        return region_a[:width] == region_b[:width]


class PayerOrder(StrEnum):
    """How several payers of one beneficiary take turns (N-10 after the own account)."""

    PRIORITY = "priority"  # fixed at binding: 1 first (WL-1, D-2)
    BALANCE = "balance"  # larger balance first, then name by pinyin, then ID number (HN-4)


class ProofPolicy(StrEnum):
    NONE = "none"
    OPTIONAL = "optional"
    REQUIRED = "required"


class OutpatientPooling(BaseModel):
    """The pooled fund's share of an outpatient bill (门诊统筹), as the national interface reports it (NI-4).

    Of the in-scope amount (符合政策范围金额), the part above what is left of the yearly deductible is paid at
    ``ratio_permille``, rounded down to the fen, until the fund has paid ``annual_cap_fen`` for the person in the
    calendar year. Pharmacy purchases (med_type 41) are not pooled here.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    deductible_fen: int = Field(ge=0, le=10_000_000, description="起付标准: the yearly deductible, in fen")
    ratio_permille: int = Field(ge=0, le=1000, description="支付比例: the fund's share above it, in permille")
    annual_cap_fen: int = Field(ge=0, le=100_000_000, description="年度最高支付限额: what the fund pays a year")


class ContributionPolicy(BaseModel):
    """How contributions decide status and pooled-fund benefits (LC-1..LC-4, WL-5; ``[contributions]`` in a file).

    The seed's figures (003) are examples ("e.g."): each region sets its own.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    backpay_lag_days: int = Field(
        30, ge=0, le=366, description="LC-3: days after a back-payment (补缴) before the months it covers count "
        "(003: about a month)")
    waiting_after_break_months: int | None = Field(
        None, ge=0, le=120, description="LC-4: a break of more than this many months opens a waiting period on "
        "re-enrolment (003: e.g. three); empty: no waiting period after a break")
    waiting_months: int = Field(
        6, ge=0, le=60, description="LC-4: the waiting period's length in months (003: usually six)")
    individual_enrolment_waits: bool = Field(
        False, description="LC-4: enrolment as an individual (以个人身份参保) opens a waiting period too")
    outside_collection_wait_months: int | None = Field(
        None, ge=1, le=60, description="LC-4: a fixed wait for enrolling as an individual outside the "
        "collection months; empty: none")
    collection_months: list[Annotated[int, Field(ge=1, le=12)]] = Field(
        default_factory=lambda: [9, 10, 11, 12], description="LC-4: the months of the collection period (集中征缴期)")
    reduced_share_permille: int | None = Field(
        None, ge=0, le=1000, description="LC-4: after a waiting period, the pooled fund pays this share of its "
        "usual amount (003: e.g. 500, half); empty: the full share")
    reduced_share_months: int = Field(
        0, ge=0, le=120, description="LC-4: for this many months after the waiting period (003: e.g. 24)")

    @field_validator("collection_months")
    @classmethod
    def _months_once(cls, values: list[int]) -> list[int]:
        if len(set(values)) != len(values):
            raise ValueError("lists each month once; remove the repeated entries")
        return values


class ClosedAccountRefunds(StrEnum):
    """Where a refund goes when the account that paid is closed: his enrollment here ended (LC-5, HN-5)."""

    #: Back onto the closed account, held for him or, after a death, his estate (个人账户余额可以继承), until paid out
    #: by a recorded procedure: never to cash without a record.
    ESTATE = "estate"
    #: After a move to another province, on to his account with the new insurer (转移接续, LC-7); after a death,
    #: where there is no new account, as ``estate``.
    NEW_ACCOUNT = "new_account"


class ClosedAccountPolicy(BaseModel):
    """What happens to money that reaches a closed personal account (``[closed_accounts]`` in a file; LC-5, LC-7)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    refunds_to: ClosedAccountRefunds = Field(
        ClosedAccountRefunds.ESTATE, description="LC-5, HN-5: where a refund goes when the account that paid is "
        "closed: 'estate' (kept on it, for him or his estate) or 'new_account' (sent on to the new insurer after a "
        "move to another province)")


RegionPrefix = Annotated[str, Field(pattern=r"^(\*|\d{2}|\d{4}|\d{6})$")]


#: A clock time of China Standard Time with no offset (a region's settings say "22:00"). Shown as ``HH:MM``: JSON
#: Schema's ``time`` format would require an offset, which a setting meant in local time does not have.
ClockTime = Annotated[
    time,
    PlainSerializer(lambda t: t.isoformat(timespec="minutes"), return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$",
                    "examples": ["22:00"]}),
]


class RegionPolicy(BaseModel):
    """Everything in which one region's mutual aid differs from another's."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, description="The region's name, in Chinese")
    name_en: str = Field(min_length=1)
    applies_to: list[RegionPrefix] = Field(
        min_length=1,
        description="Division-code prefixes this file governs: 2 digits a province, 4 a city, 6 a district; "
        "'*' is the national default",
    )
    source: str = Field("", description="Where the rules come from (seed text, rule IDs)")

    aid_model: AidModel = AidModel.BINDING
    allowed_relationships: list[Relationship] = Field(min_length=1)
    geographic_scope: Scope = Scope.PROVINCE

    max_beneficiaries_per_payer: int | None = Field(None, ge=1, description="HLJ-1; empty: no cap")
    max_payers_per_beneficiary: int | None = Field(None, ge=1, description="HLJ-3; empty: no cap")
    payer_may_also_be_beneficiary: bool = True
    rebind_wait_days: int = Field(0, ge=0, le=3650, description="HLJ-2, D-4")

    payer_order: PayerOrder = PayerOrder.BALANCE
    reserve_line_fen: int = Field(0, ge=0, description="SZ-1: only the balance above this pays for relatives")
    uses_for_relatives: list[Use] = Field(min_length=1, description="N-5: what mutual-aid money may pay")
    funds_for_relatives: list[Fund] = Field(min_length=1, description="D-1: which funds may pay for relatives")
    resident_contribution_fen: int | None = Field(
        None, ge=1, description="N-5: the yearly personal contribution of a resident enrollee here"
    )

    monthly_credit_permille: int = Field(
        20, ge=0, le=100,
        description="What an in-service employee's current-year funds (D-1) receive each month, in permille of "
        "the contribution base, rounded down to the fen (national practice: about 2%, 20)",
    )
    retiree_monthly_credit_fen: int = Field(
        0, ge=0, le=1_000_000,
        description="The fixed amount a retiree's current-year funds (D-1) receive each month, in fen (national "
        "practice: around 2.5% of the region's average contribution base)",
    )

    contributions: ContributionPolicy = Field(
        default_factory=ContributionPolicy, description="LC-1..LC-4: how contributions decide status and benefits")

    closed_accounts: ClosedAccountPolicy = Field(
        default_factory=ClosedAccountPolicy, description="LC-5, LC-7: money that reaches a closed account")

    suspended_payer_may_pay: bool = Field(False, description="HN-2, WL-5")
    suspended_beneficiary_may_use: bool = Field(False, description="HN-2")
    payer_needs_balance_to_bind: bool = Field(False, description="HLJ-4")

    family_required: bool = Field(False, description="HN-1: bind only members of one family")
    paper_attestation: bool = Field(
        False, description="SZ-5: before a link exists, a signed paper attestation allows a one-off payment"
    )
    proof_documents: ProofPolicy = ProofPolicy.OPTIONAL
    counter_documents: list[DocumentKind] = Field(
        default_factory=lambda: [DocumentKind.ID_CARD, DocumentKind.COMMITMENT_LETTER],
        description="N-8: what counter staff check",
    )
    outpatient_pooling_employee: OutpatientPooling | None = Field(
        None, description="NI-4: the pooled fund's outpatient share for employees (insutype 310); empty: none"
    )
    outpatient_pooling_resident: OutpatientPooling | None = Field(
        None, description="NI-4: the pooled fund's outpatient share for residents (insutype 390); empty: none"
    )
    wallet_transfers_per_day: int = Field(
        3, ge=1, le=100, description="WAL-2: wallet transfers one payer may send a day (China Standard Time)")
    wallet_transfer_max_fen: int = Field(
        200_000, ge=1, le=100_000_000, description="WAL-2: the most one wallet transfer may move, in fen")
    wallet_quiet_from: ClockTime = Field(
        time(22, 0), description="WAL-3: from this time (China Standard Time) no wallet transfer is sent")
    wallet_quiet_until: ClockTime = Field(
        time(6, 0), description="WAL-3, WAL-4: until this time the next morning; then unaccepted transfers go back")
    agreement_title: str = "职工医保个人账户家庭共济授权协议"
    agreement_version: str = Field("1", min_length=1, max_length=40)

    @field_validator("allowed_relationships", "uses_for_relatives", "funds_for_relatives", "counter_documents")
    @classmethod
    def _no_repeats(cls, values: list) -> list:
        if len(set(values)) != len(values):
            raise ValueError("lists each value once; remove the repeated entries")
        return values

    @model_validator(mode="after")
    def _consistent(self) -> RegionPolicy:
        if Use.RESIDENT_CONTRIBUTION in self.uses_for_relatives and self.resident_contribution_fen is None:
            raise ValueError("uses_for_relatives includes 'resident_contribution': set resident_contribution_fen, "
                             "the yearly amount in fen")
        if Fund.WALLET in self.funds_for_relatives:
            raise ValueError("funds_for_relatives: a wallet is its holder's own money and never pays for relatives "
                             "(WAL-1); list 'current_year' and/or 'prior_years'")
        if self.wallet_quiet_from.tzinfo is not None or self.wallet_quiet_until.tzinfo is not None:
            raise ValueError("wallet_quiet_from / wallet_quiet_until are China Standard Time clock times, "
                             "without an offset (e.g. 22:00:00)")
        if self.wallet_quiet_from <= self.wallet_quiet_until:
            raise ValueError("wallet_quiet_from is in the evening and wallet_quiet_until the next morning "
                             "(e.g. 22:00:00 and 06:00:00): the quiet hours span midnight")
        if self.aid_model is AidModel.TRANSFER and Fund.PRIOR_YEARS not in self.funds_for_relatives:
            raise ValueError("aid_model 'transfer' moves prior-years funds: funds_for_relatives must include 'prior_years'")
        return self

    @property
    def is_default(self) -> bool:
        return "*" in self.applies_to

    def outpatient_pooling(self, scheme: str) -> OutpatientPooling | None:
        """The outpatient pooling rule for ``employee`` or ``resident`` enrollees here (None: the fund pays none)."""
        return self.outpatient_pooling_employee if scheme == "employee" else self.outpatient_pooling_resident

    def in_wallet_quiet_hours(self, clock_time: time) -> bool:
        """WAL-3: is this China Standard Time clock time within the night when no wallet transfer is sent?"""
        return clock_time >= self.wallet_quiet_from or clock_time < self.wallet_quiet_until

    def allows_relationship(self, relationship: Relationship) -> bool:
        return relationship in self.allowed_relationships

    def relationships_zh(self) -> str:
        return "、".join(r.zh for r in self.allowed_relationships)

    def relationships_en(self) -> str:
        return ", ".join(r.en for r in self.allowed_relationships)
