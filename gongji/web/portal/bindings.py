"""Binding a relative (HLJ-6, HLJ-7, N-7, HN-3, WL-1), the authorization records, unbinding (HLJ-8, HLJ-2, D-4)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from gongji.authorizations import attempts as binding_attempts
from gongji.authorizations import rules as binding_rules
from gongji.authorizations import service as authorizations
from gongji.authorizations.models import Binding
from gongji.env import Env
from gongji.errors import GongjiError
from gongji.people import service as people
from gongji.people.ids import mask
from gongji.policy import ProofPolicy, RegionPolicy
from gongji.records import service as records
from gongji.terms import Channel, DocumentKind, EndReason
from gongji.web.pages import Page
from gongji.web.portal.common import (
    ROWS,
    Me,
    P,
    attempt,
    check_name,
    checks,
    load_me,
    relationship_choices,
    router,
    show,
)

BIND_FIELDS = ("name", "id_number", "phone", "relationship", "start_on", "end_on", "priority", "agreement",
               "proof", "proof_kind")
#: What a payer may upload as proof of the relationship (HN-3).
PROOF_KINDS = (DocumentKind.MARRIAGE_CERTIFICATE, DocumentKind.HOUSEHOLD_REGISTER, DocumentKind.BIRTH_CERTIFICATE,
               DocumentKind.COMMITMENT_LETTER, DocumentKind.OTHER)
#: Accepted proof files, by their first bytes: PDF, JPEG, PNG.
PROOF_TYPES = ((b"%PDF-", "pdf"), (b"\xff\xd8\xff", "jpg"), (b"\x89PNG\r\n\x1a\n", "png"))


def upload_dir() -> Path:
    """Where uploaded proof is kept: ``GONGJI_UPLOAD_DIR`` (default ``uploads``); a binding keeps the file's path."""
    return Path(os.environ.get("GONGJI_UPLOAD_DIR", "uploads"))


def _proof_limit(p: Page) -> int:
    """The largest proof file the form takes (10 MB unless ``GONGJI_MAX_UPLOAD_BYTES`` says otherwise): the body
    limit of this form leaves room for the other fields beside it (gongji.api.middleware.UPLOAD_PATHS)."""
    return max(1024, p.settings.max_upload_bytes)


def _limit_mb(limit: int) -> str:
    """A size limit in MB as people read it: 10, or 0.5."""
    return f"{limit / (1024 * 1024):.1f}".removesuffix(".0")


def agreement_points(p: Page, policy: RegionPolicy) -> list[str]:
    """N-7: what accepting the region's authorization agreement means, in plain words, from its policy."""
    uses = p.t("、", ", ").join(p.t(u.zh, u.en) for u in policy.uses_for_relatives)
    funds = p.t("和", " and ").join(p.t(f.zh, f.en) for f in policy.funds_for_relatives)
    points = [
        p.t(f"我自愿授权用本人职工医保个人账户（{funds}）为这位亲属支付：{uses}。",
            f"I agree that my employee personal account ({funds}) pays for this relative: {uses}."),
        p.t("我的账户先支付我本人的费用；只用个人账户的钱，不动用统筹基金，不影响我本人和亲属的医保待遇。",
            "My account pays my own bills first; only personal-account money is used, never the pooled fund, "
            "and neither my nor my relative's insurance benefits change."),
        p.t("我承诺所填亲属关系真实。家庭关系实行个人承诺制，虚假承诺须承担相应法律责任。",
            "I declare that the relationship is true. It rests on my own commitment, and a false statement "
            "carries legal responsibility."),
    ]
    if policy.reserve_line_fen:
        line = f"{policy.reserve_line_fen // 100}"
        points.append(p.t(f"只有超过 {line} 元的账户余额才能用于亲属。",
                          f"Only the balance above {line} yuan can pay for relatives."))
    wait = policy.rebind_wait_days
    points.append(
        p.t("我可以随时在“授权记录”中解除绑定" + (f"；解除后 {wait} 天内不能再次绑定同一亲属。" if wait else "。"),
            "I can end the binding at any time under Authorizations"
            + (f"; after that the same relative cannot be bound again for {wait} days." if wait else "."))
    )
    return points


@dataclass
class BindContext:
    me: Me
    family_members: list[dict[str, Any]] = field(default_factory=list)


def _bind_context(s: Session, env: Env, person_id: int) -> BindContext:
    me = load_me(s, env, person_id)
    members = []
    if me.family_id is not None:
        family = authorizations.get_family(s, me.family_id)
        if family.householder_id == me.id:
            for row in authorizations.family_members(s, family.id):
                person = people.get(s, row.person_id)
                members.append({"name": person.name, "id_number": mask(person.id_number),
                                "relationship": row.relationship})
    return BindContext(me=me, family_members=members)


def _bind_page(p: Page, ctx: BindContext, *, values: dict[str, str], errors: dict[str, str],
               status_code: int = 200, proof_lost: bool = False) -> HTMLResponse:
    me = ctx.me
    return show(p, me, "portal/bind.html", nav="bind", status_code=status_code, values=values, errors=errors,
                relationships=relationship_choices(p, me), family_members=ctx.family_members,
                agreement_points=agreement_points(p, me.policy),
                proof_kinds=[(k.value, p.t(k.zh, k.en)) for k in PROOF_KINDS],
                proof_limit_mb=_limit_mb(_proof_limit(p)), proof_lost=proof_lost)


@router.get("/bind", response_class=HTMLResponse)
async def bind_form(p: P) -> HTMLResponse:
    """绑定亲属 (HLJ-7): my data from the login; the relative's name, ID number, phone and relationship."""
    who = p.person()
    ctx = await p.read(lambda s: _bind_context(s, p.env, who.person_id))
    values = {"start_on": p.env.today().isoformat(), "proof_kind": DocumentKind.HOUSEHOLD_REGISTER.value}
    return _bind_page(p, ctx, values=values, errors={})


def _check_proof(p: Page, policy: RegionPolicy, upload: Any, values: dict[str, str],
                 errors: dict[str, str]) -> tuple[bytes, str] | None:
    """HN-3: the uploaded proof file, if any: (its content, its file extension). Its kind is checked too."""
    if policy.proof_documents is ProofPolicy.NONE:
        return None
    content = b""
    if isinstance(upload, UploadFile) and upload.filename:
        content = upload.file.read(_proof_limit(p) + 1)
    if not content:
        if policy.proof_documents is ProofPolicy.REQUIRED:
            errors["proof"] = p.message(GongjiError("PROOF_REQUIRED"))
        return None
    if len(content) > _proof_limit(p):
        most = _limit_mb(_proof_limit(p))
        errors["proof"] = p.t(f"文件太大：请上传不超过 {most} MB 的照片或PDF文件。",
                              f"The file is too large: upload a photo or PDF of at most {most} MB.")
        return None
    extension = next((ext for magic, ext in PROOF_TYPES if content.startswith(magic)), None)
    if extension is None:
        errors["proof"] = p.t("只能上传照片（JPG、PNG）或PDF文件。", "Upload a photo (JPG, PNG) or a PDF file.")
        return None
    if values.get("proof_kind") not in {k.value for k in PROOF_KINDS}:
        errors["proof_kind"] = p.t("请选择证明材料的类型。", "Choose what the document is.")
        return None
    return content, extension


@router.post("/bind", response_class=HTMLResponse)
async def bind(p: P) -> HTMLResponse:
    who = p.person()
    form = await p.form()
    upload = (await p.request.form()).get("proof")
    ctx = await p.read(lambda s: _bind_context(s, p.env, who.person_id))
    me, policy, today = ctx.me, ctx.me.policy, p.env.today()
    values = {k: form.get(k, "").strip() for k in BIND_FIELDS if k != "proof"}
    # HLJ-7: every bind form sent counts against the payer, as the API's binding requests do
    counted = await attempt(p, p.write(lambda s: binding_attempts.count(
        s, p.env, payer_id=who.person_id, limit=p.settings.binding_attempts_per_person,
        window_hours=p.settings.binding_window_hours)), BIND_FIELDS)
    if counted.failed:
        return _bind_page(p, ctx, values=values, errors=counted.failed.errors, status_code=counted.failed.status)
    c = checks(p, values)
    errors = c.errors

    name = c.required("name", "请填写亲属的姓名。", "Enter the relative's name.")
    c.id_number(who_zh="亲属", who_en="the relative")
    c.parse("phone", lambda value: people.check_phone(value or None))
    relationship = c.required("relationship", "请选择这位亲属是您的什么人。", "Choose what the relative is to you.")
    start_on = values.get("start_on") or today.isoformat()
    end_on = values.get("end_on") or None
    priority: int | None = None
    if me.uses_priority and values.get("priority"):
        if values["priority"].isdigit() and 1 <= int(values["priority"]) <= 99:
            priority = int(values["priority"])
        else:
            errors["priority"] = p.t("支付顺序请填1至99的数字，1最先支付。",
                                     "The payment order is a number from 1 to 99; 1 pays first.")
    accepted = form.get("agreement") == "yes"
    if not accepted:
        errors["agreement"] = p.message(GongjiError("CONSENT_REQUIRED", agreement=policy.agreement_title,
                                                    version=policy.agreement_version))
    proof = _check_proof(p, policy, upload, values, errors)
    chose_file = isinstance(upload, UploadFile) and bool(upload.filename)
    if errors:
        return _bind_page(p, ctx, values=values, errors=errors, status_code=400, proof_lost=chose_file)

    file_ref = None
    documents: list[dict[str, str | None]] = []
    if proof is not None:
        file_ref = f"portal/{today:%Y-%m}/{secrets.token_hex(16)}.{proof[1]}"
        documents.append({"kind": values["proof_kind"], "file_ref": file_ref})
    agreement_version = form.get("agreement_version") or policy.agreement_version

    def work(s: Session) -> int:
        relative = people.find(s, values["id_number"])
        check_name(p, name, relative.name)
        binding = authorizations.bind(
            s, p.env, payer_id_number=me.id_number, beneficiary_id_number=relative.id_number,
            relationship=relationship, actor=who.actor(Channel.PORTAL), agreement_version=agreement_version,
            start_on=start_on, end_on=end_on, priority=priority, documents=documents,
            beneficiary_phone=values.get("phone") or None)
        # The proof is written before the commit, under a name drawn once outside the transaction: a retried
        # transaction writes the same bytes to the same file, and a committed binding always has its file. A
        # transaction that fails after this line leaves a file no binding refers to (harmless, never shown).
        if proof is not None and file_ref is not None:
            path = upload_dir() / file_ref
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(proof[0])
        return binding.id

    done = await attempt(p, p.write(work), BIND_FIELDS)
    if done.failed:
        return _bind_page(p, ctx, values=values, errors=done.failed.errors, status_code=400, proof_lost=chose_file)
    return p.redirect("/portal/records", flash="bound")


# -- authorization records, unbinding (HLJ-8, HLJ-2, D-4) ---------------------------------------------


@dataclass(frozen=True)
class RecordRow:
    record: records.AuthorizationRecord
    is_open: bool
    rebind_from: date | None  # D-4: ended by someone in a region with a wait, the pair not bound again
    paused: bool = False  # D-3: paused by either side, it pays nothing until resumed


def _records(s: Session, env: Env, person_id: int) -> dict[str, Any]:
    me = load_me(s, env, person_id)
    today = env.today()
    page_ = records.authorization_records(s, person_id=person_id, today=today, include_ended=True, limit=ROWS)
    ids = [r.binding_id for r in page_.items]
    bindings = {b.id: b for b in s.execute(select(Binding).where(Binding.id.in_(ids))).scalars()} if ids else {}
    open_pairs = {(b.payer_id, b.beneficiary_id) for b in bindings.values()
                  if binding_rules.is_open(end_on=b.end_on, ended_on=b.ended_on, today=today)}
    rows = []
    for record in page_.items:
        binding = bindings[record.binding_id]
        pair = (binding.payer_id, binding.beneficiary_id)
        is_open = binding_rules.is_open(end_on=binding.end_on, ended_on=binding.ended_on, today=today)
        rebind = None
        if binding.ended_on is not None and binding.end_reason != EndReason.EXPIRED.value and pair not in open_pairs:
            rebind = binding_rules.rebind_possible_from(binding.ended_on, env.policy(binding.region_code))
        rows.append(RecordRow(record=record, is_open=is_open, rebind_from=rebind,
                              paused=is_open and binding.paused_at is not None))
    return {"me": me, "rows": rows, "total": page_.total}


async def _records_page(p: Page, person_id: int, *, errors: dict[str, str] | None = None,
                        status_code: int = 200) -> HTMLResponse:
    data = await p.read_stale(lambda s: _records(s, p.env, person_id))
    return show(p, data.pop("me"), "portal/records.html", nav="records", status_code=status_code,
                errors=errors or {}, **data)


@router.get("/records", response_class=HTMLResponse)
async def records_page(p: P) -> HTMLResponse:
    """授权记录 (HLJ-8, N-9): every binding where I pay or am paid for; unbinding from here."""
    return await _records_page(p, p.person().person_id)


@router.post("/bindings/{binding_id}/unbind", response_class=HTMLResponse)
async def unbind(binding_id: int, p: P) -> HTMLResponse:
    """HLJ-8: either side ends a binding; the page then shows from when binding again is possible (HLJ-2)."""
    who = p.person()
    await p.form()

    def work(s: Session) -> None:
        binding = authorizations.get(s, binding_id)
        if who.person_id not in (binding.payer_id, binding.beneficiary_id):  # someone else's: as if not there
            raise GongjiError("BINDING_NOT_FOUND", binding_id=str(binding_id)[:20])
        authorizations.unbind(s, p.env, binding_id=binding_id, actor=who.actor(Channel.PORTAL))

    done = await attempt(p, p.write(work))
    if done.failed:
        return await _records_page(p, who.person_id, errors=done.failed.errors, status_code=400)
    return p.redirect("/portal/records", flash="unbound")

