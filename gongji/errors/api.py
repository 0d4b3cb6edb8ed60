"""The HTTP API: requests, identity, signatures and access."""

from gongji.errors.spec import ErrorSpec

CODES: dict[str, ErrorSpec] = {
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
    "DUPLICATE_KEY": ErrorSpec(
        400,
        "请求正文中字段“{key}”在同一个对象里出现了不止一次，不予办理。每个字段只写一次后重新发送。",
        "The request body names the key '{key}' more than once in one object, so it is refused. Write each key "
        "once and send it again.",
    ),
}
