"""The people file's columns and one row read into plain values (pure: no session, no clock of its own).

See ``docs/import.md`` for the format. Values may be given as the insurer's systems write them: schemes as
``employee`` / ``职工医保`` / ``310``, statuses as ``normal`` / ``正常参保`` / ``1``, relationships as ``child`` /
``子女`` / ``儿子``, yes and no as ``是`` / ``否`` / ``Y`` / ``1``, amounts in yuan with at most two decimals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from gongji.errors import GongjiError
from gongji.imports.reading import Field, SourceRow, fold
from gongji.imports.report import about
from gongji.inputs import check_date, check_text
from gongji.money import yuan_to_fen
from gongji.people.ids import check_region_code, parse_id_number
from gongji.people.service import check_card_no, check_name, check_phone, name_sort_key
from gongji.terms import Relationship, Scheme, Status

FIELDS: tuple[Field, ...] = (
    Field("id_number", ("身份证号码", "身份证号", "公民身份号码", "证件号码", "社会保障号码", "certno", "psn_cert_no",
                        "idno"), required=True, zh="身份证号码"),
    Field("name", ("姓名", "参保人姓名", "psn_name"), required=True, zh="姓名"),
    Field("scheme", ("险种", "险种类型", "参保险种", "insutype"), required=True, zh="险种"),
    Field("region_code", ("统筹区", "统筹区代码", "参保地", "参保地区划", "行政区划代码", "insuplc_admdvs", "admdvs"),
          required=True, zh="统筹区代码"),
    Field("status", ("参保状态", "psn_insu_stas"), zh="参保状态"),
    Field("status_since", ("状态日期", "状态变更日期"), zh="状态日期"),
    Field("enrolled_on", ("参保日期", "首次参保日期", "begndate"), zh="参保日期"),
    Field("phone", ("手机号码", "手机号", "联系电话", "tel"), zh="手机号码"),
    Field("card_no", ("社会保障卡号", "社保卡号"), zh="社会保障卡号"),
    # NI-2: the card identification code 1101 checks a card read (03) against; with the card number only
    Field("card_sn", ("卡识别码", "社保卡识别码", "card_identification_code"), zh="卡识别码"),
    Field("retired", ("是否退休", "退休", "离退休"), zh="是否退休"),
    Field("contribution_base", ("缴费基数", "contribution_base_yuan"), zh="缴费基数"),
    Field("current_year_balance", ("当年账户余额", "当年余额", "current_year_yuan"), zh="当年账户余额"),
    Field("prior_years_balance", ("历年账户余额", "历年余额", "prior_years_yuan"), zh="历年账户余额"),
    Field("family_householder", ("户主身份证号码", "户主身份证号", "户主"), zh="户主身份证号码"),
    Field("family_name", ("家庭名称", "共济家庭名称"), zh="家庭名称"),
    Field("family_relationship", ("与户主关系",), zh="与户主关系"),
    Field("payer_id_number", ("共济人身份证号码", "共济人身份证号", "授权人身份证号码", "授权人身份证号"),
          zh="共济人身份证号码"),
    Field("relationship", ("与共济人关系", "亲属关系"), zh="与共济人关系"),
    Field("binding_start_on", ("授权开始日期", "共济开始日期"), zh="授权开始日期"),
    Field("binding_end_on", ("授权终止日期", "授权结束日期", "共济终止日期"), zh="授权终止日期"),
    Field("priority", ("扣款顺位", "顺位"), zh="扣款顺位"),
    Field("bindings", ("共济授权",), zh="共济授权"),  # JSON lines only: a list of {payer_id_number, relationship, ...}
)

_SCHEMES = {"employee": Scheme.EMPLOYEE, "职工": Scheme.EMPLOYEE, "职工医保": Scheme.EMPLOYEE,
            "职工基本医疗保险": Scheme.EMPLOYEE, "310": Scheme.EMPLOYEE, "resident": Scheme.RESIDENT,
            "居民": Scheme.RESIDENT, "居民医保": Scheme.RESIDENT, "城乡居民医保": Scheme.RESIDENT,
            "城乡居民基本医疗保险": Scheme.RESIDENT, "390": Scheme.RESIDENT}
_STATUSES = {"normal": Status.NORMAL, "正常": Status.NORMAL, "正常参保": Status.NORMAL, "参保缴费": Status.NORMAL,
             "1": Status.NORMAL, "suspended": Status.SUSPENDED, "暂停": Status.SUSPENDED,
             "暂停参保": Status.SUSPENDED, "中断缴费": Status.SUSPENDED, "暂停缴费": Status.SUSPENDED,
             "2": Status.SUSPENDED, "terminated": Status.TERMINATED, "终止": Status.TERMINATED,
             "终止参保": Status.TERMINATED, "4": Status.TERMINATED}
_RELATIONSHIPS = {
    **{m.value: m for m in Relationship}, **{fold(m.zh): m for m in Relationship},
    "丈夫": Relationship.SPOUSE, "妻子": Relationship.SPOUSE, "夫妻": Relationship.SPOUSE,
    "父亲": Relationship.PARENT, "母亲": Relationship.PARENT, "父": Relationship.PARENT, "母": Relationship.PARENT,
    "儿子": Relationship.CHILD, "女儿": Relationship.CHILD, "子": Relationship.CHILD, "女": Relationship.CHILD,
    "兄弟": Relationship.SIBLING, "姐妹": Relationship.SIBLING, "哥哥": Relationship.SIBLING,
    "弟弟": Relationship.SIBLING, "姐姐": Relationship.SIBLING, "妹妹": Relationship.SIBLING,
    "祖父": Relationship.PATERNAL_GRANDPARENT, "祖母": Relationship.PATERNAL_GRANDPARENT,
    "外祖父": Relationship.MATERNAL_GRANDPARENT, "外祖母": Relationship.MATERNAL_GRANDPARENT,
    "孙子": Relationship.GRANDCHILD, "孙女": Relationship.GRANDCHILD,
    "外孙": Relationship.DAUGHTERS_CHILD, "外孙子": Relationship.DAUGHTERS_CHILD,
    "外孙女": Relationship.DAUGHTERS_CHILD,
}
_YES = {"是", "y", "yes", "true", "1", "t"}
_NO = {"否", "n", "no", "false", "0", "f"}


@dataclass(frozen=True)
class BindingSpec:
    payer_id_number: str
    relationship: Relationship
    start_on: date
    end_on: date | None
    priority: int | None


@dataclass
class PersonRecord:
    row: int
    id_number: str
    name: str
    sort_key: str
    birth_date: date
    sex: str
    scheme: Scheme
    region_code: str
    status: Status
    status_since: date
    enrolled_on: date
    phone: str | None
    card_no: str | None
    retired: bool
    contribution_base_fen: int | None
    current_year_fen: int
    prior_years_fen: int
    householder_id_number: str | None  # own number: this person leads a family
    family_name: str | None
    family_relationship: Relationship | None
    bindings: list[BindingSpec] = field(default_factory=list)
    card_sn: str | None = None

    @property
    def balance_fen(self) -> int:
        return self.current_year_fen + self.prior_years_fen

    @property
    def leads_family(self) -> bool:
        return self.householder_id_number == self.id_number


def _invalid(name: str, zh: str, en: str) -> GongjiError:
    return GongjiError("INVALID_FIELD", field=name, reason_zh=zh, reason_en=en)


def _choice(value: Any, table: dict[str, Any], name: str) -> Any:
    found = table.get(value) if isinstance(value, str) else None  # most files write the table's own words
    if found is None:
        found = table.get(fold(str(value)))
    if found is None:
        allowed = ", ".join(sorted({str(v) for v in table.values()}))
        raise _invalid(name, f"“{str(value)[:30]}”无法识别，可选：{allowed}", f"'{str(value)[:30]}' is not one of: {allowed}")
    return found


def _yes_no(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    text = fold(str(value))
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise _invalid(name, "须为“是”或“否”", "it is yes or no")


def _fen(value: Any, name: str) -> int:
    if value is None:
        return 0
    if isinstance(value, float):  # JSON numbers: exact only as text
        value = repr(value)
    return yuan_to_fen(value, field=name)


def _day(value: Any, name: str, default: date | None = None) -> date | None:
    if value is None:
        return default
    return check_date(str(value).replace("/", "-"), field=name)


def _id(value: Any, name: str, today: date) -> str:
    try:
        return parse_id_number(value, today=today).number
    except GongjiError as error:
        raise about(name, error) from None


@lru_cache(maxsize=100_000)
def _sort_key(name: str) -> str:
    return name_sort_key(name)


def _binding(data: dict[str, Any], today: date) -> BindingSpec:
    payer = _id(data.get("payer_id_number"), "payer_id_number", today)
    if data.get("relationship") is None:
        raise _invalid("relationship", "请填写使用人与共济人的关系", "say what the person is to the payer")
    relationship = _choice(data["relationship"], _RELATIONSHIPS, "relationship")
    start_on = _day(data.get("binding_start_on") or data.get("start_on"), "binding_start_on", today)
    end_on = _day(data.get("binding_end_on") or data.get("end_on"), "binding_end_on")
    priority = data.get("priority")
    if priority is not None:
        try:
            priority = int(str(priority))
        except ValueError:
            raise _invalid("priority", "扣款顺位须为1至99的整数", "the payment order is a whole number from 1 to 99") from None
    return BindingSpec(payer, relationship, start_on, end_on, priority)


def parse_person(row: SourceRow, today: date) -> PersonRecord:
    """One row of the people file as plain values; raise the first problem (a GongjiError naming the field)."""
    v = row.values
    try:
        parsed = parse_id_number(v.get("id_number"), today=today)
    except GongjiError as error:
        raise about("id_number", error) from None
    name = check_name(v.get("name"))
    phone = check_phone(v.get("phone"))
    card_no = check_card_no(v.get("card_no"))
    card_sn = _card_sn(v.get("card_sn"), card_no)
    if v.get("scheme") is None:
        raise _invalid("scheme", "请填写险种（职工医保或城乡居民医保）", "give the scheme (employee or resident)")
    scheme = _choice(v["scheme"], _SCHEMES, "scheme")
    if v.get("region_code") is None:
        raise _invalid("region_code", "请填写6位统筹区代码", "give the 6-digit region code")
    region_code = check_region_code(str(v["region_code"]))
    status = _choice(v["status"], _STATUSES, "status") if v.get("status") is not None else Status.NORMAL
    enrolled_on = _day(v.get("enrolled_on"), "enrolled_on", today)
    status_since = _day(v.get("status_since"), "status_since", enrolled_on)
    for name_, day in (("enrolled_on", enrolled_on), ("status_since", status_since)):
        if day > today:
            raise _invalid(name_, f"不能晚于今天（{today}）", f"it may not be after today ({today})")
        if day < parsed.birth_date:
            raise _invalid(name_, "不能早于出生日期", "it may not be before the birth date")
    retired = _yes_no(v["retired"], "retired") if v.get("retired") is not None else False
    base = _fen(v.get("contribution_base"), "contribution_base") if v.get("contribution_base") is not None else None
    current = _fen(v.get("current_year_balance"), "current_year_balance")
    prior = _fen(v.get("prior_years_balance"), "prior_years_balance")
    if scheme is Scheme.RESIDENT and (current or prior or retired or base):
        raise _invalid("current_year_balance" if current else "prior_years_balance" if prior else
                       "retired" if retired else "contribution_base",
                       "城乡居民医保参保人没有个人账户、退休状态或缴费基数（N-1），请核对险种",
                       "a resident enrollee has no personal account, retirement or contribution base (N-1): "
                       "check the scheme")
    householder = v.get("family_householder")
    householder = _id(householder, "family_householder", today) if householder is not None else None
    family_relationship = None
    if householder is not None and householder != parsed.number:
        if v.get("family_relationship") is None:
            raise _invalid("family_relationship", "请填写与户主的关系", "say what the member is to the householder")
        family_relationship = _choice(v["family_relationship"], _RELATIONSHIPS, "family_relationship")
    family_name = v.get("family_name")
    if family_name is not None:
        family_name = str(family_name)[:50]
    bindings = []
    listed = v.get("bindings")
    if listed is not None:
        if not isinstance(listed, list) or not all(isinstance(b, dict) for b in listed):
            raise _invalid("bindings", "须为由共济授权组成的列表", "it is a list of bindings (objects)")
        bindings = [_binding(b, today) for b in listed]
    elif v.get("payer_id_number") is not None:
        bindings = [_binding(v, today)]
    payers = [b.payer_id_number for b in bindings]
    if len(set(payers)) != len(payers):
        raise _invalid("payer_id_number", "同一共济人列出了两次", "the same payer is listed twice")
    return PersonRecord(
        row=row.number, id_number=parsed.number, name=name, sort_key=_sort_key(name), birth_date=parsed.birth_date,
        sex=parsed.sex, scheme=scheme, region_code=region_code, status=status, status_since=status_since,
        enrolled_on=enrolled_on, phone=phone, card_no=card_no, retired=retired, contribution_base_fen=base,
        current_year_fen=current, prior_years_fen=prior, householder_id_number=householder, family_name=family_name,
        family_relationship=family_relationship, bindings=bindings, card_sn=card_sn,
    )


def _card_sn(value: Any, card_no: str | None) -> str | None:
    """NI-2: the card identification code (卡识别码), kept in capitals as 1101 compares it; only with a card number."""
    if value is None:
        return None
    card_sn = check_text(str(value), field="card_sn", max_length=32)
    if card_sn is not None and card_no is None:
        raise _invalid("card_sn", "卡识别码须与社会保障卡号一起登记", "the card identification code goes with the card "
                       "number (card_no)")
    return card_sn.upper() if card_sn else None
