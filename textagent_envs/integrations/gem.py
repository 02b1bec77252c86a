"""GEM: a ``gem.Env`` over any textagent_envs id, and GEM's vector envs over it.

    >>> from textagent_envs.integrations.gem import register                # doctest: +SKIP
    >>> gem_id = register("TextWorld-CoinCollector-v0")   # "textagent_envs:TextWorld-CoinCollector-v0"  # doctest: +SKIP
    >>> env = gem.make(gem_id, seed=3)                                      # doctest: +SKIP
    >>> obs, info = env.reset()                                             # doctest: +SKIP
    >>> obs, reward, terminated, truncated, info = env.step("I see a door.\\ngo north")  # doctest: +SKIP
    >>> vec = gem.make_vec([gem_id] * 8, seed=3)   # GEM's SyncVectorEnv, autoreset   # doctest: +SKIP

As GEM's own envs do, the observation is the text the model reads: the first one holds the
objective and the first observation (:class:`textagent_envs.chat.PromptTemplate`'s first
user message), later ones the next observation; the action is the model's whole reply, whose
last non-empty line is the command. Knobs go as keyword arguments (``max_turns``,
``env_kwargs``, ``template``).

Seeds: ``seed`` (GEM's ``make_vec`` gives ``seed + index``) is the task of the first episode;
``reset(seed=s)`` plays task ``s``; a later ``reset()`` without a seed (GEM's autoreset)
plays the next task, ``seed + 1``, ... GEM's base ``reset`` seeds Python's and numpy's global
RNGs; this env does not call it (textagent_envs envs draw from their own generators). Needs
``gem-llm`` (the ``integrations`` extra).
"""

from __future__ import annotations

import random
from typing import Any

try:
    import gem
    from gem.core import Env
except ImportError as err:  # pragma: no cover - depends on the install
    raise ImportError(f"textagent_envs.integrations.gem needs gem-llm: pip install -e '.[integrations]' ({err})") from None

from .. import infos
from ..chat import PromptTemplate, last_line

PREFIX = "textagent_envs:"


class TextAgentGemEnv(Env):
    """A textagent_envs env as a GEM env (see the module docstring)."""

    def __init__(self, textagent_id: str, seed: int | None = None, max_turns: int = 20, env_kwargs: dict | None = None,
                 template: dict | None = None):
        super().__init__()
        import textagent_envs

        self.textagent_id = textagent_id
        self.template = PromptTemplate(**(template or {}))
        self.env = textagent_envs.make(textagent_id, max_episode_steps=max_turns, **(env_kwargs or {}))
        self._next_seed = seed
        self._rng = random.Random(seed)
        self._admissible: list[str] = []

    def reset(self, seed: int | None = None) -> tuple[str, dict[str, Any]]:
        if seed is None:
            seed = self._next_seed
        self._next_seed = None if seed is None else int(seed) + 1
        obs, info = self.env.reset(seed=seed)
        self._admissible = list(info.get(infos.ADMISSIBLE_COMMANDS) or [])
        text = self.template.first_user.format(objective=info.get(infos.OBJECTIVE, ""), observation=obs.strip(),
                                               choices_line="")
        return text, {**info, "seed": seed}

    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        command = last_line(action)
        obs, reward, terminated, truncated, info = self.env.step(command)
        self._admissible = list(info.get(infos.ADMISSIBLE_COMMANDS) or [])
        text = self.template.next_user.format(observation=obs.strip(), choices_line="")
        return text, float(reward), bool(terminated), bool(truncated), {**info, "command": command}

    def sample_random_action(self) -> str:
        """One of the admissible commands (envs that list them), else ``"look"``."""
        return self._rng.choice(self._admissible) if self._admissible else "look"

    def close(self) -> None:
        self.env.close()


def register(env_id: str, **kwargs: Any) -> str:
    """Register ``env_id`` with GEM as ``"textagent_envs:<env_id>"`` (once); ``kwargs`` are
    default knobs (``max_turns``, ``env_kwargs``, ``template``). Returns GEM's id."""
    import textagent_envs
    from gem.envs.registration import ENV_REGISTRY

    if env_id not in textagent_envs.ENV_IDS:
        raise ValueError(f"unknown env id {env_id!r}; known ids: {', '.join(textagent_envs.ENV_IDS)}")
    gem_id = PREFIX + env_id
    if gem_id not in ENV_REGISTRY:
        gem.register(gem_id, entry_point="textagent_envs.integrations.gem:TextAgentGemEnv", textagent_id=env_id,
                     **kwargs)
    return gem_id
