"""Real ALFWorld data: a json_2.1.1-style data_dir, built here from generated games."""

import json

import gymnasium as gym
import pytest

from textagent_envs import infos
from textagent_envs.alfworld.data import DataDirError, find_games
from textagent_envs.alfworld.env import ALFWorldEnv
from textagent_envs.alfworld.knobs import TASK_TYPES
from textagent_envs.testing import check_text_env

from .helpers import copy_trial, make_game, unordered


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    """train: one trial of each type (one without a walkthrough, as real game files are);
    valid_seen: two trials; valid_unseen: one trial marked unsolvable."""
    root = tmp_path_factory.mktemp("json_2.1.1")
    made = tmp_path_factory.mktemp("made")
    for i, kind in enumerate(TASK_TYPES):
        game = make_game(made / kind, kind, seed=20 + i, receptacles=6, objects=6)
        trial = copy_trial(game, root / "train" / f"{kind}-Thing-None-Place-{i}" / f"trial_T2019_{i}")
        if kind == "pick_heat_then_place_in_recep":
            data = json.loads(trial.read_text())
            del data["walkthrough"]
            trial.write_text(json.dumps(data))
    for i in range(2):
        game = make_game(made / f"seen{i}", "pick_and_place_simple", seed=40 + i)
        copy_trial(game, root / "valid_seen" / f"pick_and_place_simple-X-None-Y-{i}" / "trial_A")
    game = make_game(made / "unseen", "pick_and_place_simple", seed=50)
    unsolvable = copy_trial(game, root / "valid_unseen" / "pick_and_place_simple-X-None-Y-1" / "trial_B")
    data = json.loads(unsolvable.read_text())
    data["solvable"] = False
    unsolvable.write_text(json.dumps(data))
    return root


def test_finds_the_games_of_a_split_and_task_types(data_dir):
    assert len(find_games(data_dir, "train")) == 6
    assert len(find_games(data_dir, "valid_seen")) == 2
    cool = find_games(data_dir, "train", ["pick_cool_then_place_in_recep"])
    assert len(cool) == 1 and cool[0].name == "game.tw-pddl" and "pick_cool" in cool[0].parent.parent.name


def test_env_plays_every_real_data_game_and_its_walkthrough_wins(data_dir):
    env = gym.make("ALFWorld-v0", data_dir=str(data_dir), task_order="sequential")
    seen = set()
    for _ in range(6):
        obs, info = env.reset()
        seen.add(info[infos.TASK]["game_file"])
        assert info[infos.TASK]["id"].startswith("alfworld-train-")
        assert obs.startswith("-= Welcome to TextWorld, ALFRED! =-")
        for command in info[infos.WALKTHROUGH]:  # the heat game has none in its file: the expert's
            _, _, terminated, _, info = env.step(command)
        assert terminated and info[infos.SUCCESS] and info[infos.SCORE] == info[infos.MAX_SCORE]
    assert len(seen) == 6
    check_text_env(gym.make("ALFWorld-PickTwoObjAndPlace-v0", data_dir=str(data_dir)), seeds=(0,))


def test_real_data_on_alfworlds_engine_matches_the_fast_engine(data_dir):
    kwargs = dict(task_type="pick_clean_then_place_in_recep", data_dir=str(data_dir))
    fast, slow = ALFWorldEnv(**kwargs), ALFWorldEnv(engine="pddl", **kwargs)
    (obs_fast, info_fast), (obs_slow, info_slow) = fast.reset(seed=0), slow.reset(seed=0)
    assert unordered(obs_fast) == unordered(obs_slow)
    assert info_fast[infos.ADMISSIBLE_COMMANDS] == info_slow[infos.ADMISSIBLE_COMMANDS]
    for command in info_fast[infos.WALKTHROUGH]:
        a, b = fast.step(command), slow.step(command)
        assert unordered(a[0]) == unordered(b[0]) and a[1:4] == b[1:4]
    slow.close()


def test_unsolvable_games_are_left_out_with_a_clear_error_when_none_remain(data_dir):
    with pytest.raises(DataDirError, match="no trial folder with traj_data.json and game.tw-pddl"):
        ALFWorldEnv(data_dir=str(data_dir), split="valid_unseen")


def test_missing_or_malformed_data_dir_says_what_and_how(tmp_path):
    with pytest.raises(DataDirError, match="does not exist.*alfworld-download.*generated households"):
        ALFWorldEnv(data_dir=str(tmp_path / "nowhere"))
    (tmp_path / "valid_seen").mkdir()
    with pytest.raises(DataDirError, match="has no 'train' folder.*valid_seen"):
        ALFWorldEnv(data_dir=str(tmp_path))
    trial = tmp_path / "train" / "pick_and_place_simple-A-None-B-1" / "trial_1"
    trial.mkdir(parents=True)
    (trial / "traj_data.json").write_text(json.dumps({"task_type": "pick_and_place_simple"}))
    with pytest.raises(DataDirError, match="1 trial folder\\(s\\) have traj_data.json but no game.tw-pddl"):
        ALFWorldEnv(data_dir=str(tmp_path))
    (trial / "traj_data.json").write_text("{broken")
    with pytest.raises(DataDirError, match="is not an ALFWorld traj_data.json"):
        ALFWorldEnv(data_dir=str(tmp_path))
    (trial / "traj_data.json").write_text(json.dumps({"task_type": "pick_and_place_simple"}))
    (trial / "game.tw-pddl").write_text("[1, 2")
    with pytest.raises(DataDirError, match="is not a JSON tw-pddl game"):
        ALFWorldEnv(data_dir=str(tmp_path))
    with pytest.raises(ValueError, match="split must be one of"):
        ALFWorldEnv(data_dir=str(tmp_path), split="test")
