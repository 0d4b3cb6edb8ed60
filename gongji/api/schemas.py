"""Shapes shared by the endpoints: money, dates, pages, and people as others may see them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictInt, model_validator
from pydantic_core import PydanticCustomError

from gongji.people.ids import mask

T = TypeVar("T")

#: An amount of money in fen: a whole number, never a float (12.50 yuan is 1250).
Fen = Annotated[StrictInt, Field(ge=0, le=10**12, description="金额（分）· amount in fen", examples=[1250])]
PositiveFen = Annotated[StrictInt, Field(gt=0, le=10**12, description="金额（分），大于0 · amount in fen, above 0",
                                         examples=[1250])]
IdNumber = Annotated[str, Field(min_length=1, max_length=30, description="18位居民身份证号码 · resident ID number",
                                examples=["230103199001011234"])]
Id = Annotated[int, Field(ge=1, le=2**53)]


def _nul_at(value: Any, path: tuple[str | int, ...] = ()) -> tuple[str | int, ...] | None:
    """Where in a JSON value a string holds a NUL character (PostgreSQL stores no such text), if anywhere."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        found = _nul_at(key, (*path, key)) if isinstance(key, str) and "\x00" in key else _nul_at(item, (*path, key))
        if found is not None:
            return found
    return None


class Input(BaseModel):
    """A request body: unknown fields are refused, so a typo is not silently ignored; no text holds NUL."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        where = _nul_at(data)
        if where is not None:
            raise PydanticCustomError("nul_character", "text may not contain the NUL character",
                                      {"where": ".".join(str(p) for p in where)})
        return data


class Output(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(Output, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


Limit = Annotated[int, Field(ge=1, le=200)]
Offset = Annotated[int, Field(ge=0, le=10**9)]


def shown_id(id_number: str, *, owner: bool) -> str:
    """The full ID number for its owner, masked (``2301**********1234``) for everyone else."""
    return id_number if owner else mask(id_number)


__all__ = ["Fen", "PositiveFen", "IdNumber", "Id", "Input", "Output", "Page", "Limit", "Offset", "shown_id",
           "date", "datetime"]
