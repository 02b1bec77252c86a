"""The episode ledger: one token sequence built piece by piece, exactly as the agent saw and
sampled it, with everything a trainer needs per token.

A :class:`Ledger` is written by appending: the prompt (:meth:`~Ledger.add_prompt`), then
each reply as sampled (:meth:`~Ledger.add_reply`, with its log-probabilities) and the
observation that followed it (:meth:`~Ledger.add_observation`). Every list is per token of
``ids``; nothing already written is ever changed, except the reward slot on the last token
of the latest reply (:meth:`~Ledger.add_reward`).

It exports to the shapes trainers take: :meth:`~Ledger.to_trl` (TRL's ``rollout_func``:
prompt and completion ids, an env mask, log-probs) and :meth:`~Ledger.as_dict` (flat
``input_ids`` / ``loss_mask`` / ``logprobs`` / ``token_rewards``, what SkyRL, verl and
custom PPO loops take).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

#: Segment kinds of a ledger.
PROMPT, REPLY, OBSERVATION = "prompt", "reply", "observation"


@dataclass(frozen=True)
class Segment:
    """One piece of the sequence: ``ids[start:end]``, the ``index``-th of its ``kind``."""

    kind: str
    start: int
    end: int
    index: int


@dataclass
class Ledger:
    """One episode as tokens (all lists are per token of ``ids``) and as chat messages."""

    ids: list[int] = field(default_factory=list)
    #: 1 on the agent's own (sampled) tokens.
    mask: list[int] = field(default_factory=list)
    #: Log-probability of each agent token when it was sampled (0 elsewhere, and on agent
    #: tokens whose log-probability was not given).
    logprobs: list[float] = field(default_factory=list)
    #: 1 on the last token of each reply.
    turn_end: list[int] = field(default_factory=list)
    #: Each turn's env reward on its reply's last token (0 elsewhere).
    rewards: list[float] = field(default_factory=list)
    #: The conversation as chat messages (system, user, assistant, user/tool, ...).
    messages: list[dict] = field(default_factory=list)
    #: Where each piece lies in ``ids``.
    segments: list[Segment] = field(default_factory=list)
    #: Each reply's ids exactly as given to ``add_reply`` (kept apart to check the ledger).
    replies: list[list[int]] = field(default_factory=list)
    #: The ids handed to the agent: the prompt, then each observation's delta.
    deltas: list[list[int]] = field(default_factory=list)
    terminated: bool = False
    truncated: bool = False
    #: Why the episode was truncated, when known (``"max_tokens"``, ``"worker_lost"``, ...).
    truncation_reason: str | None = None
    #: The env's commands, one per reply.
    commands: list[str] = field(default_factory=list)
    success: bool = False

    # --- writing ----------------------------------------------------------------------------
    def _append(self, ids: Sequence[int], kind: str, logprobs: Sequence[float] | None = None) -> None:
        ids = [int(i) for i in ids]
        agent = kind == REPLY
        if logprobs is not None and len(logprobs) != len(ids):
            raise ValueError(f"got {len(logprobs)} log-probabilities for {len(ids)} reply tokens; give one per token")
        index = sum(1 for s in self.segments if s.kind == kind)
        self.segments.append(Segment(kind, len(self.ids), len(self.ids) + len(ids), index))
        self.ids.extend(ids)
        self.mask.extend([int(agent)] * len(ids))
        self.logprobs.extend([float(x) for x in logprobs] if logprobs is not None else [0.0] * len(ids))
        self.turn_end.extend([0] * len(ids))
        self.rewards.extend([0.0] * len(ids))

    def add_prompt(self, ids: Sequence[int], messages: Sequence[dict]) -> None:
        """Start the episode with the prompt's ids and the messages they render."""
        if self.ids:
            raise ValueError("this ledger already has a prompt; start a new Ledger for a new episode")
        self.messages.extend(dict(m) for m in messages)
        self.deltas.append([int(i) for i in ids])
        self._append(ids, PROMPT)

    def add_reply(self, ids: Sequence[int], text: str, logprobs: Sequence[float] | None = None, command: str = "") -> None:
        """Append a reply exactly as sampled (``text`` is what the template holds for it)."""
        if not self.ids:
            raise ValueError("add the prompt before a reply")
        if not ids:
            raise ValueError("a reply needs at least one token")
        if self.segments[-1].kind == REPLY:
            raise ValueError("two replies in a row; add the observation that followed the first one")
        self.messages.append({"role": "assistant", "content": text})
        self.replies.append([int(i) for i in ids])
        self.commands.append(command)
        self._append(ids, REPLY, logprobs)
        self.turn_end[-1] = 1

    def add_reward(self, reward: float) -> None:
        """Add the env's reward for the latest reply (on its last token)."""
        if not self.segments or self.segments[-1].kind != REPLY:
            raise ValueError("a reward belongs to the reply just added; add a reply first")
        self.rewards[-1] += float(reward)

    def add_observation(self, ids: Sequence[int], message: dict) -> None:
        """Append what follows a reply: its closing token if needed, the observation
        message and the generation prompt (``ids``), and the message itself."""
        if not self.segments or self.segments[-1].kind != REPLY:
            raise ValueError("an observation follows a reply; add a reply first")
        self.messages.append(dict(message))
        self.deltas.append([int(i) for i in ids])
        self._append(ids, OBSERVATION)

    # --- reading ----------------------------------------------------------------------------
    @property
    def prompt_length(self) -> int:
        return self.segments[0].end if self.segments else 0

    @property
    def total_reward(self) -> float:
        return float(sum(self.rewards))

    @property
    def turns(self) -> int:
        return len(self.replies)

    def segment_at(self, position: int) -> Segment | None:
        """The segment holding token ``position`` (None past the end)."""
        for seg in self.segments:
            if seg.start <= position < seg.end:
                return seg
        return None

    def to_trl(self) -> dict[str, Any]:
        """The episode as TRL's ``rollout_func`` returns one sample: ``prompt_ids``,
        ``completion_ids`` (every later token, replies and observations), ``logprobs`` and
        ``env_mask`` (1 on sampled tokens, 0 on observation tokens) aligned with
        ``completion_ids``, and the episode's ``reward``."""
        p = self.prompt_length
        return {"prompt_ids": self.ids[:p], "completion_ids": self.ids[p:], "logprobs": self.logprobs[p:],
                "env_mask": self.mask[p:], "reward": self.total_reward}

    def as_dict(self) -> dict[str, Any]:
        """Flat per-token lists (``input_ids``, ``loss_mask``, ``logprobs``,
        ``token_rewards``, ``turn_end``) plus ``prompt_length``, ``reward``, ``terminated``,
        ``truncated``, ``truncation_reason``, ``success``, ``messages``."""
        return {"input_ids": list(self.ids), "loss_mask": list(self.mask), "logprobs": list(self.logprobs),
                "token_rewards": list(self.rewards), "turn_end": list(self.turn_end),
                "prompt_length": self.prompt_length, "reward": self.total_reward, "terminated": self.terminated,
                "truncated": self.truncated, "truncation_reason": self.truncation_reason, "success": self.success,
                "messages": [dict(m) for m in self.messages]}
