import pytest

from textagent_envs.swe.mini import TaskGenerationError, available_repos, make_task, run_tests
from textagent_envs.swe.tools import FileTools, parse_tool_call


def test_the_practice_repositories_pass_their_tests():
    assert "calckit" in available_repos()
    from textagent_envs.swe.mini import repo_path

    outcomes = run_tests(repo_path("calckit"))
    assert len(outcomes) >= 15 and set(outcomes.values()) == {"PASSED"}


@pytest.mark.parametrize("nb_bugs", [1, 2])
def test_a_task_breaks_tests_and_its_walkthrough_fixes_them(tmp_path, nb_bugs):
    task = make_task("calckit", 7, tmp_path, nb_bugs=nb_bugs)
    assert len(task.mutations) == nb_bugs and task.FAIL_TO_PASS
    assert not set(task.FAIL_TO_PASS) & set(task.PASS_TO_PASS)
    before = run_tests(task.workspace)
    assert all(before[t] != "PASSED" for t in task.FAIL_TO_PASS)
    assert all(before[t] == "PASSED" for t in task.PASS_TO_PASS)
    tools = FileTools(task.workspace)
    for action in task.walkthrough[:-1]:
        tools.run(parse_tool_call(action))
    assert parse_tool_call(task.walkthrough[-1]).name == "submit"
    after = run_tests(task.workspace)
    assert set(after.values()) == {"PASSED"}
    assert task.patch.startswith("--- a/calckit/")
    instance = task.to_instance()
    assert instance["FAIL_TO_PASS"] == task.FAIL_TO_PASS and instance["instance_id"] == task.instance_id


def test_same_seed_same_task_other_seed_other_bug(tmp_path):
    a = make_task("calckit", 11, tmp_path / "a")
    b = make_task("calckit", 11, tmp_path / "b")
    c = make_task("calckit", 12, tmp_path / "c")
    assert (a.patch, a.FAIL_TO_PASS) == (b.patch, b.FAIL_TO_PASS)
    assert a.patch != c.patch


def test_kinds_restrict_the_bugs(tmp_path):
    task = make_task("calckit", 3, tmp_path, kinds=["dropped_branch"])
    assert [m.kind for m in task.mutations] == ["dropped_branch"]


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (dict(repo="nope"), ValueError, "unknown SWE-Mini repository"),
        (dict(nb_bugs=0), ValueError, "nb_bugs"),
        (dict(kinds=["typo"]), ValueError, "kinds"),
        (dict(seed=-1), ValueError, "seed"),
    ],
)
def test_bad_arguments(tmp_path, kwargs, error, message):
    args = dict(repo="calckit", seed=1, out_dir=tmp_path) | kwargs
    with pytest.raises(error, match=message):
        make_task(**args)


def test_too_many_bugs_for_the_sites_is_a_clear_error(tmp_path):
    with pytest.raises(TaskGenerationError, match="catchable bug site"):
        make_task("calckit", 1, tmp_path, nb_bugs=5, kinds=["boolean_swap"])
