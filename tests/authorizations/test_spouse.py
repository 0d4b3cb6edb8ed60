"""N-7's plausibility checks: a person has one spouse, so a second open spouse binding with another person is
refused, for the payer as for the relative; the same pair again, or a spouse after the first binding ended, is not
this refusal."""

from __future__ import annotations

from gongji.authorizations import service as authorizations
from tests.factories import refused


def test_n_7_a_payer_with_a_spouse_bound_cannot_bind_a_second_spouse(world):
    payer = world.person("王建国", current_fen=300_000)
    wife = world.person("李秀兰", sex="F")
    other = world.person("赵丽", sex="F")
    world.bind(payer, wife, "spouse")
    error = refused(world, lambda: world.bind(payer, other, "spouse"), "SPOUSE_ALREADY_BOUND")
    assert error.params["side_zh"] == "共济人" and "赵丽" not in error.message("zh")


def test_n_7_a_relative_bound_as_someone_elses_spouse_cannot_be_bound_as_a_second_ones(world):
    husband = world.person("王建国", current_fen=300_000)
    stranger = world.person("张强", current_fen=300_000)
    wife = world.person("李秀兰", sex="F")
    world.bind(husband, wife, "spouse")
    error = refused(world, lambda: world.bind(stranger, wife, "spouse"), "SPOUSE_ALREADY_BOUND")
    assert error.params["side_en"] == "the relative" and "王建国" not in error.message("en")


def test_n_7_the_same_spouse_again_and_a_new_spouse_after_unbinding_are_allowed(world):
    husband = world.person("王建国", current_fen=300_000)
    wife = world.person("李秀兰", sex="F")
    first = world.bind(husband, wife, "spouse")
    refused(world, lambda: world.bind(husband, wife, "spouse"), "ALREADY_BOUND")  # the pair: not this refusal
    world.run(lambda s, env: authorizations.unbind(s, env, binding_id=first, actor=husband.actor))
    other = world.person("赵丽", sex="F")
    assert world.bind(husband, other, "spouse") > 0
