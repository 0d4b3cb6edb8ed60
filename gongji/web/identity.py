"""How a person proves who he is to the portal: a pluggable identity provider.

``GONGJI_PORTAL_IDENTITY`` chooses one:

* ``password`` (the default): ID number and password, as set at a counter (``PUT /v1/people/{id}/password``)
  or for the demo's cast. Failed logins are told apart from nothing (``LOGIN_FAILED``).
* ``header:<Header-Name>``: a reverse proxy in front of Gongji has already identified the person (the
  national insurance app, a government e-ID, a bank's face check) and passes the verified ID number in that
  header. Gongji trusts it, so the header must be set by the proxy only and stripped from what clients send.

A provider returns the :class:`gongji.auth.service.Login` for the person; the portal keeps its token in a cookie.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Protocol

from fastapi import Request
from sqlalchemy.orm import Session

from gongji.auth import service as auth
from gongji.env import Env
from gongji.people import service as people


class IdentityProvider(Protocol):
    #: True: the login page asks for an ID number and a password.
    asks_password: bool

    def login(self, session: Session, env: Env, request: Request, form: dict[str, str], minutes: int) -> auth.Login:
        ...


class PasswordIdentity:
    asks_password = True

    def login(self, session: Session, env: Env, request: Request, form: dict[str, str], minutes: int) -> auth.Login:
        return auth.login_person(session, env, id_number=form.get("id_number", ""), password=form.get("password", ""),
                                 minutes=minutes)


@dataclass
class TrustedHeaderIdentity:
    header: str
    asks_password = False

    def login(self, session: Session, env: Env, request: Request, form: dict[str, str], minutes: int) -> auth.Login:
        from gongji.errors import GongjiError

        number = request.headers.get(self.header)
        if not number:
            raise GongjiError("LOGIN_FAILED")
        person = people.find(session, number)
        return auth.open_person_session(session, env, person=person, minutes=minutes)


def provider_from_env() -> IdentityProvider:
    value = os.environ.get("GONGJI_PORTAL_IDENTITY", "password")
    if value.startswith("header:") and len(value) > len("header:"):
        return TrustedHeaderIdentity(header=value.split(":", 1)[1])
    return PasswordIdentity()
