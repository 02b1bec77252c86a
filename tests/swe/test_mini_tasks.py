"""SWE-Mini task sets: the cache, task folders, make-tasks and playing a manifest."""

import json

import gymnasium as gym
import pytest

from textagent_envs import infos
from textagent_envs.tasksets import generator_for
from textagent_envs.tasksets import make_tasks
from textagent_envs.swe.mini import FAMILY, MiniKnobs, ensure_task, load_task_folder, task_dir
from textagent_envs.tasks import TaskSpec


def test_ensure_task_generates_once_then_reads_the_cache(tmp_path):
    spec = MiniKnobs(nb_bugs=1).task(11)
    first = ensure_task(spec, tmp_path)
    folder = task_dir(MiniKnobs(nb_bugs=1), 11, tmp_path)
    assert first.workspace == folder / "repo" and (folder / "task.json").is_file()
    stamp = (folder / "task.json").stat().st_mtime_ns
    again = ensure_task(spec, tmp_path)
    assert again == first and (folder / "task.json").stat().st_mtime_ns == stamp
    with pytest.raises(ValueError, match="not 'swe-mini'"):
        ensure_task(TaskSpec("tw-custom", {}, 1), tmp_path)


def test_a_damaged_cached_task_is_detected_and_made_again(tmp_path, caplog):
    spec = MiniKnobs(nb_bugs=1).task(11)
    first = ensure_task(spec, tmp_path)
    folder = task_dir(MiniKnobs(nb_bugs=1), 11, tmp_path)
    (folder / "repo" / "tests" / "test_stats.py").unlink()  # a deleted file used to grade every fix 0.0
    with pytest.raises(ValueError, match=r"damaged: missing: \['tests/test_stats.py'\]"):
        load_task_folder(folder)
    with caplog.at_level("WARNING"):
        again = ensure_task(spec, tmp_path)
    assert "damaged" in caplog.text and again == first and (folder / "repo" / "tests" / "test_stats.py").is_file()
    (folder / "repo" / "calckit" / "stats.py").write_text("garbage\n")
    with pytest.raises(ValueError, match=r"changed: \['calckit/stats.py'\]"):
        load_task_folder(folder)
    assert ensure_task(spec, tmp_path) == first
    assert not list((tmp_path / FAMILY).rglob("*.lock"))  # the lock lives in the cache's locks/ folder


def test_bad_task_folders_say_what_is_wrong(tmp_path):
    with pytest.raises(FileNotFoundError, match="task.json and repo/"):
        load_task_folder(tmp_path)
    (tmp_path / "repo").mkdir()
    (tmp_path / "task.json").write_text("{not json")
    with pytest.raises(ValueError, match="not a valid SWE-Mini task record"):
        load_task_folder(tmp_path)


def test_make_tasks_writes_a_playable_manifest(tmp_path):
    made = make_tasks(FAMILY, level=2, count=2, split="test", out_dir=tmp_path, workers=1, progress=False)
    lines = [json.loads(line) for line in made.manifest.read_text().splitlines()]
    assert [line["seed"] for line in lines] == [1, 2]
    for line in lines:
        assert line["game_file"].startswith("games/") and line["metadata"]["nb_fail_to_pass"] >= 1
        assert (tmp_path / line["game_file"] / "task.json").is_file()
    assert not list(tmp_path.rglob("*.lock")), "make-tasks leaves no lock files in the output folder"
    env = gym.make("SWE-Mini-v0", tasks=str(made.manifest), task_order="sequential")
    _, info = env.reset(seed=0)
    assert info[infos.TASK]["id"] == lines[0]["id"]
    assert [env.step(a) for a in info[infos.WALKTHROUGH]][-1][4][infos.SUCCESS]
    _, info = env.reset()
    assert info[infos.TASK]["id"] == lines[1]["id"]
    env.close()
    again = make_tasks(FAMILY, level=2, count=2, split="test", out_dir=tmp_path, workers=1, progress=False)
    assert again.generated == 0 and again.reused == 2


def test_generator_knobs_and_errors():
    generator = generator_for(FAMILY)
    assert list(generator.levels()) == [1, 2, 3, 4, 5]
    assert generator.knobs(level=4).nb_bugs == 3
    with pytest.raises(ValueError, match="either level or knobs"):
        generator.knobs({"nb_bugs": 2}, level=1)
    with pytest.raises(ValueError, match="nb_bugs"):
        generator.knobs({"nb_bugs": 9})
