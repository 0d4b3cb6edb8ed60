"""The policy simulator (gongji simulate, /admin/simulate)."""

from gongji.errors.spec import ErrorSpec

CODES: dict[str, ErrorSpec] = {
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
}
