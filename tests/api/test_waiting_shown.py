"""The waiting period's end shown to the institution (LC-4, LC-2): a quote and a settlement say the patient's
pooled-fund share today, and the last day of his waiting period or reduced share; the personal account pays as
usual. On both databases."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from gongji.actors import Actor
from gongji.contributions import service as contributions

CST = ZoneInfo("Asia/Shanghai")
ULANQAB_HOSPITAL = "H15090100001"


def paid(world, person, day: date, months: list[str]) -> None:
    world.env.clock.set(datetime(day.year, day.month, day.day, 10, tzinfo=CST))

    def work(s, env):
        rows = [contributions.check_row({
            "id_number": person.id_number, "month": m, "payer_kind": "employer", "employer_fen": 64_000,
            "individual_fen": 16_000, "base_fen": 800_000, "paid_on": f"{m}-05"}, today=env.today()) for m in months]
        known = contributions.people_by_id_number(s, [r.id_number for r in rows])
        done = contributions.record(s, env, rows=rows, people=known, source="test")
        contributions.refresh(s, env, person_ids=done.person_ids, actor=Actor.system("contributions"))
    world.run(work)


def test_lc_4_a_quote_and_a_settlement_show_the_last_day_of_the_waiting_period(api):
    """LC-4 (Ulanqab: a break of more than three months opens six months' wait): paid January to March 2026, again
    from September: on 8 October the pooled fund pays nothing until 28 February 2027, and both answers say so; his
    own account still pays the bill."""
    world = api.world
    person = world.person("赵强", city="ulanqab", current_fen=50_000)
    paid(world, person, date(2026, 5, 10), ["2026-01", "2026-02", "2026-03"])
    paid(world, person, date(2026, 10, 8), ["2026-09", "2026-10"])
    hospital = api.institution(ULANQAB_HOSPITAL, city="ulanqab")
    bill = {"patient_id_number": person.id_number, "amount_fen": 12_000, "use": "outpatient"}

    quote = api.client.post("/v1/quotes", auth=hospital, json=bill)
    assert quote.status_code == 200, quote.text
    shown = {k: quote.json()[k] for k in ("pooled_share_permille", "pooled_share_reason", "waiting_until",
                                          "reduced_share_until")}
    assert shown == {"pooled_share_permille": 0, "pooled_share_reason": "waiting", "waiting_until": "2027-02-28",
                     "reduced_share_until": None}
    settled = api.client.post("/v1/settlements", auth=hospital, headers={"Idempotency-Key": "s-1"}, json=bill)
    assert settled.status_code == 201, settled.text
    assert (settled.json()["waiting_until"], settled.json()["own_fen"]) == ("2027-02-28", 12_000)

    # the wait is over: a reduced share for 24 months
    paid(world, person, date(2027, 3, 8), [f"2026-{m}" for m in (11, 12)] + ["2027-01", "2027-02", "2027-03"])
    later = api.client.post("/v1/quotes", auth=hospital, json=bill).json()
    assert (later["pooled_share_reason"], later["pooled_share_permille"], later["waiting_until"],
            later["reduced_share_until"]) == ("reduced", 500, None, "2029-02-28")


def test_lc_4_a_patient_paid_up_has_the_full_share_and_no_dates(api):
    world = api.world
    person = world.person("钱多", city="ulanqab", current_fen=50_000)
    paid(world, person, date(2026, 10, 8), [f"2026-{m:02d}" for m in range(1, 11)])
    hospital = api.institution(ULANQAB_HOSPITAL, city="ulanqab")
    quote = api.client.post("/v1/quotes", auth=hospital, json={
        "patient_id_number": person.id_number, "amount_fen": 12_000, "use": "outpatient"}).json()
    assert (quote["pooled_share_permille"], quote["pooled_share_reason"], quote["waiting_until"],
            quote["reduced_share_until"]) == (1000, "normal", None, None)
