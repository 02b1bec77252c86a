"""The ALFWorld environments against the Gymnasium contract and ours."""

import gymnasium as gym
import pytest

import textagent_envs
from textagent_envs import infos
from textagent_envs.alfworld.env import ALFWorldEnv
from textagent_envs.alfworld.knobs import TASK_IDS
from textagent_envs.tasks import TaskSpec
from textagent_envs.testing import check_text_env

from .helpers import make_game, unordered

ALFWORLD_IDS = ["ALFWorld-v0", *(f"ALFWorld-{name}-v0" for name in TASK_IDS.values())]


def test_every_alfworld_id_is_registered_with_its_task_type():
    for env_id in ALFWORLD_IDS:
        assert env_id in textagent_envs.ENV_IDS
    for kind, name in TASK_IDS.items():
        assert gym.spec(f"ALFWorld-{name}-v0").kwargs == {"task_type": kind}


@pytest.mark.parametrize("env_id", ALFWORLD_IDS)
def test_every_id_passes_the_conformance_check(env_id):
    env = gym.make(env_id, level=2)
    try:
        check_text_env(env, seeds=(1, 2))
        _, info = env.reset(seed=3)
        kind = info[infos.TASK]["params"]["task_type"]
        assert kind == gym.spec(env_id).kwargs.get("task_type")
        assert info[infos.OBJECTIVE].startswith("Your task is to: ")
    finally:
        env.close()


def test_dense_reward_counts_sub_goals_and_sums_to_one():
    env = textagent_envs.make("ALFWorld-PickHeatThenPlace-v0", reward="dense", level=3)
    _, info = env.reset(seed=4)
    assert info[infos.MAX_SCORE] == 4  # found, picked up, heated, done
    rewards = []
    for command in info[infos.WALKTHROUGH]:
        _, reward, terminated, _, info = env.step(command)
        rewards.append(reward)
    assert terminated and info[infos.SUCCESS]
    assert sum(rewards) == pytest.approx(1.0)
    assert sum(r > 0 for r in rewards) == 4, "each milestone pays once, on its own step"


def test_score_is_progress_and_never_counts_a_milestone_twice():
    env = ALFWorldEnv(task_type="pick_two_obj_and_place", nb_receptacles=4, nb_objects=4, nb_distractors=0)
    _, info = env.reset(seed=2)
    walkthrough = info[infos.WALKTHROUGH]
    scores = []
    for command in walkthrough:
        *_, info = env.step(command)
        scores.append(info[infos.SCORE])
    assert scores == sorted(scores) and scores[-1] == info[infos.MAX_SCORE] == 4  # found, picked up, placed one, done
    env.reset(seed=2)
    first_take = next(i for i, c in enumerate(walkthrough) if c.startswith("take "))
    for command in walkthrough[: first_take + 1]:  # found, picked up
        *_, info = env.step(command)
    assert info[infos.SCORE] == 2
    *_, info = env.step("inventory")
    assert info[infos.SCORE] == 2 and info[infos.LAST_ACTION_VALID]


def test_optional_infos_and_a_policy_that_wins_from_mid_episode():
    env = ALFWorldEnv(task_type="pick_clean_then_place_in_recep", level=4, extra_infos=list(infos.OPTIONAL))
    _, info = env.reset(seed=6)
    assert info[infos.LOCATION] == "middle of the room"
    assert info[infos.INVENTORY] == "You are not carrying anything."
    assert info[infos.DESCRIPTION].startswith("You are in the middle of a room.")
    assert info[infos.POLICY_COMMANDS] == info[infos.WALKTHROUGH]
    for command in info[infos.WALKTHROUGH][:2]:
        *_, info = env.step(command)
    assert info[infos.INVENTORY].startswith("You are carrying: ")
    # A detour, then the policy from here wins.
    *_, info = env.step(next(c for c in info[infos.ADMISSIBLE_COMMANDS] if c.startswith("go to")))
    policy = info[infos.POLICY_COMMANDS]
    for command in policy:
        _, _, terminated, _, info = env.step(command)
    assert terminated and info[infos.WON]


def test_pddl_engine_plays_the_same_episode():
    fast = ALFWorldEnv(task_type="pick_cool_then_place_in_recep", level=2)
    slow = ALFWorldEnv(task_type="pick_cool_then_place_in_recep", level=2, engine="pddl")
    obs_fast, info_fast = fast.reset(seed=8)
    obs_slow, info_slow = slow.reset(seed=8)
    assert unordered(obs_fast) == unordered(obs_slow)
    for command in ["go to the moon", *info_fast[infos.WALKTHROUGH]]:
        step_fast, step_slow = fast.step(command), slow.step(command)
        assert unordered(step_fast[0]) == unordered(step_slow[0])
        assert step_fast[1:4] == step_slow[1:4]
        keys = (infos.SCORE, infos.MAX_SCORE, infos.MOVES, infos.WON, infos.LAST_ACTION_VALID, infos.ADMISSIBLE_COMMANDS)
        assert {k: step_fast[4][k] for k in keys} == {k: step_slow[4][k] for k in keys}
    slow.close()
    with pytest.raises(ValueError, match="cannot give"):
        ALFWorldEnv(engine="pddl", extra_infos=["inventory"])
    with pytest.raises(ValueError, match="engine must be one of"):
        ALFWorldEnv(engine="unity")


def test_tasks_are_chosen_by_seed_spec_or_game_file(tmp_path):
    env = ALFWorldEnv(level=1)
    obs1, info1 = env.reset(seed=11)
    spec = TaskSpec.from_dict(info1[infos.TASK])
    obs2, info2 = env.reset(options={"task": spec})
    assert (obs1, info1) == (obs2, info2)
    game_file = make_game(tmp_path / "trial", "look_at_obj_in_light", seed=3)
    obs3, info3 = env.reset(options={"task": str(game_file)})
    assert "desklamp" in obs3 and info3[infos.TASK]["game_file"] == str(game_file.resolve())
    _, info4 = env.reset(options={"task": str(game_file.parent)})  # a trial folder works too
    assert info4[infos.WALKTHROUGH] == info3[infos.WALKTHROUGH]
    with pytest.raises(FileNotFoundError, match="does not exist"):
        env.reset(options={"task": str(tmp_path / "missing")})
    with pytest.raises(ValueError, match="is a 'tw-custom' task"):
        env.reset(options={"task": TaskSpec("tw-custom", {}, 1)})


def test_process_isolation_plays_the_same_game():
    inside, outside = ALFWorldEnv(level=2), ALFWorldEnv(level=2, isolation="process")
    try:
        assert inside.reset(seed=9) == outside.reset(seed=9)
        _, info = inside.reset(seed=9)
        for command in info[infos.WALKTHROUGH]:
            assert inside.step(command) == outside.step(command)
    finally:
        outside.close()
