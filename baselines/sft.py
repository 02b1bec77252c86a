"""SFT warm start from walkthroughs, on the same token format as the RL episodes.

:func:`demonstration` plays a game along its walkthrough and builds the episode exactly as
a rollout would (prompt, reply, turn, ...), with the walkthrough commands as the agent's
replies; :func:`sft_step` trains on the masked reply tokens with cross-entropy.
"""

from __future__ import annotations

from typing import Any, Sequence

import torch

from textagent_envs import infos

from .losses import masked_mean
from .policy import Agent, Reply
from .rollout import Episode


def demonstration(env: Any, seed: int, agent: Agent) -> Episode:
    """The walkthrough of the game for ``seed`` as a token-exact episode (no log-probs)."""
    chat = agent.chat
    obs, info = env.reset(seed=int(seed))
    walkthrough = list(info.get(infos.WALKTHROUGH) or [])
    if not walkthrough:
        raise ValueError(f"the game for seed {seed} has no walkthrough to learn from")
    ep = Episode(seed=int(seed))
    offered = agent.offered(info.get(infos.ADMISSIBLE_COMMANDS))
    shown = agent.observe(obs, info)
    ep.observations.append(shown)
    ep.append(chat.prompt_ids(info.get(infos.OBJECTIVE, ""), shown, offered), agent=False)
    for command in walkthrough:
        reply = chat.action_ids(command)
        ep.add_reply(Reply(reply, [0.0] * len(reply), command))
        obs, reward, terminated, truncated, info = env.step(command)
        if ep.record(reward, terminated, truncated, info):
            break
        offered = agent.offered(info.get(infos.ADMISSIBLE_COMMANDS))
        shown = agent.observe(obs, info)
        ep.observations.append(shown)
        ep.append(chat.turn_ids(shown, reply, offered), agent=False)
    return ep


def sft_loss(model: Any, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """Mean negative log-likelihood of the agent tokens (temperature 1)."""
    logp, _, _ = model(batch["tokens"], batch["attention"], batch["mask"], 1.0)
    return -masked_mean(logp, batch["mask"])


def sft_step(model: Any, optimizer: Any, batch: dict[str, torch.Tensor], backward: Any = None, max_grad_norm: float = 1.0) -> float:
    """One gradient step of :func:`sft_loss`; returns the loss."""
    loss = sft_loss(model, batch)
    optimizer.zero_grad()
    (backward or (lambda value: value.backward()))(loss)
    torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], max_grad_norm)
    optimizer.step()
    return float(loss.detach())


def demonstrations(env: Any, seeds: Sequence[int], agent: Agent, progress: Any = None) -> list[Episode]:
    """:func:`demonstration` for each seed; ``progress(1)`` is called after each."""
    out = []
    for s in seeds:
        out.append(demonstration(env, s, agent))
        if progress is not None:
            progress(1)
    return out
