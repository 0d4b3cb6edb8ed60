"""The portal's families and uploaded proof (HN-1, HN-3, HN-7).

Through the real application on both databases, as test_portal.py does: log in through the form, post each
form with the CSRF token of its page, read the answer. Every refused form is checked for having
changed nothing.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from gongji.authorizations import service as authorizations
from gongji.authorizations.models import Binding, BindingDocument
from gongji.people.ids import mask
from tests.factories import Person, snapshot
from tests.web.helpers import by_testid, field_error, notice, page_error
from tests.web.test_portal import PNG, bind_form, bindings

# -- families and proof (HN-1, HN-3, HN-7) ---------------------------------------------------------


@pytest.fixture
def henan(world) -> tuple[Person, Person, Person]:
    """A Zhengzhou father with 800 yuan, his son and his wife (Henan: families, proof required)."""
    father = world.person("张国强", city="zhengzhou", current_fen=80_000, born=date(1965, 1, 1))
    son = world.person("张伟", city="zhengzhou", born=date(1992, 1, 1))
    wife = world.person("王丽", city="zhengzhou", sex="F", born=date(1966, 1, 1))
    return father, son, wife


def test_hn_1_hn_3_family_then_binding_with_uploaded_proof(portal, henan):
    """HN-1: the father creates a family, adds his son, then binds him; HN-3: Henan requires proof, so the bind
    form refuses without a file and takes a photo, kept with the binding."""
    father, son, _ = henan
    portal.log_in(father)
    home = portal.get("/portal").text
    assert 'href="/portal/family"' in home  # the menu offers families here

    r = portal.post("/portal/bind", bind_form(son, relationship="child"), form_page="/portal/bind")
    assert r.status_code == 400 and "证明材料" in field_error(r.text, "proof")  # HN-3 first: no file

    r = portal.post("/portal/bind", bind_form(son, relationship="child", proof_kind="household_register"),
                    form_page="/portal/bind", files={"proof": ("hukou.png", PNG, "image/png")})
    assert r.status_code == 400 and "先建立共济家庭" in field_error(r.text, "id_number")  # HN-1: not a member yet
    assert "请重新选择文件" in r.text

    r = portal.post("/portal/family", {"name": "张家"}, form_page="/portal/family")
    assert notice(portal.follow(r).text) == "家庭共济网已建立。"
    r = portal.post("/portal/family/members", {"name": "张小伟", "id_number": son.id_number, "relationship": "child"},
                    form_page="/portal/family")
    assert r.status_code == 400 and "姓名与身份证号码不一致" in field_error(r.text, "name")
    r = portal.post("/portal/family/members", {"name": son.name, "id_number": son.id_number, "relationship": "child"},
                    form_page="/portal/family")
    page = portal.follow(r)
    assert notice(page.text) == "已添加家庭成员。"
    [row] = by_testid(page.text)["member-row"]
    assert son.name in row and mask(son.id_number) in row and son.id_number not in page.text

    r = portal.post("/portal/bind", bind_form(son, relationship="child", proof_kind="household_register"),
                    form_page="/portal/bind", files={"proof": ("hukou.png", PNG, "image/png")})
    assert r.status_code == 303, field_error(r.text, "id_number") or page_error(r.text)
    [made] = bindings(portal.world)
    docs = portal.world.db.read(lambda s: [(d.kind, d.file_ref, d.checked_by) for d in
                                           s.execute(select(BindingDocument)).scalars()])
    [(kind, file_ref, checked_by)] = docs
    assert (kind, checked_by) == ("household_register", None) and made.family_id is not None
    assert (portal.uploads / file_ref).read_bytes() == PNG


def test_hn_7_removing_a_member_ends_his_binding_and_a_member_may_leave(portal, world, henan):
    """HN-7: the householder removes his son (the binding ends with it); his wife leaves by herself; with no members
    left the householder dissolves the family."""
    father, son, wife = henan
    family_id = world.run(lambda s, env: authorizations.create_family(
        s, env, householder_id_number=father.id_number, name="张家", actor=father.actor)).id
    for member, relationship in ((son, "child"), (wife, "sibling")):  # she is his wife: corrected below
        world.run(lambda s, env, m=member, r=relationship: authorizations.add_member(
            s, env, family_id=family_id, member_id_number=m.id_number, relationship=r, actor=father.actor))
    to_son = world.bind(father, son, "child", documents=[{"kind": "household_register", "file_ref": "f.pdf"}])

    portal.log_in(father)
    r = portal.post(f"/portal/family/members/{wife.id}/relationship", {"relationship": "parent"},
                    form_page="/portal/family")
    assert r.status_code == 400 and "与双方出生日期不符" in page_error(r.text)  # she is not older than he is
    r = portal.post(f"/portal/family/members/{wife.id}/relationship", {"relationship": "spouse"},
                    form_page="/portal/family")
    assert notice(portal.follow(r).text) == "已修改成员关系。"
    r = portal.post(f"/portal/family/members/{son.id}/remove", form_page="/portal/family")
    assert notice(portal.follow(r).text) == "已移出家庭成员。"
    assert world.db.read(lambda s: s.get(Binding, to_son).end_reason) == "member_removed"

    stranger = world.person("赵六", city="zhengzhou")
    before = snapshot(world)
    r = portal.post(f"/portal/family/members/{stranger.id}/remove", form_page="/portal/family")
    assert r.status_code == 400 and "不在您的家庭中" in page_error(r.text) and stranger.name not in r.text
    assert snapshot(world) == before

    portal.log_in(wife)
    page = portal.get("/portal/family").text
    assert "退出家庭" in page and father.name in page and mask(father.id_number) in page
    r = portal.post("/portal/family/leave", form_page="/portal/family")
    assert notice(portal.follow(r).text) == "您已退出该家庭。"

    portal.log_in(father)
    r = portal.post("/portal/family/leave", form_page="/portal/family")
    assert notice(portal.follow(r).text) == "家庭共济网已解散。"
    assert world.db.read(lambda s: authorizations.family_of(s, father.id)) is None


def test_hn_1_families_are_offered_only_where_the_region_has_them(portal, harbin):
    """HN-1 is Henan's way: in Heilongjiang the menu shows no family page, and the page says none is needed."""
    payer, _ = harbin
    portal.log_in(payer)
    assert 'href="/portal/family"' not in portal.get("/portal").text
    assert "不需要建立家庭" in portal.get("/portal/family").text
