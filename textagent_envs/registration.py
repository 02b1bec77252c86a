"""The registered environment ids, with their knobs and step budgets.

Registered when ``textagent_envs`` is imported, so both ``import textagent_envs;
gym.make("TextWorld-Cooking-v0")`` and ``gym.make("textagent_envs:TextWorld-Cooking-v0")``
work. Entry points are strings, so no game backend is imported until an env is made.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
from gymnasium.envs.registration import WrapperSpec

from .alfworld.knobs import TASK_IDS as ALFWORLD_TASK_IDS  # knob names only; no backend is imported
from .wrappers.rewards import REWARD_MODES

_TW = "textagent_envs.textworld.env:"
_SWE = "textagent_envs.swe.env:"
_ALFWORLD = "textagent_envs.alfworld.env:ALFWorldEnv"


@dataclass(frozen=True)
class EnvEntry:
    id: str
    entry_point: str
    #: gymnasium's step budget (TimeLimit); None when the env keeps its own (SWE's max_turns).
    max_episode_steps: int | None
    kwargs: dict[str, Any] = field(default_factory=dict)
    summary: str = ""
    #: Name of the reward density applied outside the step budget (textagent_envs.wrappers).
    reward: str | None = None


#: The paper's TextWorld custom settings: name -> (world_size, nb_objects, quest_length, turn budget).
PAPER_CUSTOM_SETTINGS = {
    "w2-o3-q4": (2, 3, 4, 12),
    "w8-o3-q4": (8, 3, 4, 12),
    "w2-o12-q4": (2, 12, 4, 12),
    "w8-o12-q4": (8, 12, 4, 12),
    "w4-o6-q8": (4, 6, 8, 24),
}

ENTRIES: list[EnvEntry] = [
    EnvEntry("TextWorld-Custom-v0", _TW + "CustomEnv", 50, summary="tw-make custom games: rooms, objects, quest length"),
    *(
        EnvEntry(
            f"TextWorld-Custom-{name}-v0", _TW + "CustomEnv", budget,
            {"world_size": w, "nb_objects": o, "quest_length": q},
            summary=f"the paper's {name} setting ({w} rooms, {o} objects, quest of {q})",
        )
        for name, (w, o, q, budget) in PAPER_CUSTOM_SETTINGS.items()
    ),
    EnvEntry("TextWorld-Simple-v0", _TW + "SimpleEnv", 24, summary="tw-simple: take the food to the stove in a six-room house"),
    *(
        EnvEntry(
            f"TextWorld-Simple-{density.title()}-v0", _TW + "SimpleEnv", 24, {"rewards": density},
            summary=f"tw-simple with the paper's {density} rewards (game knob and {density} reward wrapper)",
            reward=density,
        )
        for density in ("dense", "balanced", "sparse")
    ),
    EnvEntry("TextWorld-Cooking-v0", _TW + "CookingEnv", 100, summary="tw-cooking: gather and prepare a recipe"),
    EnvEntry("TextWorld-CoinCollector-v0", _TW + "CoinCollectorEnv", 100, {"level": 1}, summary="tw-coin_collector: find the coin"),
    EnvEntry("TextWorld-TreasureHunter-v0", _TW + "TreasureHunterEnv", 100, {"level": 1}, summary="tw-treasure_hunter: find the object"),
    # ALFWorld: generated households by default; data_dir= for real ALFWorld data.
    EnvEntry("ALFWorld-v0", _ALFWORLD, 50, summary="ALFWorld household tasks of all six types (generated, or real data with data_dir=)"),
    *(
        EnvEntry(f"ALFWorld-{name}-v0", _ALFWORLD, 50, {"task_type": kind}, summary=f"ALFWorld {kind} tasks")
        for kind, name in ALFWORLD_TASK_IDS.items()
    ),
    EnvEntry("SWE-Mini-v0", _SWE + "MiniEnv", None,
             summary="fix seeded bugs in a small Python repo with tool calls, in a bubblewrap sandbox (30 turns)"),
    EnvEntry("SWE-Gym-v0", _SWE + "GymEnv", None,
             summary="SWE-Gym / SWE-bench instances (instances=FILE) in Docker containers, graded by their tests"),
]

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
