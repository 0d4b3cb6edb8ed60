from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from gongji.db.base import Base, BigId, UTCDateTime


class Contribution(Base):
    """缴费记录: one person's contribution for one month, as the collecting authority passed it on (LC-1).

    ``payer_kind`` is who paid: ``employer`` (单位, with the individual part withheld from the wage) or
    ``individual`` (以个人身份参保). ``paid_on`` after the month's end makes it a back-payment (补缴, LC-3).
    """

    __tablename__ = "contributions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    month: Mapped[str] = mapped_column(String(7))
    payer_kind: Mapped[str] = mapped_column(String(10))
    employer_fen: Mapped[int] = mapped_column(BigInteger)
    individual_fen: Mapped[int] = mapped_column(BigInteger)
    base_fen: Mapped[int] = mapped_column(BigInteger)
    paid_on: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(80))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("person_id", "month"),
        CheckConstraint("payer_kind IN ('employer', 'individual')", name="payer_kind_known"),
        CheckConstraint("employer_fen >= 0 AND individual_fen >= 0 AND base_fen >= 0", name="amounts_not_negative"),
        CheckConstraint("employer_fen + individual_fen > 0", name="something_paid"),
    )
