"""The national platform interface (NI-1..NI-6), as real HIS clients call it."""

from gongji.errors.spec import ErrorSpec

CODES: dict[str, ErrorSpec] = {
    "NI_MESSAGE_UNREADABLE": ErrorSpec(
        400,
        "报文无法解析：{reason_zh}。请按接口规范发送 UTF-8 编码的 JSON 对象。",
        "The message cannot be read: {reason_en}. Send a UTF-8 JSON object as the interface specification says.",
    ),
    "NI_FIELD_REQUIRED": ErrorSpec(
        422,
        "缺少必填字段 {field}（{name_zh}）。请按接口规范填写后重新发送。",
        "The required field {field} ({name_zh}) is missing. Fill it in as the interface specification says and "
        "send the message again.",
    ),
    "NI_FIELD_INVALID": ErrorSpec(
        422,
        "字段 {field}（{name_zh}）的值“{value}”无效：{reason_zh}。",
        "The field {field} ({name_zh}) has the value '{value}', which is not valid: {reason_en}.",
    ),
    "NI_AMOUNT_INVALID": ErrorSpec(
        422,
        "金额字段 {field}（{name_zh}）的值“{value}”无效：{reason_zh}。金额以元为单位，不能为负数，最多两位小数。",
        "The amount {field} ({name_zh}) has the value '{value}', which is not valid: {reason_en}. Amounts are "
        "yuan, not negative, with at most two decimals.",
    ),
    "NI_TOTALS_DISAGREE": ErrorSpec(
        422,
        "{field}（{name_zh}）为 {given} 元，与{basis_zh} {expected} 元不符。请核对金额后重新发送。",
        "{field} ({name_zh}) is {given} yuan, but {basis_en} is {expected} yuan. Check the amounts and send the "
        "message again.",
    ),
    "NI_UNKNOWN_TRANSACTION": ErrorSpec(
        422,
        "不受理交易编号“{infno}”。本服务受理：{supported}。",
        "The transaction code '{infno}' is not served here. Served: {supported}.",
    ),
    "NI_WRONG_INSTITUTION_KIND": ErrorSpec(
        409,
        "交易 {infno} 只适用于{kind_zh}，{name} 是{own_zh}。{hint_zh}",
        "Transaction {infno} is for a {kind_en}; {name} is a {own_en}. {hint_en}",
    ),
    "NI_INSTITUTION_MISMATCH": ErrorSpec(
        403,
        "报文中的定点医药机构编号 {given} 与签名的机构 {caller} 不一致。请使用本机构的编号和密钥。",
        "The institution code {given} in the message is not the one that signed it ({caller}). Use your own "
        "institution's code and secret.",
    ),
    "NI_MSGID_REUSED": ErrorSpec(
        409,
        "报文ID {msgid} 已用于另一笔内容不同的报文（交易 {infno}）。新交易请使用新的报文ID；重发同一报文时内容须完全相同。",
        "The message id {msgid} was already used for a different message (transaction {infno}). Give every new "
        "message a new id; a resent message must be identical.",
    ),
    "NI_MESSAGE_REVERSED": ErrorSpec(
        409,
        "报文ID {msgid} 已被冲正（2601），不再受理。如需办理，请用新的报文ID重新发起交易。",
        "The message id {msgid} has been reversed (2601) and is not accepted any more. To do the business, send "
        "it again under a new message id.",
    ),
    "NI_SIGN_IN_INVALID": ErrorSpec(
        409,
        "签到编号 {sign_no} 无效或已签退。请先签到（9001），再使用返回的 sign_no。",
        "The sign-in number {sign_no} is unknown or signed out. Sign in first (9001) and use the sign_no it returns.",
    ),
    "NI_PERSON_NOT_FOUND": ErrorSpec(
        404,
        "人员编号 {psn_no} 不存在。请先用人员信息获取（1101）取得人员编号。",
        "There is no person with the number {psn_no}. Get the person number from 1101 (person information) first.",
    ),
    "NI_PERSON_MISMATCH": ErrorSpec(
        422,
        "{field}（{name_zh}）与人员编号 {psn_no} 对应的人员不符。请核对后重新发送。",
        "{field} ({name_zh}) does not match the person with the number {psn_no}. Check it and send again.",
    ),
    "NI_WRONG_INSURED_REGION": ErrorSpec(
        422,
        "参保地医保区划 {given} 与该人员的参保地 {actual} 不符。请使用人员信息获取（1101）返回的 insuplc_admdvs。",
        "The insured region {given} is not the person's insured region {actual}. Use the insuplc_admdvs that 1101 "
        "returned.",
    ),
    "NI_INSUTYPE_MISMATCH": ErrorSpec(
        422,
        "险种类型 {given} 与该人员参加的险种 {actual}（{actual_zh}）不符。",
        "The insurance type {given} is not the one the person holds: {actual} ({actual_en}).",
    ),
    "NI_VISIT_NOT_FOUND": ErrorSpec(
        404,
        "就诊ID {mdtrt_id} 不存在，或不是本机构为人员 {psn_no} 登记的就诊。请核对 mdtrt_id 与 psn_no。",
        "There is no visit {mdtrt_id} registered by this institution for the person {psn_no}. Check mdtrt_id and "
        "psn_no.",
    ),
    "NI_VISIT_CANCELLED": ErrorSpec(
        409,
        "就诊 {mdtrt_id} 的挂号已撤销，不能再{action_zh}。请重新挂号（2201）。",
        "The registration of visit {mdtrt_id} was cancelled, so you cannot {action_en}. Register again (2201).",
    ),
    "NI_VISIT_SETTLED": ErrorSpec(
        409,
        "就诊 {mdtrt_id} 已有结算 {setl_id}，不能{action_zh}。如需更改，请先撤销结算（2208）。",
        "Visit {mdtrt_id} has the settlement {setl_id}, so you cannot {action_en}. To change it, cancel the "
        "settlement first (2208).",
    ),
    "NI_OUTPATIENT_NUMBER_TAKEN": ErrorSpec(
        409,
        "门诊号 {ipt_otp_no} 已有有效挂号（就诊ID {mdtrt_id}）。请使用新的门诊号，或先撤销原挂号（2202）。",
        "The outpatient number {ipt_otp_no} already has a registration (visit {mdtrt_id}). Use a new number, or "
        "cancel that registration first (2202).",
    ),
    "NI_NO_FEE_DETAILS": ErrorSpec(
        409,
        "就诊 {mdtrt_id} 的收费批次 {chrg_bchno} 没有待结算的费用明细。请先上传费用明细（2204）。",
        "The charge batch {chrg_bchno} of visit {mdtrt_id} has no fee details waiting to be settled. Upload them "
        "first (2204).",
    ),
    "NI_FEE_DETAIL_DUPLICATE": ErrorSpec(
        409,
        "费用明细流水号 {feedetl_sn} 在就诊 {mdtrt_id} 中已上传。请使用新的流水号，或先撤销原明细（2205）。",
        "The fee detail number {feedetl_sn} was already uploaded for visit {mdtrt_id}. Use a new number, or "
        "cancel the earlier detail first (2205).",
    ),
    "NI_SETTLEMENT_NOT_FOUND": ErrorSpec(
        404,
        "结算ID {setl_id} 不存在，或不是本机构为就诊 {mdtrt_id}、人员 {psn_no} 办理的结算。请核对 setl_id、mdtrt_id 与 psn_no。",
        "There is no settlement {setl_id} made by this institution for visit {mdtrt_id} and person {psn_no}. "
        "Check setl_id, mdtrt_id and psn_no.",
    ),
    "NI_SETTLEMENT_CANCELLED": ErrorSpec(
        409,
        "结算 {setl_id} 已撤销（{how_zh}），款项已退回原支付账户，无需再次撤销。",
        "The settlement {setl_id} has already been cancelled ({how_en}); its money went back to the accounts that "
        "paid, so there is nothing more to cancel.",
    ),
    "NI_NOT_REVERSIBLE": ErrorSpec(
        409,
        "报文 {omsgid}（交易 {oinfno}）不能冲正：{reason_zh}",
        "The message {omsgid} (transaction {oinfno}) cannot be reversed: {reason_en}",
    ),
    "NI_INTERNAL_ERROR": ErrorSpec(
        500,
        "系统内部错误，本报文未办理。请用相同的报文ID重发（重发不会重复扣款），或用 2601 冲正；如仍失败请联系运维并提供请求编号 {request_id}。",
        "An internal error occurred and this message was not carried out. Send it again with the same msgid (a "
        "resend never pays twice), or reverse it with 2601; if it fails again, contact the operators with the "
        "request id {request_id}.",
    ),
    "INTERNAL_ERROR": ErrorSpec(
        500,
        "系统内部错误，业务可能未完成。请稍后用相同的 Idempotency-Key 重试（重试不会重复扣款）；如仍失败请联系运维并提供请求编号 {request_id}。",
        "An internal error occurred and the request may not have been completed. Retry later with the same "
        "Idempotency-Key (a retry never pays twice); if it fails again, contact the operators with the request "
        "id {request_id}.",
    ),
    "NI_GATEWAY_SIGNATURE_INVALID": ErrorSpec(
        401,
        "国家医保网关签名无效：{reason_zh}。x-tif-paasid 为本机构编号，x-tif-signature 为 SHA256(时间戳+机构密钥+随机数+时间戳) 的十六进制。",
        "The national gateway signature is not valid: {reason_en}. x-tif-paasid is the institution's code, "
        "x-tif-signature the hex SHA-256 of timestamp + the institution's secret + nonce + timestamp.",
    ),
    "NI_PERSON_NOT_MATCHED": ErrorSpec(
        403,
        "就诊凭证信息与参保登记不符，未返回人员信息。请重新读取就诊凭证（社会保障卡须带卡识别码 card_sn），核对证件号码和姓名后重试。",
        "The certificate presented does not match an insured person's records, so no person information is "
        "given. Read the certificate again (a social security card with its card_sn), check the certificate "
        "number and the name, and try again.",
    ),
    "NI_LOOKUPS_THROTTLED": ErrorSpec(
        429,
        "本机构人员信息查询过于频繁（{window}分钟内{limit}次），已暂停。请于北京时间 {retry_at} 后再试。",
        "This institution looked up person information too often ({limit} times within {window} minutes): "
        "look-ups are paused. Try again after {retry_at} China Standard Time.",
    ),
}
