"""SWE-Gym-v0 (and SWE-Mini-v0 with sandbox="docker"): instances, Docker episodes, grading.

The Docker tests need an engine and the local base image (`.ci/run` starts Docker and
builds it); without them they skip and say why. The rest runs everywhere.
"""

import json

import gymnasium as gym
import pytest

from textagent_envs import infos
from textagent_envs.swe.env import load_instances, patch_walkthrough
from textagent_envs.swe.mini import MiniKnobs, ensure_task
from textagent_envs.swe.sandbox import SandboxUnavailable
from textagent_envs.swe.tools import format_tool_call, parse_tool_call
from textagent_envs.testing import check_text_env

INSTANCE = {
    "instance_id": "owner__repo-1", "repo": "owner/repo", "base_commit": "abc", "problem_statement": "Fix it.",
    "patch": "diff --git a/x.py b/x.py\n", "test_patch": "", "FAIL_TO_PASS": '["t::a"]', "PASS_TO_PASS": [],
    "version": "1.0",
}


def test_instances_load_from_files_and_lists(tmp_path):
    jsonl = tmp_path / "instances.jsonl"
    jsonl.write_text(json.dumps(INSTANCE) + "\n\n")
    for source in (jsonl, str(jsonl), [INSTANCE]):
        (item,) = load_instances(source)
        assert item["FAIL_TO_PASS"] == ["t::a"]  # SWE-bench's JSON-encoded lists are decoded
    as_json = tmp_path / "instances.json"
    as_json.write_text(json.dumps([INSTANCE]))
    assert load_instances(as_json)[0]["instance_id"] == "owner__repo-1"


@pytest.mark.parametrize("source, error", [
    ("/nonexistent.jsonl", "does not exist"),
    ([], "holds no instances"),
    ([{"instance_id": "x"}], r"missing field\(s\) \['problem_statement', 'base_commit'"),
    ([{**INSTANCE, "PASS_TO_PASS": [1]}], "PASS_TO_PASS must be a list of test ids"),
    (["not a dict"], "must be a JSON object"),
])
def test_bad_instances_say_what_is_wrong(source, error):
    with pytest.raises((ValueError, FileNotFoundError), match=error):
        load_instances(source)


def test_bad_env_arguments():
    with pytest.raises(ValueError, match="needs instances="):
        gym.make("SWE-Gym-v0")
    with pytest.raises(ValueError, match="names no image"):
        gym.make("SWE-Gym-v0", instances=[INSTANCE], test_cmd="pytest")
    with pytest.raises(ValueError, match="no 'test_cmd'"):
        gym.make("SWE-Gym-v0", instances=[INSTANCE], image="img")
    env = gym.make("SWE-Gym-v0", instances=[INSTANCE], image="sweb.eval.x86_64.{instance_id}:{version}", test_cmd="pytest")
    assert env.unwrapped.instances[0]["image"] == "sweb.eval.x86_64.owner__repo-1:1.0"
    with pytest.raises(ValueError, match="no instance 'nope'"):
        env.reset(options={"instance_id": "nope"})


def test_without_docker_reset_says_why(monkeypatch):
    import textagent_envs.swe.docker as docker_module

    monkeypatch.setattr(docker_module, "docker_unavailable_reason", lambda: "no daemon answers")
    env = gym.make("SWE-Gym-v0", instances=[INSTANCE], image="img", test_cmd="pytest")
    with pytest.raises(SandboxUnavailable, match="not available: no daemon answers"):
        env.reset(seed=0)


def test_patch_walkthrough_applies_the_gold_patch_with_bash():
    patch = "diff --git a/x b/x\n+TEXTAGENT_PATCH_EOF\n"
    first, last = patch_walkthrough(patch)
    command = parse_tool_call(first).arguments["command"]
    assert command.startswith("git apply") and patch in command
    assert command.endswith("\nTEXTAGENT_PATCH_EOF_")  # a delimiter the patch does not contain
    assert parse_tool_call(last).name == "submit"


def _docker_skip_reason():
    from textagent_envs.swe.docker import docker_unavailable_reason
    from textagent_envs.swe.images import BASE_IMAGE, image_exists

    reason = docker_unavailable_reason()
    if reason is None and not image_exists(BASE_IMAGE):
        reason = f"the base image {BASE_IMAGE} is missing (python -m textagent_envs.swe.images base)"
    return reason


@pytest.fixture(scope="module")
def docker_instance(tmp_path_factory):
    reason = _docker_skip_reason()
    if reason is not None:
        pytest.skip(f"Docker is not available: {reason}")
    from textagent_envs.swe.images import build_task_image

    task = ensure_task(MiniKnobs().task(3), tmp_path_factory.mktemp("cache"))
    return build_task_image(task, "textagent-envs/test-gym-env:calckit-s3")


def test_swe_gym_episode_in_docker(docker_instance):
    env = gym.make("SWE-Gym-v0", instances=[docker_instance])
    try:
        check_text_env(env, seeds=(0,))
        obs, info = env.reset(options={"instance_id": docker_instance["instance_id"]})
        assert "(/testbed)" in obs
        obs, *_ = env.step(format_tool_call("bash", command="pwd; ls"))
        assert obs.split()[:2] == ["/testbed", "calckit"]
        env.step(format_tool_call("create", path="tests/conftest.py", file_text="import pytest\n"))
        env.step(format_tool_call("bash", command="sed -i 's/assert/assert True or/' tests/*.py"))
        obs, reward, terminated, _, info = env.step(format_tool_call("submit"))
        assert terminated and not info[infos.SUCCESS] and 0 < reward < 1
        assert set(info["ignored_changes"]) >= {"tests/conftest.py", "tests/test_intervals.py"}
        _, info = env.reset(seed=0)  # the next episode starts clean in the same container
        obs, *_ = env.step(format_tool_call("bash", command="git status --short; ls tests"))
        assert "conftest" not in obs
        rewards = [env.step(a)[1] for a in info[infos.WALKTHROUGH]]
        assert rewards[-1] == 1.0
    finally:
        env.close()


def test_swe_mini_runs_in_docker_when_asked(docker_instance):
    env = gym.make("SWE-Mini-v0", sandbox="docker")
    try:
        _, info = env.reset(seed=3)
        *_, final = [env.step(a) for a in info[infos.WALKTHROUGH]]
        assert final[1] == 1.0 and final[4][infos.SUCCESS]
    finally:
        env.close()
    with pytest.raises(ValueError, match="sandbox must be"):
        gym.make("SWE-Mini-v0", sandbox="chroot")


WEIRD_NAMES = {
    "tests/ü/conftest.py": "import pytest\n@pytest.fixture(autouse=True)\ndef _skip():\n    pytest.skip('no')\n",
    "tests/a b/conftest.py": "import pytest\n",
    'tests/quo"te/conftest.py': "import pytest\n",
    "tests/new\nline/conftest.py": "import pytest\n",
    "calckit/naïve module.py": "X = 1\n",
    'calckit/quo"te\nnl.py': "Y = 2\n",
}


def test_docker_grading_reads_any_path_name_exactly(docker_instance):
    """Changed paths are read NUL-separated: a protected file is recognised whatever its
    name (non-ASCII, spaces, quotes, newlines), and other such files are applied."""
    env = gym.make("SWE-Gym-v0", instances=[docker_instance])
    try:
        _, info = env.reset(seed=0)
        for path, text in WEIRD_NAMES.items():
            *_, step_info = env.step(format_tool_call("create", path=path, file_text=text))
            assert step_info[infos.LAST_ACTION_VALID], path
        for action in info[infos.WALKTHROUGH][:-1]:
            env.step(action)
        env.step(format_tool_call("bash", command="python3 -m pytest -q tests/test_stats.py; python3 -c 'import calckit'; ls -a"))
        obs, reward, terminated, _, info = env.step(format_tool_call("submit"))
        assert sorted(info["ignored_changes"]) == sorted(p for p in WEIRD_NAMES if p.startswith("tests/"))
        assert reward == 1.0 and info[infos.SUCCESS] and info["tampering"] == []
        assert "Changes not counted" in obs and ".pytest_cache" not in obs and "__pycache__" not in obs
    finally:
        env.close()


def test_a_non_pytest_runner_falls_back_to_the_log_parser_and_says_so(docker_instance):
    instance = {**docker_instance, "test_cmd": "cd . && python3 -m pytest -rA -p no:cacheprovider tests"}
    env = gym.make("SWE-Gym-v0", instances=[instance])
    try:
        _, info = env.reset(seed=0)
        *_, info = [env.step(a) for a in info[infos.WALKTHROUGH]][-1]
        assert info[infos.SUCCESS] and info["grading_channel"] == "log" and info["tests"]["channel"] == "log"
    finally:
        env.close()


def test_task_image_tags_name_the_bug_kinds_and_the_tests_mode(tmp_path):
    from textagent_envs.swe.images import task_image_tag

    a = ensure_task(MiniKnobs(kinds=("operator_swap", "comparison_swap")).task(3), tmp_path)
    b = ensure_task(MiniKnobs().task(3), tmp_path)
    tags = {task_image_tag(a), task_image_tag(b), task_image_tag(b, hidden_tests=True)}
    assert len(tags) == 3 and all(t.startswith("textagent-envs/swe-mini:swe-mini-calckit-b1-s3-") for t in tags)
    assert task_image_tag(b) == task_image_tag(ensure_task(MiniKnobs().task(3), tmp_path))
