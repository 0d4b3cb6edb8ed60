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
    "ACCOUNT_TRANSFER_NO_ACCOUNT": ErrorSpec(
        409,
        "转入地没有该参保人的职工医保个人账户（未登记、未参加职工医保或参保关系已终止），个人账户余额暂不能转入，已退回转出地原账户。"
        "请先在转入地办理职工医保参保登记，再申请转移接续。",
        "The new province has no employee personal account for this person (not registered, not an employee "
        "enrollee, or the enrollment has ended), so the balance could not be taken in and went back to the account "
        "it came from. Enroll in the employee scheme in the new province first, then ask for the transfer again.",
    ),
}
