"""The native engine on never-seen states: its per-state memos emptied.

The native engine remembers per state the text it rendered (``look``, ``inventory``),
the admissible commands and the end-of-turn quest check (:class:`~textagent_envs.textworld.
native.incremental.StateMemo`). A benchmark of "cold" steps (a fresh game every
episode, a search that never comes back) empties them before each step with
:func:`forget`. What is not per state stays: each room's actions and tables, made on the
first visit, and the incremental sets of :mod:`~textagent_envs.textworld.native.incremental`.
"""

from __future__ import annotations

from textagent_envs.textworld.native.engine import NativeGame


def forget(game: NativeGame) -> None:
    """Empty ``game``'s per-state memos (text, admissible commands, quest checks)."""
    game._text_cache.clear()
    game._action_index.memo.clear()
    game._quest_index.memo.clear()
