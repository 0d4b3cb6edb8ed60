"""The counter console for staff (/counter): find a person, assisted binding with the region's checklist,
the paper attestation for a one-off payment, refunds, the day report.

Staff act only for people insured in their region (``OUTSIDE_YOUR_REGION`` otherwise) and only on settlements
of their region, through the same services as the API, recorded with the staff member as actor and the
channel ``counter`` (N-8), or ``hospital_office`` for a paper attestation taken at a hospital (SZ-5).

Pages that change money carry a one-time key in the form (hidden field ``key``): sending the same form twice
refunds or settles once, as an ``Idempotency-Key`` does for the API; the key is kept apart per staff member
like the API keeps a staff member's keys apart from the institutions' own.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse

from gongji.api.calls import staff_key
from gongji.auth import service as auth
from gongji.auth import throttle
from gongji.auth.service import Principal
from gongji.authorizations import rules as binding_rules
from gongji.authorizations import service as authorizations
from gongji.errors import GongjiError
from gongji.events.service import record as record_event
from gongji.inputs import check_date, check_text
from gongji.institutions import service as institutions
from gongji.institutions.models import Institution
from gongji.money import yuan_to_fen
from gongji.people import service as people
from gongji.people.ids import mask, region_name
from gongji.people.models import Person
from gongji.policy.settings import AidModel, PayerOrder, ProofPolicy
from gongji.records import service as records
from gongji.settlement import service as settlements
from gongji.terms import (
    Channel,
    DocumentKind,
    EndReason,
    Fund,
    InstitutionKind,
    Relationship,
    Scheme,
    Status,
    Use,
)
from gongji.web import reports
from gongji.web.pages import Page, page, safe_next

try:
    from gongji.api import metrics
except ImportError:  # pragma: no cover - metrics are optional
    metrics = None

router = APIRouter(prefix="/counter", include_in_schema=False)

P = Annotated[Page, Depends(page)]

#: How many rows of each record the person's page shows.
RECENT = 10

_ENUMS: dict[str, Any] = {
    "relationship": Relationship, "channel": Channel, "use": Use, "fund": Fund, "status": Status, "scheme": Scheme,
    "end_reason": EndReason, "document": DocumentKind, "institution_kind": InstitutionKind,
}
_WORDS: dict[str, dict[str, tuple[str, str]]] = {
    "state": {"pending": ("待生效", "not started yet"), "active": ("生效中", "active"),
              "ended": ("已解除", "ended"), "expired": ("已到期", "expired")},
    "settlement_status": {"settled": ("已结算", "settled"), "partially_refunded": ("部分退费", "partly refunded"),
                          "refunded": ("已全部退费", "fully refunded")},
    "relationship": {"householder": ("户主", "householder")},
}


def _safe_next(value: str | None) -> str:
    return safe_next(value, "/counter")


def _label(p: Page) -> Callable[[str, Any], str]:
    """``label(kind, value)`` for templates: the Chinese or English word of a stored value."""

    def label(kind: str, value: Any) -> str:
        if value is None:
            return ""
        words = _WORDS.get(kind, {}).get(str(value))
        if words:
            return p.t(*words)
        try:
            member = _ENUMS[kind](value)
        except (KeyError, ValueError):
            return str(value)
        return p.t(member.zh, member.en)

    return label


def _render(p: Page, template: str, *, status_code: int = 200, **context: Any) -> HTMLResponse:
    return p.render(template, status_code=status_code, label=_label(p), **context)


def _errors(p: Page, error: GongjiError, fields: set[str]) -> dict[str, str]:
    """The error next to its field when the form has that field, else above the form."""
    shown = p.field_errors(error)
    return {(name if name in fields else ""): message for name, message in shown.items()}


def _naming(error: GongjiError, field: str) -> GongjiError:
    """The same refusal, saying which field of the form it is about (two ID numbers on one form)."""
    return GongjiError(error.code, **{**error.params, "field": field})


def _outside(staff: Principal, name: str) -> GongjiError:
    return GongjiError("OUTSIDE_YOUR_REGION", name=name, region=staff.region_prefix or "-")


def _require_person(staff: Principal, person: Person) -> None:
    """Staff act only for people insured in their region (as the API's ``Call.require_region``)."""
    if not staff.covers(people.enrollment_of(person).region_code):
        raise _outside(staff, person.name)


def _form_key(form: dict[str, str]) -> str:
    key = form.get("key", "")
    return key if 8 <= len(key) <= 64 and key.isascii() and key.isprintable() and key.strip() == key else (
        secrets.token_urlsafe(16))


def _yuan(value: str | None, *, field: str) -> int:
    """A positive amount typed in yuan (``12.50``) as fen."""
    refusal = GongjiError("INVALID_FIELD", field=field, reason_zh="请填写以元为单位的金额，最多两位小数，例如 12.50",
                          reason_en="give an amount in yuan with at most two decimals, e.g. 12.50")
    try:
        fen = yuan_to_fen((value or "").strip(), field=field)
    except GongjiError:
        raise refusal from None
    if fen <= 0:
        raise refusal
    return fen


def _phone(value: str | None) -> str | None:
    return value[:3] + "****" + value[-4:] if value and len(value) >= 11 else (value and "****")


def _person_row(person: Person) -> dict[str, Any]:
    """What staff see of a person: the ID number masked, the card number and birth date shown (N-8)."""
    e = person.enrollment
    return {
        "person_id": person.id, "name": person.name, "id_number": mask(person.id_number), "sex": person.sex,
        "birth_date": person.birth_date, "phone": _phone(person.phone),
        "scheme": e.scheme if e else None, "region_code": e.region_code if e else None,
        "region_name": (region_name(e.region_code) or e.region_code) if e else "", "status": e.status if e else None,
        "status_since": e.status_since if e else None, "enrolled_on": e.enrolled_on if e else None,
        "card_no": e.card_no if e else None, "retired": e.retired if e else None,
    }


# -- login ----------------------------------------------------------------------------------------

@router.get("/login", response_class=HTMLResponse)
async def login_form(p: P, next: str | None = None) -> HTMLResponse:
    return p.render("counter/login.html", next=_safe_next(next))


@router.post("/login", response_class=HTMLResponse)
async def login(p: P) -> HTMLResponse:
    form = await p.form()
    minutes = p.settings.staff_session_minutes
    try:
        login_ = await run_in_threadpool(
            throttle.guarded_login, p.db, p.env, throttle.Limits.of(p.settings), kind=throttle.STAFF,
            identifier=form.get("staff_id", ""), client=throttle.client_of(p.request),
            login=lambda s: auth.login_staff(s, p.env, staff_id=form.get("staff_id", ""),
                                             password=form.get("password", ""), minutes=minutes))
    except GongjiError as error:
        return p.render("counter/login.html", status_code=429 if error.status == 429 else 400,
                        errors=p.field_errors(error),
                        values={"staff_id": form.get("staff_id", "")}, next=_safe_next(form.get("next")))
    response = p.redirect(_safe_next(form.get("next")))
    p.start_session(response, login_)
    return response


@router.post("/logout")
async def logout(p: P) -> RedirectResponse:
    return await p.log_out("/counter/login")


@router.get("/logout")
async def logout_page(p: P) -> RedirectResponse:
    """Where a stale logout form lands (CSRF refused): back to the start."""
    return p.redirect("/counter")


# -- find a person --------------------------------------------------------------------------------

SEARCH_FIELDS = {"id_number", "card_no", "name", "birth_date"}


@router.get("", response_class=HTMLResponse)
async def find(p: P, id_number: str | None = None, card_no: str | None = None, name: str | None = None,
               birth_date: str | None = None) -> HTMLResponse:
    """查找参保人: by ID number, by card number, or by name and birth date (the ways of POST /v1/people/search).

    An ID number or a card number of someone insured elsewhere is refused (OUTSIDE_YOUR_REGION); a search by
    name lists only the people of the staff member's region.
    """
    staff = p.staff()
    given = {"id_number": id_number, "card_no": card_no, "name": name, "birth_date": birth_date}
    values = {k: v.strip() for k, v in given.items() if v is not None and v.strip()}
    if not values:
        return _render(p, "counter/find.html", nav="find", results=None)

    def work(s) -> list[dict[str, Any]]:
        if "id_number" in values:
            found = people.search(s, id_number=values["id_number"])
        elif "card_no" in values:
            found = people.search(s, card_no=people.check_card_no(values["card_no"]))
        else:
            for field in ("name", "birth_date"):
                if field not in values:
                    raise GongjiError("INVALID_FIELD", field=field, reason_zh="按姓名查找须同时填写姓名和出生日期",
                                      reason_en="a search by name needs both the name and the birth date")
            found = people.search(s, name=people.check_name(values["name"]),
                                  birth_date=check_date(values["birth_date"], field="birth_date"))
            found = [person for person in found if staff.covers(people.enrollment_of(person).region_code)]
        for person in found:
            _require_person(staff, person)
        return [_person_row(person) for person in found]

    try:
        results = await p.read(work)
    except GongjiError as error:
        return _render(p, "counter/find.html", status_code=403 if error.status == 403 else 400, nav="find",
                       results=None, values=values, errors=_errors(p, error, SEARCH_FIELDS))
    return _render(p, "counter/find.html", nav="find", results=results, values=values)


# -- a person's page ------------------------------------------------------------------------------

def _person_facts(p: Page, staff: Principal, person_id: int):
    today = p.env.today()

    def work(s) -> dict[str, Any]:
        person = people.get(s, person_id)
        _require_person(staff, person)
        enrollment = people.enrollment_of(person)
        policy = p.env.policy(enrollment.region_code)
        bindings = records.authorization_records(s, person_id=person.id, today=today, limit=50).items
        rebind: dict[int, date] = {}
        for b in bindings:
            if b.ended_on is not None and b.end_reason != EndReason.EXPIRED.value:
                region = authorizations.get(s, b.binding_id).region_code
                again = binding_rules.rebind_possible_from(b.ended_on, p.env.policy(region))
                if again is not None:
                    rebind[b.binding_id] = again
        family = None
        family_id = authorizations.family_of(s, person.id)
        if family_id is not None:
            row = authorizations.get_family(s, family_id)
            holder = people.get(s, row.householder_id)
            members = [{"relationship": "householder", **_person_row(holder)}]
            for member in authorizations.family_members(s, row.id):
                members.append({"relationship": member.relationship, **_person_row(people.get(s, member.person_id))})
            family = {"family_id": row.id, "name": row.name, "members": members}
        return {
            "person": _person_row(person),
            "balances": people.balances(s, person.id),
            "policy": policy,
            "can_bind": enrollment.scheme == Scheme.EMPLOYEE.value and policy.aid_model is AidModel.BINDING,
            "bindings": bindings,
            "rebind": rebind,
            "family": family,
            "consumption": records.consumption_as_patient(s, person_id=person.id, limit=RECENT).items,
            "paid_by_me": records.payments_as_payer(s, person_id=person.id, limit=RECENT).items,
            "paid_for_me": records.paid_for_me(s, person_id=person.id, limit=RECENT).items,
        }

    return work


async def _person_page(p: P, person_id: int, *, errors: dict[str, str] | None = None,
                       status_code: int = 200) -> HTMLResponse:
    staff = p.staff()
    try:
        facts = await p.read(_person_facts(p, staff, person_id))
    except GongjiError as error:
        return _render(p, "counter/find.html", status_code=error.status if error.status in (403, 404) else 400,
                       nav="find", results=None, errors={"": p.message(error)})
    return _render(p, "counter/person.html", status_code=status_code, nav="find", errors=errors or {}, **facts)


@router.get("/people/{person_id}", response_class=HTMLResponse)
async def person_page(p: P, person_id: int) -> HTMLResponse:
    """参保人: enrollment, balances, bindings both ways with unbinding (HLJ-8), family (HN-1), payments (N-9)."""
    return await _person_page(p, person_id)


# -- assisted binding (N-8, HLJ-9, SZ-4) ------------------------------------------------------------

BIND_FIELDS = {"id_number", "name", "phone", "relationship", "start_on", "end_on", "priority", "agreement",
               "documents"}


def _bind_context(p: Page, staff: Principal, person_id: int):
    def work(s) -> dict[str, Any]:
        payer = people.get(s, person_id)
        _require_person(staff, payer)
        policy = p.env.policy(people.enrollment_of(payer).region_code)
        return {
            "person": _person_row(payer), "policy": policy,
            "binding_offered": policy.aid_model is AidModel.BINDING,
            "asks_priority": policy.payer_order is PayerOrder.PRIORITY,
            "proof_asked": policy.proof_documents is not ProofPolicy.NONE,
            "relationships": [(r.value, p.t(r.zh, r.en)) for r in policy.allowed_relationships],
            "documents": [(d.value, p.t(d.zh, d.en)) for d in policy.counter_documents],
        }

    return work


async def _bind_page(p: P, person_id: int, *, values: dict[str, str], errors: dict[str, str] | None = None,
                     status_code: int = 200) -> HTMLResponse:
    staff = p.staff()
    try:
        context = await p.read(_bind_context(p, staff, person_id))
    except GongjiError as error:
        return _render(p, "counter/find.html", status_code=error.status if error.status in (403, 404) else 400,
                       nav="find", results=None, errors={"": p.message(error)})
    return _render(p, "counter/bind.html", status_code=status_code, nav="find", values=values,
                   errors=errors or {}, **context)


@router.get("/people/{person_id}/bind", response_class=HTMLResponse)
async def bind_form(p: P, person_id: int) -> HTMLResponse:
    return await _bind_page(p, person_id, values={"start_on": p.env.today().isoformat()})


def _priority(value: str | None) -> int | None:
    if not value or not value.strip():
        return None
    text = value.strip()
    if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= 99:
        raise GongjiError("INVALID_FIELD", field="priority", reason_zh="支付顺序为1至99的整数，1最先支付",
                          reason_en="the payer order is a whole number from 1 to 99; 1 pays first")
    return int(text)


@router.post("/people/{person_id}/bind", response_class=HTMLResponse)
async def bind(p: P, person_id: int) -> HTMLResponse:
    """The payer at the counter binds a relative; staff tick every document of the region's checklist (N-8,
    HLJ-9, SZ-4). The binding records the staff member as actor, the channel ``counter``, the payer's acceptance
    of the agreement (N-7) and the documents checked, each with the staff member who checked it."""
    form = await p.form()
    staff = p.staff()
    values = {k: v for k, v in form.items() if k not in ("csrf",)}

    def work(s) -> int:
        payer = people.get(s, person_id)
        _require_person(staff, payer)
        policy = p.env.policy(people.enrollment_of(payer).region_code)
        beneficiary = people.find(s, form.get("id_number", "").strip())
        # HLJ-7: the name given must be the one registered with the ID number.
        if people.check_name(form.get("name")) != beneficiary.name:
            raise GongjiError("INVALID_FIELD", field="name",
                              reason_zh="与该身份证号码登记的姓名不一致，请核对亲属的身份证",
                              reason_en="it is not the name registered with that ID number; check the relative's ID card")
        people.check_phone(form.get("phone", "").strip())
        checked = [{"kind": kind.value} for kind in policy.counter_documents if form.get(f"doc_{kind.value}")]
        binding = authorizations.bind(
            s, p.env, payer_id_number=payer.id_number, beneficiary_id_number=beneficiary.id_number,
            relationship=form.get("relationship", ""), actor=staff.actor(Channel.COUNTER),
            agreement_version=policy.agreement_version if form.get("agreement") == "yes" else None,
            start_on=form.get("start_on", "").strip() or None, end_on=form.get("end_on", "").strip() or None,
            priority=_priority(form.get("priority")), documents=checked)
        return binding.id

    try:
        await p.write(work)
    except GongjiError as error:
        return await _bind_page(p, person_id, values=values, errors=_errors(p, error, BIND_FIELDS),
                                status_code=403 if error.status == 403 else 400)
    return p.redirect(f"/counter/people/{person_id}", flash="bound")


@router.post("/bindings/{binding_id}/unbind", response_class=HTMLResponse)
async def unbind(p: P, binding_id: int) -> HTMLResponse:
    """End a binding for the payer or the beneficiary at the counter (HLJ-8, SZ-4): reason ``by_staff``."""
    form = await p.form()
    staff = p.staff()
    back = form.get("person_id", "")

    def work(s) -> int:
        binding = authorizations.get(s, binding_id)
        if not staff.covers(binding.region_code):
            raise _outside(staff, people.get(s, binding.payer_id).name)
        authorizations.unbind(s, p.env, binding_id=binding.id, actor=staff.actor(Channel.COUNTER),
                              note=check_text(form.get("note") or None, field="note", max_length=200))
        parties = (binding.payer_id, binding.beneficiary_id)
        return int(back) if back.isdigit() and int(back) in parties else binding.payer_id

    try:
        person_id = await p.write(work)
    except GongjiError as error:
        if back.isdigit():
            return await _person_page(p, int(back), errors={"": p.message(error)},
                                      status_code=403 if error.status == 403 else 400)
        return _render(p, "counter/find.html", status_code=400, nav="find", results=None,
                       errors={"": p.message(error)})
    return p.redirect(f"/counter/people/{person_id}", flash="unbound")


@router.get("/bindings/{binding_id}/unbind")
async def unbind_page(p: P, binding_id: int) -> RedirectResponse:
    """Where a stale unbind form lands (CSRF refused): the payer's page, the notice kept for it."""
    p.staff()
    try:
        payer_id = await p.read(lambda s: authorizations.get(s, binding_id).payer_id)
    except GongjiError:
        return RedirectResponse("/counter", status_code=303)
    return RedirectResponse(f"/counter/people/{payer_id}", status_code=303)


# -- settlements: refunds and cancellation (HN-5) ----------------------------------------------------

def _settlement_for(s, staff: Principal, settlement_id: int) -> tuple[Any, Institution]:
    """The settlement if it is of the staff member's region (its patient's or its institution's)."""
    settlement = settlements.get(s, settlement_id)
    institution = s.get(Institution, settlement.institution_id)
    if not (staff.covers(settlement.region_code) or staff.covers(institution.region_code)):
        raise GongjiError("FORBIDDEN", action_zh="查看或办理其他地区的结算",
                          action_en="see or act on settlements of another region")
    return settlement, institution


def _settlement_facts(p: Page, staff: Principal, settlement_id: int):
    def work(s) -> dict[str, Any]:
        settlement, institution = _settlement_for(s, staff, settlement_id)
        patient = people.get(s, settlement.patient_id)
        parts = []
        for part in settlement.parts:
            payer = patient if part.payer_id == patient.id else people.get(s, part.payer_id)
            parts.append({"payer": _person_row(payer), "is_own": part.payer_id == patient.id, "fund": part.fund,
                          "amount_fen": part.amount_fen, "refunded_fen": part.refunded_fen,
                          "binding_id": part.binding_id})
        attested = None
        if settlement.attested_payer_id is not None:
            attested = {"payer": _person_row(people.get(s, settlement.attested_payer_id)),
                        "relationship": settlement.attestation_relationship,
                        "phone": _phone(settlement.attestation_phone)}
        return {
            "settlement": settlement, "institution": institution, "patient": _person_row(patient),
            "patient_covered": staff.covers(settlement.region_code), "parts": parts, "attested": attested,
            "refundable_fen": settlement.amount_fen - settlement.refunded_fen,
            "refunds": reports.settlement_refunds(s, settlement_id=settlement.id),
        }

    return work


async def _settlement_page(p: P, settlement_id: int, *, values: dict[str, str] | None = None,
                           errors: dict[str, str] | None = None, status_code: int = 200) -> HTMLResponse:
    staff = p.staff()
    try:
        facts = await p.read(_settlement_facts(p, staff, settlement_id))
    except GongjiError as error:
        return _render(p, "counter/settlements.html", status_code=error.status if error.status in (403, 404) else 400,
                       nav="settlements", errors={"": p.message(error)}, values={"settlement_id": str(settlement_id)})
    return _render(p, "counter/settlement.html", status_code=status_code, nav="settlements", values=values or {},
                   errors=errors or {}, key=secrets.token_urlsafe(16), **facts)


@router.get("/settlements", response_class=HTMLResponse)
async def settlement_lookup(p: P, settlement_id: str | None = None) -> HTMLResponse:
    p.staff()
    if settlement_id is None or not settlement_id.strip():
        return _render(p, "counter/settlements.html", nav="settlements")
    number = settlement_id.strip()
    if not number.isascii() or not number.isdigit() or not 1 <= int(number) < 2**63:
        error = GongjiError("INVALID_FIELD", field="settlement_id", reason_zh="结算编号为数字",
                            reason_en="a settlement number is a number")
        return _render(p, "counter/settlements.html", status_code=400, nav="settlements",
                       values={"settlement_id": number}, errors=_errors(p, error, {"settlement_id"}))
    return p.redirect(f"/counter/settlements/{int(number)}")


@router.get("/settlements/{settlement_id}", response_class=HTMLResponse)
async def settlement_page(p: P, settlement_id: int) -> HTMLResponse:
    """结算: who paid what, refunds so far and where each went back (HN-5), the refund and cancel forms."""
    return await _settlement_page(p, settlement_id)


async def _give_back(p: P, settlement_id: int, *, cancel: bool) -> HTMLResponse:
    form = await p.form()
    staff = p.staff()
    values = {k: v for k, v in form.items() if k in ("amount", "reason")}
    done: list[settlements.RefundResult] = []

    def work(s) -> settlements.RefundResult:
        settlement, institution = _settlement_for(s, staff, settlement_id)
        common = dict(institution_code=institution.code, settlement_id=settlement.id,
                      idempotency_key=staff_key(staff.id, _form_key(form)),
                      reason=check_text(form.get("reason", "").strip() or None, field="reason", max_length=200),
                      actor=staff.actor(Channel.COUNTER))
        if cancel:
            return settlements.cancel(s, p.env, **common)
        return settlements.refund(s, p.env, amount_fen=_yuan(form.get("amount"), field="amount"), **common)

    try:
        done.append(await p.write(work))
    except GongjiError as error:
        return await _settlement_page(p, settlement_id, values=values, errors=_errors(p, error, set() if cancel else {"amount", "reason"}),
                                      status_code=403 if error.status == 403 else 400)
    if metrics is not None:
        metrics.record_refund(done[0])
    return p.redirect(f"/counter/settlements/{settlement_id}", flash="cancelled" if cancel else "refunded")


@router.post("/settlements/{settlement_id}/refund", response_class=HTMLResponse)
async def refund(p: P, settlement_id: int) -> HTMLResponse:
    """退费: part of a settlement (amount in yuan) back to where it came from, cash first and the patient's own
    account last, also when the binding has ended since (HN-5)."""
    return await _give_back(p, settlement_id, cancel=False)


@router.post("/settlements/{settlement_id}/cancel", response_class=HTMLResponse)
async def cancel(p: P, settlement_id: int) -> HTMLResponse:
    """撤销结算: everything not yet refunded goes back (HN-5, NI-5)."""
    return await _give_back(p, settlement_id, cancel=True)


@router.get("/settlements/{settlement_id}/refund")
@router.get("/settlements/{settlement_id}/cancel")
async def settlement_action_page(p: P, settlement_id: int) -> RedirectResponse:
    """Where a stale refund or cancel form lands (CSRF refused): the settlement's page, the notice kept."""
    p.staff()
    return RedirectResponse(f"/counter/settlements/{settlement_id}", status_code=303)


# -- the paper attestation for a one-off payment (SZ-5) ----------------------------------------------

ATTESTATION_FIELDS = {"institution_code", "patient_id_number", "payer_id_number", "relationship", "phone",
                      "amount", "use", "signed"}


def _attestation_context(p: Page, staff: Principal):
    def work(s) -> dict[str, Any]:
        rows, _ = institutions.list_institutions(s, region_prefix=staff.region_prefix, active=True, limit=200)
        prefix = staff.region_prefix
        offered = sorted({p.t(pol.name, pol.name_en) for pol in p.env.policies if pol.paper_attestation and any(
            a == "*" or a.startswith(prefix) or prefix.startswith(a) for a in pol.applies_to)})
        return {
            "institutions": [(i.code, f"{i.name}（{i.code}）") for i in rows],
            "relationships": [(r.value, p.t(r.zh, r.en)) for r in Relationship],
            "uses": [(u.value, p.t(u.zh, u.en)) for u in Use if u is not Use.RESIDENT_CONTRIBUTION],
            "offered": offered,
        }

    return work


async def _attestation_page(p: P, *, values: dict[str, str], errors: dict[str, str] | None = None,
                            status_code: int = 200) -> HTMLResponse:
    staff = p.staff()
    context = await p.read(_attestation_context(p, staff))
    return _render(p, "counter/attestation.html", status_code=status_code, nav="attestation", values=values,
                   errors=errors or {}, key=secrets.token_urlsafe(16), **context)


@router.get("/attestation", response_class=HTMLResponse)
async def attestation_form(p: P) -> HTMLResponse:
    return await _attestation_page(p, values={"use": Use.OUTPATIENT.value})


@router.post("/attestation", response_class=HTMLResponse)
async def attest(p: P) -> HTMLResponse:
    """书面承诺一次性记账 (SZ-5): before a binding exists, a relative attests on the prescription (card numbers,
    relationship, phone, signature) and his account pays this one bill. Staff of the hospital's insurance
    office record it for the hospital chosen; the settlement is the hospital's, as if its system had sent it
    with the attestation (POST /v1/settlements), and an event records the staff member (channel
    ``hospital_office``)."""
    form = await p.form()
    staff = p.staff()
    values = {k: v for k, v in form.items() if k in ATTESTATION_FIELDS}
    done: list[settlements.SettlementResult] = []

    def work(s) -> int:
        code = form.get("institution_code", "")
        try:
            institution = institutions.find(s, code)
        except GongjiError as error:
            raise _naming(error, "institution_code") from None
        if not staff.covers(institution.region_code):
            raise GongjiError("INVALID_FIELD", field="institution_code", reason_zh="只能选择本辖区的定点医药机构",
                              reason_en="choose a designated institution of your region")
        try:
            patient = people.find(s, form.get("patient_id_number", "").strip())
        except GongjiError as error:
            raise _naming(error, "patient_id_number") from None
        _require_person(staff, patient)
        try:
            payer = people.find(s, form.get("payer_id_number", "").strip())
        except GongjiError as error:
            raise _naming(error, "payer_id_number") from None
        attestation = settlements.Attestation(
            payer_id_number=payer.id_number, relationship=form.get("relationship", ""),
            phone=form.get("phone", "").strip(), signed=form.get("signed") == "yes")
        amount = _yuan(form.get("amount"), field="amount")
        result = settlements.settle(
            s, p.env, institution_code=institution.code, patient_id_number=patient.id_number, amount_fen=amount,
            use=form.get("use", ""), idempotency_key=staff_key(staff.id, _form_key(form)), attestation=attestation)
        if not result.replayed:
            record_event(s, p.env, kind=reports.ATTESTED, actor=staff.actor(Channel.HOSPITAL_OFFICE),
                         subject_type="settlement", subject_id=result.settlement_id, concerns=[patient.id, payer.id],
                         data={"institution_code": institution.code, "payer_id": payer.id,
                               "relationship": attestation.relationship, "amount_fen": amount})
        done.append(result)
        return result.settlement_id

    try:
        settlement_id = await p.write(work)
    except GongjiError as error:
        return await _attestation_page(p, values=values, errors=_errors(p, error, ATTESTATION_FIELDS),
                                       status_code=403 if error.status == 403 else 400)
    if metrics is not None and done:
        metrics.record_settlement(done[-1])
    return p.redirect(f"/counter/settlements/{settlement_id}", flash="attested")


# -- the day report ---------------------------------------------------------------------------------

@router.get("/report", response_class=HTMLResponse)
async def report(p: P, day: str | None = None) -> HTMLResponse:
    """日报: bindings made and ended, settlements and refunds of one day in the staff member's region, by
    channel (N-8)."""
    staff = p.staff()
    try:
        chosen = check_date(day.strip(), field="day") if day and day.strip() else p.env.today()
    except GongjiError as error:
        return _render(p, "counter/report.html", status_code=400, nav="report", report=None,
                       values={"day": day or ""}, errors=_errors(p, error, {"day"}))
    result = await p.read(lambda s: reports.day_report(s, day=chosen, region_prefix=staff.region_prefix))
    return _render(p, "counter/report.html", nav="report", report=result, values={"day": chosen.isoformat()},
                   region=staff.region_prefix)

