"""HLJ-7: the portal's bind form counts every attempt against the payer, as ``POST /v1/bindings`` does, on both
databases: past the limit (``GONGJI_BINDING_ATTEMPTS_PER_PERSON``, 2 here) it is BINDING_ATTEMPTS_THROTTLED (429),
shown above the form, and nothing is bound, even with the right name."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from gongji.api.app import create_app
from gongji.api.settings import ApiSettings
from tests.web.helpers import field_error, page_error
from tests.web.test_portal import SERVER_KEY, Visitor, bind_form, bindings


@pytest.fixture
def strict(world, tmp_path, monkeypatch) -> Iterator[Visitor]:
    """The portal with two binding attempts a day per payer."""
    monkeypatch.setenv("GONGJI_UPLOAD_DIR", str(tmp_path / "uploads"))
    monkeypatch.delenv("GONGJI_PORTAL_IDENTITY", raising=False)
    settings = ApiSettings(server_key=SERVER_KEY, notify_sender=None, binding_attempts_per_person=2)
    with TestClient(create_app(world.db, world.env, settings), raise_server_exceptions=False) as client:
        yield Visitor(world=world, client=client, uploads=tmp_path / "uploads")


def test_hlj_7_the_bind_form_is_throttled_per_payer(strict, world):
    payer = world.person("王建国", current_fen=300_000)
    wife = world.person("李秀兰", sex="F")
    strict.log_in(payer)
    for guess in ("李秀", "李秀英"):  # two wrong names: refused next to the name, and counted
        r = strict.post("/portal/bind", bind_form(wife, name=guess))
        assert r.status_code == 400 and "姓名与身份证号码不一致" in field_error(r.text, "name")
    r = strict.post("/portal/bind", bind_form(wife))
    assert r.status_code == 429, r.text[:500]
    assert "绑定申请过于频繁（24小时内2次）" in page_error(r.text)
    assert bindings(world) == []
    strict.get("/portal/bind?lang=en")  # the language switch is remembered
    r = strict.post("/portal/bind", bind_form(wife))
    assert r.status_code == 429 and "Too many binding attempts (2 within 24 hours)" in page_error(r.text)
