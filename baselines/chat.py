"""The chat prompt and its token-exact, turn-by-turn tokenisation.

:class:`PromptTemplate` holds the words (the paper's template by default); :class:`ChatFormat`
turns them into token ids with the tokenizer's own chat template, one piece at a time:

- :meth:`ChatFormat.prompt_ids`: system instruction, objective, first observation and the
  generation prompt (the start of the assistant's turn);
- :meth:`ChatFormat.turn_ids`: what follows an assistant reply: the end of that reply if
  the model did not already emit it, the next user message ("current state: ...") and the
  generation prompt.

An episode's sequence is the prompt, then reply, turn, reply, turn, ... with each piece
tokenised once when it arrives: the history is never re-rendered or re-tokenised, so the
tokens the model is trained on are exactly the tokens it saw and sampled.
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
_REPLY_MARK = "\x01REPLY\x01"
_USER_MARK = "\x01USER\x01"


@dataclass(frozen=True)
class PromptTemplate:
    """The words of the prompt. ``{objective}``, ``{observation}`` and ``{choices}`` are
    filled in; ``choices_line`` is added to user messages only in choice mode when
    ``show_choices`` is on."""

    #: System instruction (empty: the instruction-free first user message stands alone).
    system: str = PAPER_SYSTEM
    #: First user message.
    first_user: str = "Here is how to win the game: {objective}\n\ncurrent state: {observation}{choices_line}\n\nyour action:"
    #: Every later user message.
    next_user: str = "current state: {observation}{choices_line}\n\nyour action:"
    #: How the admissible commands are listed in choice mode.
    choices_line: str = "\n\navailable actions: {choices}"
    show_choices: bool = True


class ChatFormat:
    """Token ids of the pieces of a multi-turn chat, from ``tokenizer``'s chat template.

    >>> chat = ChatFormat(tokenizer)                                 # doctest: +SKIP
    >>> ids = chat.prompt_ids("Take the coin.", "-= Kitchen =- ...")  # doctest: +SKIP
    >>> ids += reply_ids + chat.turn_ids("You take the coin.", reply_ids)  # doctest: +SKIP
    """

    def __init__(self, tokenizer: Any, template: PromptTemplate = PromptTemplate()):
        self.tokenizer = tokenizer
        self.template = template
        if tokenizer.eos_token_id is None:
            raise ValueError("the tokenizer has no eos token; a reply needs one to end")
        self.eos_id = int(tokenizer.eos_token_id)
        first = self._render([self._user(_USER_MARK)], generation=True)
        both = self._render([self._user(_USER_MARK), {"role": "assistant", "content": _REPLY_MARK},
                             {"role": "user", "content": _USER_MARK}], generation=True)
        if not both.startswith(first) or _REPLY_MARK not in both[len(first):]:
            raise ValueError("this tokenizer's chat template re-renders earlier turns; token-exact turns need a "
                             "template where each turn appends to the previous text (ChatML, Llama, ...)")
        after_reply = both[len(first):].split(_REPLY_MARK, 1)[1]
        eos_text = tokenizer.eos_token
        #: Text closing a reply, when the template closes replies with the eos token.
        self.closes_with_eos = after_reply.startswith(eos_text)
        self._turn_text = after_reply[len(eos_text):] if self.closes_with_eos else after_reply
        self._prefix, self._suffix = first.split(_USER_MARK)

    def _user(self, content: str) -> dict:
        return {"role": "user", "content": content}

    def _render(self, turns: list[dict], generation: bool) -> str:
        messages = ([{"role": "system", "content": self.template.system}] if self.template.system else []) + turns
        return self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=generation)

    def _choices(self, choices: Sequence[str] | None) -> str:
        if choices is None or not self.template.show_choices:
            return ""
        return self.template.choices_line.format(choices=", ".join(choices))

    def encode(self, text: str) -> list[int]:
        return list(self.tokenizer.encode(text, add_special_tokens=False))

    def prompt_ids(self, objective: str, observation: str, choices: Sequence[str] | None = None) -> list[int]:
        """The first prompt, up to and including the generation prompt."""
        user = self.template.first_user.format(objective=objective, observation=observation.strip(),
                                               choices_line=self._choices(choices))
        return self.encode(self._prefix + user + self._suffix)

    def turn_ids(self, observation: str, reply_ids: Sequence[int], choices: Sequence[str] | None = None) -> list[int]:
        """The tokens that follow the reply ``reply_ids``: its closing eos if the model did
        not emit one, the next user message, and the generation prompt."""
        user = self.template.next_user.format(observation=observation.strip(), choices_line=self._choices(choices))
        text = self._turn_text.replace(_USER_MARK, user)
        closing = [self.eos_id] if self.closes_with_eos and (not reply_ids or reply_ids[-1] != self.eos_id) else []
        return closing + self.encode(text)

    def action_ids(self, command: str) -> list[int]:
        """A command as a complete reply (its tokens and the closing eos), as choice mode
        and SFT append it."""
        return self.encode(command) + [self.eos_id]
