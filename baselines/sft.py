"""SFT warm start from walkthroughs, on the same token format as the RL episodes.

:func:`demonstration` plays a game along its walkthrough and builds the episode exactly as
a rollout would (prompt, reply, turn, ...), with the walkthrough commands as the agent's
replies (in choice mode also each turn's offered commands and which one the walkthrough
took). :func:`sft_step` trains on one of :data:`SFT_LOSSES`:

- ``token``: the negative log-likelihood of the reply tokens (:func:`sft_loss`);
- ``choice`` (choice mode): the cross-entropy of the demonstrated command under the softmax
  over the offered commands, the very log-probability the trainer's ratio is taken on
  (:func:`choice_loss`);
- ``both``: their sum.
"""

from __future__ import annotations

from typing import Any, Sequence

import torch

from textagent_envs import infos

from .losses import masked_mean
from .policy import Agent, Reply, turn_choice_distributions
from .rollout import Episode

#: What SFT minimises (see the module docstring).
SFT_LOSSES = ("token", "choice", "both")
#: ``Episode.choice`` of a demonstrated turn whose command was not among the offered ones
#: (the choice loss skips it; the token loss still trains it).
NOT_OFFERED = -1


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
        ep.add_reply(_demonstrated(chat, command, reply, offered))
        obs, reward, terminated, truncated, info = env.step(command)
        if ep.record(reward, terminated, truncated, info):
            break
        offered = agent.offered(info.get(infos.ADMISSIBLE_COMMANDS))
        shown = agent.observe(obs, info)
        ep.observations.append(shown)
        ep.append(chat.turn_ids(shown, reply, offered), agent=False)
    return ep


def _demonstrated(chat: Any, command: str, reply: list[int], offered: list[str] | None) -> Reply:
    """The walkthrough's command as a reply; in choice mode with the offered commands and
    the index of the demonstrated one (:data:`NOT_OFFERED` when it is not among them)."""
    if offered is None:
        return Reply(reply, [0.0] * len(reply), command)
    choice = offered.index(command) if command in offered else NOT_OFFERED
    return Reply(reply, [0.0] * len(reply), command, choice=choice, candidates=[chat.action_ids(c) for c in offered],
                 choice_logprob=0.0)


def sft_loss(model: Any, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """Mean negative log-likelihood of the agent tokens (temperature 1)."""
    logp, _, _ = model(batch["tokens"], batch["attention"], batch["mask"], 1.0)
    return -masked_mean(logp, batch["mask"])


def choice_loss(lm: Any, episodes: Sequence[Episode], *, temperature: float, score: str) -> torch.Tensor:
    """Mean over the demonstrated turns of ``-log p(demonstrated command)`` under the softmax
    over the offered commands (:func:`~baselines.policy.choice_distribution` of their
    ``score``), at ``temperature``: the log-probability choice mode samples from and the
    trainer's ratio is taken on. Turns whose command was not offered are left out."""
    terms = []
    for ep in episodes:
        if len(ep.candidates) != len(ep.reply_start):
            raise ValueError("the choice loss needs choice-mode demonstrations (made by an Agent with mode='choice')")
        offered = [k for k, choice in enumerate(ep.choice) if choice != NOT_OFFERED]
        for k, _, dist in turn_choice_distributions(lm, ep, temperature, score, turns=offered):
            terms.append(-dist[ep.choice[k]])
    if not terms:
        raise ValueError("no demonstrated turn chose an offered command; the choice loss has nothing to train on")
    return torch.stack(terms).mean()


def sft_objective(model: Any, batch: dict[str, torch.Tensor], episodes: Sequence[Episode] = (), *, loss: str = "token",
                  temperature: float = 1.0, score: str = "mean") -> torch.Tensor:
    """The SFT loss named ``loss`` (:data:`SFT_LOSSES`) on a minibatch: ``batch`` is the
    padded ``episodes`` (the token loss reads the batch, the choice loss the episodes).
    ``model`` is the :class:`~baselines.policy.PolicyModel` (or its DDP wrapper)."""
    if loss not in SFT_LOSSES:
        raise ValueError(f"sft loss must be one of {SFT_LOSSES}, got {loss!r}")
    total = sft_loss(model, batch) if loss in ("token", "both") else None
    if loss in ("choice", "both"):
        def choices(lm, critic):  # SFT trains no critic
            return choice_loss(lm, episodes, temperature=temperature, score=score), None, None

        chosen = model(batch["tokens"], batch["attention"], choices=choices)[0]
        total = chosen if total is None else total + chosen
    return total


def sft_step(model: Any, optimizer: Any, batch: dict[str, torch.Tensor], backward: Any = None, max_grad_norm: float = 1.0,
             episodes: Sequence[Episode] = (), **objective: Any) -> float:
    """One gradient step of :func:`sft_objective` (``objective``: its keyword arguments;
    the token loss by default); returns the loss."""
    loss = sft_objective(model, batch, episodes, **objective)
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
