"""The prompt's words and their token-exact, turn-by-turn tokenisation.

:class:`PromptTemplate` holds the words (the paper's template by default); :class:`ChatFormat`
turns them into token ids with the tokenizer's own chat template, one piece at a time:

- :meth:`ChatFormat.prompt_ids`: system instruction, objective, first observation and the
  generation prompt (the start of the assistant's turn);
- :meth:`ChatFormat.turn_ids`: what follows an assistant reply: the end of that reply if
  the model did not already emit it, the next observation's message and the generation
  prompt.

An episode's sequence is the prompt, then reply, turn, reply, turn, ... with each piece
tokenised once when it arrives: the history is never re-rendered or re-tokenised, so the
tokens a model is trained on are exactly the tokens it saw and sampled.

The chat template is probed once, at construction, with marker messages: it must append
each turn to the text of the previous ones (ChatML, Llama 3, Qwen, ...). A template that
rewrites earlier turns in a way that moves the reply (one that inserts text before it) is
refused; one that only strips reasoning blocks from earlier replies is accepted and flagged
(:attr:`ChatFormat.rewrites_history`): the episode's tokens stay exactly what was sampled,
but a fresh rendering of the same messages differs (see :func:`~textagent_envs.chat.check_token_exact`).

Nothing here imports torch: a tokenizer is anything with ``apply_chat_template``,
``encode``, ``decode`` and an ``eos_token``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

#: The paper's instruction, in our words: act as an expert game solver and answer with one
#: action that starts with a verb.
PAPER_SYSTEM = (
    "You are an expert text game solver. Read the goal and the current state, and play to win. "
    "End each reply with one action: a short command starting with a verb, such as 'go north' or 'take coin'."
)
#: Roles an observation message may take after the first one.
OBSERVATION_ROLES = ("user", "tool")

_REPLY_MARK = "\x01REPLY\x01"
_USER_MARK = "\x01USER\x01"
_NEXT_MARK = "\x01NEXT\x01"
_THINK = "<think>\nscratch\n</think>\n\n"


@dataclass(frozen=True)
class PromptTemplate:
    """The words of the prompt. ``{objective}``, ``{observation}`` and ``{choices_line}``
    are filled in; ``choices_line`` is added to observation messages only when choices are
    given and ``show_choices`` is on."""

    #: System instruction (empty: the instruction-free first user message stands alone).
    system: str = PAPER_SYSTEM
    #: First user message.
    first_user: str = "Here is how to win the game: {objective}\n\ncurrent state: {observation}{choices_line}\n\nyour action:"
    #: Every later observation message.
    next_user: str = "current state: {observation}{choices_line}\n\nyour action:"
    #: How the admissible commands are listed.
    choices_line: str = "\n\navailable actions: {choices}"
    show_choices: bool = True
    #: Role of every later observation message: ``"user"``, or ``"tool"`` for templates
    #: that wrap tool results (Qwen's ``<tool_response>``).
    observation_role: str = "user"

    def __post_init__(self):
        if self.observation_role not in OBSERVATION_ROLES:
            raise ValueError(f"observation_role must be one of {OBSERVATION_ROLES}, got {self.observation_role!r}")


def render_messages(tokenizer: Any, messages: list[dict], generation: bool, tools: Sequence[dict] | None = None) -> str:
    """``tokenizer.apply_chat_template`` as text (with ``tools`` only when given)."""
    extra = {"tools": list(tools)} if tools else {}
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=generation, **extra)


class ChatFormat:
    """Token ids of the pieces of a multi-turn chat, from ``tokenizer``'s chat template.

    >>> chat = ChatFormat(tokenizer)                                 # doctest: +SKIP
    >>> ids = chat.prompt_ids("Take the coin.", "-= Kitchen =- ...")  # doctest: +SKIP
    >>> ids += reply_ids + chat.turn_ids("You take the coin.", reply_ids)  # doctest: +SKIP

    ``tools``: tool schemas for templates that list them in the system prompt (Qwen).

    Raises ``ValueError`` when the tokenizer has no chat template or eos token, or when its
    template does not render a conversation by appending turns.
    """

    def __init__(self, tokenizer: Any, template: PromptTemplate = PromptTemplate(), tools: Sequence[dict] | None = None):
        self.tokenizer = tokenizer
        self.template = template
        #: Tool schemas passed to the chat template (``apply_chat_template(tools=...)``), if any.
        self.tools = list(tools) if tools else None
        if getattr(tokenizer, "eos_token_id", None) is None:
            raise ValueError("the tokenizer has no eos token; a reply needs one to end (set tokenizer.eos_token)")
        if not getattr(tokenizer, "chat_template", None):
            raise ValueError("the tokenizer has no chat template; set tokenizer.chat_template (a Jinja string)")
        self.eos_id = int(tokenizer.eos_token_id)
        first = self.render([self.user(_USER_MARK)], generation=True)
        two = [self.user(_USER_MARK), self.assistant(_REPLY_MARK), self.observation(_NEXT_MARK)]
        both = self.render(two, generation=True)
        if _USER_MARK not in first or not both.startswith(first) or _REPLY_MARK not in both[len(first):]:
            raise ValueError("this tokenizer's chat template re-renders earlier turns; token-exact turns need a "
                             "template where each turn appends to the previous text (ChatML, Llama 3, Qwen, ...)")
        before, after_reply = both[len(first):].split(_REPLY_MARK, 1)
        if before:
            raise ValueError(f"this chat template puts {before!r} into an earlier reply that the generation prompt "
                             "does not contain, so the reply as sampled is not the reply as rendered; use a template "
                             "that appends turns unchanged")
        three = self.render(two + [self.assistant(_REPLY_MARK), self.observation(_NEXT_MARK)], generation=True)
        if three != both + _REPLY_MARK + after_reply:
            raise ValueError("this chat template renders the second observation differently from the first "
                             "(it depends on the turn number); token-exact turns need each turn rendered alike")
        self.close_id = self._closing_token(after_reply)
        close_text = tokenizer.convert_ids_to_tokens(self.close_id) if self.close_id is not None else ""
        #: True when the template closes a reply with the eos token (ChatML's ``<|im_end|>``).
        self.closes_with_eos = self.close_id == self.eos_id
        self._turn_text = after_reply[len(close_text):]
        self._prefix, self._suffix = first.split(_USER_MARK)
        thinking = self.render([self.user(_USER_MARK), self.assistant(_THINK + _REPLY_MARK),
                                self.observation(_NEXT_MARK)], generation=True)
        #: True when the template drops text (reasoning blocks) from earlier replies: the
        #: episode's tokens are still exactly those sampled, but a fresh rendering differs.
        self.rewrites_history = _THINK not in thinking

    # --- messages -----------------------------------------------------------------------
    def user(self, content: str) -> dict:
        return {"role": "user", "content": content}

    def assistant(self, content: str) -> dict:
        return {"role": "assistant", "content": content}

    def observation(self, content: str) -> dict:
        return {"role": self.template.observation_role, "content": content}

    def system_messages(self) -> list[dict]:
        return [{"role": "system", "content": self.template.system}] if self.template.system else []

    def render(self, turns: list[dict], generation: bool) -> str:
        """The template's text of the system message (if any) followed by ``turns``."""
        return render_messages(self.tokenizer, self.system_messages() + turns, generation, self.tools)

    def _closing_token(self, after_reply: str) -> int | None:
        """The special token the template closes a reply with, if it starts ``after_reply``."""
        ids = self.encode(after_reply)
        if not ids:
            return None
        special = set(getattr(self.tokenizer, "all_special_ids", []) or [])
        text = self.tokenizer.convert_ids_to_tokens(ids[0])
        if (ids[0] in special or ids[0] == self.eos_id) and after_reply.startswith(text):
            return int(ids[0])
        return None

    # --- texts ----------------------------------------------------------------------------
    def _choices(self, choices: Sequence[str] | None) -> str:
        if choices is None or not self.template.show_choices:
            return ""
        return self.template.choices_line.format(choices=", ".join(choices))

    def first_message(self, objective: str, observation: str, choices: Sequence[str] | None = None) -> str:
        """The text of the first user message."""
        return self.template.first_user.format(objective=objective, observation=observation.strip(),
                                               choices_line=self._choices(choices))

    def next_message(self, observation: str, choices: Sequence[str] | None = None) -> str:
        """The text of a later observation message."""
        return self.template.next_user.format(observation=observation.strip(), choices_line=self._choices(choices))

    # --- token ids ------------------------------------------------------------------------
    def encode(self, text: str) -> list[int]:
        return list(self.tokenizer.encode(text, add_special_tokens=False))

    @property
    def stop_ids(self) -> tuple[int, ...]:
        """Token ids that end a reply (the closing token and eos)."""
        return tuple(dict.fromkeys(i for i in (self.close_id, self.eos_id) if i is not None))

    def prompt_ids(self, objective: str, observation: str, choices: Sequence[str] | None = None) -> list[int]:
        """The first prompt, up to and including the generation prompt."""
        return self.message_prompt_ids(self.first_message(objective, observation, choices))

    def message_prompt_ids(self, message: str) -> list[int]:
        """The first prompt for a first user message written out in full."""
        return self.encode(self._prefix + message + self._suffix)

    def turn_ids(self, observation: str, reply_ids: Sequence[int], choices: Sequence[str] | None = None) -> list[int]:
        """The tokens that follow the reply ``reply_ids``: its closing token if the model did
        not emit one, the next observation message, and the generation prompt."""
        return self.message_turn_ids(self.next_message(observation, choices), reply_ids)

    def message_turn_ids(self, message: str, reply_ids: Sequence[int]) -> list[int]:
        """:meth:`turn_ids` for an observation message written out in full."""
        return self.closing_ids(reply_ids) + self.encode(self._turn_text.replace(_NEXT_MARK, message))

    def closing_ids(self, reply_ids: Sequence[int]) -> list[int]:
        """The closing token the template puts after ``reply_ids``, unless the reply ends with it."""
        if self.close_id is None or (reply_ids and reply_ids[-1] == self.close_id):
            return []
        return [self.close_id]

    def action_ids(self, command: str) -> list[int]:
        """A command as a complete reply (its tokens and the closing token), as choice mode
        and SFT append it."""
        return self.encode(command) + [self.close_id if self.close_id is not None else self.eos_id]

    def reply_text(self, reply_ids: Sequence[int]) -> str:
        """The text of a reply as the template would hold it: its tokens decoded, without
        the closing token."""
        ids = list(reply_ids)
        if ids and ids[-1] in self.stop_ids:
            ids = ids[:-1]
        return self.tokenizer.decode(ids, skip_special_tokens=False)
