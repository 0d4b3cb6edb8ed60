"""Replay both sides and count them, in one process or in several over shards of whole households.

``run(world, sides, workers=...)`` returns the :class:`gongji.simulate.report.Accumulator` of the whole timeline.
With more than one worker the world's groups (:func:`gongji.simulate.groups.households`) are cut into shards about
even in settlements; this process replays the first shard and forked processes the others (they inherit the world
read already, nothing is sent to them), each over the same timeline restricted to its shard's patients and
accounts, and their counts are added to this one's. Groups are independent, so the figures are the same as one
process's; ``tests/simulate/test_fast.py`` compares them.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Callable

from gongji.simulate import groups
from gongji.simulate.facts import World
from gongji.simulate.replay import Side, replay
from gongji.simulate.report import Accumulator

#: Below this many settlements one process is faster than starting others.
PARALLEL_FROM = 50_000

_JOB: dict = {}


def default_workers(world: World) -> int:
    if len(world.settlements) < PARALLEL_FROM:
        return 1
    return max(1, min(os.cpu_count() or 1, 4))


def _replay_shard(k: int) -> dict:
    job = _JOB
    sides = [Side(s.name, job["world"], s.policy, s.bindings) for s in job["sides"]]
    accumulator = Accumulator(sides)
    people, accounts = job["shards"][k]
    replay(job["world"], sides, accumulator, share=job["share"], people=people, accounts=accounts,
           group_of=job["group_of"])
    return accumulator.partial()


def run(world: World, sides: list[Side], *, workers: int | None = 1, share: bool = True,
        progress: Callable[[int, int], None] | None = None) -> Accumulator:
    """Replay ``world`` through ``sides`` (fresh ones) and count it; ``workers`` None: :func:`default_workers`."""
    workers = default_workers(world) if workers is None else max(1, workers)
    collecting = gc.isenabled()
    gc.disable()  # the replay makes no cycles; the collector would only walk the world's objects again and again
    try:
        return _run(world, sides, workers, share, progress)
    finally:
        if collecting:
            gc.enable()


def _run(world: World, sides: list[Side], workers: int, share: bool, progress) -> Accumulator:
    accumulator = Accumulator(sides)
    if workers == 1:
        replay(world, sides, accumulator, progress, share=share)
        return accumulator
    group_of = groups.households(world, [side.bindings for side in sides])
    shards = groups.shards(world, group_of, workers)
    _JOB.update(world=world, sides=sides, shards=shards, share=share, group_of=group_of)
    gc.freeze()  # what the forked processes inherit stays out of any collection
    try:
        with multiprocessing.get_context("fork").Pool(workers - 1) as pool:
            pending = pool.map_async(_replay_shard, range(1, workers))
            people, accounts = shards[0]
            replay(world, sides, accumulator, progress, share=share, people=people, accounts=accounts,
                   group_of=group_of)
            for partial in pending.get():
                accumulator.absorb(partial)
        if accumulator.baseline_mismatched:  # the first ones in the timeline's order, as one process has them
            order = {step.ref: n for n, step in enumerate(world.timeline) if step.kind == "settlement"}
            accumulator.baseline_mismatched.sort(key=order.__getitem__)
    finally:
        _JOB.clear()
        gc.unfreeze()
    return accumulator
