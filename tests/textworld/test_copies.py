"""Copies of TextWorld and ALFWorld envs: pickle / deepcopy refuse a running game with a
clear error, and get_state() is portable (another process, another cache directory)."""

import copy
import os
import pickle
import subprocess
import sys

import gymnasium as gym
import pytest

from textagent_envs import infos
from textagent_envs.cache import CACHE_ENV_VAR

ENVS = [
    ("TextWorld-Custom-v0", dict(world_size=1, nb_objects=2, quest_length=2, engine="native"), 5),
    ("ALFWorld-PickAndPlaceSimple-v0", dict(level=2), 3),
]

# Restores a pickled state (argv[1]) in a fresh process whose cache is argv[2], plays the
# rest of the walkthrough (argv[3]) and prints what it saw.
_RESTORE = """
import pickle, sys, json, gymnasium as gym, textagent_envs
env_id, kwargs, state, rest = pickle.loads(open(sys.argv[1], 'rb').read())
env = gym.make(env_id, cache_dir=sys.argv[2], **kwargs).unwrapped  # gymnasium's order check wants a reset first
env.set_state(state)
print(json.dumps([list(env.step(c)[:4]) for c in rest]))
"""


@pytest.mark.parametrize("env_id, kwargs, seed", ENVS)
@pytest.mark.parametrize("isolation", ["none", "process"])
def test_running_env_cannot_be_copied_but_names_get_state(env_id, kwargs, seed, isolation):
    env = gym.make(env_id, isolation=isolation, **kwargs)
    try:
        fresh = copy.deepcopy(env)  # nothing running yet: the settings copy
        assert fresh.unwrapped is not env.unwrapped
        env.reset(seed=seed)
        for copier in (copy.deepcopy, pickle.dumps):
            with pytest.raises(TypeError, match=r"get_state\(\).*set_state|set_state\(env.unwrapped.get_state\(\)\)"):
                copier(env)
        env.close()
        pickle.loads(pickle.dumps(env.unwrapped))  # closed: copies as its settings again
    finally:
        env.close()


@pytest.mark.parametrize("env_id, kwargs, seed", ENVS)
def test_state_restores_in_a_fresh_process_with_another_cache(env_id, kwargs, seed, tmp_path):
    env = gym.make(env_id, **kwargs)
    try:
        _, info = env.reset(seed=seed)
        walkthrough = info[infos.WALKTHROUGH]
        env.step(walkthrough[0])
        state = env.unwrapped.get_state()
        cache = str(env.unwrapped.game_file)
        assert cache not in repr(state) and os.environ[CACHE_ENV_VAR] not in repr(state)  # no path of this cache
        expected = [list(env.step(c)[:4]) for c in walkthrough[1:]]
        assert expected[-1][2]  # the rest of the walkthrough wins
    finally:
        env.close()
    blob = tmp_path / "state.pkl"
    blob.write_bytes(pickle.dumps((env_id, kwargs, state, walkthrough[1:])))
    other_cache = tmp_path / "other-cache"
    out = subprocess.run(
        [sys.executable, "-c", _RESTORE, str(blob), str(other_cache)], capture_output=True, text=True, timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    import json

    assert json.loads(out.stdout) == json.loads(json.dumps(expected))
    assert any(other_cache.rglob("*")), "the other process generated the game in its own cache"


def test_alfworld_fast_engine_copies_state_and_refuses_foreign_options():
    env = gym.make("ALFWorld-PickAndPlaceSimple-v0", level=2)
    try:
        _, info = env.reset(seed=3)
        walkthrough = info[infos.WALKTHROUGH]
        env.step(walkthrough[0])
        saved = env.unwrapped.get_state()
        future = [env.step(c)[:4] for c in walkthrough[1:]]
        env.unwrapped.set_state(saved)
        assert [env.step(c)[:4] for c in walkthrough[1:]] == future
    finally:
        env.close()
    with pytest.raises(TypeError, match="no backend option.*engine="):
        gym.make("ALFWorld-v0", backend="native")
    pddl = gym.make("ALFWorld-v0", level=1, engine="pddl")
    with pytest.raises(NotImplementedError, match="engine='fast'"):
        pddl.unwrapped.get_state()
    pddl.close()


def test_set_state_refuses_a_state_of_another_family():
    textworld = gym.make("TextWorld-Custom-v0", world_size=1, nb_objects=2, quest_length=2, engine="native")
    alfworld = gym.make("ALFWorld-v0", level=1)
    try:
        alfworld.reset(seed=1)
        with pytest.raises(ValueError, match="'alfworld' game but this env plays 'tw-custom'|game but this env plays"):
            textworld.unwrapped.set_state(alfworld.unwrapped.get_state())
        with pytest.raises(TypeError, match="get_state"):
            textworld.unwrapped.set_state({"game": ()})
    finally:
        textworld.close()
        alfworld.close()
