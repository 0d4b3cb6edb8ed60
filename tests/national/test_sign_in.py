"""NI-1: 9001 sign-in gives the ``sign_no`` the envelope may carry; 9002 sign-out ends it. On both databases."""

from __future__ import annotations

import re

from tests.national.conftest import institution, person_query

SIGN_IN = {"signIn": {"opter_no": "0001", "mac": "00-16-EA-AE-3C-40", "ip": "10.1.2.3"}}


def sign_out(sign_no: str) -> dict:
    return {"signOut": {"sign_no": sign_no, "opter_no": "0001"}}


def test_ni_1_sign_in_gives_a_sign_no(api, hospital):
    """9001 output signinoutb: sign_time (yyyy-MM-dd HH:mm:ss) and sign_no (30 characters), new each time."""
    first = hospital.ok("9001", SIGN_IN)["signinoutb"]
    second = hospital.ok("9001", SIGN_IN)["signinoutb"]
    assert first["sign_time"] == "2025-06-02 10:00:00"
    assert len(first["sign_no"]) == 30 and re.fullmatch(r"[0-9A-Za-z]{30}", first["sign_no"])
    assert first["sign_no"] != second["sign_no"]


def test_ni_1_sign_no_in_the_envelope_until_sign_out(api, hospital):
    """The envelope's sign_no works while signed in; after 9002 it is refused (NI_SIGN_IN_INVALID)."""
    p = api.world.person("张三")
    sign_no = hospital.ok("9001", SIGN_IN)["signinoutb"]["sign_no"]
    assert hospital.ok("1101", person_query(p), sign_no=sign_no)["baseinfo"]["psn_no"] == str(p.id)
    out = hospital.ok("9002", sign_out(sign_no), sign_no=sign_no)
    assert out["signoutoutb"]["sign_time"] == "2025-06-02 10:00:00"
    err = hospital.refused("1101", person_query(p), "NI_SIGN_IN_INVALID", sign_no=sign_no)
    assert sign_no in err
    hospital.refused("9002", sign_out(sign_no), "NI_SIGN_IN_INVALID")
    # without a sign_no the envelope is still fine (sign_no is optional)
    assert hospital.ok("1101", person_query(p))["baseinfo"]["psn_no"] == str(p.id)


def test_ni_1_unknown_or_foreign_sign_no_is_refused(api, hospital):
    p = api.world.person("张三")
    hospital.refused("1101", person_query(p), "NI_SIGN_IN_INVALID", sign_no="2025060210000000000000000000")
    other = institution(api, "H23010100002", "哈尔滨市第二医院")
    theirs = other.ok("9001", SIGN_IN)["signinoutb"]["sign_no"]
    hospital.refused("1101", person_query(p), "NI_SIGN_IN_INVALID", sign_no=theirs)
    hospital.refused("9002", sign_out(theirs), "NI_SIGN_IN_INVALID")


def test_ni_1_sign_in_needs_operator_and_ip(api, hospital):
    for field in ("opter_no", "ip"):
        data = {"signIn": {k: v for k, v in SIGN_IN["signIn"].items() if k != field}}
        assert field in hospital.refused("9001", data, "NI_FIELD_REQUIRED")
