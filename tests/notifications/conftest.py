"""Notifications on both databases: a Harbin couple, and small helpers to read the outbox and deliver it."""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from gongji.notifications.models import Notification
from gongji.notifications.senders import OutgoingMessage
from tests.factories import World

HOSPITAL = "H23010100001"


def outbox(world: World, kind: str | None = None) -> list[Notification]:
    """Every notification (of one kind), in the order they were written."""
    query = select(Notification).order_by(Notification.id)
    if kind is not None:
        query = query.where(Notification.kind == kind)
    return world.db.read(lambda s: list(s.execute(query).scalars()))


def told(world: World, kind: str) -> list[int]:
    """Who was told about ``kind``, sorted."""
    return sorted(n.person_id for n in outbox(world, kind))


@dataclass
class RecordingSender:
    """A sender that keeps what it is given; it fails while ``failures`` is above zero."""

    sent: list[OutgoingMessage] = field(default_factory=list)
    failures: int = 0
    error: str = "gateway unavailable"

    def send(self, message: OutgoingMessage) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise ConnectionError(self.error)
        self.sent.append(message)


@pytest.fixture
def couple(world):
    """A Harbin payer with money (张建国, phone 13812345678) and his wife (王秀英), not yet bound; a hospital."""
    world.institution(HOSPITAL, name="哈尔滨市第一医院")
    payer = world.person("张建国", current_fen=30_000, prior_fen=20_000, phone="13812345678")
    wife = world.person("王秀英", sex="F", current_fen=1_000)
    return payer, wife


class Receiver:
    """A real HTTP server in a thread that records every request it gets (at arrival, before answering).

    ``delay`` keeps each request in flight for a while; ``status`` is the answer.
    """

    def __init__(self, *, delay: float = 0.0, status: int = 200) -> None:
        self.delay, self.status = delay, status
        self.requests: list[dict] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the name http.server calls)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver._lock:
                    receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body,
                                              "key": self.headers.get("Idempotency-Key")})
                time.sleep(receiver.delay)
                self.send_response(receiver.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args) -> None:
                pass

            def handle(self) -> None:
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the sender was killed meanwhile
                    super().handle()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="test-receiver", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/gongji"

    def keys(self) -> list[str]:
        with self._lock:
            return [r["key"] for r in self.requests]

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running
