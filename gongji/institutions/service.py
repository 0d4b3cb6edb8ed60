"""Designated hospitals and pharmacies (定点医药机构)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gongji.actors import Actor
from gongji.env import Env
from gongji.errors import GongjiError
from gongji.events.service import record as record_event
from gongji.institutions.models import Institution
from gongji.people.ids import check_region_code
from gongji.terms import InstitutionKind, parse_enum


def register(session: Session, env: Env, *, code: str, name: str, kind: str, region_code: str,
             actor: Actor) -> Institution:
    if not isinstance(code, str) or not (4 <= len(code) <= 30) or not code.isalnum() or not code.isascii():
        raise GongjiError("INVALID_FIELD", field="code", reason_zh="机构编码应为4至30位字母或数字",
                          reason_en="an institution code has 4 to 30 letters or digits")
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        raise GongjiError("INVALID_FIELD", field="name", reason_zh="请填写机构名称（最多100字）",
                          reason_en="give the institution's name (at most 100 characters)")
    kind_ = parse_enum(InstitutionKind, kind, field="kind")
    region_code = check_region_code(region_code)
    if session.execute(select(Institution.id).where(Institution.code == code)).first():
        raise GongjiError("INVALID_FIELD", field="code", reason_zh=f"机构编码 {code} 已存在",
                          reason_en=f"the institution code {code} is already registered")
    institution = Institution(code=code, name=name.strip(), kind=kind_.value, region_code=region_code, active=True,
                              created_at=env.now())
    session.add(institution)
    session.flush()
    record_event(session, env, kind="institution.registered", actor=actor, subject_type="institution",
                 subject_id=institution.id, concerns=[], data={"code": code, "kind": kind_.value})
    return institution


def find(session: Session, code: str) -> Institution:
    institution = session.execute(select(Institution).where(Institution.code == code)).scalar_one_or_none()
    if institution is None or not institution.active:
        raise GongjiError("INSTITUTION_NOT_FOUND", code=str(code)[:30])
    return institution


def get(session: Session, *, code: str) -> Institution:
    """The institution, also while suspended (for administration; :func:`find` is for doing business)."""
    institution = session.execute(select(Institution).where(Institution.code == code)).scalar_one_or_none()
    if institution is None:
        raise GongjiError("INSTITUTION_NOT_FOUND", code=str(code)[:30])
    return institution


def list_institutions(session: Session, *, region_prefix: str = "", active: bool | None = None, limit: int = 50,
                      offset: int = 0) -> tuple[list[Institution], int]:
    """Institutions whose region code starts with ``region_prefix``, by code; and how many there are in all."""
    where = [Institution.region_code.startswith(region_prefix, autoescape=True)]
    if active is not None:
        where.append(Institution.active == active)
    total = session.execute(select(func.count()).select_from(Institution).where(*where)).scalar_one()
    rows = session.execute(select(Institution).where(*where).order_by(Institution.code).limit(limit).offset(offset))
    return list(rows.scalars()), total


def set_active(session: Session, env: Env, *, code: str, active: bool, actor: Actor) -> Institution:
    """Suspend or reactivate an institution. While suspended it can neither sign requests nor settle."""
    institution = get(session, code=code)
    if institution.active != active:
        institution.active = active
        record_event(session, env, kind="institution.reactivated" if active else "institution.suspended",
                     actor=actor, subject_type="institution", subject_id=institution.id, concerns=[],
                     data={"code": institution.code})
        session.flush()
    return institution
