"""Wrappers that change what an environment rewards, one concept each.

Reward density (exactly one of these, innermost): :class:`SparseReward`,
:class:`DenseReward`, :class:`BalancedReward`. Shaping and penalties that compose on top:
:class:`PotentialShaping`, :class:`StepPenalty`, :class:`InvalidActionPenalty`. None of
them touches ``info``: ``info["score"]`` and ``info["success"]`` stay the game's own, so
evaluation never depends on shaping.

``textagent_envs.make(ID, reward="dense")`` applies a density by name.
"""

from .rewards import (
    REWARD_MODES,
    BalancedReward,
    DenseReward,
    InvalidActionPenalty,
    PotentialShaping,
    RewardTransform,
    SparseReward,
    StepPenalty,
    wrap_reward,
)

__all__ = [
    "REWARD_MODES",
    "BalancedReward",
    "DenseReward",
    "InvalidActionPenalty",
    "PotentialShaping",
    "RewardTransform",
    "SparseReward",
    "StepPenalty",
    "wrap_reward",
]
