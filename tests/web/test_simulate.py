"""The administrators' policy simulator over HTTP, on both databases: the answer first (figure cards, charts),
the CSV, refusals next to their fields, administrators only, for their regions only.

Rules: SZ-1 (the reserve line), N-3 (the pooled fund untouched, shown as a check).
"""

from __future__ import annotations

from datetime import date

from tests.factories import snapshot
from tests.web.helpers import by_testid, desk_fixture, field_error  # noqa: F401

QUESTION = "/admin/simulate?region=4403&changes=reserve_line_fen%3D300000&from=2025-06-01&to=2025-06-30"


def shenzhen(world):
    world.institution("H44030100001", city="shenzhen")
    payer = world.person("陈伟", city="shenzhen", born=date(1975, 1, 1), current_fen=500_000)
    patient = world.person("陈小明", city="shenzhen", born=date(2000, 1, 1), scheme="resident")
    world.bind(payer, patient, "child")
    world.settle(patient, 100_000, institution="H44030100001")


def test_the_answer_comes_first(desk):
    """SZ-1: at a 3,000-yuan reserve line the payer pays 200 yuan more and the patient 200 less (N-3 checked)."""
    shenzhen(desk.world)
    desk.log_in("A0001", region_prefix="", role="admin")
    before = snapshot(desk.world)
    r = desk.get(QUESTION)
    assert r.status_code == 200, r.text
    shown = by_testid(r.text)
    assert shown["metric-mutual-aid"] == ["共济支付 +200.00 元 800.00 → 1000.00"]
    assert shown["metric-cash"] == ["个人现金 -200.00 元 200.00 → 0.00"]
    assert shown["metric-affected"][0].startswith("受影响 1 位就诊人")
    assert "统筹基金未动用" in shown["checks"][0]
    assert r.text.index("metric-mutual-aid") < r.text.index("<details")
    assert r.text.count("<svg") == 5
    csv = desk.get(QUESTION.replace("/admin/simulate?", "/admin/simulate.csv?"))
    assert csv.status_code == 200 and "total,,mutual_aid_fen,80000,100000,20000" in csv.text
    english = desk.get(QUESTION + "&lang=en")
    assert by_testid(english.text)["metric-mutual-aid"] == ["Mutual aid paid +200.00 yuan 800.00 → 1000.00"]
    assert snapshot(desk.world) == before


def test_bad_questions_are_shown_next_to_their_fields(desk):
    desk.log_in("A0001", region_prefix="", role="admin")
    r = desk.get("/admin/simulate?region=4403&changes=reserve%3D1")
    assert r.status_code == 400 and "没有设置项" in field_error(r.text, "changes")
    r = desk.get("/admin/simulate?region=44x")
    assert r.status_code == 400 and field_error(r.text, "region")
    r = desk.get("/admin/simulate?region=4403&from=2025-07-01&to=2025-06-01")
    assert r.status_code == 400 and field_error(r.text, "from")
    r = desk.get("/admin/simulate")
    assert r.status_code == 200 and "<details class=\"card\" open>" in r.text


def test_administrators_only_and_their_regions_only(desk):
    r = desk.get("/admin/simulate")
    assert r.status_code == 303 and r.headers["location"].startswith("/counter/login")
    desk.log_in()  # staff of Harbin, not an administrator
    assert desk.get("/admin/simulate").status_code == 303
    desk.log_in("A2301", region_prefix="23", role="admin")
    r = desk.get("/admin/simulate?region=4403")
    assert r.status_code == 400 and "不在您的管辖范围" in field_error(r.text, "region")
    assert desk.get("/admin/simulate.csv?region=4403").status_code == 403
