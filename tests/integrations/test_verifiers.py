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

ENV_ID, KNOBS = "TextWorld-CoinCollector-v0", {"engine": "native", "level": 2}


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


class LocalVLLM:
    """The three routes of vLLM that verifiers' token client calls, answered in-process:
    ``/v1/chat/completions`` (renders the messages), ``/v1/chat/completions/tokens`` (takes
    the prompt ids as given) and ``/tokenize``. Replies are random non-special tokens closed
    by the template's closing token: token sequences that do not survive a decode and
    re-encode, so any re-tokenisation would show."""

    def __init__(self, chat, seed=0):
        import random

        self.chat, self.tok, self.rng, self.routes = chat, chat.tokenizer, random.Random(seed), []
        special = set(self.tok.all_special_ids)
        self.vocab = [i for i in range(len(self.tok)) if i not in special]

    def render(self, messages, generation=True):
        messages = [{"role": m["role"], "content": m.get("content") or ""} for m in messages]
        return self.chat.encode(self.tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=generation))

    def handle(self, request):
        import json

        import httpx

        body, path = json.loads(request.content), request.url.path
        self.routes.append(path)
        if path == "/tokenize":
            tokens = self.render(body["messages"], body.get("add_generation_prompt", True))
            return httpx.Response(200, json={"count": len(tokens), "max_model_len": 4096, "tokens": tokens})
        prompt = body["tokens"] if path.endswith("/tokens") else self.render(body["messages"])
        reply = [self.rng.choice(self.vocab) for _ in range(self.rng.randint(2, 6))] + [self.chat.close_id]
        logprobs = [{"token": self.tok.convert_ids_to_tokens(i), "logprob": -1.0, "bytes": None, "top_logprobs": []}
                    for i in reply]
        return httpx.Response(200, json={
            "id": "local", "object": "chat.completion", "created": 0, "model": body["model"], "prompt_token_ids": prompt,
            "choices": [{"index": 0, "finish_reason": "stop", "token_ids": reply, "logprobs": {"content": logprobs},
                         "message": {"role": "assistant", "content": self.chat.reply_text(reply)}}],
            "usage": {"prompt_tokens": len(prompt), "completion_tokens": len(reply),
                      "total_tokens": len(prompt) + len(reply)}})


def test_verifiers_token_client_trains_on_the_tokens_a_chat_env_ledger_holds():
    import httpx
    from openai import AsyncOpenAI
    from verifiers.clients import OpenAIChatCompletionsTokenClient

    from textagent_envs.chat import ChatEnv, ChatFormat, TokenReply

    from .helpers import chatml_tokenizer

    chat = ChatFormat(chatml_tokenizer())
    server = LocalVLLM(chat)
    transport = httpx.MockTransport(server.handle)
    client = OpenAIChatCompletionsTokenClient(AsyncOpenAI(base_url="http://vllm.local/v1", api_key="local",
                                                          http_client=httpx.AsyncClient(transport=transport)))
    env = load_environment(ENV_ID, seeds=[1], env_kwargs=KNOBS, max_turns=4)
    (o,) = env.evaluate_sync(client, model="random", state_columns=["trajectory"])["outputs"]
    steps = [step["tokens"] for step in o["trajectory"]]
    assert len(steps) == 4 and server.routes.count("/v1/chat/completions/tokens") == 3  # turns 2-4 stitched by tokens
    for before, after in zip(steps, steps[1:]):  # nothing sampled or prompted earlier is re-tokenised
        context = before["prompt_ids"] + before["completion_ids"]
        assert after["prompt_ids"][: len(context)] == context
    # the same replies through a ChatEnv: its ledger is exactly the last step's prompt and reply
    ledger_env = ChatEnv(textagent_envs.make(ENV_ID, max_episode_steps=4, **KNOBS), chat=chat)
    ids, _ = ledger_env.reset(seed=1)
    assert ids == steps[0]["prompt_ids"]
    for step in steps:
        ledger_env.step(TokenReply(step["completion_ids"], step["completion_logprobs"]))
    assert ledger_env.ledger.ids == steps[-1]["prompt_ids"] + steps[-1]["completion_ids"]
    mask = ledger_env.ledger.mask
    assert [t for t, m in zip(ledger_env.ledger.ids, mask) if m] == [t for s in steps for t in s["completion_ids"]]
