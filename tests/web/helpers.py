"""Helpers for page tests over HTTP: a logged-in browser-like client, CSRF tokens, and reading pages by
their ``data-testid`` attributes and field errors."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape
from html.parser import HTMLParser

import httpx
import pytest
from fastapi.testclient import TestClient

from gongji.api.app import create_app
from gongji.api.settings import ApiSettings
from tests.api.conftest import SERVER_KEY, Api

_CSRF = re.compile(r'name="csrf" value="([0-9a-f]{32})"')
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _ByTestId(HTMLParser):
    """The text of every element with a ``data-testid``, by that id, in page order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: dict[str, list[str]] = {}
        self._open: list[tuple[str | None, list[str]]] = []

    def handle_starttag(self, tag, attrs):
        if tag in _VOID:
            return
        testid = dict(attrs).get("data-testid")
        self._open.append((testid, []))

    def handle_endtag(self, tag):
        if tag in _VOID or not self._open:
            return
        testid, parts = self._open.pop()
        text = " ".join("".join(parts).split())
        if testid is not None:
            self.found.setdefault(testid, []).append(text)
        if self._open:
            self._open[-1][1].append(" " + "".join(parts) + " ")

    def handle_data(self, data):
        if self._open:
            self._open[-1][1].append(data)


def by_testid(html: str) -> dict[str, list[str]]:
    parser = _ByTestId()
    parser.feed(html)
    return parser.found


def field_error(html: str, name: str) -> str | None:
    """The message shown next to the field ``name``, if any."""
    found = re.search(rf'<p class="field-error" id="e-{re.escape(name)}" role="alert">(.*?)</p>', html, re.S)
    return unescape(found.group(1)).strip() if found else None


def page_error(html: str) -> str | None:
    """The message shown above the form (an error that concerns no one field)."""
    found = re.search(r'<p class="error" role="alert">(.*?)</p>', html, re.S)
    return unescape(found.group(1)).strip() if found else None


def notice(html: str) -> str | None:
    found = re.search(r'<p class="notice" role="status">(.*?)</p>', html, re.S)
    return unescape(found.group(1)).strip() if found else None


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


@dataclass
class Desk:
    """The counter console as a browser uses it: cookies kept, forms posted with the page's CSRF token."""

    api: Api

    @property
    def client(self) -> TestClient:
        return self.api.client

    @property
    def world(self):
        return self.api.world

    def get(self, url: str, **kwargs) -> httpx.Response:
        return self.client.get(url, follow_redirects=False, **kwargs)

    def csrf(self, url: str = "/counter/login") -> str:
        r = self.client.get(url)
        return csrf_of(r.text)

    def post(self, url: str, data: dict[str, str] | None = None, *, token_from: str | None = None) -> httpx.Response:
        """POST a form with the CSRF token of the page ``token_from`` (the login page unless told)."""
        form = {"csrf": self.csrf(token_from or "/counter/login"), **(data or {})}
        return self.client.post(url, data=form, follow_redirects=False)

    def log_in(self, staff_id: str = "S2301", *, region_prefix: str = "2301", role: str = "staff") -> None:
        """A staff member of ``region_prefix`` (made first if new) logs in through the login form."""
        self.api.staff(staff_id, region_prefix=region_prefix, role=role)
        r = self.post("/counter/login", {"staff_id": staff_id, "password": "counter-123", "next": "/counter"})
        assert r.status_code == 303, r.text
        assert r.headers["location"] == "/counter"

    def follow(self, response: httpx.Response) -> httpx.Response:
        """The page a 303 answer leads to."""
        assert response.status_code == 303, response.text
        return self.client.get(response.headers["location"], follow_redirects=False)


@pytest.fixture(name="desk")
def desk_fixture(world) -> Iterator[Desk]:
    """The real application over the test's database (both of them), as the counter console's browser."""
    settings = ApiSettings(server_key=SERVER_KEY, notify_sender=None)
    app = create_app(world.db, world.env, settings)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Desk(api=Api(world=world, client=client, settings=settings))
