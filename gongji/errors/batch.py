"""Batch jobs: monthly crediting, year-end roll-over."""

from gongji.errors.spec import ErrorSpec

CODES: dict[str, ErrorSpec] = {
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
}
