"""The medical insurance wallet (WAL-1..WAL-4)."""

from gongji.errors.spec import ErrorSpec

CODES: dict[str, ErrorSpec] = {
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
}
