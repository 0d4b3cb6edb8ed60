"""Cross-province wallet transfers between real processes, killed under load (HN-9, WAL-1..WAL-4).

Two provincial instances (23 Heilongjiang, 41 Henan) and the hub run as three ``gongji serve`` processes, each on a
database of its own (three SQLite files, or three PostgreSQL databases), built by ``gongji federation example``'s
:func:`gongji_tools.federation.example.build`: families whose payer is insured in one province and whose relatives are
insured in the other, most relatives with a wallet open, a few without.

For about 20 seconds the counter clerks of both provinces send transfers both ways over HTTP (WAL-1), each payer at
most three a day (WAL-2), all at 10:00 on a Monday (WAL-3), with a fresh Idempotency-Key per transfer, and send again
with the same key whenever the outcome is unknown (no answer, a 5xx). Some go to relatives without a wallet (refused
on arrival, ``WALLET_NOT_OPEN``), some to province 44, which the hub does not serve (``PROVINCE_NOT_CONNECTED``).
The clerks of the arrival side accept some of what arrives. Meanwhile each of the three processes is killed with
SIGKILL (its whole process group) and started again.

Then the night passes: the processes start again at 07:00 the next morning, ``gongji wallet-return`` gives back
what was not accepted (WAL-4) and the messages carry that to the payers' instances. Once every outbox is drained:
nothing lost (each transfer a client was told about has one ``out`` row and an arrival, or the hub's refusal), nothing
twice, the two rows of each transfer agree, the money of both provinces is what it was, the transit accounts hold
nothing, and ``gongji reconcile`` finds each province clean.

``GONGJI_FEDERATION_REPORT=path`` writes the run's counts there as JSON (one entry per database kind).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import random
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from gongji.clock import CST
from gongji.db import Database, normalize_url
from gongji.wallet.models import WalletTransfer
from gongji_tools.federation import check as federation_check
from gongji_tools.federation.example import Example, Pair, build
from tests.conftest import POSTGRES_URL, drop_postgres_database, fresh_postgres_database, worker_name
from tests.federation.processes import (
    Clerk,
    Faults,
    Outcome,
    Server,
    Timeline,
    free_ports,
    gongji_together,
    wait_drained,
)

#: A Monday at 10:00 CST (outside the quiet hours, WAL-3), and the next morning after the 06:00 return (WAL-4).
DAY = datetime(2025, 6, 2, 10, 0, tzinfo=CST)
NEXT_MORNING = datetime(2025, 6, 3, 7, 0, tzinfo=CST)
#: A longer run for the record: GONGJI_FEDERATION_LOAD_S, GONGJI_FEDERATION_FAMILIES, GONGJI_FEDERATION_KILL_ROUNDS
#: (each round kills each of the three processes once).
LOAD_S = float(os.environ.get("GONGJI_FEDERATION_LOAD_S", "20"))
#: Families per direction; each payer sends three transfers (WAL-2's daily limit).
FAMILIES = int(os.environ.get("GONGJI_FEDERATION_FAMILIES", "30"))
KILL_ROUNDS = int(os.environ.get("GONGJI_FEDERATION_KILL_ROUNDS", "1"))
SENDS_PER_PAYER = 3
SENDERS_PER_PROVINCE = 2
#: Of the transfers that arrive, the share the relative's clerk accepts; a send that goes to province 44 instead.
ACCEPT_SHARE = 0.6
UNSERVED_SHARE = 0.1
UNSERVED = "44"
SEED = 8
#: How long an unknown outcome is retried, and the outboxes are waited for, after the load.
GRACE_S = 150.0
PROVINCES = ("23", "41")


@dataclass
class Send:
    key: str
    payer_province: str
    destination: str
    pair: Pair
    amount_fen: int
    outcome: Outcome | None = None

    @property
    def body(self) -> dict:
        return {"payer_id_number": self.pair.payer_id_number, "beneficiary_id_number": self.pair.relative_id_number,
                "beneficiary_province": self.destination, "relationship": self.pair.relationship,
                "amount_fen": self.amount_fen}

    @property
    def transfer_no(self) -> str | None:
        return self.outcome.body.get("transfer_no") if self.outcome and self.outcome.status == 201 else None


def plan(pairs: list[Pair], rng: random.Random) -> dict[str, list[Send]]:
    """Three sends per payer (WAL-2), to one of his relatives each, a few to province 44 instead; in random order."""
    by_payer: dict[str, list[Pair]] = defaultdict(list)
    for pair in pairs:
        by_payer[pair.payer_id_number].append(pair)
    sends: dict[str, list[Send]] = {province: [] for province in PROVINCES}
    for relatives in by_payer.values():
        for _ in range(SENDS_PER_PAYER):
            pair = rng.choice(relatives)
            destination = UNSERVED if rng.random() < UNSERVED_SHARE else pair.relative_province
            sends[pair.payer_province].append(Send(key=f"fed-{uuid.UUID(int=rng.getrandbits(128)).hex}",
                                                   payer_province=pair.payer_province, destination=destination,
                                                   pair=pair, amount_fen=rng.randrange(100, 50_000)))
    for province_sends in sends.values():
        rng.shuffle(province_sends)
    return sends


# -- the federation's processes ----------------------------------------------------------------------------


@dataclass
class Federation:
    example: Example
    servers: dict[str, Server]
    dbs: dict[str, Database]
    timeline: Timeline
    folder: Path

    def start_all(self) -> None:
        """Start every server at once (each waits for its /readyz) and wait for all."""
        errors: list[BaseException] = []

        def start(server: Server) -> None:
            try:
                server.start()
            except BaseException as error:  # noqa: BLE001 - reported below
                errors.append(error)

        threads = [threading.Thread(target=start, args=(s,)) for s in self.servers.values()]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]

    def stop_all(self) -> None:
        for server in self.servers.values():
            server.terminate()
        for server in self.servers.values():
            server.stop()


def _postgres_names() -> dict[str, str]:
    """The example's three PostgreSQL databases (``{name}``: hub, p23, p41) of this test process."""
    return {db_name: f"gongji_fedp_{worker_name()}_{db_name}" for db_name in ("hub", "p23", "p41")}


def _postgres_template(names: dict[str, str]) -> str:
    """A URL template for the example's databases, made fresh here (skipped, or failed under
    GONGJI_REQUIRE_POSTGRES=1, without a server)."""
    for name in names.values():
        fresh_postgres_database(name)
    prefix = names["hub"][:-len("hub")]
    return make_url(normalize_url(POSTGRES_URL)).set(database=prefix + "NAME").render_as_string(
        hide_password=False).replace("NAME", "{name}")


@pytest.fixture(params=["sqlite", "postgres"])
def federation(request, tmp_path):
    kind = request.param
    names = _postgres_names() if kind == "postgres" else {}
    servers: dict[str, Server] = {}
    dbs: dict[str, Database] = {}
    try:
        template = _postgres_template(names) if names else None
        hub_port, port_23, port_41 = free_ports(3)
        example = build(tmp_path / "example", hub_port=hub_port, ports=(port_23, port_41),
                        database_url_template=template, seed=SEED, families=FAMILIES, person_passwords=False)
        timeline = Timeline(DAY)
        servers.update({name: Server(name, url=example.urls[name], port=example.ports[name],
                                     settings=example.settings[name], folder=tmp_path, timeline=timeline)
                        for name in ("hub", *PROVINCES)})
        dbs.update({name: Database(url, pool_size=2) for name, url in example.urls.items()})
        fed = Federation(example=example, servers=servers, dbs=dbs, timeline=timeline, folder=tmp_path)
        fed.start_all()
        yield kind, fed
    finally:
        for server in servers.values():
            server.kill()  # what they hold is checked by now
        for db in dbs.values():
            db.dispose()
        for name in names.values():
            with contextlib.suppress(Exception):
                drop_postgres_database(name)


# -- the load ------------------------------------------------------------------------------------------------


class Load:
    """The clerks' threads, the relatives' acceptance and the nemesis, over :data:`LOAD_S` seconds."""

    def __init__(self, fed: Federation, sends: dict[str, list[Send]], rng: random.Random) -> None:
        self.fed, self.sends, self.rng = fed, sends, rng
        self.tally: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.faults = Faults()
        self.accepts: dict[str, Outcome] = {}  # transfer_no → the accept's outcome
        self.left_waiting: set[str] = set()  # arrived transfers the relative let wait
        self.stop_accepting = threading.Event()
        self.errors: list[str] = []

    def run(self) -> None:
        started = time.monotonic()
        self.give_up_at = started + LOAD_S + GRACE_S
        senders, acceptors = [], []
        for province in PROVINCES:
            queue = list(self.sends[province])
            pace = LOAD_S * 0.9 / max(1, len(queue))
            position = iter(range(len(queue)))
            senders += [threading.Thread(target=self._guard, args=(self._sender, province, queue, position, started,
                                                                   pace)) for _ in range(SENDERS_PER_PROVINCE)]
            acceptors.append(threading.Thread(target=self._guard, args=(self._acceptor, province)))
        nemesis = threading.Thread(target=self._guard, args=(self._nemesis, started))
        for thread in [*senders, *acceptors, nemesis]:
            thread.start()
        nemesis.join()
        for thread in senders:
            thread.join()
        remaining = LOAD_S - (time.monotonic() - started)
        if remaining > 0:
            time.sleep(remaining)
        self.stop_accepting.set()
        for thread in acceptors:
            thread.join()
        self.seconds = time.monotonic() - started

    def _guard(self, fn, *args) -> None:
        try:
            fn(*args)
        except Exception as error:  # noqa: BLE001 - the test fails with it below
            self.errors.append(f"{fn.__name__}: {type(error).__name__}: {error}")

    def _sender(self, province: str, queue: list[Send], position, started: float, pace: float) -> None:
        clerk = Clerk(self.fed.servers[province].base_url, self.tally, self.lock)
        try:
            while True:
                with self.lock:
                    index = next(position, None)
                if index is None:
                    return
                send = queue[index]
                delay = started + index * pace - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                send.outcome = clerk.post("/v1/wallet-transfers", send.body, key=send.key,
                                          give_up_at=self.give_up_at)
        finally:
            clerk.close()

    def _acceptor(self, province: str) -> None:
        """The relatives' clerk: of what arrived and waits, accept some (WAL-1); the rest waits for WAL-4."""
        clerk = Clerk(self.fed.servers[province].base_url, self.tally, self.lock)
        db = self.fed.dbs[province]
        decided: set[str] = set()
        try:
            while not self.stop_accepting.is_set():
                waiting = db.read(lambda s: s.execute(
                    select(WalletTransfer.id, WalletTransfer.transfer_no)
                    .where(WalletTransfer.direction == "in", WalletTransfer.state == "sent")
                    .order_by(WalletTransfer.id)).all())
                for transfer_id, transfer_no in waiting:
                    if transfer_no in decided or self.stop_accepting.is_set():
                        continue
                    decided.add(transfer_no)
                    if random.Random(transfer_no).random() >= ACCEPT_SHARE:
                        self.left_waiting.add(transfer_no)
                        continue
                    self.accepts[transfer_no] = clerk.post(
                        f"/v1/wallet-transfers/{transfer_id}/accept", None, key=f"accept-{transfer_no}",
                        give_up_at=self.give_up_at)
                self.stop_accepting.wait(0.5)
        finally:
            clerk.close()

    def _nemesis(self, started: float) -> None:
        """Each process killed once a round (SIGKILL to its process group), spread from a fifth to seven tenths of
        the load, in a random order; down for a moment, then started again (and waited for)."""
        order = []
        for _ in range(KILL_ROUNDS):
            names = list(self.fed.servers)
            self.rng.shuffle(names)
            order += names
        for number, name in enumerate(order):
            delay = started + LOAD_S * (0.2 + 0.5 * number / max(1, len(order) - 1)) - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            server = self.fed.servers[name]
            server.kill()
            self.faults.kills[name] += 1
            killed_at = time.monotonic()
            time.sleep(self.rng.uniform(0.3, 1.5))
            server.start()
            self.faults.log.append(f"{name} killed at {killed_at - started:.1f} s, answering again after "
                                   f"{time.monotonic() - killed_at:.1f} s")


# -- reading the outcome ----------------------------------------------------------------------------------------


def rows(db: Database) -> dict[str, WalletTransfer]:
    found = db.read(lambda s: list(s.execute(select(WalletTransfer)).scalars()))
    return {row.transfer_no: row for row in found}


def report_counts(kind: str, counts: dict) -> None:
    print(f"\nfederation under faults ({kind}): " + json.dumps(counts, ensure_ascii=False, sort_keys=True))
    path = os.environ.get("GONGJI_FEDERATION_REPORT")
    if not path:
        return
    with open(path, "a+", encoding="utf-8") as file:
        fcntl.flock(file, fcntl.LOCK_EX)
        file.seek(0)
        try:
            data = json.loads(file.read() or "{}")
        except ValueError:
            data = {}
        data[kind] = counts
        file.seek(0)
        file.truncate()
        file.write(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n")


def test_transfers_between_provinces_survive_killed_processes_and_end_where_they_should(federation):
    """HN-9, WAL-1..WAL-4: three processes (hub, 23, 41) each killed with SIGKILL under two-way load; afterwards
    every transfer a clerk was told about is in exactly one out row and one arrival (or the hub's refusal), both rows
    agree, what was not accepted went back at 06:00 (WAL-4), no money was made or lost, and every instance
    reconciles."""
    kind, fed = federation
    rng = random.Random(SEED)
    sends = plan(fed.example.pairs, rng)
    load = Load(fed, sends, rng)
    marks = [time.monotonic()]
    load.run()
    marks.append(time.monotonic())
    assert not load.errors, load.errors
    assert dict(load.faults.kills) == {"hub": KILL_ROUNDS, "23": KILL_ROUNDS, "41": KILL_ROUNDS}, load.faults.log

    everything = [send for province in PROVINCES for send in sends[province]]
    unknown = [send.key for send in everything if send.outcome is None or send.outcome.status is None]
    assert not unknown, f"{len(unknown)} sends still without a definite outcome after {GRACE_S:.0f} s"
    refused_at_send = Counter(send.outcome.code for send in everything if send.outcome.status != 201)
    assert not refused_at_send, f"sends refused by the payer's instance: {refused_at_send}"
    accepts_unknown = [no for no, outcome in load.accepts.items() if outcome.status is None]
    assert not accepts_unknown, accepts_unknown

    # Nothing in flight is left behind at night: every message delivered, then the next morning's return (WAL-4).
    wait_drained(fed.dbs, within=GRACE_S)
    marks.append(time.monotonic())
    arrived_waiting = {name: sum(r.direction == "in" and r.state == "sent" for r in rows(fed.dbs[name]).values())
                       for name in PROVINCES}
    fed.stop_all()
    fed.timeline.set(NEXT_MORNING)
    fed.start_all()
    returned_by_job = {}
    runs = gongji_together([{"args": ["--database-url", fed.example.urls[province], "wallet-return"],
                             "timeline": fed.timeline, "folder": fed.folder,
                             "settings": fed.example.settings[province]} for province in PROVINCES])
    for province, run in zip(PROVINCES, runs, strict=True):
        assert run.returncode == 0, run.stdout + run.stderr
        returned_by_job[province] = int(run.stdout.split()[0])
    assert returned_by_job == arrived_waiting
    marks.append(time.monotonic())
    drained = wait_drained(fed.dbs, within=GRACE_S)
    marks.append(time.monotonic())

    # Nothing lost, nothing twice: each acknowledged send is one out row in its payer's instance, and one arrival in
    # the relative's (or, for province 44, the hub's refusal); no out row that no clerk was told about.
    found = {name: rows(fed.dbs[name]) for name in PROVINCES}
    for province in PROVINCES:
        acknowledged = {send.transfer_no: send for send in sends[province]}
        outs = {no: row for no, row in found[province].items() if row.direction == "out"}
        assert set(outs) == set(acknowledged), "out rows and acknowledged sends differ"
        for transfer_no, send in acknowledged.items():
            out = outs[transfer_no]
            assert (out.amount_fen, out.beneficiary_id_number, out.counterpart_province) == (
                send.amount_fen, send.pair.relative_id_number, send.destination)
            assert out.state != "sent", transfer_no
            if send.destination == UNSERVED:
                assert (out.state, out.refusal_code) == ("refused", "PROVINCE_NOT_CONNECTED")
                assert all(transfer_no not in found[name] for name in PROVINCES if name != province)
                continue
            arrived = found[send.destination][transfer_no]
            assert arrived.direction == "in" and arrived.state == out.state, (out.state, arrived.state)
            if not send.pair.wallet_open:  # WAL-1: the relative has no wallet to take it
                assert (out.state, out.refusal_code) == ("refused", "WALLET_NOT_OPEN")
            else:
                assert out.state in ("accepted", "returned"), (transfer_no, out.state, out.refusal_code)
    for transfer_no, outcome in load.accepts.items():
        if outcome.status == 200:  # accepted, as the relative's clerk was told: in both instances
            province = next(name for name in PROVINCES if found[name].get(transfer_no, None) is not None
                            and found[name][transfer_no].direction == "in")
            other = "41" if province == "23" else "23"
            assert found[province][transfer_no].state == found[other][transfer_no].state == "accepted"

    # The instances agree with each other, the money is what it was, the transit accounts hold nothing.
    report = federation_check.check_urls([fed.example.urls[name] for name in ("23", "41", "hub")],
                                         expect_total=fed.example.total_fen)
    assert report.ok, "\n".join(federation_check.format_report(report))
    assert report.total_fen == fed.example.total_fen
    assert all(values.get("transit_in_fen", 0) + values["transit_out_fen"] == 0 and values["in_flight_fen"] == 0
               for pair, values in report.pairs.items() if UNSERVED not in pair), report.pairs
    cli, *reconciled = gongji_together(
        [{"args": ["federation", "check", *(fed.example.urls[name] for name in ("23", "41", "hub")),
                   "--expect-total", str(fed.example.total_fen)], "timeline": fed.timeline, "folder": fed.folder}]
        + [{"args": ["--database-url", fed.example.urls[province], "reconcile"], "timeline": fed.timeline,
            "folder": fed.folder} for province in PROVINCES])
    assert cli.returncode == 0, cli.stdout + cli.stderr
    for province, run in zip(PROVINCES, reconciled, strict=True):
        assert run.returncode == 0, f"reconcile {province}:\n{run.stdout}{run.stderr}"

    marks.append(time.monotonic())
    states = Counter(row.state for province in PROVINCES for row in found[province].values()
                     if row.direction == "out")
    refusals = Counter(row.refusal_code for province in PROVINCES for row in found[province].values()
                       if row.direction == "out" and row.refusal_code)
    counts = {
        "database": kind, "seconds": round(load.seconds, 1), "families": 2 * FAMILIES,
        "sent": sum(states.values()), "sent_23_to_41": sum(s.destination == "41" for s in sends["23"]),
        "sent_41_to_23": sum(s.destination == "23" for s in sends["41"]),
        "sent_to_44": sum(s.destination == UNSERVED for s in everything),
        "accepted": states["accepted"], "returned": states["returned"], "refused": states["refused"],
        "refusals": dict(refusals), "returned_by_wallet_return": returned_by_job,
        "kills": dict(load.faults.kills), "faults": load.faults.log, "retries": load.tally["retries"],
        "send_tries_max": max(send.outcome.tries for send in everything),
        "messages_acknowledged": {name: acked for name, (_, acked, _) in drained.items()},
        "messages_received": {name: received for name, (_, _, received) in drained.items()},
        "money_fen": report.total_fen,
        "phases_s": dict(zip(("load", "drained", "next_morning_and_return", "drained_again", "checks"),
                             (round(b - a, 1) for a, b in zip(marks, marks[1:], strict=False)), strict=True)),
    }
    report_counts(kind, counts)
    assert states["accepted"] > 0 and states["returned"] > 0 and refusals["WALLET_NOT_OPEN"] > 0
    assert refusals["PROVINCE_NOT_CONNECTED"] > 0
