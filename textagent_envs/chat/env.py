"""An env that speaks tokens: :class:`ChatEnv` wraps any textagent_envs env (or any
Gymnasium text env with the same info keys) so that ``reset`` returns the prompt's token
ids, ``step`` takes the agent's reply (its sampled token ids, or its text) and returns the
token ids of what comes next, and :attr:`ChatEnv.ledger` holds the whole episode exactly as
the agent saw and sampled it.

    >>> import textagent_envs
    >>> from textagent_envs.chat import ChatEnv, TokenReply            # doctest: +SKIP
    >>> env = ChatEnv(textagent_envs.make("TextWorld-CoinCollector-v0"), tokenizer)  # doctest: +SKIP
    >>> ids, info = env.reset(seed=1)                                  # doctest: +SKIP
    >>> delta, reward, terminated, truncated, info = env.step(TokenReply(reply_ids, reply_logprobs))  # doctest: +SKIP
    >>> env.ledger.to_trl()                                            # doctest: +SKIP

The model's context after each step is the concatenation of everything returned so far
(the prompt, each reply, each delta): nothing is ever re-tokenised.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

import gymnasium as gym
from gymnasium import spaces

from .. import infos
from .format import ChatFormat, PromptTemplate
from .ledger import Ledger


@dataclass(frozen=True)
class TokenReply:
    """A reply as sampled: its token ids (ending with the closing token when the model
    emitted it) and, optionally, the log-probability of each one at sampling time."""

    ids: Sequence[int]
    logprobs: Sequence[float] | None = None


def last_line(text: str) -> str:
    """The command in a free-text reply: its last non-empty line, stripped (the prompt
    asks the model to end with the action)."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


#: Info key: the text observation the delta encodes.
OBSERVATION_TEXT = "observation_text"
#: Truncation reason when the next observation would not fit in ``max_tokens``.
MAX_TOKENS = "max_tokens"


class ChatEnv(gym.Wrapper):
    """Token-in, token-out view of a text env, with an episode :class:`~textagent_envs.chat.Ledger`.

    Args:
        env: a text env (``step(command: str)``; info with ``objective`` and, to offer
            choices, ``admissible_commands``).
        tokenizer: a tokenizer with a chat template (any transformers tokenizer).
        template: the prompt's words (:class:`PromptTemplate`).
        tools: tool schemas for templates that list tools (Qwen).
        parse_action: reply text -> the env command (default: its last non-empty line).
        offer_choices: list the admissible commands in each observation message.
        max_tokens: an episode whose next observation would make the sequence longer than
            this ends ``truncated`` with ``info["truncation_reason"] == "max_tokens"``.
        chat: a ready :class:`ChatFormat` (instead of ``tokenizer``/``template``/``tools``).

    ``step`` takes a :class:`TokenReply`, a list of token ids, or a string (encoded, and
    closed with the template's closing token, as a model that wrote it would have).
    The returned delta is empty when the episode ends. ``info[OBSERVATION_TEXT]`` is the
    env's text observation.
    """

    def __init__(self, env: gym.Env, tokenizer: Any = None, template: PromptTemplate = PromptTemplate(), *,
                 tools: Sequence[dict] | None = None, parse_action: Callable[[str], str] = last_line,
                 offer_choices: bool = False, max_tokens: int | None = None, chat: ChatFormat | None = None):
        super().__init__(env)
        if chat is None:
            if tokenizer is None:
                raise ValueError("ChatEnv needs a tokenizer (or a ready ChatFormat as chat=...)")
            chat = ChatFormat(tokenizer, template, tools=tools)
        self.chat = chat
        self.parse_action = parse_action
        self.offer_choices = offer_choices
        self.max_tokens = max_tokens
        vocab = spaces.Discrete(len(chat.tokenizer))
        self.observation_space = spaces.Sequence(vocab)
        self.action_space = spaces.Sequence(vocab)
        self.ledger = Ledger()
        self._done = True

    def _choices(self, info: dict) -> list[str] | None:
        return list(info.get(infos.ADMISSIBLE_COMMANDS) or []) if self.offer_choices else None

    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[list[int], dict]:
        obs, info = self.env.reset(seed=seed, options=options)
        message = self.chat.first_message(info.get(infos.OBJECTIVE, ""), obs, self._choices(info))
        ids = self.chat.message_prompt_ids(message)
        self.ledger = Ledger()
        self.ledger.add_prompt(ids, self.chat.system_messages() + [self.chat.user(message)])
        self._done = False
        return list(ids), {**info, OBSERVATION_TEXT: obs}

    def _reply(self, action: Any) -> tuple[list[int], list[float] | None]:
        if isinstance(action, str):
            return self.chat.action_ids(action), None
        if isinstance(action, TokenReply) or hasattr(action, "ids"):
            return [int(i) for i in action.ids], (list(action.logprobs) if action.logprobs is not None else None)
        try:
            return [int(i) for i in action], None
        except TypeError:
            raise TypeError(f"ChatEnv.step takes a TokenReply, a list of token ids or a string, got {type(action).__name__}") from None

    def step(self, action: Any) -> tuple[list[int], float, bool, bool, dict]:
        if self._done:
            raise RuntimeError("the episode is over (or was never started); call reset() first")
        ids, logprobs = self._reply(action)
        text = self.chat.reply_text(ids)
        command = self.parse_action(text)
        self.ledger.add_reply(ids, text, logprobs, command)
        obs, reward, terminated, truncated, info = self.env.step(command)
        info = {**info, OBSERVATION_TEXT: obs}
        self.ledger.add_reward(reward)
        self.ledger.success = bool(info.get(infos.SUCCESS, False))
        if terminated or truncated:
            return self._end([], reward, terminated, truncated, info)
        message = self.chat.next_message(obs, self._choices(info))
        delta = self.chat.message_turn_ids(message, ids)
        if self.max_tokens is not None and len(self.ledger.ids) + len(delta) > self.max_tokens:
            info[infos.TRUNCATION_REASON] = MAX_TOKENS
            return self._end([], reward, False, True, info)
        self.ledger.add_observation(delta, self.chat.observation(message))
        return list(delta), float(reward), False, False, info

    def _end(self, delta, reward, terminated, truncated, info):
        self._done = True
        self.ledger.terminated, self.ledger.truncated = bool(terminated), bool(truncated)
        self.ledger.truncation_reason = info.get(infos.TRUNCATION_REASON) if truncated else None
        return delta, float(reward), bool(terminated), bool(truncated), info
