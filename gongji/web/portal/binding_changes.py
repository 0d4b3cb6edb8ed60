"""One binding, and what its two sides change on it without ending it (PP-1, WL-1, D-3, N-7): the payer's monthly
limit, the payer order, a pause and its resumption, a corrected relationship with the agreement accepted again.

The payer sees his limit and what his account paid for the relative this month; the relative sees only that a limit
exists, never his payer's balance or figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from gongji.authorizations import changes
from gongji.authorizations import rules as binding_rules
from gongji.authorizations import service as authorizations
from gongji.authorizations.models import Binding
from gongji.env import Env
from gongji.errors import GongjiError
from gongji.money import yuan_to_fen
from gongji.people import service as people
from gongji.people.ids import mask
from gongji.settlement import service as settlement
from gongji.terms import Channel, Relationship
from gongji.web.pages import FLASHES, Page
from gongji.web.portal.bindings import agreement_points
from gongji.web.portal.common import Me, P, attempt, load_me, router, show

FLASHES.update({
    "limit_set": ("每月限额已保存。", "The monthly limit is saved."),
    "priority_set": ("支付顺序已保存。", "The payer order is saved."),
    "paused": ("已暂停，恢复前不再支付。", "Paused: it pays nothing until resumed."),
    "resumed": ("已恢复支付。", "Resumed: it pays again."),
    "relationship_corrected": ("关系已更正。", "The relationship is corrected."),
})

FIELDS = ("monthly_limit", "priority", "relationship", "agreement")


@dataclass(frozen=True)
class BindingFacts:
    """One binding as a page shows it to ``role`` (``payer``, ``beneficiary`` or ``staff``)."""

    binding: Binding
    role: str
    payer_name: str
    payer_id_number: str
    beneficiary_name: str
    beneficiary_id_number: str
    state: str
    is_open: bool
    paid_this_month_fen: int | None  # the payer and staff only (PP-1)

    @property
    def other_name(self) -> str:
        return self.beneficiary_name if self.role == "payer" else self.payer_name

    @property
    def other_id_number(self) -> str:
        return self.beneficiary_id_number if self.role == "payer" else self.payer_id_number

    @property
    def limit_fen(self) -> int | None:
        """The amount of the limit: shown to the payer and staff only (PP-1)."""
        return None if self.role == "beneficiary" else self.binding.monthly_limit_fen


def binding_facts(s: Session, env: Env, binding: Binding, role: str) -> BindingFacts:
    today = env.today()
    payer, beneficiary = people.get(s, binding.payer_id), people.get(s, binding.beneficiary_id)
    paid = None
    if role != "beneficiary":
        paid = settlement.paid_this_month(s, patient_id=beneficiary.id, payer_ids=[payer.id],
                                          today=today).get(payer.id, 0)
    return BindingFacts(
        binding=binding, role=role, payer_name=payer.name,
        payer_id_number=payer.id_number if role == "payer" else mask(payer.id_number),
        beneficiary_name=beneficiary.name,
        beneficiary_id_number=beneficiary.id_number if role == "beneficiary" else mask(beneficiary.id_number),
        state=binding_rules.state(start_on=binding.start_on, end_on=binding.end_on, ended_on=binding.ended_on,
                                  end_reason=binding.end_reason, today=today),
        is_open=binding_rules.is_open(end_on=binding.end_on, ended_on=binding.ended_on, today=today),
        paid_this_month_fen=paid)


def _mine(s: Session, person_id: int, binding_id: int) -> tuple[Binding, str]:
    binding = authorizations.get(s, binding_id)
    if person_id == binding.payer_id:
        return binding, "payer"
    if person_id == binding.beneficiary_id:
        return binding, "beneficiary"
    raise GongjiError("BINDING_NOT_FOUND", binding_id=str(binding_id)[:20])  # someone else's: as if not there


def relationship_options(p: Page, policy) -> list[tuple[str, str]]:
    return [(r.value, p.t(r.zh, r.en)) for r in policy.allowed_relationships]


async def _page(p: Page, binding_id: int, *, errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
                status_code: int = 200) -> HTMLResponse:
    who = p.person()

    def facts(s: Session) -> dict[str, Any]:
        binding, role = _mine(s, who.person_id, binding_id)
        return {"me": load_me(s, p.env, who.person_id), "b": binding_facts(s, p.env, binding, role)}

    data = await p.read_stale(facts)
    me: Me = data.pop("me")
    b: BindingFacts = data["b"]
    policy = p.env.policy(b.binding.region_code)
    shown = {"monthly_limit": f"{b.limit_fen / 100:.2f}" if b.limit_fen is not None else "",
             "priority": str(b.binding.priority or ""), "relationship": b.binding.relationship, **(values or {})}
    return show(p, me, "portal/binding.html", nav="records", status_code=status_code, errors=errors or {},
                values=shown, relationships=relationship_options(p, policy),
                agreement_points=agreement_points(p, policy), policy=policy, **data)


@router.get("/bindings/{binding_id}", response_class=HTMLResponse)
async def binding_page(binding_id: int, p: P) -> HTMLResponse:
    """一个绑定: its state, and the changes its side may make (PP-1, WL-1, D-3, N-7)."""
    return await _page(p, binding_id)


async def _change(p: Page, binding_id: int, change, flash: str, values: dict[str, str] | None = None) -> HTMLResponse:
    who = p.person()

    def work(s: Session) -> None:
        _mine(s, who.person_id, binding_id)
        change(s, who.actor(Channel.PORTAL))

    done = await attempt(p, p.write(work), FIELDS)
    if done.failed:
        return await _page(p, binding_id, errors=done.failed.errors, values=values, status_code=done.failed.status)
    return p.redirect(f"/portal/bindings/{binding_id}", flash=flash)


@router.post("/bindings/{binding_id}/limit", response_class=HTMLResponse)
async def set_limit(binding_id: int, p: P) -> HTMLResponse:
    """PP-1: the payer's monthly limit in yuan; left empty, no limit."""
    form = await p.form()
    typed = form.get("monthly_limit", "").strip()
    if form.get("clear") == "yes":
        typed = ""

    def change(s: Session, actor) -> None:
        fen = yuan_to_fen(typed, field="monthly_limit") if typed else None
        changes.set_monthly_limit(s, p.env, binding_id=binding_id, monthly_limit_fen=fen, actor=actor)

    return await _change(p, binding_id, change, "limit_set", {"monthly_limit": typed})


@router.post("/bindings/{binding_id}/priority", response_class=HTMLResponse)
async def set_priority(binding_id: int, p: P) -> HTMLResponse:
    """WL-1: this payer's place in the order; left empty, none (D-2)."""
    form = await p.form()
    typed = form.get("priority", "").strip()

    def change(s: Session, actor) -> None:
        if typed and not typed.isdigit():
            raise GongjiError("INVALID_FIELD", field="priority", reason_zh="支付顺序请填1至99的数字，1最先支付",
                              reason_en="the payer order is a number from 1 to 99; 1 pays first")
        changes.set_priority(s, p.env, binding_id=binding_id, priority=int(typed) if typed else None, actor=actor)

    return await _change(p, binding_id, change, "priority_set", {"priority": typed})


@router.post("/bindings/{binding_id}/pause", response_class=HTMLResponse)
async def pause(binding_id: int, p: P) -> HTMLResponse:
    """D-3: pause (it pays nothing) or, with ``resume=yes``, resume."""
    form = await p.form()
    resume = form.get("resume") == "yes"

    def change(s: Session, actor) -> None:
        (changes.resume if resume else changes.pause)(s, p.env, binding_id=binding_id, actor=actor)

    return await _change(p, binding_id, change, "resumed" if resume else "paused")


@router.post("/bindings/{binding_id}/relationship", response_class=HTMLResponse)
async def correct_relationship(binding_id: int, p: P) -> HTMLResponse:
    """N-7: the payer corrects the relationship and accepts the agreement again."""
    form = await p.form()
    chosen = form.get("relationship", "")
    accepted = form.get("agreement") == "yes"

    def change(s: Session, actor) -> None:
        binding = authorizations.get(s, binding_id)
        version = p.env.policy(binding.region_code).agreement_version if accepted else None
        if chosen not in {r.value for r in Relationship}:
            raise GongjiError("INVALID_FIELD", field="relationship", reason_zh="请选择正确的关系",
                              reason_en="choose the right relationship")
        changes.correct_relationship(s, p.env, binding_id=binding_id, relationship=chosen, agreement_version=version,
                                     actor=actor)

    return await _change(p, binding_id, change, "relationship_corrected",
                         {"relationship": chosen, "agreement": "yes" if accepted else ""})
