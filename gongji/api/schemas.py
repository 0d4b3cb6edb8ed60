"""Shapes shared by the endpoints: money, dates, pages, and people as others may see them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from gongji.people.ids import mask

T = TypeVar("T")

#: An amount of money in fen: a whole number, never a float (12.50 yuan is 1250).
Fen = Annotated[StrictInt, Field(ge=0, le=10**12, description="金额（分）· amount in fen", examples=[1250])]
PositiveFen = Annotated[StrictInt, Field(gt=0, le=10**12, description="金额（分），大于0 · amount in fen, above 0",
                                         examples=[1250])]
IdNumber = Annotated[str, Field(min_length=1, max_length=30, description="18位居民身份证号码 · resident ID number",
                                examples=["230103199001011234"])]
Id = Annotated[int, Field(ge=1, le=2**53)]


class Input(BaseModel):
    """A request body: unknown fields are refused, so a typo is not silently ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


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
