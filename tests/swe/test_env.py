"""SWE-Mini-v0: the tool-call loop, grading, rewards, and the guards on grading."""

import json

import gymnasium as gym
import pytest

import textagent_envs
from textagent_envs import infos
from textagent_envs.swe.sandbox import Limits
from textagent_envs.swe.tools import format_tool_call
from textagent_envs.testing import check_text_env

SEED = 3  # a one-bug task in calckit/intervals.py


@pytest.fixture(scope="module")
def env():
    env = gym.make("SWE-Mini-v0", limits=Limits(timeout=10.0))
    yield env
    env.close()


@pytest.fixture(scope="module")
def visible_env():
    env = gym.make("SWE-Mini-v0", limits=Limits(timeout=10.0), hidden_tests=False)
    yield env
    env.close()


def play(env, actions):
    for action in actions:
        result = env.step(action)
    return result


def test_the_contract_holds(env):
    check_text_env(env, seeds=(SEED,))


def test_walkthrough_resolves_under_every_reward_type():
    for reward_type in ("test_pass_ratio", "resolved", "f2p_ratio"):
        env = gym.make("SWE-Mini-v0", reward_type=reward_type)
        _, info = env.reset(seed=SEED)
        rewards = [env.step(a)[1] for a in info[infos.WALKTHROUGH]]
        assert rewards[:-1] == [0.0] * (len(rewards) - 1) and rewards[-1] == 1.0, reward_type
        env.close()


def test_an_empty_submission_scores_what_already_passed(env):
    _, info = env.reset(seed=SEED)
    obs, reward, terminated, truncated, info = env.step(format_tool_call("submit"))
    tests = info["tests"]
    assert terminated and not truncated and info[infos.LOST] and not info[infos.SUCCESS]
    assert tests["total"] == info[infos.MAX_SCORE] and tests["passing"] == info[infos.SCORE] < tests["total"]
    assert reward == pytest.approx(tests["passing"] / tests["total"])
    assert tests["f2p_ratio"] == 0.0 and "not resolved" in obs
    with pytest.raises(RuntimeError, match="over"):
        env.step(format_tool_call("submit"))


def test_tools_and_their_errors(visible_env):
    env = visible_env
    obs, info = env.reset(seed=SEED)
    assert "calckit" in obs and '"name": TOOL' in obs and info[infos.MOVES] == 0
    obs, _, _, _, info = env.step(format_tool_call("bash", command="ls calckit && python -m pytest -q tests 2>&1 | tail -1"))
    assert "intervals.py" in obs and "failed" in obs and info[infos.LAST_ACTION_VALID] and info[infos.MOVES] == 1
    obs, _, _, _, info = env.step(format_tool_call("view", path="calckit/intervals.py", view_range=[1, 3]))
    assert obs.startswith("     1\t") and info[infos.LAST_ACTION_VALID]
    for bad in ("ls", '{"name": "rm"}', json.dumps({"name": "view", "arguments": {"path": "../../etc/passwd"}}),
                json.dumps({"name": "str_replace", "arguments": {"path": "calckit/stats.py", "old_str": "zzz", "new_str": ""}})):
        obs, reward, terminated, truncated, info = env.step(bad)
        assert obs and reward == 0.0 and not terminated and not info[infos.LAST_ACTION_VALID], bad
        assert info[infos.INVALID_REASON] in obs
    assert info[infos.MOVES] == 2


@pytest.mark.parametrize("cheat", ["edit_test", "conftest", "pytest_ini", "shadow_pytest", "symlink"])
def test_editing_tests_or_configuration_does_not_count(visible_env, cheat):
    env = visible_env
    _, info = env.reset(seed=SEED)
    failing = info["objective"].split("- ")[1].split("\n")[0]  # tests/test_x.py::test_name
    test_file, test_name = failing.split("::")
    actions = {
        "edit_test": [format_tool_call("bash", command=f"sed -i 's/def {test_name}(/def {test_name}():\\n    return\\ndef _old(/' {test_file}")],
        "conftest": [format_tool_call("create", path="calckit/conftest.py", file_text="import pytest\n@pytest.fixture(autouse=True)\ndef _skip():\n    pytest.skip('no')\n"),
                     format_tool_call("create", path="conftest.py", file_text="def pytest_collection_modifyitems(items):\n    items.clear()\n")],
        "pytest_ini": [format_tool_call("create", path="pytest.ini", file_text="[pytest]\naddopts = -k nothing\n")],
        "shadow_pytest": [format_tool_call("create", path="pytest.py", file_text="print('PASSED ' + 'x')\n")],
        "symlink": [format_tool_call("bash", command=f"rm {test_file} && ln -s /dev/null {test_file}")],
    }[cheat]
    for action in actions:
        _, _, _, _, step_info = env.step(action)
        assert step_info[infos.LAST_ACTION_VALID], (cheat, action)
    obs, reward, terminated, _, info = env.step(format_tool_call("submit"))
    assert terminated and not info[infos.SUCCESS], cheat
    assert failing in info["tests"]["failing"]
    assert info["ignored_changes"], cheat
    assert "Changes not counted" in obs


def test_hidden_tests_are_absent_until_grading(env):
    obs, info = env.reset(seed=SEED)
    assert "tests/test_intervals.py::test_overlaps" in obs and "Their failure output" in obs
    assert "assert not overlaps((1, 2), (4, 5))" in obs  # the failure output, as a bug report gives it
    listing, *_ = env.step(format_tool_call("bash", command="ls -a; ls tests 2>&1; grep -rl 'def test_' . | head"))
    assert "calckit" in listing and "No such file" in listing and "test_" not in listing.split("No such file")[1]
    forged = "from calckit.intervals import overlaps\ndef test_overlaps():\n    pass\n"
    env.step(format_tool_call("create", path="tests/test_intervals.py", file_text=forged))
    obs, reward, _, _, info = env.step(format_tool_call("submit"))
    assert info["ignored_changes"] == ["tests/test_intervals.py"] and "tests/test_intervals.py::test_overlaps" in info["tests"]["failing"]
    _, info = env.reset(seed=SEED)
    assert play(env, info[infos.WALKTHROUGH])[4][infos.SUCCESS]  # the tests came back for grading


def test_visible_tests_mode_shows_the_tests_and_caches_are_not_reported(visible_env):
    env = visible_env
    obs, info = env.reset(seed=SEED)
    assert "Their failure output" not in obs
    out, *_ = env.step(format_tool_call("bash", command="python -m pytest -q tests -p cacheprovider; python -B -c 'import calckit'"))
    assert "1 failed" in out
    env.step(format_tool_call("bash", command="mkdir -p calckit/__pycache__ && echo x > calckit/__pycache__/junk.pyc"))
    obs, reward, _, _, info = play(env, info[infos.WALKTHROUGH])
    assert info[infos.SUCCESS] and info["ignored_changes"] == [] and "Changes not counted" not in obs


def test_out_of_turns_grades_the_code_as_it_stands():
    env = gym.make("SWE-Mini-v0", max_turns=2)
    _, info = env.reset(seed=SEED)
    fix = info[infos.WALKTHROUGH][0]
    _, reward, terminated, truncated, info = env.step(format_tool_call("bash", command="true"))
    assert reward == 0.0 and not truncated
    obs, reward, terminated, truncated, info = env.step(fix)
    assert truncated and not terminated and info[infos.TRUNCATION_REASON] == "max_turns"
    assert info[infos.SUCCESS] and reward == 1.0 and "Out of turns" in obs
    env.close()


def test_the_env_serves_the_next_episode_after_an_attack(env):
    _, info = env.reset(seed=SEED)
    obs, *_ = env.step(format_tool_call("bash", command="bomb() { bomb | bomb & }; bomb"))
    env.step(format_tool_call("bash", command="rm -rf /workspace/* ; echo gone"))
    _, info = env.reset(seed=SEED)
    obs, *_ = env.step(format_tool_call("bash", command="ls calckit"))
    assert "stats.py" in obs
    assert play(env, info[infos.WALKTHROUGH])[4][infos.SUCCESS]


def test_tasks_from_specs_levels_and_bad_knobs(tmp_path):
    env = gym.make("SWE-Mini-v0", level=1)
    _, info = env.reset(seed=5)
    spec = info[infos.TASK]
    assert spec["params"]["kinds"] == ["operator_swap", "comparison_swap"] and spec["params"]["nb_bugs"] == 1
    _, again = env.reset(options={"task": spec})
    assert again[infos.WALKTHROUGH] == info[infos.WALKTHROUGH]
    with pytest.raises(ValueError, match="unknown reset option"):
        env.reset(options={"level": 2})
    with pytest.raises(ValueError, match="seed"):
        env.reset(seed=-1)
    env.close()
    for kwargs, error in [({"level": 9}, "level"), ({"nb_bugs": 0}, "nb_bugs"), ({"kinds": ["nope"]}, "kinds"),
                          ({"repo": "nope"}, r"repo must be one of \[.calckit., .shopcart.\]"), ({"reward_type": "vibes"}, "reward_type"),
                          ({"max_turns": 0}, "max_turns"), ({"level": 2, "nb_bugs": 2}, "either level")]:
        with pytest.raises(ValueError, match=error):
            gym.make("SWE-Mini-v0", **kwargs)


def test_reward_density_wrappers_apply():
    env = textagent_envs.make("SWE-Mini-v0", reward="sparse")
    _, info = env.reset(seed=SEED)
    assert play(env, [format_tool_call("submit")])[1] == 0.0
    _, info = env.reset(seed=SEED)
    assert play(env, info[infos.WALKTHROUGH])[1] == 1.0
    env.close()


def test_every_practice_repository_makes_solvable_tasks():
    from textagent_envs.swe.mini import available_repos

    assert {"calckit", "shopcart"} <= set(available_repos())
    for repo in available_repos():
        env = gym.make("SWE-Mini-v0", repo=repo, level=3)
        _, info = env.reset(seed=1)
        assert info[infos.TASK]["params"]["repo"] == repo and info[infos.MAX_SCORE] >= 10
        assert play(env, info[infos.WALKTHROUGH])[4][infos.SUCCESS], repo
        env.close()


def test_a_failed_reset_leaves_no_episode_to_step(env):
    env.reset(seed=SEED)
    with pytest.raises(ValueError, match="unknown reset option"):
        env.reset(options={"nope": 1})
    with pytest.raises(RuntimeError, match="over"):
        env.step(format_tool_call("bash", command="true"))
