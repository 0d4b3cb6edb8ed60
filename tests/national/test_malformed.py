"""Malformed national-interface messages, field by field, on both databases: each one is answered in the envelope
with infcode -1 and a clear err_msg, and changes nothing (NI-1, NI-5).

For every field of the input tables of 1101, 2201, 2204, 2206, 2207, 2208, 2601, 5203 and 3201 (from
``gongji/national/tables.py``, so a field added there is tested here too) the message is sent with that one field
wrong: of the wrong JSON type (a list, an object, a boolean, a negative or fractional number where text is due),
100 kB long, an amount with three decimals, negative, NaN or Infinity, beyond range, an unknown code; and with
each required field left out. Then whole messages that cannot be read: other encodings, a byte-order mark,
nesting without end, a lone surrogate. Last, hypothesis puts arbitrary JSON into arbitrary fields of a 2207.

``tests/national/test_amounts.py`` and ``test_envelope.py`` hold the finer points of amounts and of the envelope;
this file is the broad sweep.
"""

from __future__ import annotations

import json
import time
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gongji.national import tables, wire
from tests.national.conftest import (
    answer,
    business,
    cancel_input,
    drug_input,
    encode,
    fee_line,
    open_visit,
    person_query,
    query_input,
    register_input,
    reversal_input,
    settle_input,
    unchanged,
    yuan,
)

HUGE = "长" * 100_000  # 100 kB and more in UTF-8
#: Wrong values for every field, by the field's kind; each is refused naming the field.
WRONG: dict[str, list[tuple[str, Any]]] = {
    "any": [("a list", ["1"]), ("an object", {"v": "1"}), ("true", True), ("false", False), ("100 kB", HUGE)],
    wire.TEXT: [("a negative number", Decimal("-1")), ("a fraction", Decimal("1.5")), ("a NUL", "1\x00"),
                ("a control character", "1\x1b[2J")],
    wire.AMOUNT: [("three decimals", Decimal("12.345")), ("three decimals as text", "12.345"),
                  ("negative", Decimal("-0.01")), ("negative as text", "-800.00"), ("NaN as text", "NaN"),
                  ("Infinity as text", "Infinity"), ("an exponent", "1e3"), ("beyond range", Decimal("1E+400")),
                  ("17 digits", "9" * 17), ("tiny exponent", Decimal("1E-400")), ("a word", "八百元")],
    wire.NUMBER: [("too many decimals", Decimal("1.0000001")), ("negative", Decimal("-1")), ("NaN as text", "NaN"),
                  ("beyond range", Decimal("1E+400")), ("a word", "三")],
    wire.DATE: [("a number", Decimal("20250602")), ("no such day", "2025-02-30"), ("slashes", "2025/06/02")],
    wire.DATETIME: [("a number", Decimal("20250602093000")), ("no such hour", "2025-06-02 25:00:00"),
                    ("ISO T without seconds", "2025-06-02T09:30"), ("an offset without colon", "2025-06-02T09:30:00+0800")],
}
#: Codes no table knows, for the fields whose codes the project knows all of.
UNKNOWN_CODE = ("an unknown code", "ZZ")


@pytest.fixture
def patient(api):
    return api.world.person("张三", current_fen=100_000)


@pytest.fixture
def messages(api, hospital, patient) -> dict[str, tuple[Any, tuple[Any, ...], tuple[wire.Field, ...]]]:
    """A valid input of each transaction, the node its fields are in, and the fields' table.

    A settled visit stands behind 2208, 2601 and 5203; an open one with 800.00 of fees behind 2206 and 2207.
    """
    settled_visit = open_visit(hospital, patient, ["500.00"])
    message, response = hospital.exchange("2207", settle_input(patient, settled_visit, "500.00"), psn=patient)
    setl_id = answer(response)["output"]["setlinfo"]["setl_id"]
    visit = open_visit(hospital, patient, ["500.00", "300.00"])
    statement = {"data": {"insutype": "310", "clr_type": "11", "setl_optins": "230100",
                          "stmt_begndate": "2025-06-02", "stmt_enddate": "2025-06-02",
                          "medfee_sumamt": yuan(50_000), "fund_pay_sumamt": yuan(0), "acct_pay": yuan(50_000),
                          "fixmedins_setl_cnt": 1}}
    diagnosis = {"diag_type": "1", "diag_srt_no": Decimal(1), "diag_code": "J06.900", "diag_name": "急性上呼吸道感染",
                 "diag_dept": "内科", "dise_dor_no": "D001", "dise_dor_name": "李医生",
                 "diag_time": "2025-06-02 09:35:00", "vali_flag": "1"}
    visit_info = {"mdtrtinfo": {"mdtrt_id": visit, "psn_no": str(patient.id), "med_type": "11",
                                "begntime": "2025-06-02 09:30:00", "main_cond_dscr": "咳嗽", "dise_codg": "J06.900",
                                "dise_name": "急性上呼吸道感染"}, "diseinfo": [diagnosis]}
    purchase = drug_input(patient, [("1", "2", "15.50")])
    return {
        "1101": (person_query(patient), ("data",), tables.PERSON_QUERY),
        "2203": (visit_info, ("mdtrtinfo",), tables.VISIT_INFO),
        "2203 diseinfo": (visit_info, ("diseinfo", 0), tables.DIAGNOSIS),
        "2102": (purchase, ("druginfo",), tables.DRUG_PURCHASE),
        "2102 drugdetail": (purchase, ("drugdetail", 0), tables.DRUG_DETAIL),
        "2201": (register_input(patient, ipt_otp_no="MZ9001"), ("data",), tables.REGISTRATION),
        "2204": ({"feedetail": [fee_line(patient, visit, "C-1", "10.00", batch="B009")]}, ("feedetail", 0),
                 tables.FEE_DETAIL),
        "2206": (settle_input(patient, visit, "800.00", final=False), ("data",), tables.PRE_SETTLEMENT),
        "2207": (settle_input(patient, visit, "800.00"), ("data",), tables.SETTLEMENT),
        "2208": (cancel_input(patient, setl_id, settled_visit), ("data",), tables.CANCELLATION),
        "2601": (reversal_input(patient, message["msgid"], "2207"), ("data",), tables.REVERSAL),
        "5203": (query_input(patient, setl_id, settled_visit), ("data",), tables.SETTLEMENT_QUERY),
        "3201": (statement, ("data",), tables.RECONCILIATION),
    }


def with_value(data: Any, node: tuple[Any, ...], name: str, value: Any) -> Any:
    """A copy of ``data`` with field ``name`` of ``node`` set to ``value`` (left out for :data:`LEAVE_OUT`)."""
    copy = json.loads(encode(data), parse_float=Decimal, parse_int=Decimal)
    target = copy
    for step in node:
        target = target[step]
    if value is LEAVE_OUT:
        target.pop(name, None)
    else:
        target[name] = value
    return copy


LEAVE_OUT = object()


def refused(api, his, patient, infno: str, data: Any, fuzz_tally, *, raw: bytes | None = None) -> str:
    """Send, expect HTTP 200 with infcode -1, no output, an err_msg of at most 200 characters with a code; and no
    change to any business table. The err_msg."""
    with unchanged(api.world):
        if raw is None:
            _, response = his.exchange(infno.split()[0], data, psn=patient)
        else:
            response = his.post(raw)
    fuzz_tally["national"] += 1
    assert response.status_code == 200, response.text[:300]
    got = answer(response)
    assert got["infcode"] == -1 and got["output"] is None, got
    err = got["err_msg"]
    assert err.startswith("【NI_") and "】" in err and len(err) <= 200, err
    return err


@pytest.mark.parametrize("infno", ["1101", "2201", "2203", "2203 diseinfo", "2204", "2206", "2207", "2208", "2601",
                                   "5203", "3201", "2102", "2102 drugdetail"])
def test_ni_1_every_field_wrong_in_every_way_is_refused_by_name_and_changes_nothing(
        api, hospital, pharmacy, patient, messages, infno, fuzz_tally):
    """NI-1, NI-5: one field wrong at a time; the answer names it (its code and its Chinese name)."""
    data, node, fields = messages[infno]
    his = pharmacy if infno.startswith("21") else hospital
    for spec in fields:
        cases = WRONG["any"] + WRONG[spec.kind] + ([UNKNOWN_CODE] if spec.choices else [])
        for what, value in cases:
            err = refused(api, his, patient, infno, with_value(data, node, spec.name, value), fuzz_tally)
            assert spec.name in err and spec.zh in err, (spec.name, what, err)
            assert err.startswith(("【NI_FIELD_INVALID】", "【NI_AMOUNT_INVALID】")), (spec.name, what, err)
        if spec.required:
            err = refused(api, his, patient, infno, with_value(data, node, spec.name, LEAVE_OUT), fuzz_tally)
            assert err.startswith("【NI_FIELD_REQUIRED】") and spec.name in err, (spec.name, err)


@pytest.mark.parametrize("infno", ["2201", "2206", "2207"])
def test_ni_1_an_unknown_insurance_type_is_refused(api, hospital, patient, messages, infno, fuzz_tally):
    """insutype names the scheme the patient is insured in (310, employee): 390 for him, or a code that no table
    has, is refused by name."""
    data, node, _ = messages[infno]
    for insutype in ("390", "999", "3100"):
        err = refused(api, hospital, patient, infno, with_value(data, node, "insutype", insutype), fuzz_tally)
        assert "insutype" in err or "险种类型" in err, (insutype, err)


@pytest.mark.parametrize("infno", ["2204", "2206", "2207", "2208"])
def test_ni_1_nodes_of_the_wrong_shape_are_refused(api, hospital, patient, messages, infno, fuzz_tally):
    """The node itself a list, text, a number, null, or missing: refused naming the node."""
    data, node, _ = messages[infno]
    name = node[0]
    for value in ([], "data", Decimal(1), None, [[]], ["row"], [None]):
        err = refused(api, hospital, patient, infno, {**data, name: value}, fuzz_tally)
        assert name in err or "input" in err or "feedetail" in err, (value, err)
    refused(api, hospital, patient, infno, {**data, name: {}}, fuzz_tally)  # the node's first required field
    refused(api, hospital, patient, infno, {}, fuzz_tally)


def test_ni_1_messages_that_cannot_be_read_are_refused(api, hospital, patient, messages, fuzz_tally):
    """Other encodings (GBK, UTF-16), a byte-order mark, NaN and Infinity as JSON words, nesting without end, an
    unpaired surrogate escape, an empty body: NI_MESSAGE_UNREADABLE, saying why."""
    data = messages["2207"][0]
    text = encode(hospital.envelope("2207", data, psn=patient))
    bodies = {
        "GBK": text.encode("gbk"),
        "UTF-16": text.encode("utf-16"),
        "a UTF-8 byte-order mark": b"\xef\xbb\xbf" + text.encode(),
        "NaN": encode(hospital.envelope("2207", with_value(data, ("data",), "medfee_sumamt", Decimal("NaN")),
                                        psn=patient)).encode(),
        "Infinity": encode(hospital.envelope("2207", with_value(data, ("data",), "medfee_sumamt",
                                                                Decimal("-Infinity")), psn=patient)).encode(),
        "deep nesting": b'{"infno": "2207", "input": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        "a lone surrogate": text.replace('"2207"', '"\\ud800"', 1).encode(),
        "a lone surrogate in a name": text.replace('"opter_name":', '"\\udfff":', 1).encode(),
        "empty": b"",
        "truncated": text.encode()[: len(text) // 2],
    }
    for what, body in bodies.items():
        err = refused(api, hospital, patient, "2207", None, fuzz_tally, raw=body)
        assert err.startswith("【NI_MESSAGE_UNREADABLE】"), (what, err)


def test_ni_1_numbers_with_huge_exponents_are_answered_at_once(api, hospital, patient, messages, fuzz_tally):
    """1E+999999999 is a dozen bytes of JSON and a billion digits written out: in a field it is refused by name, in
    a field the table does not know (exp_content) it is ignored, and either way the answer comes at once."""
    data, _, fields = messages["2207"]
    text = encode(hospital.envelope("2207", with_value(data, ("data",), "exp_content", "HUGE"), psn=patient))
    started = time.perf_counter()
    for spec in fields:
        body = text.replace(f'"{spec.name}":', f'"{spec.name}":1E+999999999,"{spec.name}_was":', 1).encode()
        err = refused(api, hospital, patient, "2207", None, fuzz_tally, raw=body)
        assert spec.name in err, (spec.name, err)
    ignored = answer(hospital.post(text.replace('"HUGE"', "1E+999999999").encode()))
    fuzz_tally["national"] += 1
    assert ignored["infcode"] == 0, ignored["err_msg"]
    assert time.perf_counter() - started < 30


def test_ni_1_huge_envelope_fields_are_refused_by_name(api, hospital, patient, messages, fuzz_tally):
    """Every text field of the envelope at 100 kB: refused naming it, the answer short."""
    data = messages["2201"][0]
    for spec in tables.ENVELOPE:
        message = {**hospital.envelope("2201", data, psn=patient), spec.name: HUGE}
        err = refused(api, hospital, patient, "2201", data, fuzz_tally, raw=encode(message).encode())
        assert spec.name in err, (spec.name, err)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-10**20, 10**20).map(Decimal)
    | st.decimals(allow_nan=False, allow_infinity=False, places=None) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)


def test_ni_1_arbitrary_json_in_arbitrary_fields_never_breaks_a_settlement(api, hospital, patient, messages,
                                                                           fuzz_tally):
    """Hypothesis: any JSON value in any one field of a 2207 (or a field the table does not know) gets an envelope;
    refused, nothing changed; accepted (a value that happens to be valid), a proper settlement."""
    data, node, fields = messages["2207"]
    names = [f.name for f in fields] + ["exp_content", "", "medfee_sumamt "]

    @given(name=st.sampled_from(names), value=JSON)
    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
              database=None)
    def answered(name, value):
        before = business(api.world)
        _, response = hospital.exchange("2207", with_value(data, node, name, value), psn=patient)
        fuzz_tally["national"] += 1
        assert response.status_code == 200, response.text[:300]
        got = answer(response)
        assert got["infcode"] in (0, -1), got
        if got["infcode"] == -1:
            assert got["err_msg"].startswith("【NI_") and len(got["err_msg"]) <= 200, got["err_msg"]
            assert business(api.world) == before, got["err_msg"]

    answered()
