from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from gongji.db.base import Base, UTCDateTime


class StoredResponse(Base):
    """The first answer to a request with an ``Idempotency-Key``, given back to every retry.

    Scoped by caller (``person:12``, ``institution:H2301…``, ``staff:S01``); the fingerprint covers
    method, route and the validated body, so the same key with another request is refused.
    """

    __tablename__ = "stored_responses"

    scope: Mapped[str] = mapped_column(String(80), primary_key=True)
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    body: Mapped[Any] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
