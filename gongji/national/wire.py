"""The national interface's wire format: exact JSON, typed fields, yuan, dates (NI-1, NI-5).

Messages are JSON objects whose fields are typed by the standard's tables (字符型, 数值型 16,2,
日期型, 日期时间型; see ``docs/national-interface-fields.md``). This module reads them into Python values
and writes answers back:

* JSON is parsed with every number as a :class:`~decimal.Decimal`, so ``12.30`` is never a float;
  amounts may come as numbers or as text (``"12.30"``), both are accepted.
* An amount is yuan with at most two decimals and is converted exactly to integer fen; a third decimal
  that is not zero, a negative value, or anything that is not a number is refused, naming the field.
* Answers are written with amounts as JSON numbers with two decimals (``12.30``), dates as
  ``yyyy-MM-dd`` and date-times as ``yyyy-MM-dd HH:mm:ss``, China Standard Time.

Each field is declared once, as a :class:`Field` with its name, its Chinese name, its type, its length and
whether it is required; :func:`read` checks a node against such a list and refuses the first field that is
wrong, in the order of the standard's table.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from gongji.clock import CST
from gongji.errors import GongjiError
from gongji.inputs import DuplicateKey, refuse_duplicates
from gongji.money import MAX_FEN

TEXT, AMOUNT, NUMBER, DATE, DATETIME = "text", "amount", "number", "date", "datetime"


@dataclass(frozen=True)
class Field:
    """One row of a standard's table: 参数代码, 参数名称, 参数类型, 数据长度, 是否必填.

    ``length`` is characters for text; for numbers ``scale`` is the digits after the point and
    ``length`` the digits in all. ``choices`` lists the codes a code field accepts, when the project
    knows them all.
    """

    name: str
    zh: str
    kind: str = TEXT
    length: int = 0
    required: bool = False
    scale: int = 0
    choices: tuple[str, ...] = ()


def text(name: str, zh: str, length: int, *, required: bool = False, choices: Sequence[str] = ()) -> Field:
    return Field(name, zh, TEXT, length, required, 0, tuple(choices))


def amount(name: str, zh: str, *, required: bool = False) -> Field:
    """数值型 16,2: yuan, read as fen."""
    return Field(name, zh, AMOUNT, 16, required, 2)


def number(name: str, zh: str, length: int, scale: int, *, required: bool = False) -> Field:
    return Field(name, zh, NUMBER, length, required, scale)


def day(name: str, zh: str, *, required: bool = False) -> Field:
    return Field(name, zh, DATE, 10, required)


def moment(name: str, zh: str, *, required: bool = False) -> Field:
    return Field(name, zh, DATETIME, 19, required)


# -- JSON ----------------------------------------------------------------------------------------


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def loads(body: bytes) -> dict[str, Any]:
    """The message as a dict, every JSON number a Decimal; NI_MESSAGE_UNREADABLE if it is not a JSON object or an
    object of it names a key twice."""
    try:
        value = json.loads(body.decode("utf-8"), parse_float=Decimal, parse_int=Decimal,
                           parse_constant=_no_constants, object_pairs_hook=refuse_duplicates)
    except UnicodeDecodeError:
        raise GongjiError("NI_MESSAGE_UNREADABLE", reason_zh="不是 UTF-8 编码", reason_en="it is not UTF-8") from None
    except DuplicateKey as exc:  # which of the two values is meant? A proxy or a log may have read the other
        key = exc.key[:40]
        raise GongjiError("NI_MESSAGE_UNREADABLE", reason_zh=f"字段“{key}”在同一对象中出现了不止一次",
                          reason_en=f"the key '{key}' appears more than once in one object") from None
    except (ValueError, RecursionError) as exc:
        shown = str(exc)[:80]
        raise GongjiError("NI_MESSAGE_UNREADABLE", reason_zh=f"不是有效的 JSON（{shown}）",
                          reason_en=f"it is not valid JSON ({shown})") from None
    if not isinstance(value, dict):
        raise GongjiError("NI_MESSAGE_UNREADABLE", reason_zh="报文须为 JSON 对象", reason_en="it must be a JSON object")
    try:  # an escaped half of a surrogate pair (\ud800) is valid JSON but no text: it could not be stored or shown
        json.dumps(value, ensure_ascii=False, default=str).encode("utf-8")
    except UnicodeEncodeError:
        raise GongjiError("NI_MESSAGE_UNREADABLE", reason_zh="含有不成对的 Unicode 代理字符（如 \\ud800）",
                          reason_en="it holds an unpaired Unicode surrogate (such as \\ud800)") from None
    return value


def dumps(value: Any) -> str:
    """JSON with Decimals written as they are (``12.30`` stays ``12.30``) and Chinese left readable."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(k), ensure_ascii=False)}:{dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(dumps(v) for v in value) + "]"
    raise TypeError(f"no JSON form for {type(value).__name__}")


def canonical(value: Any) -> str:
    """A stable text of a parsed message part, for fingerprints: keys sorted, numbers as written."""
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{canonical(value[k])}" for k in sorted(value)) + "}"
    if isinstance(value, list):
        return "[" + ",".join(canonical(v) for v in value) + "]"
    if isinstance(value, Decimal):  # 12.3 and 12.30 are the same amount
        if value.is_finite() and -40 < value.adjusted() < 40:
            return json.dumps(format(value.normalize(), "f"))
        return json.dumps(str(value))  # 1E+999999999: a dozen bytes sent, not to be written out digit by digit
    return json.dumps(value, ensure_ascii=False, default=str)


# -- writing -------------------------------------------------------------------------------------


def yuan(fen: int) -> Decimal:
    """``1230`` → ``Decimal('12.30')``: how amounts go out (数值型 16,2)."""
    return Decimal(int(fen)).scaleb(-2)


def ratio(permille: int) -> Decimal:
    """``500`` → ``Decimal('0.5000')`` (数值型 5,4)."""
    return Decimal(int(permille) * 10).scaleb(-4)


def date_text(value: date) -> str:
    return value.isoformat()


def time_text(value: datetime) -> str:
    """An instant as 日期时间型, ``yyyy-MM-dd HH:mm:ss`` China Standard Time."""
    return value.astimezone(CST).strftime("%Y-%m-%d %H:%M:%S")


def stamp(value: datetime) -> str:
    """``yyyyMMddHHmmssSSS`` (refmsg_time, respond_time)."""
    local = value.astimezone(CST)
    return local.strftime("%Y%m%d%H%M%S") + f"{local.microsecond // 1000:03d}"


# -- reading -------------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_AMOUNT_TEXT = re.compile(r"-?\d{1,16}(\.\d+)?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
#: 日期时间型 as HIS clients write it: a space or ISO's T, optional fractional seconds (.NET writes up to seven
#: digits), an optional offset (+08:00, or Z). It is recorded and answered as yyyy-MM-dd HH:mm:ss in China time.
_DATETIME = re.compile(r"(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.\d{1,9})?(Z|[+-]\d{2}:\d{2})?")
#: The longest date-time text accepted: 2025-06-02T10:00:00.123456789+08:00.
_DATETIME_LENGTH = 35


def _invalid(spec: Field, value: Any, zh: str, en: str) -> GongjiError:
    return GongjiError("NI_FIELD_INVALID", field=spec.name, name_zh=spec.zh, value=_shown(value), reason_zh=zh,
                       reason_en=en)


def _shown(value: Any) -> str:
    # 1E+100000000 is short as JSON and a hundred million digits written out: such a number is shown as sent.
    small = isinstance(value, Decimal) and value.is_finite() and -40 < value.adjusted() < 40
    shown = format(value, "f") if small else str(value)
    return shown if len(shown) <= 40 else shown[:40] + "…"


def is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _text(spec: Field, value: Any) -> str:
    if (isinstance(value, Decimal) and value.is_finite() and value >= 0 and value.adjusted() < 40
            and value == value.to_integral_value()):
        value = format(value, "f")  # a code sent as a number (acct_used_flag: 1)
    if not isinstance(value, str):
        raise _invalid(spec, value, "须为字符型", "it must be text (字符型)")
    value = value.strip()
    if _CONTROL.search(value):
        raise _invalid(spec, value.encode("unicode_escape").decode(), "含有控制字符", "it contains control characters")
    if spec.length and len(value) > spec.length:
        raise _invalid(spec, value, f"长度 {len(value)} 超过 {spec.length}",
                       f"its length {len(value)} is above {spec.length}")
    if spec.choices and value not in spec.choices:
        raise _invalid(spec, value, "可选值：" + "、".join(spec.choices), "allowed: " + ", ".join(spec.choices))
    return value


def _decimal(spec: Field, value: Any) -> Decimal:
    """A JSON number or numeric text as a Decimal, as written; refuses floats' other spellings."""
    if isinstance(value, bool):
        raise _invalid(spec, value, "须为数值", "it must be a number")
    if isinstance(value, int):
        value = Decimal(value)
    if isinstance(value, str):
        raw = value.strip()
        if not _AMOUNT_TEXT.fullmatch(raw):
            raise GongjiError(_amount_code(spec), field=spec.name, name_zh=spec.zh, value=_shown(value),
                              reason_zh="不是数值", reason_en="it is not a number")
        value = Decimal(raw)
    if not isinstance(value, Decimal) or not value.is_finite():
        raise GongjiError(_amount_code(spec), field=spec.name, name_zh=spec.zh, value=_shown(value),
                          reason_zh="不是数值", reason_en="it is not a number")
    return value


def _amount_code(spec: Field) -> str:
    return "NI_AMOUNT_INVALID" if spec.kind == AMOUNT else "NI_FIELD_INVALID"


def _scaled(spec: Field, value: Any) -> Decimal:
    number_ = _decimal(spec, value)
    code = _amount_code(spec)
    if number_ < 0:
        raise GongjiError(code, field=spec.name, name_zh=spec.zh, value=_shown(number_), reason_zh="不能为负数",
                          reason_en="it may not be negative")
    # The range first: quantizing a number beyond it (1E+400) fails rather than answers.
    if number_ >= Decimal(10) ** (spec.length - spec.scale):
        raise GongjiError(code, field=spec.name, name_zh=spec.zh, value=_shown(number_),
                          reason_zh=f"超过 {spec.length},{spec.scale} 位数值的范围",
                          reason_en=f"it is too large for a {spec.length},{spec.scale} number")
    if number_ != number_.quantize(Decimal(1).scaleb(-spec.scale), rounding="ROUND_DOWN"):
        raise GongjiError(code, field=spec.name, name_zh=spec.zh, value=_shown(number_),
                          reason_zh=f"最多 {spec.scale} 位小数", reason_en=f"it has more than {spec.scale} decimals")
    return number_


def to_fen(spec: Field, value: Any) -> int:
    """An amount in yuan as whole fen, exactly (D-6); more decimals or negatives are refused."""
    yuan_ = _scaled(spec, value)
    fen = int(yuan_ * 100)
    if fen > MAX_FEN:
        raise GongjiError("NI_AMOUNT_INVALID", field=spec.name, name_zh=spec.zh, value=_shown(yuan_),
                          reason_zh=f"超过单笔上限 {MAX_FEN // 100} 元", reason_en=f"it is above {MAX_FEN // 100} yuan")
    return fen


def _date(spec: Field, value: Any) -> date:
    raw = _text(Field(spec.name, spec.zh, TEXT, _DATETIME_LENGTH), value)
    try:
        if _DATE.fullmatch(raw):
            return date.fromisoformat(raw)
        # Tolerated: a date written as a date-time at midnight (2025-06-02 00:00:00, .NET's 2025-06-02T00:00:00).
        at = _parse_datetime(raw)
        if at is None or at[1] != "00:00:00":
            raise ValueError
        return date.fromisoformat(at[0])
    except ValueError:
        raise _invalid(spec, raw, "日期格式须为 yyyy-MM-dd", "dates are yyyy-MM-dd") from None


def _parse_datetime(raw: str) -> tuple[str, str, str | None] | None:
    match = _DATETIME.fullmatch(raw)
    return (match.group(1), match.group(2), match.group(3)) if match else None


def _datetime(spec: Field, value: Any) -> datetime:
    """日期时间型 to the second, in China time unless the text names its offset; fractions of a second dropped."""
    raw = _text(Field(spec.name, spec.zh, TEXT, _DATETIME_LENGTH), value)
    try:
        parts = _parse_datetime(raw)
        if parts is None:
            raise ValueError
        day_, time_, offset = parts
        at = datetime.strptime(f"{day_} {time_}", "%Y-%m-%d %H:%M:%S")
        if offset is None:
            return at.replace(tzinfo=CST)
        if offset != "Z" and (int(offset[1:3]) > 14 or int(offset[4:]) > 59):
            raise ValueError
        zone = UTC if offset == "Z" else datetime.strptime(offset, "%z").tzinfo
        return at.replace(tzinfo=zone).astimezone(CST)
    except ValueError:
        raise _invalid(spec, raw, "时间格式须为 yyyy-MM-dd HH:mm:ss 或 yyyy-MM-ddTHH:mm:ss",
                       "date-times are yyyy-MM-dd HH:mm:ss or yyyy-MM-ddTHH:mm:ss") from None


def value_of(spec: Field, value: Any) -> Any:
    """One field's value, checked and converted; None when it is absent or empty and not required."""
    if is_missing(value):
        if spec.required:
            raise GongjiError("NI_FIELD_REQUIRED", field=spec.name, name_zh=spec.zh)
        return None
    if spec.kind == TEXT:
        return _text(spec, value)
    if spec.kind == AMOUNT:
        return to_fen(spec, value)
    if spec.kind == NUMBER:
        return _scaled(spec, value)
    if spec.kind == DATE:
        return _date(spec, value)
    if spec.kind == DATETIME:
        return _datetime(spec, value)
    raise AssertionError(spec.kind)


def read(node: Any, fields: Sequence[Field], *, node_name: str, node_zh: str) -> dict[str, Any]:
    """Check ``node`` (a JSON object) against the table ``fields``; return the values by field name.

    Fields the table does not list are ignored, as the standard's extension fields (``exp_content``) are.
    """
    if not isinstance(node, dict):
        if is_missing(node):
            raise GongjiError("NI_FIELD_REQUIRED", field=node_name, name_zh=node_zh)
        raise GongjiError("NI_FIELD_INVALID", field=node_name, name_zh=node_zh, value=_shown(type(node).__name__),
                          reason_zh="须为 JSON 对象", reason_en="it must be a JSON object")
    return {spec.name: value_of(spec, node.get(spec.name)) for spec in fields}


def rows(node: Any, *, node_name: str, node_zh: str, limit: int) -> list[Any]:
    """A node that is an array (``feedetail[]``): present, not empty, at most ``limit`` rows."""
    if is_missing(node) or node == []:
        raise GongjiError("NI_FIELD_REQUIRED", field=node_name, name_zh=node_zh)
    if not isinstance(node, list):
        raise GongjiError("NI_FIELD_INVALID", field=node_name, name_zh=node_zh, value=_shown(type(node).__name__),
                          reason_zh="须为 JSON 数组", reason_en="it must be a JSON array")
    if len(node) > limit:
        raise GongjiError("NI_FIELD_INVALID", field=node_name, name_zh=node_zh, value=str(len(node)),
                          reason_zh=f"一次最多 {limit} 条", reason_en=f"at most {limit} rows at a time")
    return node
