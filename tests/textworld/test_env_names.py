"""One word per concept: ``engine=`` plays the game, a runner isolates it; the old
spellings (``backend=``, ``InProcessBackend``, ...) still work for one release, with a warning."""

import warnings

import gymnasium as gym
import pytest

import textagent_envs  # noqa: F401  (registers the ids)
from textagent_envs.alfworld.env import ALFWorldEnv
from textagent_envs.textworld import env as env_module
from textagent_envs.textworld.env import TextWorldEnv

KNOBS = dict(world_size=1, nb_objects=2, quest_length=2)


def test_engine_chooses_what_plays_the_game_with_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        env = gym.make("TextWorld-Custom-v0", engine="inform7", **KNOBS)
    try:
        assert env.unwrapped.engine == "inform7"
    finally:
        env.close()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        env = gym.make("TextWorld-Custom-v0", engine="native", **KNOBS)
    try:
        assert env.unwrapped.engine == "native"
        _, info = env.reset(seed=3)
        assert env.step(info["walkthrough"][0])[4]["last_action_valid"]
        assert env.unwrapped.get_state()["version"] == 1  # state copies: the native engine
    finally:
        env.close()
    assert gym.make("TextWorld-Custom-v0").unwrapped.engine == "native"  # the default


def test_the_old_backend_argument_still_works_with_a_deprecation_warning():
    with pytest.warns(DeprecationWarning, match="backend= is now engine="):
        env = gym.make("TextWorld-Custom-v0", backend="native", **KNOBS)
    assert env.unwrapped.engine == "native"
    with pytest.warns(DeprecationWarning, match="env.backend is now env.engine"):
        assert env.unwrapped.backend == "native"
    env.close()
    with pytest.warns(DeprecationWarning), pytest.raises(ValueError, match="engine must be one of"):
        gym.make("TextWorld-Custom-v0", backend="zmachine")
    with pytest.warns(DeprecationWarning), pytest.raises(ValueError, match="give engine= only"):
        gym.make("TextWorld-Custom-v0", engine="native", backend="inform7")


@pytest.mark.parametrize("old, value", [("BACKENDS", ("native", "inform7")), ("DEFAULT_BACKEND", "native")])
def test_the_old_module_constants_still_work_with_a_deprecation_warning(old, value):
    with pytest.warns(DeprecationWarning, match=f"{old} is now"):
        assert getattr(env_module, old) == value


def test_alfworld_is_a_sibling_of_textworld_not_a_subclass():
    # So it cannot inherit TextWorld's options: backend= (TextWorld's old engine word) is refused.
    assert not issubclass(ALFWorldEnv, TextWorldEnv)
    with pytest.raises(TypeError, match="no backend option"):
        ALFWorldEnv(backend="native")
    with pytest.raises(ValueError, match="engine must be one of"):
        ALFWorldEnv(engine="native")


def test_stepping_a_closed_env_asks_for_a_reset_and_a_reset_plays_again():
    from textagent_envs.base import ResetNeeded

    env = gym.make("TextWorld-Custom-v0", engine="native", **KNOBS)
    _, info = env.reset(seed=3)
    env.close()
    with pytest.raises(ResetNeeded, match="call reset"):
        env.step(info["walkthrough"][0])
    _, again = env.reset(seed=3)
    assert again["walkthrough"] == info["walkthrough"] and env.step(info["walkthrough"][0])[4]["last_action_valid"]
    env.close()


def test_a_failed_reset_leaves_no_episode_to_step():
    # As the SWE envs do (one base): a reset refused for its options ends the episode before it.
    from textagent_envs.base import ResetNeeded

    env = gym.make("TextWorld-Custom-v0", engine="native", **KNOBS)
    _, info = env.reset(seed=3)
    with pytest.raises(ValueError, match="unknown reset option"):
        env.reset(options={"level": 2})
    with pytest.raises(ResetNeeded, match="over"):
        env.step(info["walkthrough"][0])
    env.close()
