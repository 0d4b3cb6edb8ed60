"""httpx authentication that signs an institution's requests (:mod:`gongji.auth.signing`); a module of its own so
that the server, which verifies signatures and sends none, does not import httpx."""

from __future__ import annotations

import time
from collections.abc import Generator

import httpx

from gongji.auth.signing import IDEMPOTENCY_KEY, signed_headers


class InstitutionAuth(httpx.Auth):
    """httpx authentication that signs every request: ``httpx.Client(auth=InstitutionAuth(code, secret))``.

    ``clock`` gives the Unix time to sign with (the system clock unless given).
    """

    requires_request_body = True

    def __init__(self, code: str, secret: str, clock=None) -> None:
        self.code = code
        self.secret = secret
        self.clock = clock or time.time

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        path = request.url.raw_path.decode()
        request.headers.update(signed_headers(self.code, self.secret, request.method, path, request.content,
                                              timestamp=int(self.clock()),
                                              idempotency_key=request.headers.get(IDEMPOTENCY_KEY)))
        yield request
