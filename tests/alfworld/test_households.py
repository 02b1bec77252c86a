import json

import pytest

from textagent_envs.alfworld.engine import AlfredEngine
from textagent_envs.alfworld.households import generate_household
from textagent_envs.alfworld.knobs import TASK_TYPES, ALFWorldKnobs

from .helpers import make_game


@pytest.mark.parametrize("task_type", TASK_TYPES)
@pytest.mark.parametrize("size", [2, 10, 30])
def test_every_type_and_size_makes_a_game_whose_walkthrough_wins(tmp_path, task_type, size):
    game_file = make_game(tmp_path, task_type, seed=size, receptacles=size, objects=size, distractors=min(size - 2, 5))
    data = json.loads(game_file.read_text())
    traj = json.loads((tmp_path / "traj_data.json").read_text())
    assert traj["task_type"] == task_type and data["solvable"] is True
    assert "(:goal" in data["pddl_problem"] and "Your task is to: " in data["grammar"]
    engine = AlfredEngine.from_file(game_file)
    engine.reset()
    assert not engine.won, "the goal must not hold at the start"
    assert len(engine.game.recep_loc) == size
    assert len(engine.game.flag["pickupable"]) == max(size, 2)
    for command in data["walkthrough"]:
        assert not engine.won
        assert engine.step(command) != "Nothing happens.", command
    assert engine.won


def test_same_seed_same_household_other_seed_another():
    knobs = ALFWorldKnobs(nb_receptacles=8, nb_objects=8)
    assert generate_household(knobs, 3).problem() == generate_household(knobs, 3).problem()
    assert generate_household(knobs, 3).problem() != generate_household(knobs, 4).problem()


def test_distractors_share_the_target_receptacle():
    knobs = ALFWorldKnobs(task_type="pick_and_place_simple", nb_receptacles=6, nb_objects=8, nb_distractors=4)
    house = generate_household(knobs, 11)
    target_place = house.objects[0][2]
    assert sum(place == target_place for _, _, place in house.objects) >= 5
    assert all(kind != house.object_target for _, kind, _ in house.objects[1:])
