"""verifiers rollouts on any id, through verifiers' own rollout, client and scoring code.

The "model" here is a scripted policy (the task's walkthrough, written as a model would: a
thought line, then the command) served behind a real ``openai.AsyncOpenAI`` client whose
HTTP transport answers locally (no network, no server); verifiers' OpenAI chat client
talks to it exactly as to vLLM. Point ``client`` at a real endpoint to evaluate a model.

    python examples/verifiers_env.py [--env TextWorld-CoinCollector-v0] [--seeds 1 2] [--rollouts 2]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable


def local_client(policy: Callable[[list[dict]], str]):
    """A verifiers client whose OpenAI endpoint is ``policy(messages) -> reply text``,
    answered in-process through an ``httpx.MockTransport``."""
    import httpx
    from openai import AsyncOpenAI
    from verifiers.clients import OpenAIChatCompletionsClient

    def handle(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        text = policy(body["messages"])
        return httpx.Response(200, json={
            "id": f"local-{time.monotonic_ns()}", "object": "chat.completion", "created": int(time.time()),
            "model": body["model"], "choices": [{"index": 0, "finish_reason": "stop",
                                                 "message": {"role": "assistant", "content": text}}],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}})

    openai = AsyncOpenAI(base_url="http://policy.local/v1", api_key="local",
                         http_client=httpx.AsyncClient(transport=httpx.MockTransport(handle)))
    return OpenAIChatCompletionsClient(openai)


def walkthrough_policy(env_id: str, seeds, env_kwargs: dict) -> Callable[[list[dict]], str]:
    """Replies with the next walkthrough command of the task whose first message it sees."""
    import textagent_envs

    plans = {}
    for seed in seeds:
        env = textagent_envs.make(env_id, **env_kwargs)
        obs, info = env.reset(seed=seed)
        plans[obs.strip()] = list(info["walkthrough"])
        env.close()

    def policy(messages: list[dict]) -> str:
        first = next(m["content"] for m in messages if m["role"] == "user")
        plan = next(p for o, p in plans.items() if o in first)
        turn = sum(m["role"] == "assistant" for m in messages)
        return f"The goal says what to do next.\n{plan[turn] if turn < len(plan) else 'look'}"

    return policy


def main(env_id: str = "TextWorld-CoinCollector-v0", seeds=(1, 2), rollouts: int = 2, env_kwargs: dict | None = None,
         max_turns: int = 20) -> dict:
    from textagent_envs.integrations.verifiers import load_environment

    env_kwargs = dict(env_kwargs or {})
    env = load_environment(env_id, seeds=seeds, env_kwargs=env_kwargs, max_turns=max_turns)
    client = local_client(walkthrough_policy(env_id, seeds, env_kwargs))
    results = env.evaluate_sync(client, model="walkthrough", rollouts_per_example=rollouts)
    outputs = results["outputs"]
    return {"rollouts": len(outputs), "rewards": [o["reward"] for o in outputs],
            "success": [o["metrics"]["env_success"] for o in outputs],
            "turns": [sum(m["role"] == "assistant" for m in o["completion"]) for o in outputs],
            "stop": sorted({o["stop_condition"] for o in outputs}), "outputs": outputs}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="TextWorld-CoinCollector-v0")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rollouts", type=int, default=2)
    a = parser.parse_args()
    summary = main(a.env, a.seeds, a.rollouts)
    summary.pop("outputs")
    print(summary)
