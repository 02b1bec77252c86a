"""The registered environment ids, with their knobs and step budgets.

Registered when ``textagent_envs`` is imported, so both ``import textagent_envs;
gym.make("TextWorld-Cooking-v0")`` and ``gym.make("textagent_envs:TextWorld-Cooking-v0")``
work. Entry points are strings, so no game backend is imported until an env is made.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym

_TW = "textagent_envs.textworld.env:"


@dataclass(frozen=True)
class EnvEntry:
    id: str
    entry_point: str
    max_episode_steps: int
    kwargs: dict[str, Any] = field(default_factory=dict)
    summary: str = ""


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
    EnvEntry("TextWorld-Cooking-v0", _TW + "CookingEnv", 100, summary="tw-cooking: gather and prepare a recipe"),
    EnvEntry("TextWorld-CoinCollector-v0", _TW + "CoinCollectorEnv", 100, {"level": 1}, summary="tw-coin_collector: find the coin"),
    EnvEntry("TextWorld-TreasureHunter-v0", _TW + "TreasureHunterEnv", 100, {"level": 1}, summary="tw-treasure_hunter: find the object"),
]

ENV_IDS = [entry.id for entry in ENTRIES]


def register_all() -> None:
    """Register every id in :data:`ENTRIES` with gymnasium (idempotent)."""
    for entry in ENTRIES:
        if entry.id in gym.registry:
            continue
        gym.register(
            id=entry.id,
            entry_point=entry.entry_point,
            max_episode_steps=entry.max_episode_steps,
            kwargs=dict(entry.kwargs),
        )


def entry(env_id: str) -> EnvEntry:
    """The :class:`EnvEntry` of a registered id (a ``textagent_envs:`` prefix is allowed)."""
    env_id = env_id.split(":", 1)[-1]
    for item in ENTRIES:
        if item.id == env_id:
            return item
    raise gym.error.UnregisteredEnv(f"{env_id!r} is not a textagent_envs id; known ids: {', '.join(ENV_IDS)}")
