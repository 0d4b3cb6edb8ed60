"""The one error type of Gongji, and the catalogue of its codes.

Every refusal is a :class:`GongjiError` carrying

* ``code``   – stable, upper-case, never renamed (clients switch on it);
* ``status`` – the HTTP status the API answers with;
* ``message_zh`` / ``message_en`` – what was wrong and what to do, in plain words;
* ``params`` – the values the messages were built from (safe to show the caller).

A refused request changes nothing: services raise before they write, and the one place that
commits (:meth:`gongji.db.Database.run`) rolls the whole transaction back on any error.

The catalogue below is the single list of codes (``docs/errors.md`` is generated from it by
``gongji errors``). ``{amount:yuan}`` in a template shows fen as yuan.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ErrorSpec:
    status: int
    zh: str
    en: str


CATALOGUE: dict[str, ErrorSpec] = {
    # ---- input that is malformed --------------------------------------------------------------
    "INVALID_ID_NUMBER": ErrorSpec(
        422,
        "身份证号码“{value}”无效：{reason_zh}。请核对18位居民身份证号码后重新输入。",
        "The ID number '{value}' is not valid: {reason_en}. Check the 18-character resident ID number and enter it again.",
    ),
    "INVALID_AMOUNT": ErrorSpec(
        422,
        "金额“{field}”无效：{reason_zh}。金额以“分”为单位，须为正整数（例如 12.50 元写作 1250）。",
        "The amount '{field}' is not valid: {reason_en}. Amounts are whole fen, a positive integer (12.50 yuan is 1250).",
    ),
    "INVALID_FIELD": ErrorSpec(
        422,
        "“{field}”填写有误：{reason_zh}",
        "The field '{field}' is not valid: {reason_en}",
    ),
    "INVALID_REGION": ErrorSpec(
        422,
        "行政区划代码“{value}”无效：须为6位数字的统筹区代码（例如 230100 哈尔滨市）。",
        "The region code '{value}' is not valid: use the 6-digit administrative division code (e.g. 230100 Harbin).",
    ),
    "DATE_IN_PAST": ErrorSpec(
        422,
        "“{field}”不能早于今天（{today}）。请选择今天或以后的日期。",
        "'{field}' may not be before today ({today}). Choose today or a later date.",
    ),
    "INVALID_PERIOD": ErrorSpec(
        422,
        "授权期限无效：终止日期（{end_on}）须晚于开始日期（{start_on}）。不填终止日期表示长期有效。",
        "The validity period is not valid: the end date ({end_on}) must be after the start date ({start_on}). "
        "Leave the end date empty for no end.",
    ),
    "UNKNOWN_RELATIONSHIP": ErrorSpec(
        422,
        "亲属关系“{value}”无法识别。可选：{allowed}。",
        "The relationship '{value}' is not known. Choose one of: {allowed}.",
    ),
    "UNKNOWN_USE": ErrorSpec(
        422,
        "费用用途“{value}”无法识别。可选：{allowed}。",
        "The use '{value}' is not known. Choose one of: {allowed}.",
    ),
    "INVALID_IDEMPOTENCY_KEY": ErrorSpec(
        422,
        "请求缺少有效的幂等键（1至100个可见字符）。请为每笔业务生成唯一的键，重试时使用同一个键。",
        "The request needs an idempotency key of 1 to 100 visible characters. Make one per operation and "
        "send the same key when you retry.",
    ),
    # ---- things that do not exist -------------------------------------------------------------
    "PERSON_NOT_FOUND": ErrorSpec(
        404,
        "未找到身份证号码为 {id_number} 的参保人。请核对号码，或确认其已在本省参保登记。",
        "No insured person with ID number {id_number} was found. Check the number, or make sure the person is "
        "enrolled here.",
    ),
    "PERSON_EXISTS": ErrorSpec(
        409,
        "身份证号码为 {id_number} 的人员已登记，无需重复登记。",
        "A person with ID number {id_number} is already registered.",
    ),
    "NOT_ENROLLED": ErrorSpec(
        409,
        "{name} 没有有效的参保登记（{status_zh}），不能办理此业务。请先到医保经办机构办理参保。",
        "{name} has no valid enrollment ({status_en}) and cannot take part. Enroll at an insurance office first.",
    ),
    "INSTITUTION_NOT_FOUND": ErrorSpec(
        404,
        "未找到编码为 {code} 的定点医药机构。请核对机构编码。",
        "No designated institution with code {code} was found. Check the institution code.",
    ),
    "BINDING_NOT_FOUND": ErrorSpec(
        404,
        "未找到编号为 {binding_id} 的共济绑定。",
        "No mutual-aid binding with number {binding_id} was found.",
    ),
    "SETTLEMENT_NOT_FOUND": ErrorSpec(
        404,
        "未找到编号为 {settlement_id} 的结算记录。",
        "No settlement with number {settlement_id} was found.",
    ),
    "FAMILY_NOT_FOUND": ErrorSpec(
        404,
        "未找到编号为 {family_id} 的共济家庭。",
        "No mutual-aid family with number {family_id} was found.",
    ),
    "ACCOUNT_NOT_FOUND": ErrorSpec(
        404,
        "{name} 没有职工医保个人账户。",
        "{name} has no employee personal account.",
    ),
    "NOTIFICATION_NOT_FOUND": ErrorSpec(
        404,
        "您的消息中没有编号为 {notification_id} 的消息。请刷新消息列表后再试。",
        "There is no message with number {notification_id} among your messages. Refresh the list and try again.",
    ),
    # ---- who may bind whom --------------------------------------------------------------------
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
    # ---- families (Henan style) -------------------------------------------------------------
    "FAMILY_REQUIRED": ErrorSpec(
        409,
        "本地区需先建立共济家庭并将 {name} 添加为家庭成员，才能绑定。",
        "In this region, first create a mutual-aid family and add {name} as a member, then bind.",
    ),
    "ALREADY_IN_FAMILY": ErrorSpec(
        409,
        "{name} 已在一个共济家庭中（家庭编号 {family_id}）。一人只能加入一个共济家庭，请先离开原家庭。",
        "{name} already belongs to a mutual-aid family (number {family_id}). A person can be in one family; leave "
        "it first.",
    ),
    "NOT_FAMILY_MEMBER": ErrorSpec(
        404,
        "{name} 不是该共济家庭的成员。",
        "{name} is not a member of this family.",
    ),
    "NOT_HOUSEHOLDER": ErrorSpec(
        403,
        "只有户主（共济人）可以维护家庭成员。",
        "Only the householder (the payer) can manage the members of the family.",
    ),
    "HOUSEHOLDER_CANNOT_LEAVE": ErrorSpec(
        409,
        "户主不能离开自己建立的家庭；如需解散，请先删除全部成员。",
        "The householder cannot leave the family; remove all members first to dissolve it.",
    ),
    # ---- settlement ---------------------------------------------------------------------------
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
    # ---- transfers and contributions -----------------------------------------------------------
    "INSUFFICIENT_PRIOR_YEARS": ErrorSpec(
        409,
        "划转金额 {amount:yuan} 元超过 {name} 当前历年账户余额 {balance:yuan} 元。请减少金额。",
        "The transfer of {amount:yuan} yuan exceeds {name}'s current prior-years balance of {balance:yuan} yuan. "
        "Lower the amount.",
    ),
    "INSUFFICIENT_BALANCE": ErrorSpec(
        409,
        "{name} 可用于亲属的个人账户余额为 {available:yuan} 元，不足 {amount:yuan} 元。",
        "{name} has {available:yuan} yuan available for relatives, less than the {amount:yuan} yuan needed.",
    ),
    "USE_NOT_ALLOWED": ErrorSpec(
        409,
        "本地区（{region_name}）的家庭共济资金不能用于“{use_zh}”。",
        "In this region ({region_name}) mutual-aid money cannot pay for '{use_en}'.",
    ),
    # ---- the medical insurance wallet (WAL-1..WAL-4) ------------------------------------------
    "WALLET_NOT_OPEN": ErrorSpec(
        409,
        "{name} 尚未开通医保钱包，不能向其转账。请 {name} 本人先开通医保钱包，再进行转账。",
        "{name} has no medical insurance wallet yet, so nothing can be sent to it. {name} opens the wallet first; "
        "then send the transfer.",
    ),
    "WALLET_CLOSED": ErrorSpec(
        409,
        "{name} 的医保钱包已关闭，不能再转入。如需继续，请 {name} 到经办机构办理。",
        "{name}'s medical insurance wallet is closed and takes no more money. {name} can ask insurance staff.",
    ),
    "WALLET_NOT_EMPTY": ErrorSpec(
        409,
        "{name} 的医保钱包还有 {balance:yuan} 元，或有 {waiting} 笔转账待接收，暂不能关闭。请先用完余额、处理待接收的转账后再关闭。",
        "{name}'s wallet still holds {balance:yuan} yuan, or {waiting} transfer(s) wait to be accepted, so it cannot be "
        "closed yet. Spend the balance and deal with the waiting transfers first.",
    ),
    "WALLET_NOT_FOUND": ErrorSpec(
        404,
        "{name} 尚未开通医保钱包。本人可在网上服务大厅或经办窗口开通。",
        "{name} has not opened a medical insurance wallet. It is opened by its holder online or at a counter.",
    ),
    "WALLET_DAILY_LIMIT": ErrorSpec(
        409,
        "{name} 今天（{on}）已向医保钱包转账 {count} 笔，每天最多 {limit} 笔。请于 {next_from} 后再转。",
        "{name} has already sent {count} wallet transfers today ({on}); at most {limit} a day. "
        "Send again from {next_from}.",
    ),
    "WALLET_AMOUNT_LIMIT": ErrorSpec(
        409,
        "每笔医保钱包转账最多 {limit:yuan} 元，本次为 {amount:yuan} 元。请减少金额，或分笔转账（每天最多 {count} 笔）。",
        "A wallet transfer moves at most {limit:yuan} yuan; this one is {amount:yuan} yuan. Lower the amount, or "
        "split it (at most {count} transfers a day).",
    ),
    "WALLET_QUIET_HOURS": ErrorSpec(
        409,
        "每天 {quiet_from} 至次日 {quiet_until}（北京时间）不能向医保钱包转账，现在是 {now}。请于 {next_from} 后再转。",
        "No wallet transfer is sent from {quiet_from} to {quiet_until} the next morning (China Standard Time); "
        "it is {now}. Send it from {next_from}.",
    ),
    "WALLET_TRANSFER_NOT_FOUND": ErrorSpec(
        404,
        "没有编号为 {transfer_id} 的医保钱包转账。请核对编号。",
        "There is no wallet transfer with the number {transfer_id}. Check the number.",
    ),
    "WALLET_TRANSFER_NOT_PENDING": ErrorSpec(
        409,
        "医保钱包转账 {transfer_no} 已{state_zh}，不能再接收。可查询钱包余额和账户变动。",
        "The wallet transfer {transfer_no} has already been {state_en}; it cannot be accepted again. "
        "See the wallet's balance and account changes.",
    ),
    "WALLET_TRANSFER_EXPIRED": ErrorSpec(
        409,
        "医保钱包转账 {transfer_no} 须在 {due} 前接收，现已超时，款项将原路退回转出人。如需要，请对方重新转账。",
        "The wallet transfer {transfer_no} had to be accepted before {due}; it was not, and the money goes back to "
        "the sender. Ask the sender to send it again if needed.",
    ),
    "PROVINCE_NOT_CONNECTED": ErrorSpec(
        409,
        "省份代码 {province} 的医保平台尚未与本平台联通，无法向该省转入医保钱包。请核对亲属参保的省份，或稍后再试。",
        "The insurance platform of province {province} is not connected to this one, so no wallet transfer can go "
        "there. Check the province where the relative is insured, or try again later.",
    ),
    "FEDERATION_NOT_CONFIGURED": ErrorSpec(
        409,
        "本平台未配置跨省互联（GONGJI_FEDERATION），不能收发跨省消息。请管理员配置后再试。",
        "This instance has no federation settings (GONGJI_FEDERATION), so it cannot send or receive messages of "
        "other provinces. Ask an administrator to configure it.",
    ),
    "FEDERATION_SIGNATURE_INVALID": ErrorSpec(
        401,
        "跨省消息未通过验证：{reason_zh}。请核对两端配置的密钥和时钟。",
        "The message between instances was not accepted: {reason_en}. Check the secret both ends are configured "
        "with, and their clocks.",
    ),
    "FEDERATION_MESSAGE_INVALID": ErrorSpec(
        422,
        "跨省消息格式有误：{reason}。发送方须修正后重新发送。",
        "The message between instances is malformed: {reason}. The sender must correct it and send it again.",
    ),
    "FEDERATION_MISROUTED": ErrorSpec(
        422,
        "这条跨省消息发往 {destination}，而本平台是 {here}，不能处理。请核对转发配置。",
        "This message is for {destination}, but this instance is {here}; it cannot be handled here. Check the "
        "routing settings.",
    ),
    "WALLET_TRANSFER_ELSEWHERE": ErrorSpec(
        409,
        "医保钱包转账 {transfer_no} 的收款亲属在省份 {province} 参保，须在该省的医保平台接收。",
        "The relative of wallet transfer {transfer_no} is insured in province {province}; it is accepted on that "
        "province's platform.",
    ),
    "NOT_RESIDENT_ENROLLEE": ErrorSpec(
        409,
        "{name} 参加的不是城乡居民医保，无需代缴居民医保个人缴费。",
        "{name} is not enrolled in resident insurance, so there is no resident contribution to pay.",
    ),
    "NOT_BOUND": ErrorSpec(
        409,
        "{payer_name} 与 {beneficiary_name} 之间没有有效的共济绑定。请先办理绑定。",
        "{payer_name} has no active binding to pay for {beneficiary_name}. Make a binding first.",
    ),
    "CONTRIBUTION_AMOUNT": ErrorSpec(
        422,
        "{name} 的 {year} 年度居民医保个人缴费标准为 {due:yuan} 元，不是 {amount:yuan} 元。请按标准金额缴费。",
        "{name}'s resident contribution for {year} is {due:yuan} yuan, not {amount:yuan} yuan. Pay the set amount.",
    ),
    "CONTRIBUTION_ALREADY_PAID": ErrorSpec(
        409,
        "{name} 的 {year} 年度居民医保个人缴费已经缴纳，无需重复缴费。",
        "{name}'s resident contribution for {year} has already been paid.",
    ),
    # ---- the HTTP API: requests, identity and access ------------------------------------------
    "INVALID_REQUEST": ErrorSpec(
        422,
        "请求内容有误：{summary_zh}。请按说明修改后重新提交。",
        "The request is not valid: {summary_en}. Correct it as described and send it again.",
    ),
    "MALFORMED_BODY": ErrorSpec(
        400,
        "请求正文不是有效的JSON：{reason}。请发送UTF-8编码的JSON对象。",
        "The request body is not valid JSON: {reason}. Send a JSON object encoded in UTF-8.",
    ),
    "BODY_TOO_LARGE": ErrorSpec(
        413,
        "请求正文超过 {limit} 字节的上限。请减少内容后重新提交。",
        "The request body is larger than the limit of {limit} bytes. Send less.",
    ),
    "UNSUPPORTED_MEDIA_TYPE": ErrorSpec(
        415,
        "请求正文须为 application/json。",
        "Send the request body as application/json.",
    ),
    "ROUTE_NOT_FOUND": ErrorSpec(
        404,
        "没有这个接口：{method} {path}。接口列表见 /docs。",
        "There is no such endpoint: {method} {path}. The list of endpoints is at /docs.",
    ),
    "METHOD_NOT_ALLOWED": ErrorSpec(
        405,
        "接口 {path} 不支持 {method} 方法。",
        "The endpoint {path} does not accept {method}.",
    ),
    "IDEMPOTENCY_KEY_REQUIRED": ErrorSpec(
        428,
        "此业务涉及资金或绑定变更，请求须带 Idempotency-Key 请求头（每笔业务一个新的唯一值，重试时保持不变）。",
        "This request moves money or changes a binding: send an Idempotency-Key header (a new unique value for "
        "each operation, the same value when you retry).",
    ),
    "AUTH_REQUIRED": ErrorSpec(
        401,
        "请先登录。参保人和经办人员请携带登录令牌（Authorization: Bearer …）；定点机构请对请求签名。",
        "Log in first. Insured people and staff send their token (Authorization: Bearer ...); institutions sign "
        "their requests.",
    ),
    "LOGIN_FAILED": ErrorSpec(
        401,
        "账号或密码不正确，请核对后重试。忘记密码请携带身份证到经办窗口重置。",
        "The account or the password is not right. Check them and try again; to reset a forgotten password, "
        "bring your ID card to a service counter.",
    ),
    "LOGIN_THROTTLED": ErrorSpec(
        429,
        "{subject_zh}登录失败次数过多（{window}分钟内{limit}次），已暂停登录。请于北京时间 {retry_at} 后（约 {minutes} "
        "分钟后）再试；忘记密码请携带身份证到经办窗口重置。",
        "Too many failed logins {subject_en} ({limit} within {window} minutes): logging in is paused. Try again "
        "after {retry_at} China Standard Time (in about {minutes} minutes); to reset a forgotten password, bring "
        "your ID card to a service counter.",
    ),
    "SESSION_EXPIRED": ErrorSpec(
        401,
        "登录已过期或已退出，请重新登录。",
        "Your login has expired or was ended. Log in again.",
    ),
    "SIGNATURE_INVALID": ErrorSpec(
        401,
        "请求签名无效：{reason_zh}。请按接口文档用机构密钥对“方法、路径、时间、随机数、正文摘要”签名。",
        "The request signature is not valid: {reason_en}. Sign method, path, time, nonce and body digest with "
        "the institution's secret as the API documentation describes.",
    ),
    "SIGNATURE_STALE": ErrorSpec(
        401,
        "请求时间 {timestamp} 与服务器时间相差超过 {window} 秒。请校准机构服务器时钟后重新签名发送。",
        "The request time {timestamp} is more than {window} seconds away from the server's clock. Set the "
        "institution's clock right, sign again and resend.",
    ),
    "SIGNATURE_REPLAYED": ErrorSpec(
        401,
        "该签名请求已收到过（随机数重复），不予重复处理。每次请求请使用新的随机数；重试业务请用相同的 Idempotency-Key。",
        "This signed request was already received (the nonce repeats) and is not processed again. Use a new "
        "nonce for every request; to retry an operation, keep its Idempotency-Key.",
    ),
    "FORBIDDEN": ErrorSpec(
        403,
        "您无权{action_zh}。",
        "You are not allowed to {action_en}.",
    ),
    "OUTSIDE_YOUR_REGION": ErrorSpec(
        403,
        "{what_zh}不在您的管辖区域（{region}）内，不能办理。请由其参保地经办机构办理。",
        "{what_en} is outside your region ({region}). The office of the region where it is insured can help.",
    ),
    "STAFF_NOT_FOUND": ErrorSpec(
        404,
        "没有编号为 {staff_id} 的经办人员。",
        "There is no staff member with the id {staff_id}.",
    ),
    "STAFF_EXISTS": ErrorSpec(
        409,
        "编号为 {staff_id} 的经办人员已存在。",
        "A staff member with the id {staff_id} already exists.",
    ),
    "WEAK_PASSWORD": ErrorSpec(
        422,
        "密码至少8位，且须同时包含字母和数字。",
        "A password has at least 8 characters, with both letters and digits.",
    ),
    "REFUND_NOT_FOUND": ErrorSpec(
        404,
        "没有编号为 {refund_id} 的退费记录。",
        "There is no refund with the number {refund_id}.",
    ),
    # ---- the national platform interface (NI-1..NI-6) -------------------------------------------
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
    # ---- batch jobs (gongji credit-month, year-end) ----------------------------------------------
    "BATCH_PERIOD_INVALID": ErrorSpec(
        422,
        "期间“{value}”的格式有误：请写作 {form}，例如 {example}。",
        "The period '{value}' is not valid: write it as {form}, for example {example}.",
    ),
    "MONTH_NOT_REACHED": ErrorSpec(
        409,
        "{period} 尚未到来（今天是 {today}），不能提前记入该月的个人账户资金。请在 {from_on} 或之后运行 gongji credit-month {period}。",
        "The month {period} has not begun (today is {today}), so it cannot be credited yet. Run gongji credit-month "
        "{period} on or after {from_on}.",
    ),
    "YEAR_NOT_ENDED": ErrorSpec(
        409,
        "{year} 年尚未结束（今天是 {today}），不能进行年度结转。请在 {from_on} 或之后运行 gongji year-end {year}。",
        "The year {year} has not ended (today is {today}), so it cannot be rolled over yet. Run gongji year-end "
        "{year} on or after {from_on}.",
    ),
    "YEAR_END_PENDING": ErrorSpec(
        409,
        "{year} 年已有月度记入（最近一次为 {last_period}），但该年的年度结转尚未完成。请先运行 gongji year-end {year}，"
        "再记入 {period}；否则新记入的资金会被一并结转到历年账户。",
        "Months of {year} were credited (the latest {last_period}) but the year-end roll-over of {year} is not "
        "done. Run gongji year-end {year} first, then credit {period}; otherwise the new credit would be rolled "
        "over into prior-years funds too.",
    ),
    "YEAR_CLOSED": ErrorSpec(
        409,
        "{year} 年的年度结转已经开始，当年账户现属 {next_year} 年，不能再记入 {period}。如需补记，请按人逐笔更正入账。",
        "The year-end roll-over of {year} has begun and current-year funds now belong to {next_year}, so {period} "
        "can no longer be credited. Make a late credit as a correction, person by person.",
    ),
    "CREDITING_UNFINISHED": ErrorSpec(
        409,
        "{period} 的月度记入尚未全部完成，不能进行 {year} 年的年度结转。请先再次运行 gongji credit-month {period} "
        "将其完成，再运行 gongji year-end {year}。",
        "The monthly credit of {period} is not finished, so {year} cannot be rolled over yet. Run gongji "
        "credit-month {period} again to finish it, then gongji year-end {year}.",
    ),
    "LATER_YEAR_CREDITED": ErrorSpec(
        409,
        "{period} 已经记入：现在结转 {year} 年，会把 {next_year} 年的记入也转入历年账户，因此不能进行。"
        "年度结转须在记入下一年任何月份之前完成；如仍需转入历年账户，请按人逐笔更正入账。",
        "{period} has already been credited: rolling over {year} now would move {next_year}'s credits into "
        "prior-years funds too, so it is refused. A year is rolled over before any month of the next year is "
        "credited; to move balances now, make corrections person by person.",
    ),
    "TRANSFER_NOT_FOUND": ErrorSpec(
        404,
        "没有编号为 {transfer_id} 的历年账户划转记录。请核对编号。",
        "There is no transfer of prior-years funds with the number {transfer_id}. Check the number.",
    ),
    "REGION_NOT_MANAGED": ErrorSpec(
        403,
        "地区 {region} 不在您的管辖范围（{yours}）内，不能{action_zh}。请由该地区的管理员办理。",
        "The region {region} is outside yours ({yours}), so you cannot {action_en}. An administrator of that "
        "region can do it.",
    ),
    "POLICY_INVALID": ErrorSpec(
        422,
        "地区政策设置“{key}”有误：{problems}。请修改后重新提交，现行政策保持不变。",
        "The region policy setting '{key}' is not valid: {problems}. Correct it and send the policy again; the "
        "current policy stays as it is.",
    ),
    "POLICY_DIR_NOT_CONFIGURED": ErrorSpec(
        409,
        "本服务使用程序自带的地区政策，不能在线修改。请运维人员将 GONGJI_POLICY_DIR 设为一个可写目录（放入现行政策文件）并重启服务，之后即可修改。",
        "This server uses the region policies built into the program, which cannot be changed online. The "
        "operators need to set GONGJI_POLICY_DIR to a writable folder holding the current policy files and "
        "restart the server; changes are possible after that.",
    ),
    "NOT_READY": ErrorSpec(
        503,
        "服务暂未就绪：{reason_zh}。需由运维人员{action_zh}；就绪后即可正常办理，请稍后重试。",
        "The service is not ready: {reason_en}. The operators need to {action_en}; requests can be served "
        "once it is ready, so try again later.",
    ),
    "INSTITUTION_SUSPENDED": ErrorSpec(
        409,
        "定点机构 {name}（{code}）已暂停，不能签发密钥。如需恢复，请先恢复该机构（PUT /v1/institutions/{code}/active），再签发新密钥。",
        "The institution {name} ({code}) is suspended, so no secret is issued for it. To let it work again, "
        "reactivate it first (PUT /v1/institutions/{code}/active), then issue a new secret.",
    ),
    # ---- the policy simulator (gongji simulate, /admin/simulate) ---------------------------------------
    "SIMULATION_UNKNOWN_KEY": ErrorSpec(
        422,
        "地区政策没有设置项“{key}”，无法模拟。可用的设置项：{allowed}。",
        "The region policy has no setting '{key}', so it cannot be simulated. The settings are: {allowed}.",
    ),
    "SIMULATION_BAD_VALUE": ErrorSpec(
        422,
        "模拟的政策设置“{key}”取值有误：{problems}。请改正后重新模拟；数据库中的任何数据都未改变。",
        "The simulated policy setting '{key}' is not valid: {problems}. Correct it and simulate again; nothing in "
        "the database was changed.",
    ),
    "SIMULATION_BAD_CHANGE": ErrorSpec(
        422,
        "无法读取政策变更“{change}”：{reason_zh}。请写成“设置项=取值”，例如 reserve_line_fen=300000。",
        "The policy change '{change}' cannot be read: {reason_en}. Write it as key=value, e.g. "
        "reserve_line_fen=300000.",
    ),
    "SIMULATION_BAD_PERIOD": ErrorSpec(
        422,
        "模拟期间无效：{reason_zh}。请给出开始和结束日期（YYYY-MM-DD），开始不晚于结束，且最长三年。",
        "The simulated period is not valid: {reason_en}. Give a start and an end date (YYYY-MM-DD), the start not "
        "after the end, at most three years.",
    ),
    "SIMULATION_BAD_REGION": ErrorSpec(
        422,
        "模拟地区“{value}”无效：请给出2、4或6位的行政区划代码前缀（例如 4403 深圳市、23 黑龙江省）。",
        "The simulated region '{value}' is not valid: give a 2-, 4- or 6-digit division-code prefix (e.g. 4403 "
        "Shenzhen, 23 Heilongjiang).",
    ),
    "SIMULATION_UNKNOWN_SCENARIO": ErrorSpec(
        422,
        "没有名为“{value}”的绑定情景。可选：{allowed}。",
        "There is no binding scenario '{value}'. The scenarios are: {allowed}.",
    ),
    "SIMULATION_BAD_ADDITIONS": ErrorSpec(
        422,
        "待增加的绑定文件第 {line} 行有误：{reason_zh}。每行为“共济人身份证号,使用人身份证号,关系”，关系如 spouse、parent。",
        "Line {line} of the bindings to add is not valid: {reason_en}. Each line is payer ID number, beneficiary "
        "ID number, relationship (e.g. spouse, parent).",
    ),
    # ---- imports: loading an insurer's files (gongji import; gongji/imports) -------------------------
    "IMPORT_UNREADABLE": ErrorSpec(
        422,
        "文件“{file}”无法导入：{reason_zh}。请检查文件后重新导入（支持 CSV 与 JSON lines，UTF-8 或 GBK 编码）。",
        "The file '{file}' cannot be imported: {reason_en}. Check the file and import it again (CSV or JSON lines, "
        "UTF-8 or GBK).",
    ),
    "IMPORT_MISSING_COLUMNS": ErrorSpec(
        422,
        "文件缺少必需的列：{missing_zh}。请在第一行（表头）加上这些列后重新导入，未导入任何数据。",
        "The file lacks required columns: {missing}. Add them to the first line (the header) and import it again; "
        "nothing was loaded.",
    ),
    "IMPORT_ROW_UNREADABLE": ErrorSpec(
        422,
        "第 {row} 行无法读取：{reason_zh}。该行未导入，其余各行照常导入；请更正后单独重新导入该行。",
        "Row {row} cannot be read: {reason_en}. It was not loaded, the other rows were; correct it and import it "
        "again on its own.",
    ),
    "IMPORT_DUPLICATE_ROW": ErrorSpec(
        422,
        "身份证号码 {id_number} 在本文件第 {first_row} 行已出现，同一人只能列一次。该行未导入。",
        "The ID number {id_number} is already on row {first_row} of this file; a person is listed once. This row "
        "was not loaded.",
    ),
    "IMPORT_PAYER_UNKNOWN": ErrorSpec(
        422,
        "共济人（身份证号码 {id_number}）尚未登记：须先导入共济人（在文件中排在使用人之前），或该行已被拒绝。该行未导入。",
        "The payer (ID number {id_number}) is not registered: list the payer before the relative in the file (or "
        "load him first), or see why his own row was rejected. This row was not loaded.",
    ),
    "IMPORT_HOUSEHOLDER_UNKNOWN": ErrorSpec(
        422,
        "户主（身份证号码 {id_number}）没有已登记的共济家庭：户主须排在家庭成员之前，并在“户主身份证号码”一栏填写本人号码。该行未导入。",
        "The householder (ID number {id_number}) leads no registered family: list the householder before the "
        "members, with his own ID number as householder. This row was not loaded.",
    ),
    # ---- life events: death, moves, changes of scheme (gongji/life) -----------------------------------
    "LIFE_EVENT_AFTER_END": ErrorSpec(
        409,
        "该参保人的参保关系已于 {since} 终止，不能再登记“{kind_zh}”。如登记有误，请先核实参保状态。",
        "This person's enrollment ended on {since}, so no {kind_en} can be recorded after it. If that is wrong, "
        "check the enrollment status first.",
    ),
    "IMPORT_RUN_BUSY": ErrorSpec(
        409,
        "导入批次 {run_id} 正由另一个进程同时导入，本次已停止。请等待其完成后再运行，已完成的部分不会重复导入。",
        "Import run {run_id} is being loaded by another process at the same time, so this one stopped. Wait for it "
        "to finish, then run again; what is done is not loaded twice.",
    ),
    # ---- database availability: failover, restarts (gongji.db) -----------------------------------
    "DATABASE_UNAVAILABLE": ErrorSpec(
        503,
        "数据库暂时无法连接（可能正在切换主库），本请求未办理，没有任何变动。请在 {retry_after} 秒后用相同的 Idempotency-Key 重试；如持续失败请联系运维。",
        "The database cannot be reached for the moment (a failover may be under way); this request was not carried "
        "out and nothing changed. Retry in {retry_after} seconds with the same Idempotency-Key; if it keeps "
        "failing, contact the operators.",
    ),
    "DATABASE_OUTCOME_UNKNOWN": ErrorSpec(
        503,
        "提交时与数据库的连接中断，本请求可能已办理，也可能未办理。请用相同的 Idempotency-Key 重试：已办理的会返回原结果，不会重复扣款。",
        "The connection to the database broke while the request was being committed, so it may or may not have "
        "been carried out. Retry with the same Idempotency-Key: if it was done, the retry returns the first "
        "answer and never pays twice.",
    ),
    # ---- the national interface as real HIS clients call it (x-tif gateway headers) ------------------------
    "NI_GATEWAY_SIGNATURE_INVALID": ErrorSpec(
        401,
        "国家医保网关签名无效：{reason_zh}。x-tif-paasid 为本机构编号，x-tif-signature 为 SHA256(时间戳+机构密钥+随机数+时间戳) 的十六进制。",
        "The national gateway signature is not valid: {reason_en}. x-tif-paasid is the institution's code, "
        "x-tif-signature the hex SHA-256 of timestamp + the institution's secret + nonce + timestamp.",
    ),
    # ---- the counter, agents and what payers see (N-7, PP-1, PP-2, AG-1; gongji/web) ----------------
    "SPOUSE_ALREADY_BOUND": ErrorSpec(
        409,
        "{side_zh}已有另一位配偶的共济绑定，一个人只能有一位配偶。请核对所选关系；如婚姻状况有变化，请先解除原绑定。",
        "There is already a binding with another spouse for {side_en}, and a person has one spouse. Check the "
        "relationship chosen; if the marriage has changed, end the old binding first.",
    ),
    # ---- hostile callers (issue 15): duplicate keys, binding by name, attempt limits, 1101 look-ups ---------
    "DUPLICATE_KEY": ErrorSpec(
        400,
        "请求正文中字段“{key}”在同一个对象里出现了不止一次，不予办理。每个字段只写一次后重新发送。",
        "The request body names the key '{key}' more than once in one object, so it is refused. Write each key "
        "once and send it again.",
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


class _MessageFormatter(string.Formatter):
    """``{amount:yuan}`` shows an amount of fen as yuan (``1250`` → ``12.50``): people read yuan, params stay fen."""

    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec == "yuan":
            if isinstance(value, int) and not isinstance(value, bool):
                sign = "-" if value < 0 else ""
                return f"{sign}{abs(value) // 100}.{abs(value) % 100:02d}"
            return str(value)
        return super().format_field(value, format_spec)


_FORMATTER = _MessageFormatter()


class GongjiError(Exception):
    """A refusal with a stable code, an HTTP status and a bilingual message.

    >>> GongjiError("SELF_BINDING").code
    'SELF_BINDING'
    """

    def __init__(self, code: str, /, **params: Any) -> None:
        if code not in CATALOGUE:
            raise KeyError(f"unknown error code {code!r}; add it to gongji.errors.CATALOGUE")
        spec = CATALOGUE[code]
        self.code = code
        self.status = spec.status
        self.params = params
        self.message_zh = _FORMATTER.format(spec.zh, **params)
        self.message_en = _FORMATTER.format(spec.en, **params)
        self.subject: tuple[str, int] | None = None
        super().__init__(f"{code}: {self.message_en}")

    def about(self, subject_type: str, subject_id: int) -> GongjiError:
        """Note what the refusal was about (``"person", 12``) for the record of refused access
        (:mod:`gongji.api.refusals`). Not a param: the caller is not told."""
        self.subject = (subject_type, subject_id)
        return self

    def message(self, language: str = "zh") -> str:
        return self.message_en if language.startswith("en") else self.message_zh

    def as_dict(self, language: str = "zh") -> dict[str, Any]:
        return {"code": self.code, "status": self.status, "message": self.message(language), "params": self.params}


def catalogue_markdown() -> str:
    """The catalogue as a Markdown table, for ``docs/errors.md`` (``gongji errors``)."""
    lines = [
        "# Error codes",
        "",
        "Every refusal carries one of these stable codes, an HTTP status, and a message in Chinese and English",
        "that says what was wrong and what to do. Codes are never renamed; clients may switch on them.",
        "Placeholders such as `{name}` are filled from the error's `params`; `{amount:yuan}` shows fen as yuan.",
        "This page is generated from `gongji/errors.py` by `gongji errors`.",
        "",
        "| code | status | 中文 | English |",
        "| --- | --- | --- | --- |",
    ]
    for code in sorted(CATALOGUE):
        spec = CATALOGUE[code]
        zh, en = (text.replace("|", "\\|") for text in (spec.zh, spec.en))
        lines.append(f"| `{code}` | {spec.status} | {zh} | {en} |")
    return "\n".join(lines) + "\n"
