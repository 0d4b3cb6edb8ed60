"""The wallet's settings (WAL-2, WAL-3): in every built-in file, national defaults, and refusals of bad values."""

from __future__ import annotations

from datetime import time

import pytest

from gongji.policy import PolicyFileError, load_policies
from gongji.policy.book import BUILT_IN
from tests.policy.test_book import variant, write

BOOK = load_policies(BUILT_IN)


@pytest.mark.parametrize("code", ["230100", "410100", "440300", "330100", "150900", "110100"])
def test_wal_2_wal_3_every_region_has_the_national_wallet_limits(code):
    region = BOOK.for_region(code)
    assert (region.wallet_transfers_per_day, region.wallet_transfer_max_fen) == (3, 200_000)  # WAL-2
    assert (region.wallet_quiet_from, region.wallet_quiet_until) == (time(22), time(6))  # WAL-3
    assert region.in_wallet_quiet_hours(time(22)) and region.in_wallet_quiet_hours(time(5, 59))
    assert not region.in_wallet_quiet_hours(time(6)) and not region.in_wallet_quiet_hours(time(21, 59))


def _error(tmp_path, extra: str) -> str:
    write(tmp_path, "national.toml", variant(extra=extra))
    with pytest.raises(PolicyFileError) as info:
        load_policies(tmp_path)
    return str(info.value)


def test_quiet_hours_span_midnight(tmp_path):
    message = _error(tmp_path, "wallet_quiet_from = 06:00:00\nwallet_quiet_until = 22:00:00\n")
    assert "span midnight" in message


def test_a_wallet_never_pays_for_relatives(tmp_path):
    write(tmp_path, "national.toml", variant().replace(
        'funds_for_relatives = ["current_year", "prior_years"]', 'funds_for_relatives = ["current_year", "wallet"]'))
    with pytest.raises(PolicyFileError) as info:
        load_policies(tmp_path)
    assert "WAL-1" in str(info.value)


@pytest.mark.parametrize("extra", ["wallet_transfers_per_day = 0\n", "wallet_transfer_max_fen = -1\n"])
def test_limits_are_positive(tmp_path, extra):
    assert extra.split(" ")[0] in _error(tmp_path, extra)
