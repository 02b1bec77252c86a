"""CurriculumWrapper on a real (cheap) env: tw-coin_collector, where level L needs L moves."""

import doctest
import json

import gymnasium as gym
import numpy as np
import pytest

import textagent_envs  # noqa: F401  (registers the ids)
from textagent_envs import infos
from textagent_envs.curriculum import wrapper as wrapper_module
from textagent_envs.curriculum.samplers import AdaptiveLevel, FixedLevel, LinearSchedule
from textagent_envs.curriculum.wrapper import CURRICULUM_LEVEL, CurriculumWrapper
from textagent_envs.plots import plot_run
from textagent_envs.tasks import TaskSpec
from textagent_envs.textworld.families import CoinCollectorKnobs

FAMILY = "tw-coin_collector"
BUDGET = 4  # steps per episode: enough for levels 1-3


@pytest.fixture(scope="module")
def env():
    e = gym.make("TextWorld-CoinCollector-v0", isolation="none", max_episode_steps=BUDGET)
    yield e
    e.close()


def play(env, commands):
    """Step through ``commands`` until the episode ends; the rewards and every info."""
    rewards, seen = [], []
    for command in commands:
        _, reward, terminated, truncated, info = env.step(command)
        rewards.append(reward)
        seen.append(info)
        if terminated or truncated:
            break
    return rewards, seen


def win(env, info):
    return play(env, info[infos.WALKTHROUGH])


def lose(env):
    return play(env, ["look"] * BUDGET)


def read_log(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_fixed_level_plays_that_level_with_its_knobs_and_reports_the_result(env):
    sampler = FixedLevel(2)
    cur = CurriculumWrapper(env, sampler)
    _, info = cur.reset(seed=1)  # the same game as the docstring's second episode (cached)
    task = info[infos.TASK]
    assert info[CURRICULUM_LEVEL] == 2 and cur.level == 2
    assert task["family"] == FAMILY and task["params"] == CoinCollectorKnobs.from_level(2).to_params()
    assert task["id"] == f"{FAMILY}-level2-s{task['seed']}"
    assert len(info[infos.WALKTHROUGH]) == 2  # level 2 really is the 2-move game
    rewards, seen = win(cur, info)
    assert [i[CURRICULUM_LEVEL] for i in seen] == [2, 2] and seen[-1][infos.SUCCESS]
    assert sampler.stats == {2: {"episodes": 1, "successes": 1, "return": sum(rewards)}} and sum(rewards) > 0


def test_adaptive_levels_follow_the_results_and_every_finished_episode_is_logged(env, tmp_path):
    log_path = tmp_path / "runs" / "curriculum.jsonl"
    sampler = AdaptiveLevel(range(1, 4), window=1)  # moves after every result: cheap to drive
    cur = CurriculumWrapper(env, sampler, log_path=log_path)
    ids, levels = [], []

    _, info = cur.reset(seed=3)
    ids.append(info[infos.TASK]["id"]), levels.append(info[CURRICULUM_LEVEL])
    win(cur, info)  # level 1 won: up to 2
    _, info = cur.reset()
    ids.append(info[infos.TASK]["id"]), levels.append(info[CURRICULUM_LEVEL])
    lose(cur)  # level 2 lost (out of steps): down to 1
    _, info = cur.reset()
    cur.step("look")  # abandoned by the next reset: neither reported nor logged
    _, info = cur.reset()
    ids.append(info[infos.TASK]["id"]), levels.append(info[CURRICULUM_LEVEL])
    win(cur, info)

    assert levels == [1, 2, 1] and sampler.episodes == 3 and sampler.level == 2
    lines = read_log(log_path)
    assert [line["episode"] for line in lines] == [0, 1, 2]
    assert [line["level"] for line in lines] == levels
    assert [line["success"] for line in lines] == [True, False, True]
    assert [line["length"] for line in lines] == [1, BUDGET, 1]
    assert [line["return"] for line in lines] == [1.0, 0.0, 1.0]
    assert [line["task_id"] for line in lines] == ids
    assert all(set(line) == {"episode", "level", "success", "return", "length", "task_id"} for line in lines)

    # A new wrapper on the same log continues its numbering.
    more = CurriculumWrapper(env, FixedLevel(1), log_path=log_path)
    assert more.episode == 3
    win(more, more.reset(seed=3)[1])
    assert [line["episode"] for line in read_log(log_path)] == [0, 1, 2, 3]
    # The log is what plot_run reads.
    assert plot_run(log_path, tmp_path / "run.png").read_bytes()[:4] == b"\x89PNG"


def test_a_seeded_run_is_reproducible(env):
    def run(seed):
        cur = CurriculumWrapper(env, LinearSchedule(1, 2, episodes=1))
        ids = []
        for episode in range(3):
            _, info = cur.reset(seed=seed if episode == 0 else None)
            ids.append(info[infos.TASK]["id"])
            win(cur, info)
        return ids

    first = run(11)
    assert first == run(11)
    assert [i.split("-s")[0] for i in first] == [f"{FAMILY}-level1", f"{FAMILY}-level2", f"{FAMILY}-level2"]
    assert len(set(first)) == 3  # fresh games, not one seed replayed
    cur = CurriculumWrapper(env, FixedLevel(1))
    assert cur.reset(seed=12)[1][infos.TASK]["id"] != first[0]


def test_a_task_given_in_options_passes_through_outside_the_curriculum(env, tmp_path):
    log_path = tmp_path / "log.jsonl"
    sampler = FixedLevel(1)
    cur = CurriculumWrapper(env, sampler, log_path=log_path)
    spec = TaskSpec(FAMILY, {"level": 3}, seed=5)
    _, info = cur.reset(options={"task": spec})
    assert info[infos.TASK] == spec.to_dict() and info[CURRICULUM_LEVEL] is None
    _, seen = win(cur, info)
    assert seen[-1][infos.SUCCESS] and all(i[CURRICULUM_LEVEL] is None for i in seen)
    assert sampler.episodes == 0 and not log_path.exists()
    _, info = cur.reset()  # back in the curriculum
    assert info[CURRICULUM_LEVEL] == 1 and info[infos.TASK]["params"] == {"level": 1}


@pytest.mark.parametrize(
    "sampler, levels, match",
    [
        (FixedLevel(101), None, r"\[101\] outside tw-coin_collector's levels 1-100"),
        (AdaptiveLevel(range(98, 103)), None, r"\[101, 102\] outside tw-coin_collector's levels 1-100"),
        (FixedLevel(1), [0, 1], r"\[0\] outside tw-coin_collector's levels 1-100"),
    ],
)
def test_levels_outside_the_family_are_refused_up_front(env, sampler, levels, match):
    with pytest.raises(ValueError, match=match):
        CurriculumWrapper(env, sampler, levels=levels)


class Wild:
    """A sampler without ``levels`` whose level is only known when it is sampled."""

    def sample(self, rng):
        return 500

    def update(self, level, success, episode_return=0.0):
        raise AssertionError("never reached")


def test_a_sampled_level_outside_the_family_is_refused_at_reset(env):
    cur = CurriculumWrapper(env, Wild())
    with pytest.raises(ValueError, match=r"Wild.sample\(\) returned level 500, not one of 1-100"):
        cur.reset(seed=0)


def test_bad_envs_and_samplers_raise_type_errors(env):
    with pytest.raises(TypeError, match="Knobs class with levels"):
        CurriculumWrapper(gym.make("CartPole-v1"), FixedLevel(1))
    with pytest.raises(TypeError, match="without update"):
        CurriculumWrapper(env, type("OnlySample", (), {"sample": lambda self, rng: 1})())


def test_the_docstring_example_runs():
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    tests = finder.find(wrapper_module.CurriculumWrapper, "CurriculumWrapper", globs={"np": np})
    assert tests and tests[0].examples
    for test in tests:
        runner.run(test)
    assert runner.summarize(verbose=False).failed == 0
