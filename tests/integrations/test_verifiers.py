"""verifiers: real rollouts through verifiers' own rollout, client and rubric code, with a
scripted policy behind a local OpenAI-compatible endpoint (no network)."""

import importlib.util

import pytest

if importlib.util.find_spec("verifiers") is None:
    pytest.skip("verifiers is not installed: make test installs verifiers==0.3.1 --no-deps (see docs/integrations.md)",
                allow_module_level=True)

import textagent_envs
from textagent_envs.integrations.verifiers import TextAgentVerifiersEnv, load_environment

from .helpers import example

ENV_ID, KNOBS = "TextWorld-CoinCollector-v0", {"backend": "native", "level": 2}


def played_return(seed):
    """The walkthrough's return, played on the env directly."""
    env = textagent_envs.make(ENV_ID, **KNOBS)
    obs, info = env.reset(seed=seed)
    total = 0.0
    for command in info["walkthrough"]:
        obs, reward, terminated, truncated, info = env.step(command)
        total += reward
    env.close()
    return total


def test_walkthrough_rollouts_score_the_env_return():
    ex = example("verifiers_env")
    out = ex.main(ENV_ID, seeds=(1, 2), rollouts=2, env_kwargs=KNOBS)
    outputs = out["outputs"]
    assert out["rollouts"] == 4 and out["stop"] == ["has_final_env_response"]
    by_seed = {}
    for o in outputs:
        by_seed.setdefault(o["info"]["seed"], []).append(o)
    assert sorted(by_seed) == [1, 2] and all(len(g) == 2 for g in by_seed.values())
    for seed, group in by_seed.items():
        expected = played_return(seed)
        walkthrough = textagent_envs.make(ENV_ID, **KNOBS).reset(seed=seed)[1]["walkthrough"]
        assert expected > 0
        for o in group:
            assert o["reward"] == pytest.approx(expected) and o["metrics"]["env_success"] == 1.0
            roles = [m["role"] for m in o["completion"]]
            assert roles == ["assistant", "user"] * len(walkthrough)  # every reply played, final observation last
            assert [m["content"].splitlines()[-1] for m in o["completion"][::2]] == walkthrough
        # a GRPO group replays the same task: the same real first messages (not the placeholder)
        assert group[0]["prompt"] == group[1]["prompt"] and "replaced at reset" not in str(group[0]["prompt"])
        assert [m["role"] for m in group[0]["prompt"]] == ["system", "user"]
    assert by_seed[1][0]["prompt"] != by_seed[2][0]["prompt"]


def test_replies_that_do_not_play_earn_nothing_and_every_reply_reaches_the_env():
    ex = example("verifiers_env")
    env = load_environment(ENV_ID, seeds=[1], env_kwargs=KNOBS, max_turns=3)
    client = ex.local_client(lambda messages: "Let me think about it.\nlook")
    results = env.evaluate_sync(client, model="idle", rollouts_per_example=2,
                                state_columns=["env_truncated", "env_terminated", "trajectory"])
    for o in results["outputs"]:
        assert o["reward"] == 0.0 and o["metrics"]["env_success"] == 0.0
        assert o["env_truncated"] and not o["env_terminated"]
        assert sum(m["role"] == "assistant" for m in o["completion"]) == 3  # the step budget, all played
        assert [step["reward"] for step in o["trajectory"]] == [0.0, 0.0, 0.0]


def test_step_rewards_are_on_the_trajectory_and_sum_to_the_reward():
    ex = example("verifiers_env")
    env = load_environment(ENV_ID, seeds=[3], env_kwargs=KNOBS)
    client = ex.local_client(ex.walkthrough_policy(ENV_ID, [3], KNOBS))
    (o,) = env.evaluate_sync(client, model="walkthrough", state_columns=["trajectory"])["outputs"]
    rewards = [step["reward"] for step in o["trajectory"]]
    assert sum(rewards) == pytest.approx(o["reward"]) and o["reward"] == pytest.approx(played_return(3))


def test_bad_arguments_say_what_is_wrong():
    with pytest.raises(ValueError, match="unknown env id"):
        TextAgentVerifiersEnv("NoSuchGame-v0")
    with pytest.raises(ValueError, match="seeds is empty"):
        TextAgentVerifiersEnv(ENV_ID, seeds=[])
    with pytest.raises(ValueError, match="max_turns"):
        TextAgentVerifiersEnv(ENV_ID, max_turns=0)
