"""Families, Henan style (HN-1..HN-7)."""

from gongji.errors.spec import ErrorSpec

CODES: dict[str, ErrorSpec] = {
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
    "FAMILY_SPOUSE_EXISTS": ErrorSpec(
        409,
        "该共济家庭已有一位配偶成员，一个人只能有一位配偶。请核对所选关系；如婚姻状况有变化，请先移除原配偶成员。",
        "This family already has a member who is the householder's spouse, and a person has one spouse. Check the "
        "relationship chosen; if the marriage has changed, remove the former spouse from the family first.",
    ),
}
