"""A federation to try on one machine (HN-9): a hub and two provinces, each its own ``gongji serve`` and database.

:func:`build` writes into a folder the three federation files (``hub.toml``, ``23.toml``, ``41.toml``: one random
secret per link, readable by their owner only) and makes three migrated databases: the hub's (no people) and one per
province. Each province is given a small population, made up from a seed (:mod:`gongji_tools.demo.population`) and
registered through the services:

* families whose payer is an employee insured in Harbin (230100, province 23) and whose parents, spouse, children or
  grandchildren are insured in Zhengzhou (410100, province 41), and the other way round: every family spans both
  instances, with birth dates that fit each relationship (``RELATIONSHIP_IMPLAUSIBLE`` never comes from the data);
* most relatives have opened their wallet (WAL-1); a few have not, so that their transfers come back refused
  (``WALLET_NOT_OPEN``);
* every person can log in with :data:`PERSON_PASSWORD`; a counter clerk (:data:`STAFF_ID`) and an administrator
  (:data:`ADMIN_ID`) serve every region, in every instance.

``families.json`` in the folder lists each payer–relative pair for scripts and tests; ``gongji federation example``
prints how to start the three processes and a few pairs to try (``docs/federation.md``).

These are demo credentials, printed on the screen: never use them outside an example's databases.
"""

from __future__ import annotations

import json
import os
import random
import secrets
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import create_engine, func, inspect, select, text
from sqlalchemy.engine import make_url

from gongji.actors import Actor
from gongji.auth import service as auth
from gongji.auth.models import StaffMember
from gongji.clock import CST, FixedClock
from gongji.db import Database, normalize_url
from gongji.env import Env
from gongji.people.models import Person
from gongji.policy import load_policies
from gongji.terms import Relationship, Scheme, Status
from gongji.wallet import service as wallets
from gongji_tools.demo.access import ADMIN_ID, ADMIN_PASSWORD, PERSON_PASSWORD, STAFF_ID, STAFF_PASSWORD
from gongji_tools.demo.population import PersonSpec, Registry, make_household, register_people

#: The instant the example's people are registered (a Monday, China Standard Time).
REGISTERED_AT = datetime(2025, 6, 2, 9, 0, tzinfo=CST)
#: A clock start for the servers that keeps a try-out away from the wallet's quiet hours (WAL-3).
CLOCK_START = "2025-06-02T10:00:00+08:00"
#: Each province's city, where its people are insured.
CITIES = {"23": "230100", "41": "410100"}
#: The instances: their name in messages, and the name of their database (``{name}`` of a URL template).
INSTANCES = {"hub": "hub", "23": "p23", "41": "p41"}
DEFAULT_HUB_PORT, DEFAULT_PORTS = 8300, (8301, 8302)
#: Families per direction (payers of 23 with relatives in 41, and payers of 41 with relatives in 23).
DEFAULT_FAMILIES = 24
#: About one relative in this many has not opened a wallet.
NO_WALLET_EVERY = 5
SETUP = Actor.system("federation-example")
LOADER = Actor.staff("DEMO-LOADER")

#: What each household member (gongji_tools.demo.population.make_household) is to the father, who pays.
TO_PAYER = {
    "grandfather": Relationship.PARENT, "grandmother": Relationship.PARENT, "mother": Relationship.SPOUSE,
    "son": Relationship.CHILD, "daughter": Relationship.CHILD, "grandson": Relationship.GRANDCHILD,
    "granddaughter": Relationship.GRANDCHILD,
}


class ExampleError(ValueError):
    """The example cannot be built where asked: what is in the way."""


@dataclass(frozen=True)
class Pair:
    """A payer and one of his relatives, insured in the other province."""

    family: int
    payer_id_number: str
    payer_name: str
    payer_province: str
    relative_id_number: str
    relative_name: str
    relative_province: str
    relationship: str
    wallet_open: bool


@dataclass(frozen=True)
class Example:
    folder: Path
    urls: dict[str, str]  # instance name (hub, 23, 41) → database URL
    ports: dict[str, int]
    settings: dict[str, Path]  # instance name → its federation file
    pairs: list[Pair]
    #: People's money of both provinces (personal accounts and wallets), in fen: the total a check expects.
    total_fen: int

    def command(self, name: str) -> str:
        """The shell line that starts instance ``name``."""
        return (f"GONGJI_FEDERATION={self.settings[name]} gongji --database-url {self.urls[name]} serve "
                f"--port {self.ports[name]}")

    def base_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"


# -- the files ---------------------------------------------------------------------------------------------


def _write_private(path: Path, content: str) -> None:
    """Write ``content`` to a file only its owner may read (mode 0600, also when it existed)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(content)
    os.chmod(path, 0o600)


def settings_files(folder: Path, ports: dict[str, int], *, deliver_every_s: float | None = None,
                   max_backoff_s: float | None = None) -> dict[str, Path]:
    """The hub's and the provinces' federation files, a fresh random secret for each link."""
    link = {province: secrets.token_urlsafe(32) for province in CITIES}
    timing = "".join(f"{key} = {value}\n" for key, value in (("deliver_every_s", deliver_every_s),
                                                           ("max_backoff_s", max_backoff_s)) if value is not None)
    hub = ['role = "hub"\n', timing]
    for province in CITIES:
        hub.append(f'\n[provinces.{province}]\nurl = "http://127.0.0.1:{ports[province]}"\n'
                   f'secret = "{link[province]}"\n')
    files = {"hub": folder / "hub.toml"}
    _write_private(files["hub"], "".join(hub))
    for province in CITIES:
        files[province] = folder / f"{province}.toml"
        _write_private(files[province], f'role = "province"\nprovince = "{province}"\n'
                                        f'hub_url = "http://127.0.0.1:{ports["hub"]}"\nsecret = "{link[province]}"\n'
                                        + timing)
    return files


# -- the databases ------------------------------------------------------------------------------------------

_SQLITE_HEADER = b"SQLite format 3\x00"


def _fresh_sqlite(path: Path) -> str:
    """A SQLite file of the example's own: an earlier one is replaced, any other file is left alone."""
    if path.is_dir():
        raise ExampleError(f"{path} is a folder")
    if path.exists() and path.stat().st_size > 0:
        with path.open("rb") as file:
            if file.read(len(_SQLITE_HEADER)) != _SQLITE_HEADER:
                raise ExampleError(f"{path} is not a SQLite database; not overwriting it")
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def _postgres(url: str) -> str:
    """Create the PostgreSQL database of ``url`` unless it exists; refuse one that already holds people."""
    parsed = make_url(normalize_url(url))
    name = parsed.database
    if not name or not name.replace("_", "").isalnum():
        raise ExampleError(f"{url}: a database name of letters, digits and '_' is needed")
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}).first()
            if exists is None:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # the server is not there, or refuses us
        raise ExampleError(f"{parsed.render_as_string(hide_password=True)}: cannot create the database "
                           f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})") from None
    finally:
        admin.dispose()
    return url


def _open(url: str) -> Database:
    """The database of ``url``, migrated; refused unless it is empty (no people, no staff): nothing is overwritten."""
    db = Database(url)
    try:
        if inspect(db.engine).has_table("people"):
            people, staff = db.read(lambda s: (
                s.execute(select(func.count()).select_from(Person)).scalar_one(),
                s.execute(select(func.count()).select_from(StaffMember)).scalar_one()))
            if people or staff:
                raise ExampleError(f"{make_url(db.url).render_as_string(hide_password=True)} is not empty ({people} "
                                   f"people, {staff} staff); drop it (dropdb) or choose another name")
        db.upgrade()
    except BaseException:
        db.dispose()
        raise
    return db


def database_urls(folder: Path, template: str | None) -> dict[str, str]:
    """SQLite files in ``folder`` (``hub.sqlite3``, ``p23.sqlite3``, ``p41.sqlite3``), or the template's databases."""
    if template is None:
        return {name: _fresh_sqlite(folder / f"{db_name}.sqlite3") for name, db_name in INSTANCES.items()}
    if "{name}" not in template:
        raise ExampleError(f"the database URL template needs '{{name}}' (hub, p23, p41): {template}")
    if not template.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        raise ExampleError(f"the template must be a PostgreSQL URL (SQLite files are the default): {template}")
    return {name: _postgres(template.format(name=db_name)) for name, db_name in INSTANCES.items()}


# -- the people ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Family:
    payer: PersonSpec
    payer_province: str
    relatives: list[tuple[PersonSpec, Relationship, bool]]  # (relative, relationship to the payer, wallet open)


def make_families(rng: random.Random, *, per_direction: int, today: date) -> list[_Family]:
    """Households made up as the demo's, the father an employee in one province and the others in the other one.

    Nine relatives in ten are older or younger than the father as their relationship wants (make_household's birth
    dates); about one in :data:`NO_WALLET_EVERY` has no wallet, at least one per direction.
    """
    families: list[_Family] = []
    registry = Registry(rng)
    for payer_province, relative_province in (("23", "41"), ("41", "23")):
        direction: list[_Family] = []
        for _ in range(per_direction):
            household = make_household(rng, CITIES[payer_province], today)
            father = next(s for s in household.specs if s.role == "father")
            # the payer: an employee in normal status, with enough on his account for a day's transfers (WAL-2)
            base = None if father.retired else father.contribution_base_fen or rng.randrange(4_000, 20_000) * 100
            payer = replace(father, scheme=Scheme.EMPLOYEE.value, status=Status.NORMAL.value,
                            current_fen=rng.randrange(3_000, 9_000) * 100,
                            prior_fen=rng.randrange(4_000, 30_000) * 100 + rng.randrange(100),
                            contribution_base_fen=base)
            relatives = []
            for spec in household.specs:
                if spec.role == "father":
                    continue
                moved = replace(spec, region_code=CITIES[relative_province])
                relatives.append((registry.identify(moved), TO_PAYER[spec.role], rng.randrange(NO_WALLET_EVERY) != 0))
            direction.append(_Family(registry.identify(payer), payer_province, relatives))
        if all(wallet for family in direction for _, _, wallet in family.relatives):
            spec, relationship, _ = direction[-1].relatives[-1]
            direction[-1].relatives[-1] = (spec, relationship, False)
        families += direction
    return families


def _populate(db: Database, env: Env, province: str, families: list[_Family], *, passwords: bool) -> None:
    """Register the payers of ``province`` and the relatives insured there; open wallets; logins for all."""
    payers = [f.payer for f in families if f.payer_province == province]
    relatives = [(spec, wallet) for f in families if f.payer_province != province for spec, _, wallet in f.relatives]

    def work(session) -> None:
        members = register_people(session, env, payers + [spec for spec, _ in relatives])
        for spec, wallet in relatives:
            if wallet:
                wallets.open_wallet(session, env, id_number=spec.id_number, actor=LOADER)
        for member in members if passwords else ():
            auth.set_person_password(session, env, person_id=member.id, password=PERSON_PASSWORD, actor=SETUP)

    db.run(work)


def _logins(db: Database, env: Env) -> None:
    def work(session) -> None:
        auth.add_staff(session, env, staff_id=STAFF_ID, name="演示窗口", role="staff", region_prefix="",
                       password=STAFF_PASSWORD, actor=SETUP)
        auth.add_staff(session, env, staff_id=ADMIN_ID, name="演示管理员", role="admin", region_prefix="",
                       password=ADMIN_PASSWORD, actor=SETUP)

    db.run(work)


def pairs_of(families: list[_Family]) -> list[Pair]:
    other = {"23": "41", "41": "23"}
    return [Pair(family=number, payer_id_number=f.payer.id_number, payer_name=f.payer.name,
                 payer_province=f.payer_province, relative_id_number=spec.id_number, relative_name=spec.name,
                 relative_province=other[f.payer_province], relationship=relationship.value, wallet_open=wallet)
            for number, f in enumerate(families, start=1) for spec, relationship, wallet in f.relatives]


# -- all of it -----------------------------------------------------------------------------------------------


def build(folder: Path, *, hub_port: int = DEFAULT_HUB_PORT, ports: tuple[int, int] = DEFAULT_PORTS,
          database_url_template: str | None = None, seed: int = 2025, families: int = DEFAULT_FAMILIES,
          deliver_every_s: float | None = None, max_backoff_s: float | None = None,
          person_passwords: bool = True) -> Example:
    """Write the federation files and build the three databases in ``folder``; what was made.

    ``database_url_template`` (e.g. ``postgresql://postgres@127.0.0.1:5432/gongji_{name}``) puts the databases in
    PostgreSQL (``{name}``: hub, p23, p41), created if missing; by default they are SQLite files in ``folder``.
    The same seed gives the same people, ID numbers, balances and wallets. ``person_passwords=False`` leaves the
    people without a login (each password costs some 50 ms of scrypt), for tests that act as staff only;
    ``deliver_every_s`` and ``max_backoff_s`` go into the federation files when given.
    """
    from gongji_tools.federation.snapshot import money_of

    if families < 1:
        raise ExampleError("at least one family per direction")
    port_of = {"hub": hub_port, "23": ports[0], "41": ports[1]}
    if len(set(port_of.values())) != 3:
        raise ExampleError(f"three different ports are needed, not {hub_port} and {ports[0]},{ports[1]}")
    folder.mkdir(parents=True, exist_ok=True)
    urls = database_urls(folder, database_url_template)
    env = Env(clock=FixedClock(REGISTERED_AT), policies=load_policies())
    made = make_families(random.Random(seed), per_direction=families, today=REGISTERED_AT.date())
    dbs: dict[str, Database] = {}
    try:
        for name, url in urls.items():  # every one checked before anything is written
            dbs[name] = _open(url)
        total = 0
        for name, db in dbs.items():
            if name != "hub":
                _populate(db, env, name, made, passwords=person_passwords)
                total += db.read(money_of).total_fen
            _logins(db, env)
    finally:
        for db in dbs.values():
            db.dispose()
    settings = settings_files(folder, port_of, deliver_every_s=deliver_every_s, max_backoff_s=max_backoff_s)
    pairs = pairs_of(made)
    (folder / "families.json").write_text(
        json.dumps([asdict(p) for p in pairs], ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return Example(folder=folder, urls=urls, ports=port_of, settings=settings, pairs=pairs, total_fen=total)


def shown_examples(pairs: list[Pair], count: int = 6) -> list[Pair]:
    """A few pairs to try: both directions, each relationship once if possible, and a relative without a wallet."""
    by_province: dict[str, list[Pair]] = {}
    seen: set[tuple[str, str]] = set()
    for pair in pairs:
        if pair.wallet_open and (pair.payer_province, pair.relationship) not in seen:
            seen.add((pair.payer_province, pair.relationship))
            by_province.setdefault(pair.payer_province, []).append(pair)
    chosen = [p for group in zip(*by_province.values(), strict=False) for p in group][:count - 1]
    without = next((p for p in pairs if not p.wallet_open), None)
    return chosen + ([without] if without else [])
