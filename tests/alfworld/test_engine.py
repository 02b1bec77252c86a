"""The native engine against alfworld's own (textworld's PddlEnv), step by step."""

import json

import numpy as np
import pytest

from textagent_envs.alfworld.engine import AlfredEngine, GameFileError, display_names
from textagent_envs.alfworld.knobs import TASK_TYPES

from .helpers import make_game, start_pddl, unordered

OFF_SCRIPT = ("take it", "go to the moon", "open", "examine", "look around", "move apple 1 to fridge 1")


def _play_both(game_file, steps, seed):
    """Play the walkthrough, then random admissible and invalid commands, on both engines;
    compare admissible commands, replies, wins and move counts after every step."""
    reference = start_pddl(game_file)
    state = reference.reset()
    engine = AlfredEngine.from_file(game_file)
    assert unordered(engine.reset()) == unordered(state.feedback)
    assert engine.admissible_commands() == state.admissible_commands
    walkthrough = json.loads(game_file.read_text())["walkthrough"]
    rng = np.random.default_rng(seed)
    won_seen = False
    for step in range(steps):
        if step < len(walkthrough):
            command = walkthrough[step]
        elif step % 5 == 0:
            command = OFF_SCRIPT[step % len(OFF_SCRIPT)]
        else:
            command = str(rng.choice(state.admissible_commands))
        state, _, _ = reference.step(command)
        reply = engine.step(command)
        where = f"step {step} ({command!r})"
        assert unordered(reply) == unordered(state.feedback), where
        assert engine.admissible_commands() == state.admissible_commands, where
        assert (engine.won, engine.moves) == (state.won, state.moves), where
        won_seen |= engine.won
    reference.close()
    assert won_seen, "the walkthrough never won"


@pytest.mark.parametrize("task_type", TASK_TYPES)
def test_same_commands_replies_and_outcomes_as_alfworlds_engine(tmp_path, task_type):
    game_file = make_game(tmp_path, task_type, seed=TASK_TYPES.index(task_type), receptacles=4, objects=5, distractors=2)
    _play_both(game_file, steps=30, seed=1)


def test_same_as_alfworlds_engine_on_a_medium_household(tmp_path):
    game_file = make_game(tmp_path, "pick_two_obj_and_place", seed=5, receptacles=10, objects=10, distractors=3)
    _play_both(game_file, steps=25, seed=2)


def test_names_are_numbered_as_alfworlds_demangler():
    from alfworld.agents.utils.misc import Demangler
    from textworld.generator.game import EntityInfo

    ids = [
        "apple_bar__minus_01_dot_00_bar__plus_00_dot_90_bar__plus_00_dot_10", "apple_bar__plus_02_dot_00_bar__plus_00_dot_90_bar__plus_00_dot_10",
        "sink_bar__minus_00_dot_40_bar__plus_00_dot_80_bar__minus_01_dot_00_bar_sinkbasin", "agent1",
        "cabinet_bar__plus_00_dot_50_bar__plus_01_dot_00_bar__minus_00_dot_20",
    ]
    infos = {i: EntityInfo(i, "o") for i in ids}
    reference = Demangler(game_infos=infos)
    assert display_names(ids) == {i: reference.demangle_alfred_name(i) for i in ids}


def test_bad_game_files_are_clear_errors(tmp_path):
    with pytest.raises(GameFileError, match="does not exist"):
        AlfredEngine.from_file(tmp_path / "nope.tw-pddl")
    bad = tmp_path / "bad.tw-pddl"
    bad.write_text("{not json")
    with pytest.raises(GameFileError, match="not a JSON tw-pddl game"):
        AlfredEngine.from_file(bad)
    bad.write_text(json.dumps({"pddl_domain": "(define)", "grammar": ""}))
    with pytest.raises(GameFileError, match="lacks pddl_problem"):
        AlfredEngine.from_file(bad)


def test_a_game_whose_problem_is_broken_names_the_file(tmp_path):
    game_file = make_game(tmp_path, "pick_and_place_simple", seed=1)
    data = json.loads(game_file.read_text())
    data["pddl_problem"] = data["pddl_problem"].replace("(:goal", "(:goalx")
    game_file.write_text(json.dumps(data))
    with pytest.raises(GameFileError, match="game.tw-pddl.*no \\(:goal"):
        AlfredEngine.from_file(game_file)
