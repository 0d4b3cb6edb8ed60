"""The wallet's limits as pure rules over plain values (no session, no clock, no I/O): WAL-2, WAL-3, WAL-4."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from gongji.clock import CST
from gongji.errors import GongjiError
from gongji.policy import RegionPolicy


def _hhmm(value) -> str:
    return value.strftime("%H:%M")


def next_window_opens(now: datetime, policy: RegionPolicy) -> datetime:
    """When transfers may next be sent after ``now`` (CST): this morning's or tomorrow's end of the quiet hours."""
    local = now.astimezone(CST)
    opens = datetime.combine(local.date(), policy.wallet_quiet_until, tzinfo=CST)
    return opens if local < opens else opens + timedelta(days=1)


def check_send_window(now: datetime, policy: RegionPolicy) -> None:
    """WAL-3: no transfer from ``wallet_quiet_from`` to ``wallet_quiet_until`` the next morning (CST)."""
    local = now.astimezone(CST)
    if policy.in_wallet_quiet_hours(local.time().replace(tzinfo=None)):
        raise GongjiError("WALLET_QUIET_HOURS", quiet_from=_hhmm(policy.wallet_quiet_from),
                          quiet_until=_hhmm(policy.wallet_quiet_until), now=local.strftime("%Y-%m-%d %H:%M"),
                          next_from=next_window_opens(now, policy).strftime("%Y-%m-%d %H:%M"))


def check_amount(amount_fen: int, policy: RegionPolicy) -> None:
    """WAL-2: at most ``wallet_transfer_max_fen`` a transfer."""
    if amount_fen > policy.wallet_transfer_max_fen:
        raise GongjiError("WALLET_AMOUNT_LIMIT", amount=amount_fen, limit=policy.wallet_transfer_max_fen,
                          count=policy.wallet_transfers_per_day)


def check_daily_count(*, name: str, sent_today: int, today: date, policy: RegionPolicy) -> None:
    """WAL-2: at most ``wallet_transfers_per_day`` transfers a payer sends on one CST day (whatever became of them)."""
    if sent_today >= policy.wallet_transfers_per_day:
        next_from = datetime.combine(today + timedelta(days=1), policy.wallet_quiet_until, tzinfo=CST)
        raise GongjiError("WALLET_DAILY_LIMIT", name=name, on=today.isoformat(), count=sent_today,
                          limit=policy.wallet_transfers_per_day, next_from=next_from.strftime("%Y-%m-%d %H:%M"))


def return_due_at(sent_on: date, policy: RegionPolicy) -> datetime:
    """WAL-4: a transfer sent on day D and not accepted goes back at the end of the quiet hours of D + 1 (06:00)."""
    return datetime.combine(sent_on + timedelta(days=1), policy.wallet_quiet_until, tzinfo=CST)
