"""Curriculum samplers against a scripted agent whose success depends on the level."""

import json

import numpy as np
import pytest

from textagent_envs.curriculum.samplers import SAMPLERS, AdaptiveLevel, FixedLevel, LinearSchedule

#: Success probability of the scripted agent per level: easy up to 3, a coin flip-ish at 4, hopeless above.
SKILL = {1: 1.0, 2: 0.95, 3: 0.9, 4: 0.6, 5: 0.15, 6: 0.0}


def run(sampler, episodes, skill=SKILL, seed=0):
    """Play ``episodes`` scripted episodes; the level of each, in order."""
    rng = np.random.default_rng(seed)
    agent = np.random.default_rng(seed + 1000)
    levels = []
    for _ in range(episodes):
        level = sampler.sample(rng)
        sampler.update(level, bool(agent.random() < skill[level]), episode_return=float(level))
        levels.append(level)
    return levels


def moves(levels):
    """Episode indices at which the level changed."""
    return [i for i in range(1, len(levels)) if levels[i] != levels[i - 1]]


# -- FixedLevel --------------------------------------------------------------------------


def test_fixed_level_always_samples_its_level_and_counts_results():
    sampler = FixedLevel(4)
    assert set(run(sampler, 30)) == {4}
    assert sampler.levels == (4,) and sampler.episodes == 30
    stats = sampler.stats[4]
    assert stats["episodes"] == 30 and 0 < stats["successes"] < 30 and stats["return"] == 4.0 * 30


# -- LinearSchedule ----------------------------------------------------------------------


def test_linear_schedule_hits_start_and_end_exactly_and_moves_in_equal_steps():
    sampler = LinearSchedule(2, 6, episodes=40)
    levels = run(sampler, 60)
    assert levels[0] == 2 and levels[39] == 5 and levels[40] == 6 and set(levels[40:]) == {6}
    assert levels == sorted(levels)  # never goes back
    assert [levels.count(level) for level in (2, 3, 4, 5)] == [10, 10, 10, 10]


def test_linear_schedule_counts_updates_not_samples():
    sampler = LinearSchedule(1, 3, episodes=2)
    rng = np.random.default_rng(0)
    assert [sampler.sample(rng) for _ in range(5)] == [1] * 5
    sampler.update(1, True)
    assert sampler.sample(rng) == 2
    sampler.update(2, False)
    assert sampler.sample(rng) == 3


def test_linear_schedule_runs_downwards_and_with_one_level():
    assert run(LinearSchedule(3, 1, episodes=4), 6) == [3, 3, 2, 2, 1, 1]
    assert run(LinearSchedule(2, 2, episodes=5), 7) == [2] * 7


# -- AdaptiveLevel -----------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_adaptive_climbs_while_success_is_high_and_settles_where_it_crosses_the_thresholds(seed):
    sampler = AdaptiveLevel(range(1, 7), promote_at=0.8, demote_at=0.4, window=20)
    levels = run(sampler, 1000, seed=seed)
    # Levels 1-3 succeed >= 90%: promoted after exactly one window each.
    assert levels[:60] == [1] * 20 + [2] * 20 + [3] * 20 and levels[60] == 4
    # Level 4 (60%) lies between the thresholds: the level stays there most of the time,
    # 5 (15%) is tried and left, 6 is never reached, and it never falls back to 1 or 2.
    settled = levels[100:]
    assert settled.count(4) / len(settled) > 0.6
    assert max(levels) == 5 and min(settled) >= 3
    assert sampler.stats[5]["successes"] / sampler.stats[5]["episodes"] < 0.4


def test_adaptive_demotes_when_success_drops():
    sampler = AdaptiveLevel(range(1, 5), window=10)
    levels = run(sampler, 60, skill={level: 1.0 for level in range(1, 5)})
    assert levels[-1] == 4 and sampler.level == 4
    # The agent forgets everything but level 1.
    forgot = {1: 1.0, 2: 0.0, 3: 0.0, 4: 0.0}
    levels = run(sampler, 57, skill=forgot, seed=1)
    # The window at 4 still holds 10 wins: the 7th loss takes the rolling rate to 3/10 < 0.4.
    # Then one full window per level down to 1, where it wins, tries 2 again and comes back.
    assert levels == [4] * 7 + [3] * 10 + [2] * 10 + [1] * 10 + [2] * 10 + [1] * 10
    assert sampler.level == 2 and sampler.stats[1] == {"episodes": 30, "successes": 30, "return": 30.0}


def test_hysteresis_moves_at_most_once_per_min_episodes():
    # Always wins at 1 and always loses at 2: without hysteresis this would flip every episode.
    sampler = AdaptiveLevel([1, 2], promote_at=0.8, demote_at=0.4, window=5)
    levels = run(sampler, 40, skill={1: 1.0, 2: 0.0})
    assert levels == ([1] * 5 + [2] * 5) * 4
    assert sampler.moves == 8


@pytest.mark.parametrize("window, min_episodes", [(10, None), (10, 4), (5, 15)])
def test_hysteresis_on_a_noisy_agent_near_the_threshold(window, min_episodes):
    sampler = AdaptiveLevel(range(1, 7), promote_at=0.7, demote_at=0.5, window=window, min_episodes=min_episodes)
    levels = run(sampler, 600, skill={1: 0.9, 2: 0.75, 3: 0.65, 4: 0.6, 5: 0.55, 6: 0.5}, seed=3)
    changes = moves(levels)
    gaps = np.diff([0, *changes])
    assert len(changes) >= 3  # it does move ...
    assert gaps.min() >= sampler.min_episodes  # ... but never before min_episodes results at a level
    assert all(abs(levels[i] - levels[i - 1]) == 1 for i in changes)  # one level at a time


def test_adaptive_ignores_results_from_another_level_for_its_decision():
    sampler = AdaptiveLevel([1, 2, 3], window=2, start_level=2)
    for _ in range(5):
        sampler.update(1, False)  # stale results of episodes begun at level 1
    assert sampler.level == 2 and sampler.stats[1]["episodes"] == 5
    sampler.update(2, True)
    sampler.update(2, True)
    assert sampler.level == 3


def test_adaptive_stays_at_the_ends():
    top = AdaptiveLevel([1, 2], start_level=2, window=3)
    bottom = AdaptiveLevel([1, 2], window=3)
    assert set(run(top, 20, skill={1: 1.0, 2: 1.0})) == {2}
    assert set(run(bottom, 20, skill={1: 0.0, 2: 0.0})) == {1}


# -- resuming ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda: FixedLevel(2),
        lambda: LinearSchedule(1, 5, episodes=50),
        lambda: AdaptiveLevel(range(1, 7), window=8, min_episodes=5),
    ],
)
def test_state_dict_round_trip_through_json_resumes_identically(make):
    straight = make()
    run(straight, 37, seed=5)
    resumed = make()
    run(resumed, 37, seed=5)
    state = json.loads(json.dumps(resumed.state_dict()))  # what a checkpoint holds
    fresh = make()
    fresh.load_state_dict(state)
    assert fresh.state_dict() == straight.state_dict()
    assert run(fresh, 80, seed=9) == run(straight, 80, seed=9)
    assert fresh.state_dict() == straight.state_dict()


def test_load_state_dict_refuses_another_sampler_or_other_arguments():
    state = AdaptiveLevel(range(1, 4), window=5).state_dict()
    with pytest.raises(ValueError, match="window"):
        AdaptiveLevel(range(1, 4), window=6).load_state_dict(state)
    with pytest.raises(ValueError, match="AdaptiveLevel"):
        FixedLevel(1).load_state_dict(state)


def test_samplers_registry_names_every_sampler():
    assert SAMPLERS == {"FixedLevel": FixedLevel, "LinearSchedule": LinearSchedule, "AdaptiveLevel": AdaptiveLevel}


# -- bad arguments -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: FixedLevel(0), r"level must be an int >= 1"),
        (lambda: FixedLevel(2.0), r"level must be an int >= 1"),
        (lambda: FixedLevel(True), r"level must be an int >= 1"),
        (lambda: LinearSchedule(0, 3, 10), r"start_level must be an int >= 1"),
        (lambda: LinearSchedule(1, -3, 10), r"end_level must be an int >= 1"),
        (lambda: LinearSchedule(1, 3, 0), r"episodes must be an int >= 1"),
        (lambda: AdaptiveLevel([]), r"levels must hold at least one level"),
        (lambda: AdaptiveLevel(3), r"levels must be a sequence of ints"),
        (lambda: AdaptiveLevel([1, 3, 2]), r"levels must be strictly increasing.*\[1, 3, 2\]"),
        (lambda: AdaptiveLevel([1, 1, 2]), r"levels must be strictly increasing"),
        (lambda: AdaptiveLevel([0, 1]), r"every level in levels must be an int >= 1"),
        (lambda: AdaptiveLevel([1, 2], start_level=3), r"start_level must be one of levels \[1, 2\]"),
        (lambda: AdaptiveLevel([1, 2], promote_at=1.5), r"promote_at must be a success rate in \[0, 1\]"),
        (lambda: AdaptiveLevel([1, 2], demote_at=-0.1), r"demote_at must be a success rate in \[0, 1\]"),
        (lambda: AdaptiveLevel([1, 2], promote_at=0.5, demote_at=0.5), r"demote_at must be below promote_at"),
        (lambda: AdaptiveLevel([1, 2], promote_at=0.3, demote_at=0.6), r"demote_at must be below promote_at"),
        (lambda: AdaptiveLevel([1, 2], window=0), r"window must be an int >= 1"),
        (lambda: AdaptiveLevel([1, 2], min_episodes=0), r"min_episodes must be an int >= 1"),
    ],
)
def test_bad_arguments_raise_value_errors_that_name_them(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_updates_raise():
    sampler = AdaptiveLevel(range(1, 4))
    with pytest.raises(ValueError, match=r"level 7.*its levels are \[1, 2, 3\]"):
        sampler.update(7, True)
    with pytest.raises(TypeError, match="success as a bool"):
        sampler.update(1, "False")
    with pytest.raises(ValueError, match="finite number"):
        sampler.update(1, True, float("nan"))
    assert sampler.episodes == 0  # nothing was counted
