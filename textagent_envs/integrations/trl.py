"""TRL: a ``rollout_func`` for ``GRPOTrainer`` that plays multi-turn episodes of any id,
token-exact (through :class:`textagent_envs.chat.ChatEnv`).

    >>> from trl import GRPOConfig, GRPOTrainer                              # doctest: +SKIP
    >>> from textagent_envs.integrations.trl import env_reward, make_rollout_func, task_dataset  # doctest: +SKIP
    >>> trainer = GRPOTrainer(model=model, processing_class=tokenizer, reward_funcs=env_reward,
    ...                       train_dataset=task_dataset([1, 2, 3, 4]), args=GRPOConfig(...),
    ...                       rollout_func=make_rollout_func("TextWorld-CoinCollector-v0", tokenizer))  # doctest: +SKIP

Each dataset prompt names a task seed (``"seed=17"``; :func:`task_dataset` writes them);
TRL repeats each prompt ``num_generations`` times, and the copies replay the very same task,
which is what GRPO compares. Each episode becomes one TRL sample: ``prompt_ids`` (system
prompt, objective and first observation), ``completion_ids`` (every later token: replies and
observations), ``env_mask`` (1 on the sampled reply tokens only, so observations are never
trained on), ``logprobs`` (at sampling time), and the extra fields ``env_reward`` (the
episode's return) and ``success``, which TRL passes to the reward functions.

The replies are sampled from ``trainer.model`` with ``transformers``' ``generate`` loop
replaced by a small batched sampler that records each token's log-probability under
``softmax(logits / temperature)`` (the trainer's temperature). With vLLM, pass your own
``sample`` function. Needs ``trl`` (the ``integrations`` extra).
"""

from __future__ import annotations

import re
from typing import Any, Callable, Sequence

from ..chat import ChatEnv, PromptTemplate, TokenReply, last_line

#: A sampler: (model, contexts, stop ids, max new tokens, temperature) -> one TokenReply per context.
Sampler = Callable[[Any, Sequence[Sequence[int]], Sequence[int], int, float], list]


def task_dataset(seeds: Sequence[int]):
    """A ``datasets.Dataset`` with one prompt per task seed (``"seed=N"``)."""
    from datasets import Dataset

    return Dataset.from_dict({"prompt": [f"seed={int(s)}" for s in seeds]})


def seed_of(prompt: Any) -> int:
    """The task seed a dataset prompt names (``"seed=17"``, ``"17"``, or a chat whose last
    message says so)."""
    text = prompt[-1]["content"] if isinstance(prompt, list) else str(prompt)
    match = re.search(r"(?:seed\s*=\s*)?(-?\d+)\s*$", text.strip())
    if not match:
        raise ValueError(f"a prompt must name a task seed, like 'seed=17'; got {text!r} (task_dataset makes them)")
    return int(match.group(1))


def sample_replies(model: Any, contexts: Sequence[Sequence[int]], stop_ids: Sequence[int], max_new_tokens: int,
                   temperature: float, generator: Any = None, pad_id: int | None = None) -> list[TokenReply]:
    """Sample one reply per context with a KV cache, recording each token's log-probability
    under ``softmax(logits / temperature)``. A reply ends with a stop token or after
    ``max_new_tokens``."""
    import torch

    pad = int(pad_id if pad_id is not None else stop_ids[0])
    device = next(model.parameters()).device
    width = max(len(c) for c in contexts)
    ids = torch.tensor([[pad] * (width - len(c)) + list(c) for c in contexts], device=device)
    attn = torch.tensor([[0] * (width - len(c)) + [1] * len(c) for c in contexts], device=device)
    pos = (attn.cumsum(-1) - 1).clamp(min=0)
    stops = torch.tensor(list(stop_ids), device=device)
    with torch.no_grad():
        out = model(input_ids=ids, attention_mask=attn, position_ids=pos, use_cache=True)
        past, logits, last = out.past_key_values, out.logits[:, -1], pos[:, -1:]
        n = len(contexts)
        done = torch.zeros(n, dtype=torch.bool, device=device)
        tokens: list[list[int]] = [[] for _ in range(n)]
        logps: list[list[float]] = [[] for _ in range(n)]
        for _ in range(max_new_tokens):
            logp = torch.log_softmax(logits.float() / temperature, dim=-1)
            tok = torch.multinomial(logp.exp(), 1, generator=generator).squeeze(-1)
            chosen = logp.gather(1, tok[:, None]).squeeze(1)
            for i in range(n):
                if not done[i]:
                    tokens[i].append(int(tok[i]))
                    logps[i].append(float(chosen[i]))
            done |= torch.isin(tok, stops)
            if bool(done.all()):
                break
            attn = torch.cat([attn, torch.ones(n, 1, dtype=attn.dtype, device=device)], dim=1)
            last = last + 1
            out = model(input_ids=tok[:, None], attention_mask=attn, position_ids=last, past_key_values=past, use_cache=True)
            past, logits = out.past_key_values, out.logits[:, -1]
    return [TokenReply(t, lp) for t, lp in zip(tokens, logps)]


def make_rollout_func(env_id: str, tokenizer: Any, *, template: PromptTemplate = PromptTemplate(),
                      env_kwargs: dict | None = None, max_turns: int = 8, max_reply_tokens: int = 48,
                      max_tokens: int = 4096, tools: Sequence[dict] | None = None,
                      parse_action: Callable[[str], str] = last_line, sample: Sampler | None = None,
                      on_episode: Callable[[Any, list], None] | None = None) -> Callable[[list, Any], dict]:
    """A ``rollout_func(prompts, trainer)`` for ``GRPOTrainer`` playing ``env_id``.

    Args:
        env_id: any registered id; ``env_kwargs`` are its knobs.
        tokenizer: the policy's tokenizer (with a chat template).
        template, tools, parse_action: as :class:`~textagent_envs.chat.ChatEnv`.
        max_turns: step budget of an episode (``max_episode_steps``).
        max_reply_tokens: longest reply.
        max_tokens: longest episode sequence (prompt plus completion); longer ones end
            truncated.
        sample: replaces :func:`sample_replies` (e.g. a vLLM call); same signature.
        on_episode: called with each finished ``ChatEnv`` and its replies as sampled
            (for logging or checks).
    """
    import textagent_envs

    envs: list[ChatEnv] = []
    sampler = sample or sample_replies

    def rollout_func(prompts: list, trainer: Any) -> dict[str, list]:
        while len(envs) < len(prompts):
            base = textagent_envs.make(env_id, max_episode_steps=max_turns, **(env_kwargs or {}))
            envs.append(ChatEnv(base, tokenizer, template, tools=tools, parse_action=parse_action, max_tokens=max_tokens))
        model = trainer.accelerator.unwrap_model(trainer.model) if hasattr(trainer, "accelerator") else trainer.model
        temperature = float(getattr(trainer.args, "temperature", 1.0) or 1.0)
        contexts = {}
        replies: dict[int, list] = {i: [] for i in range(len(prompts))}
        for i, prompt in enumerate(prompts):
            contexts[i], _ = envs[i].reset(seed=seed_of(prompt))
        running = list(range(len(prompts)))
        was_training = model.training
        model.eval()
        try:
            while running:
                chat = envs[running[0]].chat
                room = [min(max_reply_tokens, max_tokens - len(contexts[i])) for i in running]
                out = sampler(model, [contexts[i] for i in running], chat.stop_ids, max(1, min(room)), temperature)
                still = []
                for i, reply in zip(running, out):
                    replies[i].append(reply)
                    delta, _, terminated, truncated, _ = envs[i].step(reply)
                    contexts[i] = contexts[i] + list(reply.ids) + delta
                    if not (terminated or truncated):
                        still.append(i)
                running = still
        finally:
            model.train(was_training)
        samples = [envs[i].ledger.to_trl() for i in range(len(prompts))]
        if on_episode is not None:
            for i in range(len(prompts)):
                on_episode(envs[i], replies[i])
        return {"prompt_ids": [s["prompt_ids"] for s in samples],
                "completion_ids": [s["completion_ids"] for s in samples],
                "logprobs": [s["logprobs"] for s in samples],
                "env_mask": [s["env_mask"] for s in samples],
                "env_reward": [s["reward"] for s in samples],
                "success": [float(envs[i].ledger.success) for i in range(len(prompts))]}

    return rollout_func


def env_reward(completions: list, env_reward: list[float] | None = None, **kwargs: Any) -> list[float]:
    """The reward function to pass to ``GRPOTrainer``: each episode's return, as the
    rollout function recorded it."""
    if env_reward is None:
        raise ValueError("env_reward needs the rollout_func of textagent_envs.integrations.trl (it passes env_reward)")
    return [float(r) for r in env_reward]
