"""Administration over HTTP: institutions and their secrets, staff, and region policies.

Administrators manage what lies inside their region prefix; counter staff of a region read its
institutions; everyone may read the region policies (the public rules of HLJ-1..9, HN-*, SZ-*, ...);
a change of policy takes effect for the next request (HLJ-2, HLJ-3) and is recorded (N-8).
"""

from __future__ import annotations

import shutil
import tomllib
from datetime import date

import pytest
from sqlalchemy import select

from gongji.auth.signing import InstitutionAuth
from gongji.events.models import Event
from gongji.policy import load_policies
from gongji.policy.book import BUILT_IN
from tests.factories import refused, snapshot

HOSPITAL = {"code": "H23010100077", "name": "哈尔滨市第七人民医院", "kind": "hospital", "region_code": "230100"}


def unchanged(api, before, *, ignore=()):
    """Nothing changed but the tables named (a signed request leaves its nonce even when refused)."""
    after = snapshot(api.world)
    for table in ignore:
        before, after = dict(before), dict(after)
        before.pop(table), after.pop(table)
    assert after == before


def events(api, kind):
    return api.world.db.read(lambda s: [(e.actor_id, e.data) for e in s.execute(
        select(Event).where(Event.kind == kind).order_by(Event.id)).scalars()])


def problem(r, status, code):
    assert (r.status_code, r.json()["code"]) == (status, code), r.text
    assert r.headers["content-type"] == "application/problem+json"
    return r.json()


@pytest.fixture
def callers(api):
    """Logged in before a test takes its snapshot: every kind of caller but the anonymous one."""
    return {
        "admin_all": api.admin("A0001", region_prefix=""),
        "admin_hlj": api.admin("A23", region_prefix="23"),
        "admin_henan": api.admin("A41", region_prefix="41"),
        "staff_harbin": api.staff("S2301", region_prefix="2301"),
        "staff_henan": api.staff("S4101", region_prefix="4101"),
    }


# -- institutions ---------------------------------------------------------------------------------------------


def test_an_administrator_registers_an_institution_and_staff_of_its_region_read_it(api, callers):
    """An administrator of Heilongjiang registers a Harbin hospital; Harbin staff see it; it sees itself."""
    r = api.client.post("/v1/institutions", json=HOSPITAL, headers=callers["admin_hlj"])
    assert r.status_code == 201, r.text
    made = r.json()
    assert {k: made[k] for k in HOSPITAL} == HOSPITAL
    assert made["active"] is True and made["region_name"]
    assert events(api, "institution.registered") == [("A23", {"code": HOSPITAL["code"], "kind": "hospital"})]

    seen = api.client.get(f"/v1/institutions/{HOSPITAL['code']}", headers=callers["staff_harbin"])
    assert seen.status_code == 200 and seen.json() == made
    own = api.client.get(f"/v1/institutions/{HOSPITAL['code']}", auth=api.institution(HOSPITAL["code"]))
    assert own.status_code == 200 and own.json() == made


def test_a_retry_of_a_registration_with_its_key_gets_the_first_answer(api, callers):
    headers = {**callers["admin_hlj"], "Idempotency-Key": "inst-77"}
    first = api.client.post("/v1/institutions", json=HOSPITAL, headers=headers)
    again = api.client.post("/v1/institutions", json=HOSPITAL, headers=headers)
    assert first.status_code == again.status_code == 201 and again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    without_key = api.client.post("/v1/institutions", json=HOSPITAL, headers=callers["admin_hlj"])
    problem(without_key, 422, "INVALID_FIELD")  # the code is taken


@pytest.mark.parametrize(("caller", "status", "code"), [
    ("staff_harbin", 403, "FORBIDDEN"),
    ("admin_henan", 403, "REGION_NOT_MANAGED"),
    ("anonymous", 401, "AUTH_REQUIRED"),
    ("institution", 403, "FORBIDDEN"),
])
def test_only_an_administrator_of_its_region_registers_an_institution(api, callers, caller, status, code):
    auth = api.institution("H23010100001") if caller == "institution" else None
    headers = callers.get(caller, {})
    before = snapshot(api.world)
    r = api.client.post("/v1/institutions", json=HOSPITAL, headers=headers, auth=auth)
    problem(r, status, code)
    unchanged(api, before, ignore=["seen_nonces"])


def test_who_may_read_an_institution(api, callers):
    """Staff of another region, another institution, a person and nobody are refused."""
    api.world.institution(HOSPITAL["code"])
    person = api.world.person("赵一")
    url = f"/v1/institutions/{HOSPITAL['code']}"
    assert api.client.get(url, headers=callers["admin_all"]).status_code == 200
    problem(api.client.get(url, headers=callers["staff_henan"]), 403, "REGION_NOT_MANAGED")
    problem(api.client.get(url, auth=api.institution("H23010100001")), 403, "FORBIDDEN")
    problem(api.client.get(url, headers=api.person(person)), 403, "FORBIDDEN")
    problem(api.client.get(url), 401, "AUTH_REQUIRED")
    problem(api.client.get("/v1/institutions/H99999999999", headers=callers["admin_all"]), 404,
            "INSTITUTION_NOT_FOUND")


def test_institutions_are_listed_within_the_callers_region(api, callers):
    w = api.world
    for code, city in [("H23010100003", "harbin"), ("H23010100001", "harbin"), ("H23020100001", "qiqihar"),
                       ("H41010100001", "zhengzhou")]:
        w.institution(code, city=city)

    def codes(headers, query=""):
        r = api.client.get(f"/v1/institutions{query}", headers=headers)
        assert r.status_code == 200, r.text
        return [i["code"] for i in r.json()["items"]], r.json()["total"]

    assert codes(callers["staff_harbin"]) == (["H23010100001", "H23010100003"], 2)
    assert codes(callers["admin_hlj"]) == (["H23010100001", "H23010100003", "H23020100001"], 3)
    assert codes(callers["admin_hlj"], "?region_prefix=2302") == (["H23020100001"], 1)
    assert codes(callers["admin_all"], "?limit=2&offset=1") == (["H23010100003", "H23020100001"], 4)
    assert codes(callers["admin_all"], "?region_prefix=41") == (["H41010100001"], 1)
    problem(api.client.get("/v1/institutions?region_prefix=41", headers=callers["staff_harbin"]), 403,
            "REGION_NOT_MANAGED")
    problem(api.client.get("/v1/institutions?region_prefix=", headers=callers["admin_hlj"]), 403,
            "REGION_NOT_MANAGED")
    problem(api.client.get("/v1/institutions?region_prefix=230", headers=callers["admin_all"]), 422,
            "INVALID_REQUEST")
    problem(api.client.get("/v1/institutions", auth=api.institution("H23010100001")), 403, "FORBIDDEN")
    problem(api.client.get("/v1/institutions"), 401, "AUTH_REQUIRED")


def test_a_secret_issued_over_the_api_signs_requests_and_a_new_one_ends_the_old(api, callers):
    """The secret is shown once, works at once, and stops working when another is issued."""
    patient = api.world.person("钱二")
    api.world.institution(HOSPITAL["code"])
    clock = lambda: api.world.env.now().timestamp()  # noqa: E731
    url = f"/v1/people/{patient.id}"

    first = api.client.post(f"/v1/institutions/{HOSPITAL['code']}/secret", headers=callers["admin_hlj"])
    assert first.status_code == 201, first.text
    assert first.headers["cache-control"] == "no-store"
    assert first.json()["code"] == HOSPITAL["code"] and "once" in first.json()["notice"]
    old = InstitutionAuth(HOSPITAL["code"], first.json()["secret"], clock=clock)
    assert api.client.get(url, auth=old).json()["name"] == "钱二"

    second = api.client.post(f"/v1/institutions/{HOSPITAL['code']}/secret", headers=callers["admin_all"])
    assert second.status_code == 201 and second.json()["secret"] != first.json()["secret"]
    problem(api.client.get(url, auth=old), 401, "SIGNATURE_INVALID")
    new = InstitutionAuth(HOSPITAL["code"], second.json()["secret"], clock=clock)
    assert api.client.get(url, auth=new).status_code == 200
    assert [actor for actor, _ in events(api, "institution.secret_issued")] == ["A23", "A0001"]


@pytest.mark.parametrize(("caller", "status", "code"), [
    ("staff_harbin", 403, "FORBIDDEN"),
    ("admin_henan", 403, "REGION_NOT_MANAGED"),
    ("anonymous", 401, "AUTH_REQUIRED"),
    ("institution", 403, "FORBIDDEN"),
])
def test_only_an_administrator_of_its_region_issues_a_secret(api, callers, caller, status, code):
    """Refused callers change nothing: the institution's current secret keeps working."""
    patient = api.world.person("孙三")
    signing = api.institution("H23010100001")
    before = snapshot(api.world)
    r = api.client.post("/v1/institutions/H23010100001/secret", headers=callers.get(caller, {}),
                        auth=signing if caller == "institution" else None)
    problem(r, status, code)
    assert "secret" not in r.json()
    unchanged(api, before, ignore=["seen_nonces"])
    assert api.client.get(f"/v1/people/{patient.id}", auth=signing).status_code == 200


def test_a_suspended_institution_can_neither_sign_nor_settle_until_reactivated(api, callers):
    patient = api.world.person("周四", current_fen=10_000)
    signing = api.institution("H23010100001")
    url = "/v1/institutions/H23010100001/active"

    r = api.client.put(url, json={"active": False}, headers=callers["admin_hlj"])
    assert r.status_code == 200 and r.json()["active"] is False
    problem(api.client.get(f"/v1/people/{patient.id}", auth=signing), 401, "SIGNATURE_INVALID")
    refused(api.world, lambda: api.world.settle(patient, 1_000), "INSTITUTION_NOT_FOUND")
    before = snapshot(api.world)
    problem(api.client.post("/v1/institutions/H23010100001/secret", headers=callers["admin_hlj"]), 409,
            "INSTITUTION_SUSPENDED")
    unchanged(api, before)
    listed = api.client.get("/v1/institutions?active=false", headers=callers["staff_harbin"]).json()
    assert [i["code"] for i in listed["items"]] == ["H23010100001"]

    r = api.client.put(url, json={"active": True}, headers=callers["admin_all"])
    assert r.status_code == 200 and r.json()["active"] is True
    assert api.client.get(f"/v1/people/{patient.id}", auth=signing).status_code == 200
    assert api.world.settle(patient, 1_000).own_fen == 1_000
    assert [a for a, _ in events(api, "institution.suspended")] == ["A23"]
    assert [a for a, _ in events(api, "institution.reactivated")] == ["A0001"]


@pytest.mark.parametrize(("caller", "status", "code"), [
    ("staff_harbin", 403, "FORBIDDEN"),
    ("admin_henan", 403, "REGION_NOT_MANAGED"),
    ("anonymous", 401, "AUTH_REQUIRED"),
    ("institution", 403, "FORBIDDEN"),
])
def test_only_an_administrator_of_its_region_suspends_an_institution(api, callers, caller, status, code):
    signing = api.institution("H23010100001")
    before = snapshot(api.world)
    r = api.client.put("/v1/institutions/H23010100001/active", json={"active": False},
                       headers=callers.get(caller, {}), auth=signing if caller == "institution" else None)
    problem(r, status, code)
    unchanged(api, before, ignore=["seen_nonces"])


# -- staff ----------------------------------------------------------------------------------------------------


def test_an_administrator_adds_staff_of_his_region_who_can_then_log_in(api, callers):
    body = {"staff_id": "S230102", "name": "李窗口", "role": "staff", "region_prefix": "2301",
            "password": "window-2025"}
    r = api.client.post("/v1/staff", json=body, headers=callers["admin_hlj"])
    assert r.status_code == 201, r.text
    assert r.json()["staff_id"] == "S230102" and r.json()["active"] is True
    assert "password" not in r.text and "window-2025" not in r.text and "hash" not in r.text
    login = api.client.post("/v1/auth/staff", json={"staff_id": "S230102", "password": "window-2025"})
    assert login.status_code == 200 and login.json()["role"] == "staff"
    assert events(api, "staff.added")[-1] == ("A23", {"staff_id": "S230102", "role": "staff",
                                                      "region_prefix": "2301"})

    listed = api.client.get("/v1/staff", headers=callers["admin_hlj"]).json()
    assert [m["staff_id"] for m in listed["items"]] == ["A23", "S2301", "S230102"]
    assert "password" not in str(listed) and "hash" not in str(listed)
    everyone = api.client.get("/v1/staff?limit=3&offset=1", headers=callers["admin_all"]).json()
    assert everyone["total"] == 6 and [m["staff_id"] for m in everyone["items"]] == ["A23", "A41", "S2301"]


@pytest.mark.parametrize(("caller", "change", "status", "code"), [
    ("admin_hlj", {"region_prefix": "41"}, 403, "REGION_NOT_MANAGED"),
    ("admin_hlj", {"region_prefix": "", "role": "admin"}, 403, "REGION_NOT_MANAGED"),
    ("admin_henan", {}, 403, "REGION_NOT_MANAGED"),
    ("staff_harbin", {}, 403, "FORBIDDEN"),
    ("anonymous", {}, 401, "AUTH_REQUIRED"),
    ("institution", {}, 403, "FORBIDDEN"),
    ("admin_hlj", {"password": "short"}, 422, "WEAK_PASSWORD"),
    ("admin_hlj", {"staff_id": "S2301"}, 409, "STAFF_EXISTS"),
    ("admin_hlj", {"region_prefix": "230"}, 422, "INVALID_REQUEST"),
    ("admin_hlj", {"role": "root"}, 422, "INVALID_REQUEST"),
])
def test_staff_are_added_only_inside_the_administrators_region(api, callers, caller, change, status, code):
    signing = api.institution("H23010100001") if caller == "institution" else None
    body = {"staff_id": "S230199", "name": "新人", "role": "staff", "region_prefix": "2301",
            "password": "window-2025", **change}
    before = snapshot(api.world)
    problem(api.client.post("/v1/staff", json=body, headers=callers.get(caller, {}), auth=signing), status, code)
    unchanged(api, before, ignore=["seen_nonces"])


def test_listing_staff_is_for_administrators(api, callers):
    problem(api.client.get("/v1/staff", headers=callers["staff_harbin"]), 403, "FORBIDDEN")
    problem(api.client.get("/v1/staff"), 401, "AUTH_REQUIRED")


def test_deactivating_a_staff_member_ends_his_logins_until_reactivated(api, callers):
    harbin = callers["staff_harbin"]
    assert api.client.get("/v1/institutions", headers=harbin).status_code == 200
    r = api.client.put("/v1/staff/S2301/active", json={"active": False}, headers=callers["admin_hlj"])
    assert r.status_code == 200 and r.json()["active"] is False
    problem(api.client.get("/v1/institutions", headers=harbin), 401, "SESSION_EXPIRED")
    problem(api.client.post("/v1/auth/staff", json={"staff_id": "S2301", "password": "counter-123"}), 401,
            "LOGIN_FAILED")

    r = api.client.put("/v1/staff/S2301/active", json={"active": True}, headers=callers["admin_hlj"])
    assert r.status_code == 200 and r.json()["active"] is True
    assert api.client.post("/v1/auth/staff", json={"staff_id": "S2301", "password": "counter-123"}
                           ).status_code == 200
    assert [d["staff_id"] for _, d in events(api, "staff.deactivated")] == ["S2301"]


@pytest.mark.parametrize(("caller", "target", "status", "code"), [
    ("admin_henan", "S2301", 403, "REGION_NOT_MANAGED"),
    ("admin_hlj", "A0001", 403, "REGION_NOT_MANAGED"),  # wider than his own region
    ("admin_hlj", "A23", 403, "FORBIDDEN"),  # himself
    ("staff_harbin", "S2301", 403, "FORBIDDEN"),
    ("anonymous", "S2301", 401, "AUTH_REQUIRED"),
    ("institution", "S2301", 403, "FORBIDDEN"),
    ("admin_all", "NOBODY", 404, "STAFF_NOT_FOUND"),
])
def test_only_an_administrator_of_their_region_deactivates_staff(api, callers, caller, target, status, code):
    signing = api.institution("H23010100001") if caller == "institution" else None
    before = snapshot(api.world)
    r = api.client.put(f"/v1/staff/{target}/active", json={"active": False}, headers=callers.get(caller, {}),
                       auth=signing)
    problem(r, status, code)
    unchanged(api, before, ignore=["seen_nonces"])


# -- region policies ------------------------------------------------------------------------------------------


def test_anyone_reads_the_region_policies_without_logging_in(api):
    """The rules of each region are public (HLJ-1, HLJ-2, HLJ-3; the national default N-2, N-6)."""
    r = api.client.get("/v1/regions")
    assert r.status_code == 200, r.text
    regions = r.json()
    assert regions[0]["prefixes"] == ["*"]
    hlj = next(p for p in regions if p["prefixes"] == ["23"])
    assert (hlj["name_en"], hlj["max_beneficiaries_per_payer"], hlj["max_payers_per_beneficiary"],
            hlj["rebind_wait_days"]) == ("Heilongjiang", 10, 1, 30)
    assert sorted(p["name_en"] for p in regions) == sorted(p.name_en for p in api.world.env.policies)


@pytest.mark.parametrize(("code", "governed_by", "name_en"), [
    ("230100", "23", "Heilongjiang"),
    ("440305", "4403", "Shenzhen"),
    ("110100", "*", "National default"),
])
def test_the_policy_in_force_for_a_division_code(api, code, governed_by, name_en):
    r = api.client.get(f"/v1/regions/{code}/policy")
    assert r.status_code == 200, r.text
    view = r.json()
    assert (view["region_code"], view["governed_by"], view["policy"]["name_en"]) == (code, governed_by, name_en)
    assert view["policy"] == api.world.env.policy(code).model_dump(mode="json")


def test_a_division_code_that_does_not_exist_is_refused(api):
    problem(api.client.get("/v1/regions/999999/policy"), 422, "INVALID_REGION")
    problem(api.client.get("/v1/regions/2301/policy"), 422, "INVALID_REQUEST")


@pytest.fixture
def policy_dir(api, tmp_path, monkeypatch):
    """A deployment's own policy folder (GONGJI_POLICY_DIR), holding copies of the built-in files."""
    folder = tmp_path / "policies"
    folder.mkdir()
    for path in BUILT_IN.glob("*.toml"):
        shutil.copy(path, folder)
    monkeypatch.setenv("GONGJI_POLICY_DIR", str(folder))
    api.world.env.policies = load_policies(folder)
    return folder


def heilongjiang(api, **change):
    return {**api.client.get("/v1/regions/230100/policy").json()["policy"], **change}


def bind(api, payer, beneficiary, relationship, key):
    body = {"beneficiary_id_number": beneficiary.id_number, "beneficiary_name": beneficiary.name,
            "relationship": relationship, "agreement_version": "HLJ-2024.07"}
    return api.client.post("/v1/bindings", json=body, headers={**api.person(payer), "Idempotency-Key": key})


def test_a_changed_policy_applies_to_the_next_request_and_is_recorded(api, callers, policy_dir):
    """HLJ-3 as a setting: with one payer per beneficiary a second payer is refused; once the
    administrator allows two, the same request succeeds. The file is rewritten and the change recorded."""
    w = api.world
    father = w.person("李建国", current_fen=50_000, born=date(1960, 3, 1))
    mother = w.person("王秀英", sex="F", born=date(1962, 5, 1))
    son = w.person("李明", current_fen=80_000, born=date(1988, 8, 8))
    w.bind(father, mother, "spouse")
    problem(bind(api, son, mother, "parent", "son-1"), 409, "TOO_MANY_PAYERS")

    r = api.client.put("/v1/regions/23/policy", json=heilongjiang(api, max_payers_per_beneficiary=2),
                       headers=callers["admin_hlj"])
    assert r.status_code == 200, r.text
    answer = r.json()
    assert (answer["prefix"], answer["file"], answer["new_file"]) == ("23", "heilongjiang.toml", False)
    assert answer["changed"] == {"max_payers_per_beneficiary": [1, 2]}
    written = tomllib.loads((policy_dir / "heilongjiang.toml").read_text(encoding="utf-8"))
    assert written["max_payers_per_beneficiary"] == 2 and written["rebind_wait_days"] == 30
    assert load_policies(policy_dir).for_region("230100").max_payers_per_beneficiary == 2
    assert sorted(p.name for p in policy_dir.iterdir()) == sorted(p.name for p in BUILT_IN.glob("*.toml"))
    assert events(api, "policy.changed") == [("A23", {
        "prefix": "23", "file": "heilongjiang.toml", "new_file": False,
        "changes": {"max_payers_per_beneficiary": [1, 2]}})]

    assert api.client.get("/v1/regions/230200/policy").json()["policy"]["max_payers_per_beneficiary"] == 2
    assert bind(api, son, mother, "parent", "son-2").status_code == 201


def test_a_city_gets_a_policy_of_its_own(api, callers, policy_dir):
    """HLJ-2 as a setting: Harbin without the 30-day wait, the rest of Heilongjiang keeps it."""
    w = api.world
    husband = w.person("张伟", current_fen=50_000)
    wife = w.person("刘芳", sex="F")
    binding = w.bind(husband, wife, "spouse")
    assert api.client.post(f"/v1/bindings/{binding}/unbind", json={},
                           headers={**api.person(husband), "Idempotency-Key": "u-1"}).status_code == 200
    problem(bind(api, husband, wife, "spouse", "again-1"), 409, "REBIND_TOO_SOON")

    harbin = heilongjiang(api, name="哈尔滨市", name_en="Harbin", applies_to=["2301"], rebind_wait_days=0)
    r = api.client.put("/v1/regions/2301/policy", json=harbin, headers=callers["admin_hlj"])
    assert r.status_code == 200, r.text
    assert (r.json()["file"], r.json()["new_file"]) == ("2301.toml", True)
    assert r.json()["changed"]["rebind_wait_days"] == [30, 0]
    assert api.client.get("/v1/regions/230100/policy").json()["governed_by"] == "2301"
    assert api.client.get("/v1/regions/230200/policy").json()["policy"]["rebind_wait_days"] == 30
    assert bind(api, husband, wife, "spouse", "again-2").status_code == 201


@pytest.mark.parametrize(("change", "key"), [
    ({"rebind_wait_days": -1}, "rebind_wait_days"),
    ({"rebind_wait_days": "30"}, "rebind_wait_days"),  # a string is not a number of days
    ({"reserve_line_fen": 10.5}, "reserve_line_fen"),  # fen are whole
    ({"max_beneficiaries_per_payer": 0}, "max_beneficiaries_per_payer"),
    ({"payer_order": "alphabetical"}, "payer_order"),
    ({"allowed_relationships": ["spouse", "spouse"]}, "allowed_relationships"),
    ({"resident_contribution_fen": None}, "uses_for_relatives"),  # N-5 needs the yearly amount
    ({"rebind_days": 10}, "rebind_days"),
    ({"applies_to": ["41"]}, "applies_to"),  # must include the prefix changed
])
def test_a_policy_that_is_not_valid_is_refused_naming_the_key(api, callers, policy_dir, change, key):
    body = heilongjiang(api, **change)
    file_before = (policy_dir / "heilongjiang.toml").read_bytes()
    book_before = api.world.env.policies
    before = snapshot(api.world)
    admin = callers["admin_all"]
    p = problem(api.client.put("/v1/regions/23/policy", json=body, headers=admin), 422, "POLICY_INVALID")
    assert p["params"]["key"] == key and key in p["detail"]
    assert (policy_dir / "heilongjiang.toml").read_bytes() == file_before
    assert sorted(x.name for x in policy_dir.iterdir()) == sorted(x.name for x in BUILT_IN.glob("*.toml"))
    assert api.world.env.policies is book_before
    unchanged(api, before)


def test_a_prefix_governed_by_another_policy_is_refused(api, callers, policy_dir):
    body = heilongjiang(api, name_en="Harbin", applies_to=["2301", "23"])
    p = problem(api.client.put("/v1/regions/2301/policy", json=body, headers=callers["admin_hlj"]), 422,
                "POLICY_INVALID")
    assert p["params"]["key"] == "applies_to" and "Heilongjiang" in p["detail"]
    assert not (policy_dir / "2301.toml").exists()


@pytest.mark.parametrize(("caller", "prefix", "applies_to", "status", "code"), [
    ("staff_harbin", "23", ["23"], 403, "FORBIDDEN"),
    ("admin_henan", "23", ["23"], 403, "REGION_NOT_MANAGED"),
    ("admin_hlj", "*", ["*"], 403, "REGION_NOT_MANAGED"),  # only an all-region administrator
    ("admin_hlj", "23", ["23", "41"], 403, "REGION_NOT_MANAGED"),
    ("anonymous", "23", ["23"], 401, "AUTH_REQUIRED"),
    ("institution", "23", ["23"], 403, "FORBIDDEN"),
])
def test_only_an_administrator_of_the_region_changes_its_policy(api, callers, policy_dir, caller, prefix,
                                                                  applies_to, status, code):
    signing = api.institution("H23010100001") if caller == "institution" else None
    body = heilongjiang(api, applies_to=applies_to, rebind_wait_days=1)
    file_before = (policy_dir / "heilongjiang.toml").read_bytes()
    before = snapshot(api.world)
    r = api.client.put(f"/v1/regions/{prefix}/policy", json=body, headers=callers.get(caller, {}), auth=signing)
    problem(r, status, code)
    assert (policy_dir / "heilongjiang.toml").read_bytes() == file_before
    assert api.world.env.policy("230100").rebind_wait_days == 30
    unchanged(api, before, ignore=["seen_nonces"])


def test_a_replaced_policy_must_lie_wholly_inside_the_administrators_region(api, callers, policy_dir):
    """Henan's file governs 41; a Heilongjiang administrator cannot take it over by claiming 41 for 23."""
    body = heilongjiang(api)
    problem(api.client.put("/v1/regions/41/policy", json={**body, "applies_to": ["41"]},
                           headers=callers["admin_hlj"]), 403, "REGION_NOT_MANAGED")


def test_the_national_default_is_changed_by_an_all_region_administrator(api, callers, policy_dir):
    body = {**api.client.get("/v1/regions/110100/policy").json()["policy"], "rebind_wait_days": 7}
    r = api.client.put("/v1/regions/*/policy", json=body, headers=callers["admin_all"])
    assert r.status_code == 200, r.text
    assert api.client.get("/v1/regions/110100/policy").json()["policy"]["rebind_wait_days"] == 7
    assert api.world.env.policy("230100").rebind_wait_days == 30
    problem(api.client.put("/v1/regions/*/policy", json={**body, "applies_to": ["11"]},
                           headers=callers["admin_all"]), 422, "POLICY_INVALID")


def test_without_a_policy_folder_the_built_in_policies_cannot_be_changed(api, callers, monkeypatch):
    monkeypatch.delenv("GONGJI_POLICY_DIR", raising=False)
    before = snapshot(api.world)
    p = problem(api.client.put("/v1/regions/23/policy", json=heilongjiang(api), headers=callers["admin_all"]),
                409, "POLICY_DIR_NOT_CONFIGURED")
    assert "GONGJI_POLICY_DIR" in p["detail"]
    unchanged(api, before)
    monkeypatch.setenv("GONGJI_POLICY_DIR", str(BUILT_IN))
    problem(api.client.put("/v1/regions/23/policy", json=heilongjiang(api), headers=callers["admin_all"]),
            409, "POLICY_DIR_NOT_CONFIGURED")
