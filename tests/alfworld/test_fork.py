"""Forks of an ALFWorld episode (fast engine): same transcript as the original, forks
independent of each other, wrappers' state kept, alfworld's PDDL engine refused."""

import gymnasium as gym
import pytest

import textagent_envs
from textagent_envs import infos
from textagent_envs.wrappers import DenseReward

from tests.episodes import transcript

ENV_ID = "ALFWorld-PickHeatThenPlace-v0"  # a long walkthrough with several milestones
SEED = 3


@pytest.fixture
def env():
    env = gym.make(ENV_ID, level=3, extra_infos=("description", "inventory", "location"))
    yield env
    env.close()


def test_a_fork_plays_the_same_transcript_and_forks_are_independent(env):
    _, info = env.reset(seed=SEED)
    walkthrough = info[infos.WALKTHROUGH]
    env.step(walkthrough[0])
    saved = env.unwrapped.get_state()
    a, b = env.unwrapped.fork(2)
    wander = ["look", "inventory", "examine countertop 1", "go to sinkbasin 1", "jump"]
    results_a, results_b = [], []
    for i, command in enumerate(walkthrough[1:]):  # interleaved: a wins, b wanders
        results_a.append(a.step(command))
        results_b.append(b.step(wander[i % len(wander)]))
    assert results_a[-1][2] and results_a[-1][4][infos.SUCCESS] and not results_b[-1][2]
    assert env.unwrapped.get_state() == saved  # the original did not move
    assert transcript(env, walkthrough[1:]) == results_a
    env.unwrapped.set_state(saved)
    assert transcript(env, [wander[i % len(wander)] for i in range(len(results_b))]) == results_b


def test_a_wrapped_fork_keeps_the_step_budget_and_the_dense_total():
    env = DenseReward(gym.make(ENV_ID, level=3, max_episode_steps=40))
    try:
        _, info = env.reset(seed=SEED)
        walkthrough = info[infos.WALKTHROUGH]
        paid = [env.step(command)[1] for command in walkthrough[:3]]
        assert sum(paid) > 0  # a milestone before the fork
        (twin,) = textagent_envs.fork(env)
        assert twin.env._elapsed_steps == 3 and twin._returned == env._returned
        rest = transcript(twin, walkthrough[3:])
        assert rest[-1][4][infos.SUCCESS] and sum(paid) + sum(r[1] for r in rest) == pytest.approx(1.0)
        # The original still has its 37 steps; the fork used some of its own.
        assert env.env._elapsed_steps == 3 and twin.env._elapsed_steps == len(walkthrough)
    finally:
        env.close()


def test_the_pddl_engine_does_not_fork_and_says_which_engines_do():
    env = gym.make("ALFWorld-v0", level=1, engine="pddl")
    try:
        with pytest.raises(NotImplementedError, match="engine='fast'.*engines that copy and fork"):
            env.unwrapped.fork(2)
        with pytest.raises(NotImplementedError, match="engine='fast'"):
            textagent_envs.fork(env, 2)
    finally:
        env.close()
