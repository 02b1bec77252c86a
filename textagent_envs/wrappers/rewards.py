"""Reward density, potential-based shaping and penalties, for every env family.

All of them read only the info contract (``success``, ``score``, ``max_score``,
``last_action_valid``, and ``policy_commands`` for one potential), so they work on any
textagent_envs environment. Put them outside gymnasium's ``TimeLimit`` (``gym.make``
already does: wrap what it returns) so that the last step of a truncated episode is seen
as the end.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import gymnasium as gym

from .. import infos


class RewardTransform(gym.Wrapper, gym.utils.RecordConstructorArgs):
    """Base class: ``transform`` maps each step's reward; everything else passes through."""

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        obs, info = self.env.reset(seed=seed, options=options)
        self.on_reset(info)
        return obs, info

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        return obs, float(self.transform(float(reward), terminated, truncated, info)), terminated, truncated, info

    def on_reset(self, info: dict[str, Any]) -> None:
        """Called with the reset info; keep per-episode state here."""

    def transform(self, reward: float, terminated: bool, truncated: bool, info: dict[str, Any]) -> float:
        raise NotImplementedError


def _require(info: dict[str, Any], key: str, wrapper: str) -> Any:
    if key not in info:
        raise KeyError(f"{wrapper} needs info[{key!r}], which this environment does not return")
    return info[key]


class SparseReward(RewardTransform):
    """Reward only at the end: ``success_reward`` if the task succeeded, else
    ``failure_reward`` (lost, or truncated); 0 on every earlier step.

    >>> env = SparseReward(gym.make("TextWorld-Simple-v0"), failure_reward=-1.0)  # doctest: +SKIP
    """

    def __init__(self, env: gym.Env, success_reward: float = 1.0, failure_reward: float = 0.0):
        gym.utils.RecordConstructorArgs.__init__(self, success_reward=success_reward, failure_reward=failure_reward)
        gym.Wrapper.__init__(self, env)
        self.success_reward = float(success_reward)
        self.failure_reward = float(failure_reward)

    def transform(self, reward, terminated, truncated, info):
        if not (terminated or truncated):
            return 0.0
        return self.success_reward if _require(info, infos.SUCCESS, "SparseReward") else self.failure_reward


class DenseReward(RewardTransform):
    """Turn-level rewards for sub-goal progress: each step's score change divided by
    ``max_score``, whatever the outcome. On the winning step the rest up to 1 is added,
    so a won episode sums to exactly 1; a lost or truncated one sums to the share of the
    score it reached (never 1 unless the game counted it all), and ``info["success"]``
    stays False.
    """

    def __init__(self, env: gym.Env):
        gym.utils.RecordConstructorArgs.__init__(self)
        gym.Wrapper.__init__(self, env)
        self._returned = 0.0

    def on_reset(self, info):
        self._returned = 0.0

    def transform(self, reward, terminated, truncated, info):
        max_score = _require(info, infos.MAX_SCORE, "DenseReward")
        value = reward / max_score if max_score > 0 else 0.0
        if terminated and _require(info, infos.SUCCESS, "DenseReward"):
            value = 1.0 - self._returned
        self._returned += value
        return value


class BalancedReward(RewardTransform):
    """Half of the return from progress, half from success: ``0.5 * dense + 0.5 *
    sparse``. A won episode sums to 1, a lost one to at most 0.5. (In tw-simple,
    ``rewards="balanced"`` is also the game's own knob: which steps score at all; the
    registered ``TextWorld-Simple-Balanced-v0`` sets both.)
    """

    def __init__(self, env: gym.Env, weight: float = 0.5):
        gym.utils.RecordConstructorArgs.__init__(self, weight=weight)
        gym.Wrapper.__init__(self, env)
        if not 0.0 <= weight <= 1.0:
            raise ValueError(f"weight must be in [0, 1], got {weight!r}")
        self.weight = weight
        self._dense = DenseReward(env)
        self._sparse = SparseReward(env)

    def on_reset(self, info):
        self._dense.on_reset(info)

    def transform(self, reward, terminated, truncated, info):
        dense = self._dense.transform(reward, terminated, truncated, info)
        sparse = self._sparse.transform(reward, terminated, truncated, info)
        return self.weight * dense + (1.0 - self.weight) * sparse


def progress_potential(info: dict[str, Any]) -> float:
    """Share of the score reached: ``score / max_score``."""
    max_score = _require(info, infos.MAX_SCORE, "progress potential")
    return info[infos.SCORE] / max_score if max_score > 0 else 0.0


def remaining_steps_potential(info: dict[str, Any]) -> float:
    """Minus the length of a winning command sequence from here (``policy_commands``;
    make the env with ``extra_infos=["policy_commands"]``)."""
    if infos.POLICY_COMMANDS not in info:
        raise KeyError(
            "the 'remaining_steps' potential needs info['policy_commands']: "
            "make the env with extra_infos=['policy_commands']"
        )
    return -float(len(info[infos.POLICY_COMMANDS]))


POTENTIALS: dict[str, Callable[[dict[str, Any]], float]] = {
    "progress": progress_potential,
    "remaining_steps": remaining_steps_potential,
}


class PotentialShaping(RewardTransform):
    """Adds ``F = gamma * Phi(s') - Phi(s)`` to each reward (Ng et al., 1999), with
    ``Phi(s') = 0`` when ``s'`` ends the episode by termination. From a fixed start state
    every terminating trajectory's return then shifts by the same ``-Phi(s0)``, so the
    optimal policy is unchanged.

    ``potential``: ``"progress"`` (score / max_score), ``"remaining_steps"`` (minus the
    optimal number of steps left) or a function of the info dict.
    """

    def __init__(self, env: gym.Env, potential: str | Callable[[dict], float] = "progress", gamma: float = 1.0):
        gym.utils.RecordConstructorArgs.__init__(self, potential=potential, gamma=gamma)
        gym.Wrapper.__init__(self, env)
        if isinstance(potential, str):
            if potential not in POTENTIALS:
                raise ValueError(f"potential must be one of {sorted(POTENTIALS)} or a function of info, got {potential!r}")
            potential = POTENTIALS[potential]
        if not callable(potential):
            raise TypeError(f"potential must be a name or a callable, got {type(potential).__name__}")
        if not 0.0 <= gamma <= 1.0:
            raise ValueError(f"gamma must be in [0, 1], got {gamma!r}")
        self.potential = potential
        self.gamma = gamma
        self._phi = 0.0

    def on_reset(self, info):
        self._phi = float(self.potential(info))

    def transform(self, reward, terminated, truncated, info):
        phi_next = 0.0 if terminated else float(self.potential(info))
        shaped = reward + self.gamma * phi_next - self._phi
        self._phi = phi_next
        return shaped


class _Penalty(RewardTransform):
    """A non-negative, finite ``penalty`` subtracted by ``transform`` when it applies."""

    default_penalty: float

    def __init__(self, env: gym.Env, penalty: float | None = None):
        penalty = self.default_penalty if penalty is None else penalty
        gym.utils.RecordConstructorArgs.__init__(self, penalty=penalty)
        gym.Wrapper.__init__(self, env)
        if not math.isfinite(penalty) or penalty < 0:
            raise ValueError(f"penalty must be a finite number >= 0, got {penalty!r}")
        self.penalty = penalty


class StepPenalty(_Penalty):
    """Subtracts ``penalty`` (default 0.01) from every step's reward (a cost of time)."""

    default_penalty = 0.01

    def transform(self, reward, terminated, truncated, info):
        return reward - self.penalty


class InvalidActionPenalty(_Penalty):
    """Subtracts ``penalty`` (default 0.1) when the game did not accept the command
    (``info["last_action_valid"]`` is False)."""

    default_penalty = 0.1

    def transform(self, reward, terminated, truncated, info):
        return reward if _require(info, infos.LAST_ACTION_VALID, "InvalidActionPenalty") else reward - self.penalty


#: ``reward=`` names: the density wrappers. ``"game"`` keeps the game's own score changes.
REWARD_MODES: dict[str, type[RewardTransform] | None] = {
    "game": None,
    "sparse": SparseReward,
    "dense": DenseReward,
    "balanced": BalancedReward,
}


def wrap_reward(env: gym.Env, reward: str = "game", **kwargs: Any) -> gym.Env:
    """``env`` with the reward density named ``reward`` (see :data:`REWARD_MODES`)."""
    if reward not in REWARD_MODES:
        raise ValueError(f"reward must be one of {sorted(REWARD_MODES)}, got {reward!r}")
    wrapper = REWARD_MODES[reward]
    if wrapper is None:
        if kwargs:
            raise TypeError(f"reward='game' takes no options, got {sorted(kwargs)}")
        return env
    return wrapper(env, **kwargs)
