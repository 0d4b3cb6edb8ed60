"""The words of the domain (rules.md, "Words"), as enumerations with Chinese and English labels."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from gongji.errors import GongjiError


class Labelled(StrEnum):
    """A string enumeration whose members carry a Chinese and an English label."""

    zh: str
    en: str

    def __new__(cls, value: str, zh: str, en: str) -> Labelled:
        member = str.__new__(cls, value)
        member._value_ = value
        member.zh = zh
        member.en = en
        return member



def parse_enum(enum: type[Labelled], value: Any, *, field: str, error: str = "INVALID_FIELD") -> Any:
    """``enum(value)``, or a refusal that names the field and lists what is allowed."""
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(m.value for m in enum)
        shown = str(value)[:50]
        if error != "INVALID_FIELD":
            raise GongjiError(error, value=shown, allowed=allowed) from None
        raise GongjiError(
            "INVALID_FIELD",
            field=field,
            reason_zh=f"“{shown}”无效，可选：{allowed}",
            reason_en=f"'{shown}' is not one of: {allowed}",
        ) from None


class Scheme(Labelled):
    EMPLOYEE = "employee", "职工医保", "employee insurance"
    RESIDENT = "resident", "城乡居民医保", "resident insurance"


class Status(Labelled):
    NORMAL = "normal", "正常参保", "normally enrolled"
    SUSPENDED = "suspended", "暂停参保", "suspended"
    TERMINATED = "terminated", "终止参保", "terminated"


class Relationship(Labelled):
    """What the beneficiary is to the payer (N-2: the close relatives, 近亲属)."""

    SPOUSE = "spouse", "配偶", "spouse"
    PARENT = "parent", "父母", "parent"
    CHILD = "child", "子女", "child"
    SIBLING = "sibling", "兄弟姐妹", "sibling"
    PATERNAL_GRANDPARENT = "paternal_grandparent", "祖父母", "paternal grandparent"
    MATERNAL_GRANDPARENT = "maternal_grandparent", "外祖父母", "maternal grandparent"
    GRANDCHILD = "grandchild", "孙子女", "grandchild (son's child)"
    DAUGHTERS_CHILD = "daughters_child", "外孙子女", "grandchild (daughter's child)"

    @property
    def generation(self) -> int:
        """+1 for the payer's elders, -1 for the payer's descendants, 0 for the same generation."""
        return _GENERATION[self]


_GENERATION = {
    Relationship.SPOUSE: 0,
    Relationship.SIBLING: 0,
    Relationship.PARENT: 1,
    Relationship.PATERNAL_GRANDPARENT: 2,
    Relationship.MATERNAL_GRANDPARENT: 2,
    Relationship.CHILD: -1,
    Relationship.GRANDCHILD: -2,
    Relationship.DAUGHTERS_CHILD: -2,
}


class Fund(Labelled):
    """A part of a personal account (D-1). Each is one ledger account."""

    CURRENT_YEAR = "current_year", "当年账户", "current-year funds"
    PRIOR_YEARS = "prior_years", "历年账户", "prior-years funds"
    #: Not a part of the personal account: the medical insurance wallet (医保钱包, WAL-1) holds money relatives sent,
    #: owned by its holder, who may be a resident enrollee. One ledger account with a kept balance, like the two above.
    WALLET = "wallet", "医保钱包", "medical insurance wallet"


class Use(Labelled):
    """What a payment is for (N-5, HN-8, SZ-3)."""

    OUTPATIENT = "outpatient", "门诊", "outpatient care"
    INPATIENT = "inpatient", "住院", "inpatient care"
    PHARMACY = "pharmacy", "定点药店购药", "pharmacy purchase"
    VACCINATION = "vaccination", "预防接种", "vaccination"
    SUPPLEMENTARY = "supplementary", "地方补充医疗", "local supplementary care"
    RESIDENT_CONTRIBUTION = "resident_contribution", "居民医保个人缴费", "resident insurance contribution"


class InstitutionKind(Labelled):
    HOSPITAL = "hospital", "定点医疗机构", "designated medical institution"
    PHARMACY = "pharmacy", "定点零售药店", "designated pharmacy"


#: Which uses each kind of institution may settle.
INSTITUTION_USES: dict[InstitutionKind, frozenset[Use]] = {
    InstitutionKind.HOSPITAL: frozenset(
        {Use.OUTPATIENT, Use.INPATIENT, Use.VACCINATION, Use.SUPPLEMENTARY, Use.PHARMACY}
    ),
    InstitutionKind.PHARMACY: frozenset({Use.PHARMACY}),
}


class Channel(Labelled):
    """Where a request came from (N-8)."""

    PORTAL = "portal", "网上服务大厅", "web portal"
    WECHAT = "wechat", "微信小程序", "WeChat mini-program"
    ALIPAY = "alipay", "支付宝小程序", "Alipay mini-program"
    NATIONAL_APP = "national_app", "国家医保服务平台APP", "national insurance app"
    COUNTER = "counter", "经办窗口", "service counter"
    HOSPITAL_OFFICE = "hospital_office", "医院医保办", "hospital insurance office"
    INSTITUTION = "institution", "定点医药机构", "designated institution"
    SYSTEM = "system", "系统", "system"


class ActorKind(Labelled):
    PERSON = "person", "参保人", "insured person"
    STAFF = "staff", "经办人员", "staff member"
    INSTITUTION = "institution", "定点医药机构", "institution"
    SYSTEM = "system", "系统", "system"


class DocumentKind(Labelled):
    """Proof documents (HN-3) and counter checklist items (N-8, HLJ-9, SZ-4)."""

    ID_CARD = "id_card", "居民身份证", "resident ID card"
    INSURANCE_CARD = "insurance_card", "社会保障卡", "social security card"
    E_VOUCHER = "e_voucher", "医保电子凭证", "insurance e-voucher"
    MARRIAGE_CERTIFICATE = "marriage_certificate", "结婚证", "marriage certificate"
    HOUSEHOLD_REGISTER = "household_register", "居民户口簿", "household register"
    COMMITMENT_LETTER = "commitment_letter", "家庭关系承诺书", "family relationship commitment letter"
    BIRTH_CERTIFICATE = "birth_certificate", "出生医学证明", "birth certificate"
    OTHER = "other", "其他证明材料", "other proof"


class EndReason(Labelled):
    """Why a binding ended."""

    BY_PAYER = "by_payer", "共济人解除", "ended by the payer"
    BY_BENEFICIARY = "by_beneficiary", "使用人解除", "ended by the beneficiary"
    BY_STAFF = "by_staff", "经办人员解除", "ended by staff"
    MEMBER_REMOVED = "member_removed", "户主删除家庭成员", "member removed from the family"
    MEMBER_LEFT = "member_left", "成员离开家庭", "member left the family"
    EXPIRED = "expired", "授权期满", "validity period over"
    # Ended by themselves when an enrollment ended or left the payer's scope (N-6, D-5, LC-5):
    DEATH = "death", "参保人死亡", "an insured person died"
    MOVED = "moved", "迁出共济范围", "moved out of the payer's scope"
    SCHEME_CHANGED = "scheme_changed", "变更险种，不再是职工医保", "changed scheme: no longer an employee enrollee"

    @property
    def by_itself(self) -> bool:
        """Not an unbinding by anyone: no re-bind wait follows it (HLJ-2)."""
        return self in (EndReason.EXPIRED, EndReason.DEATH, EndReason.MOVED, EndReason.SCHEME_CHANGED)
