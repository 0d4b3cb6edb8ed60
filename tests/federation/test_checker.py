"""The federation checker (``gongji federation check``) on snapshots made by hand, the example it checks, and
that only the province a transfer went to answers for it (HN-9, WAL-1, WAL-4).

The run of real processes under load that the checker judges is in test_processes.py.
"""

from __future__ import annotations

import json
import uuid

import pytest

from gongji_tools.federation import check as federation_check
from gongji_tools.federation import snapshot
from gongji_tools.federation.example import build

# -- the checker on snapshots made by hand ------------------------------------------------------------------------


def _snapshots(out_state: str, in_state: str | None, *, amount: int = 10_000, waiting: bool = False,
               code: str | None = None) -> list[snapshot.Snapshot]:
    """Province 23 sent one transfer to 41 (``in_state`` None: nothing arrived); the rows, messages and money as
    the instances would hold them when ``out_state`` and ``in_state`` agree."""
    no = "230100-" + "a" * 32
    common = {"payer_id_number": "230100198001010031", "beneficiary_id_number": "410100195001010022",
              "relationship": "parent", "region_code": "230100", "amount_fen": amount}
    refusal = code if out_state == "refused" else None
    out = snapshot.Transfer(no, "out", "41", out_state, refusal_code=refusal, **common)
    p23 = snapshot.Snapshot("23", people=1, transfers=[out], outbox=[
        snapshot.Message("m1", "wallet.transfer", "23", "41", no, acked=not waiting)])
    p41 = snapshot.Snapshot("41", people=1)
    hub = snapshot.Snapshot("hub")
    back = federation_check.ANSWER.get(out_state)
    if not waiting:
        hub.inbox.append(snapshot.Message("m1", "wallet.transfer", "23", "41", no, sender="23"))
    if in_state is not None:
        p41.transfers.append(snapshot.Transfer(no, "in", "23", in_state, refusal_code=code, **common))
        p41.inbox.append(snapshot.Message("m1", "wallet.transfer", "23", "41", no, sender="hub",
                                                  outcome=f"{no} arrived"))
        hub.outbox.append(snapshot.Message("m1", "wallet.transfer", "23", "41", no))
        if in_state in federation_check.ANSWER:
            kind = federation_check.ANSWER[in_state]
            p41.outbox.append(snapshot.Message("m2", kind, "41", "23", no))
            hub.inbox.append(snapshot.Message("m2", kind, "41", "23", no, sender="41"))
            hub.outbox.append(snapshot.Message("m2", kind, "41", "23", no))
    if back is not None:
        p23.inbox.append(snapshot.Message("m2", back, "41", "23", no, sender="hub",
                                                  outcome=f"{no} {out_state}"))
    # the money: 23's payer had 50,000 fen; what is where now
    left = 50_000 - (amount if out_state in ("sent", "accepted") else 0)
    p23.money = snapshot.Money(personal_fen=left,
                                       transit_out={"41": amount if out_state in ("sent", "accepted") else 0})
    arrived = in_state in ("sent", "accepted")
    p41.money = snapshot.Money(wallets_fen=amount if in_state == "accepted" else 0,
                                       pending_fen=amount if in_state == "sent" else 0,
                                       transit_in={"23": -amount if arrived else 0})
    return [p23, p41, hub]


@pytest.mark.parametrize("out_state, in_state", [("accepted", "accepted"), ("returned", "returned"),
                                                 ("sent", "sent")])
def test_hn_9_the_checker_finds_agreeing_instances_clean(out_state, in_state):
    """HN-9, WAL-1, WAL-4: both rows in the same state, the money where it belongs, every message delivered."""
    report = federation_check.compare(_snapshots(out_state, in_state), expect_total=50_000)
    assert report.ok, report.differences
    assert report.quiet and report.total_fen == 50_000
    assert report.pairs["23>41"] == {"transit_out_fen": 10_000 if out_state in ("sent", "accepted") else 0,
                                     "transit_in_fen": -10_000 if in_state in ("sent", "accepted") else 0,
                                     "in_flight_fen": 0}


def test_hn_9_the_checker_reports_a_lost_transfer_states_that_differ_and_money_made():
    """HN-9: a transfer sent with nothing in flight that never arrived is lost; returned in one instance while
    accepted in the other is a difference, and so is money that is not what it was (WAL-4)."""
    lost = federation_check.compare(_snapshots("sent", None), expect_total=50_000)
    assert "never arrived in 41" in lost.differences[0], lost.differences
    assert any("neither passed on nor answered" in d for d in lost.differences)  # where it went missing
    snapshots = _snapshots("returned", "returned")
    snapshots[1].transfers[0] = snapshot.Transfer(**{**snapshots[1].transfers[0].__dict__,
                                                             "state": "accepted"})
    snapshots[1].money = snapshot.Money(wallets_fen=10_000, transit_in={"23": 0})  # money made
    differing = federation_check.compare(snapshots, expect_total=50_000)
    assert any("returned in 23, accepted in 41" in d for d in differing.differences), differing.differences
    assert any("expected 500.00" in d for d in differing.differences)


def test_hn_9_the_checker_tells_in_flight_from_lost_and_knows_the_hubs_refusal():
    """HN-9: while a message waits in an outbox the transfer is on its way, not lost (the waiting message is the
    one difference); a transfer the hub refused (PROVINCE_NOT_CONNECTED) has no arrival anywhere."""
    waiting = federation_check.compare(_snapshots("sent", None, waiting=True))
    assert not waiting.quiet and len(waiting.differences) == 1 and "not acknowledged" in waiting.differences[0]
    assert waiting.pairs["23>41"]["in_flight_fen"] == 10_000
    refused = _snapshots("refused", None, code="PROVINCE_NOT_CONNECTED")
    refused[0].transfers[0] = snapshot.Transfer(**{**refused[0].transfers[0].__dict__, "counterpart": "44"})
    refused[0].money = snapshot.Money(personal_fen=50_000, transit_out={"44": 0})
    refused[0].inbox[0] = snapshot.Message("m2", "wallet.refused", "hub", "23", refused[0].transfers[0]
                                                   .transfer_no, sender="hub", outcome="refused")
    refused[2] = snapshot.Snapshot("hub", inbox=[
        snapshot.Message("m1", "wallet.transfer", "23", "44", refused[0].transfers[0].transfer_no,
                                 sender="23")],
        outbox=[snapshot.Message("m2", "wallet.refused", "hub", "23", refused[0].transfers[0].transfer_no)])
    report = federation_check.compare(refused, expect_total=50_000)
    assert report.ok, report.differences


def test_the_check_command_refuses_what_is_not_a_database_and_reports_a_difference(tmp_path):
    """The exit status: 2 for a database that cannot be read, 1 for a difference (printed), 0 when clean."""
    from typer.testing import CliRunner

    from gongji.cli.main import app

    runner = CliRunner()
    missing = runner.invoke(app, ["federation", "check", f"sqlite:///{tmp_path}/none.sqlite3"])
    assert missing.exit_code == 2 and "no such SQLite file" in missing.output
    made = build(tmp_path / "ex", families=1, seed=1, person_passwords=False)
    urls = [made.urls[name] for name in ("23", "41", "hub")]
    clean = runner.invoke(app, ["federation", "check", *urls, "--expect-total", str(made.total_fen)])
    assert clean.exit_code == 0, clean.output
    off = runner.invoke(app, ["federation", "check", *urls, "--expect-total", str(made.total_fen + 1), "--json"])
    assert off.exit_code == 1 and json.loads(off.output)["differences"][0].startswith("the people's money")


def test_the_example_writes_private_settings_and_families_spanning_both_provinces(tmp_path):
    """HN-9: ``gongji federation example`` writes one secret per link (files only their owner reads), three migrated
    SQLite databases, and families whose payer is insured in one province and relatives in the other, some without
    a wallet; the same seed gives the same people."""
    from typer.testing import CliRunner

    from gongji.cli.main import app

    result = CliRunner().invoke(app, ["federation", "example", str(tmp_path / "a"), "--families", "3", "--seed",
                                      "5", "--ports", "9301,9302", "--hub-port", "9300"])
    assert result.exit_code == 0, result.output
    folder = tmp_path / "a"
    for name in ("hub.toml", "23.toml", "41.toml"):
        assert (folder / name).stat().st_mode & 0o777 == 0o600
    assert "serve --port 9301" in result.output and "GONGJI_FEDERATION=" in result.output
    hub = (folder / "hub.toml").read_text()
    secret_23 = (folder / "23.toml").read_text().split('secret = "')[1].split('"')[0]
    secret_41 = (folder / "41.toml").read_text().split('secret = "')[1].split('"')[0]
    assert secret_23 in hub and secret_41 in hub and secret_23 != secret_41
    pairs = json.loads((folder / "families.json").read_text(encoding="utf-8"))
    assert {(p["payer_province"], p["relative_province"]) for p in pairs} == {("23", "41"), ("41", "23")}
    assert all(p["payer_id_number"][:2] == p["payer_province"] and p["relative_id_number"][:2] ==
               p["relative_province"] for p in pairs)
    assert any(not p["wallet_open"] for p in pairs) and any(p["wallet_open"] for p in pairs)
    again = build(tmp_path / "b", families=3, seed=5, person_passwords=False)
    assert [(p.payer_id_number, p.relative_id_number, p.relationship, p.wallet_open) for p in again.pairs] == [
        (p["payer_id_number"], p["relative_id_number"], p["relationship"], p["wallet_open"]) for p in pairs]
    check = federation_check.check_urls([f"sqlite:///{folder}/p23.sqlite3", f"sqlite:///{folder}/p41.sqlite3",
                                         f"sqlite:///{folder}/hub.sqlite3"], expect_total=again.total_fen)
    assert check.ok, check.differences


# -- only the province a transfer went to answers for it ------------------------------------------------------


def test_hn_9_an_answer_from_a_province_the_transfer_did_not_go_to_is_refused(fed, family):
    """HN-9: the payer's instance takes what became of a transfer only from the province it went to (the hub only
    to refuse it): an answer from anyone else is refused and changes nothing; the real answer still settles it."""
    from gongji.federation import wire
    from tests.federation.conftest import SECRET_23, funds, send

    payer = family.payer
    before = funds(fed, payer)
    row = send(fed, payer, family.wife.id_number, 20_000, province="35")  # a province the hub does not serve
    now = fed.clock.now().isoformat()
    for kind, source, body in (("wallet.returned", "41", {"returned_at": now}),
                               ("wallet.accepted", "hub", {"accepted_at": now})):
        envelope = wire.Envelope(uuid.uuid4().hex, kind, source, "23", fed.clock.now(),
                                 {"transfer_no": row.transfer_no, **body}).to_json()
        answer = fed.p23.post_signed(envelope, sender="hub", secret=SECRET_23)
        assert answer.status_code == 422 and answer.json()["code"] == "FEDERATION_MESSAGE_INVALID", answer.text
        assert fed.p23.transfer(row.transfer_no).state == "sent"
    assert funds(fed, payer) != before and fed.p23.inbox() == []
    fed.pump()
    settled = fed.p23.transfer(row.transfer_no)
    assert (settled.state, settled.refusal_code) == ("refused", "PROVINCE_NOT_CONNECTED")
    assert funds(fed, payer) == before
