"""Imports: loading an insurer's files (gongji import; gongji/imports)."""

from gongji.errors.spec import ErrorSpec

CODES: dict[str, ErrorSpec] = {
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
}
