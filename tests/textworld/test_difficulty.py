"""Difficulty measured by breadth-first search on the native engine."""

import pytest

from textagent_envs import infos
from textagent_envs.tasks import TaskSpec
from textagent_envs.textworld.backend import JerichoBackend
from textagent_envs.textworld.difficulty import Difficulty, difficulty
from textagent_envs.textworld.games import ensure_game
from textagent_envs.textworld.native.engine import NativeGame
from textagent_envs.textworld.native.search import explore

TASK = TaskSpec("tw-custom", {"world_size": 2, "nb_objects": 3, "quest_length": 4}, seed=1)


def test_optimal_solution_wins_on_the_reference_and_is_no_longer_than_the_walkthrough():
    game_file = ensure_game(TASK)
    measured = difficulty(game_file)
    assert isinstance(measured, Difficulty) and measured.exhaustive
    reference = JerichoBackend()
    reference.load(str(game_file))
    walkthrough = reference.reset()[infos.WALKTHROUGH]
    assert 1 <= measured.optimal_length <= len(walkthrough)
    assert measured.reachable_states > measured.optimal_length
    assert measured.branching_factor >= 1
    from textworld.generator.game import Game

    game = NativeGame(Game.load(str(game_file.with_suffix(".json"))))
    solution = explore(game).solution
    assert len(solution) == measured.optimal_length
    for command in solution:
        state = reference.step(command)
    assert state[infos.WON]
    reference.close()


def test_every_input_kind_gives_the_same_numbers():
    game_file = ensure_game(TASK)
    from textworld.generator.game import Game

    game = Game.load(str(game_file.with_suffix(".json")))
    results = {difficulty(x) for x in (TASK, TASK.to_dict(), game_file, game_file.with_suffix(".json"), game, NativeGame(game))}
    assert len(results) == 1


def test_the_bound_stops_the_search_and_leaves_the_game_where_it_was():
    task = TaskSpec("tw-cooking", {"level": 3}, seed=2)
    native = NativeGame(__import__("textworld").generator.game.Game.load(str(ensure_game(task).with_suffix(".json"))))
    native.step("inventory")
    before = native.get_state()
    small = difficulty(native, max_states=50)
    assert small.reachable_states == 50 and not small.exhaustive and small.max_states == 50
    assert native.get_state() == before
    assert small.to_metadata()["reachable_states"] == 50


def test_bad_inputs_are_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="max_states"):
        difficulty(TASK, max_states=0)
    with pytest.raises(TypeError, match="difficulty"):
        difficulty(42)
    with pytest.raises(FileNotFoundError, match=r"\.json"):
        difficulty(tmp_path / "nothing.z8")


def test_make_tasks_records_the_search_numbers():
    from textagent_envs.textworld.difficulty import measure_difficulty

    facts = measure_difficulty(ensure_game(TASK).with_suffix(".json"))
    assert 1 <= facts["optimal_length"] <= facts["walkthrough_length"]
    assert facts["branching_factor"] > 1 and facts["reachable_states"] > facts["optimal_length"]
    assert facts["reachable_states_exhaustive"] is True


def test_policy_commands_info_is_a_shortest_win_from_the_current_state():
    import gymnasium as gym

    env = gym.make("TextWorld-Custom-w2-o3-q4-v0", engine="native", extra_infos=["policy_commands"])
    _, info = env.reset(seed=1)
    *_, info = env.step(info[infos.WALKTHROUGH][0])
    policy = info[infos.POLICY_COMMANDS]
    assert 0 < len(policy) < len(info[infos.WALKTHROUGH])
    for command in policy:
        *_, info = env.step(command)
    assert info[infos.WON]
    env.close()
