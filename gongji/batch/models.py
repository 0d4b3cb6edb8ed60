"""What the batch jobs remember: each run of a job for a period, and each chunk of it that is done."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKeyConstraint, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from gongji.db.base import Base, UTCDateTime


class BatchRun(Base):
    """A job for one period (``credit_month`` 2026-11, ``year_end`` 2026, ``close_expired`` 2026-11-23).

    The first run of a period fixes its population's id range (``first_id`` through ``last_id``) and its
    ``chunk_size``: a later run of the period cuts the same chunks, so chunk numbers of earlier runs mean the same
    id ranges, and nobody who came later is half-included. ``finished_at`` is set when every chunk is done.
    """

    __tablename__ = "batch_runs"

    job: Mapped[str] = mapped_column(String(30), primary_key=True)
    period: Mapped[str] = mapped_column(String(10), primary_key=True)
    chunk_size: Mapped[int] = mapped_column(Integer)
    first_id: Mapped[int] = mapped_column(BigInteger)
    last_id: Mapped[int] = mapped_column(BigInteger)  # below first_id: the population was empty
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (CheckConstraint("chunk_size >= 1", name="chunk_size"),)


class BatchChunk(Base):
    """One chunk of a run, written in the same transaction as the chunk's work: it exists only if the work does.

    Chunk ``n`` covers the ids ``(n - 1) * chunk_size + 1`` through ``n * chunk_size`` (people for the ledger
    jobs, bindings for ``close_expired``). The primary key makes a chunk done at most once per period.
    """

    __tablename__ = "batch_chunks"

    job: Mapped[str] = mapped_column(String(30), primary_key=True)
    period: Mapped[str] = mapped_column(String(10), primary_key=True)
    chunk: Mapped[int] = mapped_column(Integer, primary_key=True)
    first_id: Mapped[int] = mapped_column(BigInteger)
    last_id: Mapped[int] = mapped_column(BigInteger)
    rows: Mapped[int] = mapped_column(BigInteger)  # people credited, accounts rolled over, bindings closed
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    entry_ids: Mapped[list[int]] = mapped_column(JSON)  # the ledger entries the chunk wrote
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)  # counts by region and by reason, for the summary
    done_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        ForeignKeyConstraint(["job", "period"], ["batch_runs.job", "batch_runs.period"]),
        CheckConstraint("first_id <= last_id", name="id_range"),
    )
