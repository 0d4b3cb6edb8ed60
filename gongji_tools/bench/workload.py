"""The mix of bills the benchmark sends, and the clients that send it.

Of every hundred operations about 72 are bills of employees whose own account pays (or part of it, the rest cash),
25 are bills of beneficiaries whose bound payers pay (mutual aid, N-10), and 3 are refunds of an earlier settlement
of the same client, half of them partial (HN-5). Hospitals settle outpatient bills, pharmacies purchases, each in the
patient's own city.

A service client is a process of its own that calls :func:`gongji.settlement.service.settle` and ``refund`` through
:meth:`Database.run`, as the HTTP endpoints do; an HTTP client is an asyncio task that sends signed requests to
``gongji serve``. Both keep every latency and count refusals by error code.
"""

from __future__ import annotations

import asyncio
import random
import time
from array import array
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from gongji_tools.bench.population import Patient, Roster

SETTLE, AID, REFUND = "settle", "aid", "refund"


@dataclass(frozen=True)
class Operation:
    kind: str  # settle | aid | refund
    institution: str
    patient: str | None = None
    amount_fen: int | None = None
    use: str | None = None
    settlement_id: int | None = None


class Mix:
    """Draws operations: own-account bills, mutual-aid bills and refunds in the benchmark's proportions."""

    def __init__(self, roster: Roster, rng: random.Random, *, aid_share: float = 0.25,
                 refund_share: float = 0.03) -> None:
        self.roster, self.rng = roster, rng
        self.aid_share, self.refund_share = aid_share, refund_share
        self.settled: list[tuple[int, str]] = []  # (settlement id, institution) of this client, for refunds

    def _bill(self, kind: str, patient: Patient, low: int, high: int) -> Operation:
        at_pharmacy = self.rng.random() < 0.4
        places = self.roster.institutions[patient.region_code]
        return Operation(kind, places["pharmacy" if at_pharmacy else "hospital"], patient=patient.id_number,
                         amount_fen=self.rng.randrange(low, high), use="pharmacy" if at_pharmacy else "outpatient")

    def next(self) -> Operation:
        draw = self.rng.random()
        if draw < self.refund_share and self.settled:
            settlement_id, institution = self.settled.pop(self.rng.randrange(len(self.settled)))
            return Operation(REFUND, institution, settlement_id=settlement_id)
        if draw < self.refund_share + self.aid_share and self.roster.aided:
            return self._bill(AID, self.rng.choice(self.roster.aided), 5_000, 50_000)
        return self._bill(SETTLE, self.rng.choice(self.roster.own), 2_000, 30_000)

    def done(self, op: Operation, settlement_id: int | None) -> None:
        if settlement_id is not None and op.kind != REFUND:
            self.settled.append((settlement_id, op.institution))
            if len(self.settled) > 1_000:
                self.settled.pop(0)

    def refund_amount(self, paid_fen: int) -> int | None:
        """Half of the refunds are partial: about half of what was paid."""
        return max(1, paid_fen // 2) if self.rng.random() < 0.5 else None


@dataclass
class ClientResult:
    """What one client did: a latency per operation (seconds), and counts."""

    latencies: array = field(default_factory=lambda: array("d"))
    by_kind: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    mutual_aid: int = 0  # settlements in which a relative's account paid
    cpu_s: float = 0.0  # processor time the client's process spent while it ran (HTTP clients)

    def merge(self, other: ClientResult) -> None:
        self.latencies.extend(other.latencies)
        self.by_kind.update(other.by_kind)
        self.errors.update(other.errors)
        self.mutual_aid += other.mutual_aid
        self.cpu_s += other.cpu_s


def service_client(url: str, roster_path: str, seconds: float, seed: int, start_at: float, run_id: str,
                   client: int) -> ClientResult:
    """One client through the service layer, in a process of its own (so clients do not share one interpreter)."""
    from gongji.db import Database
    from gongji.env import Env
    from gongji.errors import GongjiError
    from gongji.settlement import service as settlement

    db = Database(url, pool_size=1)
    env = Env()
    mix = Mix(Roster.load(Path(roster_path)), random.Random(seed))
    paid: dict[int, int] = {}
    result = ClientResult()
    time.sleep(max(0.0, start_at - time.time()))
    deadline = time.perf_counter() + seconds
    n = 0
    while time.perf_counter() < deadline:
        n += 1
        op = mix.next()
        key = f"bench-{run_id}-{client}-{n}"
        began = time.perf_counter()
        try:
            if op.kind == REFUND:
                amount = mix.refund_amount(paid.pop(op.settlement_id, 0))
                db.run(lambda s, op=op, key=key, amount=amount: settlement.refund(
                    s, env, institution_code=op.institution, settlement_id=op.settlement_id, idempotency_key=key,
                    amount_fen=amount, reason="benchmark"))
                settlement_id = None
            else:
                done = db.run(lambda s, op=op, key=key: settlement.settle(
                    s, env, institution_code=op.institution, patient_id_number=op.patient, amount_fen=op.amount_fen,
                    use=op.use, idempotency_key=key))
                settlement_id = done.settlement_id
                paid[settlement_id] = done.amount_fen
                result.mutual_aid += done.mutual_aid_fen > 0
        except GongjiError as error:
            result.errors[error.code] += 1
            settlement_id = None
        except Exception as error:  # noqa: BLE001 - counted and reported, never hidden
            result.errors[type(error).__name__] += 1
            settlement_id = None
        result.latencies.append(time.perf_counter() - began)
        result.by_kind[op.kind] += 1
        mix.done(op, settlement_id)
    db.dispose()
    return result


async def _http_client(client_no: int, base_url: str, secrets: dict[str, str], mix: Mix, deadline: float,
                       run_id: str, http, result: ClientResult) -> None:
    from gongji.auth.signing import InstitutionAuth

    auths = {code: InstitutionAuth(code, secret) for code, secret in secrets.items()}
    paid: dict[int, int] = {}
    n = 0
    while time.perf_counter() < deadline:
        n += 1
        op = mix.next()
        headers = {"Idempotency-Key": f"bench-{run_id}-h{client_no}-{n}"}
        began = time.perf_counter()
        settlement_id = None
        try:
            if op.kind == REFUND:
                amount = mix.refund_amount(paid.pop(op.settlement_id, 0))
                if amount is None:
                    response = await http.post(f"{base_url}/v1/settlements/{op.settlement_id}/cancel",
                                               json={"reason": "benchmark"}, headers=headers, auth=auths[op.institution])
                else:
                    response = await http.post(f"{base_url}/v1/settlements/{op.settlement_id}/refunds",
                                               json={"amount_fen": amount, "reason": "benchmark"}, headers=headers,
                                               auth=auths[op.institution])
            else:
                response = await http.post(f"{base_url}/v1/settlements", headers=headers, auth=auths[op.institution],
                                           json={"patient_id_number": op.patient, "amount_fen": op.amount_fen,
                                                 "use": op.use})
            if response.status_code == 201:
                if op.kind != REFUND:
                    body = response.json()
                    settlement_id = body["settlement_id"]
                    paid[settlement_id] = body["amount_fen"]
                    result.mutual_aid += body["mutual_aid_fen"] > 0
            else:
                code = response.json().get("code") if response.headers.get("content-type", "").endswith("json") \
                    else None
                result.errors[code or f"HTTP {response.status_code}"] += 1
        except Exception as error:  # noqa: BLE001 - counted and reported
            result.errors[type(error).__name__] += 1
        result.latencies.append(time.perf_counter() - began)
        result.by_kind[op.kind] += 1
        mix.done(op, settlement_id)


def http_clients(base_url: str, roster_path: str, secrets: dict[str, str], clients: int, seconds: float, seed: int,
                 start_at: float, run_id: str, first_client: int = 0) -> ClientResult:
    """``clients`` concurrent HTTP clients (asyncio tasks sharing one connection pool) in this process."""
    import httpx

    roster = Roster.load(Path(roster_path))

    async def main() -> ClientResult:
        result = ClientResult()
        limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
        async with httpx.AsyncClient(limits=limits, timeout=60) as http:
            await asyncio.sleep(max(0.0, start_at - time.time()))
            deadline = time.perf_counter() + seconds
            cpu_from = time.process_time()
            await asyncio.gather(*(
                _http_client(first_client + i, base_url, secrets, Mix(roster, random.Random(seed + i)), deadline,
                             run_id, http, result)
                for i in range(clients)
            ))
            result.cpu_s = time.process_time() - cpu_from
        return result

    return asyncio.run(main())
