"""Which instance this is: one province, the hub, or (no file) a single instance serving every region.

The file is TOML, named by ``GONGJI_FEDERATION`` (or ``--federation``). A province's::

    role = "province"
    province = "23"                       # the first two digits of its regions' codes
    hub_url = "http://127.0.0.1:8300"
    secret = "…"                          # shared with the hub; or secret_env = "NAME" to read it from the environment

The hub's::

    role = "hub"
    [provinces.23]
    url = "http://127.0.0.1:8301"
    secret = "…"
    [provinces.41]
    url = "http://127.0.0.1:8302"
    secret = "…"

Each link (a province and the hub) has its own secret: every message is signed with it (:mod:`gongji.federation.wire`).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gongji.people.ids import region_name

PROVINCE, HUB = "province", "hub"
#: The name the hub goes by in messages' ``sender``.
HUB_NAME = "hub"


class FederationConfigError(ValueError):
    """A federation file that cannot be used: what is wrong and where."""


@dataclass(frozen=True)
class Peer:
    """The other end of a link: its base URL and the secret both ends sign with."""

    name: str
    url: str
    secret: bytes = field(repr=False)


@dataclass(frozen=True)
class FederationConfig:
    role: str
    province: str | None = None  # a province's own two digits
    hub: Peer | None = None  # a province's hub
    provinces: dict[str, Peer] = field(default_factory=dict)  # the hub's provinces
    path: str = ""
    #: Seconds between delivery passes when nothing wakes the sender earlier; and the longest wait between tries.
    deliver_every_s: float = 1.0
    max_backoff_s: float = 60.0

    @property
    def is_hub(self) -> bool:
        return self.role == HUB

    @property
    def name(self) -> str:
        """This instance in a message's ``sender``: its province, or ``hub``."""
        return HUB_NAME if self.is_hub else self.province

    def owns_region(self, region_code: str) -> bool:
        return self.province is not None and region_code[:2] == self.province

    def peer(self, destination: str) -> Peer | None:
        """Where a message for ``destination`` goes from here: a province sends everything to its hub."""
        if self.is_hub:
            return self.provinces.get(destination)
        return self.hub

    def secret_of(self, sender: str) -> bytes | None:
        """The secret a message from ``sender`` must be signed with, or None for a stranger."""
        if self.is_hub:
            peer = self.provinces.get(sender)
            return peer.secret if peer else None
        return self.hub.secret if sender == HUB_NAME and self.hub else None


def province_name(code: str) -> str:
    return region_name(f"{code}0000")


def _province(value: Any, where: str) -> str:
    if not isinstance(value, str) or len(value) != 2 or not value.isdigit() or not province_name(value):
        raise FederationConfigError(f"{where}: '{value}' is not a province code (two digits, e.g. 23 Heilongjiang)")
    return value


def _secret(table: dict[str, Any], where: str) -> bytes:
    if "secret_env" in table:
        value = os.environ.get(str(table["secret_env"]), "")
        if not value:
            raise FederationConfigError(f"{where}: the environment variable {table['secret_env']} is not set")
    else:
        value = table.get("secret", "")
    if not isinstance(value, str) or len(value) < 16:
        raise FederationConfigError(f"{where}: a secret of at least 16 characters is needed ('secret' or 'secret_env')")
    return value.encode()


def _url(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise FederationConfigError(f"{where}: '{value}' is not an http(s) URL")
    return value.rstrip("/")


def _seconds(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 86_400:
        raise FederationConfigError(f"{where}: '{value}' is not a number of seconds (more than 0, at most 86400)")
    return float(value)


def parse(data: dict[str, Any], path: str = "") -> FederationConfig:
    where = path or "federation settings"
    role = data.get("role")
    timing = {key: _seconds(data[key], f"{where}: {key}") for key in ("deliver_every_s", "max_backoff_s")
              if key in data}
    if role == PROVINCE:
        province = _province(data.get("province"), f"{where}: province")
        hub = Peer(HUB_NAME, _url(data.get("hub_url"), f"{where}: hub_url"), _secret(data, where))
        return FederationConfig(role=PROVINCE, province=province, hub=hub, path=path, **timing)
    if role == HUB:
        tables = data.get("provinces")
        if not isinstance(tables, dict) or len(tables) < 2:
            raise FederationConfigError(f"{where}: a hub needs a [provinces.NN] table for each of two or more provinces")
        peers = {}
        for code, table in tables.items():
            code = _province(code, f"{where}: [provinces.{code}]")
            if not isinstance(table, dict):
                raise FederationConfigError(f"{where}: [provinces.{code}] must be a table with url and secret")
            peers[code] = Peer(code, _url(table.get("url"), f"{where}: [provinces.{code}] url"),
                               _secret(table, f"{where}: [provinces.{code}]"))
        return FederationConfig(role=HUB, provinces=peers, path=path, **timing)
    raise FederationConfigError(f"{where}: role must be \"province\" or \"hub\", not {role!r}")


def load(path: str | Path) -> FederationConfig:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise FederationConfigError(f"{path}: cannot be read ({exc.strerror})") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise FederationConfigError(f"{path}: not valid TOML ({exc})") from exc
    return parse(data, str(path))


def from_env() -> FederationConfig | None:
    """The federation file named by ``GONGJI_FEDERATION``; None when unset (one instance for every region)."""
    path = os.environ.get("GONGJI_FEDERATION")
    return load(path) if path else None
