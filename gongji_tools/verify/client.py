"""A verification client: sends operations one at a time, logs every one, and retries what it cannot know.

Each client is what a hospital till or a counter terminal is to the service: it sends a request with a fresh
idempotency key and waits. The answer is one of three:

- **ok** (2xx): the operation happened; the answer says what it made;
- **failed** (a 4xx problem): the service refused it and, by its contract, changed nothing;
- **unknown** (a timeout, a broken connection, a 5xx, a server that is not there): it may or may not have happened.

An unknown operation is sent again, the same request with the same key (a new signature and nonce, as a real
client's would be), until the answer is ok or failed or the run gives up. The client writes its log as it goes,
one JSON line per step, *before* it sends (``invoke``) and after each answer (``retry``, ``ok``, ``fail``), so
the checker knows of every operation that may have reached the service, including one whose answer never came.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from gongji.auth.signing import InstitutionAuth
from gongji_tools.verify.world import Cast

SETTLE, AID, REFUND, CANCEL, BIND, UNBIND, TRANSFER, CREDIT = (
    "settle", "aid", "refund", "cancel", "bind", "unbind", "transfer", "credit")
#: How often each kind of operation is drawn (out of 100).
WEIGHTS = {SETTLE: 40, AID: 20, REFUND: 10, CANCEL: 4, UNBIND: 7, BIND: 7, TRANSFER: 6, CREDIT: 6}
#: Answers that say nothing about whether the operation happened: send it again.
UNKNOWN_STATUSES = frozenset({408, 425, 429}) | frozenset(range(500, 600))


@dataclass
class Request:
    kind: str
    method: str
    path: str
    body: dict | None
    signer: str | None  # the institution that signs it; None: the administrator's bearer token


@dataclass
class Outcome:
    status: int | None
    body: Any = None
    error: str | None = None

    @property
    def definite(self) -> bool:
        return self.status is not None and self.status not in UNKNOWN_STATUSES


@dataclass
class ClientState:
    """What this client knows: its settlements (to refund) and its share of the bindings (to end and make again)."""

    settlements: list[list] = field(default_factory=list)  # [settlement id, institution, amount left to refund]
    active: dict[int, int] = field(default_factory=dict)  # binding spec index -> current binding id
    ended: set[int] = field(default_factory=set)  # binding spec indexes whose binding this client ended


def result_of(body: Any) -> dict:
    """The ids and amounts of an answer: what the checker compares with the database."""
    if not isinstance(body, dict):
        return {}
    return {k: v for k, v in body.items() if (k.endswith("_id") or k.endswith("_fen")) and isinstance(v, int)}


class Client:
    def __init__(self, number: int, clients: int, cast: Cast, send: Callable[[Request, str], Outcome],
                 log_path: Path, seed: int, run_id: str) -> None:
        self.number, self.cast, self.send = number, cast, send
        self.rng = random.Random(seed * 1_000 + number)
        self.run_id = run_id
        self.log = open(log_path, "a", buffering=1, encoding="utf-8")  # noqa: SIM115 - closed in run()
        self.state = ClientState()
        for index, spec in enumerate(cast.bindings):
            if index % clients == number:
                self.state.active[index] = spec.binding_id
        self.n = 0

    def write(self, **record) -> None:
        self.log.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")

    # -- drawing an operation ---------------------------------------------------------------------

    def draw(self) -> tuple[Request, Callable[[dict], None]] | None:
        kinds, weights = zip(*WEIGHTS.items(), strict=True)
        kind = self.rng.choices(kinds, weights)[0]
        rng, cast, state = self.rng, self.cast, self.state
        if kind in (SETTLE, AID):
            people = cast.patients if kind == SETTLE or not cast.aided else cast.aided
            patient = rng.choice(people)
            code = cast.institution_for(patient["region_code"], rng)
            use = "pharmacy" if cast.institutions[code]["kind"] == "pharmacy" else "outpatient"
            amount = rng.randrange(1_000, 60_000)
            body = {"patient_id_number": patient["id_number"], "amount_fen": amount, "use": use}

            def settled(result: dict, code=code) -> None:
                state.settlements.append([result["settlement_id"], code, result["amount_fen"]])
            return Request(kind, "POST", "/v1/settlements", body, code), settled
        if kind in (REFUND, CANCEL) and state.settlements:
            entry = rng.choice(state.settlements)
            settlement_id, code, left = entry
            if kind == CANCEL or left <= 1:
                def cancelled(result: dict, entry=entry) -> None:
                    state.settlements.remove(entry)
                return (Request(CANCEL, "POST", f"/v1/settlements/{settlement_id}/cancel", {"reason": "verify"}, code),
                        cancelled)
            amount = rng.randrange(1, left)

            def refunded(result: dict, entry=entry) -> None:
                entry[2] -= result["amount_fen"]
            return (Request(REFUND, "POST", f"/v1/settlements/{settlement_id}/refunds",
                            {"amount_fen": amount, "reason": "verify"}, code), refunded)
        if kind == UNBIND and state.active:
            index = rng.choice(sorted(state.active))
            binding_id = state.active[index]

            def unbound(result: dict, index=index) -> None:
                del state.active[index]
                state.ended.add(index)
            return Request(UNBIND, "POST", f"/v1/bindings/{binding_id}/unbind", {"note": "verify"}, None), unbound
        if kind == BIND and state.ended:
            index = rng.choice(sorted(state.ended))

            def bound(result: dict, index=index) -> None:
                state.ended.discard(index)
                state.active[index] = result["binding_id"]
            return Request(BIND, "POST", "/v1/bindings", cast.bindings[index].body, None), bound
        if kind == TRANSFER and cast.transfers:
            body = {**rng.choice(cast.transfers), "amount_fen": rng.randrange(100, 2_000)}
            return Request(TRANSFER, "POST", "/v1/transfers", body, None), lambda result: None
        if kind == CREDIT and cast.people:
            person = rng.choice(cast.people)
            return (Request(CREDIT, "POST", f"/v1/people/{person}/credits",
                            {"amount_fen": rng.randrange(1_000, 10_000), "memo": "verify"}, None), lambda result: None)
        return None

    # -- running ----------------------------------------------------------------------------------

    def perform(self, request: Request, on_ok: Callable[[dict], None], give_up_at: float) -> str:
        """Send until the answer is definite or it is time to give up; returns ok, fail or unknown."""
        self.n += 1
        op = self.n
        key = f"verify-{self.run_id}-{self.number}-{op}"
        scope = f"institution:{request.signer}" if request.signer else f"admin:{self.cast.admin_id}"
        self.write(event="invoke", op=op, kind=request.kind, key=key, scope=scope, method=request.method,
                   path=request.path, body=request.body, t=time.time())
        pause = 0.1
        attempt = 0
        while True:
            attempt += 1
            outcome = self.send(request, key)
            if outcome.definite:
                if 200 <= outcome.status < 300:
                    result = result_of(outcome.body)
                    self.write(event="ok", op=op, status=outcome.status, result=result, attempts=attempt,
                               replayed=bool(isinstance(outcome.body, dict) and outcome.body.get("_replayed")),
                               t=time.time())
                    on_ok(result)
                    return "ok"
                code = outcome.body.get("code") if isinstance(outcome.body, dict) else None
                self.write(event="fail", op=op, status=outcome.status, code=code, attempts=attempt, t=time.time())
                return "fail"
            self.write(event="retry", op=op, status=outcome.status, error=outcome.error, attempt=attempt,
                       t=time.time())
            if time.time() >= give_up_at:
                return "unknown"
            time.sleep(pause)
            pause = min(pause * 2, 1.0)

    def run(self, stop_at: float, give_up_at: float, at_least: int = 0) -> None:
        """Send operations until ``stop_at``, and on until ``at_least`` were sent (a slow machine does fewer in the
        time), but never past ``give_up_at``."""
        try:
            while time.time() < stop_at or (self.n < at_least and time.time() < give_up_at):
                drawn = self.draw()
                if drawn is not None:
                    self.perform(*drawn, give_up_at=give_up_at)
        finally:
            self.log.close()


# -- sending over HTTP ----------------------------------------------------------------------------

class HttpSender:
    """Sends a client's requests to ``gongji serve``: institutions sign, the administrator uses a bearer token."""

    def __init__(self, base_url: str, cast: Cast, *, timeout: float = 10.0, http: httpx.Client | None = None,
                 ) -> None:
        self.http = http or httpx.Client(base_url=base_url, timeout=timeout)
        self.cast = cast
        self.auths = {code: InstitutionAuth(code, i["secret"]) for code, i in cast.institutions.items()}
        self.token: str | None = None

    def _login(self) -> None:
        response = self.http.post("/v1/auth/staff", json={"staff_id": self.cast.admin_id,
                                                          "password": self.cast.admin_password})
        response.raise_for_status()
        self.token = response.json()["token"]

    def __call__(self, request: Request, key: str) -> Outcome:
        headers = {"Idempotency-Key": key}
        try:
            if request.signer:
                auth = self.auths[request.signer]
            else:
                if self.token is None:
                    self._login()
                headers["Authorization"] = f"Bearer {self.token}"
                auth = None
            response = self.http.request(request.method, request.path, json=request.body, headers=headers,
                                         auth=auth)
        except (httpx.HTTPError, OSError) as error:
            return Outcome(None, error=type(error).__name__)
        if response.status_code == 401 and not request.signer:
            self.token = None  # the session is gone: log in again and send the same request again
            return Outcome(None, error="staff session refused")
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and response.headers.get("Idempotent-Replayed") == "true":
            body["_replayed"] = True
        return Outcome(response.status_code, body)


def client_process(number: int, clients: int, cast_path: str, base_url: str, log_path: str, seed: int, run_id: str,
                   stop_at: float, give_up_at: float, at_least: int = 0) -> None:
    """The body of one client process (spawned): one HTTP connection, one operation at a time."""
    cast = Cast.load(Path(cast_path))
    sender = HttpSender(base_url, cast)
    Client(number, clients, cast, sender, Path(log_path), seed, run_id).run(stop_at, give_up_at, at_least)
