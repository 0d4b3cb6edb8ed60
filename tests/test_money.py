"""Money is an int of fen; yuan with two decimals only at the edges (D-6): gongji/money.py."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gongji.errors import GongjiError
from gongji.money import MAX_FEN, fen_to_yuan, require_fen, yuan_to_fen


def refused(fn, *args, **kwargs) -> GongjiError:
    """Every money refusal is INVALID_AMOUNT naming the field."""
    with pytest.raises(GongjiError) as info:
        fn(*args, **kwargs)
    assert info.value.code == "INVALID_AMOUNT", info.value
    assert info.value.status == 422
    assert info.value.params["field"] == kwargs["field"]
    return info.value


# -- require_fen -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [1, 1250, MAX_FEN])
def test_d_6_require_fen_accepts_whole_fen(value):
    assert require_fen(value, field="amount_fen") == value


@pytest.mark.parametrize("value", [12.0, 12.5, 0.0, float("nan"), Decimal("12"), "12", "1250", None, [12]])
def test_d_6_require_fen_refuses_anything_but_int_even_a_whole_float(value):
    """D-6: a float in a money field is a caller's bug, even 12.0."""
    error = refused(require_fen, value, field="amount_fen")
    assert type(value).__name__ in error.params["reason_en"]


@pytest.mark.parametrize("value", [True, False])
def test_require_fen_refuses_bools(value):
    error = refused(require_fen, value, field="amount_fen")
    assert "bool" in error.params["reason_en"]


@pytest.mark.parametrize("value", [-1, -1250])
def test_require_fen_refuses_negatives(value):
    refused(require_fen, value, field="amount_fen")
    refused(require_fen, value, field="amount_fen", allow_zero=True)


def test_require_fen_refuses_zero_unless_allowed():
    error = refused(require_fen, 0, field="amount_fen")
    assert "above zero" in error.params["reason_en"]
    assert require_fen(0, field="amount_fen", allow_zero=True) == 0


def test_require_fen_refuses_above_max_fen():
    error = refused(require_fen, MAX_FEN + 1, field="amount_fen")
    assert str(MAX_FEN) in error.params["reason_en"]
    assert MAX_FEN == 10_000_000_000  # 100 million yuan


def test_require_fen_message_names_the_field():
    error = refused(require_fen, 1.5, field="contribution_base_fen")
    assert "contribution_base_fen" in error.message_zh and "contribution_base_fen" in error.message_en


# -- yuan_to_fen ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("yuan", "fen"),
    [
        ("12.50", 1250),
        ("0.01", 1),
        ("100", 10_000),
        ("12.5", 1250),
        ("0", 0),
        (" 3.07 ", 307),
        ("100000000.00", MAX_FEN),
        (7, 700),
        (Decimal("0.29"), 29),
    ],
)
def test_d_6_yuan_to_fen_is_exact(yuan, fen):
    """D-6: yuan amounts with at most two decimals convert exactly (0.29 is not 28.999... fen)."""
    assert yuan_to_fen(yuan, field="medfee_sumamt") == fen


@pytest.mark.parametrize("value", ["1.234", "0.001", "12.505"])
def test_d_6_yuan_to_fen_refuses_more_than_two_decimals(value):
    error = refused(yuan_to_fen, value, field="medfee_sumamt")
    assert "two decimals" in error.params["reason_en"]


@pytest.mark.parametrize("value", ["-1", "-0.01"])
def test_yuan_to_fen_refuses_negatives(value):
    error = refused(yuan_to_fen, value, field="medfee_sumamt")
    assert "negative" in error.params["reason_en"]


@pytest.mark.parametrize("value", ["abc", "", "12,50", "1.2.3"])
def test_yuan_to_fen_refuses_non_numbers(value):
    error = refused(yuan_to_fen, value, field="medfee_sumamt")
    assert "not a number" in error.params["reason_en"]


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "inf", "sNaN"])
def test_yuan_to_fen_refuses_nan_and_infinity(value):
    error = refused(yuan_to_fen, value, field="medfee_sumamt")
    assert error.params["reason_en"] == f"'{value}' is not a number"


@pytest.mark.parametrize("value", ["1_000", "+5", "1e3", " 12.5.0", "0x10"])
def test_yuan_to_fen_refuses_loose_number_forms(value):
    """Only plain decimal text is an amount: no digit separators, signs, exponents or hex."""
    refused(yuan_to_fen, value, field="medfee_sumamt")


@pytest.mark.parametrize("value", [None, True, False])
def test_yuan_to_fen_refuses_no_amount_and_bools(value):
    error = refused(yuan_to_fen, value, field="medfee_sumamt")
    assert error.params["reason_en"] == "no amount was given"


def test_yuan_to_fen_refuses_above_max_fen():
    refused(yuan_to_fen, "100000000.01", field="medfee_sumamt")
    refused(yuan_to_fen, "1e20", field="medfee_sumamt")


def test_yuan_to_fen_refuses_a_huge_amount_with_three_decimals():
    refused(yuan_to_fen, "1" * 30 + ".001", field="medfee_sumamt")


# -- fen_to_yuan ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fen", "yuan"),
    [
        (1250, "12.50"),
        (1, "0.01"),
        (0, "0.00"),
        (100, "1.00"),
        (10_000, "100.00"),
        (-5, "-0.05"),
        (-1250, "-12.50"),
    ],
)
def test_d_6_fen_to_yuan_two_decimals(fen, yuan):
    assert fen_to_yuan(fen) == yuan


@given(st.integers(min_value=0, max_value=MAX_FEN))
def test_d_6_fen_yuan_round_trip(fen):
    yuan = fen_to_yuan(fen)
    assert yuan_to_fen(yuan, field="x") == fen
    assert Decimal(yuan) * 100 == fen
    assert len(yuan.split(".")[1]) == 2


@given(st.decimals(min_value=0, max_value=100_000_000, places=2, allow_nan=False, allow_infinity=False))
def test_d_6_yuan_fen_round_trip(yuan):
    fen = yuan_to_fen(str(yuan), field="x")
    assert Decimal(fen) == yuan * 100
    assert Decimal(fen_to_yuan(fen)) == yuan


@pytest.mark.parametrize("value", ["1.230", "0.100", 12.5, 0.1])
def test_d_6_more_than_two_decimals_or_a_float_is_refused(value):
    """D-6: at most two decimals, written out (even a trailing zero); floats are not exact, so never amounts."""
    refused(yuan_to_fen, value, field="medfee_sumamt")


def test_yuan_to_fen_plain_text_agrees_with_decimal_for_every_shape():
    """The fast path for plain amounts ("12", "12.5", "12.50", "0012.05") gives what exact decimal arithmetic
    gives; anything else still goes the careful way (and is refused as before)."""
    from decimal import Decimal

    from gongji.money import yuan_to_fen

    for text in ("0", "7", "12", "12.5", "12.50", "12.05", "0012.05", "0.01", "99999999.99", "100000000"):
        assert yuan_to_fen(text, field="x") == int(Decimal(text) * 100), text
    for bad in ("12.345", "-1", "1e3", "+5", "1_000", ".5", "5.", ""):
        try:
            yuan_to_fen(bad, field="x")
        except GongjiError:
            continue
        raise AssertionError(f"{bad!r} was accepted")
