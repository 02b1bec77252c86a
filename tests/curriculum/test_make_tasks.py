import json
import subprocess
import sys

import pytest

from textagent_envs.tasksets import make_tasks
from textagent_envs.tasks import load_task_set
from textagent_envs.textworld.env import CustomEnv


def _lines(path):
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_makes_a_deterministic_manifest_with_games_and_difficulty(tmp_path):
    made = make_tasks("tw-custom", level=1, count=3, split="test", out_dir=tmp_path, workers=2, progress=False)
    assert made.manifest.name == "tw-custom-w1-o2-q2-test.jsonl"
    lines = _lines(made.manifest)
    assert [line["seed"] for line in lines] == [1, 2, 3]
    for line in lines:
        assert (tmp_path / line["game_file"]).is_file()
        assert line["metadata"]["walkthrough_length"] == 2 and line["metadata"]["nb_rooms"] == 1
    # The manifest plays: each task's walkthrough wins.
    env = CustomEnv(tasks=str(made.manifest), task_order="sequential", isolation="none")
    for _ in lines:
        _, info = env.reset()
        for command in info["walkthrough"]:
            *_, info = env.step(command)
        assert info["success"]
    env.close()


def test_rerun_resumes_without_duplicates_after_an_interruption(tmp_path):
    first = make_tasks("tw-custom", level=1, count=2, split="train", out_dir=tmp_path, workers=1, progress=False)
    # Simulate an interrupted later run: a torn last line and a task whose game is gone.
    with open(first.manifest, "a") as sink:
        sink.write('{"family": "tw-custom", "id": "tw-cus')
    lines = _lines_tolerant(first.manifest)
    (tmp_path / lines[1]["game_file"]).unlink()
    with pytest.warns(UserWarning, match="skipping a bad line"):
        again = make_tasks("tw-custom", level=1, count=3, split="train", out_dir=tmp_path, workers=2, progress=False)
    assert again.reused == 1 and again.generated == 2
    seeds = [line["seed"] for line in _lines(again.manifest)]
    assert seeds == [30001, 30002, 30003]
    assert load_task_set(again.manifest, family="tw-custom") == again.tasks


def _lines_tolerant(path):
    out = []
    for line in path.read_text().splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            pass
    return out


def test_specs_only_flag(tmp_path):
    made = make_tasks("tw-coin_collector", {"level": 2}, count=1, split="valid", out_dir=tmp_path, specs_only=True, progress=False)
    assert not (tmp_path / "games").exists() and "game_file" not in _lines(made.manifest)[0]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(family="tw-custom", params={"world_size": 0}), "world_size"),
        (dict(family="tw-custom", params={"rooms": 2}), "unknown knob"),
        (dict(family="tw-custom", level=99), "level"),
        (dict(family="tw-custom", count=0), "count"),
        (dict(family="tw-custom", split="dev"), "unknown split"),
        (dict(family="tw-custom", workers=0), "workers"),
    ],
)
def test_bad_arguments(tmp_path, kwargs, message):
    args = dict(count=1, split="test", out_dir=tmp_path, progress=False) | kwargs
    with pytest.raises(ValueError, match=message):
        make_tasks(**args)


def test_cli_make_tasks(tmp_path):
    cmd = [sys.executable, "-m", "textagent_envs", "make-tasks", "TextWorld-CoinCollector-v0", "--count", "2", "--split", "test", "--out", str(tmp_path)]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "2 tasks (2 generated now, 0 kept" in result.stdout
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert "2 tasks (0 generated now, 2 kept" in again.stdout
    bad = subprocess.run(cmd[:4] + ["--level", "0"] + cmd[4:], capture_output=True, text=True, timeout=300)
    assert bad.returncode != 0 and "level must be an int in [1, 100]" in bad.stderr


def test_a_registered_id_stands_for_its_family_with_its_knobs_as_defaults():
    from textagent_envs.knobs import KnobError
    from textagent_envs.tasksets import resolve_family

    assert resolve_family("TextWorld-Custom-w4-o6-q8-v0", {"quest_length": 5}) == (
        "tw-custom", {"world_size": 4, "nb_objects": 6, "quest_length": 5})
    assert resolve_family("textagent_envs:TextWorld-Custom-w4-o6-q8-v0", level=2) == ("tw-custom", {})
    kind = "pick_two_obj_and_place"
    assert resolve_family("ALFWorld-PickTwoObjAndPlace-v0", level=2) == ("alfworld", {"task_type": kind})
    assert resolve_family("swe-mini", {"nb_bugs": 2}) == ("swe-mini", {"nb_bugs": 2})
    with pytest.raises(KnobError, match="SWE-Gym-v0 has no task generator"):
        resolve_family("SWE-Gym-v0")
    with pytest.raises(KnobError, match="unknown family 'nope'.*tw-custom.*alfworld.*swe-mini"):
        resolve_family("nope")
