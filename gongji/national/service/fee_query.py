"""5204 费用明细查询: the fee details a settlement settled, line by line, as 2204 split them (NI-3, NI-4).

The Zebone client calls it right after every 2207 and cancels the settlement (2208) when it fails, so it answers
every settlement of the institution's own. A cancelled outpatient settlement's lines wait for the next settlement
of the visit and are no longer its lines: its answer is empty.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select

from gongji.national import tables, wire
from gongji.national.models import NiFeeDetail, NiSettlement, NiVisit
from gongji.national.service.answers import line_split
from gongji.national.service.cancelling import settlement_of
from gongji.national.service.message import Message, psn_no_of


def _plain(value: Decimal) -> Decimal:
    """A stored quantity or price without the column's trailing zeros (1.0000 → 1, 12.500000 → 12.5)."""
    return value.normalize() if value != value.to_integral_value() else value.quantize(Decimal(1))


def query_fee_details(msg: Message, data: dict[str, Any]) -> list[dict[str, Any]]:
    node = wire.read(data.get("data"), tables.FEE_QUERY, node_name="data", node_zh="费用明细查询信息")
    person = msg.person(node["psn_no"])
    row: NiSettlement = settlement_of(msg, node["setl_id"], person, node["mdtrt_id"])
    visit = msg.session.get(NiVisit, row.visit_id)
    lines = msg.session.execute(select(NiFeeDetail).where(NiFeeDetail.settlement_id == row.id)
                                .order_by(NiFeeDetail.id)).scalars()
    out = []
    for line in lines:
        split = line_split({"feedetl_sn": line.feedetl_sn, "det_item_fee_sumamt": line.amount_fen,
                            "cnt": _plain(line.cnt), "pric": _plain(line.pric), "med_list_codg": line.med_list_codg},
                           limited=True)
        out.append({
            "feedetl_sn": line.feedetl_sn, "mdtrt_id": str(visit.id), "setl_id": str(row.id),
            "psn_no": psn_no_of(person), "med_type": row.med_type, "rx_drord_no": line.rxno or "",
            "fee_ocur_time": wire.time_text(line.fee_ocur_time), **split,
            "hilist_code": line.med_list_codg, "med_list_codg": line.med_list_codg,
            "medins_list_codg": line.medins_list_codg,
        })
    return out
