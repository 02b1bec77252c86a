"""The env layer's shortcuts change nothing a user sees: remembered command checks,
resets that replay the loaded game (the step timeout's watchdog: tests/test_worker_watchdog.py)."""

import gymnasium as gym
import pytest

from textagent_envs import infos
from textagent_envs.commands import InvalidCommand, parse_command

ENV_ID = "TextWorld-Custom-w2-o3-q4-v0"


@pytest.fixture
def env():
    env = gym.make(ENV_ID, engine="native")
    yield env
    env.close()


def test_a_refused_command_is_refused_every_time_and_an_accepted_one_reads_the_same(env):
    env.reset(seed=1)
    for _ in range(3):
        obs, reward, terminated, truncated, info = env.step("look; save")
        assert not info[infos.LAST_ACTION_VALID] and "one command" in info[infos.INVALID_REASON]
    with pytest.raises(InvalidCommand):
        parse_command("look; save")
    first = env.step("  Look!  ")
    again = env.step("  Look!  ")  # the second time from the remembered check
    assert first[0] == again[0] and first[4][infos.LAST_ACTION_VALID] is again[4][infos.LAST_ACTION_VALID]


def test_resets_replay_the_right_game(env):
    obs1, info1 = env.reset(seed=1)
    env.step(info1[infos.WALKTHROUGH][0])
    assert env.reset(seed=1) == (obs1, info1)  # the loaded game, from its start
    obs2, info2 = env.reset(seed=2)
    assert info2[infos.TASK]["seed"] == 2 and obs2 != obs1
    assert env.reset(seed=1) == (obs1, info1)
    # After set_state to another game, a reset plays the game it names.
    other = gym.make(ENV_ID, engine="native")
    try:
        _, info3 = other.reset(seed=3)
        env.unwrapped.set_state(other.unwrapped.get_state())
        assert env.reset(seed=3)[1] == info3
        assert env.reset(seed=1) == (obs1, info1)
    finally:
        other.close()


def test_resets_after_the_backend_was_replaced_load_the_game_again(caplog):
    env = gym.make(ENV_ID, engine="native", isolation="process")
    try:
        obs1, info1 = env.reset(seed=1)
        env.unwrapped._runner.close()  # the child is gone: the next call starts a fresh one, with no game loaded
        with caplog.at_level("WARNING"):
            assert env.reset(seed=1) == (obs1, info1)
        assert not caplog.records  # loaded again, not taken for a broken cached game
    finally:
        env.close()
