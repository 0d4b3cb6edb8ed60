"""Input that is malformed, and things that do not exist."""

from gongji.errors.spec import ErrorSpec

CODES: dict[str, ErrorSpec] = {
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
}
