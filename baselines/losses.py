"""The losses every algorithm shares: PPO-clip, KL to the frozen reference, entropy bonus,
value loss. All are means over the masked (agent) tokens of a minibatch."""

from __future__ import annotations

import torch

Tensor = torch.Tensor


def masked_mean(x: Tensor, mask: Tensor) -> Tensor:
    """Mean of ``x`` over the tokens where ``mask`` is 1 (0 if there are none)."""
    mask = mask.to(x.dtype)
    return (x * mask).sum() / mask.sum().clamp(min=1.0)


def ppo_clip_loss(logp: Tensor, old_logp: Tensor, advantages: Tensor, mask: Tensor, clip: float) -> tuple[Tensor, Tensor]:
    """``-min(r A, clip(r, 1-c, 1+c) A)`` with ``r = exp(logp - old_logp)``; returns the loss
    and the fraction of tokens where the clip was active."""
    ratio = torch.exp(logp - old_logp)
    unclipped = ratio * advantages
    clipped = torch.clamp(ratio, 1.0 - clip, 1.0 + clip) * advantages
    loss = masked_mean(-torch.minimum(unclipped, clipped), mask)
    clip_fraction = masked_mean(((ratio - 1.0).abs() > clip).to(logp.dtype), mask)
    return loss, clip_fraction.detach()


def kl_to_reference(logp: Tensor, ref_logp: Tensor) -> Tensor:
    """Per-token KL(policy || reference) estimate ``exp(q) - q - 1`` with ``q = ref - logp``
    (Schulman's k3: non-negative, unbiased under samples of the policy)."""
    q = ref_logp - logp
    return torch.exp(q) - q - 1.0


def value_loss(values: Tensor, returns: Tensor, mask: Tensor) -> Tensor:
    """``0.5 (V - returns)^2`` over the agent tokens."""
    return masked_mean(0.5 * (values - returns) ** 2, mask)
