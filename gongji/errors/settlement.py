"""Settlement: paying a bill from the accounts that may pay it (N-3, D-1, D-2, SZ-1, WL-1)."""

from gongji.errors.spec import ErrorSpec

CODES: dict[str, ErrorSpec] = {
    "INSTITUTION_CANNOT_SETTLE_USE": ErrorSpec(
        409,
        "{institution_name}（{kind_zh}）不能结算“{use_zh}”费用。",
        "{institution_name} (a {kind_en}) cannot settle '{use_en}' costs.",
    ),
    "INSTITUTION_OUT_OF_REGION": ErrorSpec(
        403,
        "{institution_name} 不在 {name} 的参保省份，本系统不办理跨省就医结算。",
        "{institution_name} is outside the province where {name} is enrolled; cross-province settlement is not "
        "handled here.",
    ),
    "CARD_NOT_PATIENTS": ErrorSpec(
        409,
        "所持医保凭证（{cert_no}）不属于就诊人 {name}。就医购药必须使用患者本人的医保卡或医保电子凭证，不能借用他人的卡。",
        "The insurance card or voucher presented ({cert_no}) is not the patient {name}'s. A patient always uses "
        "his own card; cards are never shared.",
    ),
    "AGENT_INCOMPLETE": ErrorSpec(
        422,
        "代买药须登记代办人的姓名和身份证号码。",
        "A proxy purchase must record the agent's name and ID number.",
    ),
    "ATTESTATION_NOT_OFFERED": ErrorSpec(
        409,
        "本地区（{region_name}）不办理书面承诺的一次性家庭成员记账，请先为亲属办理共济绑定。",
        "This region ({region_name}) takes no paper attestation for a one-off payment; bind the relative first.",
    ),
    "ATTESTATION_UNSIGNED": ErrorSpec(
        422,
        "书面承诺须在处方背面注明双方卡号、关系、联系电话并由共济人签名；请补全后再结算。",
        "A paper attestation needs both card numbers, the relationship, a phone number and the payer's signature "
        "on the prescription; complete it and settle again.",
    ),
    "AGENT_NEEDS_PATIENT_CARD": ErrorSpec(
        422,
        "代买药须出示就诊人 {name} 本人的医保卡或医保电子凭证。",
        "A proxy purchase needs the patient {name}'s own insurance card or e-voucher.",
    ),
    "AGENT_IS_PATIENT": ErrorSpec(
        422,
        "代办人不能是就诊人本人；本人购药无需登记代办人。",
        "The agent cannot be the patient; a patient buying for himself needs no agent.",
    ),
    "IDEMPOTENCY_KEY_REUSED": ErrorSpec(
        409,
        "幂等键“{key}”已用于另一笔内容不同的业务。重试时请保持请求内容不变；新的业务请使用新的键。",
        "The idempotency key '{key}' was already used for a different request. Send the same content when you "
        "retry; use a new key for a new operation.",
    ),
    "SETTLEMENT_OF_OTHER_INSTITUTION": ErrorSpec(
        403,
        "结算 {settlement_id} 不是本机构办理的，不能由本机构退费。",
        "Settlement {settlement_id} was not made by this institution, which therefore cannot refund it.",
    ),
    "SETTLEMENT_FULLY_REFUNDED": ErrorSpec(
        409,
        "结算 {settlement_id} 已全部退费，没有可退金额。",
        "Settlement {settlement_id} has been refunded in full; nothing is left to refund.",
    ),
    "REFUND_EXCEEDS_PAID": ErrorSpec(
        409,
        "退费金额 {amount:yuan} 元超过可退金额 {refundable:yuan} 元（结算 {settlement_id}）。",
        "The refund of {amount:yuan} yuan exceeds the {refundable:yuan} yuan that can still be refunded "
        "(settlement {settlement_id}).",
    ),
}
