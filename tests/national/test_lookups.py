"""1101 cannot list the population (issue 15; NI-2), on both databases.

- a social security card (03) is read with the card identification code on record: the card number alone, which
  is sequential, gives nobody; an ID card (02) by its number alone keeps working, as real HIS clients send it;
- every mismatch (unknown card or ID number, wrong card_sn, certno or psn_name) is the same NI_PERSON_NOT_MATCHED,
  word for word, naming nothing of anyone, and is recorded as a refused access;
- look-ups are counted per institution, answered or refused: past the limit NI_LOOKUPS_THROTTLED until the oldest
  leaves the window; another institution is not affected;
- every answered look-up is a ``person.read`` event in the audit trail: which institution read whom, when.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from gongji.auth import throttle
from gongji.events.models import Event
from gongji.people.ids import compose_id_number
from tests.conftest import TODAY
from tests.national.conftest import HOSPITAL, answer, institution, person_query


def err_of(his, data) -> str:
    got = answer(his.post(his.envelope("1101", data)))
    assert got["infcode"] == -1 and got["output"] is None, got
    return got["err_msg"]


def test_card_numbers_tried_in_sequence_give_nobody_without_the_card_sn(api, hospital):
    """The probe: card numbers are sequential, any card_sn was accepted. Now each needs its own code."""
    holders = [api.world.person(f"张{n}", card_no=f"A0000000{n}", card_sn=f"K{n}X{n * 7}") for n in range(1, 4)]
    for n, holder in enumerate(holders, start=1):
        for card_sn in ("", "SN0001", f"K{n}X", f"K{n + 1}X{(n + 1) * 7}"):
            err = hospital.refused("1101", person_query(cert_type="03", cert_no=f"A0000000{n}", card_sn=card_sn),
                                   "NI_FIELD_REQUIRED" if not card_sn else "NI_PERSON_NOT_MATCHED")
            assert holder.name not in err and holder.id_number not in err
        got = hospital.ok("1101", person_query(cert_type="03", cert_no=f"A0000000{n}", card_sn=f"k{n}x{n * 7}"))
        assert got["baseinfo"]["certno"] == holder.id_number  # the code is compared without regard to case


def test_a_mismatch_does_not_say_which_part_was_wrong(api, hospital):
    p = api.world.person("张三", card_no="A00000001", card_sn="K1")
    other = api.world.person("李四")
    nobody = compose_id_number("230100", TODAY - timedelta(days=365 * 40), 777, "M")
    messages = {
        err_of(hospital, data) for data in (
            person_query(cert_type="03", cert_no="A00000009", card_sn="K1"),  # no such card
            person_query(cert_type="03", cert_no="A00000001", card_sn="K2"),  # not its code
            person_query(cert_no=nobody),  # an ID number nobody has
            person_query(p, certno=other.id_number),  # someone else's certificate number
            person_query(p, psn_name="张四"),  # not the holder's name
            person_query(cert_type="01", cert_no="EV01-1-0123456789ABCDEF0123"),  # a made-up voucher
        )
    }
    assert len(messages) == 1, messages
    [message] = messages
    assert message.startswith("【NI_PERSON_NOT_MATCHED】")
    for secret in ("张三", "李四", p.id_number, other.id_number, nobody, "A00000001"):
        assert secret not in message


def test_an_id_card_read_with_nothing_else_keeps_working(api, hospital):
    """openhis sends an ID card read with certno and psn_name empty: answered as before."""
    p = api.world.person("王五", current_fen=1_000)
    out = hospital.ok("1101", person_query(p, certno="", psn_name=""))
    assert out["baseinfo"]["psn_no"] == str(p.id)


def test_a_refused_look_up_is_recorded_as_a_refused_access(api, hospital):
    api.world.person("张三", card_no="A00000001", card_sn="K1")
    hospital.refused("1101", person_query(cert_type="03", cert_no="A00000001", card_sn="K9"), "NI_PERSON_NOT_MATCHED")
    events = api.world.db.read(lambda s: s.execute(select(Event).where(Event.kind == "access.refused")).scalars().all())
    assert [(e.actor_kind, e.actor_id, e.data["code"]) for e in events] == [
        ("institution", HOSPITAL, "NI_PERSON_NOT_MATCHED")]


def test_every_answered_look_up_is_in_the_audit_trail(api, hospital):
    """Who read whom, when: the institution, the person, the moment, the transaction and the certificate kind."""
    p = api.world.person("张三", card_no="A00000001", card_sn="K1")
    hospital.ok("1101", person_query(p))
    hospital.ok("1101", person_query(cert_type="03", cert_no="A00000001", card_sn="K1"))
    reads = api.world.db.read(lambda s: s.execute(select(Event).where(Event.kind == "person.read")
                                                  .order_by(Event.id)).scalars().all())
    assert [(e.actor_kind, e.actor_id, e.subject_type, e.subject_id, e.concerns) for e in reads] == [
        ("institution", HOSPITAL, "person", p.id, [p.id])] * 2
    assert [e.data["mdtrt_cert_type"] for e in reads] == ["02", "03"]
    assert all(e.at == api.world.env.now() and e.data["infno"] == "1101" for e in reads)


def test_look_ups_are_limited_per_institution(api, hospital):
    """Past the limit the next look-up is refused, a right one too, until the oldest leaves the window; another
    institution is not affected."""
    p = api.world.person("张三")
    nobody = compose_id_number("230100", TODAY - timedelta(days=365 * 30), 555, "F")
    limit = api.settings.ni_lookups_per_institution
    other = institution(api, "H23010100002", "哈尔滨市第二医院")
    window = timedelta(minutes=api.settings.ni_lookup_window_minutes)
    account = throttle.account_key("lookup", HOSPITAL)
    api.world.run(lambda s, env: [throttle.count_attempt(s, env, account=account, limit=limit, window=window)
                                  for _ in range(limit - 1)])  # limit - 1 look-ups, as if made just now
    err_of(hospital, person_query(cert_no=nobody))  # the last one allowed: refused on its own merits
    err = hospital.refused("1101", person_query(p), "NI_LOOKUPS_THROTTLED")
    assert str(limit) in err
    assert other.ok("1101", person_query(p))["baseinfo"]["psn_no"] == str(p.id)
    api.world.env.clock.advance(minutes=api.settings.ni_lookup_window_minutes, seconds=1)
    assert hospital.ok("1101", person_query(p))["baseinfo"]["psn_no"] == str(p.id)
