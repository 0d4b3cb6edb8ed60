"""Region policies as data: the built-in files, the look-up, and refusals of broken files (gongji/policy).

Rules: N-2, N-5, N-6, HLJ-1, HLJ-2, HLJ-3, HLJ-4, HN-1, HN-2, HN-3, HN-4, HN-8, SZ-1, SZ-2, SZ-3, HZ-1,
WL-1, WL-2, WL-5, D-1.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gongji.policy import AidModel, PayerOrder, PolicyFileError, ProofPolicy, Scope, load_policies
from gongji.policy.book import BUILT_IN
from gongji.terms import Fund, Relationship, Use

BOOK = load_policies(BUILT_IN)
ALL_RELATIVES = set(Relationship)


def policy(code: str):
    return BOOK.for_region(code)


# -- the built-in files --------------------------------------------------------------------------------


def test_the_six_built_in_files_load():
    assert sorted(p.name for p in BUILT_IN.glob("*.toml")) == [
        "hangzhou.toml",
        "heilongjiang.toml",
        "henan.toml",
        "national.toml",
        "shenzhen.toml",
        "ulanqab.toml",
    ]
    assert sorted(p.name_en for p in BOOK) == [
        "Hangzhou",
        "Heilongjiang",
        "Henan",
        "National default",
        "Shenzhen",
        "Ulanqab",
    ]


def test_default_folder_is_the_built_in_set(monkeypatch):
    monkeypatch.delenv("GONGJI_POLICY_DIR", raising=False)
    assert sorted(p.name_en for p in load_policies()) == sorted(p.name_en for p in BOOK)


def test_gongji_policy_dir_names_a_deployments_own_folder(monkeypatch, tmp_path):
    (tmp_path / "only.toml").write_text(MINIMAL, encoding="utf-8")
    monkeypatch.setenv("GONGJI_POLICY_DIR", str(tmp_path))
    assert [p.name_en for p in load_policies()] == ["Test default"]


@pytest.mark.parametrize(
    ("code", "name_en"),
    [
        ("230100", "Heilongjiang"),  # province prefix 23
        ("230200", "Heilongjiang"),  # another city of the province
        ("410100", "Henan"),
        ("410300", "Henan"),
        ("440300", "Shenzhen"),
        ("440305", "Shenzhen"),  # a district: the city's file (longest prefix 4403)
        ("440100", "National default"),  # Guangzhou: Guangdong has no file
        ("330100", "Hangzhou"),
        ("330106", "Hangzhou"),
        ("330200", "National default"),  # Ningbo
        ("150900", "Ulanqab"),
        ("150100", "National default"),  # Hohhot: Inner Mongolia has no file, only Ulanqab does
        ("110100", "National default"),
    ],
)
def test_longest_prefix_lookup(code, name_en):
    assert BOOK.for_region(code).name_en == name_en


def test_a_district_file_beats_its_city_and_province(tmp_path):
    write(tmp_path, "national.toml", MINIMAL)
    write(tmp_path, "province.toml", variant(name_en="Guangdong", applies_to='["44"]'))
    write(tmp_path, "city.toml", variant(name_en="Shenzhen", applies_to='["4403"]'))
    write(tmp_path, "district.toml", variant(name_en="Nanshan", applies_to='["440305"]'))
    book = load_policies(tmp_path)
    assert book.for_region("440305").name_en == "Nanshan"
    assert book.for_region("440303").name_en == "Shenzhen"
    assert book.for_region("440100").name_en == "Guangdong"
    assert book.for_region("110100").name_en == "Test default"


# -- each seed region's settings match its rules ----------------------------------------------------------


def test_heilongjiang_hlj_1_to_hlj_5():
    hlj = policy("230100")
    assert hlj.max_beneficiaries_per_payer == 10  # HLJ-1
    assert hlj.rebind_wait_days == 30  # HLJ-2
    assert hlj.max_payers_per_beneficiary == 1  # HLJ-3: bound once at a time
    assert hlj.payer_may_also_be_beneficiary is False  # HLJ-3
    assert hlj.suspended_payer_may_pay is False  # HLJ-4: normal status
    assert hlj.payer_needs_balance_to_bind is True  # HLJ-4: balance above zero
    assert hlj.geographic_scope is Scope.PROVINCE  # HLJ-5
    assert set(hlj.allowed_relationships) == ALL_RELATIVES  # HLJ-5 -> N-2
    assert hlj.aid_model is AidModel.BINDING


def test_henan_hn_1_to_hn_4_and_hn_8():
    henan = policy("410100")
    assert henan.family_required is True  # HN-1
    assert henan.suspended_payer_may_pay is False  # HN-2
    assert henan.suspended_beneficiary_may_use is False  # HN-2
    assert henan.proof_documents is ProofPolicy.REQUIRED  # HN-3
    assert henan.payer_order is PayerOrder.BALANCE  # HN-4
    assert set(henan.uses_for_relatives) == {Use.OUTPATIENT, Use.INPATIENT, Use.PHARMACY}  # HN-8, N-5
    assert henan.rebind_wait_days == 0 and henan.max_beneficiaries_per_payer is None


def test_shenzhen_sz_1_sz_2_sz_3():
    sz = policy("440300")
    assert sz.reserve_line_fen == 420_000  # SZ-1: 4,200 yuan
    assert sz.geographic_scope is Scope.CITY  # SZ-2
    assert Relationship.SIBLING not in sz.allowed_relationships  # SZ-2: spouse and direct relatives
    assert set(sz.allowed_relationships) == ALL_RELATIVES - {Relationship.SIBLING}
    assert Use.VACCINATION in sz.uses_for_relatives  # SZ-3, N-5
    assert Use.SUPPLEMENTARY in sz.uses_for_relatives  # SZ-3


def test_hangzhou_hz_1_transfer_of_prior_years_funds():
    hz = policy("330100")
    assert hz.aid_model is AidModel.TRANSFER  # HZ-1
    assert hz.funds_for_relatives == [Fund.PRIOR_YEARS]  # HZ-1, D-1
    assert set(hz.allowed_relationships) == {Relationship.SPOUSE, Relationship.CHILD, Relationship.PARENT}


def test_ulanqab_wl_1_wl_2_wl_5():
    wl = policy("150900")
    assert wl.payer_order is PayerOrder.PRIORITY  # WL-1
    assert wl.geographic_scope is Scope.PROVINCE  # WL-2
    assert wl.suspended_payer_may_pay is True  # WL-5


def test_national_default_n_2_n_5_n_6_d_1():
    nat = policy("110100")
    assert nat.is_default
    assert set(nat.allowed_relationships) == ALL_RELATIVES  # N-2, July 2024
    assert nat.geographic_scope is Scope.PROVINCE  # N-6
    assert set(nat.funds_for_relatives) == {Fund.CURRENT_YEAR, Fund.PRIOR_YEARS}  # D-1 default: both
    assert nat.reserve_line_fen == 0
    assert nat.suspended_payer_may_pay is False  # HN-2 is the cautious default
    assert {Use.OUTPATIENT, Use.INPATIENT, Use.PHARMACY, Use.RESIDENT_CONTRIBUTION} == set(
        nat.uses_for_relatives
    )  # N-5


@pytest.mark.parametrize("code", ["230100", "410100", "440300", "330100", "150900", "110100"])
def test_n_5_every_region_enables_a_subset_of_uses_and_a_consent_text(code):
    region = policy(code)
    assert region.uses_for_relatives and set(region.uses_for_relatives) <= set(Use)
    assert region.agreement_version and region.agreement_title


def test_scope_contains_city_province_nation():
    """N-6: city = first four digits, province = first two."""
    assert Scope.CITY.contains("440305", "440303")
    assert not Scope.CITY.contains("440300", "440100")
    assert Scope.PROVINCE.contains("440300", "440100")
    assert not Scope.PROVINCE.contains("440300", "410100")
    assert Scope.NATION.contains("440300", "230100")


# -- broken files are refused at start-up, naming the file, the key and what is allowed --------------------

MINIMAL = """\
name = "测试默认"
name_en = "Test default"
applies_to = ["*"]
allowed_relationships = ["spouse", "parent", "child"]
uses_for_relatives = ["outpatient"]
funds_for_relatives = ["current_year", "prior_years"]
"""


def variant(
    *, name_en: str = "Test default", applies_to: str = '["*"]', extra: str = "", drop: str = ""
) -> str:
    lines = [
        line
        for line in MINIMAL.replace('name_en = "Test default"', f'name_en = "{name_en}"')
        .replace('applies_to = ["*"]', f"applies_to = {applies_to}")
        .splitlines()
        if not (drop and line.startswith(drop))
    ]
    return "\n".join(lines) + "\n" + extra


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def load_error(folder: Path) -> str:
    with pytest.raises(PolicyFileError) as info:
        load_policies(folder)
    return str(info.value)


def test_minimal_file_loads_with_the_defaults(tmp_path):
    write(tmp_path, "national.toml", MINIMAL)
    only = load_policies(tmp_path).for_region("230100")
    assert only.name_en == "Test default"
    assert only.aid_model is AidModel.BINDING
    assert only.rebind_wait_days == 0 and only.reserve_line_fen == 0
    assert only.suspended_payer_may_pay is False


def test_unknown_key_is_refused_listing_the_allowed_keys(tmp_path):
    path = write(tmp_path, "national.toml", variant(extra="max_payers = 3\n"))
    message = load_error(tmp_path)
    assert str(path) in message
    assert "'max_payers'" in message
    assert "unknown key" in message
    assert "max_payers_per_beneficiary" in message and "rebind_wait_days" in message


def test_bad_enum_value_is_refused_listing_the_allowed_values(tmp_path):
    path = write(tmp_path, "national.toml", variant(extra='payer_order = "random"\n'))
    message = load_error(tmp_path)
    assert str(path) in message
    assert "'payer_order'" in message
    assert "'priority'" in message and "'balance'" in message
    assert "random" in message


def test_unknown_relationship_is_refused_naming_the_allowed_ones(tmp_path):
    write(tmp_path, "national.toml", MINIMAL.replace('"spouse", ', '"cousin", '))
    message = load_error(tmp_path)
    assert "allowed_relationships" in message
    assert "cousin" in message and "'sibling'" in message


def test_negative_wait_days_are_refused(tmp_path):
    """HLJ-2: a waiting time is zero or more days."""
    path = write(tmp_path, "national.toml", variant(extra="rebind_wait_days = -1\n"))
    message = load_error(tmp_path)
    assert str(path) in message
    assert "'rebind_wait_days'" in message
    assert "greater than or equal to 0" in message
    assert "-1" in message


def test_negative_reserve_line_is_refused(tmp_path):
    """SZ-1: the reserve line is an amount of fen, never negative."""
    write(tmp_path, "national.toml", variant(extra="reserve_line_fen = -5\n"))
    message = load_error(tmp_path)
    assert "'reserve_line_fen'" in message and "greater than or equal to 0" in message


def test_missing_key_is_refused(tmp_path):
    path = write(tmp_path, "national.toml", variant(drop="uses_for_relatives"))
    message = load_error(tmp_path)
    assert str(path) in message
    assert "'uses_for_relatives'" in message
    assert "required" in message


def test_repeated_list_values_are_refused(tmp_path):
    write(tmp_path, "national.toml", MINIMAL.replace('"spouse", "parent"', '"spouse", "spouse"'))
    message = load_error(tmp_path)
    assert "allowed_relationships" in message and "once" in message


def test_transfer_model_without_prior_years_is_refused(tmp_path):
    """HZ-1: the transfer model moves prior-years funds."""
    write(
        tmp_path,
        "national.toml",
        variant(extra='aid_model = "transfer"\n').replace(
            'funds_for_relatives = ["current_year", "prior_years"]', 'funds_for_relatives = ["current_year"]'
        ),
    )
    message = load_error(tmp_path)
    assert "prior_years" in message and "transfer" in message


def test_bad_prefix_is_refused(tmp_path):
    write(tmp_path, "national.toml", variant(applies_to='["*", "123"]'))
    message = load_error(tmp_path)
    assert "applies_to" in message and "'123'" in message


def test_duplicate_prefix_in_two_files_is_refused(tmp_path):
    write(tmp_path, "a_national.toml", MINIMAL)
    second = write(tmp_path, "b_harbin.toml", variant(name_en="Harbin", applies_to='["2301"]'))
    write(tmp_path, "c_harbin_again.toml", variant(name_en="Harbin again", applies_to='["2301"]'))
    message = load_error(tmp_path)
    assert "c_harbin_again.toml" in message
    assert second.name in message
    assert "'applies_to'" in message
    assert "'2301'" in message


def test_no_national_default_is_refused(tmp_path):
    write(tmp_path, "harbin.toml", variant(applies_to='["2301"]'))
    message = load_error(tmp_path)
    assert str(tmp_path) in message
    assert "national default" in message
    assert 'applies_to = ["*"]' in message


def test_bad_toml_is_refused_naming_the_file(tmp_path):
    path = write(tmp_path, "national.toml", MINIMAL + "this is not toml\n")
    message = load_error(tmp_path)
    assert str(path) in message
    assert "TOML" in message


def test_an_empty_folder_is_refused(tmp_path):
    message = load_error(tmp_path)
    assert str(tmp_path) in message and "*.toml" in message


def test_one_bad_file_among_good_ones_is_named(tmp_path):
    write(tmp_path, "national.toml", MINIMAL)
    bad = write(tmp_path, "zz_bad.toml", variant(applies_to='["23"]', extra='geographic_scope = "planet"\n'))
    message = load_error(tmp_path)
    assert str(bad) in message
    assert "'geographic_scope'" in message and "'city'" in message and "'province'" in message
