"""SkyRL-gym: a ``BaseTextEnv`` over any textagent_envs id.

SkyRL's generator makes an env per sample with ``skyrl_gym.make(name, env_config=...,
extras=...)``, calls ``init(prompt)`` for the first chat, then ``step(reply_text)`` each
turn, appending the returned messages to the chat and tokenising them itself.

    >>> from textagent_envs.integrations.skyrl import register            # doctest: +SKIP
    >>> register()                        # skyrl_gym id "textagent_envs"   # doctest: +SKIP
    >>> env = skyrl_gym.make("textagent_envs", env_config={}, extras={"env_id": "ALFWorld-v0", "seed": 3})  # doctest: +SKIP
    >>> chat, meta = env.init([])                                          # doctest: +SKIP
    >>> out = env.step("I will look.\\ngo to cabinet 1")                     # doctest: +SKIP

``extras``: ``env_id`` (required), ``seed`` (the task; GRPO copies share it), ``env_kwargs``
(knobs), ``max_turns``, and ``options`` (``reset`` options, e.g. ``{"task": ...}``). The
prompt's words are :class:`textagent_envs.chat.PromptTemplate`'s (``extras["template"]``: a
dict of its fields); the env command is the reply's last non-empty line. An incoming
dataset prompt is ignored: the task's first message is the env's.

Token-exactness: SkyRL tokenises each returned observation message on its own and appends
it (its "token-in, token-out" path), as :class:`textagent_envs.chat.ChatEnv` does; the
messages returned here are exactly :meth:`~textagent_envs.chat.ChatFormat.next_message`'s,
so a SkyRL run and a ChatEnv ledger hold the same text. Needs ``skyrl-gym`` (the
``integrations`` extra).
"""

from __future__ import annotations

from typing import Any

try:
    from skyrl_gym.envs.base_text_env import BaseTextEnv, BaseTextEnvStepOutput
except ImportError as err:  # pragma: no cover - depends on the install
    raise ImportError(f"textagent_envs.integrations.skyrl needs skyrl-gym: pip install -e '.[integrations]' ({err})") from None

from .. import infos
from ..chat import PromptTemplate, last_line

#: The skyrl_gym id :func:`register` uses.
SKYRL_ID = "textagent_envs"
_INFO_KEYS = (infos.WON, infos.LOST, infos.SUCCESS, infos.SCORE, infos.MAX_SCORE, infos.MOVES, infos.TRUNCATION_REASON)


class TextAgentSkyRLEnv(BaseTextEnv):
    """A textagent_envs env as a SkyRL-gym ``BaseTextEnv`` (see the module docstring)."""

    def __init__(self, env_config: Any = None, extras: dict | None = None):
        super().__init__()
        extras = dict(extras or {})
        if "env_id" not in extras:
            raise ValueError("extras needs 'env_id' (a textagent_envs id, e.g. 'TextWorld-CoinCollector-v0')")
        import textagent_envs

        self.env_id = extras["env_id"]
        self.seed = extras.get("seed")
        self.options = extras.get("options")
        self.max_turns = int(extras.get("max_turns", 20))
        self.template = PromptTemplate(**extras.get("template", {}))
        self.env = textagent_envs.make(self.env_id, max_episode_steps=self.max_turns, **extras.get("env_kwargs", {}))
        self.total_reward = 0.0
        self.success = False

    def _message(self, text: str) -> dict:
        return {"role": "user", "content": text}

    def init(self, prompt: list | None = None) -> tuple[list[dict], dict]:
        obs, info = self.env.reset(seed=self.seed, options=self.options)
        self.turns, self.total_reward, self.success = 0, 0.0, False
        first = self.template.first_user.format(objective=info.get(infos.OBJECTIVE, ""), observation=obs.strip(),
                                                choices_line="")
        system = [{"role": "system", "content": self.template.system}] if self.template.system else []
        return system + [self._message(first)], {"env_id": self.env_id, "seed": self.seed}

    def step(self, action: str) -> BaseTextEnvStepOutput:
        self.turns += 1
        command = last_line(action)
        obs, reward, terminated, truncated, info = self.env.step(command)
        self.total_reward += float(reward)
        self.success = bool(info.get(infos.SUCCESS, False))
        done = bool(terminated or truncated)
        observations = [] if done else [self._message(
            self.template.next_user.format(observation=obs.strip(), choices_line=""))]
        metadata = {k: info[k] for k in _INFO_KEYS if k in info}
        metadata.update(terminated=bool(terminated), truncated=bool(truncated))
        return BaseTextEnvStepOutput(observations=observations, reward=float(reward), done=done, metadata=metadata,
                                     postprocessed_action=command)

    def get_metrics(self) -> dict:
        return {"success": float(self.success), "return": self.total_reward, "turns": self.turns}

    def close(self) -> None:
        self.env.close()


def register(name: str = SKYRL_ID) -> str:
    """Register :class:`TextAgentSkyRLEnv` with skyrl_gym under ``name`` (once); returns it."""
    from skyrl_gym.envs.registration import register as skyrl_register, registry

    if name not in registry:
        skyrl_register(id=name, entry_point="textagent_envs.integrations.skyrl:TextAgentSkyRLEnv")
    return name
