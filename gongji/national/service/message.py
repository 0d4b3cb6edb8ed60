"""One message of the national interface as its handlers see it, and what several transactions share."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gongji.db.dialect import for_update, xact_lock
from gongji.env import Env
from gongji.errors import GongjiError
from gongji.institutions.models import Institution
from gongji.ledger.models import Account
from gongji.national import codes
from gongji.national.models import NiMessage, NiVisit
from gongji.people import service as people
from gongji.people.models import Person
from gongji.settlement import service as settlement

#: At most this many fee lines in one message.
MAX_LINES = 1000


@dataclass
class Message:
    """What a handler gets: the session, the institution that sent the message, and its envelope."""

    session: Session
    env: Env
    institution: Institution
    header: dict[str, Any]
    now: datetime
    #: The server key, for what a message carries that Gongji itself issued (1101's e-voucher tokens).
    server_key: bytes = field(default=b"", repr=False)
    person_id: int | None = None
    visit_id: int | None = None
    settlement_id: int | None = None

    @property
    def msgid(self) -> str:
        return self.header["msgid"]

    @property
    def infno(self) -> str:
        return self.header["infno"]

    def person(self, psn_no: str) -> Person:
        """The person by ``psn_no``, insured where the envelope's ``insuplc_admdvs`` says (NI-1)."""
        found = None
        if psn_no.isdigit() and len(psn_no) <= 18:
            found = self.session.get(Person, int(psn_no))
        if found is None:
            raise GongjiError("NI_PERSON_NOT_FOUND", psn_no=psn_no)
        region = people.enrollment_of(found).region_code
        given = self.header.get("insuplc_admdvs")
        if given is None:
            raise GongjiError("NI_FIELD_REQUIRED", field="insuplc_admdvs", name_zh="参保地医保区划")
        if given != region:
            raise GongjiError("NI_WRONG_INSURED_REGION", given=given, actual=region)
        self.person_id = found.id
        return found

    def certificate(self, person: Person, cert_type: str, cert_no: str) -> settlement.Certificate:
        """N-4: the patient's own card or voucher (an e-voucher's token is recorded, not compared)."""
        cert = settlement.Certificate(type=codes.CERT_TYPES[cert_type], number=cert_no)
        settlement.check_certificate(person, cert)
        return cert

    def visit(self, mdtrt_id: str, person: Person, *, lock: bool = True) -> NiVisit:
        """This institution's visit ``mdtrt_id`` of ``person``; locked, so that one visit's messages queue."""
        visit = None
        if mdtrt_id.isdigit() and len(mdtrt_id) <= 18:
            query = select(NiVisit).where(NiVisit.id == int(mdtrt_id))
            if lock:
                query = for_update(self.session, query)
            visit = self.session.execute(query).scalar_one_or_none()
        if visit is None or visit.institution_id != self.institution.id or visit.person_id != person.id:
            raise GongjiError("NI_VISIT_NOT_FOUND", mdtrt_id=mdtrt_id, psn_no=psn_no_of(person))
        self.visit_id = visit.id
        return visit


def psn_no_of(person: Person) -> str:
    """人员编号: the person's number in Gongji (the id the HTTP API uses too)."""
    return str(person.id)


def check_insutype(person: Person, given: str) -> None:
    actual = codes.INSUTYPE[people.enrollment_of(person).scheme]
    if given != actual:
        zh, en = codes.INSUTYPE_NAMES[actual]
        raise GongjiError("NI_INSUTYPE_MISMATCH", given=given, actual=actual, actual_zh=zh, actual_en=en)


def own_balance(session: Session, person_id: int) -> int:
    """The patient's own balance as the database has it now (``balc``): both funds and his wallet, since what the
    wallet pays is counted in ``acct_pay`` like his own account's payments (docs/wallet.md)."""
    total = session.execute(select(func.coalesce(func.sum(Account.balance_fen), 0))
                            .where(Account.person_id == person_id)).scalar_one()
    return int(total)


def age(born: date, today: date) -> Decimal:
    years = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return Decimal(years).quantize(Decimal("0.1"))



def stored_message(session: Session, code: str, msgid: str, *, lock: bool) -> NiMessage | None:
    if lock:
        xact_lock(session, f"ni\x1f{code}\x1f{msgid}")
    return session.execute(select(NiMessage).where(NiMessage.institution_code == code, NiMessage.msgid == msgid)
                           ).scalar_one_or_none()
