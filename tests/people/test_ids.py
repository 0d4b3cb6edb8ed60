"""Resident ID numbers (GB 11643) and the pure helpers of people/service.py: names, phones, card numbers.

Rules: N-2 (a person is identified by the 18-character resident ID), HN-3 and HLJ-7 (the relative's ID
number and phone are entered), SZ-4 (card numbers), HN-4 (names sort by pinyin).
"""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import ric

from gongji.errors import GongjiError
from gongji.people.ids import (
    check_region_code,
    compose_id_number,
    mask,
    parse_id_number,
    region_name,
)
from gongji.people.service import check_card_no, check_name, check_phone, name_sort_key

#: 110105 (Beijing, Chaoyang) 1949-12-31, sequence 002, check digit X: a well-known valid example.
VALID_X = "11010519491231002X"


def with_check_digit(body17: str) -> str:
    """A 17-digit body plus its correct check digit: so only the part under test is wrong."""
    return body17 + ric.calc_check_digit(body17 + "0")


def refused(fn, *args, code: str, **kwargs) -> GongjiError:
    with pytest.raises(GongjiError) as info:
        fn(*args, **kwargs)
    assert info.value.code == code, info.value
    return info.value


# -- parse_id_number ---------------------------------------------------------------------------------------


def test_n_2_valid_id_number_gives_birth_date_and_sex():
    """N-2: a person is identified by the 18-character resident ID; its birth date and sex are derived."""
    parsed = parse_id_number(VALID_X)
    assert parsed.number == VALID_X
    assert parsed.birth_date == date(1949, 12, 31)
    assert parsed.sex == "F"  # 17th digit 2: even
    assert parsed.region_part == "110105"


def test_lowercase_x_and_surrounding_spaces_are_accepted():
    parsed = parse_id_number(" 11010519491231002x ")
    assert parsed.number == VALID_X


def test_wrong_check_digit_is_refused():
    error = refused(parse_id_number, "110105194912310021", code="INVALID_ID_NUMBER")
    assert error.params["value"] == "110105194912310021"
    assert "check digit" in error.params["reason_en"]
    assert "校验位" in error.message_zh


@pytest.mark.parametrize("value", ["11010519491231002", "11010519491231002XX", "", "1101051949123100"])
def test_wrong_length_is_refused(value):
    error = refused(parse_id_number, value, code="INVALID_ID_NUMBER")
    assert "18 characters" in error.params["reason_en"]


@pytest.mark.parametrize("value", ["1101051949123100AX", "A1010519491231002X", "11010519491231002Y"])
def test_letters_are_refused(value):
    error = refused(parse_id_number, value, code="INVALID_ID_NUMBER")
    assert error.params["value"] == value


def test_letters_in_the_body_are_a_format_error():
    error = refused(parse_id_number, "1101051949123100A2", code="INVALID_ID_NUMBER")
    assert error.params["reason_en"] == "the first 17 characters must be digits, the last a digit or X"


@pytest.mark.parametrize("value", [None, 11010519491231002, b"11010519491231002X"])
def test_not_text_is_refused(value):
    error = refused(parse_id_number, value, code="INVALID_ID_NUMBER")
    assert error.params["reason_en"] == "it must be text"


@pytest.mark.parametrize("birth", ["19900230", "19901301", "19900000", "20230229"])
def test_impossible_birth_date_is_refused(birth):
    """February 30th, month 13, day 0, and 29 February of a common year do not exist."""
    error = refused(parse_id_number, with_check_digit(f"110105{birth}123"), code="INVALID_ID_NUMBER")
    assert "birth date" in error.params["reason_en"]


def test_29_february_of_a_leap_year_exists():
    assert parse_id_number(with_check_digit("11010520240229123")).birth_date == date(2024, 2, 29)


def test_future_birth_date_is_refused_given_today():
    number = compose_id_number("110105", date(2030, 1, 1), 1, "F")
    error = refused(parse_id_number, number, today=date(2025, 6, 2), code="INVALID_ID_NUMBER")
    assert error.params["reason_en"] == "the birth date is in the future"


def test_born_today_is_accepted():
    number = compose_id_number("110105", date(2025, 6, 2), 1, "F")
    assert parse_id_number(number, today=date(2025, 6, 2)).birth_date == date(2025, 6, 2)


def test_unknown_region_part_is_refused():
    """990103: no province 99."""
    error = refused(parse_id_number, with_check_digit("99010319900101123"), code="INVALID_ID_NUMBER")
    assert "region" in error.params["reason_en"]


def test_region_part_not_yet_in_use_in_the_birth_year_is_refused():
    """150900 (Ulanqab) exists only since 2003: someone born in 1980 cannot carry it."""
    refused(parse_id_number, compose_id_number("150900", date(1980, 6, 15), 5, "M"), code="INVALID_ID_NUMBER")
    assert parse_id_number(compose_id_number("150900", date(2005, 6, 15), 5, "M")).region_part == "150900"


def test_unknown_county_under_a_known_province_is_refused():
    refused(parse_id_number, with_check_digit("23019919900101123"), code="INVALID_ID_NUMBER")


@pytest.mark.parametrize(
    ("digit", "sex"), [("1", "M"), ("3", "M"), ("9", "M"), ("0", "F"), ("2", "F"), ("8", "F")]
)
def test_sex_comes_from_the_17th_digit(digit, sex):
    """Odd 17th digit: a man; even: a woman."""
    parsed = parse_id_number(with_check_digit(f"1101051990010112{digit}"))
    assert parsed.sex == sex


def test_mask_shows_the_first_four_and_last_four():
    assert mask("230103199001011237") == "2301**********1237"
    assert mask(VALID_X) == "1101**********002X"
    assert mask("12345") == "*****"


# -- compose_id_number round-trips ---------------------------------------------------------------------------

#: Division codes valid in every birth year from 1900 (so any birth date composes a valid number).
STABLE_REGIONS = ["110100", "110105", "230100", "410100", "440300", "330100"]


@given(
    region=st.sampled_from(STABLE_REGIONS),
    birth=st.dates(min_value=date(1900, 1, 1), max_value=date(2025, 12, 31)),
    sequence=st.integers(min_value=0, max_value=5_000),
    sex=st.sampled_from(["M", "F"]),
)
def test_compose_id_number_round_trips_through_parse(region, birth, sequence, sex):
    number = compose_id_number(region, birth, sequence, sex)
    parsed = parse_id_number(number)
    assert parsed.number == number
    assert parsed.birth_date == birth
    assert parsed.sex == sex
    assert parsed.region_part == region
    assert len(number) == 18


def test_compose_keeps_the_sequence_when_it_fits_the_sex():
    assert compose_id_number("110105", date(1949, 12, 31), 2, "F") == VALID_X


# -- regions -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("230100", "黑龙江省哈尔滨市"),
        ("410100", "河南省郑州市"),
        ("440300", "广东省深圳市"),
        ("330100", "浙江省杭州市"),
        ("150900", "内蒙古自治区乌兰察布市"),
    ],
)
def test_region_name_of_the_seed_regions(code, name):
    assert region_name(code) == name


def test_region_name_is_empty_for_an_unknown_code():
    assert region_name("990000") == ""


@pytest.mark.parametrize("code", ["230100", "410100", "440300", "440305", "330100", "150900", "110100"])
def test_check_region_code_accepts_real_division_codes(code):
    assert check_region_code(code) == code


@pytest.mark.parametrize("value", ["2301", "2301000", "23010a", "990000", "000000", "", None, 230100])
def test_check_region_code_refuses_malformed_or_unknown_codes(value):
    error = refused(check_region_code, value, code="INVALID_REGION")
    assert error.params["value"] == str(value)[:20]


def test_check_region_code_refuses_an_unknown_code_under_a_known_province():
    refused(check_region_code, "239999", code="INVALID_REGION")


# -- names (HN-4) --------------------------------------------------------------------------------------------


def test_hn_4_name_sort_key_puts_li_before_zhang():
    """HN-4: by pinyin, 李 (Li) before 张 (Zhang); by code point it would be the other way round."""
    assert "张" < "李"
    assert name_sort_key("李娜") < name_sort_key("张伟")
    assert sorted(["张伟", "王芳", "李娜", "赵强"], key=name_sort_key) == ["李娜", "王芳", "张伟", "赵强"]


def test_hn_4_name_sort_key_handles_lv_after_lu():
    """HN-4: 吕 (Lü) sorts after 卢/陆/鲁 (Lu) and before 马 (Ma), as in a Chinese dictionary."""
    assert sorted(["马丽", "吕方", "卢强", "鲁迅"], key=name_sort_key) == ["卢强", "鲁迅", "吕方", "马丽"]
    assert name_sort_key("吕方") != name_sort_key("鲁方")


def test_hn_4_name_sort_key_shorter_syllable_first():
    """HN-4: Li before Lin, Zhan before Zhang: a syllable that is a prefix of another sorts first."""
    assert name_sort_key("李强") < name_sort_key("林强")
    assert name_sort_key("詹强") < name_sort_key("张强")


def test_hn_4_name_sort_key_same_syllable_by_tone_as_in_a_dictionary():
    """HN-4: same pinyin letters: the tone decides, as in a dictionary: 汪 (wāng) before 王 (wáng)."""
    assert name_sort_key("汪芳") < name_sort_key("王芳")
    assert name_sort_key("汪芳") != name_sort_key("王芳")


def test_hn_4_name_sort_key_same_surname_by_given_name():
    assert name_sort_key("李明") < name_sort_key("李娜")
    assert name_sort_key("王芳") == name_sort_key("王芳")


def test_check_name_strips_and_accepts_chinese_names():
    assert check_name("  张三 ") == "张三"
    assert check_name("买买提·艾力") == "买买提·艾力"
    assert check_name("张" * 50) == "张" * 50


@pytest.mark.parametrize("value", ["", "   ", None, 123])
def test_check_name_refuses_a_missing_name(value):
    error = refused(check_name, value, code="INVALID_FIELD")
    assert error.params["field"] == "name"


@pytest.mark.parametrize("value", ["张" * 51, "<script>", "O'Brien", 'a"b', "张;三", "张\n三", "a\\b"])
def test_check_name_refuses_long_names_and_special_symbols(value):
    error = refused(check_name, value, code="INVALID_FIELD")
    assert error.params["field"] == "name"


# -- phones (HN-3, HLJ-7) and card numbers (SZ-4) ----------------------------------------------------------


def test_hn_3_hlj_7_check_phone_accepts_a_mobile_number_or_nothing():
    assert check_phone("13800138000") == "13800138000"
    assert check_phone(None) is None
    assert check_phone("") is None


@pytest.mark.parametrize(
    "value", ["23800138000", "1380013800", "138001380001", "1380013800a", "+8613800138", 13800138000]
)
def test_hn_3_hlj_7_check_phone_refuses_other_numbers(value):
    error = refused(check_phone, value, code="INVALID_FIELD")
    assert error.params["field"] == "phone"


def test_check_phone_refuses_full_width_digits():
    refused(check_phone, "1３８００１３８０００", code="INVALID_FIELD")


def test_sz_4_check_card_no_upper_cases_and_accepts_nothing():
    assert check_card_no("abc123") == "ABC123"
    assert check_card_no("A" * 20) == "A" * 20
    assert check_card_no(None) is None
    assert check_card_no("") is None


@pytest.mark.parametrize("value", ["12345", "A" * 21, "abc-123", "卡号123456", "ＡＢＣ１２３", 1234567])
def test_sz_4_check_card_no_refuses_bad_card_numbers(value):
    error = refused(check_card_no, value, code="INVALID_FIELD")
    assert error.params["field"] == "card_no"


@pytest.mark.parametrize(
    ("first", "second"),
    [("丁一", "单田"), ("邓明", "曾强"), ("谢明", "解一"), ("覃林", "孙明"), ("区华", "欧阳"), ("乔木", "仇平")],
)
def test_hn_4_surnames_sort_by_their_surname_reading(first, second):
    """HN-4: as surnames 单 is Shàn, 曾 Zēng, 解 Xiè, 覃 Qín, 区 Ōu, 仇 Qiú; each pair sorts the other way by plain pinyin."""
    assert name_sort_key(first) < name_sort_key(second)


@given(st.sampled_from(["110101", "230103", "410102", "440305", "150902", "999999", "110100", "320583"]),
       st.dates(min_value=date(1900, 1, 1), max_value=date(2024, 12, 31)), st.integers(0, 999),
       st.sampled_from(["right", "wrong", "x"]))
def test_the_remembered_region_check_decides_as_python_stdnum_does(region, birth, sequence, check):
    """parse_id_number remembers python-stdnum's region-part lookup per region and year (a people file of millions
    asks it for the same few regions): valid and invalid numbers get the same answer as ric.validate."""
    body = f"{region}{birth:%Y%m%d}{sequence:03d}"
    right = ric.calc_check_digit(body + "0")
    number = body + {"right": right, "wrong": str((int(right) + 1) % 10) if right != "X" else "0", "x": "X"}[check]
    try:
        expected = ric.validate(number)
    except Exception:
        expected = None
    try:
        got = parse_id_number(number).number
    except GongjiError:
        got = None
    assert got == expected
