"""Who may bind whom: authorizations, their consents and plausibility checks (N-1, N-2, N-6, N-7, HLJ-*, SZ-*)."""

from gongji.errors.spec import ErrorSpec

CODES: dict[str, ErrorSpec] = {
    "PAYER_NOT_EMPLOYEE": ErrorSpec(
        409,
        "{name} 参加的是城乡居民医保，没有个人账户，不能作为共济人。只有职工医保参保人可以为亲属共济。",
        "{name} is enrolled in resident insurance, which has no personal account, and cannot pay for relatives. "
        "Only employee enrollees can.",
    ),
    "PAYER_NOT_NORMAL": ErrorSpec(
        409,
        "共济人 {name} 的参保状态为“{status_zh}”，本地区要求正常参保才能共济。恢复正常缴费后可再办理。",
        "The payer {name} is {status_en}; this region requires normal enrollment for mutual aid. "
        "Try again once contributions are back to normal.",
    ),
    "BENEFICIARY_NOT_NORMAL": ErrorSpec(
        409,
        "使用人 {name} 的参保状态为“{status_zh}”，本地区要求正常参保才能使用共济资金。恢复正常参保后可再办理。",
        "The beneficiary {name} is {status_en}; this region requires normal enrollment to use mutual aid. "
        "Try again once the enrollment is back to normal.",
    ),
    "PAYER_NO_BALANCE": ErrorSpec(
        409,
        "共济人 {name} 的个人账户没有余额，暂不能绑定。账户有余额后可再办理。",
        "The payer {name} has no personal-account balance, so a binding cannot be made now. Try again once the "
        "account has money.",
    ),
    "SELF_BINDING": ErrorSpec(
        422,
        "不能为自己办理共济绑定：本人的个人账户本来就优先支付本人的费用。",
        "You cannot bind yourself: your own account already pays your own bills first.",
    ),
    "RELATIONSHIP_NOT_ALLOWED": ErrorSpec(
        409,
        "本地区（{region_name}）家庭共济不包括“{relationship_zh}”。可以绑定的亲属：{allowed_zh}。",
        "In this region ({region_name}) mutual aid does not cover a {relationship_en}. Relatives that can be "
        "bound: {allowed_en}.",
    ),
    "RELATIONSHIP_IMPLAUSIBLE": ErrorSpec(
        422,
        "所填关系“{relationship_zh}”与双方出生日期不符（{payer_birth} / {beneficiary_birth}）。请确认所选关系是"
        "“对方是我的……”。",
        "The relationship '{relationship_en}' does not fit the birth dates ({payer_birth} / {beneficiary_birth}). "
        "Check that you chose what the relative is to you.",
    ),
    "OUT_OF_SCOPE": ErrorSpec(
        409,
        "该亲属的参保地不在共济人参保地的共济范围内：本地区要求双方在{scope_zh}参保。请核对亲属的参保地。",
        "The relative is enrolled outside the payer's mutual-aid scope: this region requires both to be enrolled "
        "in the {scope_en}. Check where the relative is enrolled.",
    ),
    "TOO_MANY_BENEFICIARIES": ErrorSpec(
        409,
        "共济人 {name} 已同时绑定 {count} 名家庭成员，达到本地区上限（{limit} 名）。请先解除一名再添加。",
        "The payer {name} already has {count} bound relatives, the limit in this region ({limit}). Unbind one "
        "before adding another.",
    ),
    "TOO_MANY_PAYERS": ErrorSpec(
        409,
        "{name} 已被 {count} 名共济人绑定，达到本地区上限（{limit} 名）。需先由原共济人解除绑定。",
        "{name} is already bound by {count} payer(s), the limit in this region ({limit}). The existing binding "
        "must be ended first.",
    ),
    "ROLE_CONFLICT": ErrorSpec(
        409,
        "本地区规定同一人不能同时作为共济人和使用人：{name} 目前已是{role_zh}。",
        "In this region one person cannot be payer and beneficiary at once: {name} is already a {role_en}.",
    ),
    "ALREADY_BOUND": ErrorSpec(
        409,
        "{payer_name} 与 {beneficiary_name} 之间已有有效的共济绑定（编号 {binding_id}），无需重复绑定。",
        "{payer_name} already pays for {beneficiary_name} (binding {binding_id}); no new binding is needed.",
    ),
    "REBIND_TOO_SOON": ErrorSpec(
        409,
        "该亲属已于 {unbound_on} 解除绑定，{wait_days} 天内不能再次绑定，{rebind_from} 起可再次绑定。",
        "This relative was unbound on {unbound_on}; binding again is possible from {rebind_from} "
        "({wait_days}-day wait).",
    ),
    "BINDING_ENDED": ErrorSpec(
        409,
        "该共济绑定已于 {ended_on} 结束，无需再次解除。",
        "This binding already ended on {ended_on}; there is nothing to unbind.",
    ),
    "NOT_PARTY_TO_BINDING": ErrorSpec(
        403,
        "只有共济人、使用人本人或经办人员可以解除此绑定。",
        "Only the payer, the beneficiary or insurance staff can end this binding.",
    ),
    "ACTOR_NOT_ALLOWED": ErrorSpec(
        403,
        "您不能为 {name} 办理此业务：只有{who_zh}本人或经办人员可以办理。",
        "You may not do this for {name}: only {who_en} or insurance staff can.",
    ),
    "CONSENT_REQUIRED": ErrorSpec(
        422,
        "请先阅读并同意《{agreement}》（版本 {version}）。家庭关系实行个人承诺制，虚假承诺须承担法律责任。",
        "Read and accept the agreement '{agreement}' (version {version}) first. Family relationships are declared "
        "on your own commitment, and a false statement carries legal responsibility.",
    ),
    "PROOF_REQUIRED": ErrorSpec(
        422,
        "本地区办理绑定需要上传关系证明材料（如结婚证、户口簿）。请上传后再提交。",
        "This region asks for proof of the relationship (e.g. marriage certificate, household register). Upload "
        "it and submit again.",
    ),
    "COUNTER_DOCUMENTS_MISSING": ErrorSpec(
        422,
        "窗口办理须核验以下材料：{missing_zh}。请核验后勾选再提交。",
        "At the counter these documents must be checked first: {missing_en}. Check them, tick them and submit again.",
    ),
    "UNKNOWN_DOCUMENT_KIND": ErrorSpec(
        422,
        "证明材料类型“{value}”无法识别。可选：{allowed}。",
        "The document kind '{value}' is not known. Choose one of: {allowed}.",
    ),
    "BINDING_NOT_OFFERED": ErrorSpec(
        409,
        "本地区（{region_name}）采用历年账户资金划转方式共济，不办理共济绑定。请使用“历年账户家庭共济”划转。",
        "This region ({region_name}) shares accounts by transferring prior-years funds, not by binding. Use a "
        "transfer instead.",
    ),
    "TRANSFER_NOT_OFFERED": ErrorSpec(
        409,
        "本地区（{region_name}）采用共济绑定方式，不办理历年资金划转。请为亲属办理共济绑定。",
        "This region ({region_name}) shares accounts by binding, not by transfers. Bind the relative instead.",
    ),
    "SPOUSE_ALREADY_BOUND": ErrorSpec(
        409,
        "{side_zh}已有另一位配偶的共济绑定，一个人只能有一位配偶。请核对所选关系；如婚姻状况有变化，请先解除原绑定。",
        "There is already a binding with another spouse for {side_en}, and a person has one spouse. Check the "
        "relationship chosen; if the marriage has changed, end the old binding first.",
    ),
    "RELATIVE_NOT_MATCHED": ErrorSpec(
        422,
        "未找到姓名与身份证号码相符的参保人。请核对亲属的姓名（与身份证上相同）和身份证号码后重试。",
        "No insured person with this name and ID number was found. Check the relative's name (as on the ID "
        "card) and ID number, and try again.",
    ),
    "BINDING_ATTEMPTS_THROTTLED": ErrorSpec(
        429,
        "绑定申请过于频繁（{window}小时内{limit}次），已暂停。请于北京时间 {retry_at} 后再试；如需帮助，请到经办窗口办理。",
        "Too many binding attempts ({limit} within {window} hours): binding is paused. Try again after {retry_at} "
        "China Standard Time, or have it done at a service counter.",
    ),
}
