"""The code tables the national interface uses, mapped onto the project's words.

Sources are in ``docs/national-interface-fields.md`` ("Code tables"); where a table was not found in any
source (``psn_type``, ``fund_pay_type``), the codes below are the project's own and say so.
"""

from __future__ import annotations

from gongji.terms import Scheme, Status

#: 就诊凭证类型 mdtrt_cert_type → the core's certificate types (N-4).
CERT_TYPES = {"01": "e_voucher", "02": "id_card", "03": "insurance_card"}

#: 险种类型 insutype: the two schemes of basic medical insurance.
INSUTYPE = {Scheme.EMPLOYEE.value: "310", Scheme.RESIDENT.value: "390"}
INSUTYPE_NAMES = {"310": ("职工基本医疗保险", "employee basic medical insurance"),
                  "390": ("城乡居民基本医疗保险", "resident basic medical insurance")}

#: 人员参保状态 psn_insu_stas (1 is attested; 2 and 4 follow the social-insurance table aac008).
INSU_STATUS = {Status.NORMAL.value: "1", Status.SUSPENDED.value: "2", Status.TERMINATED.value: "4"}

#: 性别 gend (GB/T 2261.1).
GENDER = {"M": "1", "F": "2"}

#: 人员证件类型 psn_cert_type 01: resident ID card; the only one the project's people carry.
ID_CARD = "01"

#: 清算类别 clr_type.
CLEARING_OUTPATIENT, CLEARING_PHARMACY = "11", "41"

#: 医疗类别 med_type of a pharmacy purchase.
PHARMACY_MED_TYPE = "41"

#: 个人结算方式 psn_setlway.
SETTLEMENT_WAYS = ("01", "02")


def psn_type(scheme: str, retired: bool) -> str:
    """人员类别 (project's codes; the standard's table was not found): 11 employee at work, 12 retired employee,
    21 resident."""
    if scheme == Scheme.RESIDENT.value:
        return "21"
    return "12" if retired else "11"


def fund_pay_type(insutype: str) -> tuple[str, str]:
    """基金支付类型 of the pooled fund (project's codes, after the insutype they belong to)."""
    if insutype == "390":
        return "390100", "城乡居民基本医疗保险统筹基金"
    return "310100", "职工基本医疗保险统筹基金"


def is_inpatient(med_type: str) -> bool:
    """21–29 and 52 are inpatient kinds (and 2101/2102, regional spellings of them)."""
    return med_type.startswith("2") or med_type == "52"

#: 清算方式 (clr_way): every settlement here is cleared item by item (按项目, 1); no fixed sums or case-based groups.
CLEARING_BY_ITEM = "1"
