from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from gongji.db.base import Base, BigId, UTCDateTime


class StaffMember(Base):
    """A member of an insurance office: counter staff, or an administrator.

    ``region_prefix`` is the part of the division code they act for: ``2301`` for Harbin, ``23`` for
    Heilongjiang, empty for the whole instance.
    """

    __tablename__ = "staff_members"

    staff_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    role: Mapped[str] = mapped_column(String(10))
    region_prefix: Mapped[str] = mapped_column(String(6))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (CheckConstraint("role IN ('staff', 'admin')", name="role"),)


class PersonCredential(Base):
    """An insured person's password for the portal and the app (set at a counter, changed by the person)."""

    __tablename__ = "person_credentials"

    person_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("people.id"), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime)
    set_by: Mapped[str] = mapped_column(String(60))


class InstitutionKey(Base):
    """The current version of an institution's signing secret.

    The secret itself is not stored: it is derived from the server's key, the code and the version
    (:func:`gongji.auth.service.institution_secret`). Issuing a new one bumps the version.
    """

    __tablename__ = "institution_keys"

    institution_code: Mapped[str] = mapped_column(String(30), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    issued_by: Mapped[str] = mapped_column(String(40))


class AuthSession(Base):
    """A login: the hash of its bearer token, whose it is, and until when it holds."""

    __tablename__ = "auth_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    principal_kind: Mapped[str] = mapped_column(String(12))
    principal_id: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (Index("ix_auth_sessions_expires_at", "expires_at"),)


class SeenNonce(Base):
    """A signed institution request already received: a second one with the same nonce is a replay."""

    __tablename__ = "seen_nonces"

    institution_code: Mapped[str] = mapped_column(String(30), primary_key=True)
    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_seen_nonces_seen_at", "seen_at"),)


class LoginAttempt(Base):
    """A login attempt not known to have succeeded, kept while it counts towards throttling (gongji/auth/throttle.py).

    A row is written before the password is checked and deleted when the login succeeds, so what remains
    are failures (and attempts still in flight). ``account`` is a SHA-256 of the kind and the identifier
    (``person:230103...``, ``staff:S2301``): the table tells how often an account was tried, not whose ID
    numbers were typed. ``client`` is the caller's address.

    Other attempts that are limited per account are counted here too, each kind under keys of its own
    (``binding:<person id>``, ``lookup:<institution code>``) and with ``client`` ``-``
    (:func:`gongji.auth.throttle.count_attempt`); those rows stay, granted or not, until they leave their window.
    """

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account: Mapped[str] = mapped_column(String(64))
    client: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_login_attempts_account_at", "account", "at"),
        Index("ix_login_attempts_client_at", "client", "at"),
    )
