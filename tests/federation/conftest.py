"""Three instances in one test process (HN-9): province 23 (Heilongjiang), province 41 (Henan) and the hub.

Each has its own database (three SQLite files, or three PostgreSQL databases of this test process's own), its own
federation settings (:func:`gongji.federation.config.parse`) and the real application over them. The three share one
clock, standing at 2025-06-02 10:00 CST (a Monday, outside the wallet's quiet hours, WAL-3).

Messages are delivered by :func:`gongji.federation.service.deliver_once` over an ``httpx.Client`` whose transport
hands each request to the application of the host it is addressed to (:class:`Router`): the real endpoint, the
real signature check and the real receiving transaction run; only the network is left out. A host can be taken down
(``router.down``), and then a request to it fails as a refused connection would.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from gongji.api.app import create_app
from gongji.api.settings import ApiSettings
from gongji.clock import FixedClock
from gongji.db import Database
from gongji.env import Env
from gongji.federation import config as federation_config
from gongji.federation import service as federation
from gongji.federation import wire
from gongji.federation.models import InboxMessage, OutboxMessage
from gongji.ledger import service as ledger
from gongji.ledger.models import Account, Posting
from gongji.policy import PolicyBook, load_policies
from gongji.reconcile import reconcile
from gongji.wallet import service as wallet
from gongji.wallet.models import WalletTransfer
from tests.api.conftest import Api
from tests.conftest import TODAY, _truncate, drop_postgres_database, fresh_postgres_database, worker_name
from tests.factories import Person, World

POLICIES = load_policies()
SERVER_KEY = b"test-server-key-not-for-production"

HUB_URL, P23_URL, P41_URL = "http://hub.test:8300", "http://p23.test:8301", "http://p41.test:8302"
SECRET_23, SECRET_41 = "secret-of-the-23-hub-link", "secret-of-the-41-hub-link"
#: The federation settings of each instance, as its TOML file would give them.
SETTINGS: dict[str, dict[str, Any]] = {
    "hub": {"role": "hub", "provinces": {"23": {"url": P23_URL, "secret": SECRET_23},
                                         "41": {"url": P41_URL, "secret": SECRET_41}}},
    "23": {"role": "province", "province": "23", "hub_url": HUB_URL, "secret": SECRET_23},
    "41": {"role": "province", "province": "41", "hub_url": HUB_URL, "secret": SECRET_41},
}
NAMES = ("hub", "23", "41")
#: The system accounts that hold wallet money between a send and its end (WAL-1, WAL-4, HN-9).
HOLDING_FUNDS = (ledger.WALLET_PENDING, ledger.WALLET_TRANSIT_OUT, ledger.WALLET_TRANSIT_IN)


def host_of(url: str) -> str:
    parsed = httpx.URL(url)
    return f"{parsed.host}:{parsed.port}"


class Router(httpx.BaseTransport):
    """An httpx transport that hands a request to the in-process application of its host and port."""

    def __init__(self) -> None:
        self.apps: dict[str, TestClient] = {}
        self.down: set[str] = set()  # hosts that refuse connections
        self.calls: list[tuple[str, str]] = []  # (host, path) of every request tried

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        host = f"{request.url.host}:{request.url.port}"
        self.calls.append((host, request.url.path))
        if host in self.down or host not in self.apps:
            raise httpx.ConnectError(f"connection refused by {host}", request=request)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
        answer = self.apps[host].request(request.method, request.url.raw_path.decode(), headers=headers,
                                         content=request.read())
        kept = {k: v for k, v in answer.headers.items()
                if k.lower() not in ("content-length", "content-encoding", "transfer-encoding")}
        return httpx.Response(answer.status_code, headers=kept, content=answer.content, request=request)


@dataclass
class Instance:
    """One instance: its name in messages (``23``, ``41``, ``hub``), its database, Env, application and callers."""

    name: str
    url: str
    db: Database
    env: Env
    client: TestClient
    world: World
    _tokens: dict[str, dict[str, str]] = field(default_factory=dict)

    # -- reading its tables -------------------------------------------------------------------------

    def outbox(self) -> list[OutboxMessage]:
        return self.db.read(lambda s: list(s.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars()))

    def inbox(self) -> list[InboxMessage]:
        return self.db.read(lambda s: list(s.execute(select(InboxMessage).order_by(InboxMessage.message_id))
                                           .scalars()))

    def waiting(self) -> int:
        return self.db.read(lambda s: s.execute(select(func.count()).select_from(OutboxMessage)
                                                .where(OutboxMessage.acked_at.is_(None))).scalar_one())

    def transfers(self) -> list[WalletTransfer]:
        return self.db.read(lambda s: list(s.execute(select(WalletTransfer).order_by(WalletTransfer.id)).scalars()))

    def transfer(self, transfer_no: str) -> WalletTransfer:
        return self.db.read(lambda s: s.execute(select(WalletTransfer).where(
            WalletTransfer.transfer_no == transfer_no)).scalar_one())

    def system(self, kind: str, key: str) -> int:
        """The balance of a system account (``wallet_transit_out``, ``41``); 0 if it was never used."""
        return self.db.read(lambda s: ledger.system_balance(s, ledger.system_key(kind, key)))

    def money(self) -> int:
        """People's money here (personal accounts and wallets) plus the wallet's pending and transit accounts."""
        def read(s):
            kept = s.execute(select(func.coalesce(func.sum(Account.balance_fen), 0))
                             .where(Account.person_id.is_not(None))).scalar_one()
            held = s.execute(select(func.coalesce(func.sum(Posting.amount_fen), 0))
                             .join(Account, Account.id == Posting.account_id)
                             .where(Account.fund.in_(HOLDING_FUNDS))).scalar_one()
            return int(kept) + int(held)
        return self.db.read(read)

    def clean(self) -> None:
        """The ledger balances and reconciliation finds nothing wrong (wallet entries, pending and transit)."""
        assert self.db.read(ledger.check).ok
        report = reconcile(self.db)
        assert report.ok, report.as_dict()

    # -- its callers over HTTP ----------------------------------------------------------------------

    # the same logins as the API tests' callers (each instance keeps its own tokens)
    person = Api.person
    staff = Api.staff

    def post_signed(self, envelope: dict[str, Any], *, sender: str, secret: str | bytes,
                    timestamp: str | None = None, language: str = "zh") -> httpx.Response:
        """POST a message to this instance as ``sender`` would, signed with ``secret`` (as :func:`wire.deliver`)."""
        body = json.dumps(envelope, ensure_ascii=False, sort_keys=True).encode()
        secret = secret.encode() if isinstance(secret, str) else secret
        stamp = timestamp or str(int(time.time()))
        return self.client.post(wire.PATH, content=body, headers={
            "Content-Type": "application/json", "Accept-Language": language, wire.SENDER: sender,
            wire.TIMESTAMP: stamp, wire.SIGNATURE: wire.sign(secret, sender, stamp, body)})


@dataclass
class Federation:
    clock: FixedClock
    router: Router
    http: httpx.Client
    hub: Instance
    p23: Instance
    p41: Instance

    @property
    def instances(self) -> tuple[Instance, Instance, Instance]:
        return (self.p23, self.hub, self.p41)

    def deliver(self, instance: Instance) -> tuple[int, int]:
        """One delivery pass of ``instance``: (acknowledged, failed)."""
        return federation.deliver_once(instance.db, instance.env, self.http)

    def pump(self, *, rounds: int = 10) -> int:
        """Deliver from every instance until every outbox is drained; how many deliveries were acknowledged."""
        total = 0
        for _ in range(rounds):
            moved = 0
            for instance in self.instances:
                acked, failed = self.deliver(instance)
                assert failed == 0, [m.last_error for m in instance.outbox() if m.last_error]
                moved += acked
            total += moved
            if moved == 0:
                break
        assert [i.waiting() for i in self.instances] == [0, 0, 0]
        return total

    def money(self) -> int:
        """HN-9: the people's money of both provinces plus their pending and transit accounts."""
        return self.p23.money() + self.p41.money()

    def set_limit(self, prefix: str, **changes: Any) -> None:
        """Change a region's settings in the instance of its province (as a changed region file would)."""
        instance = self.p23 if prefix.startswith("23") else self.p41
        book = instance.env.policies
        changed = book.for_region(prefix.ljust(6, "0")).model_copy(update=changes)
        instance.env.policies = PolicyBook(by_prefix={**book.by_prefix, prefix: changed}, files=dict(book.files))


# -- the three databases --------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def federation_postgres_urls() -> Iterator[dict[str, str]]:
    """Three migrated PostgreSQL databases of this test process's own, one per instance, dropped at the end."""
    names = {name: f"gongji_fed_{worker_name()}_{name}" for name in NAMES}
    urls = {}
    try:
        for name, database in names.items():
            urls[name] = fresh_postgres_database(database)
        yield urls
    finally:
        for name in urls:
            drop_postgres_database(names[name])


@pytest.fixture(params=["sqlite", "postgres"])
def databases(request, tmp_path) -> Iterator[dict[str, Database]]:
    """One empty, migrated database per instance: SQLite files, or PostgreSQL databases with their tables emptied."""
    made: dict[str, Database] = {}
    if request.param == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        for name in NAMES:
            path = tmp_path / f"instance-{name}.sqlite3"
            shutil.copy(template, path)
            made[name] = Database(f"sqlite:///{path}")
    else:
        urls = request.getfixturevalue("federation_postgres_urls")
        for name in NAMES:
            made[name] = Database(urls[name], pool_size=6)
            _truncate(made[name])
    yield made
    for database in made.values():
        database.dispose()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock.on(TODAY, hour=10)


@pytest.fixture
def fed(databases, clock) -> Iterator[Federation]:
    router = Router()
    settings = ApiSettings(server_key=SERVER_KEY, notify_sender=None)
    instances: dict[str, Instance] = {}
    clients = []
    for name, url in (("hub", HUB_URL), ("23", P23_URL), ("41", P41_URL)):
        env = Env(clock=clock, policies=POLICIES, federation=federation_config.parse(SETTINGS[name], f"{name}.toml"))
        client = TestClient(create_app(databases[name], env, settings), raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        router.apps[host_of(url)] = client
        instances[name] = Instance(name, url, databases[name], env, client, World(db=databases[name], env=env))
    http = httpx.Client(transport=router)
    try:
        yield Federation(clock=clock, router=router, http=http, hub=instances["hub"], p23=instances["23"],
                         p41=instances["41"])
    finally:
        http.close()
        for client in clients:
            client.__exit__(None, None, None)


# -- people ------------------------------------------------------------------------------------------------


@dataclass
class Family:
    """A Harbin employee payer in 23's instance, and relatives insured in Zhengzhou, in 41's."""

    payer: Person  # 1,000 yuan current-year, 3,000 prior-years
    wife: Person  # an employee with 10 yuan of her own, her wallet open
    mother: Person  # a resident (no personal account), her wallet open
    son: Person  # a resident born 2000, no wallet


@pytest.fixture
def family(fed) -> Family:
    payer = fed.p23.world.person("王建国", current_fen=100_000, prior_fen=300_000)
    wife = fed.p41.world.person("李秀兰", city="zhengzhou", born=date(1972, 3, 8), sex="F", current_fen=1_000)
    mother = fed.p41.world.person("陈桂芳", city="zhengzhou", born=date(1945, 5, 5), sex="F", scheme="resident")
    son = fed.p41.world.person("王小明", city="zhengzhou", born=date(2000, 9, 1), scheme="resident")
    for relative in (wife, mother):
        fed.p41.world.run(lambda s, env, r=relative: wallet.open_wallet(s, env, id_number=r.id_number,
                                                                        actor=r.actor))
    return Family(payer, wife, mother, son)


def send(fed: Federation, payer: Person, beneficiary_id_number: str, amount_fen: int, *, province: str | None = "41",
         relationship: str = "spouse", key: str | None = None) -> WalletTransfer:
    """The payer sends from 23's instance towards a relative in ``province`` (WAL-1, HN-9)."""
    key = key or f"x-{beneficiary_id_number[-6:]}-{amount_fen}-{fed.clock.now().isoformat()}"
    return fed.p23.world.run(lambda s, env: wallet.send(
        s, env, payer_id_number=payer.id_number, beneficiary_id_number=beneficiary_id_number,
        relationship=relationship, amount_fen=amount_fen, idempotency_key=key, actor=payer.actor,
        beneficiary_province=province))


def accept_in_41(fed: Federation, relative: Person, transfer_no: str, *, key: str = "a-1") -> WalletTransfer:
    row = fed.p41.transfer(transfer_no)
    return fed.p41.world.run(lambda s, env: wallet.accept(s, env, transfer_id=row.id, idempotency_key=key,
                                                          actor=relative.actor))


def funds(fed: Federation, person: Person) -> tuple[int, int]:
    """(current-year, prior-years) of a payer of 23."""
    b = fed.p23.world.balances(person)
    return (b.current_year_fen, b.prior_years_fen)


def wallet_of(fed: Federation, person: Person) -> int | None:
    """The wallet balance of a relative of 41; None without a wallet."""
    return fed.p41.db.read(lambda s: s.execute(select(Account.balance_fen).where(
        Account.person_id == person.id, Account.fund == "wallet")).scalar_one_or_none())
