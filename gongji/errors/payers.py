"""What payers and relatives change on a binding that stands: the monthly limit (PP-1), the payer order (WL-1),
a pause, a corrected relationship (N-7)."""

from gongji.errors.spec import ErrorSpec

CODES: dict[str, ErrorSpec] = {
    "ONLY_PAYER_SETS_LIMIT": ErrorSpec(
        403,
        "每月限额只能由共济人本人设定（或由经办窗口为共济人办理）。如需调整，请共济人办理。",
        "Only the payer sets the monthly limit (or a service counter does it for him). Ask the payer to change it.",
    ),
    "BINDING_ALREADY_PAUSED": ErrorSpec(
        409,
        "该共济绑定已于 {paused_on} 暂停，无需再次暂停。如需恢复支付，请选择“恢复”。",
        "This binding has been paused since {paused_on}; there is nothing to pause. Choose “resume” to let it pay "
        "again.",
    ),
    "BINDING_NOT_PAUSED": ErrorSpec(
        409,
        "该共济绑定没有暂停，正在正常支付，无需恢复。",
        "This binding is not paused: it pays as usual, so there is nothing to resume.",
    ),
    "RELATIONSHIP_UNCHANGED": ErrorSpec(
        409,
        "该绑定登记的关系已是“{relationship_zh}”，无需更正。如关系有误，请选择正确的关系。",
        "This binding already records the relationship “{relationship_en}”; there is nothing to correct. Choose "
        "the right relationship if it is wrong.",
    ),
    "ONLY_PAYER_CORRECTS_RELATIONSHIP": ErrorSpec(
        403,
        "更正关系须由共济人本人重新签署授权协议（或到经办窗口核验材料后办理）。",
        "A corrected relationship needs the payer to accept the authorization agreement again (or a service "
        "counter to check the documents).",
    ),
    "STATEMENT_PERIOD_INVALID": ErrorSpec(
        422,
        "对账单的期间须为某一年（如 2026）或某一月（如 2026-11），且不晚于本月。",
        "A statement covers one year (such as 2026) or one month (such as 2026-11), not later than this month.",
    ),
}
