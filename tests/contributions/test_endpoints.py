"""Contributions over the API (LC-1, LC-4): staff post them, all or nothing; people and staff read what they decide,
with the end of a waiting period; a status staff record keeps its reason."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from tests.api.conftest import api  # noqa: F401  (the fixture)

CST = ZoneInfo("Asia/Shanghai")


def month_rows(person, months: list[str]) -> list[dict]:
    return [{"id_number": person.id_number, "month": m, "employer_fen": 64_000, "individual_fen": 16_000,
             "base_fen": 800_000, "paid_on": f"{m}-01"} for m in months]


def test_lc_4_staff_post_contributions_and_the_person_sees_the_waiting_period_end(api):  # noqa: F811
    api.world.env.clock.set(datetime(2026, 12, 8, 10, tzinfo=CST))
    person = api.world.person("刘军", city="ulanqab")
    staff = api.staff("S1509", region_prefix="1509")
    months = [f"2025-{m:02d}" for m in range(1, 13)] + ["2026-01", "2026-02", "2026-03"] + \
        [f"2026-{m:02d}" for m in range(9, 13)]
    r = api.client.post("/v1/contributions", json={"contributions": month_rows(person, months)}, headers=staff)
    assert r.status_code == 200, r.text
    assert r.json() == {"inserted": 19, "updated": 0, "unchanged": 0, "status_changes": 0}
    again = api.client.post("/v1/contributions", json={"contributions": month_rows(person, months)}, headers=staff)
    assert again.json()["unchanged"] == 19
    view = api.client.get(f"/v1/people/{person.id}/contributions", headers=api.person(person)).json()
    assert (view["status"], view["last_paid_month"], view["pooled_share_permille"], view["waiting_until"]) == (
        "normal", "2026-12", 0, "2027-02-28")
    assert len(view["months"]) == 19


def test_a_bad_row_refuses_the_whole_request_naming_it(api):  # noqa: F811
    api.world.env.clock.set(datetime(2026, 12, 8, 10, tzinfo=CST))
    person = api.world.person("刘军", city="ulanqab")
    staff = api.staff("S1509", region_prefix="1509")
    rows = month_rows(person, ["2026-10", "2026-11"])
    rows[1]["month"] = "2026-1"
    r = api.client.post("/v1/contributions", json={"contributions": rows}, headers=staff)
    assert r.status_code == 422 and r.json()["params"]["field"] == "contributions[1].month", r.text
    view = api.client.get(f"/v1/people/{person.id}/contributions", headers=staff).json()
    assert view["months"] == [] and view["status_cause"] == "registered"
    elsewhere = api.staff("S2301", region_prefix="2301")
    r = api.client.post("/v1/contributions", json={"contributions": rows[:1]}, headers=elsewhere)
    assert r.status_code == 403


def test_lc_1_staff_record_a_status_with_its_reason(api):  # noqa: F811
    person = api.world.person("李强", city="harbin")
    r = api.client.put(f"/v1/people/{person.id}/status", json={"status": "suspended", "reason": "停止缴费"},
                       headers=api.staff())
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["status_reason"], r.json()["status_cause"]) == (
        "suspended", "停止缴费", "staff")
