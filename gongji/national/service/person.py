"""1101: person information (NI-2), which must not let an institution list the population.

Whoever holds an institution's secret could otherwise read anyone's ID number, name, birth date, insured region
and balance by trying card numbers (they are sequential) or ID numbers. So:

* what is presented must be what a real read of the certificate gives: a social security card (03) with the card
  identification code (``card_sn``) on record for that card; an ID card (02) by its number, as real HIS clients
  send it with nothing else (kept working, and bounded by the next two points); an e-voucher (01) with the
  token the person's own phone shows (:mod:`gongji.national.evoucher`), valid for minutes;
* a certificate that does not match (an unknown card, number or ID, a ``card_sn``, ``certno`` or ``psn_name`` that
  is not the holder's) gets one answer, ``NI_PERSON_NOT_MATCHED``, that does not say which part was wrong; it is
  recorded as a refused access (``access.refused``, gongji/api/refusals.py);
* look-ups are counted per institution, granted or refused (:func:`count_lookup`, called by the endpoint before
  the message's own transaction): past ``ni_lookups_per_institution`` within ``ni_lookup_window_minutes`` the next
  are refused with ``NI_LOOKUPS_THROTTLED`` until the oldest leaves the window;
* every answered look-up is in the audit trail: a ``person.read`` event of the institution about the person, with
  the transaction and the kind of certificate (who read whom, when).
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gongji.actors import Actor
from gongji.auth import throttle
from gongji.contributions import service as contributions
from gongji.env import Env
from gongji.errors import GongjiError
from gongji.events.service import record as record_event
from gongji.national import codes, evoucher, tables, wire
from gongji.national.service.message import Message, age, own_balance, psn_no_of
from gongji.people import service as people
from gongji.people.models import Enrollment, Person

#: The transaction whose every message is counted by :func:`count_lookup`.
LOOKUP_INFNO = "1101"


def count_lookup(session: Session, env: Env, *, institution_code: str, limit: int, window_minutes: int) -> None:
    """Count one look-up of the institution; NI_LOOKUPS_THROTTLED past ``limit`` within the window (0: no limit).

    Run in a transaction of its own before the message's, so that a refused look-up counts too.
    """
    window = timedelta(minutes=window_minutes)
    until = throttle.count_attempt(session, env, account=throttle.account_key("lookup", institution_code),
                                   limit=limit, window=window)
    if until is not None:
        _, shown = throttle.retry_at(env.now(), until)
        raise GongjiError("NI_LOOKUPS_THROTTLED", limit=limit, window=window_minutes, retry_at=shown)


def _not_matched() -> GongjiError:
    return GongjiError("NI_PERSON_NOT_MATCHED")


def person_info(msg: Message, data: dict[str, Any]) -> dict[str, Any]:
    """NI-2: who presents this card or voucher, and his personal-account balance (``balc``)."""
    node = wire.read(data.get("data"), tables.PERSON_QUERY, node_name="data", node_zh="人员信息")
    session, cert_type, cert_no = msg.session, node["mdtrt_cert_type"], node["mdtrt_cert_no"]
    if node["psn_cert_type"] not in (None, codes.ID_CARD):
        raise GongjiError("NI_FIELD_INVALID", field="psn_cert_type", name_zh="人员证件类型", value=node["psn_cert_type"],
                          reason_zh="本服务的参保人员以居民身份证（01）登记", reason_en="people here are registered by resident ID card (01)")
    if cert_type == "02":
        person = _by_id_number(session, cert_no)
    elif cert_type == "03":
        if node["card_sn"] is None:
            raise GongjiError("NI_FIELD_REQUIRED", field="card_sn", name_zh="卡识别码")
        person = _by_card(session, cert_no, node["card_sn"])
    else:  # 01: the e-voucher's token, as the person's phone showed it (gongji/national/evoucher.py)
        person = _by_voucher(msg, cert_no)
    if node["certno"] is not None and node["certno"].upper() != person.id_number:
        raise _not_matched()
    if node["psn_name"] is not None and "".join(node["psn_name"].split()) != "".join(person.name.split()):
        raise _not_matched()
    msg.person_id = person.id
    record_event(session, msg.env, kind="person.read", actor=Actor.institution(msg.institution.code),
                 subject_type="person", subject_id=person.id, concerns=[person.id],
                 data={"infno": msg.infno, "msgid": msg.msgid, "mdtrt_cert_type": cert_type})
    enrollment = people.enrollment_of(person)
    insured = {
        "balc": wire.yuan(own_balance(session, person.id)),
        "insutype": codes.INSUTYPE[enrollment.scheme],
        "psn_type": codes.psn_type(enrollment.scheme, enrollment.retired),
        "psn_insu_stas": codes.INSU_STATUS[enrollment.status],
        "psn_insu_date": wire.date_text(enrollment.enrolled_on),
        "cvlserv_flag": "0",
        "insuplc_admdvs": enrollment.region_code,
    }
    if enrollment.status != "normal":
        insured["paus_insu_date"] = wire.date_text(enrollment.status_since)
    baseinfo = {
        "psn_no": psn_no_of(person),
        "psn_cert_type": codes.ID_CARD,
        "certno": person.id_number,
        "psn_name": person.name,
        "gend": codes.GENDER[person.sex],
        "brdy": wire.date_text(person.birth_date),
        "age": age(person.birth_date, msg.env.today()),
    }
    extension = _pooled_share_extension(session, msg.env, enrollment)
    if extension:
        baseinfo["exp_content"] = extension
    return {
        "baseinfo": baseinfo,
        "insuinfo": [insured],
        "idetinfo": [],
    }


def _pooled_share_extension(session: Session, env: Env, enrollment: Enrollment) -> str | None:
    """LC-4 in the field the standard leaves for extensions (``exp_content``, a JSON string): the last day of a
    waiting period (待遇等待期, ``trt_wait_end_date``) or of a reduced pooled-fund share (``pool_share_end_date``,
    with ``pool_share_prop`` as a ratio); None when neither applies."""
    share = contributions.pooled_share(session, env, enrollment)
    if share.reason == "waiting":
        return json.dumps({"trt_wait_end_date": wire.date_text(share.last_day)})
    if share.reason == "reduced":
        return json.dumps({"pool_share_end_date": wire.date_text(share.last_day),
                           "pool_share_prop": str(wire.ratio(share.permille))})
    return None


def _by_id_number(session: Session, id_number: str) -> Person:
    """The person of a well-formed ID number (INVALID_ID_NUMBER otherwise); one nobody has is not told apart."""
    try:
        return people.find(session, id_number)
    except GongjiError as error:
        if error.code != "PERSON_NOT_FOUND":
            raise
        raise _not_matched() from None


def _by_voucher(msg: Message, token: str) -> Person:
    """The person an unexpired e-voucher token was issued to; a made-up, altered or stale one is not told apart."""
    person_id = evoucher.holder(msg.server_key, token, msg.now)
    person = None if person_id is None else msg.session.get(Person, person_id)
    if person is None:
        raise _not_matched()
    return person


def _by_card(session: Session, card_no: str, card_sn: str) -> Person:
    """The holder of social security card ``card_no`` whose card identification code on record is ``card_sn``."""
    row = session.execute(select(Enrollment.person_id, Enrollment.card_sn).where(
        Enrollment.card_no == card_no.upper())).one_or_none()
    if row is None or row.card_sn is None or row.card_sn.upper() != card_sn.upper():
        raise _not_matched()
    return session.get(Person, row.person_id)
