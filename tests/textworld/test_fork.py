"""Forks of a TextWorld episode (native engine): ``env.unwrapped.fork(k)`` and
``textagent_envs.fork(env, k)`` give independent envs that continue exactly as the
original would, wrappers' state included."""

import json
import pickle
import subprocess
import sys

import gymnasium as gym
import pytest

import textagent_envs
from textagent_envs import infos
from textagent_envs.textworld.env import ResetNeeded
from textagent_envs.wrappers import BalancedReward, DenseReward

from tests.episodes import transcript

ENV_ID = "TextWorld-Custom-w2-o3-q4-v0"
DENSE_ID = "TextWorld-Simple-v0"  # scores at almost every step of its walkthrough
EXTRA = ("description", "inventory", "location")
SEED = 1


def script(walkthrough):
    # Looks, a parser error, an invalid command, then the winning commands.
    return ["look", "inventory", "xyzzy", "open", "take the moon", *walkthrough]


@pytest.fixture
def env():
    env = gym.make(ENV_ID, engine="native", extra_infos=EXTRA)
    yield env
    env.close()


def test_a_fork_plays_the_same_transcript_as_the_original(env):
    _, info = env.reset(seed=SEED)
    walkthrough = info[infos.WALKTHROUGH]
    env.step(walkthrough[0])
    forks = env.unwrapped.fork(3)
    assert len(forks) == 3 and all(type(f) is type(env.unwrapped) and f is not env.unwrapped for f in forks)
    assert all(f.render_mode == env.unwrapped.render_mode and f.task == env.unwrapped.task for f in forks)
    actions = script(walkthrough[1:])
    expected = transcript(env, actions)
    assert expected[-1][2] and expected[-1][4][infos.SUCCESS]  # the script wins
    for twin in forks:
        assert transcript(twin, actions) == expected


def test_forks_do_not_affect_each_other_nor_the_original(env):
    _, info = env.reset(seed=SEED)
    walkthrough = info[infos.WALKTHROUGH]
    env.step(walkthrough[0])
    reference = env.unwrapped.get_state()
    a, b = env.unwrapped.fork(2)
    # Interleaved: a wins, b wanders, the original stays where it was.
    results_a, results_b = [], []
    for i, command in enumerate(walkthrough[1:]):
        results_a.append(a.step(command))
        results_b.append(b.step(["go east", "look", "inventory", "go west"][i % 4]))
    assert results_a[-1][2] and not results_b[-1][2]
    assert env.unwrapped.get_state() == reference
    # Each fork saw what a lone env from the same state sees.
    for fork_results, actions in ((results_a, walkthrough[1:]), (results_b, None)):
        env.unwrapped.set_state(reference)
        if actions is None:
            actions = [["go east", "look", "inventory", "go west"][i % 4] for i in range(len(fork_results))]
        assert transcript(env, actions) == fork_results


def test_a_fork_keeps_the_episode_over_and_resets_like_the_original(env):
    env.reset()  # a seed drawn from np_random: the forks must draw the same next one
    _, info = env.reset(seed=SEED)
    for command in info[infos.WALKTHROUGH]:
        env.step(command)
    (twin,) = env.unwrapped.fork()
    with pytest.raises(ResetNeeded, match="episode is over"):
        twin.step("look")
    assert twin.reset() == env.reset()  # the same next seed: np_random was copied, not shared
    assert twin.unwrapped.task == env.unwrapped.task


def test_wrapped_forks_keep_the_step_budget_and_the_reward_wrappers_state():
    env = DenseReward(gym.make(DENSE_ID, engine="native", max_episode_steps=6))
    try:
        _, info = env.reset(seed=SEED)
        walkthrough = info[infos.WALKTHROUGH]
        rewards = [env.step(walkthrough[0])[1], env.step("look")[1]]
        forks = textagent_envs.fork(env, 2)
        assert [type(w).__name__ for w in _layers(forks[0])] == [type(w).__name__ for w in _layers(env)]
        assert forks[0].unwrapped is not env.unwrapped and forks[0].unwrapped is not forks[1].unwrapped
        # Two steps taken: four left before TimeLimit truncates, in the original and each fork.
        expected = transcript(env, ["look"] * 10)
        assert len(expected) == 4 and expected[-1][3]
        for twin in forks:
            assert transcript(twin, ["look"] * 10) == expected
        # DenseReward's running total came along: a win from the fork state sums to 1.
        won = textagent_envs.fork(_replay(walkthrough[:1]), 1)[0]
        rest = transcript(won, walkthrough[1:])
        assert rest[-1][4][infos.SUCCESS]
        assert rewards[0] > 0 and sum(r[1] for r in rest) + rewards[0] == pytest.approx(1.0)
    finally:
        env.close()


def _replay(actions):
    env = DenseReward(gym.make(DENSE_ID, engine="native", max_episode_steps=50))
    env.reset(seed=SEED)
    for action in actions:
        env.step(action)
    return env


def _layers(env):
    layers = [env]
    while hasattr(layers[-1], "env"):
        layers.append(layers[-1].env)
    return layers


def test_a_balanced_reward_fork_has_its_own_inner_counters():
    env = BalancedReward(gym.make(DENSE_ID, engine="native"))
    try:
        _, info = env.reset(seed=SEED)
        walkthrough = info[infos.WALKTHROUGH]
        env.step(walkthrough[0])
        (twin,) = textagent_envs.fork(env)
        assert twin._dense is not env._dense and twin._dense._returned == env._dense._returned > 0
        assert twin._dense.env is twin.env  # the inner wrapper wraps the fork's chain, not the original's
        returned = env._dense._returned
        rest = transcript(twin, walkthrough[1:])
        assert rest[-1][4][infos.SUCCESS] and env._dense._returned == returned
        # Half of the progress (0.5 * returned) was paid before the fork: the fork pays the rest of 1.
        assert sum(r[1] for r in rest) + 0.5 * returned == pytest.approx(1.0)
    finally:
        env.close()


def test_forks_work_with_process_isolation():
    env = gym.make(ENV_ID, engine="native", isolation="process")
    try:
        _, info = env.reset(seed=SEED)
        walkthrough = info[infos.WALKTHROUGH]
        env.step(walkthrough[0])
        (twin,) = env.unwrapped.fork()
        assert twin._runner is not env.unwrapped._runner and twin._runner.pid != env.unwrapped._runner.pid
        expected = transcript(env, walkthrough[1:])
        assert transcript(twin, walkthrough[1:]) == expected
        twin.close()
    finally:
        env.close()


_REPLAY = """
import json, pickle, sys, gymnasium as gym, textagent_envs
env_id, state, actions = pickle.loads(open(sys.argv[1], 'rb').read())
env = gym.make(env_id, engine='native').unwrapped
env.set_state(state)
print(json.dumps([list(env.step(a)[:4]) for a in actions]))
"""


def test_a_forks_state_replays_identically_in_a_fresh_process(env, tmp_path):
    _, info = env.reset(seed=SEED)
    walkthrough = info[infos.WALKTHROUGH]
    env.step(walkthrough[0])
    (twin,) = env.unwrapped.fork()
    state = twin.get_state()
    actions = script(walkthrough[1:])
    expected = [list(step[:4]) for step in transcript(twin, actions)]
    blob = tmp_path / "state.pkl"
    blob.write_bytes(pickle.dumps((ENV_ID, state, actions)))
    out = subprocess.run([sys.executable, "-c", _REPLAY, str(blob)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout) == json.loads(json.dumps(expected))


def test_engines_without_state_copies_name_the_engines_that_fork():
    env = gym.make(ENV_ID, engine="inform7")
    try:
        with pytest.raises(NotImplementedError, match="engine='native'.*engine='fast'.*SWE-Mini"):
            env.unwrapped.fork(2)
        with pytest.raises(NotImplementedError, match="fork.*engines that copy and fork"):
            textagent_envs.fork(env, 2)
    finally:
        env.close()


def test_bad_fork_requests_are_clear_errors(env):
    with pytest.raises(ResetNeeded, match="reset"):
        env.unwrapped.fork()
    env.reset(seed=SEED)
    for k in (0, -1, 1.5, True, "2"):
        with pytest.raises(ValueError, match="k must be an int >= 1"):
            env.unwrapped.fork(k)
