"""gongji.web.forms: the one place where a form's refusals are mapped to its fields (no database)."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from gongji.errors import GongjiError
from gongji.web import forms
from gongji.web.pages import Page


@dataclass
class _Page:
    language: str = "zh"

    t = Page.t
    message = Page.message
    field_errors = Page.field_errors


async def _raise(error: Exception):
    raise error


def _run(coroutine):
    # A thread of its own: a browser test earlier on the same worker may leave an event loop running here.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _attempt(error: Exception, fields=(), wording=forms.STAFF) -> forms.Outcome:
    return _run(forms.attempt(_Page(), _raise(error), fields=fields, wording=wording))


def test_a_refusal_naming_a_field_of_the_form_is_shown_next_to_it():
    failed = _attempt(GongjiError("SELF_BINDING"), fields=("id_number",)).failed
    assert list(failed.errors) == ["id_number"] and failed.status == 400


def test_a_refusal_about_a_field_the_form_lacks_is_shown_above_it():
    failed = _attempt(GongjiError("SELF_BINDING"), fields=("name",)).failed
    assert list(failed.errors) == [""]


def test_a_forbidden_action_keeps_its_status_and_a_page_refusal_is_passed_on():
    assert _attempt(GongjiError("FORBIDDEN", action_zh="查看", action_en="see")).failed.status == 403
    assert _attempt(forms.Refused({"name": "x"})).failed.errors == {"name": "x"}


def test_an_area_wording_maps_its_own_codes_and_tells_a_malformed_field_by_its_reason():
    wording = forms.Wording(plain=True, field_of={"INSUFFICIENT_BALANCE": "amount"})
    failed = _attempt(GongjiError("INVALID_FIELD", field="phone", reason_zh="手机号码应为11位数字",
                                  reason_en="a mobile number has 11 digits"), fields=("phone",), wording=wording).failed
    assert failed.errors == {"phone": "手机号码应为11位数字。"}


def test_a_dry_run_carries_what_the_confirmation_shows_and_a_value_comes_back():
    assert _attempt(forms.DryRun({"name": "李"})).tried == {"name": "李"}

    async def ten():
        return 10

    assert _run(forms.attempt(_Page(), ten())).value == 10


def test_checks_note_every_missing_or_malformed_field_at_once():
    c = forms.Checks(_Page(), {"id_number": "123", "name": ""})
    c.required("name", "请填写姓名。", "Enter the name.")
    c.id_number(who_zh="亲属", who_en="the relative")
    assert set(c.errors) == {"name", "id_number"}
