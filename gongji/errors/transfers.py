"""Transfers (Hangzhou, HZ-1..HZ-4) and contributions for relatives (N-5); contribution records (WL-5)."""

from gongji.errors.spec import ErrorSpec

CODES: dict[str, ErrorSpec] = {
    "INSUFFICIENT_PRIOR_YEARS": ErrorSpec(
        409,
        "划转金额 {amount:yuan} 元超过 {name} 当前历年账户余额 {balance:yuan} 元。请减少金额。",
        "The transfer of {amount:yuan} yuan exceeds {name}'s current prior-years balance of {balance:yuan} yuan. "
        "Lower the amount.",
    ),
    "INSUFFICIENT_BALANCE": ErrorSpec(
        409,
        "{name} 可用于亲属的个人账户余额为 {available:yuan} 元，不足 {amount:yuan} 元。",
        "{name} has {available:yuan} yuan available for relatives, less than the {amount:yuan} yuan needed.",
    ),
    "USE_NOT_ALLOWED": ErrorSpec(
        409,
        "本地区（{region_name}）的家庭共济资金不能用于“{use_zh}”。",
        "In this region ({region_name}) mutual-aid money cannot pay for '{use_en}'.",
    ),
}
