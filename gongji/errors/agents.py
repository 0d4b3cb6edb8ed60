"""Acting for someone: agencies (代办, AG-1, gongji/agents).

A refusal to an agent or to an outsider names nobody: an agency that does not exist, is someone else's, has ended
or has expired gets the same AGENCY_NOT_IN_FORCE."""

from gongji.errors.spec import ErrorSpec

CODES: dict[str, ErrorSpec] = {
    "AGENCY_SELF": ErrorSpec(
        422,
        "不能委托本人作为自己的代办人。请填写代办亲属的身份证号码和姓名。",
        "You cannot name yourself as your own agent. Give the ID number and name of the relative who will act "
        "for you.",
    ),
    "AGENCY_AGENT_NOT_MATCHED": ErrorSpec(
        422,
        "未找到与该身份证号码和姓名相符的参保人。代办人须是已参保的亲属，请核对其身份证号码和姓名（与身份证上相同）。",
        "No insured person matches this ID number and name. An agent is an insured relative: check the ID "
        "number and the name (as on the ID card).",
    ),
    "AGENCY_NO_ACTIONS": ErrorSpec(
        422,
        "请至少选择一项委托代办的事项。",
        "Choose at least one thing the agent may do for you.",
    ),
    "UNKNOWN_AGENCY_ACTION": ErrorSpec(
        422,
        "代办事项“{value}”无效，可选：{allowed}。",
        "'{value}' is not a thing an agent may do; choose from: {allowed}.",
    ),
    "AGENCY_PERIOD_INVALID": ErrorSpec(
        422,
        "委托期限须从今天或以后开始，结束日期晚于开始日期，且最长 {max_days} 天（{start_on} 至 {end_on} 不符合）。"
        "请重新选择期限。",
        "An agency starts today or later, ends after it starts and lasts at most {max_days} days ({start_on} to "
        "{end_on} does not). Choose the period again.",
    ),
    "AGENCY_CONSENT_REQUIRED": ErrorSpec(
        422,
        "请先阅读并同意《代办授权书》（版本 {version}）。委托期间代办人可为您办理所选事项，您可随时终止委托。",
        "Read and accept the agency agreement (version {version}) first. During the period the agent may do "
        "the chosen things for you; you can end it at any time.",
    ),
    "AGENCY_EXISTS": ErrorSpec(
        409,
        "您已委托此人代办，委托尚未结束。如需改变事项或期限，请先终止原委托再重新委托。",
        "This person already acts for you under an agency that has not ended. To change what he may do or the "
        "period, end that agency first and grant a new one.",
    ),
    "AGENCY_NOT_IN_FORCE": ErrorSpec(
        403,
        "该代办委托不存在、不属于您、尚未生效、已到期或已终止，不能据此代办。请让委托人重新委托。",
        "This agency does not exist, is not yours, is not yet in effect, has expired or has ended, so nothing "
        "can be done under it. Ask the person to grant a new one.",
    ),
    "AGENCY_ACTION_NOT_GRANTED": ErrorSpec(
        403,
        "委托人未委托您办理“{action_zh}”。如需代办此事项，请委托人重新委托并选择该事项。",
        "The person did not authorize you to {action_en}. To do it, ask for a new agency that includes it.",
    ),
    "AGENCY_NOT_FOR_AGENTS": ErrorSpec(
        403,
        "代办人不能代为办理此事项（如委托他人代办、修改密码）。请切换回您本人后再办理，或由本人办理。",
        "An agent cannot do this for someone (granting agencies, passwords). Switch back to yourself, or let "
        "the person do it.",
    ),
    "AGENCY_ALREADY_ENDED": ErrorSpec(
        409,
        "该代办委托已于 {ended_on} 终止，无需再次终止。",
        "This agency already ended on {ended_on}; there is nothing more to end.",
    ),
    "AGENCY_NOT_ALLOWED": ErrorSpec(
        403,
        "只有委托人本人、代办人本人或经办人员可以办理此代办委托事项。",
        "Only the person who granted the agency, the agent himself or staff can do this with an agency.",
    ),
    "AGENCY_DOCUMENTS_MISSING": ErrorSpec(
        422,
        "窗口办理代办委托须核验以下材料：{missing_zh}。请核验后勾选再提交。",
        "At the counter an agency needs these documents checked first: {missing_en}. Check them, tick them and "
        "submit again.",
    ),
}
