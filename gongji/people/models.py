from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from gongji.db.base import Base, BigId, UTCDateTime


class Person(Base):
    """参保人: someone identified by the 18-character resident ID (GB 11643)."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    id_number: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    #: Pinyin of the name, for HN-4's "sorts first" in the order people expect (李 before 张).
    name_sort_key: Mapped[str] = mapped_column(String(400))  # 50 syllables of up to 8 characters
    birth_date: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(1))
    phone: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    enrollment: Mapped[Enrollment | None] = relationship(back_populates="person", uselist=False, lazy="joined")

    __table_args__ = (CheckConstraint("sex IN ('M', 'F')", name="sex"),)


class Enrollment(Base):
    """参保登记: the person's current enrollment. Its history is in the events table."""

    __tablename__ = "enrollments"

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)
    scheme: Mapped[str] = mapped_column(String(10))
    region_code: Mapped[str] = mapped_column(String(6), index=True)
    status: Mapped[str] = mapped_column(String(10))
    status_since: Mapped[date] = mapped_column(Date)
    #: What registration or staff last recorded (with ``status_reason``); ``status`` is what the rules read: the
    #: recorded one while no contribution is known, else the one the contributions decide (LC-1), terminated
    #: whenever recorded so.
    recorded_status: Mapped[str] = mapped_column(String(10))
    status_reason: Mapped[str | None] = mapped_column(String(200))
    #: Why ``status`` is what it is: ``registered``, ``staff`` or ``contributions``.
    status_cause: Mapped[str] = mapped_column(String(20))
    #: The last month contributions cover (YYYY-MM), as of the last refresh.
    last_paid_month: Mapped[str | None] = mapped_column(String(7))
    enrolled_on: Mapped[date] = mapped_column(Date)
    card_no: Mapped[str | None] = mapped_column(String(20), unique=True)
    #: The card's identification code (卡识别码) as issued with it: a 1101 card read must present it (NI-2).
    card_sn: Mapped[str | None] = mapped_column(String(32), nullable=True)
    retired: Mapped[bool] = mapped_column(Boolean, default=False)
    contribution_base_fen: Mapped[int | None] = mapped_column(BigInteger)

    person: Mapped[Person] = relationship(back_populates="enrollment")

    __table_args__ = (
        CheckConstraint("scheme IN ('employee', 'resident')", name="scheme"),
        CheckConstraint("status IN ('normal', 'suspended', 'terminated')", name="status"),
        CheckConstraint("recorded_status IN ('normal', 'suspended', 'terminated')", name="recorded_status"),
        CheckConstraint("status_cause IN ('registered', 'staff', 'contributions')", name="status_cause"),
    )
