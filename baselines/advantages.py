"""Advantage estimators: GAE (PPO), GRPO, RLOO and REINFORCE, one function each with one
signature.

Every estimator reads a padded batch of episodes, one row per episode, one column per
token of the episode's token sequence (prompt, observations and the agent's replies):

- ``rewards`` ``[B, T]``: each turn's reward on the last token of the agent's reply in that
  turn (0 elsewhere). Dense (turn-level) rewards are several non-zero entries, a
  trajectory-level reward one entry on the last turn.
- ``mask`` ``[B, T]``: 1 on the agent's own tokens (the tokens that are trained), 0 on
  prompt, observations and padding.
- ``turn_end`` ``[B, T]``: 1 on the last agent token of every turn.
- ``group`` ``[B]``: episodes with the same id are rollouts of the same task (GRPO, RLOO).
- ``values`` ``[B, T]`` and ``bootstrap`` ``[B]``: the critic's value at every token and the
  value to bootstrap from after the last token (0 when the episode terminated; the
  critic's estimate when it was truncated and the trainer bootstraps). Only GAE uses them.

Each returns ``(advantages, returns)``, both ``[B, T]`` and 0 outside ``mask``.

Credit assignment (``turn_level``):

- ``gae``: token-level GAE over the agent's tokens only (observation tokens are skipped,
  so consecutive agent tokens are consecutive steps), ``gamma`` and ``lam`` per token.
  With ``turn_level=False`` every reward of an episode is moved to its last token first.
- ``grpo``: ``turn_level=False``: every token of episode ``i`` gets
  ``(R_i - mean_g R) / (std_g R + eps)`` with ``R`` the episode return (DeepSeekMath's
  outcome supervision). ``turn_level=True``: each turn's reward is normalised by the mean
  and std of all turn rewards in the group, and a token gets the sum of the normalised
  rewards of its turn and the later ones (DeepSeekMath's process supervision).
- ``rloo``: ``turn_level=False``: ``R_i`` minus the mean return of the other episodes of
  its group. ``turn_level=True``: a token of turn ``k`` gets the return-to-go from turn
  ``k``, ``G_{i,k}``, minus the mean of the other episodes' ``G_{j,k}`` (0 for an episode
  that had already ended), a baseline that never depends on the episode's own actions.
- ``reinforce``: no baseline; ``R_i`` (trajectory) or ``G_{i,k}`` (turn level).

Returns-to-go of the group estimators are discounted per turn by ``gamma``. A group of one
episode carries no comparison, so GRPO and RLOO give it advantage 0 (the trainer refuses a
group size below 2 for them). A truncated episode is simply an episode that ended: its
rewards are what the env gave (a reward wrapper may give a failure reward at the cut);
only GAE can bootstrap past it, through ``bootstrap``.
"""

from __future__ import annotations

from typing import Callable

import torch

Tensor = torch.Tensor
#: Added to the group std in GRPO, so all-equal rewards give 0, not a division by zero.
GRPO_EPS = 1e-4


def _turn_ids(mask: Tensor, turn_end: Tensor) -> Tensor:
    """The turn number of every token (0-based; counts turn ends strictly before it)."""
    ends = turn_end.long()
    return torch.cumsum(ends, dim=1) - ends


def _turn_rewards(rewards: Tensor, turn_end: Tensor) -> tuple[Tensor, Tensor]:
    """Per-turn rewards ``[B, K]`` and which of them exist (episodes have different lengths)."""
    counts = turn_end.long().sum(dim=1)
    k_max = int(counts.max().item()) if counts.numel() else 0
    out = torch.zeros(rewards.shape[0], max(k_max, 1), dtype=rewards.dtype)
    valid = torch.zeros_like(out, dtype=torch.bool)
    for row in range(rewards.shape[0]):
        r = rewards[row][turn_end[row].bool()]
        out[row, : len(r)] = r
        valid[row, : len(r)] = True
    return out, valid


def _returns_to_go(turn_rewards: Tensor, gamma: float) -> Tensor:
    out = torch.zeros_like(turn_rewards)
    running = torch.zeros(turn_rewards.shape[0], dtype=turn_rewards.dtype)
    for k in range(turn_rewards.shape[1] - 1, -1, -1):
        running = turn_rewards[:, k] + gamma * running
        out[:, k] = running
    return out


def _to_tokens(per_turn: Tensor, mask: Tensor, turn_end: Tensor) -> Tensor:
    """Give every agent token the value of its turn."""
    ids = _turn_ids(mask, turn_end).clamp(max=per_turn.shape[1] - 1)
    return torch.gather(per_turn, 1, ids) * mask


def _groups(group: Tensor) -> list[Tensor]:
    return [torch.nonzero(group == g, as_tuple=True)[0] for g in torch.unique(group)]


def gae(rewards, mask, turn_end, group, values=None, bootstrap=None, *, gamma=1.0, lam=1.0, turn_level=True):
    """Token-level generalised advantage estimation (PPO). Needs ``values``."""
    if values is None:
        raise ValueError("gae needs the critic's values; use an algorithm with a value head (ppo)")
    mask = mask.to(rewards.dtype)
    if not turn_level:
        rewards = _all_on_last_token(rewards, mask)
    advantages = torch.zeros_like(rewards)
    for row in range(rewards.shape[0]):
        idx = torch.nonzero(mask[row], as_tuple=True)[0]
        if len(idx) == 0:
            continue
        r, v = rewards[row, idx], values[row, idx].to(rewards.dtype)
        next_value = float(bootstrap[row]) if bootstrap is not None else 0.0
        running = 0.0
        for t in range(len(idx) - 1, -1, -1):
            delta = r[t] + gamma * next_value - v[t]
            running = delta + gamma * lam * running
            advantages[row, idx[t]] = running
            next_value = v[t]
    returns = (advantages + values.to(rewards.dtype)) * mask
    return advantages * mask, returns


def _all_on_last_token(rewards: Tensor, mask: Tensor) -> Tensor:
    moved = torch.zeros_like(rewards)
    for row in range(rewards.shape[0]):
        idx = torch.nonzero(mask[row], as_tuple=True)[0]
        if len(idx):
            moved[row, idx[-1]] = rewards[row].sum()
    return moved


def grpo(rewards, mask, turn_end, group, values=None, bootstrap=None, *, gamma=1.0, lam=1.0, turn_level=True):
    """Group-normalised advantages (GRPO); see the module docstring for the two modes."""
    mask = mask.to(rewards.dtype)
    turn_r, valid = _turn_rewards(rewards, turn_end)
    per_turn = torch.zeros_like(turn_r)
    for members in _groups(group):
        if len(members) < 2:
            continue
        if turn_level:
            pool = turn_r[members][valid[members]]
            normed = (turn_r[members] - pool.mean()) / (pool.std() + GRPO_EPS) * valid[members]
            per_turn[members] = _returns_to_go(normed, gamma) * valid[members]
        else:
            returns = _returns_to_go(turn_r[members], gamma)[:, 0]
            adv = (returns - returns.mean()) / (returns.std() + GRPO_EPS)
            per_turn[members] = adv[:, None] * valid[members]
    return _to_tokens(per_turn, mask, turn_end), _to_tokens(_returns_to_go(turn_r, gamma), mask, turn_end)


def rloo(rewards, mask, turn_end, group, values=None, bootstrap=None, *, gamma=1.0, lam=1.0, turn_level=True):
    """REINFORCE with the leave-one-out baseline of the group (RLOO)."""
    mask = mask.to(rewards.dtype)
    turn_r, valid = _turn_rewards(rewards, turn_end)
    to_go = _returns_to_go(turn_r, gamma) * valid
    per_turn = torch.zeros_like(turn_r)
    for members in _groups(group):
        n = len(members)
        if n < 2:
            continue
        g = to_go[members] if turn_level else to_go[members][:, :1].expand(-1, turn_r.shape[1])
        baseline = (g.sum(dim=0, keepdim=True) - g) / (n - 1)
        per_turn[members] = (g - baseline) * valid[members]
    return _to_tokens(per_turn, mask, turn_end), _to_tokens(to_go, mask, turn_end)


def reinforce(rewards, mask, turn_end, group, values=None, bootstrap=None, *, gamma=1.0, lam=1.0, turn_level=True):
    """Plain REINFORCE: the (turn-level: to-go) return, no baseline."""
    mask = mask.to(rewards.dtype)
    turn_r, valid = _turn_rewards(rewards, turn_end)
    to_go = _returns_to_go(turn_r, gamma) * valid
    per_turn = to_go if turn_level else to_go[:, :1].expand(-1, turn_r.shape[1]) * valid
    return _to_tokens(per_turn, mask, turn_end), _to_tokens(to_go, mask, turn_end)


Estimator = Callable[..., tuple[Tensor, Tensor]]
#: Estimators by name (the ``--algo`` of ``python -m baselines.train``).
ESTIMATORS: dict[str, Estimator] = {"gae": gae, "grpo": grpo, "rloo": rloo, "reinforce": reinforce}
