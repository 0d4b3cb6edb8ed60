"""What an import remembers: each run over a file, its checkpoint, and the rows it rejected."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from gongji.db.base import Base, BigId, UTCDateTime


class ImportRun(Base):
    """One file of one kind (``people``, ``contributions``, ``life_events``), loaded in chunks.

    ``rows_read`` is the checkpoint: the file's first ``rows_read`` data rows are done (loaded or rejected). Each
    chunk moves it in the transaction that writes the chunk's rows, so after a crash a run over the same file (known
    by its SHA-256) resumes after the last committed chunk. ``finished_at`` is set when the whole file is done.
    """

    __tablename__ = "import_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    file_name: Mapped[str] = mapped_column(String(200))
    file_sha256: Mapped[str] = mapped_column(String(64))
    file_bytes: Mapped[int] = mapped_column(BigInteger)
    rows_read: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_loaded: Mapped[int] = mapped_column(BigInteger, default=0)
    rows_rejected: Mapped[int] = mapped_column(BigInteger, default=0)
    chunks: Mapped[int] = mapped_column(Integer, default=0)
    operator_kind: Mapped[str] = mapped_column(String(12))
    operator_id: Mapped[str] = mapped_column(String(40))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint("rows_read >= 0 AND rows_loaded >= 0 AND rows_rejected >= 0", name="counts"),
        CheckConstraint("rows_loaded + rows_rejected <= rows_read", name="counts_add_up"),
        Index("ix_import_runs_file", "kind", "file_sha256"),
    )


class ImportRejection(Base):
    """A row of the file that loaded nothing, and why (the row's values are not kept: they may be personal)."""

    __tablename__ = "import_rejections"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("import_runs.id"))
    row_number: Mapped[int] = mapped_column(BigInteger)
    field: Mapped[str | None] = mapped_column(String(60))
    code: Mapped[str] = mapped_column(String(60))
    message_zh: Mapped[str] = mapped_column(String(500))
    message_en: Mapped[str] = mapped_column(String(500))

    __table_args__ = (Index("ix_import_rejections_run_row", "run_id", "row_number"),)
