import json
import os

import pytest

from textagent_envs.alfworld.games import GAME_FILE, ensure_game, game_file_of, household_dir
from textagent_envs.alfworld.knobs import ALFWorldKnobs
from textagent_envs.tasks import TaskSpec


def test_a_household_is_generated_once_into_the_cache(tmp_path):
    knobs = ALFWorldKnobs(nb_receptacles=3, nb_objects=3, nb_distractors=1)
    task = knobs.task(5)
    path = ensure_game(task, tmp_path)
    assert path == household_dir(knobs, 5, tmp_path) / GAME_FILE
    assert json.loads((path.parent / "traj_data.json").read_text())["pddl_params"]["object_target"]
    stamp = os.stat(path).st_mtime_ns
    assert ensure_game(task, tmp_path) == path and os.stat(path).st_mtime_ns == stamp
    assert not [p for p in path.parent.parent.iterdir() if p.name.startswith(".tmp-")], "no temporary folder left behind"


def test_a_half_written_household_is_replaced(tmp_path):
    knobs = ALFWorldKnobs(nb_receptacles=3, nb_objects=3, nb_distractors=0)
    folder = household_dir(knobs, 2, tmp_path)
    folder.mkdir(parents=True)
    (folder / "traj_data.json").write_text("{")  # a killed writer left this, no game file
    path = ensure_game(knobs.task(2), tmp_path)
    assert json.loads(path.read_text())["walkthrough"]
    assert json.loads((folder / "traj_data.json").read_text())["task_type"]


def test_game_files_and_trial_folders_are_accepted_missing_ones_are_clear(tmp_path):
    path = ensure_game(ALFWorldKnobs(nb_receptacles=2, nb_objects=2, nb_distractors=0).task(1), tmp_path)
    assert game_file_of(path.parent) == path == ensure_game(TaskSpec("alfworld", {}, None, game_file=str(path)))
    with pytest.raises(FileNotFoundError, match="give a game.tw-pddl file or a trial folder"):
        game_file_of(tmp_path / "nothing")
