"""Life events: death, moves, changes of scheme (gongji/life)."""

from gongji.errors.spec import ErrorSpec

CODES: dict[str, ErrorSpec] = {
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
}
