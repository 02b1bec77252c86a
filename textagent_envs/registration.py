"""The registered environment ids, with their knobs and step budgets (declared with their
family in :mod:`textagent_envs.registry`).

Registered when ``textagent_envs`` is imported, so both ``import textagent_envs;
gym.make("TextWorld-Cooking-v0")`` and ``gym.make("textagent_envs:TextWorld-Cooking-v0")``
work. Entry points are strings, so no game backend is imported until an env is made.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
from gymnasium.envs.registration import WrapperSpec

from .registry import ENTRIES, PAPER_CUSTOM_SETTINGS, EnvEntry  # the ids are declared family by family there
from .wrappers.rewards import REWARD_MODES

__all__ = ["ENTRIES", "ENV_IDS", "PAPER_CUSTOM_SETTINGS", "EnvEntry", "entry", "make", "register_all"]

ENV_IDS = [entry.id for entry in ENTRIES]


def register_all() -> None:
    """Register every id in :data:`ENTRIES` with gymnasium (idempotent)."""
    for entry in ENTRIES:
        if entry.id in gym.registry:
            continue
        wrappers = ()
        if entry.reward is not None:
            wrapper = REWARD_MODES[entry.reward]
            wrappers = (WrapperSpec(wrapper.__name__, f"{wrapper.__module__}:{wrapper.__name__}", {}),)
        gym.register(
            id=entry.id,
            entry_point=entry.entry_point,
            max_episode_steps=entry.max_episode_steps,
            kwargs=dict(entry.kwargs),
            additional_wrappers=wrappers,
        )


def make(env_id: str, *, reward: str = "game", reward_kwargs: dict[str, Any] | None = None, **kwargs: Any) -> gym.Env:
    """``gym.make(env_id, **kwargs)`` with the reward density ``reward`` applied on top
    (``"game"``, ``"sparse"``, ``"dense"`` or ``"balanced"``; see
    :mod:`textagent_envs.wrappers`), outside the step budget so truncation counts as an end.

    >>> env = textagent_envs.make("TextWorld-Custom-w2-o3-q4-v0", reward="sparse",
    ...                           reward_kwargs={"failure_reward": -1.0})  # doctest: +SKIP
    """
    from .wrappers.rewards import wrap_reward

    if reward not in REWARD_MODES:  # before building the env
        raise ValueError(f"reward must be one of {sorted(REWARD_MODES)}, got {reward!r}")
    return wrap_reward(gym.make(env_id, **kwargs), reward, **(reward_kwargs or {}))


def entry(env_id: str) -> EnvEntry:
    """The :class:`EnvEntry` of a registered id (a ``textagent_envs:`` prefix is allowed)."""
    env_id = env_id.split(":", 1)[-1]
    for item in ENTRIES:
        if item.id == env_id:
            return item
    raise gym.error.UnregisteredEnv(f"{env_id!r} is not a textagent_envs id; known ids: {', '.join(ENV_IDS)}")
