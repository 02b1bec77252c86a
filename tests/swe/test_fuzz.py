"""No exception from any well-formed tool call on SWE-Mini-v0, bounded host work, and
nothing left behind (issue 16 §2-3): the hostile calls one by one, then a bounded fuzz run.
The long run is ``python -m textagent_envs.swe.fuzz --calls 5000`` (docs/swe.md)."""

import copy
import pickle

import gymnasium as gym
import pytest

import textagent_envs  # noqa: F401
from textagent_envs.swe.fuzz import fuzz
from textagent_envs.swe.sandbox import Limits
from textagent_envs.swe.tools import format_tool_call

SEED = 3
DEEP = "python -c \"import os\nfor i in range(1400): os.mkdir('d'); os.chdir('d')\"; echo made"


@pytest.fixture
def env():
    env = gym.make("SWE-Mini-v0", limits=Limits(timeout=10.0, workspace_mb=64, workspace_files=5_000))
    env.reset(seed=SEED)
    yield env
    env.close()


def step(env, name, **arguments):
    return env.step(format_tool_call(name, **arguments))


def serves(env):
    _, info = env.reset(seed=SEED)
    rewards = [env.step(a)[1] for a in info["walkthrough"]]
    assert rewards[-1] == 1.0


@pytest.mark.parametrize("action", [
    '{"name": "bash", "arguments": {"command": "echo \\ud800"}}',
    '{"name": "view", "arguments": {"path": "calckit/\\udfff.py"}}',
    '{"name": "create", "arguments": {"path": "x.py", "file_text": "\\udc80"}}',
    '{"name": "str_replace", "arguments": {"path": "calckit/stats.py", "old_str": "\\ud800", "new_str": "x"}}',
])
def test_lone_surrogates_get_an_observation(env, action):
    obs, reward, terminated, truncated, info = env.step(action)
    assert "lone surrogate" in obs and not info["last_action_valid"] and not terminated


def test_long_commands_and_long_names_get_an_observation(env):
    assert step(env, "bash", command="echo " + "x" * (48 << 10) + " | wc -c")[0].strip() == str((48 << 10) + 1)
    assert "at most" in step(env, "bash", command="echo " + "x" * (130 << 10))[0]
    for name, arguments in [("create", {"path": "a" * 300, "file_text": "x"}), ("view", {"path": "a" * 300}),
                            ("insert", {"path": "b" * 256, "insert_line": 0, "insert_text": "x"})]:
        obs = step(env, name, **arguments)[0]
        assert obs.startswith("Error:") and "too long" in obs, obs
    serves(env)


def test_folders_1400_deep_break_nothing(env):
    root = env.unwrapped._root
    obs = step(env, "bash", command=DEEP)[0]
    assert "made" in obs and "workspace is full" in obs and "deeper than" in obs
    assert "d/d/" in step(env, "view", path=".")[0]
    obs, reward, terminated, *_ = step(env, "submit")
    assert terminated and reward == 0.0 and "Not graded: the workspace is full" in obs
    env.reset(seed=SEED)
    assert not (root / "repo" / "d").exists()
    step(env, "bash", command=DEEP)
    env.close()
    assert not root.exists()


def test_a_full_workspace_is_an_observation_and_is_not_graded(env):
    obs = step(env, "bash", command="for i in 1 2; do head -c 40000000 /dev/urandom > big$i.bin; done; echo wrote")[0]
    assert "wrote" in obs and "the workspace is full: it holds more than 64 MB" in obs
    obs = step(env, "bash", command="rm big*.bin; mkdir many; cd many; seq 1 6000 | xargs touch")[0]
    assert "more than 5000 files" in obs
    obs, reward, terminated, *_ = step(env, "submit")
    assert terminated and reward == 0.0 and "Not graded" in obs
    serves(env)


def test_grading_copies_do_not_outlive_grading(env):
    root = env.unwrapped._root
    _, info = env.reset(seed=SEED)
    for action in info["walkthrough"]:
        env.step(action)
    assert list((root / "grading").iterdir()) == []


def test_swe_envs_refuse_to_be_copied_and_say_how(env):
    for copier in (copy.deepcopy, copy.copy, pickle.dumps):
        with pytest.raises(TypeError, match=r"cannot be copied or pickled.*reset\(options=\{'task'"):
            copier(env.unwrapped)
    with pytest.raises(TypeError, match="cannot be copied"):
        copy.deepcopy(env)  # through gym.make's wrappers too
    serves(env)


def test_fuzzed_tool_calls_raise_nothing_and_leave_nothing():
    """Bounded: at most 120 calls or 150 s (the full run is the module's command line)."""
    report = fuzz(calls=120, seconds=150, seed=11, timeout=1.0)
    print(report.summary())
    assert report.calls > 0 and not report.exceptions, report.summary()
    assert not report.leftovers, report.summary()


def test_fuzzed_tool_calls_under_docker_raise_nothing_and_leave_nothing():
    """Bounded: at most 60 calls or 120 s, SWE-Mini-v0 with sandbox="docker"."""
    from textagent_envs.swe.docker import docker_unavailable_reason
    from textagent_envs.swe.images import BASE_IMAGE, image_exists

    reason = docker_unavailable_reason()
    if reason is not None or not image_exists(BASE_IMAGE):
        pytest.skip(f"Docker is not available ({reason}) or the base image {BASE_IMAGE} is missing")
    report = fuzz(calls=60, seconds=120, seed=3, sandbox="docker", timeout=2.0)
    print(report.summary())
    assert report.calls > 0 and not report.exceptions, report.summary()
    assert not report.leftovers, report.summary()
