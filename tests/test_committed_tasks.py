"""The task manifests committed in tasks/ are valid, in their splits, and name real games."""

from pathlib import Path

import gymnasium as gym
import pytest

from textagent_envs.tasksets import split_seeds
from textagent_envs.tasks import load_task_set
from textagent_envs.textworld.families import family_knobs

TASKS = Path(__file__).resolve().parent.parent / "tasks"
MANIFESTS = sorted(TASKS.glob("*.jsonl"))


def test_the_papers_settings_have_train_and_test_sets():
    names = {m.stem for m in MANIFESTS}
    for setting in ("tw-custom-w2-o3-q4", "tw-custom-w4-o6-q8", "tw-custom-w8-o12-q4", "tw-simple-dense-detailed"):
        assert {f"{setting}-train", f"{setting}-test"} <= names


@pytest.mark.parametrize("manifest", MANIFESTS, ids=lambda p: p.stem)
def test_manifest_is_valid_and_takes_its_split_seeds_in_order(manifest):
    family = "tw-simple" if manifest.stem.startswith("tw-simple") else "tw-custom"
    tasks = load_task_set(manifest, family=family)
    split = manifest.stem.rsplit("-", 1)[1]
    seeds = [t.seed for t in tasks]
    assert len(tasks) == 100 and seeds == sorted(set(seeds))
    assert all(s in split_seeds(split) for s in seeds) and seeds[0] == split_seeds(split)[0]
    for task in tasks:
        assert task.game_file is None  # specs only
        family_knobs(task.family).from_params(task.params)
        assert task.metadata["walkthrough_length"] > 0


def test_a_committed_spec_regenerates_its_game():
    manifest = TASKS / "tw-custom-w2-o3-q4-test.jsonl"
    env = gym.make("TextWorld-Custom-w2-o3-q4-v0", tasks=str(manifest), task_order="sequential", isolation="none")
    task = load_task_set(manifest, family="tw-custom")[0]
    _, info = env.reset(seed=0)
    assert info["task"]["id"] == task.id
    assert len(info["walkthrough"]) == task.metadata["walkthrough_length"]
    for command in info["walkthrough"]:
        *_, info = env.step(command)
    assert info["success"]
    env.close()
