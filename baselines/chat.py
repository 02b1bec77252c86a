"""The chat prompt and its token-exact, turn-by-turn tokenisation: re-exported from
:mod:`textagent_envs.chat`, where it lives so every integration shares it.

:class:`PromptTemplate` holds the words (the paper's template by default); :class:`ChatFormat`
turns them into token ids one piece at a time (``prompt_ids``, then ``turn_ids`` after each
reply), never re-tokenising the history.
"""

from textagent_envs.chat import PAPER_SYSTEM, ChatFormat, PromptTemplate

__all__ = ["PAPER_SYSTEM", "ChatFormat", "PromptTemplate"]
