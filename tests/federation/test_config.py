"""The federation settings (HN-9): which instance this is, a province or the hub; every unusable file refused
with a FederationConfigError that says what is wrong and where."""

from __future__ import annotations

import pytest

from gongji.federation.config import FederationConfigError, from_env, load, parse

PROVINCE = """\
role = "province"
province = "23"
hub_url = "http://127.0.0.1:8300/"
secret = "a-secret-of-sixteen+"
"""

HUB = """\
role = "hub"
deliver_every_s = 0.5
max_backoff_s = 10

[provinces.23]
url = "http://127.0.0.1:8301"
secret = "a-secret-of-sixteen+"

[provinces.41]
url = "https://henan.example:8302"
secret_env = "GONGJI_TEST_SECRET_41"
"""


def write(tmp_path, text: str, name: str = "federation.toml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_hn_9_a_province_file(tmp_path):
    """HN-9: a province's file names its two digits, its hub (trailing slash dropped) and the link's secret."""
    config = load(write(tmp_path, PROVINCE))
    assert (config.role, config.province, config.name, config.is_hub) == ("province", "23", "23", False)
    assert (config.hub.name, config.hub.url, config.hub.secret) == ("hub", "http://127.0.0.1:8300",
                                                                    b"a-secret-of-sixteen+")
    assert config.peer("41") is config.hub and config.peer("44") is config.hub  # everything goes through the hub
    assert config.secret_of("hub") == b"a-secret-of-sixteen+"
    assert config.secret_of("41") is None  # a province hears only from its hub
    assert config.owns_region("230100") and not config.owns_region("410100")
    assert (config.deliver_every_s, config.max_backoff_s) == (1.0, 60.0)
    assert "secret" not in repr(config.hub)  # the secret is never printed


def test_hn_9_a_hub_file_with_a_secret_from_the_environment(tmp_path, monkeypatch):
    """HN-9: the hub's file has one table per province, each with its URL and secret (or the name of an environment
    variable holding it); the delivery timings may be set."""
    monkeypatch.setenv("GONGJI_TEST_SECRET_41", "forty-one-secret-value")
    config = load(write(tmp_path, HUB))
    assert (config.role, config.name, config.is_hub, config.province) == ("hub", "hub", True, None)
    assert sorted(config.provinces) == ["23", "41"]
    assert config.peer("41").url == "https://henan.example:8302"
    assert config.peer("44") is None  # a province the hub does not serve
    assert config.secret_of("41") == b"forty-one-secret-value"
    assert config.secret_of("23") == b"a-secret-of-sixteen+"
    assert config.secret_of("hub") is None and config.secret_of("44") is None
    assert not config.owns_region("230100")
    assert (config.deliver_every_s, config.max_backoff_s) == (0.5, 10.0)


def test_hn_9_from_env_reads_the_file_named_by_gongji_federation(tmp_path, monkeypatch):
    """HN-9: without GONGJI_FEDERATION one instance serves every region; with it, the file named is read."""
    monkeypatch.delenv("GONGJI_FEDERATION", raising=False)
    assert from_env() is None
    monkeypatch.setenv("GONGJI_FEDERATION", write(tmp_path, PROVINCE))
    assert from_env().province == "23"


PROVINCE_DATA = {"role": "province", "province": "23", "hub_url": "http://hub:8300", "secret": "s" * 16}
HUB_DATA = {"role": "hub", "provinces": {"23": {"url": "http://a:1", "secret": "s" * 16},
                                         "41": {"url": "http://b:2", "secret": "t" * 16}}}


@pytest.mark.parametrize(("data", "words"), [
    ({**PROVINCE_DATA, "role": "state"}, "role must be \"province\" or \"hub\", not 'state'"),
    ({k: v for k, v in PROVINCE_DATA.items() if k != "role"}, "role must be"),
    ({**PROVINCE_DATA, "province": "2"}, "'2' is not a province code"),
    ({**PROVINCE_DATA, "province": "99"}, "'99' is not a province code"),
    ({**PROVINCE_DATA, "province": 23}, "'23' is not a province code"),
    ({**PROVINCE_DATA, "secret": "short"}, "a secret of at least 16 characters"),
    ({k: v for k, v in PROVINCE_DATA.items() if k != "secret"}, "a secret of at least 16 characters"),
    ({**PROVINCE_DATA, "hub_url": "ftp://hub:8300"}, "'ftp://hub:8300' is not an http(s) URL"),
    ({**PROVINCE_DATA, "hub_url": "hub:8300"}, "is not an http(s) URL"),
    ({k: v for k, v in PROVINCE_DATA.items() if k != "hub_url"}, "'None' is not an http(s) URL"),
    ({"role": "hub", "provinces": {"23": HUB_DATA["provinces"]["23"]}}, "two or more provinces"),
    ({"role": "hub"}, "two or more provinces"),
    ({"role": "hub", "provinces": {**HUB_DATA["provinces"], "4": HUB_DATA["provinces"]["23"]}},
     "[provinces.4]: '4' is not a province code"),
    ({"role": "hub", "provinces": {**HUB_DATA["provinces"], "41": "http://b:2"}}, "must be a table"),
    ({"role": "hub", "provinces": {**HUB_DATA["provinces"], "41": {"url": "b:2", "secret": "t" * 16}}},
     "[provinces.41] url: 'b:2' is not an http(s) URL"),
    ({"role": "hub", "provinces": {**HUB_DATA["provinces"], "41": {"url": "http://b:2", "secret": "t"}}},
     "[provinces.41]: a secret of at least 16 characters"),
    ({**PROVINCE_DATA, "max_backoff_s": "soon"}, "max_backoff_s: 'soon' is not a number of seconds"),
    ({**PROVINCE_DATA, "max_backoff_s": -5}, "max_backoff_s: '-5' is not a number of seconds"),
    ({**PROVINCE_DATA, "deliver_every_s": 0}, "deliver_every_s: '0' is not a number of seconds"),
    ({**HUB_DATA, "deliver_every_s": True}, "deliver_every_s: 'True' is not a number of seconds"),
])
def test_hn_9_each_bad_form_is_refused_with_what_is_wrong(data, words):
    """HN-9: a bad role, province code, secret, URL or delivery timing, or a hub with fewer than two provinces, is
    refused at start-up with a message naming the file and the key."""
    with pytest.raises(FederationConfigError) as info:
        parse(data, "fed.toml")
    assert str(info.value).startswith("fed.toml"), info.value
    assert words in str(info.value), info.value


def test_hn_9_a_secret_env_that_is_not_set(monkeypatch):
    """HN-9: a secret read from the environment must be there (and long enough)."""
    monkeypatch.delenv("GONGJI_TEST_NO_SUCH_SECRET", raising=False)
    data = {**{k: v for k, v in PROVINCE_DATA.items() if k != "secret"}, "secret_env": "GONGJI_TEST_NO_SUCH_SECRET"}
    with pytest.raises(FederationConfigError, match="the environment variable GONGJI_TEST_NO_SUCH_SECRET is not set"):
        parse(data, "fed.toml")
    monkeypatch.setenv("GONGJI_TEST_NO_SUCH_SECRET", "too-short")
    with pytest.raises(FederationConfigError, match="at least 16 characters"):
        parse(data, "fed.toml")


def test_hn_9_invalid_toml_and_an_unreadable_file(tmp_path):
    """HN-9: a file that is not TOML (or not UTF-8 text), or cannot be read, is refused with its path."""
    bad = write(tmp_path, 'role = "province"\nprovince = 23"\n')
    with pytest.raises(FederationConfigError, match="not valid TOML") as info:
        load(bad)
    assert str(info.value).startswith(bad)
    missing = str(tmp_path / "no-such.toml")
    with pytest.raises(FederationConfigError, match="cannot be read") as info:
        load(missing)
    assert str(info.value).startswith(missing)
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe role = 1")
    with pytest.raises(FederationConfigError, match="not valid TOML"):
        load(str(binary))
    folder = str(tmp_path)  # a directory is not a file either
    with pytest.raises(FederationConfigError, match="cannot be read"):
        load(folder)
