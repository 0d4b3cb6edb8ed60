"""1101: person information (NI-2)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gongji.errors import GongjiError
from gongji.national import codes, tables, wire
from gongji.national.service.message import Message, age, own_balance, psn_no_of
from gongji.people import service as people
from gongji.people.models import Enrollment, Person


def person_info(msg: Message, data: dict[str, Any]) -> dict[str, Any]:
    """NI-2: who presents this card or voucher, and his personal-account balance (``balc``)."""
    node = wire.read(data.get("data"), tables.PERSON_QUERY, node_name="data", node_zh="人员信息")
    session, cert_type, cert_no = msg.session, node["mdtrt_cert_type"], node["mdtrt_cert_no"]
    if node["psn_cert_type"] not in (None, codes.ID_CARD):
        raise GongjiError("NI_FIELD_INVALID", field="psn_cert_type", name_zh="人员证件类型", value=node["psn_cert_type"],
                          reason_zh="本服务的参保人员以居民身份证（01）登记", reason_en="people here are registered by resident ID card (01)")
    if cert_type == "02":
        person = people.find(session, cert_no)
    elif cert_type == "03":
        if node["card_sn"] is None:
            raise GongjiError("NI_FIELD_REQUIRED", field="card_sn", name_zh="卡识别码")
        person = _by_card(session, cert_no)
    else:  # 01: an e-voucher's token is resolved by the platform that issued it; the HIS sends the ID too
        if node["certno"] is None:
            raise GongjiError("NI_FIELD_REQUIRED", field="certno", name_zh="证件号码")
        person = people.find(session, node["certno"])
    if node["certno"] is not None and node["certno"].upper() != person.id_number:
        raise GongjiError("NI_FIELD_INVALID", field="certno", name_zh="证件号码", value=node["certno"],
                          reason_zh="与就诊凭证对应的人员不符", reason_en="it is not the person the certificate belongs to")
    if node["psn_name"] is not None and node["psn_name"] != person.name:
        raise GongjiError("NI_FIELD_INVALID", field="psn_name", name_zh="人员姓名", value=node["psn_name"],
                          reason_zh="与就诊凭证对应的人员姓名不符", reason_en="it is not the name of the certificate's holder")
    msg.person_id = person.id
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
    return {
        "baseinfo": {
            "psn_no": psn_no_of(person),
            "psn_cert_type": codes.ID_CARD,
            "certno": person.id_number,
            "psn_name": person.name,
            "gend": codes.GENDER[person.sex],
            "brdy": wire.date_text(person.birth_date),
            "age": age(person.birth_date, msg.env.today()),
        },
        "insuinfo": [insured],
        "idetinfo": [],
    }


def _by_card(session: Session, card_no: str) -> Person:
    person_id = session.execute(select(Enrollment.person_id).where(Enrollment.card_no == card_no.upper())
                                ).scalar_one_or_none()
    if person_id is None:
        raise GongjiError("NI_FIELD_INVALID", field="mdtrt_cert_no", name_zh="就诊凭证编号", value=card_no,
                          reason_zh="没有持此社会保障卡的参保人员", reason_en="no insured person holds this social security card")
    return session.get(Person, person_id)
