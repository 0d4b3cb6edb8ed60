"""Region policies: public reading for everyone, changes by the administrators of the region.

The rules of mutual aid in a region (who may be bound, caps, waiting days, what the money may pay)
are public information people need before they act, so reading them needs no login. Changing them
writes the region's settings file in ``GONGJI_POLICY_DIR`` and reloads the policies of this server
process; the change is recorded as the event ``policy.changed``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path
from pydantic import Field
from sqlalchemy.orm import Session

from gongji.api.calls import ADMIN, ANYONE, Call, allow
from gongji.api.schemas import Output
from gongji.auth.service import Principal
from gongji.errors import GongjiError
from gongji.events.service import record as record_event
from gongji.people.ids import check_region_code, region_name
from gongji.policy import book as policies
from gongji.policy.settings import AidModel, PayerOrder, RegionPolicy, Scope
from gongji.terms import Fund, Relationship, Use

router = APIRouter(prefix="/v1/regions", tags=["administration"])

Anyone = Annotated[Call, Depends(allow(*ANYONE))]
Admin = Annotated[Call, Depends(allow(*ADMIN))]
RegionCode = Annotated[str, Path(min_length=6, max_length=6, pattern=r"^\d{6}$",
                                 description="6位行政区划代码 · 6-digit division code", examples=["230100"])]
Prefix = Annotated[str, Path(pattern=r"^(\*|\d{2}|\d{4}|\d{6})$",
                             description="区划前缀：2位省、4位市、6位区县，* 为全国默认 · division-code prefix: "
                                         "2 digits a province, 4 a city, 6 a district, * the national default",
                             examples=["23"])]


class RegionSummary(Output):
    """A region's policy in brief: where it applies and its main limits."""

    prefixes: list[str] = Field(description="适用的区划前缀，* 为全国默认 · the prefixes it governs ('*': national default)")
    name: str
    name_en: str
    aid_model: AidModel
    geographic_scope: Scope
    allowed_relationships: list[Relationship]
    max_beneficiaries_per_payer: int | None = Field(description="HLJ-1；null 不限 · null: no cap")
    max_payers_per_beneficiary: int | None = Field(description="HLJ-3；null 不限 · null: no cap")
    payer_may_also_be_beneficiary: bool
    rebind_wait_days: int = Field(description="HLJ-2")
    payer_order: PayerOrder
    reserve_line_fen: int = Field(description="SZ-1")
    uses_for_relatives: list[Use]
    funds_for_relatives: list[Fund]
    agreement_version: str


def summary(policy: RegionPolicy) -> RegionSummary:
    data = policy.model_dump()
    return RegionSummary(prefixes=list(policy.applies_to), **{k: data[k] for k in RegionSummary.model_fields
                                                             if k != "prefixes"})


class EffectivePolicy(Output):
    region_code: str
    region_name: str | None
    governed_by: str = Field(description="给出此政策的区划前缀 · the prefix whose policy applies ('*': national default)")
    policy: RegionPolicy


class PolicyChanged(Output):
    prefix: str
    file: str = Field(description="政策文件名 · the settings file written, in GONGJI_POLICY_DIR")
    new_file: bool
    changed: dict[str, list[Any]] = Field(
        description="与此前生效政策不同的设置：[原值, 新值] · settings that differ from the policy in effect before: "
                    "[before, after]")
    policy: RegionPolicy


@router.get("", response_model=list[RegionSummary],
            summary="各地区共济政策 · the region policies in force (public)")
def list_regions(call: Anyone) -> list[RegionSummary]:
    """Every loaded region policy, the national default first. No login needed: the rules are public."""
    book = call.env.policies
    return [summary(p) for p in sorted(book, key=lambda p: (not p.is_default, p.applies_to))]


@router.get("/{region_code}/policy", response_model=EffectivePolicy,
            summary="某地区的现行政策 · the policy in force for a division code (public)")
def region_policy(region_code: RegionCode, call: Anyone) -> EffectivePolicy:
    """The policy that applies to ``region_code``: its district's, else its city's, else its province's,
    else the national default (the longest matching prefix)."""
    code = check_region_code(region_code)
    book = call.env.policies  # one book for the whole answer, even if a change swaps it meanwhile
    return EffectivePolicy(region_code=code, region_name=region_name(code), governed_by=book.governing_prefix(code),
                           policy=book.for_region(code))


def covers_prefix(who: Principal, prefix: str) -> bool:
    """An administrator manages the prefixes inside his own; only an all-region one manages '*'."""
    return who.region_prefix == "" if prefix == "*" else prefix.startswith(who.region_prefix)


def _require_prefix(call: Call, prefix: str) -> None:
    if not covers_prefix(call.who, prefix):
        raise GongjiError("REGION_NOT_MANAGED", region=prefix, yours=call.who.region_prefix or "*",
                          action_zh="修改该地区的共济政策", action_en="change this region's policy")


_POLICY_BODY = {"requestBody": {"required": True, "content": {"application/json": {
    "schema": {"$ref": "#/components/schemas/RegionPolicy"}}}}}


@router.put("/{prefix}/policy", response_model=PolicyChanged, openapi_extra=_POLICY_BODY,
            summary="修改地区政策（管理员）· change a region's policy (administrators of the region)")
def change_policy(prefix: Prefix, call: Admin,
                  body: Annotated[dict[str, Any], Body(description="完整的地区政策 · the region's whole policy")]
                  ) -> PolicyChanged:
    """Replace the policy that governs ``prefix`` (or give the prefix a policy of its own) with the one sent.

    * The body is the whole policy, as ``GET /v1/regions/{region_code}/policy`` shows it; its
      ``applies_to`` includes ``prefix``. A setting that is not valid is refused with ``POLICY_INVALID``
      naming the key; nothing changes then.
    * The administrator's region must include ``prefix``, every prefix of ``applies_to`` and every
      prefix the replaced policy governed; only an administrator of all regions changes the national
      default (``*``).
    * The policy is written as a settings file into ``GONGJI_POLICY_DIR`` (written beside it, then
      renamed over the old file). A server that runs on the built-in policies only refuses with
      ``POLICY_DIR_NOT_CONFIGURED``.
    * **The server process that answers reloads its policies at once; other processes of the same
      deployment keep the policies they loaded until they restart.** Restart them after a change.
    * The change is recorded as the event ``policy.changed``: who, which prefix and file, and each
      changed setting with its value before and after.
    """
    _require_prefix(call, prefix)
    folder = policies.writable_folder()
    if folder is None:
        raise GongjiError("POLICY_DIR_NOT_CONFIGURED")
    try:
        policy = policies.validate_policy(body)
    except policies.PolicyInvalid as exc:
        raise _invalid(exc) from None
    for other in policy.applies_to:
        _require_prefix(call, other)
    who = call.who

    def install(book: policies.PolicyBook) -> None:
        # One reference swapped: a reader holds the old book or the new one, never a mix of both.
        call.env.policies = book

    comment = f"Region policy for {prefix}, set by administrator {who.id} at {call.env.now():%Y-%m-%d %H:%M %Z}."
    try:
        with policies.changing_policy(folder, prefix=prefix, policy=policy, install=install,
                                      comment=comment) as change:
            for other in change.replaced.applies_to if change.replaced else ():
                _require_prefix(call, other)

            def work(session: Session) -> None:
                record_event(session, call.env, kind="policy.changed", actor=who.actor(), subject_type="policy",
                             subject_id=0, concerns=[],
                             data={"prefix": prefix, "file": change.path.name, "new_file": change.new_file,
                                   "changes": change.changes})

            call.write(work)
    except policies.PolicyInvalid as exc:
        raise _invalid(exc) from None
    return PolicyChanged(prefix=prefix, file=change.path.name, new_file=change.new_file, changed=change.changes,
                         policy=policy)


def _invalid(exc: policies.PolicyInvalid) -> GongjiError:
    problems = "; ".join(f"{key}: {message}" for key, message in exc.problems)
    return GongjiError("POLICY_INVALID", key=exc.key, problems=problems[:500])
