"""verl's agent loop: one episode through play_episode, and through the AgentLoopBase subclass
verl builds from its registry, with a tiny model behind the generate interface verl calls."""

import asyncio
import importlib.util
from types import SimpleNamespace

import pytest

import textagent_envs
from textagent_envs.chat import ChatEnv, check_token_exact
from textagent_envs.integrations.verl import agent_loop_class, play_episode

from .helpers import chatml_tokenizer, example

KNOBS = {"engine": "native", "level": 2}


class TinyServer:
    """What verl's AsyncLLMServerManager.generate gives: token_ids and log_probs."""

    def __init__(self, model, stop_ids):
        self.model, self.stop_ids, self.calls = model, stop_ids, []

    async def generate(self, request_id, *, prompt_ids, sampling_params):
        from textagent_envs.integrations.trl import sample_replies

        (reply,) = sample_replies(self.model, [prompt_ids], self.stop_ids, 8, sampling_params.get("temperature", 1.0))
        self.calls.append((request_id, list(prompt_ids), list(reply.ids)))
        return SimpleNamespace(token_ids=list(reply.ids), log_probs=list(reply.logprobs))


def test_one_episode_through_the_loop_with_a_tiny_model():
    torch = pytest.importorskip("torch", reason="needs torch for the tiny model")
    from baselines.models import TinyModelSettings, build_tiny_model

    model, tokenizer = build_tiny_model(example("trl_grpo").corpus("TextWorld-CoinCollector-v0", KNOBS, [1]),
                                        settings=TinyModelSettings(vocab_size=600, hidden_size=32))
    env = ChatEnv(textagent_envs.make("TextWorld-CoinCollector-v0", max_episode_steps=3, **KNOBS), tokenizer)
    server = TinyServer(model, env.chat.stop_ids)
    torch.manual_seed(0)
    out = asyncio.run(play_episode(server.generate, env, seed=1, sampling_params={"temperature": 0.8}))
    assert len({rid for rid, _, _ in server.calls}) == 1  # one sticky request id per episode
    # each request's prompt is the previous one plus the reply and the observation: never re-tokenised
    full = out["prompt_ids"] + out["response_ids"]
    for _, prompt, reply in server.calls:
        assert full[: len(prompt)] == prompt and full[len(prompt): len(prompt) + len(reply)] == reply
    assert [t for t, m in zip(out["response_ids"], out["response_mask"]) if m] == [t for _, _, r in server.calls for t in r]
    assert len(out["response_logprobs"]) == len(out["response_ids"]) and out["num_turns"] == 1 + 2 * len(server.calls)
    assert check_token_exact(tokenizer, env).sound


def test_response_length_cuts_the_episode():
    tokenizer = chatml_tokenizer()
    env = ChatEnv(textagent_envs.make("TextWorld-CoinCollector-v0", max_episode_steps=10, **KNOBS), tokenizer)

    async def generate(request_id, *, prompt_ids, sampling_params):
        return SimpleNamespace(token_ids=env.chat.action_ids("look"), log_probs=None)

    out = asyncio.run(play_episode(generate, env, seed=1, response_length=30))
    assert len(out["response_ids"]) == 30 and out["extra_fields"]["truncation_reason"] == "response_length"


@pytest.mark.skipif(importlib.util.find_spec("verl") is not None, reason="verl is installed: the class is built instead")
def test_agent_loop_class_says_verl_is_missing():
    with pytest.raises(ImportError, match="needs verl"):
        agent_loop_class()


@pytest.mark.skipif(importlib.util.find_spec("verl") is None,
                    reason="verl is not installed: make test installs verl==0.9.1 --no-deps (see docs/integrations.md)")
def test_verl_builds_the_loop_from_its_registry_and_plays_an_episode():
    torch = pytest.importorskip("torch", reason="needs torch for the tiny model")
    import hydra
    from omegaconf import OmegaConf
    from verl.experimental.agent_loop.agent_loop import (AgentLoopOutput, DictConfigWrap, ToolListWrap,
                                                         _agent_loop_registry)
    from verl.utils.dataset.rl_dataset import RLHFDataset
    from verl.workers.rollout.replica import TokenOutput

    from baselines.models import TinyModelSettings, build_tiny_model

    model, tokenizer = build_tiny_model(example("trl_grpo").corpus("TextWorld-CoinCollector-v0", KNOBS, [1]),
                                        settings=TinyModelSettings(vocab_size=600, hidden_size=32))
    cls = agent_loop_class()
    assert _agent_loop_registry["textagent_envs"] == {"_target_": "textagent_envs.integrations.verl.TextAgentLoop"}
    stop_ids = ChatEnv(textagent_envs.make("TextWorld-CoinCollector-v0", **KNOBS), tokenizer).chat.stop_ids
    tiny = TinyServer(model, stop_ids)

    class Server:  # verl's LLMServerClient.generate: a TokenOutput
        async def generate(self, request_id, *, prompt_ids, sampling_params, **kwargs):
            out = await tiny.generate(request_id, prompt_ids=prompt_ids, sampling_params=sampling_params)
            return TokenOutput(token_ids=out.token_ids, log_probs=out.log_probs, stop_reason="completed")

    config = OmegaConf.create({"actor_rollout_ref": {"rollout": {"prompt_length": 512, "response_length": 256}},
                               "data": {}})
    # exactly how verl's AgentLoopWorker._run_agent_loop makes a loop
    loop = hydra.utils.instantiate(config=_agent_loop_registry["textagent_envs"],
                                   trainer_config=DictConfigWrap(config=config), server_manager=Server(), tokenizer=tokenizer, processor=None, hf_model_type=None,
                                   dataset_cls=RLHFDataset, data_config=DictConfigWrap(config.data),
                                   tools=ToolListWrap([]))
    assert type(loop) is cls
    torch.manual_seed(0)
    out = asyncio.run(loop.run({"temperature": 0.8}, raw_prompt=[], agent_name="textagent_envs",
                               extra_info={"env_id": "TextWorld-CoinCollector-v0", "seed": 1, "max_turns": 3,
                                           "env_kwargs": KNOBS}))
    assert isinstance(out, AgentLoopOutput) and 1 <= len(tiny.calls) <= 3
    assert [t for t, m in zip(out.response_ids, out.response_mask) if m] == [t for _, _, r in tiny.calls for t in r]
    full = out.prompt_ids + out.response_ids
    for _, prompt, reply in tiny.calls:  # each request: the previous context plus reply and observation
        assert full[: len(prompt)] == prompt and full[len(prompt): len(prompt) + len(reply)] == reply
    batch = out.as_dict()  # what verl collates
    assert batch["responses"].tolist() == out.response_ids and batch["rm_scores"][-1] == out.reward_score
    assert batch["rollout_log_probs"].shape == batch["responses"].shape


@pytest.mark.skipif(importlib.util.find_spec("verl") is None, reason="verl is not installed")
def test_a_sample_without_env_id_says_what_is_missing():
    from textagent_envs.integrations.verl import _fields

    with pytest.raises(ValueError, match="env_id"):
        _fields({"extra_info": {"seed": 1}})
    assert _fields({"extra_info": {"env_id": "a", "seed": 1}, "seed": 2}) == {"env_id": "a", "seed": 2,
                                                                            "extra_info": {"env_id": "a", "seed": 1}}
