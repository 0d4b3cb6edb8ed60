"""A real `uvicorn` server over the test database and Debian's Chromium driven by Playwright (headless).

The server runs in a thread of the test process with the test's fixed clock, so a test can also act behind
the browser's back through the services (``live.world``) or the signed HTTP API (``live.institution``).
Without Chromium the browser tests are skipped, unless ``GONGJI_REQUIRE_BROWSER=1`` (as in CI), when they fail.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn

from gongji.actors import Actor
from gongji.api.app import create_app
from gongji.api.settings import ApiSettings
from gongji.auth import service as auth
from gongji.auth.signing import InstitutionAuth
from tests.factories import World

CHROMIUM = os.environ.get("GONGJI_CHROMIUM", "/usr/bin/chromium")
REQUIRE_BROWSER = os.environ.get("GONGJI_REQUIRE_BROWSER") == "1"
SERVER_KEY = b"browser-test-server-key"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 860}


@dataclass
class Live:
    world: World
    url: str

    def institution(self, code: str = "H23010100001", **kwargs) -> httpx.Client:
        """A signed API client of the institution (registered first if new)."""
        from sqlalchemy import text

        exists = self.world.db.read(lambda s: s.execute(text("SELECT count(*) FROM institutions WHERE code = :c"),
                                                        {"c": code}).scalar_one())
        if not exists:
            self.world.institution(code, **kwargs)
        secret = self.world.run(lambda s, env: auth.issue_institution_secret(
            s, env, server_key=SERVER_KEY, code=code, actor=Actor.system("tests")))
        return httpx.Client(base_url=self.url, auth=InstitutionAuth(code, secret,
                                                                    clock=lambda: self.world.env.now().timestamp()))

    def password(self, person, password: str = "secret-123") -> str:
        self.world.run(lambda s, env: auth.set_person_password(s, env, person_id=person.id, password=password,
                                                               actor=Actor.system("tests")))
        return password

    def staff(self, staff_id: str = "S2301", *, region_prefix: str = "2301", role: str = "staff") -> str:
        self.world.run(lambda s, env: auth.add_staff(s, env, staff_id=staff_id, name="王经办", role=role,
                                                     region_prefix=region_prefix, password="counter-123",
                                                     actor=Actor.system("tests")))
        return "counter-123"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def live(world) -> Iterator[Live]:
    app = create_app(world.db, world.env, ApiSettings(server_key=SERVER_KEY, notify_sender=None))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield Live(world=world, url=f"http://127.0.0.1:{port}")
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        message = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        if REQUIRE_BROWSER:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def phone(browser, live):
    context = browser.new_context(viewport=PHONE, locale="zh-CN", base_url=live.url, device_scale_factor=1)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def desktop(browser, live):
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN", base_url=live.url)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def log_in(page, id_number: str, password: str) -> None:
    """Log in to the portal as a person and wait for his home page."""
    page.goto("/portal/login")
    page.fill("[name=id_number]", id_number)
    page.fill("[name=password]", password)
    page.locator("main button[type=submit]").click()
    page.wait_for_url("**/portal")
