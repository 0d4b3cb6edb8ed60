"""Money is an ``int`` of fen. Yuan with two decimals exist only at the edges (D-6)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from gongji.errors import GongjiError

#: The largest amount one operation may carry: 100 million yuan. Guards against typos and overflow.
MAX_FEN = 10_000_000_000


def require_fen(value: Any, *, field: str, allow_zero: bool = False) -> int:
    """Return ``value`` if it is a whole number of fen in range, else refuse it (INVALID_AMOUNT).

    Floats are refused even when whole (``12.0``): a float in a money field is a caller's bug.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        kind = type(value).__name__
        raise GongjiError(
            "INVALID_AMOUNT",
            field=field,
            reason_zh=f"须为整数分，收到的是 {kind} 类型的值 {value!r}",
            reason_en=f"it must be an integer of fen, got {kind} {value!r}",
        )
    if value < 0 or (value == 0 and not allow_zero):
        raise GongjiError(
            "INVALID_AMOUNT",
            field=field,
            reason_zh=f"须大于零，收到 {value}" if not allow_zero else f"不能为负数，收到 {value}",
            reason_en=f"it must be above zero, got {value}" if not allow_zero else f"it may not be negative, got {value}",
        )
    if value > MAX_FEN:
        raise GongjiError(
            "INVALID_AMOUNT",
            field=field,
            reason_zh=f"超过单笔上限 {MAX_FEN} 分",
            reason_en=f"it is above the limit of {MAX_FEN} fen for one operation",
        )
    return value


_YUAN = re.compile(r"-?\d{1,15}(\.\d+)?")
#: Not negative, at most two decimals: every amount of a file that is right.
_PLAIN_YUAN = re.compile(r"(\d{1,15})(?:\.(\d{1,2}))?")


def yuan_to_fen(value: Any, *, field: str) -> int:
    """Convert a yuan amount with at most two decimals to fen, exactly. Refuse anything else.

    Accepts ``Decimal``, ``int`` and plain decimal text (``"12.50"``); refuses floats' text forms
    such as ``"1e3"``, ``"1_000"``, ``"+5"``, ``"NaN"``.
    """
    if isinstance(value, bool) or value is None:
        raise GongjiError("INVALID_AMOUNT", field=field, reason_zh="缺少金额", reason_en="no amount was given")
    if isinstance(value, float):
        raise GongjiError(
            "INVALID_AMOUNT", field=field, reason_zh="金额须以精确的十进制数传入，不能是浮点数",
            reason_en="pass amounts as exact decimals (text or Decimal), not floats",
        )
    text = str(value).strip()
    plain = _PLAIN_YUAN.fullmatch(text)
    if plain is not None:  # the common case, "1234.5": whole fen by integer arithmetic, as Decimal would give
        whole, cents = plain.groups()
        fen = int(whole) * 100 + (int(cents.ljust(2, "0")) if cents else 0)
        if fen > MAX_FEN:
            raise GongjiError(
                "INVALID_AMOUNT", field=field, reason_zh=f"超过单笔上限 {MAX_FEN} 分", reason_en=f"it is above {MAX_FEN} fen"
            )
        return fen
    if not _YUAN.fullmatch(text):
        raise GongjiError(
            "INVALID_AMOUNT", field=field, reason_zh=f"“{text[:30]}”不是数字", reason_en=f"'{text[:30]}' is not a number"
        )
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise GongjiError(
            "INVALID_AMOUNT", field=field, reason_zh=f"“{value}”不是数字", reason_en=f"'{value}' is not a number"
        ) from None
    if "." in text and len(text.split(".")[1]) > 2:
        raise GongjiError(
            "INVALID_AMOUNT",
            field=field,
            reason_zh=f"元金额最多两位小数，收到 {value}",
            reason_en=f"yuan amounts have at most two decimals, got {value}",
        )
    if amount < 0:
        raise GongjiError(
            "INVALID_AMOUNT", field=field, reason_zh=f"不能为负数，收到 {value}", reason_en=f"it may not be negative, got {value}"
        )
    fen = int(amount * 100)
    if fen > MAX_FEN:
        raise GongjiError(
            "INVALID_AMOUNT", field=field, reason_zh=f"超过单笔上限 {MAX_FEN} 分", reason_en=f"it is above {MAX_FEN} fen"
        )
    return fen


def fen_to_yuan(fen: int) -> str:
    """``1250`` → ``"12.50"``; the national interface's and the screens' format."""
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"
