"""SkyRL-gym's BaseTextEnv and GEM's Env over textagent_envs ids: their examples run, episodes
of one seed replay one task, and the texts are the chat layer's."""

import random

import pytest

from .helpers import example as _example

KNOBS = {"engine": "native", "level": 2}


def test_skyrl_example_solves_an_alfworld_task():
    pytest.importorskip("skyrl_gym", reason="needs skyrl-gym (pip install -e '.[integrations]')")
    result = _example("skyrl_env").main("ALFWorld-PickAndPlaceSimple-v0", seed=3)
    assert result["done"] and result["success"] == 1.0 and result["turns"] >= 1


def test_skyrl_env_speaks_the_chat_layers_messages():
    skyrl_gym = pytest.importorskip("skyrl_gym", reason="needs skyrl-gym (pip install -e '.[integrations]')")
    from textagent_envs.chat import PromptTemplate
    from textagent_envs.integrations.skyrl import register

    extras = {"env_id": "TextWorld-CoinCollector-v0", "seed": 4, "env_kwargs": KNOBS, "max_turns": 5}
    a, b = (skyrl_gym.make(register(), env_config={}, extras=extras) for _ in range(2))
    chat_a, _ = a.init([])
    chat_b, _ = b.init([{"role": "user", "content": "ignored"}])
    assert chat_a == chat_b and chat_a[0]["role"] == "system" and "Here is how to win" in chat_a[1]["content"]
    out = a.step("Thinking.\nlook")
    assert out["postprocessed_action"] == "look" and not out["done"]
    (message,) = out["observations"]
    assert message["role"] == "user" and message["content"].startswith("current state: ")
    assert message["content"].endswith(PromptTemplate().next_user.split("{choices_line}")[1])
    with pytest.raises(ValueError, match="env_id"):
        skyrl_gym.make(register(), env_config={}, extras={})


def test_gem_vector_example_runs():
    pytest.importorskip("gem", reason="needs gem-llm (pip install -e '.[integrations]')")
    result = _example("gem_vector").main("TextWorld-CoinCollector-v0", num_envs=3, steps=12)
    assert result["episodes_ended"] >= 1 and result["steps"] == 12


def test_gem_env_seeds_and_autoreset_tasks_without_touching_global_rngs():
    gem = pytest.importorskip("gem", reason="needs gem-llm (pip install -e '.[integrations]')")
    from textagent_envs.integrations.gem import register

    gem_id = register("TextWorld-CoinCollector-v0", max_turns=4, env_kwargs=KNOBS)
    assert register("TextWorld-CoinCollector-v0") == gem_id  # registering twice is harmless
    env, twin = gem.make(gem_id, seed=7), gem.make(gem_id, seed=7)
    state = random.getstate()
    obs, info = env.reset()
    assert random.getstate() == state and info["seed"] == 7 and obs == twin.reset()[0]
    for command in info["walkthrough"]:
        obs, reward, terminated, truncated, info = env.step(f"Go.\n{command}")
    assert terminated and reward == 1.0 and info["command"] == command
    assert env.reset()[1]["seed"] == 8  # autoreset plays the next task
    vec = gem.make_vec([gem_id] * 2, seed=20)
    _, infos = vec.reset()
    assert [i["seed"] for i in infos] == [20, 21]
    with pytest.raises(ValueError, match="unknown env id"):
        register("NoSuch-v0")
