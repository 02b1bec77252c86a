"""Token-exact multi-turn chat for LLM agents on textagent_envs.

The rule of every multi-turn trainer that works: the tokens a model is trained on are the
tokens it saw and sampled. This package keeps it by building each episode's sequence piece
by piece (the prompt, each reply exactly as sampled, then only the next observation's
tokens, tokenised alone) and never re-tokenising the history.

- :class:`PromptTemplate`, :class:`ChatFormat`: the prompt's words and their turn-by-turn
  token ids from any tokenizer's chat template.
- :class:`ChatEnv`: a wrapper whose ``reset`` returns the prompt ids and whose
  ``step(reply)`` returns the next observation's token delta; ``env.ledger`` is the
  episode (:class:`Ledger`: ids, loss mask, log-probs, rewards on each reply's last token),
  exportable with ``to_trl()`` / ``as_dict()``.
- :func:`check_token_exact`: compare a ledger with a fresh rendering; says where and why
  they differ.

No torch here; a tokenizer is passed in. See docs/chat.md.
"""

from .check import REASONS, DriftReport, check_token_exact
from .env import MAX_TOKENS, OBSERVATION_TEXT, ChatEnv, TokenReply, last_line
from .format import OBSERVATION_ROLES, PAPER_SYSTEM, ChatFormat, PromptTemplate, render_messages
from .ledger import Ledger, Segment

__all__ = ["ChatEnv", "ChatFormat", "DriftReport", "Ledger", "MAX_TOKENS", "OBSERVATION_ROLES", "OBSERVATION_TEXT",
           "PAPER_SYSTEM", "PromptTemplate", "REASONS", "Segment", "TokenReply", "check_token_exact", "last_line",
           "render_messages"]
