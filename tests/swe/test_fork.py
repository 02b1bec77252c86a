"""Forks of an SWE-Mini episode: each fork has its own copy of the workspace (an edit in
place in one is seen by no other), its own sandboxes, the episode's turn count, and
grades on its own."""


import gymnasium as gym
import pytest

import textagent_envs
from textagent_envs import infos
from textagent_envs.swe.env import ResetNeeded
from textagent_envs.swe.sandbox import Limits
from textagent_envs.swe.tools import format_tool_call

SEED = 3  # a one-bug task in calckit/intervals.py
FILE = "calckit/intervals.py"


def bash(command):
    return format_tool_call("bash", command=command)


SUBMIT = format_tool_call("submit")


@pytest.fixture
def env():
    env = gym.make("SWE-Mini-v0", limits=Limits(timeout=10.0), max_turns=6)
    yield env
    env.close()


def test_forks_have_their_own_workspaces_and_sandboxes_and_grade_on_their_own(env):
    _, info = env.reset(seed=SEED)
    fix = info[infos.WALKTHROUGH][:-1]
    env.step(bash(f"echo '# before the fork' >> {FILE}"))
    fixed, unfixed = textagent_envs.fork(env, 2)
    roots = {e.unwrapped._root for e in (env, fixed, unfixed)}
    assert len(roots) == 3 and len({id(e.unwrapped._sandbox) for e in (env, fixed, unfixed)}) == 3
    # An edit in place (an append keeps the file's inode) stays in its own workspace.
    fixed.step(bash(f"echo '# only in this fork' >> {FILE}"))
    for other in (env, unfixed):
        text = other.step(bash(f"cat {FILE}"))[0]
        assert "# before the fork" in text and "only in this fork" not in text
    # One fork fixes the bug, the other submits as it is; the original is untouched by either.
    for action in fix:
        fixed.step(action)
    _, reward, terminated, _, info_fixed = fixed.step(SUBMIT)
    assert terminated and reward == 1.0 and info_fixed[infos.SUCCESS]
    _, reward, terminated, _, info_unfixed = unfixed.step(SUBMIT)
    assert terminated and reward < 1.0 and not info_unfixed[infos.SUCCESS]
    fixed.close()
    unfixed.close()  # closing the forks leaves the original running
    for action in fix:
        env.step(action)
    _, reward, terminated, _, info_original = env.step(SUBMIT)
    assert terminated and reward == 1.0 and info_original[infos.MOVES] == 4  # append, cat, fix, submit


def test_a_fork_keeps_the_turn_count(env):
    env.reset(seed=SEED)
    env.step(bash("true"))
    env.step(bash("true"))
    (twin,) = env.unwrapped.fork()
    results = [twin.step(bash("true")) for _ in range(4)]
    assert [r[3] for r in results] == [False, False, False, True]  # 2 + 4 = max_turns
    assert results[-1][4][infos.TRUNCATION_REASON] == "max_turns" and results[-1][4][infos.MOVES] == 6
    assert env.step(bash("true"))[4][infos.MOVES] == 3  # the original is at its own third turn
    twin.close()


def test_bad_fork_requests_are_clear_errors(env):
    with pytest.raises(ResetNeeded, match="reset"):
        env.unwrapped.fork()
    env.reset(seed=SEED)
    with pytest.raises(ValueError, match="k must be an int >= 1"):
        env.unwrapped.fork(0)
    docker = gym.make("SWE-Mini-v0", sandbox="docker")
    try:
        with pytest.raises(NotImplementedError, match="sandbox='bwrap'"):
            docker.unwrapped.fork()
    finally:
        docker.close()
